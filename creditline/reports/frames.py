"""The report tables read from the database: one query per table, limited to the caller's scope.

Money travels through the frames as whole cents in int64 columns (rounded in SQL), so pandas sums
exact integers quickly instead of Decimal objects one by one; the report functions turn cents
back into Decimal at the edge. Children (installments, tranches, payments, recoveries) are
aggregated per loan in the database with GROUP BY, never fetched row by row; a loan's balances
are read as its operations stored them (:mod:`creditline.loans.balances`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import JSON, BigInteger, Float, Select, String, Text, and_, cast, func, select, type_coerce
from sqlalchemy.sql.elements import ColumnElement

from ..auth.models import Organisation
from ..auth.permissions import Actor, scope_filter
from ..creditlines.models import CreditLine
from ..enterprises.models import Enterprise
from ..extensions import db
from ..grants.models import Grant
from ..guarantees.models import Guarantee, Recovery
from ..loans.models import Installment, Loan
from ..proposals.models import Assessment, Proposal, ProposalIndicator
from ..verifications.models import Verification

# SQLite sums NUMERIC columns as floats; a paid installment may leave 2e-13 unpaid, so only a
# whole cent counts as owed (the same rule as the daily arrears job).
ONE_CENT = 0.01


def raw(column: Any) -> ColumnElement[Any]:
    """A date or JSON column as the driver hands it over, without SQLAlchemy's per-row parsing.

    pandas parses dates in one vectorised call, and the few distinct CP option lists are decoded
    once each: per-row parsing of 150,000 values was most of a report's time. A JSON column is cast
    to text in SQL: psycopg would otherwise decode every row's JSON itself, whatever SQLAlchemy asks.
    """
    if isinstance(getattr(column, "type", None), JSON):
        return cast(column, Text)
    return type_coerce(column, String)


def cents(column: Any) -> ColumnElement[Any]:
    """An amount as whole cents (int) computed by the database: exact, and cheap for pandas."""
    return cast(func.round(func.coalesce(column, 0) * 100), BigInteger)


@dataclass(frozen=True)
class Filters:
    """What the reader narrowed the report to (None: everything in scope)."""

    credit_line_id: int | None = None
    bank_id: int | None = None
    isic: str | None = None       # an ISIC code or its prefix ("13" is the division)
    cp_option: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class Frames:
    """Every table a report needs, in the caller's scope, with the filters applied."""

    lines: pd.DataFrame
    proposals: pd.DataFrame
    loans: pd.DataFrame
    guarantees: pd.DataFrame
    grants: pd.DataFrame
    verifications: pd.DataFrame
    indicators: pd.DataFrame
    today: date


def _read(stmt: Select[Any], dates: tuple[str, ...] = ()) -> pd.DataFrame:
    """The statement's rows as a frame, taken from the driver's cursor in one fetch.

    SQLAlchemy binds the parameters; the rows skip its Row objects and per-value result
    processing (a JSON result stays text, decoded where it is read), which were most of the
    time of reading 100,000 proposals.
    """
    result = db.session.connection().execute(stmt)
    try:
        columns = list(result.keys())
        rows = result.cursor.fetchall() if result.cursor is not None else []
    finally:
        result.close()
    frame = pd.DataFrame.from_records(rows, columns=columns, coerce_float=True)
    for col in dates:
        frame[col] = pd.to_datetime(frame[col], errors="coerce")
    return frame


def _where(stmt: Select[Any], model: type, actor: Actor) -> Select[Any]:
    condition = scope_filter(model, actor)
    return stmt if condition is None else stmt.where(condition)


def _proposal_filters(stmt: Select[Any], filters: Filters) -> Select[Any]:
    if filters.credit_line_id is not None:
        stmt = stmt.where(Proposal.credit_line_id == filters.credit_line_id)
    if filters.isic:
        stmt = stmt.where(Enterprise.isic_code.startswith(filters.isic, autoescape=True))
    return stmt


