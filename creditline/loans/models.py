"""A loan on an eligible proposal: its terms, disbursements, installment schedule and payments."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint, false, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.permissions import Actor, scope
from ..creditlines.models import CreditLine
from ..database import TimestampMixin, utcnow
from ..enterprises.models import Enterprise
from ..extensions import db
from ..proposals.models import Proposal
from ..states import Lifecycle

if TYPE_CHECKING:
    from ..auth.models import Organisation, User

LOAN_LIFECYCLE = Lifecycle(
    "loan",
    {
        # The bank officer's terms wait for the credit committee; withdrawing the proposal
        # withdraws them.
        "applied": ("approved", "declined", "withdrawn"),
        "approved": ("disbursed",),       # the first tranche is paid out
        # `disbursed`: tranches are still being paid out (less than the approved principal is
        # out) and no installment has fallen due yet. It becomes `active` with the tranche that
        # completes the principal, or on the first due date, whichever comes first. Payments
        # and arrears apply in both states.
        "disbursed": ("active",),
        "active": ("in_arrears", "repaid"),
        # A payoff while in arrears first cures the arrears (in_arrears -> active -> repaid).
        "in_arrears": ("active", "defaulted"),
        # Curing a default is a decision for people; a defaulted loan is written off or kept.
        "defaulted": ("written_off",),
        "written_off": (),
        "declined": (),
        "withdrawn": (),
        "repaid": (),
    },
    initial="applied",
)
# States in which the loan is lent out and payments are accepted.
SERVICING_STATES = ("disbursed", "active", "in_arrears", "defaulted")
# Once a loan is approved its proposal can no longer be withdrawn.
APPROVED_STATES = ("approved", "disbursed", "active", "in_arrears", "defaulted", "written_off", "repaid")

MONEY = Numeric(14, 2)
ZERO = Decimal("0.00")


class Loan(TimestampMixin, db.Model):
    __tablename__ = "loan"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), unique=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="applied", index=True)
    currency: Mapped[str] = mapped_column(String(3))
    principal: Mapped[Decimal] = mapped_column(MONEY)
    annual_rate: Mapped[Decimal] = mapped_column(Numeric(9, 8))
    tenor_months: Mapped[int] = mapped_column(Integer)
    grace_months: Mapped[int] = mapped_column(Integer, default=0)
    frequency: Mapped[str] = mapped_column(String(12))
    method: Mapped[str] = mapped_column(String(16))
    fee_per_installment: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    upfront_fee: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    # Planned tranches: [{"date": "2027-01-01", "amount": "50000.00"}, ...]
    disbursement_plan: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # The schedule runs from the first disbursement's value date.
    start_date: Mapped[date | None] = mapped_column(Date)
    proposed_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The day the committee decided (entered by the user); decided_at is when it was entered.
    decided_on: Mapped[date | None] = mapped_column(Date)
    decline_reason: Mapped[str | None] = mapped_column(Text)
    days_past_due: Mapped[int] = mapped_column(Integer, default=0)
    arrears_as_of: Mapped[date | None] = mapped_column(Date)
    # The proposal's debt service coverage recomputed with these terms (peak loan year).
    annual_debt_service: Mapped[Decimal | None] = mapped_column(MONEY)
    debt_service_coverage: Mapped[Decimal | None] = mapped_column(Numeric(10, 4))
    # A write-off takes four eyes: the lending bank's officer proposes it with the reason, a member
    # of the credit committee other than the proposer confirms it (written_off_by) or declines it
    # (the proposal is cleared; the audit trail keeps it).
    write_off_proposed_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    write_off_proposed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    write_off_reason: Mapped[str | None] = mapped_column(Text)
    written_off_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    written_off_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The approved principal the bank will no longer pay out (cancelled by its officer, with a reason).
    cancelled_amount: Mapped[Decimal] = mapped_column(MONEY, default=ZERO, server_default="0")
    cancelled_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancellation_reason: Mapped[str | None] = mapped_column(Text)
    # The balances a bank's core system keeps, written only by loans.balances.refresh_balances in the
    # transaction that changes them (and by the daily arrears job), so reports read one row per loan
    # instead of its schedule and payments. Arrears are as of ``balances_as_of``.
    principal_outstanding: Mapped[Decimal] = mapped_column(MONEY, default=ZERO, server_default="0")
    principal_in_arrears: Mapped[Decimal] = mapped_column(MONEY, default=ZERO, server_default="0")
    oldest_unpaid_due: Mapped[date | None] = mapped_column(Date)
    disbursed_total: Mapped[Decimal] = mapped_column(MONEY, default=ZERO, server_default="0")
    paid_total: Mapped[Decimal] = mapped_column(MONEY, default=ZERO, server_default="0")
    last_payment_on: Mapped[date | None] = mapped_column(Date)
    balances_as_of: Mapped[date | None] = mapped_column(Date)

    proposal: Mapped[Proposal] = relationship()
    # The lists show the partner bank by name.
    bank: Mapped["Organisation | None"] = relationship("Organisation", foreign_keys=[bank_id], viewonly=True)
    write_off_proposer: Mapped["User | None"] = relationship("User", foreign_keys=[write_off_proposed_by], viewonly=True)
    installments: Mapped[list[Installment]] = relationship(
        cascade="all, delete-orphan", order_by="Installment.number", lazy="selectin")
    disbursements: Mapped[list[Disbursement]] = relationship(
        back_populates="loan", cascade="all, delete-orphan", order_by="Disbursement.id", lazy="selectin")
    payments: Mapped[list[Payment]] = relationship(
        back_populates="loan", cascade="all, delete-orphan", order_by="Payment.id", lazy="selectin")

    @property
    def disbursed(self) -> Decimal:
        return sum((d.amount for d in self.disbursements), ZERO)

    @property
    def undisbursed(self) -> Decimal:
        return self.principal - self.disbursed - (self.cancelled_amount or ZERO)

    @property
    def outstanding_principal(self) -> Decimal:
        """Principal lent out and not yet repaid: the unpaid principal of the schedule.

        Prepaid principal is not booked on an installment; it shrinks the recomputed schedule.
        The first tranche builds the schedule, so a disbursed loan without installments is one
        whose whole schedule a payment (or a grant) prepaid: nothing is outstanding.
        """
        if not self.installments:
            return self.disbursed if not self.payments else ZERO
        return sum((i.principal - i.principal_paid for i in self.installments), ZERO)

    @property
    def net_annual_savings(self) -> Decimal | None:
        p = self.proposal
        if p.annual_savings is None:
            return None
        return p.annual_savings - (p.annual_extra_operating_cost or ZERO)

    @property
    def allowed_transitions(self) -> list[str]:
        return LOAN_LIFECYCLE.allowed(self.status)

    def __repr__(self) -> str:
        return f"<Loan {self.id} {self.status} {self.currency} {self.principal}>"


class Installment(db.Model):
    """One installment of the current schedule, with what has been paid of each part."""

    __tablename__ = "installment"
    __table_args__ = (UniqueConstraint("loan_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loan.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date] = mapped_column(Date, index=True)
    principal: Mapped[Decimal] = mapped_column(MONEY)
    interest: Mapped[Decimal] = mapped_column(MONEY)
    fee: Mapped[Decimal] = mapped_column(MONEY)
    balance_after: Mapped[Decimal] = mapped_column(MONEY)
    principal_paid: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    interest_paid: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    fee_paid: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    status: Mapped[str] = mapped_column(String(12), default="scheduled")  # scheduled | partly_paid | paid

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.fee

    @property
    def paid(self) -> Decimal:
        return self.principal_paid + self.interest_paid + self.fee_paid

    @property
    def unpaid(self) -> Decimal:
        return self.total - self.paid


class Disbursement(db.Model):
    __tablename__ = "disbursement"

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loan.id", ondelete="CASCADE"), index=True)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    value_date: Mapped[date] = mapped_column(Date)
    reference: Mapped[str | None] = mapped_column(String(100))
    created_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    loan: Mapped[Loan] = relationship(back_populates="disbursements")


class Payment(db.Model):
    """A repayment and how it was applied (fees, interest, principal, prepayment)."""

    __tablename__ = "payment"

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loan.id", ondelete="CASCADE"), index=True)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))
    value_date: Mapped[date] = mapped_column(Date)
    reference: Mapped[str | None] = mapped_column(String(100))
    # {"lines": [{"number", "fee", "interest", "principal"}], "prepayment": "0.00"}
    allocation: Mapped[dict[str, Any]] = mapped_column(JSON)
    prepayment: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    mode: Mapped[str | None] = mapped_column(String(20))  # shorten | lower_installment
    created_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    loan: Mapped[Loan] = relationship(back_populates="payments")


@scope(Loan)
def _loan_scope(actor: Actor):  # type: ignore[no-untyped-def]
    kind = actor.organisation_kind
    if kind == "bank":
        return Loan.bank_id == actor.organisation_id
    if kind == "sme":
        own = select(Enterprise.id).where(Enterprise.organisation_id == actor.organisation_id)
        return Loan.proposal_id.in_(select(Proposal.id).where(Proposal.enterprise_id.in_(own)))
    if kind == "ncpc":
        served = select(CreditLine.id).where(CreditLine.ncpc_id == actor.organisation_id)
        return Loan.proposal_id.in_(select(Proposal.id).where(Proposal.credit_line_id.in_(served)))
    return false()
