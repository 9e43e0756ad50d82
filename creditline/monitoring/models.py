"""Monitoring plans, reporting periods and the SME's reports with their evidence files."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.permissions import Actor, scope, scope_filter
from ..database import TimestampMixin, utcnow
from ..extensions import db
from ..files.models import StoredFile
from ..proposals.models import Proposal
from ..states import Lifecycle

IPMVP_OPTIONS = ("A", "B", "C", "D")

# A returned version stays as it was (the history); the SME's correction is a new version.
REPORT_LIFECYCLE = Lifecycle(
    "monitoring report",
    {"submitted": ("accepted", "returned"), "accepted": (), "returned": ()},
    initial="submitted",
)


def proposals_in_scope(actor: Actor):  # type: ignore[no-untyped-def]
    """Ids of the proposals the actor may see: everything monitoring-related follows them."""
    cond = scope_filter(Proposal, actor)
    return None if cond is None else select(Proposal.id).where(cond)


class MonitoringPlan(TimestampMixin, db.Model):
    """What the NCPC will measure for a financed proposal, and when."""

    __tablename__ = "monitoring_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), unique=True)
    main_indicator: Mapped[str] = mapped_column(String(32))
    output_unit: Mapped[str] = mapped_column(String(32))
    # [{stream, unit, baseline_quantity, baseline_output}]: the main indicator and every
    # indicator that could get worse, with the baseline the NCPC measured.
    indicators: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    baseline_start: Mapped[date] = mapped_column(Date)
    baseline_end: Mapped[date] = mapped_column(Date)
    ipmvp_option: Mapped[str] = mapped_column(String(1), default="B")
    offset_method: Mapped[str] = mapped_column(String(32), default="min_of_all")
    notes: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    proposal: Mapped[Proposal] = relationship()
    periods: Mapped[list[ReportingPeriod]] = relationship(
        back_populates="plan", order_by="ReportingPeriod.start", cascade="all, delete-orphan")

    @property
    def streams(self) -> list[str]:
        return [i["stream"] for i in self.indicators]

    @property
    def units(self) -> dict[str, str]:
        return {i["stream"]: i["unit"] for i in self.indicators}


class ReportingPeriod(db.Model):
    """One reporting period of a plan, with the date its report is due."""

    __tablename__ = "reporting_period"
    __table_args__ = (UniqueConstraint("plan_id", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("monitoring_plan.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(32))
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)

    plan: Mapped[MonitoringPlan] = relationship(back_populates="periods")
    versions: Mapped[list[MonitoringReport]] = relationship(back_populates="period", lazy="selectin",
                                                            order_by="MonitoringReport.version")

    @property
    def report(self) -> MonitoringReport | None:
        """The latest version of the period's report, whatever its status."""
        return self.versions[-1] if self.versions else None

    @property
    def accepted_report(self) -> MonitoringReport | None:
        """The version the NCPC accepted: the only one that counts."""
        return next((r for r in self.versions if r.status == "accepted"), None)

    @property
    def open_for_report(self) -> bool:
        """Nothing reported yet, or the last version was returned: the period is due (again)."""
        return self.report is None or self.report.status == "returned"


class MonitoringReport(db.Model):
    """One version of a period's production output and indicator quantities, and the NCPC's review of it."""

    __tablename__ = "monitoring_report"
    __table_args__ = (UniqueConstraint("period_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("monitoring_plan.id"), index=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("reporting_period.id"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    production_output: Mapped[Decimal] = mapped_column(Numeric(20, 4))
    source: Mapped[str] = mapped_column(String(8))  # form, json, csv, xlsx
    submitted_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    review_note: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The day the SME sent the report (after its period ended); submitted_at is when it was entered.
    reported_on: Mapped[date | None] = mapped_column(Date)
    # The period's conditions other than output that a regression baseline uses ({driver: "decimal"}).
    drivers: Mapped[dict[str, str] | None] = mapped_column(JSON)

    period: Mapped[ReportingPeriod] = relationship(back_populates="versions")
    quantities: Mapped[list[ReportedQuantity]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    evidence: Mapped[list[ReportEvidence]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class ReportedQuantity(db.Model):
    __tablename__ = "reported_quantity"
    __table_args__ = (UniqueConstraint("report_id", "stream"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("monitoring_report.id", ondelete="CASCADE"), index=True)
    stream: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str] = mapped_column(String(8))
    quantity: Mapped[Decimal] = mapped_column(Numeric(20, 4))


class ReportEvidence(db.Model):
    """An evidence file (invoice, meter reading, lab result) kept by SHA-256; never replaced."""

    __tablename__ = "report_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("monitoring_report.id", ondelete="CASCADE"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"))
    description: Mapped[str | None] = mapped_column(String(200))

    file: Mapped[StoredFile] = relationship(lazy="joined")


@scope(MonitoringPlan)
def _plan_scope(actor: Actor):  # type: ignore[no-untyped-def]
    ids = proposals_in_scope(actor)
    return None if ids is None else MonitoringPlan.proposal_id.in_(ids)


@scope(MonitoringReport)
def _report_scope(actor: Actor):  # type: ignore[no-untyped-def]
    ids = proposals_in_scope(actor)
    if ids is None:
        return None
    return MonitoringReport.plan_id.in_(select(MonitoringPlan.id).where(MonitoringPlan.proposal_id.in_(ids)))
