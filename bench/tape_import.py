"""Time the loan tape import: a checked file, then its loans created through the services.

Run: ``python bench/tape_import.py [N] [--database URL] [--guarantees]`` (default: 200 loans into
a fresh SQLite file). The demo and its story are seeded, their loan tape exported and its rows
repeated N times (without the guarantee unless ``--guarantees``, and with a larger grant budget and
guarantee capacity, so the line's capacity and budget do not bound N); the file is then checked
(``dry_run``, everything rolled back) and imported.
``--database`` is dropped and rebuilt: give it a database of its own. Prints seconds (wall and
CPU) per loan and whether checking and importing a full upload (``tape_import.LIMITS``, 2,000
loans) fits the goal of one minute. On a shared machine the wall time includes waiting for a
core: the CPU time is this process's own work.
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TODAY = dt.date(2026, 11, 17)
GOAL_S = 60


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("loans", nargs="?", type=int, default=200)
    parser.add_argument("--database")
    parser.add_argument("--guarantees", action="store_true",
                        help="keep the tape's guarantees (the line's capacity is raised to hold them)")
    args = parser.parse_args()
    url = args.database or f"sqlite:///{tempfile.mkdtemp(prefix='bench-tape-')}/tape.db"

    from sqlalchemy import select

    from creditline import clock, create_app
    from creditline.auth.models import User
    from creditline.auth.permissions import Actor
    from creditline.creditlines.models import CreditLine
    from creditline.demo import seed_demo
    from creditline.demo_story import seed_story
    from creditline.extensions import db
    from creditline.reports import loan_tape, services, sheets, tape_import

    clock.set_today(TODAY)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": "bench",
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                      "UPLOAD_DIR": tempfile.mkdtemp(prefix="bench-uploads-")})
    with app.app_context():
        db.drop_all()
        db.create_all()
        seed_demo()
        seed_story(TODAY)
        admin = Actor.of(db.session.scalar(select(User).where(User.email == "admin@fund.example")))
        frame = services.tape_report(admin, {"format": "csv"})
        rows = frame.iloc[[n % len(frame) for n in range(args.loans)]].reset_index(drop=True)
        rows["loan_id"] = [f"B{n}" for n in range(args.loans)]
        if not args.guarantees:
            for col in ("guarantee_status", "coverage_share", "guarantee_covered", "guarantee_issued_on"):
                rows[col] = None
        # The repeated grants, like the guarantees, would outgrow the demo line's budget.
        for line in db.session.scalars(select(CreditLine)):
            line.grant_budget *= args.loans // len(frame) + 2
            line.guarantee_capacity *= args.loans // len(frame) + 2
        db.session.commit()
        data = sheets.to_csv(loan_tape.labelled(rows))
        results: dict[str, float] = {}
        cpus: dict[str, float] = {}
        for label, dry in (("check (dry run)", True), ("import", False)):
            t0, c0 = time.perf_counter(), time.process_time()
            summary = tape_import.import_tape(admin, data, "bench.csv", dry_run=dry)
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            results[label], cpus[label] = wall, cpu
            assert summary["rows"] == args.loans
            print(f"{db.engine.dialect.name} {label}: {args.loans:,} loans in {wall:.1f} s "
                  f"({wall / args.loans * 1000:.0f} ms a loan, CPU {cpu:.1f} s)")
        limit = tape_import.LIMITS.max_rows
        for what, spent in (("wall", results), ("CPU", cpus)):
            total = sum(spent.values())
            estimate = total / args.loans * limit
            print(f"check + import, {what}: {total:.1f} s for {args.loans:,} loans, about {estimate:.0f} s for a "
                  f"full upload of {limit:,} ({'meets' if estimate < GOAL_S else 'misses'} the goal of "
                  f"{GOAL_S} s)")


if __name__ == "__main__":
    main()
