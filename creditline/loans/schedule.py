"""A loan's schedule as stored or pro forma, the upfront fee, and debt service coverage."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ..finance import schedules as sched
from .models import ZERO, Installment, Loan
from .. import clock


def _as_finance(rows: Sequence[Installment]) -> list[sched.Installment]:
    return [sched.Installment(r.number, r.due_date, r.principal, r.interest, r.fee,
                              r.principal + r.interest + r.fee, r.balance_after) for r in rows]


def pro_forma_schedule(loan: Loan, start: dt.date | None = None) -> list[sched.Installment]:
    """The schedule the terms give if the whole principal were disbursed on ``start``."""
    if start is None:
        planned = [dt.date.fromisoformat(t["date"]) for t in loan.disbursement_plan or [] if t.get("date")]
        start = min(planned) if planned else clock.today()
    rows = sched.build_schedule(loan.principal, loan.annual_rate, loan.tenor_months, loan.grace_months,
                                loan.frequency, loan.method, start, loan.fee_per_installment)
    return with_upfront_fee(rows, loan.upfront_fee)


def offered_schedule(loan: Loan) -> list[sched.Installment]:
    """The schedule a loan offer prints: the recorded one once disbursed, else the pro-forma one."""
    return _as_finance(loan.installments) if loan.installments else pro_forma_schedule(loan)


def preview(terms: dict[str, Any], today: dt.date) -> list[sched.Installment]:
    """The schedule proposed terms would give, from the first planned tranche (or today), before anything is stored."""
    planned = [t["date"] for t in terms.get("disbursement_plan") or [] if t.get("date")]
    rows = sched.build_schedule(terms["principal"], terms["annual_rate"], terms["tenor_months"],
                                terms.get("grace_months") or 0, terms.get("frequency") or "monthly",
                                terms.get("method") or "annuity", min(planned) if planned else today,
                                terms.get("fee_per_installment") or ZERO)
    return with_upfront_fee(rows, terms.get("upfront_fee"))


def with_upfront_fee(rows: list[sched.Installment], fee: Decimal | None) -> list[sched.Installment]:
    """Charge the upfront fee with the first installment (the waterfall takes fees first)."""
    if not rows or not fee:
        return rows
    first = rows[0]
    return [replace(first, fee=first.fee + fee, total=first.total + fee), *rows[1:]]


def schedule_of(loan: Loan) -> dict[str, Any]:
    """The loan's schedule: the stored one once disbursed, else the pro-forma one."""
    if loan.installments:
        rows = [dict(number=r.number, due_date=r.due_date, principal=r.principal, interest=r.interest,
                     fee=r.fee, total=r.total, balance_after=r.balance_after, principal_paid=r.principal_paid,
                     interest_paid=r.interest_paid, fee_paid=r.fee_paid, status=r.status)
                for r in loan.installments]
        pro_forma = False
    else:
        rows = [dict(number=r.number, due_date=r.due_date, principal=r.principal, interest=r.interest,
                     fee=r.fee, total=r.total, balance_after=r.balance_after, principal_paid=ZERO,
                     interest_paid=ZERO, fee_paid=ZERO, status="pro_forma")
                for r in pro_forma_schedule(loan)]
        pro_forma = True
    totals = {k: sum((r[k] for r in rows), ZERO) for k in ("principal", "interest", "fee", "total")}
    return {"loan_id": loan.id, "currency": loan.currency, "status": loan.status, "pro_forma": pro_forma,
            "installments": rows, "totals": totals}


# -- debt service coverage -------------------------------------------------------------------

def peak_annual_debt_service(schedule: Sequence[sched.Installment], frequency: str) -> Decimal:
    """The largest sum of installments (principal, interest, fees) falling in one loan year."""
    per_year = 12 // sched.months_per_period(frequency)
    years: dict[int, Decimal] = {}
    for row in schedule:
        # By installment number, so a shortened schedule keeps each installment in its loan year.
        year = max(row.number - 1, 0) // per_year
        years[year] = years.get(year, ZERO) + row.total
    return max(years.values(), default=ZERO)


def _refresh_coverage(loan: Loan, schedule: Sequence[sched.Installment]) -> None:
    service = peak_annual_debt_service(schedule, loan.frequency)
    loan.annual_debt_service = service
    net = loan.net_annual_savings
    loan.debt_service_coverage = (None if net is None or service <= 0 else
                                  (net / service).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))
