"""Daily step for loans: days past due and statuses, installments due within 7 days, guarantee release."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..guarantees.services import release_repaid
from ..jobs.daily import daily_step
from ..notifications.services import queue, users_of
from .arrears_batch import update_all_arrears
from .models import Installment, Loan

DUE_SOON_DAYS = 7


@daily_step("loans")
def loans_step(day: date) -> dict[str, Any]:
    changed = update_all_arrears(day)
    due = 0
    rows = db.session.execute(
        select(Installment, Loan).join(Loan, Loan.id == Installment.loan_id)
        .where(Loan.status.in_(("active", "in_arrears")), Installment.status != "paid",
               Installment.due_date > day, Installment.due_date <= day + timedelta(days=DUE_SOON_DAYS))).all()
    for inst, loan in rows:
        sme_org = loan.proposal.enterprise.organisation_id
        due += queue(users_of(sme_org, "sme") + users_of(loan.bank_id, "bank_officer"), "installment_due",
                     f"Installment {inst.number} of loan {loan.id} is due on {inst.due_date}",
                     f"{loan.currency} {inst.unpaid:,.2f} for '{loan.proposal.title}'.",
                     f"installment_due:{inst.id}:{inst.due_date}", f"/loans/{loan.id}", ("loan", loan.id))
    for loan in changed["now_in_arrears"] + changed["now_defaulted"]:
        due += queue(users_of(loan.bank_id, "bank_officer") + users_of(loan.proposal.enterprise.organisation_id, "sme"),
                     f"loan_{loan.status}", f"Loan {loan.id} is {loan.status.replace('_', ' ')}",
                     f"{loan.days_past_due} days past due on {day}.", f"loan_{loan.status}:{loan.id}",
                     f"/loans/{loan.id}", ("loan", loan.id))
    released = release_repaid(None)
    return {"loans_checked": changed["checked"], "status_changes": changed["status_changes"],
            "notifications": due, "guarantees_released": released}
