"""Monthly baseline readings of a monitoring plan, and non-routine adjustments to its baseline."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Numeric, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from ..auth.permissions import Actor, scope
from ..database import utcnow
from ..extensions import db
from ..states import Lifecycle
from .models import MonitoringPlan, proposals_in_scope

# The second person confirms or rejects what the first entered; either is final (a new
# adjustment replaces a rejected one).
ADJUSTMENT_LIFECYCLE = Lifecycle(
    "baseline adjustment", {"proposed": ("confirmed", "rejected"), "confirmed": (), "rejected": ()},
    initial="proposed")


class BaselineMonth(db.Model):
    """One month of the baseline: production output, the other drivers and each indicator's quantity."""

    __tablename__ = "baseline_month"
    __table_args__ = (UniqueConstraint("plan_id", "start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("monitoring_plan.id", ondelete="CASCADE"), index=True)
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    production_output: Mapped[Decimal] = mapped_column(Numeric(20, 4))
    # {driver: "decimal"}: degree days, operating hours, a product mix share...
    drivers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # {stream: "decimal"} in the plan's units
    quantities: Mapped[dict[str, str]] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(8))
    entered_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def point(self, stream: str) -> dict[str, Any]:
        """The month as a regression point of one indicator (numbers as decimal text)."""
        return {"label": self.start.strftime("%Y-%m"), "quantity": self.quantities.get(stream),
                "output": str(self.production_output), **self.drivers}


class BaselineAdjustment(db.Model):
    """A non-routine adjustment: a documented change in the plant (a new product line, an added
    shift) that moves the adjusted baseline of one indicator, confirmed by a second person."""

    __tablename__ = "baseline_adjustment"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("monitoring_plan.id", ondelete="CASCADE"), index=True)
    indicator: Mapped[str] = mapped_column(String(32))
    # Added to the adjusted baseline over the reporting window, in the indicator's unit (may be negative).
    amount: Mapped[Decimal] = mapped_column(Numeric(20, 4))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="proposed")
    proposed_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    proposed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_note: Mapped[str | None] = mapped_column(Text)


def _in_scope(column: Any, actor: Actor) -> Any:
    ids = proposals_in_scope(actor)
    return None if ids is None else column.in_(select(MonitoringPlan.id).where(MonitoringPlan.proposal_id.in_(ids)))


@scope(BaselineMonth)
def _month_scope(actor: Actor):  # type: ignore[no-untyped-def]
    return _in_scope(BaselineMonth.plan_id, actor)


@scope(BaselineAdjustment)
def _adjustment_scope(actor: Actor):  # type: ignore[no-untyped-def]
    return _in_scope(BaselineAdjustment.plan_id, actor)
