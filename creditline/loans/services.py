"""Propose, decide, disburse and service loans; each public function is one audited transaction.

Money rules (the maths itself lives in :mod:`creditline.finance`):

- the schedule is built at the first disbursement, from its value date, on the amount actually
  disbursed; a later tranche re-spreads the new balance over the installments still to come
  (same due dates, a new level payment), so interest is only ever charged on money lent out;
- a payment goes to the installments due on its value date (oldest first; fee, interest,
  principal); anything left prepays principal and the rest of the schedule is recomputed,
  keeping the due dates with a lower installment or keeping the installment with fewer dates;
- a loan whose disbursed principal is all repaid becomes ``repaid``.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select

from ..audit.services import record
from ..auth.permissions import Actor, get_visible, require_role, check_four_eyes, visible
from ..database import as_utc, utcnow
from ..errors import Conflict, ValidationFailed
from ..extensions import db
from ..finance import schedules as sched
from ..finance.allocation import Due, Overpayment, allocate_payment, arrears_status, days_past_due
from ..pagination import Page, paginate
from ..proposals.models import Proposal
from ..proposals.services import WITHDRAW_GUARDS
from .models import (APPROVED_STATES, LOAN_LIFECYCLE, SERVICING_STATES, ZERO, Disbursement, Installment,
                     Loan, Payment)

# The proposal states in which a bank may propose loan terms.
LENDABLE_PROPOSAL_STATES = ("eligible", "technically_reviewed")
TERM_FIELDS = ("principal", "annual_rate", "tenor_months", "grace_months", "frequency", "method",
               "fee_per_installment", "upfront_fee")
DEFAULT_DEFAULT_AFTER_DAYS = 90


# -- audit helpers ---------------------------------------------------------------------------

def snapshot(loan: Loan) -> dict[str, Any]:
    """Return the audited state of a loan."""
    state: dict[str, Any] = {f: getattr(loan, f) for f in TERM_FIELDS}
    state.update(status=loan.status, proposal_id=loan.proposal_id, bank_id=loan.bank_id,
                 currency=loan.currency, disbursement_plan=loan.disbursement_plan,
                 start_date=loan.start_date, days_past_due=loan.days_past_due)
    return state


def transition(actor: Actor | None, loan: Loan, target: str, **extra: Any) -> None:
    """Move a loan along its lifecycle and audit the step (the caller commits)."""
    LOAN_LIFECYCLE.check(loan.status, target)
    before = loan.status
    loan.status = target
    record(actor, f"loan.{target}", "loan", loan.id, {"status": before}, {"status": target, **extra})


def _s(value: Decimal) -> str:
    return str(value)


# -- reading ---------------------------------------------------------------------------------

def get_loan(actor: Actor, loan_id: int) -> Loan:
    """Load one loan in the caller's scope (404 otherwise)."""
    return get_visible(Loan, loan_id, actor, what="loan")


def list_loans(actor: Actor, args: dict[str, Any]) -> Page:
    """List the loans the caller may see, newest first, optionally by status or proposal."""
    stmt = visible(Loan, actor)
    for key in ("status", "proposal_id"):
        if args.get(key) is not None:
            stmt = stmt.where(getattr(Loan, key) == args[key])
    stmt = stmt.order_by(Loan.created_at.desc(), Loan.id.desc())
    return paginate(stmt, args.get("page", 1), args.get("per_page", 25))


def payments_of(actor: Actor, loan_id: int) -> list[Payment]:
    """List a loan's payments, oldest first."""
    return list(get_loan(actor, loan_id).payments)


def _as_finance(rows: Sequence[Installment]) -> list[sched.Installment]:
    return [sched.Installment(r.number, r.due_date, r.principal, r.interest, r.fee,
                              r.principal + r.interest + r.fee, r.balance_after) for r in rows]


def pro_forma_schedule(loan: Loan, start: dt.date | None = None) -> list[sched.Installment]:
    """The schedule the terms give if the whole principal were disbursed on ``start``."""
    if start is None:
        planned = [dt.date.fromisoformat(t["date"]) for t in loan.disbursement_plan or [] if t.get("date")]
        start = min(planned) if planned else dt.date.today()
    return sched.build_schedule(loan.principal, loan.annual_rate, loan.tenor_months, loan.grace_months,
                                loan.frequency, loan.method, start, loan.fee_per_installment)


