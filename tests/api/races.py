"""Fire requests at once: one thread, test client and app context (so one session) each, released together."""
from __future__ import annotations

import threading
from typing import Any

from flask import Flask


def race_calls(app: Flask, calls: list[tuple[str, dict[str, str], Any]]) -> list[tuple[int, Any]]:
    """POST each (path, headers, json body) from its own thread at the same moment; return (status, body) in order."""
    barrier = threading.Barrier(len(calls))
    results: list[tuple[int, Any]] = [(0, None)] * len(calls)

    def one(n: int, path: str, headers: dict[str, str], body: Any) -> None:
        client = app.test_client()
        barrier.wait()
        res = client.post(path, headers=headers, json=body)
        results[n] = (res.status_code, res.get_json(silent=True))
    threads = [threading.Thread(target=one, args=(n, *call)) for n, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def race(app: Flask, headers: dict[str, str], paths: list[str], body: Any) -> list[int]:
    """Fire one request per path at once, all with the same headers and body; return the sorted statuses."""
    return sorted(status for status, _ in race_calls(app, [(path, headers, body) for path in paths]))


def audit_chain_ok(app: Flask) -> bool:
    """Walk the audit chain (``flask audit verify``): still one line, however many wrote at once."""
    return app.test_cli_runner().invoke(args=["audit", "verify"]).exit_code == 0
