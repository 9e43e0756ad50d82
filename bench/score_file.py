"""(d) of ``bench/scoring.py``: the CSV file to the results CSV, exactly as ``flask score`` runs it.

The rows are written to a CSV first (untimed, in the upload template's wide form); a fresh process
(``scoring.py --file``) then times each stage, wall and CPU, and its peak memory, and compares the
lines of sampled and rejected rows byte for byte with what the per-row path writes.
"""
from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from creditline.rules.loader import load_rulebook  # noqa: E402
from creditline.scoring.batch import score_rows  # noqa: E402
from creditline.scoring.batch_io import INDICATOR_PARTS  # noqa: E402


def flat(row: dict) -> dict:
    """One synthetic proposal as a row of the batch upload template (indicators in wide form)."""
    out = {k: v for k, v in row.items() if not isinstance(v, (list, dict)) and k != "as_of"}
    out["cp_options"], out["documents"] = ";".join(row["cp_options"]), ";".join(row["documents"])
    out.update({f"technology_{k}": v for k, v in row["technology"].items()})
    out.update(row["enterprise"])
    for ind in row["indicators"]:
        out.update({f"{ind['stream']}_{q}": ind[q] for q in INDICATOR_PARTS})
    return out


def file_to_results(path: str, rulebook: str, check: int) -> dict:
    """(d) in this (fresh) process: the CSV file to the results CSV, as ``flask score`` does it."""
    from creditline.scoring.batch import CHUNK
    from creditline.scoring.batch import score_frame, score_table
    from creditline.scoring.batch_io import read_frame
    from creditline.scoring.batch_table import write_csv

    book = load_rulebook(ROOT / "rules" / f"{rulebook}.yaml")
    # A child starts with its parent's peak (fork); "5" resets this process's peak to what it holds now.
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    base = high_water_mb()
    stages: dict[str, list[float]] = {}

    def timed(name, run):
        w, c = time.perf_counter(), time.process_time()
        out = run()
        stages[name] = [time.perf_counter() - w, time.process_time() - c]
        return out
    data = timed("read the file", lambda: Path(path).read_bytes())
    frame = timed("parse (Arrow)", lambda: read_frame(data))
    inner: dict[str, float] = {}
    inner_cpu: dict[str, float] = {}
    w, c = time.perf_counter(), time.process_time()
    out = score_table(book, frame, CHUNK, timings=inner, cpu=inner_cpu)
    wall, cpu = time.perf_counter() - w, time.process_time() - c
    with tempfile.NamedTemporaryFile(suffix=".csv") as target:
        timed("write the results CSV", lambda: write_csv(out["table"], target.name))
        lines = Path(target.name).read_text().splitlines()
    total = [sum(v[0] for v in stages.values()) + wall, sum(v[1] for v in stages.values()) + cpu]
    mem = high_water_mb()
    w, c = time.perf_counter(), time.process_time()
    api = score_frame(book, frame)
    api_time = [time.perf_counter() - w, time.process_time() - c]
    rows, decisions = out["table"].column("row").to_pylist(), out["table"].column("decision").to_pylist()
    same = [(r["row"], r["decision"]) for r in api["results"]] == [(r, d) for r, d in zip(rows, decisions)
                                                                    if d != "rejected"]
    return {"stages": stages, "score": [wall, cpu], "inner": {k: [v, inner_cpu[k]] for k, v in inner.items()},
            "total": total, "base_mb": base, "mb": mem,
            "scored": out["scored"], "rejected": out["rejected"], "api": api_time,
            "api_same": same, "lines_same": per_row_lines(book, frame, lines, check)}


