"""The portfolio dashboard's tables, grouped by the database: a few thousand rows, not 200,000.

Every figure of the dashboard is a sum or a count by credit line, sector, bank, CP options,
month, currency and status, so SQL GROUP BY does the adding up and pandas only re-sums the
groups by each breakdown. Loans are read from the balances their operations store on them
(:mod:`creditline.loans.balances`); the DPD bucket is the stored oldest unpaid due date compared
with the report day's cut-offs (days past due = report day - that date), no schedule is read.
The scope and filters are the same as :mod:`creditline.reports.frames` applies row by row.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import Select, String, case, cast, func, or_, select, text
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from ..auth.models import Organisation
from ..auth.permissions import Actor, scope_filter
from ..creditlines.models import CreditLine
from ..enterprises.models import Enterprise
from ..extensions import db
from ..grants.models import Grant
from ..guarantees.models import Guarantee, Recovery
from ..loans.models import APPROVED_STATES, Loan
from ..proposals.models import Assessment, Proposal
from ..verifications.models import Verification
from .frames import Filters, _options, _proposal_filters, _read, _where, cents, read_lines


@dataclass
class DashboardFrames:
    lines: pd.DataFrame
    proposals: pd.DataFrame
    loans: pd.DataFrame
    guarantees: pd.DataFrame
    grants: pd.DataFrame
    verified: int      # proposals in view with a confirmed verification in force
    grant_paid: int    # proposals in view with a grant paid
    today: date


def month(*days: Any) -> ColumnElement[Any]:
    """The month of the first date present, as "YYYY-MM" text (SQLite and PostgreSQL alike)."""
    return func.substr(cast(func.coalesce(*days) if len(days) > 1 else days[0], String), 1, 7)


def _cp_where(stmt: Select[Any], cp_option: str | None) -> Select[Any]:
    """The CP option filter in SQL: the option's quoted name inside the stored JSON list."""
    if not cp_option:
        return stmt
    return stmt.where(cast(Proposal.cp_options, String).contains(f'"{cp_option}"', autoescape=True))


def _grouped(stmt: Select[Any], keys: list[Any]) -> pd.DataFrame:
    frame = _read(stmt.group_by(*(getattr(k, "element", k) for k in keys)))
    frame["cp_options"] = _options(frame["cp_options"])
    return frame


def _loans_in_view(stmt: Select[Any], actor: Actor, filters: Filters) -> Select[Any]:
    """Scope and filters of the loans (the statement joins Loan, Proposal and Enterprise)."""
    stmt = _cp_where(_proposal_filters(_where(stmt, Loan, actor), filters), filters.cp_option)
    return stmt if filters.bank_id is None else stmt.where(Loan.bank_id == filters.bank_id)


def _proposals_in_view(stmt: Select[Any], actor: Actor, filters: Filters) -> Select[Any]:
    stmt = _cp_where(_proposal_filters(_where(stmt, Proposal, actor), filters), filters.cp_option)
    return stmt if filters.bank_id is None else stmt.where(Proposal.bank_id == filters.bank_id)


def _bucket(today: date) -> ColumnElement[Any]:
    # Days past due > 90 exactly when the oldest unpaid due date is before today - 90, and so on.
    oldest = Loan.oldest_unpaid_due
    return case((oldest < today - timedelta(days=90), "90+"), (oldest < today - timedelta(days=60), "61-90"),
                (oldest < today - timedelta(days=30), "31-60"), (oldest < today, "1-30"), else_="0")


LOAN_DIMS = [Proposal.credit_line_id, Organisation.name.label("bank"), Enterprise.isic_code,
             cast(Proposal.cp_options, String).label("cp_options"), Loan.currency]


def read_proposal_groups(actor: Actor, filters: Filters) -> pd.DataFrame:
    """Proposals in view counted (``n``) by dimension, status, latest decision and whether lent."""
    latest = (select(Assessment.proposal_id, func.max(Assessment.id).label("aid"))
              .group_by(Assessment.proposal_id).subquery())
    loan = aliased(Loan)
    keys = [Proposal.credit_line_id, Organisation.name.label("bank"), Proposal.status,
            cast(Proposal.cp_options, String).label("cp_options"), month(Proposal.submitted_on).label("month"),
            Enterprise.isic_code, CreditLine.currency, Assessment.decision,
            # An approved loan makes its proposal count as eligible, whatever its status says.
            case((loan.status.in_(APPROVED_STATES), 1), else_=0).label("lent")]
    stmt = (select(*keys, func.count().label("n"))
            .join(Enterprise, Enterprise.id == Proposal.enterprise_id)
            .outerjoin(Organisation, Organisation.id == Proposal.bank_id)
            .join(CreditLine, CreditLine.id == Proposal.credit_line_id)
            .outerjoin(latest, latest.c.proposal_id == Proposal.id)
            .outerjoin(Assessment, Assessment.id == latest.c.aid)
            .outerjoin(loan, loan.proposal_id == Proposal.id))
    frame = _grouped(_proposals_in_view(stmt, actor, filters), keys)
    frame["lent"] = frame["lent"].astype(bool)
    return frame


def read_loan_groups(actor: Actor, filters: Filters, today: date) -> pd.DataFrame:
    """Loans in view by dimension, status and DPD bucket: how many, stored outstanding and disbursed."""
    keys = [*LOAN_DIMS, Loan.status, month(Loan.start_date, Loan.decided_on).label("month"),
            _bucket(today).label("bucket")]
    stmt = (select(*keys, func.count().label("n"), cents(func.sum(Loan.principal_outstanding)).label("outstanding_c"),
                   cents(func.sum(Loan.disbursed_total)).label("disbursed_c"),
                   func.sum(case((Loan.disbursed_total > 0, 1), else_=0)).label("disbursed_n"))
            .join(Proposal, Proposal.id == Loan.proposal_id)
            .join(Enterprise, Enterprise.id == Proposal.enterprise_id)
            .join(Organisation, Organisation.id == Loan.bank_id))
    frame = _grouped(_loans_in_view(stmt, actor, filters), keys)
    for col in ("n", "outstanding_c", "disbursed_c", "disbursed_n"):
        frame[col] = frame[col].fillna(0).astype("int64")
    return frame