def schedule_of(loan: Loan) -> dict[str, Any]:
    """The loan's schedule: the stored one once disbursed, else the pro-forma one."""
    if loan.installments:
        rows = [dict(number=r.number, due_date=r.due_date, principal=r.principal, interest=r.interest,
                     fee=r.fee, total=r.total, balance_after=r.balance_after, principal_paid=r.principal_paid,
                     interest_paid=r.interest_paid, fee_paid=r.fee_paid, status=r.status)
                for r in loan.installments]
        pro_forma = False
    else:
        rows = [dict(number=r.number, due_date=r.due_date, principal=r.principal, interest=r.interest,
                     fee=r.fee, total=r.total, balance_after=r.balance_after, principal_paid=ZERO,
                     interest_paid=ZERO, fee_paid=ZERO, status="pro_forma")
                for r in pro_forma_schedule(loan)]
        pro_forma = True
    totals = {k: sum((r[k] for r in rows), ZERO) for k in ("principal", "interest", "fee", "total")}
    return {"loan_id": loan.id, "currency": loan.currency, "status": loan.status, "pro_forma": pro_forma,
            "installments": rows, "totals": totals}


# -- debt service coverage -------------------------------------------------------------------

def peak_annual_debt_service(schedule: Sequence[sched.Installment], frequency: str) -> Decimal:
    """The largest sum of installments (principal, interest, fees) falling in one loan year."""
    per_year = 12 // sched.months_per_period(frequency)
    years: dict[int, Decimal] = {}
    for i, row in enumerate(schedule):
        years[i // per_year] = years.get(i // per_year, ZERO) + row.total
    return max(years.values(), default=ZERO)


def _refresh_coverage(loan: Loan, schedule: Sequence[sched.Installment]) -> None:
    service = peak_annual_debt_service(schedule, loan.frequency)
    loan.annual_debt_service = service
    net = loan.net_annual_savings
    loan.debt_service_coverage = (None if net is None or service <= 0 else
                                  (net / service).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


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


def propose_loan(actor: Actor, data: dict[str, Any]) -> Loan:
    """Propose loan terms on an eligible proposal sent to the caller's bank."""
    require_role(actor, "bank_officer", action="propose loans")
    proposal = get_visible(Proposal, data["proposal_id"], actor, what="proposal")
    if proposal.bank_id != actor.organisation_id:
        raise ValidationFailed("the loan cannot be proposed",
                               {"proposal_id": ["this proposal was sent to another bank"]})
    if proposal.status not in LENDABLE_PROPOSAL_STATES:
        raise Conflict(f"a loan can only be proposed on an eligible or technically reviewed proposal; "
                       f"this one is {proposal.status}", current_state=proposal.status, allowed=[])
    existing = db.session.execute(select(Loan).where(Loan.proposal_id == proposal.id)).scalar_one_or_none()
    if existing is not None:
        raise Conflict(f"proposal {proposal.id} already has loan {existing.id} ({existing.status})",
                       loan_id=existing.id, current_state=existing.status, allowed=[])
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
                proposed_by=actor.user_id, days_past_due=0, proposal=proposal)
    _refresh_coverage(loan, pro_forma_schedule(loan))
    db.session.add(loan)
    db.session.flush()
    record(actor, "loan.proposed", "loan", loan.id, None, snapshot(loan))
    db.session.commit()
    return loan


def _decidable(actor: Actor, loan_id: int, action: str) -> Loan:
    require_role(actor, "credit_committee", action=f"{action} loans")
    loan = get_loan(actor, loan_id)
    check_four_eyes(actor, loan.proposed_by, "loan")
    return loan


def approve_loan(actor: Actor, loan_id: int, comment: str | None = None) -> Loan:
    """Approve proposed terms (credit committee; never the proposer)."""
    loan = _decidable(actor, loan_id, "approve")
    LOAN_LIFECYCLE.check(loan.status, "approved")
    if loan.proposal.status not in LENDABLE_PROPOSAL_STATES:
        raise Conflict(f"the proposal is {loan.proposal.status}; the loan can no longer be approved",
                       current_state=loan.status, allowed=["withdrawn"])
    loan.decided_by, loan.decided_at = actor.user_id, utcnow()
    transition(actor, loan, "approved", comment=comment)
    db.session.commit()
    return loan


def decline_loan(actor: Actor, loan_id: int, reason: str) -> Loan:
    """Decline proposed terms with a reason (credit committee; never the proposer)."""
    loan = _decidable(actor, loan_id, "decline")
    if not reason or len(reason.strip()) < 3:
        raise ValidationFailed("say why the loan is declined", {"reason": ["a reason is required"]})
    LOAN_LIFECYCLE.check(loan.status, "declined")
    loan.decided_by, loan.decided_at, loan.decline_reason = actor.user_id, utcnow(), reason.strip()
    transition(actor, loan, "declined", reason=loan.decline_reason)
    db.session.commit()
    return loan


# -- disbursing ------------------------------------------------------------------------------

def _bank_officer_of(actor: Actor, loan_id: int, action: str) -> Loan:
    require_role(actor, "bank_officer", action=action)
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


def _respread(remaining: list[Installment], new_balance: Decimal, loan: Loan) -> list[sched.Installment]:
    """Spread a larger balance over the remaining due dates (a later tranche)."""
    step = sched.months_per_period(loan.frequency)
    grace = 0
    while grace < len(remaining) - 1 and remaining[grace].principal == 0:
        grace += 1
    built = sched.build_schedule(new_balance, loan.annual_rate, len(remaining) * step, grace * step,
                                 loan.frequency, loan.method, remaining[0].due_date, loan.fee_per_installment)
    return [sched.Installment(old.number, old.due_date, new.principal, new.interest, old.fee,
                              new.principal + new.interest + old.fee, new.balance_after)
            for old, new in zip(remaining, built)]


def disburse(actor: Actor, loan_id: int, data: dict[str, Any]) -> Disbursement:
    """Record a tranche paid out; the first makes the loan active and fixes the schedule."""
    loan = _bank_officer_of(actor, loan_id, "record disbursements")
    if loan.status not in ("approved", "active"):
        raise Conflict(f"only an approved or active loan can be disbursed; this one is {loan.status}",
                       current_state=loan.status, allowed=LOAN_LIFECYCLE.allowed(loan.status))
    amount: Decimal = data["amount"]
    value_date: dt.date = data["value_date"]
    errors: dict[str, list[str]] = {}
    if amount <= 0:
        errors["amount"] = ["must be more than zero"]
    elif amount > loan.undisbursed:
        errors["amount"] = [f"only {loan.undisbursed} of the approved principal {loan.principal} is left "
                            f"to disburse, not {amount}"]
    approved_on = as_utc(loan.decided_at).date() if loan.decided_at else None
    last = max((d.value_date for d in loan.disbursements), default=None)
    if approved_on and value_date < approved_on:
        errors["value_date"] = [f"the loan was approved on {approved_on}; a disbursement cannot be "
                                f"dated {value_date}"]
    elif last and value_date < last:
        errors["value_date"] = [f"the previous tranche was paid on {last}; tranches go in date order"]
    remaining = [r for r in loan.installments if r.due_date > value_date]
    if loan.installments and not remaining and "value_date" not in errors:
        errors["value_date"] = [f"the schedule ends on {loan.installments[-1].due_date}; nothing is left "
                                f"to spread a tranche over"]
    if errors:
        raise ValidationFailed(f"the disbursement cannot be recorded: {', '.join(sorted(errors))}", errors)
    before = snapshot(loan)
    tranche = Disbursement(amount=amount, value_date=value_date, reference=data.get("reference"),
                           created_by=actor.user_id)
    first = not loan.disbursements
    if first:
        loan.start_date = value_date
        rows = sched.build_schedule(amount, loan.annual_rate, loan.tenor_months, loan.grace_months,
                                    loan.frequency, loan.method, value_date, loan.fee_per_installment)
        _store(loan, rows)
    else:
        rows = _respread(remaining, loan.outstanding_principal + amount, loan)
        _replace_remaining(loan, remaining, rows)
    loan.disbursements.append(tranche)
    db.session.flush()
    record(actor, "loan.disbursed", "loan", loan.id, before,
           {**snapshot(loan), "disbursement": {"id": tranche.id, "amount": amount, "value_date": value_date}})
    if first:
        transition(actor, loan, "active", disbursement_id=tranche.id)
    _refresh_coverage(loan, _as_finance(loan.installments))
    db.session.commit()
    return tranche


# -- repayments ------------------------------------------------------------------------------

def _status_of(row: Installment) -> str:
    if row.unpaid == 0:
        return "paid"
    return "partly_paid" if row.paid > 0 else "scheduled"


def record_payment(actor: Actor, loan_id: int, data: dict[str, Any]) -> Payment:
    """Apply a repayment: what is due first (fee, interest, principal), the rest prepays principal."""
    loan = _bank_officer_of(actor, loan_id, "record payments")
    if loan.status not in SERVICING_STATES:
        raise Conflict(f"payments are only taken on a loan being repaid; this one is {loan.status}",
                       current_state=loan.status, allowed=LOAN_LIFECYCLE.allowed(loan.status))
    amount: Decimal = data["amount"]
    value_date: dt.date = data["value_date"]
    mode: str | None = data.get("mode")
    errors: dict[str, list[str]] = {}
    if data["currency"] != loan.currency:
        errors["currency"] = [f"the loan is in {loan.currency}; a payment in {data['currency']} cannot be "
                              f"applied to it"]
    if amount <= 0:
        errors["amount"] = ["must be more than zero"]
    first_out = min(d.value_date for d in loan.disbursements)
    if value_date < first_out:
        errors["value_date"] = [f"the loan was first disbursed on {first_out}; a payment cannot be dated "
                                f"{value_date}"]
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
        row.status = _status_of(row)
    if allocation.prepayment > 0:
        remaining = [r for r in rows if r.due_date > value_date]
        recomputed = sched.reschedule_after_prepayment(
            _as_finance(remaining), new_balance, loan.annual_rate, loan.frequency, loan.method,
            mode or "shorten")
        _replace_remaining(loan, remaining, recomputed)
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
                                          **payment.allocation}})
    if loan.outstanding_principal == 0 and loan.status in ("active", "in_arrears"):
        loan.days_past_due = 0
        loan.arrears_as_of = value_date
        transition(actor, loan, "repaid", payment_id=payment.id)
    elif loan.status != "repaid":
        _apply_arrears(actor, loan, value_date, _default_after_days(loan))
    if allocation.prepayment > 0 and loan.installments:
        _refresh_coverage(loan, _as_finance(loan.installments))
    db.session.commit()
    return payment


