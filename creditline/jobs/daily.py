"""The daily job: every package registers a step; running a day twice changes nothing more.

Idempotence comes from two places. Each step computes state from the date (days past due,
what is due or overdue) rather than incrementing anything, and notifications carry a dedupe
key. A ``job_run`` row per day also records the run; a replay of the same day re-checks and
finds nothing new to do.

Only one scheduler fires the job: the app starts APScheduler only when
``CREDITLINE_SCHEDULER_ENABLED`` is set (run it in one process, or use ``flask scheduler run``),
and on PostgreSQL the run additionally takes a transaction-level advisory lock, so two
schedulers started by mistake still run the day one after the other, the second finding
nothing to do.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import select, text

from ..database import utcnow
from ..extensions import db
from .models import JobRun

Step = Callable[[date], dict[str, Any]]
STEPS: list[tuple[str, Step]] = []
LOCK_ID = 7261002


def daily_step(name: str) -> Callable[[Step], Step]:
    """Register a step of the daily job (it runs in the job's transaction and returns counts)."""
    def register(fn: Step) -> Step:
        STEPS.append((name, fn))
        return fn
    return register


def run_daily(day: date) -> dict[str, Any]:
    """Run every step for ``day`` in one transaction; return what each step did."""
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_ID})
    run = session.scalar(select(JobRun).where(JobRun.job == "daily", JobRun.run_date == day))
    if run is None:
        run = JobRun(job="daily", run_date=day)
        session.add(run)
    summary: dict[str, Any] = {}
    for name, step in STEPS:
        summary[name] = step(day)
    run.summary = {**(run.summary or {}), **{"last": summary}, "runs": int((run.summary or {}).get("runs", 0)) + 1}
    run.finished_at = utcnow()
    session.commit()
    return summary
