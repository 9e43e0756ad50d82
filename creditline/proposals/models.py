"""Proposal, its indicator table and documents, assessments, and the NCPC technical review."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint, exists, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.permissions import Actor, scope
from ..creditlines.models import CreditLine
from ..database import TimestampMixin, utcnow
from ..enterprises.models import ENTERPRISE_SCOPES, Enterprise
from ..extensions import db
from ..files.models import StoredFile
from ..states import Lifecycle

if TYPE_CHECKING:
    from ..auth.models import Organisation

PROPOSAL_LIFECYCLE = Lifecycle(
    "proposal",
    {
        "draft": ("submitted", "withdrawn"),
        "submitted": ("scored", "withdrawn"),
        "scored": ("ineligible", "referred", "eligible", "withdrawn"),
        # A referred proposal is decided by a person; a re-score after edits reopens it.
        "referred": ("eligible", "ineligible", "draft", "withdrawn"),
        "ineligible": ("draft", "withdrawn"),
        # A verifier's correction of the baseline re-scores and can take eligibility away.
        "eligible": ("technically_reviewed", "ineligible", "referred", "draft", "withdrawn"),
        # Withdrawal after loan approval is refused by the service, which can see the loan.
        # A second opinion rejected after the technical review still takes eligibility away.
        "technically_reviewed": ("ineligible", "withdrawn"),
        "withdrawn": (),
    },
    initial="draft",
)
# States in which the bank may look at a proposal (it was sent to them for screening).
BANK_VISIBLE_STATES = ("eligible", "technically_reviewed", "referred")

QTY = Numeric(20, 4)


class Proposal(TimestampMixin, db.Model):
    __tablename__ = "proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    credit_line_id: Mapped[int] = mapped_column(ForeignKey("credit_line.id"), index=True)
    bank_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    status: Mapped[str] = mapped_column(String(24), default="draft", index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    cp_options: Mapped[list[str]] = mapped_column(JSON, default=list)
    currency: Mapped[str | None] = mapped_column(String(3))
    investment: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    eligible_cost: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    loan_amount: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    own_contribution: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    economic_life_years: Mapped[int | None] = mapped_column(Integer)
    annual_savings: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    annual_extra_operating_cost: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    implementation_months: Mapped[int | None] = mapped_column(Integer)
    technology: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    output_unit: Mapped[str | None] = mapped_column(String(32))
    main_indicator: Mapped[str | None] = mapped_column(String(32))
    other_incentives: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # The budget by category ({category, description, amount}); eligible_cost is derived from it.
    cost_items: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    created_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The day it was submitted (a fund bringing older loans enters it); submitted_at is when it was entered.
    submitted_on: Mapped[date | None] = mapped_column(Date)
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)

    enterprise: Mapped[Enterprise] = relationship()
    credit_line: Mapped[CreditLine] = relationship()
    # The lists show the partner bank by name.
    bank: Mapped["Organisation | None"] = relationship("Organisation", foreign_keys=[bank_id], viewonly=True)
    indicators: Mapped[list[ProposalIndicator]] = relationship(
        cascade="all, delete-orphan", order_by="ProposalIndicator.id", lazy="selectin")
    documents: Mapped[list[ProposalDocument]] = relationship(
        cascade="all, delete-orphan", order_by="ProposalDocument.id", lazy="selectin")

    def __repr__(self) -> str:
        return f"<Proposal {self.id} {self.status} {self.title!r}>"


class ProposalIndicator(db.Model):
    """One resource or emission stream: baseline and projected quantity, each per output."""

    __tablename__ = "proposal_indicator"
    __table_args__ = (UniqueConstraint("proposal_id", "stream"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    stream: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str] = mapped_column(String(16))
    baseline_quantity: Mapped[Decimal] = mapped_column(QTY)
    baseline_output: Mapped[Decimal] = mapped_column(QTY)
    projected_quantity: Mapped[Decimal] = mapped_column(QTY)
    projected_output: Mapped[Decimal] = mapped_column(QTY)


class ProposalDocument(db.Model):
    """A document on the rulebook's checklist (quotation, data sheet, financial statements)."""

    __tablename__ = "proposal_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"))

    file: Mapped[StoredFile] = relationship(lazy="joined")


class DocumentCheck(db.Model):
    """The bank's verdict on one required document type of a proposal: checked or not acceptable."""

    __tablename__ = "document_check"
    __table_args__ = (UniqueConstraint("proposal_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # checked | not_acceptable
    note: Mapped[str | None] = mapped_column(Text)
    checked_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Assessment(db.Model):
    """An immutable scoring result; re-scoring adds a new one."""

    __tablename__ = "assessment"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), index=True)
    rulebook_id: Mapped[str] = mapped_column(String(64))
    rulebook_version: Mapped[str] = mapped_column(String(32))
    rulebook_hash: Mapped[str] = mapped_column(String(80))
    decision: Mapped[str] = mapped_column(String(16), index=True)
    score_technical: Mapped[int] = mapped_column(Integer)
    score_economic: Mapped[int] = mapped_column(Integer)
    score_environmental: Mapped[int] = mapped_column(Integer)
    score_total: Mapped[int] = mapped_column(Integer)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class RulebookSnapshot(db.Model):
    """The exact text of a rulebook the first time it scored, so old decisions stay explainable."""

    __tablename__ = "rulebook_snapshot"

    hash: Mapped[str] = mapped_column(String(80), primary_key=True)
    rulebook_id: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def __repr__(self) -> str:
        return f"<RulebookSnapshot {self.rulebook_id} {self.version} {self.hash[:19]}>"


class TechnicalReview(db.Model):
    """The NCPC confirms or corrects the baseline and main indicator of an eligible proposal."""

    __tablename__ = "technical_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    outcome: Mapped[str] = mapped_column(String(16))  # confirmed | corrected
    main_indicator: Mapped[str] = mapped_column(String(32))
    corrections: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    comments: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


def _bank_sees(actor: Actor):  # type: ignore[no-untyped-def]
    return (Proposal.bank_id == actor.organisation_id) & Proposal.status.in_(BANK_VISIBLE_STATES)


def _ncpc_sees(actor: Actor):  # type: ignore[no-untyped-def]
    served = select(CreditLine.id).where(CreditLine.ncpc_id == actor.organisation_id)
    return Proposal.credit_line_id.in_(served) & (Proposal.status != "draft")


@scope(Proposal)
def _proposal_scope(actor: Actor):  # type: ignore[no-untyped-def]
    kind = actor.organisation_kind
    if kind == "sme":
        return Proposal.enterprise_id.in_(
            select(Enterprise.id).where(Enterprise.organisation_id == actor.organisation_id))
    if kind == "bank":
        return _bank_sees(actor)
    if kind == "ncpc":
        return _ncpc_sees(actor)
    return None


def _enterprise_through_proposals(actor: Actor):  # type: ignore[no-untyped-def]
    if actor.organisation_kind == "bank":
        cond = _bank_sees(actor)
    elif actor.organisation_kind == "ncpc":
        cond = _ncpc_sees(actor)
    else:
        return None
    return exists(select(Proposal.id).where(Proposal.enterprise_id == Enterprise.id, cond))


ENTERPRISE_SCOPES.append(_enterprise_through_proposals)