def read_guarantee_groups(actor: Actor, filters: Filters) -> pd.DataFrame:
    """Guarantees of the loans in view by the loan's dimensions, their own line, status and month."""
    rec = (select(Recovery.guarantee_id, func.sum(Recovery.fund_part).label("fund_part"))
           .group_by(Recovery.guarantee_id).subquery())
    keys = [*LOAN_DIMS, Guarantee.credit_line_id.label("guarantee_line_id"), Guarantee.status,
            month(Guarantee.issued_on).label("month"),
            case((Loan.status == "repaid", 1), else_=0).label("loan_repaid")]
    stmt = (select(*keys, cents(func.sum(Guarantee.covered_amount)).label("covered_c"),
                   cents(func.sum(Guarantee.claim_amount)).label("claim_c"),
                   cents(func.sum(rec.c.fund_part)).label("recovered_fund_c"))
            .join(Loan, Loan.id == Guarantee.loan_id)
            .join(Proposal, Proposal.id == Loan.proposal_id)
            .join(Enterprise, Enterprise.id == Proposal.enterprise_id)
            .join(Organisation, Organisation.id == Loan.bank_id)
            .outerjoin(rec, rec.c.guarantee_id == Guarantee.id))
    frame = _grouped(_loans_in_view(_where(stmt, Guarantee, actor), actor, filters), keys)
    for col in ("covered_c", "claim_c", "recovered_fund_c"):
        frame[col] = frame[col].fillna(0).astype("int64")
    return frame


def _in_view(column: Any, actor: Actor, filters: Filters) -> ColumnElement[bool] | None:
    """Grants and verifications follow the proposals in view and those financed by a loan in view.

    None when every proposal is in view (the fund's people, no filter): no predicate to evaluate.
    """
    if not filters.as_dict() and scope_filter(Proposal, actor) is None and scope_filter(Loan, actor) is None:
        return None
    proposals = _proposals_in_view(select(Proposal.id).join(Enterprise, Enterprise.id == Proposal.enterprise_id),
                                   actor, filters)
    loans = _loans_in_view(select(Loan.proposal_id).join(Proposal, Proposal.id == Loan.proposal_id)
                           .join(Enterprise, Enterprise.id == Proposal.enterprise_id), actor, filters)
    return or_(column.in_(proposals), column.in_(loans))


def _narrowed(stmt: Select[Any], column: Any, actor: Actor, filters: Filters) -> Select[Any]:
    condition = _in_view(column, actor, filters)
    return stmt if condition is None else stmt.where(condition)


def read_grant_groups(actor: Actor, filters: Filters) -> pd.DataFrame:
    """Grants in view by their line, status, month (paid, else approved), sector, bank and CP options."""
    prop, ent, loan = aliased(Proposal), aliased(Enterprise), aliased(Loan)
    lender, named = aliased(Organisation), aliased(Organisation)
    keys = [Grant.credit_line_id, Grant.status, month(Grant.paid_on, Grant.approved_on).label("month"),
            ent.isic_code, func.coalesce(lender.name, named.name).label("bank"),
            cast(prop.cp_options, String).label("cp_options")]
    stmt = (select(*keys, cents(func.sum(Grant.amount)).label("amount_c"))
            .join(prop, prop.id == Grant.proposal_id).join(ent, ent.id == prop.enterprise_id)
            .outerjoin(named, named.id == prop.bank_id).outerjoin(loan, loan.proposal_id == prop.id)
            .outerjoin(lender, lender.id == loan.bank_id))
    frame = _grouped(_where(_narrowed(stmt, Grant.proposal_id, actor, filters), Grant, actor), keys)
    frame["amount_c"] = frame["amount_c"].fillna(0).astype("int64")
    return frame


def _count_proposals(stmt: Select[Any]) -> int:
    return int(db.session.scalar(select(func.count()).select_from(stmt.distinct().subquery())) or 0)


def read_dashboard(actor: Actor, filters: Filters, today: date) -> DashboardFrames:
    """Every table of the dashboard, grouped, in the caller's scope with the filters applied."""
    if db.session.get_bind().dialect.name == "postgresql":
        # With the default 4 MB PostgreSQL sorts the 100,000 proposals on disk to group them; with
        # room for a hash table it groups them in memory, several times faster. For this read
        # transaction only (the report ends it).
        db.session.execute(text("SET LOCAL work_mem = '64MB'"))
    superseded = select(Verification.supersedes_id).where(Verification.supersedes_id.is_not(None),
                                                          Verification.status == "confirmed")
    verified = _where(_narrowed(select(Verification.proposal_id).where(
        Verification.status == "confirmed", Verification.id.not_in(superseded)), Verification.proposal_id, actor,
        filters), Verification, actor)
    paid = _where(_narrowed(select(Grant.proposal_id).where(Grant.status == "paid"), Grant.proposal_id, actor, filters),
                  Grant, actor)
    return DashboardFrames(read_lines(actor, filters), read_proposal_groups(actor, filters),
                           read_loan_groups(actor, filters, today), read_guarantee_groups(actor, filters),
                           read_grant_groups(actor, filters), _count_proposals(verified), _count_proposals(paid), today)
