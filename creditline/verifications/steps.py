"""Home-page next steps for monitoring and verification: what each role has waiting (grants: grants.steps)."""
from __future__ import annotations

from datetime import date, timedelta

from flask import url_for
from sqlalchemy import func, select

from ..auth.permissions import Actor, visible
from ..extensions import db
from ..home import NextStep
from ..monitoring.models import MonitoringPlan, MonitoringReport, ReportingPeriod, proposals_in_scope
from .models import Verification
from .. import clock

# (status, title, detail): each count is exactly the list its link opens.
VERIFIER_STEPS = [
    ("computed", "Verifications to propose", "Check the figures and flags, then propose a result."),
    ("returned", "Verifications returned to you", "A senior verifier returned these with a reason: correct and "
                 "propose again."),
]

# Periods are announced to the SME this long before their due date.
REPORT_NOTICE = timedelta(days=30)


def _verifications(actor: Actor, *conditions) -> int:  # type: ignore[no-untyped-def]
    stmt = select(func.count(Verification.id)).where(*conditions)
    ids = proposals_in_scope(actor)
    if ids is not None:
        stmt = stmt.where(Verification.proposal_id.in_(ids))
    return db.session.scalar(stmt) or 0


def _reports_due(actor: Actor, today: date) -> list[NextStep]:
    # A period whose every version was returned is due again.
    reported = select(MonitoringReport.period_id).where(MonitoringReport.status != "returned")
    rows = db.session.execute(
        visible(MonitoringPlan, actor, select(MonitoringPlan.proposal_id, func.count(ReportingPeriod.id),
                                              func.min(ReportingPeriod.due_date)))
        .join(ReportingPeriod, ReportingPeriod.plan_id == MonitoringPlan.id)
        .where(ReportingPeriod.id.not_in(reported), ReportingPeriod.due_date <= today + REPORT_NOTICE)
        .group_by(MonitoringPlan.proposal_id).order_by(MonitoringPlan.proposal_id)).all()
    steps = []
    returned = _reports_returned(actor, reported)
    if returned:
        steps.append(NextStep("Reports returned to you", "The NCPC returned report(s) with a reason: correct "
                              "them and send them again.", url_for("monitoring.page", proposal_id=returned[0][0]),
                              sum(n for _, n in returned)))
    for proposal_id, count, first_due in rows:
        when = "overdue since" if first_due < today else "first due on"
        steps.append(NextStep("Monitoring reports to send", f"Proposal {proposal_id}: {when} {first_due.isoformat()}; "
                              "enter the figures or upload the CSV/Excel template.",
                              url_for("monitoring.page", proposal_id=proposal_id), count))
    return steps


def _reports_returned(actor: Actor, reported) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    """Per proposal, the periods whose latest report was returned and not yet corrected."""
    returned = select(MonitoringReport.period_id).where(MonitoringReport.status == "returned")
    return [tuple(r) for r in db.session.execute(
        visible(MonitoringPlan, actor, select(MonitoringPlan.proposal_id, func.count(ReportingPeriod.id)))
        .join(ReportingPeriod, ReportingPeriod.plan_id == MonitoringPlan.id)
        .where(ReportingPeriod.id.in_(returned), ReportingPeriod.id.not_in(reported))
        .group_by(MonitoringPlan.proposal_id).order_by(MonitoringPlan.proposal_id)).all()]


def _reports_to_review(actor: Actor) -> list[NextStep]:
    rows = db.session.execute(
        visible(MonitoringReport, actor, select(MonitoringPlan.proposal_id, func.count(MonitoringReport.id)))
        .join(MonitoringPlan, MonitoringPlan.id == MonitoringReport.plan_id)
        .where(MonitoringReport.status == "submitted")
        .group_by(MonitoringPlan.proposal_id).order_by(MonitoringPlan.proposal_id)).all()
    if not rows:
        return [NextStep("Reports to review", "Accept each monitoring report, or return it with the reason; only "
                         "accepted reports count in a verification.", url_for("verifications.queue"))]
    # One step per proposal: each count is what its monitoring page has waiting.
    return [NextStep("Reports to review", f"Proposal {proposal_id}: accept each monitoring report, or return it "
                     "with the reason; only accepted reports count in a verification.",
                     url_for("monitoring.page", proposal_id=proposal_id), count) for proposal_id, count in rows]


def verification_steps(actor: Actor) -> list[NextStep]:
    """Tell SMEs which reports are due, verifiers what to verify."""
    steps: list[NextStep] = []
    if actor.has("sme"):
        steps.extend(_reports_due(actor, clock.today()))
    if actor.has("verifier", "senior_verifier"):
        steps.extend(_reports_to_review(actor))
    if actor.has("verifier"):
        for status, title, detail in VERIFIER_STEPS:
            count = _verifications(actor, Verification.status == status)
            if count or status == "computed":
                steps.append(NextStep(title, detail, url_for("verifications.queue", status=status), count or None))
    if actor.has("senior_verifier"):
        to_confirm = _verifications(actor, Verification.status == "proposed",
                                    Verification.proposed_by != actor.user_id)
        steps.append(NextStep("Verifications to confirm", "A second pair of eyes on results another verifier proposed "
                              "(the list also shows your own proposals, which another senior confirms).",
                              url_for("verifications.queue", status="proposed"), to_confirm or None))
    return steps
