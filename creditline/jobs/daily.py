"""The daily job: the steps listed in :mod:`creditline.wiring`, in that order; a day is run once, whoever starts it.

Idempotence comes from three places. Each step computes state from the date (days past due,
what is due or overdue) rather than incrementing anything; notifications carry a dedupe key;
and a ``job_run`` row per day, unique on (job, day), claims the day.

Only one scheduler fires the job: the app starts APScheduler only when
``CREDITLINE_SCHEDULER_ENABLED`` is set (run it in one process, or use ``flask scheduler run``).
Should two runners start the same day anyway, the first statement of a run inserts the day's
``job_run`` row, in the run's own transaction:

- on PostgreSQL a transaction-level advisory lock is taken first, so the second runner waits
  for the first to commit, then finds the day claimed and does nothing;
- on SQLite the insert takes the database's write lock: the second runner waits (the driver's
  busy timeout) and then finds the day claimed, or gives up on the lock; either way it does
  nothing and reports ``skipped``.

A run that fails rolls back its claim with everything else, so the next tick runs the day again.
An operator replays a day on purpose with ``flask jobs run-daily --date D --replay``.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from ..database import utcnow
from ..extensions import db
from ..unit_of_work import unit_of_work
from .models import JobRun

Step = Callable[[date], dict[str, Any]]
# Filled by creditline.wiring.connect() when the app is built: one ordered list, read in one place.
STEPS: list[tuple[str, Step]] = []
LOCK_ID = 7261002


def _claim(day: date, replay: bool) -> JobRun | None:
    """Insert (or, for a replay, update) the day's row as the run's first write; None if it is taken."""
    session = db.session
    if replay:
        run = session.scalar(select(JobRun).where(JobRun.job == "daily", JobRun.run_date == day))
        if run is not None:
            run.started_at = utcnow()
            session.flush()  # the write lock, before any step reads
            return run
    run = JobRun(job="daily", run_date=day, summary={})
    session.add(run)
    try:
        session.flush()
    except (IntegrityError, OperationalError):
        # IntegrityError: the day has been run. OperationalError: SQLite's write lock is held by
        # another runner beyond the busy timeout.
        session.rollback()
        return None
    return run


@unit_of_work
def run_daily(day: date, replay: bool = False) -> dict[str, Any]:
    """Run every step for ``day`` in one transaction, once; return what each step did.

    A second run of a day that has been (or is being) run does nothing and returns
    ``{"skipped": ...}``; ``replay=True`` runs the steps again (they find nothing new to do).
    """
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_ID})
    run = _claim(day, replay)
    if run is None:
        return {"skipped": f"the daily job of {day} has already been run or is running elsewhere"}
    summary: dict[str, Any] = {}
    for name, step in STEPS:
        summary[name] = step(day)
    run.summary = {**(run.summary or {}), **{"last": summary}, "runs": int((run.summary or {}).get("runs", 0)) + 1}
    run.finished_at = utcnow()
    return summary
