"""Time the loan maths over a realistic book: schedules and the daily days-past-due job.

Run: ``python bench/loans.py [N] [--database-url URL] [--skip-daily-job]`` (N = 100,000 loans by
default; ``--help`` lists the options). Generation and loading are not timed. The daily job is
timed on a fresh SQLite file, and also on ``--database-url`` (or
``CREDITLINE_BENCH_DATABASE_URL``) when given, e.g. PostgreSQL. The last lines say whether the
goals are met: every schedule built in under 2 s, the daily job in under 10 s.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from creditline.finance.allocation import (arrears_status_batch, days_past_due,  # noqa: E402
                                           days_past_due_batch)
from creditline.finance.schedules import FREQUENCIES, build_schedule  # noqa: E402
from creditline.finance.schedules_batch import build_schedules, installments  # noqa: E402

FREQUENCY_MIX = {"monthly": 0.6, "quarterly": 0.25, "semiannual": 0.1, "annual": 0.05}
SCHEDULES_GOAL_S = 2.0
DAILY_JOB_GOAL_S = 10.0


def timed(fn: Callable[[], Any], repeat: int = 3) -> tuple[Any, float, float]:
    """Run ``fn`` a few times; return the last result, the first and the best seconds."""
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return result, times[0], min(times)


def generate_loans(n_loans: int, seed: int = 11) -> pd.DataFrame:
    """A green credit line's book: 1-7 year tenors, some grace, USD 10k-2M, 0-15% rates."""
    rng = np.random.default_rng(seed)
    frequency = rng.choice(list(FREQUENCY_MIX), n_loans, p=list(FREQUENCY_MIX.values()))
    step = pd.Series(frequency).map(FREQUENCIES).to_numpy()
    tenor = rng.integers(1, 8, n_loans) * 12
    grace = np.minimum(rng.integers(0, 13, n_loans) // step * step, tenor - step)
    grace[rng.random(n_loans) < 0.5] = 0
    return pd.DataFrame({
        "principal": np.round(rng.uniform(10_000, 2_000_000, n_loans), 2),
        "annual_rate": np.round(rng.uniform(0, 0.15, n_loans), 4),
        "tenor_months": tenor,
        "grace_months": grace,
        "frequency": frequency,
        "method": rng.choice(["annuity", "equal_principal"], n_loans, p=[0.7, 0.3]),
        "start": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 730, n_loans),
                                                              unit="D"),
        "fee": np.round(rng.choice([0.0, 0.0, 10.0, 25.5], n_loans), 2),
    })


def bench_schedules(loans: pd.DataFrame) -> float:
    """Time ``build_schedules``; check a sample against the scalar path; return the best of three runs."""
    schedules, first, best = timed(lambda: build_schedules(loans))
    print(f"build_schedules: {len(loans):,} loans -> {len(schedules):,} installments: "
          f"first {first:.3f} s, best {best:.3f} s (goal < 2 s)")
    sample = np.random.default_rng(2).choice(len(loans), size=min(200, len(loans)),
                                             replace=False)
    t0 = time.perf_counter()
    for i in sample:
        row = loans.iloc[i]
        single = build_schedule(row.principal, row.annual_rate, int(row.tenor_months),
                                int(row.grace_months), row.frequency, row.method,
                                row.start.date(), row.fee)
        if single != installments(schedules, loans.index[i]):
            raise SystemExit(f"loan {i}: batch schedule differs from build_schedule")
    per_loan = (time.perf_counter() - t0) / len(sample) * 1000
    print(f"  scalar path identical on {len(sample)} sampled loans "
          f"({per_loan:.2f} ms per loan incl. the frame look-up)")
    # What the loan services pay for one schedule (CPU seconds: the machine may be shared).
    terms = [(r.principal, r.annual_rate, int(r.tenor_months), int(r.grace_months), r.frequency, r.method,
              r.start.date(), r.fee) for r in (loans.iloc[i] for i in sample)]
    t0 = time.process_time()
    for _ in range(5):
        for args in terms:
            build_schedule(*args)
    print(f"  build_schedule alone (one loan, the services' path): "
          f"{(time.process_time() - t0) / (5 * len(terms)) * 1e6:.0f} µs CPU per loan")
    return best