def _cp_filter(frame: pd.DataFrame, cp_option: str | None) -> pd.DataFrame:
    if not cp_option or frame.empty:
        return frame
    return frame[frame["cp_options"].map(lambda opts: cp_option in opts)].reset_index(drop=True)


def _options(column: pd.Series) -> pd.Series:
    """Decode the CP option lists: each distinct JSON text once (a list given as it is)."""
    import json
    decoded: dict[str, list[str]] = {}

    def one(value: Any) -> list[str]:
        if isinstance(value, str):
            if value not in decoded:
                decoded[value] = list(json.loads(value) or [])
            return decoded[value]
        return list(value or [])

    return column.map(one)


def read_lines(actor: Actor, filters: Filters) -> pd.DataFrame:
    stmt = select(CreditLine.id.label("credit_line_id"), CreditLine.name.label("line"), CreditLine.currency,
                  CreditLine.rulebook_id, CreditLine.rulebook_version,
                  cents(CreditLine.guarantee_capacity).label("capacity_c"),
                  cents(CreditLine.grant_budget).label("budget_c"),
                  select(Organisation.name).where(Organisation.id == CreditLine.ncpc_id).scalar_subquery()
                  .label("ncpc")).order_by(CreditLine.id)
    stmt = _where(stmt, CreditLine, actor)
    if filters.credit_line_id is not None:
        stmt = stmt.where(CreditLine.id == filters.credit_line_id)
    return _read(stmt)


def read_proposals(actor: Actor, filters: Filters) -> pd.DataFrame:
    latest = (select(Assessment.proposal_id, func.max(Assessment.id).label("aid"))
              .group_by(Assessment.proposal_id).subquery())
    stmt = (select(Proposal.id.label("proposal_id"), Proposal.credit_line_id, Proposal.bank_id, Proposal.status,
                   raw(Proposal.cp_options).label("cp_options"), raw(Proposal.submitted_on).label("submitted_on"),
                   Proposal.title, Enterprise.isic_code,
                   Enterprise.legal_name.label("enterprise"), cents(Enterprise.total_assets).label("total_assets_c"),
                   cents(Proposal.annual_savings).label("annual_savings_c"),
                   cents(Proposal.annual_extra_operating_cost).label("extra_cost_c"),
                   Proposal.main_indicator, CreditLine.currency, Assessment.decision,
                   Organisation.name.label("bank"))
            .join(Enterprise, Enterprise.id == Proposal.enterprise_id)
            .outerjoin(Organisation, Organisation.id == Proposal.bank_id)
            .join(CreditLine, CreditLine.id == Proposal.credit_line_id)
            .outerjoin(latest, latest.c.proposal_id == Proposal.id)
            .outerjoin(Assessment, Assessment.id == latest.c.aid)
            .order_by(Proposal.id))
    stmt = _proposal_filters(_where(stmt, Proposal, actor), filters)
    if filters.bank_id is not None:
        stmt = stmt.where(Proposal.bank_id == filters.bank_id)
    frame = _read(stmt, ("submitted_on",))
    frame["cp_options"] = _options(frame["cp_options"])
    return _cp_filter(frame, filters.cp_option)


def _cp_where(stmt: Select[Any], cp_option: str | None) -> Select[Any]:
    """The CP option filter in SQL: the option's quoted name inside the stored JSON list."""
    if not cp_option:
        return stmt
    return stmt.where(cast(Proposal.cp_options, String).contains(f'"{cp_option}"', autoescape=True))


