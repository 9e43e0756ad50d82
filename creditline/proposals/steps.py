"""Home-page next steps for proposals: what each role has waiting."""
from __future__ import annotations

from flask import url_for

from ..auth.permissions import Actor
from ..enterprises.models import Enterprise
from ..home import NextStep, visible_count
from .models import Proposal


def proposal_steps(actor: Actor) -> list[NextStep]:
    """Tell SMEs about drafts and verifiers about reviews waiting."""
    steps: list[NextStep] = []
    if actor.has("sme"):
        has_enterprise = visible_count(Enterprise, actor)
        if not has_enterprise:
            steps.append(NextStep("Register your enterprise", "Size, sector and ownership decide which lines you can use.",
                                  url_for("enterprises.form")))
        drafts = visible_count(Proposal, actor, Proposal.status == "draft")
        steps.append(NextStep("Finish and submit your drafts" if drafts else "Draft a proposal",
                              "A draft can be saved incomplete; the what-if panel scores it as you type.",
                              url_for("proposals.index", status="draft") if drafts else url_for("proposals.new"),
                              drafts or None))
    if actor.has("verifier", "senior_verifier"):
        waiting = visible_count(Proposal, actor, Proposal.status == "eligible")
        steps.append(NextStep("Technical reviews waiting", "Confirm or correct the baseline of eligible proposals.",
                              url_for("proposals.review_queue"), waiting or None))
    return steps
