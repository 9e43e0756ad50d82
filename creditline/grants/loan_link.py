"""Where grants meet loans: the basis of a grant, when a loan forbids one, and paying it off the principal.

Kept apart from both packages so neither imports the other: this module registers the hooks
the grants service calls (``BASIS_PROVIDERS``, the ``loan_outstanding`` condition, ``PRINCIPAL_REDUCERS``).
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import lazyload

from ..auth.permissions import Actor
from ..errors import Conflict, ValidationFailed
from ..extensions import db
from ..finance import schedules as sched
from ..loans.balances import refresh_balances
from ..loans.cancellation import payoff_problem
from ..loans.models import APPROVED_STATES, SERVICING_STATES, Installment, Loan, Payment
from ..loans.repayments import date_problems
from ..loans.services import mark_repaid, snapshot
from ..audit.services import record
from ..proposals.models import Proposal
from .models import Grant
from .. import clock

ZERO = Decimal("0.00")
# A grant is due while the loan is owed; not once it is repaid or written off.
OUTSTANDING_STATES = tuple(s for s in APPROVED_STATES if s not in ("repaid", "written_off"))


# The loan's schedule, tranches and payments load when read, not with every select of it: a
# loan the session holds already would otherwise have them all selected again.
_ON_READ = (lazyload(Loan.installments), lazyload(Loan.disbursements), lazyload(Loan.payments))


def loan_of(p: Proposal) -> Loan | None:
    return db.session.scalar(select(Loan).where(Loan.proposal_id == p.id).options(*_ON_READ))


def _basis(p: Proposal) -> Decimal | None:
    """A 'loan_amount' basis means the approved credit, once there is one, less any rest the bank cancelled."""
    loan = loan_of(p)
    return loan.principal - loan.cancelled_amount if loan is not None and loan.status in APPROVED_STATES else None


def _loan_outstanding(p: Proposal, g: Grant | None) -> str | None:
    """The rulebook condition ``loan_outstanding``: an approved loan that is not repaid or written off."""
    loan = loan_of(p)
    if loan is None or loan.status not in APPROVED_STATES:
        return "no approved loan finances this proposal"
    if loan.status in OUTSTANDING_STATES:
        return None
    if loan.status == "repaid" and g is None:
        return f"loan {loan.id} was repaid before the verification was confirmed"
    return f"loan {loan.id} is {loan.status.replace('_', ' ')}: a grant is due only while the loan is outstanding"


def reduce_principal(actor: Actor, g: Grant, paid_on: date | None = None) -> str:
    """Pay a grant as a principal prepayment on ``paid_on``: later installments are lowered, the tenor is kept."""
    loan = db.session.execute(select(Loan).where(Loan.proposal_id == g.proposal_id).options(*_ON_READ)
                              .with_for_update()).scalar_one_or_none()
    if loan is None or loan.status not in SERVICING_STATES or not loan.installments:
        raise Conflict("the loan is not being repaid, so its principal cannot be reduced; approve the grant "
                       "to be paid to the enterprise instead", current_state=loan.status if loan else "none", allowed=[])
    # The reduction is a payment on the loan dated the grant's payment day: in order with the others.
    today = paid_on or clock.today()
    problems = date_problems(loan, today)
    if problems:
        raise ValidationFailed("the grant cannot be paid off the loan on that day", {"paid_on": problems["value_date"]})
    later_tranches = sorted(d.value_date for d in loan.disbursements)[1:]
    ahead = [day for day in later_tranches if day > today]
    if ahead:
        # A later tranche re-spreads only the installments after its value date; those before it
        # carry a balance without it, so one prepayment today cannot be spread over both parts.
        raise Conflict(f"loan {loan.id} has a tranche value-dated {ahead[-1]}, after today, so its schedule cannot "
                       f"be recomputed yet; the grant stays approved: pay it on or after {ahead[-1]}",
                       current_state=loan.status, allowed=[])
    remaining = [r for r in loan.installments if r.due_date > today and r.principal_paid == 0]
    not_yet_due = sum((r.principal for r in remaining), ZERO)
    if not remaining or g.amount > not_yet_due:
        raise Conflict(f"the grant {g.currency} {g.amount} is more than the principal not yet due; pay it to the "
                       "enterprise instead", current_state=loan.status, allowed=[])
    new_balance = not_yet_due - g.amount
    refusal = payoff_problem(loan, loan.outstanding_principal - g.amount)
    if refusal is not None:
        raise refusal
    before = snapshot(loan)
    finance_rows = [sched.Installment(r.number, r.due_date, r.principal, r.interest, r.fee, r.principal + r.interest + r.fee,
                                      r.balance_after) for r in remaining]
    try:
        recomputed = sched.reschedule_after_prepayment(finance_rows, new_balance, loan.annual_rate, loan.frequency,
                                                       loan.method, "lower_installment") if new_balance > 0 else []
    except ValueError as exc:
        # A schedule the maths cannot re-spread must not leave the grant failing with a 500 on every retry.
        raise Conflict(f"the schedule of loan {loan.id} cannot be recomputed for this prepayment ({exc}); the "
                       "grant stays approved and nothing was changed", current_state=loan.status, allowed=[]) from None
    for old in remaining:
        loan.installments.remove(old)
    db.session.flush()
    for r in recomputed:
        loan.installments.append(Installment(number=r.number, due_date=r.due_date, principal=r.principal,
                                             interest=r.interest, fee=r.fee, balance_after=r.balance_after,
                                             principal_paid=ZERO, interest_paid=ZERO, fee_paid=ZERO, status="scheduled"))
    loan.installments.sort(key=lambda r: r.number)
    loan.payments.append(Payment(amount=g.amount, currency=g.currency, value_date=today, reference=g.payment_reference,
                                 prepayment=g.amount, mode="lower_installment", created_by=actor.user_id,
                                 allocation={"lines": [], "fee": "0.00", "interest": "0.00", "principal": "0.00",
                                             "prepayment": str(g.amount), "grant_id": g.id}))
    db.session.flush()
    record(actor, "loan.grant_reduction", "loan", loan.id, before, {**snapshot(loan), "grant_id": g.id,
                                                                    "amount": str(g.amount)})
    if loan.outstanding_principal == 0:
        mark_repaid(actor, loan, grant_id=g.id)
    refresh_balances(loan)
    return f"loan {loan.id} principal reduced by {g.currency} {g.amount}; {len(recomputed)} installments recomputed"