def generate_installments(n_loans: int, per_loan: int = 12,
                          seed: int = 12) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A year of monthly installments per loan, rows shuffled; ~8% of loans are behind."""
    rng = np.random.default_rng(seed)
    loan = np.repeat(np.arange(n_loans), per_loan)
    first = np.datetime64("2025-01-01") + rng.integers(0, 28, n_loans)
    months = np.tile(np.arange(per_loan), n_loans).astype("timedelta64[M]")
    due = (first.astype("datetime64[M]")[loan] + months).astype("datetime64[D]") + (
        first - first.astype("datetime64[M]").astype("datetime64[D]"))[loan]
    behind_from = np.where(rng.random(n_loans) < 0.08, rng.integers(0, per_loan, n_loans),
                           per_loan)
    unpaid = np.where(np.tile(np.arange(per_loan), n_loans) >= behind_from[loan],
                      rng.integers(1, 10**7, loan.size), 0)
    order = rng.permutation(loan.size)
    return loan[order], due[order], unpaid[order]


def bench_days_past_due(n_loans: int) -> np.ndarray:
    """Time the daily job: days past due and arrears status for every loan."""
    loan, due, unpaid = generate_installments(n_loans)
    as_of = dt.date(2025, 10, 15)
    dpd, first, best = timed(lambda: days_past_due_batch(loan, due, unpaid, as_of, n_loans))
    print(f"days_past_due_batch: {n_loans:,} loans x 12 installments ({loan.size:,} rows): "
          f"first {first:.3f} s, best {best:.3f} s")
    current = np.full(n_loans, "active", dtype=object)
    status, _, best = timed(lambda: arrears_status_batch(dpd, 90, current))
    counts = pd.Series(status).value_counts().to_dict()
    print(f"arrears_status_batch: best {best:.3f} s -> {counts}")
    for i in np.random.default_rng(3).choice(n_loans, size=min(200, n_loans), replace=False):
        rows = loan == i
        pairs = [(d.astype(dt.date), int(u)) for d, u in zip(due[rows], unpaid[rows])]
        if days_past_due(pairs, as_of) != dpd[i]:
            raise SystemExit(f"loan {i}: days_past_due_batch differs from days_past_due")
    print("  scalar days_past_due identical on 200 sampled loans")
    return dpd


def bench_daily_job(n_loans: int, db_url: str) -> float:
    """The daily job over ``n_loans`` active loans with a year of installments and payments in a database."""
    import os
    import tempfile
    from decimal import Decimal

    from sqlalchemy import insert, select, text

    from creditline import create_app
    from creditline.auth.models import User
    from creditline.creditlines.models import CreditLine
    from creditline.demo import seed_demo
    from creditline.enterprises.models import Enterprise
    from creditline.extensions import db
    from creditline.jobs.daily import run_daily
    from creditline.loans.models import Installment, Loan, Payment
    from creditline.proposals.models import Proposal

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "TESTING": True, "SECRET_KEY": "bench",
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                      "UPLOAD_DIR": tempfile.mkdtemp(prefix="bench-uploads-")})
    with app.app_context():
        db.drop_all()
        db.create_all()
        seed_demo()
        officer = db.session.scalar(select(User.id).where(User.email == "officer@bank.example"))
        owner = db.session.scalar(select(User.id).where(User.email == "owner@textile.example"))
        ent = db.session.scalar(select(Enterprise.id))
        line = db.session.scalar(select(CreditLine))
        bank = line.banks[0].id
        as_of = dt.date(2026, 11, 15)
        rng = np.random.default_rng(5)
        t0 = time.perf_counter()
        chunk = 20_000
        first_pid = (db.session.scalar(select(db.func.max(Proposal.id))) or 0) + 1
        first_lid = (db.session.scalar(select(db.func.max(Loan.id))) or 0) + 1
        for start in range(0, n_loans, chunk):
            ids = range(start, min(start + chunk, n_loans))
            db.session.execute(insert(Proposal), [dict(id=first_pid + i, enterprise_id=ent, credit_line_id=line.id,
                                                        title=f"bench {i}", created_by=owner, status="eligible",
                                                        bank_id=bank, currency="USD") for i in ids])
            db.session.execute(insert(Loan), [dict(id=first_lid + i, proposal_id=first_pid + i, bank_id=bank,
                                                   currency="USD", principal=Decimal("12000.00"),
                                                   annual_rate=Decimal("0.1"), tenor_months=12, frequency="monthly",
                                                   method="equal_principal", proposed_by=officer, status="active",
                                                   start_date=dt.date(2025, 11, 1)) for i in ids])
            # Twelve monthly installments over the past year; most paid, some loans behind.
            behind = rng.integers(0, 6, size=len(ids)) * (rng.random(len(ids)) < 0.15)
            inst, pays = [], []
            for k, i in enumerate(ids):
                for n in range(1, 13):
                    due = dt.date(2025, 11, 1) + dt.timedelta(days=30 * n)
                    paid = due <= as_of and n <= 12 - behind[k]
                    inst.append(dict(loan_id=first_lid + i, number=n, due_date=due, principal=Decimal("1000.00"),
                                     interest=Decimal("50.00"), fee=Decimal("0.00"),
                                     balance_after=Decimal(12000 - 1000 * n), status="paid" if paid else "scheduled",
                                     principal_paid=Decimal("1000.00") if paid else Decimal("0"),
                                     interest_paid=Decimal("50.00") if paid else Decimal("0"), fee_paid=Decimal("0")))
                    if paid:
                        pays.append(dict(loan_id=first_lid + i, amount=Decimal("1050.00"), currency="USD",
                                         value_date=due, allocation={}, created_by=officer))
            db.session.execute(insert(Installment), inst)
            db.session.execute(insert(Payment), pays)
            db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        print(f"daily job on {db.engine.dialect.name}: loaded {n_loans:,} loans, {n_loans * 12:,} installments "
              f"and their payments in {time.perf_counter() - t0:.1f} s")
        t1 = time.perf_counter()
        first = run_daily(as_of)
        t2 = time.perf_counter()
        again = run_daily(as_of, replay=True)
        t3 = time.perf_counter()
        print(f"  first run {t2 - t1:.2f} s: {first['loans']}")
        print(f"  replay of the same day {t3 - t2:.2f} s: {again['loans']}")
        db.session.remove()
    if db_url.startswith("sqlite:///") and os.environ.get("KEEP_BENCH_DB") is None:
        os.unlink(db_url.removeprefix("sqlite:///"))
    return t2 - t1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Time loan schedules and the daily job over a generated book.")
    parser.add_argument("loans", nargs="?", type=int, default=100_000, help="number of loans (default 100,000)")
    parser.add_argument("--database-url", default=os.environ.get("CREDITLINE_BENCH_DATABASE_URL"),
                        help="also time the daily job on this database, e.g. postgresql+psycopg://... "
                             "(default: $CREDITLINE_BENCH_DATABASE_URL)")
    parser.add_argument("--skip-daily-job", action="store_true",
                        help="time the schedules and days past due only (loading SQLite takes a while)")
    args = parser.parse_args(argv)
    if args.loans < 1:
        parser.error("loans must be at least 1")
    return args


def verdict(name: str, seconds: float, goal: float) -> bool:
    ok = seconds < goal
    print(f"goal {name} < {goal:g} s: {'met' if ok else 'NOT met'} ({seconds:.2f} s)")
    return ok


def main(argv: list[str] | None = None) -> int:
    import tempfile

    args = parse_args(argv)
    results = [("schedules", bench_schedules(generate_loans(args.loans)), SCHEDULES_GOAL_S)]
    bench_days_past_due(args.loans)
    if not args.skip_daily_job:
        sqlite_path = os.path.join(tempfile.mkdtemp(prefix="bench-"), "loans.db")
        results.append(("daily job on SQLite", bench_daily_job(args.loans, f"sqlite:///{sqlite_path}"),
                        DAILY_JOB_GOAL_S))
        if args.database_url:
            results.append(("daily job on " + args.database_url.split(":", 1)[0],
                            bench_daily_job(args.loans, args.database_url), DAILY_JOB_GOAL_S))
        else:
            print("pass --database-url postgresql+psycopg://... to time the daily job on PostgreSQL too")
    met = [verdict(name, seconds, goal) for name, seconds, goal in results]
    return 0 if all(met) else 1


if __name__ == "__main__":
    sys.exit(main())
