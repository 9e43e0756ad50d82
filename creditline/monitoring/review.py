"""The NCPC's review of monitoring reports: accept or return with a reason; who is told what."""
from __future__ import annotations

from sqlalchemy import select

from ..auth.permissions import Actor, get_visible, require_role
from ..database import utcnow
from ..enterprises.models import Enterprise
from ..errors import ValidationFailed
from ..extensions import db
from ..lifecycle_moves import move
from ..unit_of_work import unit_of_work
from ..notifications.services import queue, users_of
from .models import REPORT_LIFECYCLE, MonitoringPlan, MonitoringReport

DECISIONS = {"accept": "accepted", "return": "returned"}


def _sme_users(plan: MonitoringPlan) -> list[int]:
    org = db.session.scalar(select(Enterprise.organisation_id).where(Enterprise.id == plan.proposal.enterprise_id))
    return users_of(org, "sme") if org else []


def _url(plan: MonitoringPlan) -> str:
    return f"/proposals/{plan.proposal_id}/monitoring"


@unit_of_work
def review_report(actor: Actor, report_id: int, decision: str, note: str | None) -> MonitoringReport:
    """Accept a submitted report or return it with a reason; of racing reviews exactly one wins."""
    require_role(actor, "verifier", "senior_verifier", action="review monitoring reports")
    report = get_visible(MonitoringReport, report_id, actor, what="monitoring report")
    target = DECISIONS[decision]
    note = (note or "").strip() or None
    if target == "returned" and not note:
        raise ValidationFailed("a returned report needs a reason", {
            "reason": ["required: tell the enterprise what to correct"]})
    if note and len(note) > 2000:
        raise ValidationFailed("the reason is too long", {"reason": ["at most 2,000 characters"]})
    # The one conditional move: a second reviewer racing this one changes no row and gets 409.
    label = report.period.label
    move(actor, report, REPORT_LIFECYCLE, target, action=f"monitoring_report.{target}", entity_type="monitoring_report",
         values={"review_note": note, "reviewed_by": actor.user_id, "reviewed_at": utcnow()},
         after={"status": target, "period": label, "version": report.version, "note": note})
    if target == "returned":
        plan = db.session.get(MonitoringPlan, report.plan_id)
        queue(_sme_users(plan), "report_returned", f"Monitoring report {label} was returned",
              f"'{plan.proposal.title}': the NCPC returned the report for {report.period.start} to "
              f"{report.period.end}: {note} Correct it and send it again.", f"report_returned:{report.id}",
              _url(plan), ("proposal", plan.proposal_id))
    return report


def return_for_new_plan(actor: Actor, plan: MonitoringPlan) -> int:
    """Return every report still waiting for review when the plan changes: it was checked against the old one."""
    returned = 0
    reason = "The monitoring plan was changed; check the figures against the new plan and send the report again."
    for period in plan.periods:
        report = period.report
        if report is None or report.status != "submitted":
            continue
        move(actor, report, REPORT_LIFECYCLE, "returned", action="monitoring_report.returned",
             entity_type="monitoring_report",
             values={"review_note": reason, "reviewed_by": actor.user_id, "reviewed_at": utcnow()},
             after={"status": "returned", "period": period.label, "version": report.version, "note": reason})
        queue(_sme_users(plan), "report_returned", f"Monitoring report {period.label} was returned",
              f"'{plan.proposal.title}': {reason}", f"report_returned:{report.id}", _url(plan),
              ("proposal", plan.proposal_id))
        returned += 1
    db.session.flush()
    return returned


def tell_sme_plan_set(plan: MonitoringPlan, changed: bool, key: str) -> None:
    """The enterprise learns what it will report, and when the first report is due."""
    first = plan.periods[0] if plan.periods else None
    when = f" The first report ({first.label}, {first.start} to {first.end}) is due on {first.due_date}." if first else ""
    queue(_sme_users(plan), "monitoring_plan_set",
          "The monitoring plan was changed" if changed else "Your monitoring plan is set",
          f"'{plan.proposal.title}': report {', '.join(plan.streams)} and the production output in "
          f"{plan.output_unit} for {len(plan.periods)} period(s).{when}", key, _url(plan),
          ("proposal", plan.proposal_id))


def tell_verifiers_reports_arrived(plan: MonitoringPlan, reports: list[MonitoringReport]) -> None:
    """The line's NCPC verifiers learn that reports wait for their review."""
    people = users_of(plan.proposal.credit_line.ncpc_id, "verifier", "senior_verifier")
    for r in reports:
        again = f" (version {r.version}, corrected after it was returned)" if r.version > 1 else ""
        queue(people, "report_submitted", f"Monitoring report {r.period.label} to review",
              f"'{plan.proposal.title}': the enterprise reported {r.period.start} to {r.period.end}{again}.",
              f"report_submitted:{r.id}", _url(plan), ("monitoring_report", r.id))

