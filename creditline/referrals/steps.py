"""Home-page next step: the referrals the signed-in person's roles own."""
from __future__ import annotations

from flask import url_for

from ..auth.permissions import Actor
from ..home import NextStep
from .services import count_to_decide, owners_of


def referral_steps(actor: Actor) -> list[NextStep]:
    """Tell the NCPC, the fund and second-opinion givers how many referrals wait for them."""
    if not owners_of(actor):
        return []
    waiting = count_to_decide(actor)
    return [NextStep("Referrals to decide", "Referred proposals waiting for your judgement: offsets of worse "
                     "indicators, double funding, second opinions.", url_for("referrals.desk"), waiting or None)]
