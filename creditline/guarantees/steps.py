"""Home-page next steps for guarantees: which requests and claims wait on the fund."""
from __future__ import annotations

from flask import url_for

from ..auth.permissions import Actor
from ..home import NextStep, visible_count
from .models import Guarantee

# (status, title, detail): each count is exactly the list its link opens.
FUND_GUARANTEE_STEPS = [
    ("requested", "Guarantee requests to decide", "Issue within the remaining capacity, or decline with a reason."),
    ("called", "Guarantee claims to pay", "Banks called these guarantees on defaulted loans."),
]


def guarantee_steps(actor: Actor) -> list[NextStep]:
    """Tell the fund which guarantee requests wait for a decision and which claims for payment."""
    steps: list[NextStep] = []
    if actor.has("fund_admin"):
        for status, title, detail in FUND_GUARANTEE_STEPS:
            count = visible_count(Guarantee, actor, Guarantee.status == status)
            steps.append(NextStep(title, detail, url_for("guarantees.index", status=status), count or None))
    return steps
