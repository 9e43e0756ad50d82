"""Time how fast hostile uploads and bodies are refused, and what the guards cost a real body.

Run: ``python bench/hostile.py``. Prints the seconds to refuse a 210 MB / one-million-row .xlsx
bomb (declared dimension, no dimension, and the unpacked-size check alone), a JSON body nested
100,000 deep, and the depth check's cost on a large legitimate JSON body next to parsing it.
Before the checks the bomb took 144 s of CPU and 600 MB; nothing here parses a bomb.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from creditline.errors import PayloadTooLarge  # noqa: E402
from creditline.monitoring import tabular  # noqa: E402
from creditline.request_guards import json_depth_exceeds  # noqa: E402
from tests.xlsx_bomb import bomb  # noqa: E402

UNITS = {"water": "m3"}


def best_of(fn: Callable[[], Any], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def refused(data: bytes) -> None:
    try:
        tabular.parse(data, "report.xlsx", UNITS)
    except PayloadTooLarge:
        return
    raise SystemExit("the bomb was not refused")


def main() -> None:
    for label, data in (("a million empty rows (6 MB of sheet), dimension declared", bomb(6, dimension="A1:E1000001")),
                        ("a million rows, no dimension (rows counted while streaming)", bomb(6)),
                        ("210 MB of sheet, no dimension (unpacked-size check)", bomb(210))):
        print(f"xlsx bomb {len(data) / 1024:,.0f} KB on the wire, {label}: refused in {best_of(lambda data=data: refused(data)):.4f} s")
    deep = b"[" * 100_000 + b"]" * 100_000
    print(f"JSON nested 100,000 deep: refused in {best_of(lambda: json_depth_exceeds(deep)):.4f} s")
    rows = [{"title": f"proposal {n}", "investment": "100000.00", "indicators": [
        {"stream": "water", "unit": "m3", "baseline_quantity": "1000", "note": "[[{{ text ]]"}]} for n in range(40_000)]
    body = json.dumps(rows).encode()
    check = best_of(lambda: json_depth_exceeds(body))
    parse = best_of(lambda: json.loads(body))
    print(f"legitimate {len(body) / 2**20:.1f} MB JSON list: depth check {check:.3f} s, json.loads {parse:.3f} s")


if __name__ == "__main__":
    main()
