"""A credit line with its partner banks, its NCPC, its rulebook and its budgets."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Column, Date, ForeignKey, Numeric, String, Table, exists, select, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import Organisation
from ..auth.permissions import Actor, scope
from ..database import TimestampMixin
from ..extensions import db

CREDIT_LINE_STATUSES = ("open", "closed")

credit_line_bank = Table(
    "credit_line_bank",
    db.metadata,
    Column("credit_line_id", ForeignKey("credit_line.id", ondelete="CASCADE"), primary_key=True),
    Column("bank_id", ForeignKey("organisation.id"), primary_key=True),
)


class CreditLine(TimestampMixin, db.Model):
    __tablename__ = "credit_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    country: Mapped[str] = mapped_column(String(2))
    currency: Mapped[str] = mapped_column(String(3))
    rulebook_id: Mapped[str] = mapped_column(String(64))
    rulebook_version: Mapped[str] = mapped_column(String(32))
    ncpc_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    guarantee_capacity: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    grant_budget: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    status: Mapped[str] = mapped_column(String(8), default="open")
    opened_on: Mapped[date | None] = mapped_column(Date)

    ncpc: Mapped[Organisation] = relationship(foreign_keys=[ncpc_id])
    fund: Mapped[Organisation] = relationship(foreign_keys=[fund_id])
    banks: Mapped[list[Organisation]] = relationship(secondary=credit_line_bank, lazy="selectin")

    def __repr__(self) -> str:
        return f"<CreditLine {self.id} {self.name!r} {self.rulebook_id}@{self.rulebook_version}>"


@scope(CreditLine)
def _credit_line_scope(actor: Actor):  # type: ignore[no-untyped-def]
    if actor.organisation_kind == "sme":
        return true()  # SMEs browse every line to choose where to apply
    if actor.organisation_kind == "ncpc":
        return CreditLine.ncpc_id == actor.organisation_id
    if actor.organisation_kind == "bank":
        return exists(select(credit_line_bank.c.credit_line_id).where(
            credit_line_bank.c.credit_line_id == CreditLine.id,
            credit_line_bank.c.bank_id == actor.organisation_id))
    return true()
