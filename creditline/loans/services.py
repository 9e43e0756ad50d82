"""Apply for, decide, disburse and write off loans; each public function is one audited transaction.

Money rules (the maths itself lives in :mod:`creditline.finance`; repayments in
:mod:`creditline.loans.repayments`):

- the schedule is built at the first disbursement, from its value date, on the amount actually
  disbursed; a later tranche re-spreads the new balance over the installments still to come
  (same due dates, a new level payment), so interest is only ever charged on money lent out;
- the upfront fee is charged at the first disbursement: it is added to the fee of the first
  installment, so it falls due with it and the payment waterfall takes it first; it counts in
  the debt service coverage (the first loan year carries it);
- the guarantee's validity follows the schedule: the last due date, set at the first
  disbursement and moved whenever the schedule's end moves.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from ..audit.services import record
from ..auth.permissions import Actor, get_visible, require_role, check_four_eyes, visible
from ..database import as_utc, utcnow
from ..errors import Conflict, ValidationFailed
from ..event_dates import check_event_day, day_of, order_problems
from ..extensions import db
from ..lifecycle_moves import move
from ..notifications.services import queue, users_of
from ..unit_of_work import lock, unit_of_work
from ..finance import schedules as sched
from ..listing import page_rows
from ..pagination import Page, paginate
from ..proposals.models import PROPOSAL_LIFECYCLE, Proposal
from .balances import refresh_balances
from .models import LOAN_LIFECYCLE, ZERO, Disbursement, Installment, Loan, Payment
from .lists import LOANS
from .schedule import _as_finance, _refresh_coverage, pro_forma_schedule, schedule_of, with_upfront_fee  # noqa: F401
from .. import clock

# The proposal states in which a bank may propose loan terms.
LENDABLE_PROPOSAL_STATES = ("eligible", "technically_reviewed")
TERM_FIELDS = ("principal", "annual_rate", "tenor_months", "grace_months", "frequency", "method",
               "fee_per_installment", "upfront_fee")
DEFAULT_DEFAULT_AFTER_DAYS = 90
# Loan states in which a tranche may still be paid out.
DISBURSABLE = ("approved", "disbursed", "active")
# Reasons from other packages to refuse an approval (the referral desk: a second opinion still open).
APPROVE_GUARDS: list[Callable[[Loan], str | None]] = []
# What runs to the end of the loan's schedule (its guarantee's validity): each moves with the last due date
# and says the day it now runs to (None: nothing of it does).
SCHEDULE_END_FOLLOWERS: list[Callable[[Loan], dt.date | None]] = []


# -- audit helpers ---------------------------------------------------------------------------

def snapshot(loan: Loan) -> dict[str, Any]:
    """Return the audited state of a loan."""
    state: dict[str, Any] = {f: getattr(loan, f) for f in TERM_FIELDS}
    state.update(status=loan.status, proposal_id=loan.proposal_id, bank_id=loan.bank_id,
                 currency=loan.currency, disbursement_plan=loan.disbursement_plan,
                 start_date=loan.start_date, days_past_due=loan.days_past_due)
    return state


def transition(actor: Actor | None, loan: Loan, target: str, **extra: Any) -> None:
    """Move a loan along its lifecycle and audit the step (in the caller's unit of work)."""
    move(actor, loan, LOAN_LIFECYCLE, target, after={"status": target, **extra})


def promote_if_due(actor: Actor | None, loan: Loan, as_of: dt.date, **extra: Any) -> None:
    """Move a ``disbursed`` loan to ``active`` once fully disbursed or once an installment is due."""
    if loan.status != "disbursed":
        return
    if loan.undisbursed <= 0 or any(r.due_date <= as_of for r in loan.installments):
        transition(actor, loan, "active", **extra)


def mark_repaid(actor: Actor | None, loan: Loan, **extra: Any) -> None:
    """Close a loan whose principal is all repaid, curing arrears first (in_arrears -> active -> repaid)."""
    loan.days_past_due = 0
    if loan.status == "disbursed":
        transition(actor, loan, "active", **extra)
    if loan.status == "in_arrears":
        transition(actor, loan, "active", **extra)
    transition(actor, loan, "repaid", **extra)


def refuse(loan: Loan, message: str) -> Conflict:
    """A 409 for a loan in the wrong state, with its real next states."""
    return Conflict(message, current_state=loan.status, allowed=LOAN_LIFECYCLE.allowed(loan.status))


def _s(value: Decimal) -> str:
    return str(value)


# -- reading ---------------------------------------------------------------------------------

def get_loan(actor: Actor, loan_id: int) -> Loan:
    """Load one loan in the caller's scope (404 otherwise)."""
    return get_visible(Loan, loan_id, actor, what="loan")


def loans_query(actor: Actor, args: dict[str, Any]) -> Select[Any]:
    """The loans the caller may see, of one proposal if asked (the list spec does the rest)."""
    stmt = visible(Loan, actor)
    if args.get("proposal_id") is not None:
        stmt = stmt.where(Loan.proposal_id == args["proposal_id"])
    return stmt


def list_loans(actor: Actor, args: dict[str, Any]) -> Page:
    """List the loans the caller may see, newest first, filtered and sorted."""
    return page_rows(LOANS, loans_query(actor, args), args)


def decision_queue(actor: Actor, page: int = 1) -> Page:
    """Loan applications waiting for the committee that this person did not propose, oldest first."""
    require_role(actor, "credit_committee", action="decide loans")
    stmt = visible(Loan, actor).where(Loan.status == "applied", Loan.proposed_by != actor.user_id)
    stmt = stmt.options(selectinload(Loan.proposal).selectinload(Proposal.enterprise))
    return paginate(stmt.order_by(Loan.created_at, Loan.id), page, 25)


def applications_waiting(actor: Actor) -> list[Proposal]:
    """Lendable proposals sent to the officer's bank that have no loan yet, oldest first."""
    lent = select(Loan.proposal_id)
    return list(db.session.scalars(visible(Proposal, actor).where(
        Proposal.status.in_(LENDABLE_PROPOSAL_STATES), Proposal.id.notin_(lent))
        .options(selectinload(Proposal.enterprise)).order_by(Proposal.submitted_at)))


def payments_of(actor: Actor, loan_id: int) -> list[Payment]:
    """List a loan's payments, oldest first."""
    return list(get_loan(actor, loan_id).payments)


# -- proposing and deciding ------------------------------------------------------------------

def _term_problems(proposal: Proposal, data: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    line = proposal.credit_line
    principal: Decimal = data["principal"]
    if principal <= 0:
        errors["principal"] = ["must be more than zero"]
    elif proposal.investment is not None and principal > proposal.investment:
        errors["principal"] = [f"the loan ({principal}) cannot be larger than the proposal's investment "
                               f"({proposal.investment})"]
    currency = data.get("currency") or line.currency
    if currency != line.currency:
        errors["currency"] = [f"the credit line '{line.name}' lends in {line.currency}, not {currency}"]
    try:
        sched.check_rate(data["annual_rate"])
    except ValueError as exc:
        errors["annual_rate"] = [str(exc)]
    frequency = data.get("frequency", "monthly")
    step = sched.FREQUENCIES.get(frequency)
    if step is None:
        errors["frequency"] = [f"must be one of {', '.join(sched.FREQUENCIES)}"]
    if data.get("method", "annuity") not in sched.METHODS:
        errors["method"] = [f"must be one of {', '.join(sched.METHODS)}"]
    tenor, grace = data["tenor_months"], data.get("grace_months", 0)
    if tenor <= 0:
        errors["tenor_months"] = ["must be at least one period"]
    elif step and tenor % step:
        errors["tenor_months"] = [f"must be a multiple of {step} months for {frequency} installments, "
                                  f"got {tenor}"]
    if grace < 0:
        errors["grace_months"] = ["must be zero or more"]
    elif step and grace % step:
        errors["grace_months"] = [f"must be a multiple of {step} months for {frequency} installments, "
                                  f"got {grace}"]
    elif grace >= tenor > 0:
        errors["grace_months"] = [f"the grace period ({grace} months) must be shorter than the tenor "
                                  f"({tenor} months)"]
    for key in ("fee_per_installment", "upfront_fee"):
        if data.get(key) is not None and data[key] < 0:
            errors[key] = ["must be zero or more"]
    plan = data.get("disbursement_plan") or []
    planned = sum((t["amount"] for t in plan), ZERO)
    if "principal" not in errors and planned > principal:
        errors["disbursement_plan"] = [f"the planned tranches add up to {planned}, more than the "
                                       f"principal {principal}"]
    for n, tranche in enumerate(plan):
        if tranche["amount"] <= 0:
            errors[f"disbursement_plan.{n}.amount"] = ["must be more than zero"]
    return errors


@unit_of_work
def propose_loan(actor: Actor, data: dict[str, Any]) -> Loan:
    """Propose loan terms on an eligible proposal sent to the caller's bank."""
    require_role(actor, "bank_officer", action="propose loans")
    proposal = get_visible(Proposal, data["proposal_id"], actor, what="proposal")
    if proposal.bank_id != actor.organisation_id:
        raise ValidationFailed("the loan cannot be proposed",
                               {"proposal_id": ["this proposal was sent to another bank"]})
    if proposal.status not in LENDABLE_PROPOSAL_STATES:
        raise Conflict(f"a loan can only be proposed on an eligible or technically reviewed proposal; "
                       f"this one is {proposal.status}", current_state=proposal.status,
                       allowed=PROPOSAL_LIFECYCLE.allowed(proposal.status))
    existing = db.session.execute(select(Loan).where(Loan.proposal_id == proposal.id)).scalar_one_or_none()
    if existing is not None:
        raise Conflict(f"proposal {proposal.id} already has loan {existing.id} ({existing.status})",
                       loan_id=existing.id, current_state=existing.status,
                       allowed=LOAN_LIFECYCLE.allowed(existing.status))
    errors = _term_problems(proposal, data)
    if errors:
        raise ValidationFailed(f"the loan terms are not valid: {', '.join(sorted(errors))}", errors)
    plan = [{"date": t["date"].isoformat() if t.get("date") else None, "amount": _s(t["amount"])}
            for t in data.get("disbursement_plan") or []]
    loan = Loan(proposal_id=proposal.id, bank_id=proposal.bank_id, status=LOAN_LIFECYCLE.initial,
                currency=proposal.credit_line.currency, principal=data["principal"],
                annual_rate=data["annual_rate"], tenor_months=data["tenor_months"],
                grace_months=data.get("grace_months", 0), frequency=data.get("frequency", "monthly"),
                method=data.get("method", "annuity"),
                fee_per_installment=data.get("fee_per_installment") or ZERO,
                upfront_fee=data.get("upfront_fee") or ZERO, disbursement_plan=plan,
                proposed_by=actor.user_id, days_past_due=0, proposal=proposal,
                # None yet, known empty: the first tranche and schedule do not ask the database for them.
                installments=[], disbursements=[], payments=[])
    _refresh_coverage(loan, pro_forma_schedule(loan))
    db.session.add(loan)
    db.session.flush()
    record(actor, "loan.applied", "loan", loan.id, None, snapshot(loan))
    return loan


def _decidable(actor: Actor, loan_id: int, action: str) -> Loan:
    require_role(actor, "credit_committee", action=f"{action} loans")
    loan = get_loan(actor, loan_id)
    check_four_eyes(actor, loan.proposed_by, "loan")
    return loan


def submitted_on(p: Proposal) -> dt.date | None:
    """The day the proposal was submitted (rows from before event dates: the day it was entered)."""
    return p.submitted_on or day_of(as_utc(p.submitted_at) if p.submitted_at else None)


def decided_on(loan: Loan) -> dt.date | None:
    """The day the committee decided (rows from before event dates: the day it was entered)."""
    return loan.decided_on or day_of(as_utc(loan.decided_at) if loan.decided_at else None)


def _decision_day(loan: Loan, value: dt.date | None) -> dt.date:
    return check_event_day("decided_on", value, [(submitted_on(loan.proposal), "the proposal was submitted")])


@unit_of_work
def approve_loan(actor: Actor, loan_id: int, comment: str | None = None, on: dt.date | None = None) -> Loan:
    """Approve the terms applied for (credit committee; never the proposer), on ``on`` (today by default)."""
    loan = _decidable(actor, loan_id, "approve")
    LOAN_LIFECYCLE.check(loan.status, "approved")
    if loan.proposal.status not in LENDABLE_PROPOSAL_STATES:
        raise refuse(loan, f"the proposal is {loan.proposal.status}; the loan can no longer be approved")
    for guard in APPROVE_GUARDS:
        refusal = guard(loan)
        if refusal:
            raise refuse(loan, refusal)
    day = _decision_day(loan, on)
    loan.decided_by, loan.decided_at, loan.decided_on = actor.user_id, utcnow(), day
    transition(actor, loan, "approved", comment=comment, decided_on=day)
    return loan


@unit_of_work
def decline_loan(actor: Actor, loan_id: int, reason: str, on: dt.date | None = None) -> Loan:
    """Decline the terms applied for, with a reason (credit committee; never the proposer)."""
    loan = _decidable(actor, loan_id, "decline")
    if not reason or len(reason.strip()) < 3:
        raise ValidationFailed("say why the loan is declined", {"reason": ["a reason is required"]})
    LOAN_LIFECYCLE.check(loan.status, "declined")
    day = _decision_day(loan, on)
    loan.decided_by, loan.decided_at, loan.decline_reason = actor.user_id, utcnow(), reason.strip()
    loan.decided_on = day
    transition(actor, loan, "declined", reason=loan.decline_reason, decided_on=day)
    # The SME is not party to the committee's page: without this it learns of the refusal only by asking.
    p = loan.proposal
    queue(users_of(p.enterprise.organisation_id, "sme"), "loan_declined", f"Loan L{loan.id} was declined",
          f"'{p.title}': the bank's credit committee declined the loan: {loan.decline_reason}",
          f"loan_declined:{loan.id}", f"/loans/{loan.id}", ("loan", loan.id))
    return loan


# -- disbursing ------------------------------------------------------------------------------

def _bank_officer_of(actor: Actor, loan_id: int, action: str) -> Loan:
    return of_lending_bank(actor, loan_id, "bank_officer", action)


def of_lending_bank(actor: Actor, loan_id: int, role: str, action: str) -> Loan:
    """The loan, locked and read fresh, for a person with ``role`` at the bank that lends it."""
    require_role(actor, role, action=action)
    # Balances and installments change from what is read here, and two people may decide at once:
    # lock the loan row first (PostgreSQL; on SQLite the unit of work already holds the write lock)
    # and read it fresh, so the second finds the first one's change.
    lock(Loan, loan_id)
    loan = get_loan(actor, loan_id)
    if loan.bank_id != actor.organisation_id:
        raise ValidationFailed(f"only the lending bank may {action}", {"loan_id": ["not your bank's loan"]})
    return loan


def _store(loan: Loan, rows: Sequence[sched.Installment]) -> None:
    for r in rows:
        loan.installments.append(Installment(number=r.number, due_date=r.due_date, principal=r.principal,
                                             interest=r.interest, fee=r.fee, balance_after=r.balance_after,
                                             principal_paid=ZERO, interest_paid=ZERO, fee_paid=ZERO,
                                             status="scheduled"))


def _replace_remaining(loan: Loan, remaining: list[Installment], rows: Sequence[sched.Installment]) -> None:
    """Swap the not-yet-due installments for recomputed ones (same numbers where kept)."""
    for old in remaining:
        loan.installments.remove(old)
    db.session.flush()  # free the (loan_id, number) pairs before re-inserting them
    _store(loan, rows)
    loan.installments.sort(key=lambda r: r.number)


def _respread(remaining: list[Installment], amount: Decimal, value_date: dt.date,
              loan: Loan) -> list[sched.Installment]:
    """Spread a larger balance over the remaining due dates (a later tranche).

    The first remaining installment's period charges interest on what was out for each part of
    it: the balance before for the days up to each tranche paid out inside the period, the
    larger balance after.
    """
    step = sched.months_per_period(loan.frequency)
    grace = 0
    while grace < len(remaining) - 1 and remaining[grace].principal == 0:
        grace += 1
    first = remaining[0]
    earlier = [r.due_date for r in loan.installments if r.number < first.number]
    # Installment 1's period starts on the first tranche's value date (the schedule's start).
    period_start = max(earlier) if earlier else min(d.value_date for d in loan.disbursements)
    in_period = [(d.value_date, d.amount) for d in loan.disbursements if d.value_date > period_start]
    in_period.append((value_date, amount))
    opening = loan.outstanding_principal - sum((a for _, a in in_period[:-1]), ZERO)
    interest = sched.tranche_period_interest(period_start, first.due_date, opening, in_period,
                                             loan.annual_rate, 12 // step)
    built = sched.build_schedule(loan.outstanding_principal + amount, loan.annual_rate,
                                 len(remaining) * step, grace * step, loan.frequency, loan.method,
                                 remaining[0].due_date, loan.fee_per_installment,
                                 first_interest=interest)
    return [sched.Installment(old.number, old.due_date, new.principal, new.interest, old.fee,
                              new.principal + new.interest + old.fee, new.balance_after)
            for old, new in zip(remaining, built)]


def follow_schedule_end(loan: Loan) -> dt.date | None:
    """Move what runs to the loan's last due date (its guarantee's validity) along with it; the day it runs to."""
    ends = [follow(loan) for follow in SCHEDULE_END_FOLLOWERS]
    return next((day for day in ends if day is not None), None)


def disbursement_problems(loan: Loan, amount: Decimal, value_date: dt.date) -> dict[str, list[str]]:
    """Why this tranche cannot be paid out (empty when it can): checked before the confirmation step and on it."""
    errors: dict[str, list[str]] = {}
    if amount <= 0:
        errors["amount"] = ["must be more than zero"]
    elif amount > loan.undisbursed:
        errors["amount"] = [f"only {loan.undisbursed} of the approved principal {loan.principal} is left "
                            f"to disburse, not {amount}"]
    last = max((d.value_date for d in loan.disbursements), default=None)
    # A recorded tranche is money already paid out: never dated after today (a planned tranche
    # in the terms' disbursement plan may be; it is recorded here on the day it is paid).
    errors.update(order_problems("value_date", value_date, clock.today(), [
        (decided_on(loan), "the loan was approved"),
        (last, "the previous tranche was paid out (tranches go in date order)")]))
    remaining = [r for r in loan.installments if r.due_date > value_date]
    if loan.installments and not remaining and "value_date" not in errors:
        errors["value_date"] = [f"the schedule ends on {loan.installments[-1].due_date}; nothing is left "
                                f"to spread a tranche over"]
    return errors


@unit_of_work
def disburse(actor: Actor, loan_id: int, data: dict[str, Any]) -> Disbursement:
    """Record a tranche paid out; the first fixes the schedule and charges the upfront fee."""
    loan = _bank_officer_of(actor, loan_id, "record disbursements")
    if loan.status not in DISBURSABLE:
        raise refuse(loan, f"only an approved loan still being paid out can be disbursed; this one is {loan.status}")
    amount: Decimal = data["amount"]
    value_date: dt.date = data.get("value_date") or clock.today()
    errors = disbursement_problems(loan, amount, value_date)
    if errors:
        raise ValidationFailed(f"the disbursement cannot be recorded: {', '.join(sorted(errors))}", errors)
    remaining = [r for r in loan.installments if r.due_date > value_date]
    before = snapshot(loan)
    tranche = Disbursement(amount=amount, value_date=value_date, reference=data.get("reference"),
                           created_by=actor.user_id)
    first = not loan.disbursements
    if first:
        # The schedule's first period starts on this tranche's value date, so installment 1
        # already charges interest only from the day the money is out.
        loan.start_date = value_date
        rows = sched.build_schedule(amount, loan.annual_rate, loan.tenor_months, loan.grace_months,
                                    loan.frequency, loan.method, value_date, loan.fee_per_installment)
        _store(loan, with_upfront_fee(rows, loan.upfront_fee))
    else:
        rows = _respread(remaining, amount, value_date, loan)
        _replace_remaining(loan, remaining, rows)
    loan.disbursements.append(tranche)
    db.session.flush()
    valid_until = follow_schedule_end(loan)
    record(actor, "loan.disbursement", "loan", loan.id, before,
           {**snapshot(loan), "disbursement": {"id": tranche.id, "amount": amount, "value_date": value_date},
            "upfront_fee_charged": loan.upfront_fee if first else ZERO, "guarantee_valid_until": valid_until})
    if first:
        transition(actor, loan, "disbursed", disbursement_id=tranche.id)
    promote_if_due(actor, loan, clock.today(), disbursement_id=tranche.id)
    _refresh_coverage(loan, _as_finance(loan.installments))
    refresh_balances(loan)
    return tranche
