"""Days past due and arrears status for every loan being repaid, in one vectorised pass.

The daily job reads (loan, due date, unpaid) for every installment already due, computes days
past due with :func:`days_past_due_batch` (the same rule as the one-loan path), and writes back
only the loans whose figures changed, with an audit event per status change. A ``disbursed``
loan whose first installment has fallen due becomes ``active`` first. Running it twice for the
same day finds nothing to change.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import select, update

from ..audit.services import record_many
from ..creditlines.models import CreditLine
from ..extensions import db
from ..finance.allocation import days_past_due_batch
from ..proposals.models import Proposal
from ..rulebooks import registry
from .models import LOAN_LIFECYCLE, SERVICING_STATES, Installment, Loan
from .services import DEFAULT_DEFAULT_AFTER_DAYS

CENT = Decimal("0.01")


def _default_days_by_line() -> dict[int, int]:
    out = {}
    for line_id, book_id, version in db.session.execute(
            select(CreditLine.id, CreditLine.rulebook_id, CreditLine.rulebook_version)):
        book = registry().get(book_id, version)
        out[line_id] = int(book.arrears.get("default_after_days", DEFAULT_DEFAULT_AFTER_DAYS)) if book else \
            DEFAULT_DEFAULT_AFTER_DAYS
    return out


def update_all_arrears(day: date) -> dict[str, Any]:
    """Update every servicing loan as of ``day`` (in the caller's transaction)."""
    # The statuses are written back in bulk from what is read here, so the loans are locked first
    # (PostgreSQL; on SQLite the job's unit of work holds the write lock): a payment recorded
    # meanwhile waits for the job instead of being overwritten by figures read before it.
    loans = db.session.execute(
        select(Loan.id, Loan.status, Loan.days_past_due, Proposal.credit_line_id, Loan.principal_in_arrears)
        .join(Proposal, Proposal.id == Loan.proposal_id).where(Loan.status.in_(SERVICING_STATES))
        .order_by(Loan.id).with_for_update(of=Loan)).all()
    if not loans:
        return {"checked": 0, "status_changes": 0, "moves": []}
    ids = np.fromiter((r[0] for r in loans), dtype=np.int64, count=len(loans))
    status = np.array([r[1] for r in loans], dtype=object)
    stored_dpd = np.fromiter((r[2] or 0 for r in loans), dtype=np.int64, count=len(loans))
    stored_arrears = np.fromiter((round((r[4] or 0) * 100) for r in loans), dtype=np.int64, count=len(loans))
    by_line = _default_days_by_line()
    threshold = np.fromiter((by_line.get(r[3], DEFAULT_DEFAULT_AFTER_DAYS) for r in loans), dtype=np.int64,
                            count=len(loans))
    unpaid = (Installment.principal + Installment.interest + Installment.fee
              - Installment.principal_paid - Installment.interest_paid - Installment.fee_paid)
    # Amounts are whole cents; SQLite sums NUMERIC columns as floats, so a paid installment can
    # leave 2e-13 "unpaid": only a cent or more is owed.
    rows = db.session.execute(
        select(Installment.loan_id, Installment.due_date, Installment.principal - Installment.principal_paid)
        .join(Loan, Loan.id == Installment.loan_id)
        .where(Loan.status.in_(SERVICING_STATES), Installment.due_date < day, unpaid >= CENT)).all()
    position = np.searchsorted(ids, np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)))
    due = np.array([r[1] for r in rows], dtype="datetime64[D]")
    amounts = np.ones(len(rows))  # every row selected is unpaid
    dpd = days_past_due_batch(position, due, amounts, day, n_loans=len(loans))
    # The stored principal in arrears moves on with the day too (loans.balances keeps the rest).
    principal_c = np.fromiter((round(r[2] * 100) for r in rows), dtype=np.int64, count=len(rows))
    arrears = np.bincount(position, weights=principal_c, minlength=len(loans)).astype(np.int64)
    # A disbursed loan stays so until its first due date (or its last tranche, recorded elsewhere).
    fell_due = set(db.session.scalars(
        select(Installment.loan_id).join(Loan, Loan.id == Installment.loan_id)
        .where(Loan.status == "disbursed", Installment.due_date <= day).distinct()))
    waiting = (status == "disbursed") & ~np.isin(ids, np.fromiter(fell_due, dtype=np.int64, count=len(fell_due)))
    new_status = np.where((status == "defaulted") | (dpd > threshold), "defaulted",
                          np.where(dpd > 0, "in_arrears", "active")).astype(object)
    new_status[waiting] = "disbursed"
    changed = np.flatnonzero((dpd != stored_dpd) | (new_status != status) | (arrears != stored_arrears))
    if changed.size:
        db.session.execute(update(Loan), [{"id": int(ids[k]), "days_past_due": int(dpd[k]),
                                           "status": str(new_status[k]), "arrears_as_of": day,
                                           "principal_in_arrears": Decimal(int(arrears[k])) / 100,
                                           "balances_as_of": day} for k in changed])
    moved = [k for k in changed if new_status[k] != status[k]]
    events = []
    for k in moved:
        path = [status[k]]
        if path[-1] == "disbursed":
            path.append("active")
        if path[-1] == "active" and new_status[k] == "defaulted":
            path.append("in_arrears")
        if path[-1] != new_status[k]:
            path.append(new_status[k])
        for a, b in zip(path, path[1:]):
            LOAN_LIFECYCLE.check(a, b)
            events.append((f"loan.{b}", "loan", int(ids[k]), {"status": a},
                           {"status": b, "days_past_due": int(dpd[k]), "as_of": day.isoformat()}))
    record_many(None, events)
    db.session.expire_all()
    # ``since``: the oldest unpaid due date, which names the arrears episode (a loan that falls
    # behind again later starts a new episode and is announced again).
    moves = [{"loan_id": int(ids[k]), "status": str(new_status[k]), "days_past_due": int(dpd[k]),
              "since": (day - timedelta(days=int(dpd[k]))).isoformat()} for k in moved]
    return {"checked": len(loans), "status_changes": len(moved), "moves": moves}
