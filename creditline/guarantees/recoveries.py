"""Money received on a defaulted loan after the fund paid its claim: one recovery, two ledgers.

The choice: once the claim is paid, the loan and the guarantee must tell the same story. Any
money received on the loan, whether the bank records it as a borrower payment
(``POST /loans/{id}/payments``) or as a recovery on the guarantee
(``POST /guarantees/{id}/recoveries``, e.g. a collateral sale), is applied the same way:

- on the loan it repays principal only, oldest installment first (the claim covered principal;
  interest and fees after default are the bank's to pursue), and is listed among the loan's
  payments with ``allocation.recovery_id``;
- on the guarantee it is a recovery shared pro rata with the fund: the fund's running total
  is claim / outstanding at default of everything recovered so far, rounded once, so many small
  recoveries do not each round in the fund's favour and the fund never gets more than its
  claim; the first one moves the guarantee from ``paid`` to ``recovered``.

So the principal recovered on the guarantee is always the outstanding principal at default minus
what the loan still owes.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..audit.services import record
from ..auth.permissions import Actor
from ..errors import ValidationFailed
from ..extensions import db
from ..unit_of_work import unit_of_work
from ..finance.guarantee_math import share_recovery_so_far
from ..loans.balances import refresh_balances
from ..loans.models import Loan, Payment
from ..loans.repayments import date_problems, status_of
from ..loans.services import snapshot
from .models import Guarantee, Recovery
from .. import clock

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Applied:
    """A recovery as recorded on both sides."""

    payment: Payment
    recovery: Recovery


def left_to_recover(loan: Loan, g: Guarantee) -> Decimal:
    """Principal that can still be recovered: what the loan owes, within what was lost at default."""
    lost = (g.outstanding_at_default or ZERO) - g.recovered
    return max(min(loan.outstanding_principal, lost), ZERO)


def recovery_problems(loan: Loan, g: Guarantee, data: dict[str, Any]) -> dict[str, list[str]]:
    """Why this recovery cannot be recorded (empty when it can): checked before the confirmation step and on it."""
    amount: Decimal = data["amount"]
    value_date: dt.date = data.get("value_date") or clock.today()
    errors: dict[str, list[str]] = {}
    if data.get("currency") and data["currency"] != g.currency:
        errors["currency"] = [f"the guarantee and the loan are in {g.currency}, not {data['currency']}"]
    left = left_to_recover(loan, g)
    if amount <= 0:
        errors["amount"] = ["must be more than zero"]
    elif amount > left:
        errors["amount"] = [f"at most {g.currency} {left} is left to recover"]
    errors.update(date_problems(loan, value_date))
    return errors


def recovery_split(g: Guarantee, amount: Decimal) -> tuple[Decimal, Decimal]:
    """The fund's and the bank's parts of ``amount`` recovered next, given what was recovered before."""
    return share_recovery_so_far(amount, g.recovered, g.recovered_by_fund, g.claim_amount, g.outstanding_at_default)


@unit_of_work
def apply_recovery(actor: Actor, loan: Loan, g: Guarantee, data: dict[str, Any]) -> Applied:
    """Apply money received after the claim was paid to the loan's principal and share it with the fund."""
    from .services import move

    # Lock the loan, then the guarantee (the order every money move on a loan takes), so
    # concurrent recoveries and payments share from the same running totals.
    db.session.refresh(loan, with_for_update=True)
    db.session.refresh(g, with_for_update=True)
    amount: Decimal = data["amount"]
    value_date: dt.date = data.get("value_date") or clock.today()
    errors = recovery_problems(loan, g, data)
    if errors:
        raise ValidationFailed(f"the recovery cannot be recorded: {', '.join(sorted(errors))}", errors)

    before = snapshot(loan)
    rest, lines = amount, []
    for row in sorted(loan.installments, key=lambda r: (r.due_date, r.number)):
        take = min(rest, row.principal - row.principal_paid)
        if take > 0:
            row.principal_paid += take
            row.status = status_of(row)
            lines.append({"number": row.number, "fee": "0.00", "interest": "0.00", "principal": str(take)})
            rest -= take
    fund, bank = recovery_split(g, amount)
    payment = Payment(amount=amount, currency=g.currency, value_date=value_date, reference=data.get("reference"),
                      prepayment=ZERO, created_by=actor.user_id,
                      allocation={"lines": lines, "fee": "0.00", "interest": "0.00", "principal": str(amount),
                                  "prepayment": "0.00"})
    loan.payments.append(payment)
    db.session.flush()
    rec = Recovery(guarantee_id=g.id, amount=amount, fund_part=fund, bank_part=bank, value_date=value_date,
                   reference=data.get("reference"), recorded_by=actor.user_id, payment_id=payment.id)
    db.session.add(rec)
    db.session.flush()
    # A new dict so the JSON column sees the change.
    payment.allocation = {**payment.allocation, "recovery_id": rec.id}
    record(actor, "loan.payment", "loan", loan.id, before,
           {**snapshot(loan), "payment": {"id": payment.id, "amount": amount, "value_date": value_date,
                                          **payment.allocation}})
    record(actor, "guarantee.recovery", "guarantee", g.id, None,
           {"amount": str(amount), "fund_part": str(fund), "bank_part": str(bank), "payment_id": payment.id})
    if g.status == "paid":
        move(actor, g, "recovered", recovery_id=rec.id)
    refresh_balances(loan)
    return Applied(payment, rec)