# -- arrears ---------------------------------------------------------------------------------

def _default_after_days(loan: Loan) -> int:
    from ..scoring.services import rulebook_of
    try:
        return int(rulebook_of(loan.proposal.credit_line).arrears.get("default_after_days",
                                                                       DEFAULT_DEFAULT_AFTER_DAYS))
    except Exception:  # noqa: BLE001 - an uninstalled rulebook must not block a repayment
        return DEFAULT_DEFAULT_AFTER_DAYS


def _apply_arrears(actor: Actor | None, loan: Loan, as_of: dt.date, default_after_days: int) -> None:
    if loan.status not in SERVICING_STATES:
        return
    dpd = days_past_due(((r.due_date, r.unpaid) for r in loan.installments), as_of)
    target = arrears_status(dpd, default_after_days, loan.status)
    loan.days_past_due, loan.arrears_as_of = dpd, as_of
    if target == loan.status:
        return
    if target == "defaulted" and loan.status == "active":
        transition(actor, loan, "in_arrears", days_past_due=dpd, as_of=as_of)
    transition(actor, loan, target, days_past_due=dpd, as_of=as_of)


def update_arrears(loan: Loan, as_of: dt.date, default_after_days: int | None = None,
                   actor: Actor | None = None) -> Loan:
    """Recompute days past due and the arrears status as of a date (the daily job calls this)."""
    _apply_arrears(actor, loan, as_of,
                   default_after_days if default_after_days is not None else _default_after_days(loan))
    db.session.commit()
    return loan


# -- the proposal side -----------------------------------------------------------------------

def _refuse_withdrawal_after_approval(proposal: Proposal) -> str | None:
    loan = db.session.execute(select(Loan).where(Loan.proposal_id == proposal.id)).scalar_one_or_none()
    if loan is not None and loan.status in APPROVED_STATES:
        return f"loan {loan.id} on this proposal is {loan.status}; an approved loan's proposal cannot be withdrawn"
    return None


WITHDRAW_GUARDS.append(_refuse_withdrawal_after_approval)
