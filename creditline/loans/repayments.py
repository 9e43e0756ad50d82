"""Repayments and arrears; each public function is one audited transaction.

- a payment goes to the installments due on its value date (oldest first; fee, interest,
  principal); anything left prepays principal and the rest of the schedule is recomputed,
  keeping the due dates with a lower installment or keeping the installment with fewer dates;
- payments are recorded in date order and never in the future: a value date after today, or
  before the loan's latest recorded payment, is refused (the allocation of a payment depends on
  what was paid before it);
- arrears are computed as of the payment date, but the arrears clock never goes back (a
  back-dated payment is judged as of the last arrears date) and never runs ahead of today;
- once the fund has paid a guarantee claim, money received on the loan is a recovery: it goes to
  principal and is shared with the fund (see :mod:`creditline.guarantees.recoveries`);
- a loan whose disbursed principal is all repaid becomes ``repaid``.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ..audit.services import record
from ..auth.permissions import Actor
from ..errors import ValidationFailed
from ..extensions import db
from ..unit_of_work import unit_of_work
from ..finance import schedules as sched
from ..finance.allocation import Due, Overpayment, allocate_payment, arrears_status, days_past_due
from .balances import refresh_balances
from .cancellation import payoff_problem
from .models import SERVICING_STATES, Installment, Loan, Payment
from .services import (DEFAULT_DEFAULT_AFTER_DAYS, _as_finance, _bank_officer_of, _refresh_coverage,
                       _replace_remaining, _s, follow_schedule_end, mark_repaid, promote_if_due, refuse,
                       snapshot, transition)
from .. import clock


# Money received on a loan that the loan's guarantee takes over (after the fund paid the claim it is a
# recovery, see :mod:`creditline.guarantees.loan_link`) or refuses (a Conflict); None lets it be a repayment.
PAYMENT_TAKERS: list[Callable[[Actor, Loan, dict[str, Any]], Payment | None]] = []


def status_of(row: Installment) -> str:
    """``paid``, ``partly_paid`` or ``scheduled`` from what has been paid of an installment."""
    if row.unpaid == 0:
        return "paid"
    return "partly_paid" if row.paid > 0 else "scheduled"


def date_problems(loan: Loan, value_date: dt.date, today: dt.date | None = None) -> dict[str, list[str]]:
    """Why money received on ``value_date`` cannot be applied to the loan, by field (empty: it can)."""
    today = today or clock.today()
    if value_date > today:
        return {"value_date": [f"a payment cannot be dated after today ({today}); {value_date} is in the future"]}
    first_out = min((d.value_date for d in loan.disbursements), default=None)
    if first_out is not None and value_date < first_out:
        return {"value_date": [f"the loan was first disbursed on {first_out}; a payment cannot be dated "
                               f"{value_date}"]}
    latest = max((p.value_date for p in loan.payments), default=None)
    if latest is not None and value_date < latest:
        return {"value_date": [f"the latest recorded payment is dated {latest}; payments are applied in date "
                               f"order, so one dated {value_date} would change how the later ones were applied"]}
    return {}


def arrears_date(loan: Loan, value_date: dt.date) -> dt.date:
    """The date a payment's arrears are judged on: its own, never before the last check nor after today."""
    latest_check = loan.arrears_as_of or value_date
    return min(clock.today(), max(value_date, latest_check))