def per_row_lines(book, frame, lines: list[str], check: int) -> list[int]:
    """Of ``check`` sampled rows (the rejected ones among them), how many of the results CSV's lines
    are byte for byte the line the per-row path writes (each row read as a proposal dict, loaded by
    the schema, scored alone and written by pandas as ``flask score`` wrote it before the columnar path)."""
    import io

    import pandas as pd
    from creditline import exports
    from creditline.scoring.batch_io import flat_to_proposal
    from creditline.scoring.results import result_rows

    rejected = [i for i, line in enumerate(lines[1:]) if ",rejected," in line]
    sample = sorted({*np.random.default_rng(5).choice(frame.num_rows, size=min(check, frame.num_rows),
                                                        replace=False).tolist(), *rejected[:check]})
    same = 0
    for i, raw in zip(sample, frame.take(sample).to_pylist()):
        one = score_rows(book, [flat_to_proposal(raw)], first_row=i + 1)
        table = pd.DataFrame(result_rows(one["results"], one["errors"]))
        for col in [c for c in table.columns if c.startswith("score_")]:
            table[col] = table[col].astype("Int64")
        text = io.StringIO()
        exports.frame(table).to_csv(text, index=False)
        same += text.getvalue().splitlines()[1] == lines[i + 1]
    return [same, len(sample)]


def report_file(rows: list[dict], n: int, rulebook: str, check: int) -> None:
    import pandas as pd

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "proposals.csv"
        pd.DataFrame([flat(r) for r in rows]).to_csv(path, index=False)
        size = path.stat().st_size
        # A fresh process, so the peak memory is this path's own (not the generated rows'); best of
        # three, as bench/score_upload.py: the first process after the rows were generated and freed
        # pays for the memory this one just gave back.
        runs = []
        for _ in range(3):
            done = subprocess.run([sys.executable, str(Path(__file__).with_name("scoring.py")), "--file", str(path),
                                   "--rulebook", rulebook, "--check", str(check)],
                                  capture_output=True, text=True, check=True)
            runs.append(json.loads(done.stdout.splitlines()[-1]))
    d = min(runs, key=lambda run: run["total"][0])
    wall, cpu = d["total"]
    walls = ", ".join(f"{run['total'][0]:.3f}" for run in runs)
    print(f"(d) CSV file to results (flask score's path), {n:,} rows, {size / 2**20:.1f} MB: {wall:.3f} s wall, "
          f"{cpu:.3f} s CPU, best of three fresh processes ({walls} s "
          f"wall; {d['scored']:,} scored, {d['rejected']:,} rejected)")
    parts = [f"{k} {w:.3f} s ({c:.3f} CPU)" for k, (w, c) in [*d["stages"].items(), *d["inner"].items()]
             if k not in ("write the results CSV", "columns (schema rows, merge)")]
    parts.append(f"write the results CSV {d['stages']['write the results CSV'][0]:.3f} s "
                 f"({d['stages']['write the results CSV'][1]:.3f} CPU)")
    print("    stages: " + ", ".join(parts))
    print(f"    peak memory (RSS, fresh process): {d['mb']:.0f} MB, of which {d['mb'] - d['base_mb']:.0f} MB for the "
          f"file's path (the rest is Python, the libraries and the rulebook)")
    print(f"    the API's answer to the same upload (one object per row, built after the checks and evaluation): "
          f"{d['api'][0]:.3f} s wall, {d['api'][1]:.3f} s CPU; same decisions as the table: {d['api_same']}")
    print(f"  (d) under 1 s for {n:,}: {goal(wall < 1)} wall ({wall:.3f} s on this machine's load), "
          f"{goal(cpu < 1)} CPU ({cpu:.3f} s, all threads)")
    print(f"  (d) under 1 GB: {goal(d['mb'] < 1024)} ({d['mb']:.0f} MB)")
    same, checked = d["lines_same"]
    print(f"  (d) identical to the per-row path, results CSV line for line: {goal(same == checked and checked > 0)} "
          f"({same}/{checked} sampled rows, the rejected ones included)")


def high_water_mb() -> float:
    """This process's peak resident memory since its last reset (VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def goal(ok: bool) -> str:
    return "MET" if ok else "NOT MET"
