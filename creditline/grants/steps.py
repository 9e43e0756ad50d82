"""Home-page next steps for grants: which grants wait on the fund."""
from __future__ import annotations

from flask import url_for
from sqlalchemy import func, select

from ..auth.permissions import Actor, visible
from ..extensions import db
from ..home import NextStep
from .models import Grant

# (status, title, detail): each count is exactly the list its link opens.
FUND_GRANT_STEPS = [
    ("calculated", "Grants to approve", "Within the remaining grant budget, exactly once per proposal."),
    ("approved", "Grants to pay", "Approved grants: record the payment once it is made."),
]


def grant_steps(actor: Actor) -> list[NextStep]:
    """Tell the fund which grants wait for approval or payment."""
    steps: list[NextStep] = []
    if actor.has("fund_admin"):
        for status, title, detail in FUND_GRANT_STEPS:
            count = db.session.scalar(visible(Grant, actor, select(func.count(Grant.id)))
                                      .where(Grant.status == status)) or 0
            steps.append(NextStep(title, detail, url_for("grants.queue", status=status), count or None))
    return steps
