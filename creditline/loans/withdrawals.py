"""The proposal side of a loan: a proposal withdrawn takes its loan application with it, never an approved loan.

Linked to the proposal's withdrawal in :mod:`creditline.wiring`.
"""
from __future__ import annotations

from sqlalchemy import select

from ..auth.permissions import Actor
from ..extensions import db
from ..proposals.models import Proposal
from .models import APPROVED_STATES, Loan
from .services import transition


def refuse_withdrawal_after_approval(proposal: Proposal) -> str | None:
    loan = db.session.execute(select(Loan).where(Loan.proposal_id == proposal.id)).scalar_one_or_none()
    if loan is not None and loan.status in APPROVED_STATES:
        return f"loan {loan.id} on this proposal is {loan.status}; an approved loan's proposal cannot be withdrawn"
    return None


def withdraw_applied_loan(actor: Actor, proposal: Proposal) -> None:
    """Withdrawing the proposal withdraws the loan application waiting on it."""
    loan = db.session.execute(select(Loan).where(Loan.proposal_id == proposal.id)).scalar_one_or_none()
    if loan is not None and loan.status == "applied":
        transition(actor, loan, "withdrawn", reason=proposal.withdrawn_reason or "the proposal was withdrawn")
