"""The proposals list: what it shows and how people find, sort and download it."""
from __future__ import annotations

from typing import Any

from flask import url_for
from sqlalchemy import Select
from sqlalchemy.orm import selectinload

from ..auth.models import Organisation
from ..creditlines.models import CreditLine
from ..enterprises.models import Enterprise
from ..listing import AMOUNTS, CHOICE, DATES, SEARCH, Column, Filter, ListSpec
from .models import PROPOSAL_LIFECYCLE, Proposal

Bank = Organisation.__table__.alias("proposal_bank")
# Aliases: the scope rules query enterprises in subqueries of their own (never correlated to these).
PEnterprise = Enterprise.__table__.alias("proposal_enterprise")
PLine = CreditLine.__table__.alias("proposal_line")


def _joins(stmt: Select[Any]) -> Select[Any]:
    return (stmt.join(PEnterprise, PEnterprise.c.id == Proposal.enterprise_id)
            .join(PLine, PLine.c.id == Proposal.credit_line_id)
            .outerjoin(Bank, Bank.c.id == Proposal.bank_id)
            .options(selectinload(Proposal.enterprise), selectinload(Proposal.credit_line),
                     selectinload(Proposal.bank)))


PROPOSALS = ListSpec(
    name="proposals", title="Proposals", noun="proposal",
    columns=(
        Column("id", "No.", lambda p: p.id, Proposal.id),
        Column("title", "Title", lambda p: p.title, Proposal.title,
               link=lambda p: url_for("proposals.detail", proposal_id=p.id)),
        Column("enterprise", "Enterprise", lambda p: p.enterprise.legal_name, PEnterprise.c.legal_name),
        Column("sector", "ISIC code", lambda p: p.enterprise.isic_code, PEnterprise.c.isic_code),
        Column("credit_line", "Credit line", lambda p: p.credit_line.name, PLine.c.name),
        Column("bank", "Bank", lambda p: p.bank.name if p.bank else None, Bank.c.name),
        Column("investment", "Investment", lambda p: p.investment, Proposal.investment, kind="money",
               currency=lambda p: p.currency),
        Column("loan_amount", "Loan amount", lambda p: p.loan_amount, Proposal.loan_amount, kind="money",
               currency=lambda p: p.currency),
        Column("status", "Status", lambda p: p.status, Proposal.status, kind="code"),
        Column("submitted_on", "Submitted", lambda p: p.submitted_on, Proposal.submitted_on, kind="date"),
        # The day the proposal was typed into creditline (a draft has no submission day yet), not an event day.
        Column("created_at", "Entered on", lambda p: p.created_at.date(), Proposal.created_at, kind="date"),
    ),
    filters=(
        Filter("q", "Title or enterprise", SEARCH, (Proposal.title, PEnterprise.c.legal_name)),
        Filter("status", "Status", CHOICE, (Proposal.status,), PROPOSAL_LIFECYCLE.states),
        Filter("bank", "Bank", SEARCH, (Bank.c.name,)),
        Filter("sector", "ISIC code", SEARCH, (PEnterprise.c.isic_code,)),
        Filter("submitted", "Submitted", DATES, (Proposal.submitted_on,)),
        Filter("loan_amount", "Loan amount", AMOUNTS, (Proposal.loan_amount,)),
    ),
    default_sort="-created_at", tiebreak=Proposal.id, joins=_joins,
    empty="No proposals in your scope yet.",
)
