"""An imported loan's verified project and its grant, made the way the app makes them.

The NCPC's verification happened before the fund used this system, so, like the imported
proposal, it is created as what it became: confirmed, on the tape's day, with the tape's figures
(its monitoring plan and the proposal's indicators say what was measured, the reports themselves
are not on a tape). From there everything is the app's own path: the hooks a confirmation runs
size the grant by the rulebook's bands (:func:`creditline.grants.services.calculate_grant`), and
the grants service approves it within the line's budget and pays it exactly once (off the loan's
principal through the loan's own reduction, or to the enterprise), each step audited.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta

from ..auth.permissions import Actor
from ..database import utcnow
from ..errors import ValidationFailed
from ..extensions import db
from ..grants.models import Grant
from ..grants.services import approve_grant, pay_grant
from ..loans.models import Loan
from ..monitoring.models import MonitoringPlan
from ..proposals.models import Proposal, ProposalIndicator
from ..scoring.services import rulebook_of
from ..verifications import services as verifications
from ..verifications.models import Verification
from .tape_verification import result_of

_QTY = Decimal("0.0001")
# A service's field, as the tape's column that holds it.
APPROVAL = {"approved_on": "grant_approved_on", "amount": "grant_amount", "paid_as": "grant_paid_as"}
PAYMENT = {"paid_on": "grant_paid_on", "value_date": "grant_paid_on", "reference": "grant_reference"}


def _describe(actor: Actor, p: Proposal, v: dict[str, Any], note: str) -> MonitoringPlan:
    """What the project measures: the proposal's indicators and a monitoring plan, from the tape's figures.

    The tape has no projection, so the verified figures stand for it: an imported project
    delivers what was projected.
    """
    indicators = v["indicators"]
    annual = Decimal(str(v["verified_output"]))
    p.main_indicator, p.output_unit = indicators[0].stream, v["output_unit"]
    for ind in indicators:
        db.session.add(ProposalIndicator(
            proposal_id=p.id, stream=ind.stream, unit=ind.unit,
            baseline_quantity=(Decimal(ind.baseline) * annual).quantize(_QTY), baseline_output=annual.quantize(_QTY),
            projected_quantity=(Decimal(ind.achieved) * annual).quantize(_QTY), projected_output=annual.quantize(_QTY)))
    # The year before the verified period stands for the baseline period the tape does not give.
    start = v["verified_from"]
    plan = MonitoringPlan(proposal_id=p.id, main_indicator=indicators[0].stream, output_unit=v["output_unit"],
                          indicators=[{"stream": i.stream, "unit": i.unit,
                                       "baseline_quantity": str((Decimal(i.baseline) * annual).quantize(_QTY)),
                                       "baseline_output": str(annual.quantize(_QTY))} for i in indicators],
                          baseline_start=start - relativedelta(years=1), baseline_end=start - timedelta(days=1),
                          notes=note, created_by=actor.user_id)
    db.session.add(plan)
    db.session.flush()
    return plan


def import_grant(actor: Actor, p: Proposal, loan: Loan, v: dict[str, Any], note: str,
                 columns: Callable[[dict[str, str]], Any]) -> tuple[Verification, Grant]:
    """Create the row's confirmed verification and bring its grant to the tape's status through the grants service.

    ``columns`` reports a service's refusal against the tape's columns (the import's own context).
    """
    plan = _describe(actor, p, v, note)
    book = rulebook_of(p.credit_line, v["verified_on"])
    now = utcnow()
    result = result_of(v["indicators"], v["output_unit"], str(v["verified_output"]), v["verified_from"].isoformat(),
                       v["verified_to"].isoformat(), float(v["improvement"]), dict(book.emission_factors), note)
    ver = Verification(proposal_id=p.id, plan_id=plan.id, status="confirmed", decision="verified", ipmvp_option="B",
                       periods=[], result=result, evidence=[], rulebook_id=book.id, rulebook_version=book.version,
                       rulebook_hash=book.hash, created_by=actor.user_id, proposed_by=actor.user_id, proposed_at=now,
                       proposed_on=v["verified_on"],
                       proposal_comment=note, confirmed_by=actor.user_id, confirmed_at=now,
                       confirmed_on=v["verified_on"], confirm_comment=note)
    db.session.add(ver)
    db.session.flush()
    # What a confirmation does next, as in verifications.services.confirm: the grant is calculated.
    for hook in verifications.ON_CONFIRMED:
        hook(actor, ver)
    db.session.refresh(ver)
    g = ver.grant
    with columns({}):
        _same_as_tape(g, v)
    assert g is not None  # _same_as_tape refused otherwise
    if v["grant_status"] in ("approved", "paid"):
        with columns(APPROVAL):
            approve_grant(actor, g.id, paid_as=v["grant_paid_as"], on=v["grant_approved_on"])
    if v["grant_status"] == "paid":
        with columns(PAYMENT):
            pay_grant(actor, g.id, reference=v["grant_reference"], on=v["grant_paid_on"])
    return ver, g


def _same_as_tape(g: Grant | None, v: dict[str, Any]) -> None:
    """The grant the app calculated is the tape's: a blocked one or other figures refuse the row."""
    if g is None or g.status == "blocked":
        raise ValidationFailed("no grant is due", {"grant_status": [
            f"the tape says {v['grant_status']}; no grant is due here: {g.reason if g else 'no grant calculated'}"]})
    errors = {}
    if g.rate.normalize() != v["grant_rate"].normalize():
        errors["grant_rate"] = [f"the tape says {v['grant_rate']}; the line's rulebook gives {g.rate.normalize()}"]
    if g.amount != v["grant_amount"]:
        errors["grant_amount"] = [f"the tape says {v['grant_amount']}; the line's rulebook gives {g.amount}"]
    if errors:
        raise ValidationFailed("the grant differs", errors)
