"""A loan's balances as a bank's core system keeps them, from its schedule, tranches and payments.

Pure maths (no database): :mod:`creditline.loans.balances` stores the result on the loan inside
the transaction of every operation that changes it, and the reports read the stored figures.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class ScheduleLine:
    """What a balance needs of one installment."""

    due_date: date
    principal: Decimal
    principal_paid: Decimal
    unpaid: Decimal  # every part (fee, interest, principal) still owed


@dataclass(frozen=True)
class Balances:
    principal_outstanding: Decimal
    # Principal of installments due before ``as_of`` and not paid.
    principal_in_arrears: Decimal
    # The oldest due date with anything unpaid, due yet or not: days past due on any later day
    # is that day minus this date (0 while it is not before that day).
    oldest_unpaid_due: date | None
    disbursed_total: Decimal
    paid_total: Decimal
    last_payment_on: date | None


def loan_balances(schedule: Iterable[ScheduleLine], disbursed: Iterable[Decimal],
                  payments: Iterable[tuple[date, Decimal]], as_of: date) -> Balances:
    """The balances of one loan as of ``as_of`` (the day its arrears are judged on).

    Outstanding principal follows ``Loan.outstanding_principal``: the unpaid principal of the
    schedule; without a schedule, what was paid out unless a payment (or grant) prepaid it all.
    """
    lines = list(schedule)
    paid = list(payments)
    out = sum(disbursed, ZERO)
    if lines:
        outstanding = sum((r.principal - r.principal_paid for r in lines), ZERO)
    else:
        outstanding = out if not paid else ZERO
    arrears = sum((r.principal - r.principal_paid for r in lines if r.due_date < as_of), ZERO)
    unpaid_dues = [r.due_date for r in lines if r.unpaid > 0]
    return Balances(principal_outstanding=outstanding, principal_in_arrears=arrears,
                    oldest_unpaid_due=min(unpaid_dues, default=None), disbursed_total=out,
                    paid_total=sum((amount for _, amount in paid), ZERO),
                    last_payment_on=max((day for day, _ in paid), default=None))
