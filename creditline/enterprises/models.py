"""An enterprise belongs to one SME organisation."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import Organisation
from ..auth.permissions import Actor, scope
from ..database import TimestampMixin
from ..extensions import db


class Enterprise(TimestampMixin, db.Model):
    __tablename__ = "enterprise"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    legal_name: Mapped[str] = mapped_column(String(200))
    tax_id: Mapped[str] = mapped_column(String(64), unique=True)
    country: Mapped[str] = mapped_column(String(2))
    isic_code: Mapped[str] = mapped_column(String(5))
    employees: Mapped[int] = mapped_column(Integer)
    annual_turnover: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    total_assets: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    # A share, not an amount: a ratio compared with thresholds, never summed as money.
    domestic_ownership_share: Mapped[Decimal] = mapped_column(Numeric(5, 4))
    operating_since: Mapped[date] = mapped_column(Date)

    organisation: Mapped[Organisation] = relationship()

    def __repr__(self) -> str:
        return f"<Enterprise {self.id} {self.legal_name!r}>"


ENTERPRISE_SCOPES: list = []


@scope(Enterprise)
def _enterprise_scope(actor: Actor):  # type: ignore[no-untyped-def]
    if actor.organisation_kind == "sme":
        return Enterprise.organisation_id == actor.organisation_id
    # Banks and the NCPC see an enterprise once it has a proposal on their side; the
    # proposals package adds that rule (it owns the link) through ENTERPRISE_SCOPES.
    for extend in ENTERPRISE_SCOPES:
        condition = extend(actor)
        if condition is not None:
            return condition
    return Enterprise.id.is_(None)
