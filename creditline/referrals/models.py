"""Referral tasks (one per reason a proposal was referred) and the immutable decisions on them."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.permissions import Actor, scope
from ..creditlines.models import CreditLine
from ..database import utcnow
from ..enterprises.models import Enterprise
from ..extensions import db
from ..states import Lifecycle
from ..files.models import StoredFile
from ..proposals.models import Assessment, Proposal

# A task is open until decided; a re-score, a withdrawal or a return of the proposal closes the
# tasks it made moot as ``superseded`` (nobody decided them).
REFERRAL_LIFECYCLE = Lifecycle(
    "referral",
    {"open": ("cleared", "rejected", "returned", "superseded")},
    initial="open",
)
TASK_STATES = REFERRAL_LIFECYCLE.states
DECISIONS = {"clear": "cleared", "reject": "rejected", "return": "returned"}


class ReferralTask(db.Model):
    """One reason a proposal was referred, waiting for the role that owns it."""

    __tablename__ = "referral_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), index=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"), index=True)
    reason: Mapped[str] = mapped_column(String(32))
    rule: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(16))  # ncpc | fund | second_opinion
    # A second opinion only holds up loan approval; every other task holds up eligibility.
    blocking: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    proposal: Mapped[Proposal] = relationship(lazy="joined")
    decision: Mapped[ReferralDecision | None] = relationship(back_populates="task", uselist=False, lazy="selectin")

    def __repr__(self) -> str:
        return f"<ReferralTask {self.id} {self.reason} {self.status}>"


class ReferralDecision(db.Model):
    """A person's decision on a referral task, kept with the assessment it answers."""

    __tablename__ = "referral_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("referral_task.id"), unique=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"), index=True)
    decision: Mapped[str] = mapped_column(String(16))  # clear | reject | return
    comment: Mapped[str] = mapped_column(Text)
    # The NCPC's offset (method, each worse indicator's loss, the net) or the second opinion's giver.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))
    decided_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    task: Mapped[ReferralTask] = relationship(back_populates="decision")
    assessment: Mapped[Assessment] = relationship()
    file: Mapped[StoredFile | None] = relationship(lazy="joined")


def _line_ids(column: Any, org_id: int):  # type: ignore[no-untyped-def]
    return select(CreditLine.id).where(column == org_id)


@scope(ReferralTask)
def _task_scope(actor: Actor):  # type: ignore[no-untyped-def]
    """The SME sees its own; the NCPC the tasks of the lines it serves; a bank those of proposals sent to it.

    Not the proposal's own scope: a bank or NCPC that returned a proposal to its draft still reads
    the task it decided, though the draft itself is the SME's alone until it is submitted again.
    """
    kind = actor.organisation_kind
    proposals = select(Proposal.id)
    if kind == "sme":
        proposals = proposals.where(Proposal.enterprise_id.in_(
            select(Enterprise.id).where(Enterprise.organisation_id == actor.organisation_id)))
    elif kind == "ncpc":
        proposals = proposals.where(Proposal.credit_line_id.in_(_line_ids(CreditLine.ncpc_id, actor.organisation_id)))
    elif kind == "bank":
        proposals = proposals.where(Proposal.bank_id == actor.organisation_id)
    elif kind == "fund":
        proposals = proposals.where(Proposal.credit_line_id.in_(_line_ids(CreditLine.fund_id, actor.organisation_id)))
    else:
        return ReferralTask.id.is_(None)
    return ReferralTask.proposal_id.in_(proposals)
