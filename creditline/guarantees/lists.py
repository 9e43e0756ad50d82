"""The guarantees list: what it shows and how people find, sort and download it."""
from __future__ import annotations

from typing import Any

from flask import url_for
from sqlalchemy import Select
from sqlalchemy.orm import selectinload

from ..auth.models import Organisation
from ..enterprises.models import Enterprise
from ..listing import AMOUNTS, CHOICE, DATES, SEARCH, Column, Filter, ListSpec
from ..loans.models import Loan
from ..proposals.models import Proposal
from .models import GUARANTEE_LIFECYCLE, Guarantee

Bank = Organisation.__table__.alias("guarantee_bank")
GLoan = Loan.__table__.alias("guarantee_loan")
GProposal = Proposal.__table__.alias("guarantee_proposal")
GEnterprise = Enterprise.__table__.alias("guarantee_enterprise")


def _joins(stmt: Select[Any]) -> Select[Any]:
    return (stmt.join(GLoan, GLoan.c.id == Guarantee.loan_id)
            .join(GProposal, GProposal.c.id == GLoan.c.proposal_id)
            .join(GEnterprise, GEnterprise.c.id == GProposal.c.enterprise_id)
            .join(Bank, Bank.c.id == GLoan.c.bank_id)
            .options(selectinload(Guarantee.loan).selectinload(Loan.proposal).selectinload(Proposal.enterprise),
                     selectinload(Guarantee.loan).selectinload(Loan.bank)))


GUARANTEES = ListSpec(
    name="guarantees", title="Guarantees", noun="guarantee",
    columns=(
        Column("id", "Guarantee", lambda g: g.reference, Guarantee.id,
               link=lambda g: url_for("guarantees.detail", guarantee_id=g.id)),
        Column("loan", "Loan", lambda g: f"L{g.loan_id}", Guarantee.loan_id,
               link=lambda g: url_for("loans.detail", loan_id=g.loan_id)),
        Column("enterprise", "Enterprise", lambda g: g.loan.proposal.enterprise.legal_name, GEnterprise.c.legal_name),
        Column("bank", "Bank", lambda g: g.loan.bank.name, Bank.c.name),
        Column("status", "Status", lambda g: g.status, Guarantee.status, kind="code"),
        Column("coverage_share", "Coverage", lambda g: g.coverage_share, Guarantee.coverage_share, kind="percent"),
        Column("covered_amount", "Covered", lambda g: g.covered_amount, Guarantee.covered_amount, kind="money",
               currency=lambda g: g.currency),
        Column("fee", "Fee", lambda g: g.fee, Guarantee.fee, kind="money", currency=lambda g: g.currency),
        Column("claim_amount", "Claim", lambda g: g.claim_amount, Guarantee.claim_amount, kind="money",
               currency=lambda g: g.currency),
        Column("issued_on", "Issued", lambda g: g.issued_on, Guarantee.issued_on, kind="date"),
        Column("valid_until", "Valid until", lambda g: g.valid_until, Guarantee.valid_until, kind="date"),
    ),
    filters=(
        Filter("q", "Enterprise", SEARCH, (GEnterprise.c.legal_name, GProposal.c.title)),
        Filter("status", "Status", CHOICE, (Guarantee.status,), GUARANTEE_LIFECYCLE.states),
        Filter("bank", "Bank", SEARCH, (Bank.c.name,)),
        Filter("issued", "Issued", DATES, (Guarantee.issued_on,)),
        Filter("covered_amount", "Covered", AMOUNTS, (Guarantee.covered_amount,)),
    ),
    default_sort="-id", tiebreak=Guarantee.id, joins=_joins,
    empty="No guarantees in your scope yet.",
)
