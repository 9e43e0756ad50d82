"""Non-routine adjustments: a documented change in the plant that moves an indicator's adjusted
baseline (IPMVP), entered by a verifier with its reason and amount and confirmed by another."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from ..audit.services import record
from ..auth.permissions import Actor, check_four_eyes, get_visible, require_role
from ..database import utcnow
from ..errors import ValidationFailed
from ..extensions import db
from ..lifecycle_moves import move
from ..unit_of_work import unit_of_work
from .baseline_models import ADJUSTMENT_LIFECYCLE, BaselineAdjustment
from .models import MonitoringPlan
from .services import MAX_QUANTITY, plan_of


def adjustments_of(plan: MonitoringPlan) -> list[BaselineAdjustment]:
    return list(db.session.scalars(select(BaselineAdjustment).where(BaselineAdjustment.plan_id == plan.id)
                                   .order_by(BaselineAdjustment.id)))


def confirmed_totals(plan: MonitoringPlan) -> dict[str, Decimal]:
    """Each indicator's confirmed adjustments, summed: what the adjusted baseline gains."""
    totals: dict[str, Decimal] = {}
    for a in adjustments_of(plan):
        if a.status == "confirmed":
            totals[a.indicator] = totals.get(a.indicator, Decimal(0)) + a.amount
    return totals


@unit_of_work
def propose_adjustment(actor: Actor, proposal_id: int, data: dict[str, Any]) -> BaselineAdjustment:
    """A verifier enters the change, its reason and the amount it adds to the adjusted baseline."""
    require_role(actor, "verifier", "senior_verifier", action="adjust baselines")
    plan = plan_of(actor, proposal_id)
    errors: dict[str, list[str]] = {}
    if data.get("indicator") not in plan.streams:
        errors["indicator"] = [f"one of the plan's indicators: {', '.join(plan.streams)}"]
    reason = str(data.get("reason") or "").strip()
    if len(reason) < 10:
        errors["reason"] = ["say what changed in the plant and how the amount was worked out (10 characters or more)"]
    try:
        amount = Decimal(str(data.get("amount")).strip())
        if not amount.is_finite() or amount == 0 or abs(amount) > MAX_QUANTITY:
            raise ValueError
    except (ArithmeticError, ValueError):
        errors["amount"] = ["a number, not zero: positive adds to the adjusted baseline, negative takes away"]
    if errors:
        raise ValidationFailed("the adjustment was not stored", errors)
    a = BaselineAdjustment(plan_id=plan.id, indicator=data["indicator"], amount=amount, reason=reason,
                           status="proposed", proposed_by=actor.user_id)
    db.session.add(a)
    db.session.flush()
    record(actor, "baseline_adjustment.proposed", "baseline_adjustment", a.id, None,
           {"plan_id": plan.id, "indicator": a.indicator, "amount": str(amount), "reason": reason})
    return a


@unit_of_work
def decide_adjustment(actor: Actor, adjustment_id: int, decision: str, note: str | None) -> BaselineAdjustment:
    """Another verifier confirms or rejects the adjustment (four eyes); a rejection says why."""
    require_role(actor, "verifier", "senior_verifier", action="confirm baseline adjustments")
    a = get_visible(BaselineAdjustment, adjustment_id, actor, what="baseline adjustment")
    check_four_eyes(actor, a.proposed_by, "baseline adjustment")
    if decision not in ("confirmed", "rejected"):
        raise ValidationFailed("unknown decision", {"decision": ["confirmed or rejected"]})
    if decision == "rejected" and len((note or "").strip()) < 3:
        raise ValidationFailed("say why the adjustment is rejected", {"note": ["required"]})
    move(actor, a, ADJUSTMENT_LIFECYCLE, decision,
         values={"decided_by": actor.user_id, "decided_at": utcnow(), "decision_note": note},
         after={"status": decision, "note": note})
    return a


def adjustment_view(a: BaselineAdjustment) -> dict[str, Any]:
    return {"id": a.id, "indicator": a.indicator, "amount": str(a.amount), "reason": a.reason, "status": a.status,
            "proposed_by": a.proposed_by, "proposed_at": a.proposed_at.isoformat(), "decided_by": a.decided_by,
            "decision_note": a.decision_note}
