"""A guarantee on a loan, the call on default, and the recoveries shared with the bank."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.permissions import Actor, scope, scope_filter
from ..database import utcnow
from ..extensions import db
from ..loans.models import Loan
from ..states import Lifecycle

MONEY = Numeric(16, 2)
GUARANTEE_LIFECYCLE = Lifecycle(
    "guarantee",
    {
        # The bank asks; the fund issues within its capacity, or declines with a reason.
        "requested": ("issued", "declined"),
        "issued": ("called", "released"),
        "called": ("paid",),
        "paid": ("recovered",),    # the first recovery after the claim was paid
        "recovered": (),           # later recoveries keep it recovered
        "released": (),            # the loan was repaid: the cover is freed
        # A declined request may be made again (say, once capacity is freed); one row per loan.
        "declined": ("requested",),
    },
    initial="requested",
)
LIVE = ("issued", "called")
# Guarantees whose claim the fund has paid: money received on the loan is shared as a recovery.
CLAIM_PAID = ("paid", "recovered")


class Guarantee(db.Model):
    __tablename__ = "guarantee"

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loan.id"), unique=True)
    credit_line_id: Mapped[int] = mapped_column(ForeignKey("credit_line.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    coverage_share: Mapped[Decimal] = mapped_column(Numeric(5, 4))
    cap: Mapped[Decimal | None] = mapped_column(MONEY)
    other_guarantors_share: Mapped[Decimal] = mapped_column(Numeric(5, 4), default=Decimal("0"))
    covered_amount: Mapped[Decimal] = mapped_column(MONEY)
    fee_rate: Mapped[Decimal] = mapped_column(Numeric(5, 4))
    fee: Mapped[Decimal] = mapped_column(MONEY)
    proceeds_to_approved_items: Mapped[bool] = mapped_column(Boolean, default=True)
    # The last due date of the loan's schedule: None until the first disbursement fixes it.
    valid_until: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="requested")
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=utcnow)
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    issued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    issued_on: Mapped[date | None] = mapped_column(Date)  # the day the fund issued it
    declined_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    declined_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decline_reason: Mapped[str | None] = mapped_column(Text)
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The call: outstanding principal at default, and the claim (coverage x outstanding, capped).
    outstanding_at_default: Mapped[Decimal | None] = mapped_column(MONEY)
    claim_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    called_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    called_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    paid_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    paid_on: Mapped[date | None] = mapped_column(Date)  # the claim payment's value date
    payment_reference: Mapped[str | None] = mapped_column(String(64))  # the fund's transfer reference

    loan: Mapped[Loan] = relationship(foreign_keys=[loan_id])
    recoveries: Mapped[list[Recovery]] = relationship(back_populates="guarantee", order_by="Recovery.id",
                                                      lazy="selectin", cascade="all, delete-orphan")

    @property
    def reference(self) -> str:
        """``G-000012``: a guarantee is never mistaken for a grant (``GR-``) or a loan (``L``)."""
        return f"G-{self.id:06d}"

    @property
    def recovered(self) -> Decimal:
        return sum((r.amount for r in self.recoveries), Decimal("0.00"))

    @property
    def recovered_by_fund(self) -> Decimal:
        return sum((r.fund_part for r in self.recoveries), Decimal("0.00"))


class Recovery(db.Model):
    """Money recovered after default, shared pro rata between the fund and the bank."""

    __tablename__ = "recovery"

    id: Mapped[int] = mapped_column(primary_key=True)
    guarantee_id: Mapped[int] = mapped_column(ForeignKey("guarantee.id", ondelete="CASCADE"), index=True)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    fund_part: Mapped[Decimal] = mapped_column(MONEY)
    bank_part: Mapped[Decimal] = mapped_column(MONEY)
    value_date: Mapped[date] = mapped_column(Date)
    reference: Mapped[str | None] = mapped_column(String(100))
    # The loan payment that carried the money: every recovery also lowers the loan's principal.
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id"))
    recorded_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    guarantee: Mapped[Guarantee] = relationship(back_populates="recoveries")


@scope(Guarantee)
def _guarantee_scope(actor: Actor):  # type: ignore[no-untyped-def]
    cond = scope_filter(Loan, actor)
    from sqlalchemy import select
    return Guarantee.loan_id.in_(select(Loan.id).where(cond)) if cond is not None else None
