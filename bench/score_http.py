"""Throughput of the what-if over HTTP: ``POST /api/v1/score`` on gunicorn, many clients at once.

    python bench/score_http.py [--workers 2] [--clients 20] [--seconds 15] [--database URL]

Seeds the demo into a fresh SQLite file in a temporary folder (or the given empty database),
starts ``gunicorn -w 2 wsgi:app`` on a free local port, signs the textile SME in with a bearer
token, then keeps ``--clients`` threads posting what-if bodies (the design's dyeing proposal with
its savings varied, so no two bodies are alike) for ``--seconds`` after a warm-up. Prints the
requests a second and the 50th / 95th percentile latency against the goals (at least 400 a
second, p95 under 100 ms, at 20 clients on two workers). The load generator runs on the same
machine and takes CPU from the workers: the figures are a lower bound.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from factories import proposal_body  # noqa: E402

SME = "owner@textile.example"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(database: str, env: dict[str, str]) -> tuple[str, int, int]:
    """Seed the demo; return a bearer token for the SME, its enterprise id and the demo line id."""
    os.environ.update(env)
    from sqlalchemy import select

    from creditline import create_app
    from creditline.auth.models import User
    from creditline.auth.services import issue_token
    from creditline.creditlines.models import CreditLine
    from creditline.demo import seed_demo
    from creditline.enterprises.models import Enterprise
    from creditline.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database})
    with app.app_context():
        db.create_all()
        seed_demo()
        user = db.session.execute(select(User).where(User.email == SME)).scalar_one()
        token, _ = issue_token(user)
        enterprise = db.session.execute(select(Enterprise.id).where(
            Enterprise.organisation_id == user.organisation_id)).scalars().first()
        line = db.session.execute(select(CreditLine.id)).scalars().first()
        db.session.commit()
    return token, int(enterprise), int(line)


def start_server(port: int, workers: int, env: dict[str, str]) -> subprocess.Popen:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen([str(gunicorn), "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
                             "wsgi:app"], cwd=ROOT, env={**os.environ, **env})
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.terminate()
    raise SystemExit("gunicorn did not start")


def client(port: int, headers: dict[str, str], bodies: list[bytes], stop: float, out: list[float],
           errors: list[int]) -> None:
    k = 0
    while time.perf_counter() < stop:
        body = bodies[k % len(bodies)]
        k += 1
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        t0 = time.perf_counter()
        try:
            conn.request("POST", "/api/v1/score", body=body, headers=headers)
            res = conn.getresponse()
            res.read()
            status = res.status
        except (OSError, http.client.HTTPException):
            status = 0  # refused, reset or timed out: counted as a failure, not a latency
        finally:
            conn.close()
        if status != 200:
            errors.append(status)
            continue
        out.append(time.perf_counter() - t0)


def load(port: int, headers: dict[str, str], bodies: list[bytes], clients: int, seconds: float) -> list[float]:
    latencies: list[float] = []
    errors: list[int] = []
    stop = time.perf_counter() + seconds
    threads = [threading.Thread(target=client, args=(port, headers, bodies, stop, latencies, errors))
               for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        print(f"{len(errors)} requests failed (e.g. {errors[0] or 'no answer'}); latencies are of the others")
    return latencies


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--database", default=None, help="an empty database URL (default: a temporary SQLite file)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        database = args.database or f"sqlite:///{folder}/bench.db"
        env = {"CREDITLINE_DATABASE_URL": database, "CREDITLINE_SECRET_KEY": "bench-" + os.urandom(8).hex(),
               "CREDITLINE_UPLOAD_DIR": f"{folder}/evidence"}
        token, enterprise, line = prepare(database, env)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        bodies = [json.dumps(proposal_body(line, enterprise, annual_savings=f"{20000 + 37 * k}.00")).encode()
                  for k in range(200)]
        port = free_port()
        server = start_server(port, args.workers, env)
        try:
            load(port, headers, bodies, args.clients, 2.0)  # warm-up: imports, first connections
            latencies = load(port, headers, bodies, args.clients, args.seconds)
        finally:
            server.terminate()
            server.wait(timeout=30)
    rate = len(latencies) / args.seconds
    cuts = statistics.quantiles(latencies, n=100)
    p50, p95 = cuts[49] * 1e3, cuts[94] * 1e3
    print(f"POST /api/v1/score: {len(latencies):,} requests in {args.seconds:g} s on {args.workers} gunicorn "
          f"workers, {args.clients} clients: {rate:.0f} requests a second, p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    print(f"goals: at least 400 a second: {'MET' if rate >= 400 else 'NOT MET'}; "
          f"p95 under 100 ms: {'MET' if p95 < 100 else 'NOT MET'}")


if __name__ == "__main__":
    main()
