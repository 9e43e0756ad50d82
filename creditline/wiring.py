"""How the packages are joined, read top to bottom (the start of issue 12's one wiring module).

Until now the daily job's steps registered themselves when their module happened to be
imported, so the order of the steps was the import order and a module nobody imported silently
dropped its step. Here the steps are one ordered list. The other registries (withdraw guards,
home-page steps, principal reducers, ...) are still filled at import by ``blueprints``; they are
to move here one by one.
"""
from __future__ import annotations

from .jobs import daily


def daily_steps() -> list[tuple[str, daily.Step]]:
    """The daily job's steps, in the order they run."""
    from .housekeeping import housekeeping_step
    from .loans.jobs import loans_step
    from .monitoring.jobs import remind

    return [
        ("monitoring", remind),        # reports due and overdue: reminders to the SME and the NCPC
        ("loans", loans_step),         # days past due and statuses, installments due soon, guarantees released
        ("housekeeping", housekeeping_step),  # ended web sessions and settled idempotency keys removed
    ]


def connect() -> None:
    """Join the packages: fill the daily job's list of steps (idempotent: one app or many)."""
    daily.STEPS[:] = daily_steps()