@unit_of_work
def record_payment(actor: Actor, loan_id: int, data: dict[str, Any]) -> Payment:
    """Apply a repayment: what is due first (fee, interest, principal), the rest prepays principal."""
    loan = _bank_officer_of(actor, loan_id, "record payments")
    for take in PAYMENT_TAKERS:
        taken = take(actor, loan, data)
        if taken is not None:
            return taken
    if loan.status not in SERVICING_STATES:
        raise refuse(loan, f"payments are only taken on a loan being repaid; this one is {loan.status}")
    amount: Decimal = data["amount"]
    value_date: dt.date = data.get("value_date") or clock.today()
    mode: str | None = data.get("mode")
    errors: dict[str, list[str]] = {}
    if data["currency"] != loan.currency:
        errors["currency"] = [f"the loan is in {loan.currency}; a payment in {data['currency']} cannot be "
                              f"applied to it"]
    if amount <= 0:
        errors["amount"] = ["must be more than zero"]
    errors.update(date_problems(loan, value_date))
    if errors:
        raise ValidationFailed(f"the payment cannot be recorded: {', '.join(sorted(errors))}", errors)

    rows = list(loan.installments)
    due_rows = [r for r in rows if r.due_date <= value_date]
    due = [Due(r.number, r.due_date, r.fee, r.interest, r.principal, r.fee_paid, r.interest_paid,
               r.principal_paid) for r in due_rows]
    outstanding = loan.outstanding_principal
    try:
        allocation = allocate_payment(amount, due, outstanding)
    except Overpayment as exc:
        raise ValidationFailed(f"a payment of {amount} is more than the loan owes on {value_date}; at most "
                               f"{exc.maximum} can be accepted",
                               {"amount": [f"at most {exc.maximum} can be accepted on {value_date}"]},
                               maximum=_s(exc.maximum)) from None
    new_balance = outstanding - allocation.principal - allocation.prepayment
    refusal = payoff_problem(loan, new_balance)
    if refusal is not None:
        raise refusal
    if allocation.prepayment > 0 and new_balance > 0 and mode is None:
        raise ValidationFailed(
            f"{allocation.prepayment} of this payment prepays principal; say whether to shorten the loan "
            f"or lower the installments", {"mode": ["choose shorten or lower_installment"]},
            prepayment=_s(allocation.prepayment))

    before = snapshot(loan)
    by_number = {r.number: r for r in due_rows}
    for line in allocation.lines:
        row = by_number[line.number]
        row.fee_paid += line.fee
        row.interest_paid += line.interest
        row.principal_paid += line.principal
        row.status = status_of(row)
    valid_until = None
    if allocation.prepayment > 0:
        remaining = [r for r in rows if r.due_date > value_date]
        recomputed = sched.reschedule_after_prepayment(
            _as_finance(remaining), new_balance, loan.annual_rate, loan.frequency, loan.method,
            mode or "shorten")
        _replace_remaining(loan, remaining, recomputed)
        valid_until = follow_schedule_end(loan)  # shortening moves the end of the loan
    payment = Payment(amount=amount, currency=data["currency"], value_date=value_date,
                      reference=data.get("reference"), prepayment=allocation.prepayment,
                      mode=mode if allocation.prepayment > 0 else None, created_by=actor.user_id,
                      allocation={"lines": [{"number": ln.number, "fee": _s(ln.fee), "interest": _s(ln.interest),
                                             "principal": _s(ln.principal)} for ln in allocation.lines],
                                  "fee": _s(allocation.fee), "interest": _s(allocation.interest),
                                  "principal": _s(allocation.principal), "prepayment": _s(allocation.prepayment)})
    loan.payments.append(payment)
    db.session.flush()
    record(actor, "loan.payment", "loan", loan.id, before,
           {**snapshot(loan), "payment": {"id": payment.id, "amount": amount, "value_date": value_date,
                                          **payment.allocation}, "guarantee_valid_until": valid_until})
    if loan.outstanding_principal == 0 and loan.status in ("disbursed", "active", "in_arrears"):
        loan.arrears_as_of = arrears_date(loan, value_date)
        mark_repaid(actor, loan, payment_id=payment.id)
    else:
        _apply_arrears(actor, loan, arrears_date(loan, value_date), _default_after_days(loan))
    if allocation.prepayment > 0 and loan.installments:
        _refresh_coverage(loan, _as_finance(loan.installments))
    refresh_balances(loan)
    return payment


# -- arrears ---------------------------------------------------------------------------------

def _default_after_days(loan: Loan) -> int:
    from ..scoring.services import rulebook_for
    try:
        return int(rulebook_for(loan.proposal).arrears.get("default_after_days",
                                                                       DEFAULT_DEFAULT_AFTER_DAYS))
    except Exception:  # noqa: BLE001 - an uninstalled rulebook must not block a repayment
        return DEFAULT_DEFAULT_AFTER_DAYS


def _apply_arrears(actor: Actor | None, loan: Loan, as_of: dt.date, default_after_days: int) -> None:
    if loan.status not in SERVICING_STATES:
        return
    promote_if_due(actor, loan, as_of, first_due_on_or_before=as_of)
    dpd = days_past_due(((r.due_date, r.unpaid) for r in loan.installments), as_of)
    loan.days_past_due, loan.arrears_as_of = dpd, as_of
    if loan.status == "disbursed":
        return  # nothing has fallen due yet
    target = arrears_status(dpd, default_after_days, loan.status)
    if target == loan.status:
        return
    if target == "defaulted" and loan.status == "active":
        transition(actor, loan, "in_arrears", days_past_due=dpd, as_of=as_of)
    transition(actor, loan, target, days_past_due=dpd, as_of=as_of)


@unit_of_work
def update_arrears(loan: Loan, as_of: dt.date, default_after_days: int | None = None,
                   actor: Actor | None = None) -> Loan:
    """Recompute days past due and the arrears status as of a date (the one-loan path of the daily job)."""
    _apply_arrears(actor, loan, as_of,
                   default_after_days if default_after_days is not None else _default_after_days(loan))
    refresh_balances(loan, min(as_of, clock.today()))
    return loan
