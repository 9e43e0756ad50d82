"""The grants list: what it shows and how people find, sort and download it."""
from __future__ import annotations

from typing import Any

from flask import url_for
from sqlalchemy import Select
from sqlalchemy.orm import selectinload

from ..enterprises.models import Enterprise
from ..listing import AMOUNTS, CHOICE, DATES, SEARCH, Column, Filter, ListSpec
from ..proposals.models import Proposal
from .models import GRANT_LIFECYCLE, Grant

GProposal = Proposal.__table__.alias("grant_proposal")
GEnterprise = Enterprise.__table__.alias("grant_enterprise")


def _joins(stmt: Select[Any]) -> Select[Any]:
    return (stmt.join(GProposal, GProposal.c.id == Grant.proposal_id)
            .join(GEnterprise, GEnterprise.c.id == GProposal.c.enterprise_id)
            .options(selectinload(Grant.proposal).selectinload(Proposal.enterprise)))


GRANTS = ListSpec(
    name="grants", title="Grants", noun="grant",
    columns=(
        Column("id", "Grant", lambda g: g.reference, Grant.id),
        Column("proposal", "Proposal", lambda g: g.proposal.title, GProposal.c.title,
               link=lambda g: url_for("proposals.detail", proposal_id=g.proposal_id)),
        Column("enterprise", "Enterprise", lambda g: g.proposal.enterprise.legal_name, GEnterprise.c.legal_name),
        Column("verification", "Verification", lambda g: f"V{g.verification_id}", Grant.verification_id,
               link=lambda g: url_for("verifications.detail", verification_id=g.verification_id)),
        Column("improvement", "Improvement", lambda g: g.improvement, Grant.improvement, kind="percent"),
        Column("rate", "Grant rate", lambda g: g.rate, Grant.rate, kind="percent"),
        Column("basis", "Basis", lambda g: g.basis, Grant.basis, kind="code"),
        Column("basis_amount", "Basis amount", lambda g: g.basis_amount, Grant.basis_amount, kind="money",
               currency=lambda g: g.currency),
        Column("amount", "Grant", lambda g: g.amount, Grant.amount, kind="money", currency=lambda g: g.currency),
        Column("paid_as", "Paid as", lambda g: g.paid_as, Grant.paid_as, kind="code"),
        Column("status", "Status", lambda g: g.status, Grant.status, kind="code"),
        Column("approved_on", "Approved", lambda g: g.approved_on, Grant.approved_on, kind="date"),
        Column("paid_on", "Paid", lambda g: g.paid_on, Grant.paid_on, kind="date"),
        Column("payment_reference", "Payment reference", lambda g: g.payment_reference, Grant.payment_reference),
    ),
    filters=(
        Filter("q", "Proposal or enterprise", SEARCH, (GProposal.c.title, GEnterprise.c.legal_name)),
        Filter("status", "Status", CHOICE, (Grant.status,), GRANT_LIFECYCLE.states),
        Filter("paid", "Paid", DATES, (Grant.paid_on,)),
        Filter("amount", "Grant", AMOUNTS, (Grant.amount,)),
    ),
    default_sort="-id", tiebreak=Grant.id, joins=_joins,
    empty="No grants in your scope yet: a grant is calculated when the NCPC confirms a verification.",
)
