"""Home-page steps for an SME between submitting a proposal and receiving the loan.

The SME otherwise sees nothing while others act (scoring, the NCPC's review, the bank's terms, the
committee, the first tranche): each proposal in flight says whose move it is.
"""
from __future__ import annotations

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..auth.permissions import Actor, visible
from ..home import NextStep
from ..extensions import db
from ..proposals.models import Proposal
from .models import Loan

# The proposal's status, while no loan exists: (the state in words, whose move it is).
WAITING_ON = {
    "submitted": ("is being scored", "The rulebook scores it on submission; the result follows shortly."),
    "scored": ("is being scored", "The rulebook scores it on submission; the result follows shortly."),
    "referred": ("was referred", "A person decides referred proposals: {bank} or the fund reviews it."),
    "eligible": ("is eligible", "{bank} screens it and proposes loan terms; the NCPC reviews the baseline."),
    "technically_reviewed": ("passed the NCPC's technical review", "{bank} screens it and proposes loan terms."),
    "ineligible": ("is not eligible", "Read why on the assessment; edit the proposal and submit it again."),
}
# The loan's status before any money is paid out: whose move it is.
LOAN_WAITING_ON = {
    "applied": ("terms proposed", "{bank}'s credit committee approves or declines the terms."),
    "approved": ("approved", "{bank} pays out the first tranche; the repayment schedule starts then."),
}
MAX_SHOWN = 5


def application_steps(actor: Actor) -> list[NextStep]:
    """For SMEs: each submitted proposal not yet paid out, and who acts next."""
    if not actor.has("sme"):
        return []
    rows = db.session.execute(
        visible(Proposal, actor, select(Proposal, Loan).outerjoin(Loan, Loan.proposal_id == Proposal.id))
        .where(Proposal.status.in_(tuple(WAITING_ON)))
        .where((Loan.id.is_(None)) | Loan.status.in_(tuple(LOAN_WAITING_ON)))
        .options(selectinload(Proposal.bank)).order_by(Proposal.id).limit(MAX_SHOWN)).all()
    steps = []
    for proposal, loan in rows:
        bank = proposal.bank.name if proposal.bank else "The partner bank"
        if loan is not None:
            state, detail = LOAN_WAITING_ON[loan.status]
            steps.append(NextStep(f"Loan {loan.id} for “{proposal.title}”: {state}", detail.format(bank=bank),
                                  url_for("loans.detail", loan_id=loan.id)))
            continue
        state, detail = WAITING_ON[proposal.status]
        steps.append(NextStep(f"Proposal P{proposal.id} “{proposal.title}” {state}", detail.format(bank=bank),
                              url_for("proposals.detail", proposal_id=proposal.id)))
    return steps
