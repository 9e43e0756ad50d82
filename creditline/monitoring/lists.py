"""Monitoring reports across proposals: what the list shows and how people find, sort and download it."""
from __future__ import annotations

from typing import Any

from flask import url_for
from sqlalchemy import Select
from sqlalchemy.orm import selectinload

from ..auth.permissions import Actor, visible
from ..enterprises.models import Enterprise
from ..listing import CHOICE, DATES, SEARCH, Column, Filter, ListSpec
from ..proposals.models import Proposal
from .models import REPORT_LIFECYCLE, MonitoringPlan, MonitoringReport, ReportingPeriod

RProposal = Proposal.__table__.alias("report_proposal")
REnterprise = Enterprise.__table__.alias("report_enterprise")
RPeriod = ReportingPeriod.__table__.alias("report_period")
RPlan = MonitoringPlan.__table__.alias("report_plan")


def _joins(stmt: Select[Any]) -> Select[Any]:
    return (stmt.join(RPeriod, RPeriod.c.id == MonitoringReport.period_id)
            .join(RPlan, RPlan.c.id == MonitoringReport.plan_id)
            .join(RProposal, RProposal.c.id == RPlan.c.proposal_id)
            .join(REnterprise, REnterprise.c.id == RProposal.c.enterprise_id)
            .options(selectinload(MonitoringReport.period).selectinload(ReportingPeriod.plan)
                     .selectinload(MonitoringPlan.proposal).selectinload(Proposal.enterprise)))


def reports_query(actor: Actor, args: dict[str, Any]) -> Select[Any]:
    """Every version of every report in the caller's scope, of one proposal if asked."""
    stmt = visible(MonitoringReport, actor)
    if args.get("proposal_id"):
        stmt = stmt.where(MonitoringReport.plan_id.in_(
            visible(MonitoringPlan, actor).with_only_columns(MonitoringPlan.id)
            .where(MonitoringPlan.proposal_id == args["proposal_id"])))
    return stmt


def _proposal(r: MonitoringReport) -> Proposal:
    return r.period.plan.proposal


MONITORING_REPORTS = ListSpec(
    name="monitoring-reports", title="Monitoring reports", noun="report",
    columns=(
        Column("proposal", "Proposal", lambda r: _proposal(r).title, RProposal.c.title,
               link=lambda r: url_for("monitoring.page", proposal_id=r.period.plan.proposal_id)),
        Column("enterprise", "Enterprise", lambda r: _proposal(r).enterprise.legal_name, REnterprise.c.legal_name),
        Column("period", "Period", lambda r: r.period.label, RPeriod.c.start),
        Column("start", "From", lambda r: r.period.start, RPeriod.c.start, kind="date"),
        Column("end", "To", lambda r: r.period.end, RPeriod.c.end, kind="date"),
        Column("version", "Version", lambda r: r.version, MonitoringReport.version),
        Column("status", "Status", lambda r: r.status, MonitoringReport.status, kind="code"),
        Column("production_output", "Production", lambda r: r.production_output, MonitoringReport.production_output,
               kind="number", unit=""),
        Column("output_unit", "Production unit", lambda r: r.period.plan.output_unit, RPlan.c.output_unit),
        Column("reported_on", "Reported", lambda r: r.reported_on, MonitoringReport.reported_on, kind="date"),
        Column("source", "Sent as", lambda r: r.source, MonitoringReport.source, kind="code"),
        Column("review_note", "Review note", lambda r: r.review_note, on_page=False),
    ),
    filters=(
        Filter("q", "Proposal or enterprise", SEARCH, (RProposal.c.title, REnterprise.c.legal_name)),
        Filter("status", "Status", CHOICE, (MonitoringReport.status,), REPORT_LIFECYCLE.states),
        Filter("reported", "Reported", DATES, (MonitoringReport.reported_on,)),
        Filter("period_end", "Period ending", DATES, (RPeriod.c.end,)),
    ),
    default_sort="-reported_on", tiebreak=MonitoringReport.id, joins=_joins,
    empty="No monitoring reports in your scope yet: an SME reports each period once its loan is disbursed.",
)