def read_loans(actor: Actor, filters: Filters, today: date, payments: bool = True) -> pd.DataFrame:
    """Each loan with the balances its operations keep on it (:mod:`creditline.loans.balances`).

    One row per loan, no child table: outstanding principal, the oldest unpaid due date (days
    past due on any day follow from it), totals paid out and in are stored on the loan. Only the
    tape (``payments``) also sums each schedule for what is overdue on the day and the maturity.
    """
    stmt = (select(Loan.id.label("loan_id"), Loan.proposal_id, Loan.bank_id, Organisation.name.label("bank"),
                   Proposal.credit_line_id, Loan.status, Loan.currency, cents(Loan.principal).label("principal_c"),
                   Loan.annual_rate, Loan.tenor_months, Loan.grace_months,
                   Loan.frequency, Loan.method, raw(Loan.decided_on).label("decided_on"),
                   raw(Loan.start_date).label("first_disbursed"), cents(Loan.cancelled_amount).label("cancelled_c"),
                   Enterprise.legal_name.label("enterprise"), Enterprise.isic_code,
                   raw(Proposal.cp_options).label("cp_options"),
                   cents(Loan.principal_outstanding).label("principal_outstanding_c"),
                   raw(Loan.oldest_unpaid_due).label("oldest_unpaid_due"),
                   cents(Loan.disbursed_total).label("disbursed_c"), cents(Loan.paid_total).label("paid_c"),
                   raw(Loan.last_payment_on).label("last_payment"))
            .join(Proposal, Proposal.id == Loan.proposal_id)
            .join(Enterprise, Enterprise.id == Proposal.enterprise_id)
            .join(Organisation, Organisation.id == Loan.bank_id)
            .order_by(Loan.id))
    dates = ["decided_on", "first_disbursed", "oldest_unpaid_due", "last_payment"]
    if payments:
        unpaid = (Installment.principal + Installment.interest + Installment.fee
                  - Installment.principal_paid - Installment.interest_paid - Installment.fee_paid)
        late = and_(Installment.due_date < today, unpaid >= ONE_CENT)
        inst = (select(Installment.loan_id,
                       cents(func.sum(func.coalesce(_when(late, unpaid), 0))).label("overdue_c"),
                       raw(func.max(Installment.due_date)).label("maturity"))
                .group_by(Installment.loan_id).subquery())
        stmt = stmt.add_columns(inst.c.overdue_c, inst.c.maturity).outerjoin(inst, inst.c.loan_id == Loan.id)
        dates.append("maturity")
    stmt = _proposal_filters(_where(stmt, Loan, actor), filters)
    if filters.bank_id is not None:
        stmt = stmt.where(Loan.bank_id == filters.bank_id)
    frame = _read(stmt, tuple(dates))
    for col in ("principal_outstanding_c", "disbursed_c", "paid_c", *(("overdue_c",) if payments else ())):
        frame[col] = frame[col].fillna(0).astype("int64")
    frame["cp_options"] = _options(frame["cp_options"])
    return _cp_filter(frame, filters.cp_option)


def _when(condition: ColumnElement[bool], value: Any) -> ColumnElement[Any]:
    from sqlalchemy import case
    return case((condition, value), else_=None)


def read_guarantees(actor: Actor, loan_ids: pd.Series) -> pd.DataFrame:
    rec = (select(Recovery.guarantee_id, cents(func.sum(Recovery.fund_part)).label("recovered_fund_c"),
                  cents(func.sum(Recovery.amount)).label("recovered_c"))
           .group_by(Recovery.guarantee_id).subquery())
    stmt = (select(Guarantee.id.label("guarantee_id"), Guarantee.loan_id, Guarantee.credit_line_id, Guarantee.status,
                   Guarantee.coverage_share, cents(Guarantee.cap).label("cap_c"),
                   cents(Guarantee.covered_amount).label("covered_c"), cents(Guarantee.claim_amount).label("claim_c"),
                   raw(Guarantee.issued_on).label("issued_on"), rec.c.recovered_fund_c, rec.c.recovered_c)
            .outerjoin(rec, rec.c.guarantee_id == Guarantee.id).order_by(Guarantee.id))
    frame = _read(_where(stmt, Guarantee, actor), ("issued_on",))
    for col in ("recovered_fund_c", "recovered_c"):
        frame[col] = frame[col].fillna(0).astype("int64")
    frame["cap_c"] = frame["cap_c"].where(frame["cap_c"] > 0)
    return frame[frame["loan_id"].isin(loan_ids)].reset_index(drop=True)


