"""Daily step: monitoring reports due soon or overdue, and verifications waiting for a second pair of eyes."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from ..enterprises.models import Enterprise
from ..extensions import db
from ..monitoring.models import MonitoringPlan, ReportingPeriod
from ..notifications.services import queue, users_of
from ..proposals.models import Proposal
from .models import Verification

DUE_SOON_DAYS = 7


def remind(day: date) -> dict[str, Any]:
    """Remind the SME and the NCPC's verifiers of reports due soon or overdue, and seniors of proposals waiting."""
    due_soon = overdue = waiting = 0
    rows = db.session.execute(
        select(ReportingPeriod, MonitoringPlan, Proposal)
        .join(MonitoringPlan, MonitoringPlan.id == ReportingPeriod.plan_id)
        .join(Proposal, Proposal.id == MonitoringPlan.proposal_id)
        .where(ReportingPeriod.due_date <= day + timedelta(days=DUE_SOON_DAYS))).all()
    for period, _plan, p in rows:
        if not period.open_for_report:  # a returned report is due again
            continue
        sme_org = db.session.scalar(select(Enterprise.organisation_id).where(Enterprise.id == p.enterprise_id))
        url = f"/proposals/{p.id}/monitoring"
        # The NCPC's verifiers hear of it too: they follow up with the enterprise and review the report.
        people = users_of(sme_org, "sme") + users_of(p.credit_line.ncpc_id, "verifier")
        if period.due_date < day:
            overdue += queue(people, "report_overdue",
                             f"Monitoring report {period.label} is overdue", f"'{p.title}': the report for {period.start} "
                             f"to {period.end} was due on {period.due_date}.", f"report_overdue:{period.id}", url,
                             ("proposal", p.id))
        else:
            due_soon += queue(people, "report_due", f"Monitoring report {period.label} is due on "
                              f"{period.due_date}", f"'{p.title}': report the production output and every indicator "
                              f"for {period.start} to {period.end}.", f"report_due:{period.id}", url, ("proposal", p.id))
    for v in db.session.scalars(select(Verification).where(Verification.status == "proposed")):
        seniors = [u for u in users_of(v.proposal.credit_line.ncpc_id, "senior_verifier") if u != v.proposed_by]
        waiting += queue(seniors, "verification_waiting", f"Verification V{v.id} waits for your confirmation",
                         f"'{v.proposal.title}': proposed '{v.decision}'.", f"verification_waiting:{v.id}:{v.proposed_at}",
                         f"/verifications/{v.id}", ("verification", v.id))
    return {"report_due": due_soon, "report_overdue": overdue, "verification_waiting": waiting}
