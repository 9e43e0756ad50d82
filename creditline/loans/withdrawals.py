"""The proposal side of a loan: a proposal withdrawn or reopened takes its loan application with it; an
approved loan fixes the proposal (neither withdrawn nor revised).

Linked to the proposal's withdrawal in :mod:`creditline.wiring`.
"""
from __future__ import annotations

from sqlalchemy import select

from ..auth.permissions import Actor
from ..extensions import db
from ..proposals.models import Proposal
from ..vocabulary import label
from .models import APPROVED_STATES, Loan
from .services import transition


def approved_loan(proposal: Proposal) -> str | None:
    """The approved loan that fixes the proposal's figures, in words, or None."""
    loan = db.session.execute(select(Loan).where(Loan.proposal_id == proposal.id)).scalar_one_or_none()
    if loan is not None and loan.status in APPROVED_STATES:
        return f"loan L{loan.id} on this proposal is {label(loan.status).lower()}"
    return None


def withdraw_applied_loan(actor: Actor, proposal: Proposal, reason: str) -> None:
    """Withdrawing or reopening the proposal withdraws the loan application that rested on it."""
    loan = db.session.execute(select(Loan).where(Loan.proposal_id == proposal.id)).scalar_one_or_none()
    if loan is not None and loan.status == "applied":
        transition(actor, loan, "withdrawn", reason=reason)
