"""The loans list: what it shows and how people find, sort and download it."""
from __future__ import annotations

from typing import Any

from flask import url_for
from sqlalchemy import Select
from sqlalchemy.orm import selectinload

from ..auth.models import Organisation
from ..enterprises.models import Enterprise
from ..listing import AMOUNTS, CHOICE, DATES, SEARCH, Column, Filter, ListSpec
from ..proposals.models import Proposal
from .models import LOAN_LIFECYCLE, Loan

Bank = Organisation.__table__.alias("loan_bank")
LoanProposal = Proposal.__table__.alias("loan_proposal")
LoanEnterprise = Enterprise.__table__.alias("loan_enterprise")


def _joins(stmt: Select[Any]) -> Select[Any]:
    return (stmt.join(LoanProposal, LoanProposal.c.id == Loan.proposal_id)
            .join(LoanEnterprise, LoanEnterprise.c.id == LoanProposal.c.enterprise_id)
            .join(Bank, Bank.c.id == Loan.bank_id)
            .options(selectinload(Loan.proposal).selectinload(Proposal.enterprise), selectinload(Loan.bank)))


LOANS = ListSpec(
    name="loans", title="Loans", noun="loan",
    columns=(
        Column("id", "Loan", lambda loan: f"L{loan.id}", Loan.id,
               link=lambda loan: url_for("loans.detail", loan_id=loan.id)),
        Column("proposal", "Proposal", lambda loan: loan.proposal.title, LoanProposal.c.title),
        Column("enterprise", "Enterprise", lambda loan: loan.proposal.enterprise.legal_name, LoanEnterprise.c.legal_name),
        Column("sector", "ISIC code", lambda loan: loan.proposal.enterprise.isic_code, LoanEnterprise.c.isic_code),
        Column("bank", "Bank", lambda loan: loan.bank.name, Bank.c.name),
        Column("status", "Status", lambda loan: loan.status, Loan.status, kind="code"),
        Column("principal", "Principal", lambda loan: loan.principal, Loan.principal, kind="money",
               currency=lambda loan: loan.currency),
        Column("annual_rate", "Rate a year", lambda loan: loan.annual_rate, Loan.annual_rate, kind="percent"),
        Column("tenor_months", "Tenor", lambda loan: loan.tenor_months, Loan.tenor_months, kind="number",
               unit="months"),
        Column("outstanding", "Outstanding principal", lambda loan: loan.outstanding_principal, kind="money",
               currency=lambda loan: loan.currency),
        Column("days_past_due", "Past due", lambda loan: loan.days_past_due, Loan.days_past_due, kind="number",
               unit="days"),
        Column("start_date", "First disbursement", lambda loan: loan.start_date, Loan.start_date, kind="date"),
        Column("decided_on", "Decided", lambda loan: loan.decided_on, Loan.decided_on, kind="date"),
    ),
    filters=(
        Filter("q", "Proposal or enterprise", SEARCH, (LoanProposal.c.title, LoanEnterprise.c.legal_name)),
        Filter("status", "Status", CHOICE, (Loan.status,), LOAN_LIFECYCLE.states),
        Filter("bank", "Bank", SEARCH, (Bank.c.name,)),
        Filter("sector", "ISIC code", SEARCH, (LoanEnterprise.c.isic_code,)),
        Filter("decided", "Decided", DATES, (Loan.decided_on,)),
        Filter("principal", "Principal", AMOUNTS, (Loan.principal,)),
    ),
    default_sort="-id", tiebreak=Loan.id, joins=_joins,
    empty="No loans in your scope yet.",
)
