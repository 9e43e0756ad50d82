"""CPU per ``POST /api/v1/score`` in process, and where it goes.

    python bench/score_profile.py [--requests 2000] [--top 30] [--database URL]

Seeds the demo into a fresh SQLite file (or the given empty database), signs the textile SME in
with a bearer token, then posts what-if bodies through the Flask test client: first untimed (the
warm-up), then ``--requests`` times measuring process CPU seconds, then the same again under
cProfile to list the top costs by cumulative and by own time. On a shared machine the CPU
seconds a request costs are the reliable figure (wall time depends on the neighbours); the HTTP
goal of 400 requests a second on two workers needs at most 5 ms of CPU a request, gunicorn
included.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from score_http import prepare  # noqa: E402
from factories import proposal_body  # noqa: E402

GOAL_MS = 5.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--no-profile", action="store_true", help="only the CPU figure, without cProfile")
    ap.add_argument("--database", default=None, help="an empty database URL (default: a temporary SQLite file)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        database = args.database or f"sqlite:///{folder}/bench.db"
        env = {"CREDITLINE_DATABASE_URL": database, "CREDITLINE_SECRET_KEY": "bench-" + os.urandom(8).hex(),
               "CREDITLINE_UPLOAD_DIR": f"{folder}/evidence"}
        token, enterprise, line = prepare(database, env)
        from creditline import create_app

        app = create_app({"SQLALCHEMY_DATABASE_URI": database})
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        bodies = [json.dumps(proposal_body(line, enterprise, annual_savings=f"{20000 + 37 * k}.00")).encode()
                  for k in range(200)]

        def run(n: int) -> None:
            for k in range(n):
                res = client.post("/api/v1/score", data=bodies[k % len(bodies)], headers=headers)
                if res.status_code != 200:
                    raise SystemExit(f"POST /api/v1/score answered {res.status_code}: {res.get_data(as_text=True)}")

        run(200)  # warm-up: imports, caches, first connection
        t0 = time.process_time()
        run(args.requests)
        cpu_ms = (time.process_time() - t0) * 1e3 / args.requests
        if not args.no_profile:
            profile = cProfile.Profile()
            profile.enable()
            run(args.requests)
            profile.disable()
            stats = pstats.Stats(profile)
            stats.sort_stats("cumulative").print_stats(args.top)
            stats.sort_stats("tottime").print_stats(args.top)
    print(f"POST /api/v1/score in process: {cpu_ms:.2f} ms CPU a request over {args.requests:,} requests "
          f"(Flask test client, no gunicorn)")
    print(f"goal: at most {GOAL_MS:g} ms CPU a request (400 a second on two workers, gunicorn included): "
          f"{'MET' if cpu_ms <= GOAL_MS else 'NOT MET'}")


if __name__ == "__main__":
    main()
