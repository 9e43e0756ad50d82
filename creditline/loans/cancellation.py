"""Cancel the undisbursed rest of a loan: the bank will not pay out the approved principal still held back.

A loan can only be closed once nothing is left to pay out; a payoff while tranches are still
due is refused (see :func:`payoff_problem`) so the rest is never dropped silently.
"""
from __future__ import annotations

from decimal import Decimal

from ..audit.services import record
from ..auth.permissions import Actor
from ..database import utcnow
from ..errors import Conflict, ValidationFailed
from ..unit_of_work import unit_of_work
from .models import SERVICING_STATES, Loan
from .services import _bank_officer_of, promote_if_due, refuse, snapshot
from .. import clock

# After the first tranche and until the loan is closed (a loan not yet disbursed is declined, not cancelled).
CANCELLABLE = SERVICING_STATES


def payoff_problem(loan: Loan, new_outstanding: Decimal) -> Conflict | None:
    """The refusal for a payment that would close a loan with approved principal still to pay out."""
    if new_outstanding > 0 or loan.undisbursed <= 0:
        return None
    return refuse(loan, f"this payment repays all {loan.disbursed} disbursed, but {loan.undisbursed} of the "
                        f"approved principal {loan.principal} has not been paid out; cancel the undisbursed rest "
                        f"first (with a reason) or disburse it, then record the payoff")


@unit_of_work
def cancel_undisbursed(actor: Actor, loan_id: int, reason: str) -> Loan:
    """Cancel the approved principal not yet paid out (the lending bank's officer), with a reason."""
    loan = _bank_officer_of(actor, loan_id, "cancel the undisbursed rest")
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise ValidationFailed("say why the undisbursed rest is cancelled", {"reason": ["a reason is required"]})
    if loan.status not in CANCELLABLE:
        raise refuse(loan, f"only the rest of a loan being paid out can be cancelled; this one is {loan.status}")
    rest = loan.undisbursed
    if rest <= 0:
        raise refuse(loan, f"all of the approved principal {loan.principal} has been paid out or cancelled; "
                           f"nothing is left to cancel")
    before = snapshot(loan)
    loan.cancelled_amount = (loan.cancelled_amount or Decimal("0.00")) + rest
    loan.cancelled_by, loan.cancelled_at, loan.cancellation_reason = actor.user_id, utcnow(), reason
    record(actor, "loan.undisbursed_cancelled", "loan", loan.id, {**before, "undisbursed": rest},
           {**snapshot(loan), "cancelled_amount": loan.cancelled_amount, "undisbursed": loan.undisbursed,
            "reason": reason})
    # With nothing left to pay out, a `disbursed` loan is fully out: it becomes `active`.
    promote_if_due(actor, loan, clock.today(), cancelled_amount=rest)
    return loan
