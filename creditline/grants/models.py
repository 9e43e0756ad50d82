"""The incentive grant of a confirmed verification: one per verification, paid exactly once."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, DateTime, ForeignKey, Index, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.permissions import Actor, scope
from ..database import utcnow
from ..extensions import db
from ..monitoring.models import proposals_in_scope
from ..proposals.models import Proposal
from ..states import Lifecycle
from ..verifications.models import Verification

GRANT_LIFECYCLE = Lifecycle(
    "grant",
    {
        "calculated": ("approved", "blocked", "superseded"),
        # A condition that fails after approval (another incentive declared, the loan repaid)
        # blocks it before it is paid.
        "approved": ("paid", "blocked", "superseded"),
        "blocked": (),
        "paid": (),
        "superseded": (),
    },
    initial="calculated",
)
PAID_AS = ("principal_reduction", "enterprise")
COMMITTED = ("approved", "paid")
_COMMITTED_SQL = text("status IN ('approved', 'paid')")


class Grant(db.Model):
    __tablename__ = "incentive_grant"
    # At most one grant committed (approved or paid) per proposal, whatever the service does:
    # a partial unique index, which SQLite and PostgreSQL both enforce.
    __table_args__ = (Index("uq_incentive_grant_committed_proposal", "proposal_id", unique=True,
                            sqlite_where=_COMMITTED_SQL, postgresql_where=_COMMITTED_SQL),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # One grant per verification, enforced by the database as well as the service.
    verification_id: Mapped[int] = mapped_column(ForeignKey("verification.id"), unique=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), index=True)
    credit_line_id: Mapped[int] = mapped_column(ForeignKey("credit_line.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    improvement: Mapped[Decimal | None] = mapped_column(Numeric(8, 6))
    rate: Mapped[Decimal] = mapped_column(Numeric(6, 4))
    basis: Mapped[str] = mapped_column(String(32))
    basis_amount: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    amount: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    status: Mapped[str] = mapped_column(String(16), default="calculated")
    reason: Mapped[str | None] = mapped_column(Text)
    paid_as: Mapped[str] = mapped_column(String(24), default="principal_reduction")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    approved_on: Mapped[date | None] = mapped_column(Date)  # the day the fund approved it
    paid_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    paid_on: Mapped[date | None] = mapped_column(Date)  # the payment's value date
    payment_reference: Mapped[str | None] = mapped_column(String(64))

    verification: Mapped[Verification] = relationship()
    proposal: Mapped[Proposal] = relationship()

    @property
    def reference(self) -> str:
        """``GR-000012``: a grant is never mistaken for a guarantee (``G-``); its payment carries it too."""
        return f"GR-{self.id:06d}"


# A verification shows the grant it led to (read-only): declared here, not in verifications.models,
# because grants sit above verifications and the verification's package does not import them.
Verification.grant = relationship(
    Grant, primaryjoin=Grant.verification_id == Verification.id, uselist=False, viewonly=True)


@scope(Grant)
def _grant_scope(actor: Actor):  # type: ignore[no-untyped-def]
    ids = proposals_in_scope(actor)
    return None if ids is None else Grant.proposal_id.in_(ids)
