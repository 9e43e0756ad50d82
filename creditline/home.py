"""The home page: per role, what the user can do next."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from typing import Any

from flask import Blueprint, render_template
from flask_login import login_required
from sqlalchemy import func, select

from .auth.current import current_actor
from .auth.permissions import Actor, visible
from .extensions import db

bp = Blueprint("home", __name__)


@dataclass(frozen=True)
class NextStep:
    title: str
    detail: str
    url: str | None = None
    count: int | None = None
    # (label, value) pairs shown under the title, for a step that is a position rather than a task.
    figures: tuple[tuple[str, str], ...] = ()


def visible_count(model: Any, actor: Actor, *conditions: Any) -> int:
    """How many rows of ``model`` the actor may see meet ``conditions``: a step's count, as its link lists them."""
    return db.session.scalar(visible(model, actor, select(func.count(model.id))).where(*conditions)) or 0


# Each domain package offers a provider, (actor) -> steps for the roles it serves; creditline.wiring lists them.
StepProvider = Callable[[Actor], list[NextStep]]
STEP_PROVIDERS: list[StepProvider] = []

ROLE_LABELS = {"sme": "SME", "bank_officer": "Bank officer", "credit_committee": "Credit committee",
               "verifier": "Verifier", "senior_verifier": "Senior verifier", "fund_admin": "Fund administrator",
               "auditor": "Auditor"}
ROLE_SUMMARY = {
    "sme": "Register your enterprise, draft and submit proposals, follow your loan and report monitoring data.",
    "bank_officer": "Screen eligible applications sent to your bank, propose loan terms, record disbursements and repayments.",
    "credit_committee": "Approve or decline loans proposed by your officers, and confirm or decline their write-offs (never your own).",
    "verifier": "Review baselines of eligible proposals and the monitoring data of financed projects.",
    "senior_verifier": "Confirm or reject verifications proposed by another verifier.",
    "fund_admin": "Manage credit lines, rulebooks, guarantee capacity and the grant budget; approve grants.",
    "auditor": "Read everything in your scope and the audit trail; you change nothing.",
}


# The home page shows the newest unread few; the inbox lists them all.
HOME_NOTIFICATIONS = 5


def next_steps(actor: Actor) -> list[NextStep]:
    """Collect the next steps every package offers this actor."""
    steps: list[NextStep] = []
    for provider in STEP_PROVIDERS:
        steps.extend(provider(actor))
    return steps


@bp.route("/")
@login_required
def index():
    actor = current_actor()
    summaries = [(role, ROLE_LABELS[role], ROLE_SUMMARY[role]) for role in sorted(actor.roles) if role in ROLE_SUMMARY]
    from .notifications.services import unread

    return render_template("home.html", summaries=summaries, steps=next_steps(actor), notifications=unread(actor, limit=HOME_NOTIFICATIONS))
