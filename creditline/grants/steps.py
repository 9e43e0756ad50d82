"""Home-page next steps for grants: which grants wait on the fund."""
from __future__ import annotations

from flask import url_for

from ..auth.permissions import Actor
from ..home import NextStep, visible_count
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
            count = visible_count(Grant, actor, Grant.status == status)
            steps.append(NextStep(title, detail, url_for("grants.queue", status=status), count or None))
    return steps
