"""Writing off a defaulted loan: the bank's last step, after the fund's cover has been called.

It takes four eyes, as the loan's approval did: the lending bank's officer proposes the write-off
with the reason, and a member of the bank's credit committee other than the proposer confirms it
(the loan leaves the book) or declines it (the loan stays defaulted and may be proposed again).
The proposer may withdraw a proposal not yet decided (a wrong reason, a sale that came through).
While a write-off waits, the loan is serviced as any defaulted loan: payments, the guarantee's
call and recoveries go on.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import selectinload

from ..audit.services import record
from ..auth.permissions import Actor, check_four_eyes, require_role, visible
from ..database import utcnow
from ..errors import Conflict, ValidationFailed
from ..pagination import Page, paginate
from ..proposals.models import Proposal
from ..unit_of_work import unit_of_work
from .balances import refresh_balances
from .models import LOAN_LIFECYCLE, Loan
from .services import _bank_officer_of, of_lending_bank, refuse, transition

# Why a loan may not be written off yet (its guarantee still covers it); filled by creditline.wiring.
WRITE_OFF_GUARDS: list[Callable[[Loan], Conflict | None]] = []
# What ends with the written-off loan (a guarantee request the fund has not decided), in the same transaction.
WRITTEN_OFF_HOOKS: list[Callable[[Actor, Loan], None]] = []


def waiting_for(actor: Actor) -> tuple[Any, ...]:
    """Which of the loans this committee member sees have a write-off for them to decide (not their own)."""
    return (Loan.status == "defaulted", Loan.write_off_proposed_by.is_not(None),
            Loan.write_off_proposed_by != actor.user_id)


def write_off_queue(actor: Actor, page: int = 1) -> Page:
    """The credit committee's proposed write-offs to decide, oldest first."""
    require_role(actor, "credit_committee", action="decide write-offs")
    stmt = visible(Loan, actor).where(*waiting_for(actor)).options(selectinload(Loan.proposal).selectinload(Proposal.enterprise),
                                      selectinload(Loan.write_off_proposer))
    return paginate(stmt.order_by(Loan.write_off_proposed_at, Loan.id), page, 25)


def _reason(text: str | None, what: str) -> str:
    if not text or len(text.strip()) < 3:
        raise ValidationFailed(f"say why the {what}", {"reason": ["a reason is required"]})
    return text.strip()


def _guarded(loan: Loan) -> None:
    LOAN_LIFECYCLE.check(loan.status, "written_off")
    for guard in WRITE_OFF_GUARDS:
        refusal = guard(loan)
        if refusal is not None:
            raise refusal


def _proposal(loan: Loan) -> dict[str, object]:
    return {"write_off_proposed_by": loan.write_off_proposed_by, "write_off_reason": loan.write_off_reason}


def require_waiting(loan: Loan) -> None:
    """Refuse (409, with the loan's state) unless a write-off of the loan waits for a decision."""
    if loan.status != "defaulted" or loan.write_off_proposed_by is None:
        raise refuse(loan, f"no write-off of loan L{loan.id} waits for a decision")


def _committee_of(actor: Actor, loan_id: int, action: str) -> Loan:
    loan = of_lending_bank(actor, loan_id, "credit_committee", action)
    require_waiting(loan)
    return loan


@unit_of_work
def propose_write_off(actor: Actor, loan_id: int, reason: str) -> Loan:
    """Propose writing off a defaulted loan, with the reason (the lending bank's officer).

    A guarantee the fund still covers must be called first: writing off does not end the fund's
    cover, the call does. The credit committee confirms or declines the proposal.
    """
    loan = _bank_officer_of(actor, loan_id, "write off loans")
    text = _reason(reason, "loan is written off")
    _guarded(loan)
    if loan.write_off_proposed_by is not None:
        raise refuse(loan, f"a write-off of loan L{loan.id} was already proposed on "
                           f"{loan.write_off_proposed_at:%Y-%m-%d}; the credit committee decides it")
    loan.write_off_proposed_by, loan.write_off_proposed_at, loan.write_off_reason = actor.user_id, utcnow(), text
    record(actor, "loan.write_off_proposed", "loan", loan.id, {"status": loan.status},
           {"status": loan.status, **_proposal(loan), "outstanding_principal": loan.outstanding_principal})
    return loan


@unit_of_work
def confirm_write_off(actor: Actor, loan_id: int) -> Loan:
    """Write the loan off as proposed (the lending bank's credit committee; never the proposer).

    The guarantee's guard is read again: a cover issued since the proposal must be called first.
    A guarantee request the fund has not decided dies with the loan (declined, with the reason);
    a called or paid guarantee stays as it is (recoveries on the written-off loan are still shared).
    """
    loan = _committee_of(actor, loan_id, "write off loans")
    check_four_eyes(actor, loan.write_off_proposed_by, "write-off")
    _guarded(loan)
    loan.written_off_by, loan.written_off_at = actor.user_id, utcnow()
    transition(actor, loan, "written_off", reason=loan.write_off_reason, proposed_by=loan.write_off_proposed_by,
               outstanding_principal=loan.outstanding_principal)
    refresh_balances(loan)
    for hook in WRITTEN_OFF_HOOKS:
        hook(actor, loan)
    return loan


@unit_of_work
def decline_write_off(actor: Actor, loan_id: int, reason: str) -> Loan:
    """Decline a proposed write-off, with the reason (the lending bank's credit committee; never the proposer).

    The loan stays defaulted; the officer is told and may propose again. The audit trail keeps
    the proposal and the decline.
    """
    loan = _committee_of(actor, loan_id, "decline write-offs")
    check_four_eyes(actor, loan.write_off_proposed_by, "write-off")
    text = _reason(reason, "write-off is declined")
    before = _proposal(loan)
    loan.write_off_proposed_by, loan.write_off_proposed_at, loan.write_off_reason = None, None, None
    record(actor, "loan.write_off_declined", "loan", loan.id, {"status": loan.status, **before},
           {"status": loan.status, "reason": text, "proposed_by": before["write_off_proposed_by"]})
    return loan


@unit_of_work
def withdraw_write_off(actor: Actor, loan_id: int) -> Loan:
    """Withdraw one's own write-off proposal before the committee decides it (the proposing officer)."""
    loan = _bank_officer_of(actor, loan_id, "withdraw write-offs")
    require_waiting(loan)
    if loan.write_off_proposed_by != actor.user_id:
        raise ValidationFailed("only the officer who proposed the write-off may withdraw it; the credit committee "
                               "may decline it", {"loan_id": ["another officer proposed this write-off"]})
    before = _proposal(loan)
    loan.write_off_proposed_by, loan.write_off_proposed_at, loan.write_off_reason = None, None, None
    record(actor, "loan.write_off_withdrawn", "loan", loan.id, {"status": loan.status, **before},
           {"status": loan.status, "proposed_by": before["write_off_proposed_by"]})
    return loan
