"""Where a guarantee meets its loan: what the loan's own operations do to the guarantee covering it.

A loan and its guarantee are one contract, but a guarantee covers a loan, not the other way round:
guarantees import loans, and loans never import guarantees. The loan services call lists that
``creditline.wiring`` fills with the functions here:

- the guarantee's validity follows the end of the loan's schedule (``SCHEDULE_END_FOLLOWERS``);
- money received once the fund has paid the claim is a recovery, and none is taken while the
  claim is called and unpaid (``PAYMENT_TAKERS``);
- a loan still covered cannot be written off, and a request the fund has not decided dies with
  the written-off loan (``WRITE_OFF_GUARDS``, ``WRITTEN_OFF_HOOKS``);
- the loan page shows the guarantee (``GUARANTEE_OF``) and the daily job releases the guarantees
  of repaid loans (``FOLLOW_UPS``).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from ..auth.permissions import Actor
from ..database import utcnow
from ..errors import Conflict
from ..loans.models import LOAN_LIFECYCLE, Loan, Payment
from .models import CLAIM_PAID, GUARANTEE_LIFECYCLE
from .recoveries import apply_recovery
from .services import guarantee_of, move


def follow_schedule_end(loan: Loan) -> dt.date | None:
    """Keep the guarantee valid to the loan's last due date (None until there is a schedule)."""
    g = guarantee_of(loan)
    if g is None or g.status not in ("requested", "issued") or not loan.installments:
        return None
    g.valid_until = loan.installments[-1].due_date
    return g.valid_until


def take_payment(actor: Actor, loan: Loan, data: dict[str, Any]) -> Payment | None:
    """Money received on a loan whose claim the fund paid is a recovery; on a called, unpaid claim, none is taken.

    None: the loan's guarantee has no say, and the money is applied as a repayment.
    """
    g = guarantee_of(loan)
    if g is not None and g.status in CLAIM_PAID and loan.status in ("defaulted", "written_off"):
        return apply_recovery(actor, loan, g, data).payment
    if g is not None and g.status == "called":
        raise Conflict(f"guarantee {g.id} has been called and the fund has not paid the claim yet; money "
                       f"received now is recorded once the claim is paid, as a recovery shared with the fund",
                       current_state=g.status, allowed=GUARANTEE_LIFECYCLE.allowed(g.status), guarantee_id=g.id)
    return None


def still_covered(loan: Loan) -> Conflict | None:
    """A loan the fund still covers is written off only once its guarantee is called (the call ends the cover)."""
    g = guarantee_of(loan)
    if g is None or g.status != "issued":
        return None
    return Conflict(f"guarantee {g.id} still covers this loan; call it before writing the loan off",
                    current_state=loan.status, allowed=LOAN_LIFECYCLE.allowed(loan.status),
                    guarantee_id=g.id, guarantee_state=g.status)


def decline_with_written_off_loan(actor: Actor, loan: Loan) -> None:
    """A guarantee request the fund has not decided dies with the written-off loan (declined, with the reason)."""
    g = guarantee_of(loan)
    if g is None or g.status != "requested":
        return
    g.declined_by, g.declined_at = actor.user_id, utcnow()
    g.decline_reason = f"loan {loan.id} was written off"
    move(actor, g, "declined", reason=g.decline_reason)
