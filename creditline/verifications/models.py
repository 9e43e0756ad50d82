"""A verification: the figures computed from the reports, and the four-eyes decision on them."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.permissions import Actor, scope
from ..database import utcnow
from ..extensions import db
from ..monitoring.models import MonitoringPlan, proposals_in_scope
from ..proposals.models import Proposal
from ..states import Lifecycle

DECISIONS = ("verified", "rejected", "more_data")

VERIFICATION_LIFECYCLE = Lifecycle(
    "verification",
    {
        "computed": ("proposed",),
        # The senior verifier confirms, or returns it to the verifier with a reason; the proposer
        # may withdraw it (back to computed), so a sole senior who proposed does not leave it stuck.
        "proposed": ("confirmed", "returned", "computed"),
        "returned": ("proposed",),
        # Confirmed is final: a correction is a new verification that supersedes this one.
        "confirmed": (),
    },
    initial="computed",
)


class Verification(db.Model):
    __tablename__ = "verification"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("monitoring_plan.id"))
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("verification.id"), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="computed")
    decision: Mapped[str | None] = mapped_column(String(16))
    ipmvp_option: Mapped[str] = mapped_column(String(1))
    periods: Mapped[list[str]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    rulebook_id: Mapped[str] = mapped_column(String(64))
    rulebook_version: Mapped[str] = mapped_column(String(32))
    rulebook_hash: Mapped[str] = mapped_column(String(80))
    created_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    proposed_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    proposed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    proposed_on: Mapped[date | None] = mapped_column(Date)  # the day the verifier proposed the decision
    proposal_comment: Mapped[str | None] = mapped_column(Text)
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    confirmed_on: Mapped[date | None] = mapped_column(Date)  # the day the second verifier confirmed
    confirm_comment: Mapped[str | None] = mapped_column(Text)

    proposal: Mapped[Proposal] = relationship()
    plan: Mapped[MonitoringPlan] = relationship()
    # ``grant`` (read-only, the grant it led to) is declared by creditline.grants.models, above this one.

    def __repr__(self) -> str:
        return f"<Verification {self.id} {self.status} {self.decision}>"


@scope(Verification)
def _verification_scope(actor: Actor):  # type: ignore[no-untyped-def]
    ids = proposals_in_scope(actor)
    return None if ids is None else Verification.proposal_id.in_(ids)
