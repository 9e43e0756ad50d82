"""Daily step for loans: days past due and statuses, installments due within 7 days, then what follows them."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..enterprises.models import Enterprise
from ..notifications.services import Message, queue_many, users_of
from ..proposals.models import Proposal
from .arrears_batch import update_all_arrears
from .models import Installment, Loan

DUE_SOON_DAYS = 7
# What follows the loans' new statuses in the same step, each counted in its summary under its name (the
# guarantees of repaid loans released); filled by creditline.wiring.
FOLLOW_UPS: list[tuple[str, Callable[[], int]]] = []


def loans_step(day: date) -> dict[str, Any]:
    changed = update_all_arrears(day)
    members: dict[tuple[int, str], list[int]] = {}

    def people(org: int, role: str) -> list[int]:
        if (org, role) not in members:
            members[(org, role)] = users_of(org, role)
        return members[(org, role)]
    messages = []
    rows = db.session.execute(
        select(Installment, Loan.id, Loan.currency, Loan.bank_id, Proposal.title, Enterprise.organisation_id)
        .join(Loan, Loan.id == Installment.loan_id).join(Proposal, Proposal.id == Loan.proposal_id)
        .join(Enterprise, Enterprise.id == Proposal.enterprise_id)
        .where(Loan.status.in_(("disbursed", "active", "in_arrears")), Installment.status != "paid",
               Installment.due_date > day, Installment.due_date <= day + timedelta(days=DUE_SOON_DAYS))).all()
    for inst, loan_id, currency, bank_id, title, sme_org in rows:
        messages.append(Message(people(sme_org, "sme") + people(bank_id, "bank_officer"), "installment_due",
                                f"Installment {inst.number} of loan {loan_id} is due on {inst.due_date}",
                                f"{currency} {inst.unpaid:,.2f} for '{title}'.",
                                f"installment_due:{inst.id}:{inst.due_date}", f"/loans/{loan_id}", ("loan", loan_id)))
    moved = {m["loan_id"]: m for m in changed["moves"] if m["status"] != "active"}
    parties = db.session.execute(
        select(Loan.id, Loan.bank_id, Enterprise.organisation_id).join(Proposal, Proposal.id == Loan.proposal_id)
        .join(Enterprise, Enterprise.id == Proposal.enterprise_id).where(Loan.id.in_(list(moved)))).all() if moved else []
    for loan_id, bank_id, sme_org in parties:
        m = moved[loan_id]
        messages.append(Message(people(bank_id, "bank_officer") + people(sme_org, "sme"), f"loan_{m['status']}",
                                f"Loan {loan_id} is {m['status'].replace('_', ' ')}",
                                f"{m['days_past_due']} days past due on {day}.",
                                f"loan_{m['status']}:{loan_id}:{m['since']}",
                                f"/loans/{loan_id}", ("loan", loan_id)))
    due = queue_many(messages)
    return {"loans_checked": changed["checked"], "status_changes": changed["status_changes"],
            "notifications": due, **{name: follow_up() for name, follow_up in FOLLOW_UPS}}
