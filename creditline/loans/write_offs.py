"""Writing off a defaulted loan: the bank's last step, after the fund's cover has been called."""
from __future__ import annotations

from collections.abc import Callable

from ..auth.permissions import Actor
from ..database import utcnow
from ..errors import Conflict, ValidationFailed
from ..unit_of_work import unit_of_work
from .balances import refresh_balances
from .models import LOAN_LIFECYCLE, Loan
from .services import _bank_officer_of, transition

# Why a loan may not be written off yet (its guarantee still covers it); filled by creditline.wiring.
WRITE_OFF_GUARDS: list[Callable[[Loan], Conflict | None]] = []
# What ends with the written-off loan (a guarantee request the fund has not decided), in the same transaction.
WRITTEN_OFF_HOOKS: list[Callable[[Actor, Loan], None]] = []


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
    for guard in WRITE_OFF_GUARDS:
        refusal = guard(loan)
        if refusal is not None:
            raise refusal
    loan.written_off_by, loan.written_off_at, loan.write_off_reason = actor.user_id, utcnow(), reason.strip()
    transition(actor, loan, "written_off", reason=loan.write_off_reason,
               outstanding_principal=loan.outstanding_principal)
    refresh_balances(loan)
    for hook in WRITTEN_OFF_HOOKS:
        hook(actor, loan)
    return loan
