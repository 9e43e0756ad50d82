"""The balances stored on each loan (outstanding principal, principal in arrears, oldest unpaid
due date, totals paid out and paid in), kept as a bank's core system keeps them.

:func:`refresh_balances` is the one place they are written for a loan: every operation that
changes a loan's schedule, tranches or payments (disbursement, payment, recovery, a grant paid
off the loan, write-off, the arrears check, the loan-tape import through those services) calls it
inside its own transaction, after its changes. The daily arrears job writes the principal in
arrears of many loans at once (:mod:`creditline.loans.arrears_batch`), by the same rule. Reports
only read the stored figures; they never compute or write them.
"""
from __future__ import annotations

from datetime import date

from .. import clock
from ..finance.balances import Balances, ScheduleLine, loan_balances
from .models import Loan


def balances_of(loan: Loan, as_of: date) -> Balances:
    """A loan's balances computed from scratch from its installments, tranches and payments."""
    return loan_balances((ScheduleLine(r.due_date, r.principal, r.principal_paid, r.unpaid) for r in loan.installments),
                         (d.amount for d in loan.disbursements), ((p.value_date, p.amount) for p in loan.payments),
                         as_of)


def refresh_balances(loan: Loan, as_of: date | None = None) -> Balances:
    """Recompute and store a loan's balances (in the caller's transaction), arrears as of ``as_of`` (today)."""
    day = as_of or clock.today()
    b = balances_of(loan, day)
    loan.principal_outstanding, loan.principal_in_arrears = b.principal_outstanding, b.principal_in_arrears
    loan.oldest_unpaid_due, loan.disbursed_total = b.oldest_unpaid_due, b.disbursed_total
    loan.paid_total, loan.last_payment_on, loan.balances_as_of = b.paid_total, b.last_payment_on, day
    return b