def read_grants(actor: Actor, proposal_ids: pd.Series) -> pd.DataFrame:
    stmt = (select(Grant.id.label("grant_id"), Grant.proposal_id, Grant.credit_line_id, Grant.status,
                   cents(Grant.amount).label("amount_c"), raw(Grant.approved_on).label("approved_on"),
                   raw(Grant.paid_on).label("paid_on"), Grant.paid_as, Grant.payment_reference,
                   # Rate in basis points and improvement in millionths: exact on either database.
                   cast(func.round(Grant.rate * 10_000), BigInteger).label("rate_bp"),
                   cast(func.round(Grant.improvement * 1_000_000), BigInteger).label("improvement_e6"))
            .order_by(Grant.id))
    frame = _read(_where(stmt, Grant, actor), ("approved_on", "paid_on"))
    return frame[frame["proposal_id"].isin(proposal_ids)].reset_index(drop=True)


def read_verifications(actor: Actor, proposal_ids: pd.Series, with_result: bool = True) -> pd.DataFrame:
    """The confirmed verification in force per proposal (a correction supersedes the one before)."""
    superseded = select(Verification.supersedes_id).where(Verification.supersedes_id.is_not(None),
                                                          Verification.status == "confirmed")
    stmt = (select(Verification.id.label("verification_id"), Verification.proposal_id,
                   raw(Verification.confirmed_on).label("confirmed_on"),
                   *([Verification.result] if with_result else []))
            .where(Verification.status == "confirmed", Verification.id.not_in(superseded))
            .order_by(Verification.id))
    frame = _read(_where(stmt, Verification, actor), ("confirmed_on",))
    frame = frame[frame["proposal_id"].isin(proposal_ids)]
    # Two confirmed chains cannot exist for one proposal, but keep the newest if they ever did.
    return frame.drop_duplicates("proposal_id", keep="last").reset_index(drop=True)


def read_indicators(actor: Actor, proposal_ids: pd.Series) -> pd.DataFrame:
    # Quantities are measurements (four decimals), read as floats: no Decimal object per cell.
    stmt = select(ProposalIndicator.proposal_id, ProposalIndicator.stream, ProposalIndicator.unit,
                  *(cast(c, Float).label(c.key) for c in (
                      ProposalIndicator.baseline_quantity, ProposalIndicator.baseline_output,
                      ProposalIndicator.projected_quantity, ProposalIndicator.projected_output)))
    stmt = stmt.join(Proposal, Proposal.id == ProposalIndicator.proposal_id)
    frame = _read(_where(stmt, Proposal, actor))
    for col in ("baseline_quantity", "baseline_output", "projected_quantity", "projected_output"):
        frame[col] = frame[col].astype("float64")
    return frame[frame["proposal_id"].isin(proposal_ids)].reset_index(drop=True)


def read_all(actor: Actor, filters: Filters, today: date, *, impact: bool = True, tape: bool = False) -> Frames:
    """Every table of the reports, scoped and filtered (impact tables only when asked)."""
    lines = read_lines(actor, filters)
    loans = read_loans(actor, filters, today, payments=tape)
    # The tape alone (one row per loan) needs no proposal without a loan: skip reading them all.
    proposals = read_proposals(actor, filters) if impact or not tape else loans[["proposal_id"]].iloc[:0]
    guarantees = read_guarantees(actor, loans["loan_id"])
    # Grants and verifications follow the proposals in view, and those financed by a loan in view.
    ids = pd.concat([proposals["proposal_id"], loans["proposal_id"]]).drop_duplicates()
    grants = read_grants(actor, ids)
    # The loan tape carries the verified result too (its verification columns).
    verifications = read_verifications(actor, ids, with_result=impact or tape)
    indicators = read_indicators(actor, ids) if impact else pd.DataFrame()
    return Frames(lines, proposals, loans, guarantees, grants, verifications, indicators, today)

