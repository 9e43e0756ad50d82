"""Writing off a defaulted loan: the bank's last step, after the fund's cover has been called."""
from __future__ import annotations

from sqlalchemy import select

from ..auth.permissions import Actor
from ..database import utcnow
from ..errors import Conflict, ValidationFailed
from ..extensions import db
from ..guarantees.models import Guarantee
from ..unit_of_work import unit_of_work
from .balances import refresh_balances
from .models import LOAN_LIFECYCLE, Loan
from .services import _bank_officer_of, transition


@unit_of_work
def write_off(actor: Actor, loan_id: int, reason: str) -> Loan:
    """Write off a defaulted loan (the lending bank's officer), with a reason.

    A guarantee the fund still covers must be called first: writing off does not end the
    fund's cover, the call does, and a called or paid guarantee stays as it is (recoveries on
    the written-off loan are still shared). A guarantee request the fund has not decided dies
    with the loan (declined, with the reason).
    """
    loan = _bank_officer_of(actor, loan_id, "write off loans")
    if not reason or len(reason.strip()) < 3:
        raise ValidationFailed("say why the loan is written off", {"reason": ["a reason is required"]})
    LOAN_LIFECYCLE.check(loan.status, "written_off")
    g = db.session.scalar(select(Guarantee).where(Guarantee.loan_id == loan.id))
    if g is not None and g.status == "issued":
        raise Conflict(f"guarantee {g.id} still covers this loan; call it before writing the loan off",
                       current_state=loan.status, allowed=LOAN_LIFECYCLE.allowed(loan.status),
                       guarantee_id=g.id, guarantee_state=g.status)
    loan.written_off_by, loan.written_off_at, loan.write_off_reason = actor.user_id, utcnow(), reason.strip()
    transition(actor, loan, "written_off", reason=loan.write_off_reason,
               outstanding_principal=loan.outstanding_principal)
    refresh_balances(loan)
    if g is not None and g.status == "requested":
        from ..guarantees.services import move
        g.declined_by, g.declined_at = actor.user_id, utcnow()
        g.decline_reason = f"loan {loan.id} was written off"
        move(actor, g, "declined", reason=g.decline_reason)
    return loan
