"""Home-page next steps for proposals: what each role has waiting."""
from __future__ import annotations

from flask import url_for
from sqlalchemy import func, select

from ..auth.permissions import Actor, visible
from ..enterprises.models import Enterprise
from ..extensions import db
from ..home import NextStep
from .models import Proposal


def _count(actor: Actor, *conditions) -> int:  # type: ignore[no-untyped-def]
    stmt = visible(Proposal, actor, select(func.count(Proposal.id)))
    for c in conditions:
        stmt = stmt.where(c)
    return db.session.scalar(stmt) or 0


def proposal_steps(actor: Actor) -> list[NextStep]:
    """Tell SMEs about drafts and verifiers about reviews waiting."""
    steps: list[NextStep] = []
    if actor.has("sme"):
        has_enterprise = db.session.scalar(visible(Enterprise, actor, select(func.count(Enterprise.id))))
        if not has_enterprise:
            steps.append(NextStep("Register your enterprise", "Size, sector and ownership decide which lines you can use.",
                                  url_for("enterprises.form")))
        drafts = _count(actor, Proposal.status == "draft")
        steps.append(NextStep("Finish and submit your drafts" if drafts else "Draft a proposal",
                              "A draft can be saved incomplete; the what-if panel scores it as you type.",
                              url_for("proposals.index", status="draft") if drafts else url_for("proposals.new"),
                              drafts or None))
    if actor.has("verifier", "senior_verifier"):
        waiting = _count(actor, Proposal.status == "eligible")
        steps.append(NextStep("Technical reviews waiting", "Confirm or correct the baseline of eligible proposals.",
                              url_for("proposals.review_queue"), waiting or None))
    return steps
