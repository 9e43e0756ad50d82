"""Request and issue guarantees within the fund's capacity, call them on default, pay claims once, share recoveries."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Select, cast, func, select
from sqlalchemy.orm import selectinload

from ..audit.services import record
from ..auth.permissions import Actor, get_visible, require_portfolio, require_role, visible
from ..creditlines.models import CreditLine
from ..database import utcnow
from ..errors import Conflict, ValidationFailed
from ..event_dates import check_event_day, day_of
from ..extensions import db
from .. import lifecycle_moves
from ..unit_of_work import lock, unit_of_work
from ..finance.guarantee_math import capped_share, claim_amount, guarantee_cover, guarantee_fee
from ..finance.money import cents_to_money, to_money
from ..loans.models import LOAN_LIFECYCLE, Loan
from ..listing import page_rows
from ..pagination import Page
from ..proposals.models import Proposal
from ..scoring.services import rulebook_for
from .models import CLAIM_PAID, GUARANTEE_LIFECYCLE, Guarantee, Recovery
from .lists import GUARANTEES
from .recoveries import apply_recovery

# Loan states in which a guarantee may be requested and issued.
GUARANTEEABLE = ("approved", "disbursed", "active")
ZERO = Decimal("0.00")
# What a list row shows: the loan's status and the enterprise, loaded for the whole page at once.
WITH_LOAN_AND_ENTERPRISE = selectinload(Guarantee.loan).selectinload(Loan.proposal).selectinload(Proposal.enterprise)


def _snapshot(g: Guarantee) -> dict[str, Any]:
    return {"status": g.status, "covered_amount": str(g.covered_amount), "claim_amount": str(g.claim_amount)
            if g.claim_amount is not None else None, "recovered": str(g.recovered)}


def move(actor: Actor | None, g: Guarantee, target: str, **extra: Any) -> None:
    """Move a guarantee along its lifecycle and audit the step (in the caller's unit of work)."""
    lifecycle_moves.move(actor, g, GUARANTEE_LIFECYCLE, target, before=_snapshot(g),
                         after=lambda: {**_snapshot(g), **extra})


def _refuse(g: Guarantee, message: str) -> Conflict:
    return Conflict(message, current_state=g.status, allowed=GUARANTEE_LIFECYCLE.allowed(g.status))


def exposure(line: CreditLine) -> dict[str, Any]:
    """The fund's guarantee position on a credit line, recomputed from the guarantees and loans."""
    # Every guarantee with its recoveries and loan (installments and tranches for the outstanding
    # principal) in a fixed handful of queries, however many guarantees the line carries.
    guarantees = list(db.session.scalars(select(Guarantee).where(Guarantee.credit_line_id == line.id)
                                         .options(selectinload(Guarantee.loan))))
    ever_issued = [g for g in guarantees if g.status not in ("requested", "declined")]
    issued = sum((g.covered_amount for g in ever_issued), ZERO)
    requested = sum((g.covered_amount for g in guarantees if g.status == "requested"), ZERO)
    live = [g for g in guarantees if g.status == "issued" and g.loan.status != "repaid"]
    # Exposure today: the share of what is still owed, capped, for every guarantee not yet called.
    outstanding = sum((min(to_money(g.coverage_share * g.loan.outstanding_principal), g.cap or Decimal("1e15"))
                       for g in live), ZERO)
    called = sum((g.claim_amount or ZERO for g in guarantees if g.status in ("called", *CLAIM_PAID)), ZERO)
    paid = sum((g.claim_amount or ZERO for g in guarantees if g.status in CLAIM_PAID), ZERO)
    recovered = sum((g.recovered_by_fund for g in guarantees), ZERO)
    committed = sum((g.covered_amount for g in live), ZERO) + sum(
        (g.claim_amount or ZERO for g in guarantees if g.status == "called"), ZERO) + (paid - recovered)
    return {"credit_line_id": line.id, "currency": line.currency, "capacity": line.guarantee_capacity,
            "issued": issued, "requested": requested, "outstanding_exposure": outstanding, "called": called,
            "paid": paid, "recovered": recovered, "committed": committed,
            "remaining_capacity": line.guarantee_capacity - committed, "guarantees": len(ever_issued),
            "live": len(live)}


def _cents_sum(column: Any) -> Any:
    # Each amount in whole cents before the sum: exact on SQLite too, which sums NUMERIC as floats.
    return func.coalesce(func.sum(cast(func.round(column * 100), BigInteger)), 0)


def committed_cover(line_id: int) -> Decimal:
    """``exposure(line)["committed"]``, summed by the database in three aggregates.

    Issuing a guarantee checks the capacity left; reading every guarantee of the line with its
    loan for that made a loan tape's guaranteed loans cost time growing with the square of their
    number (a property test holds this figure to ``exposure``'s).
    """
    live = (select(_cents_sum(Guarantee.covered_amount)).join(Loan, Loan.id == Guarantee.loan_id)
            .where(Guarantee.credit_line_id == line_id, Guarantee.status == "issued", Loan.status != "repaid"))
    claims = select(_cents_sum(Guarantee.claim_amount)).where(Guarantee.credit_line_id == line_id,
                                                              Guarantee.status.in_(("called", *CLAIM_PAID)))
    recovered = (select(_cents_sum(Recovery.fund_part)).join(Guarantee, Guarantee.id == Recovery.guarantee_id)
                 .where(Guarantee.credit_line_id == line_id))
    cover, claimed, back = db.session.execute(select(live.scalar_subquery(), claims.scalar_subquery(),
                                                     recovered.scalar_subquery())).one()
    return cents_to_money(int(cover) + int(claimed) - int(back))


def capacity_floor(line: CreditLine, data: dict[str, Decimal]) -> dict[str, list[str]]:
    """A new guarantee capacity below what the fund has committed on the line, named (else nothing)."""
    capacity = data.get("guarantee_capacity")
    committed = committed_cover(line.id) if capacity is not None else ZERO
    if capacity is None or capacity >= committed:
        return {}
    return {"guarantee_capacity": [f"the fund has committed {line.currency} {committed:,.2f} of guarantees on "
                                   f"this line; the capacity cannot be less"]}


def _pct(share: Decimal | float) -> str:
    return f"{(Decimal(str(share)) * 100).normalize():f}%"


def _capped_offer(loan: Loan, share: Decimal, others: Decimal, max_total: Decimal, cap: Decimal | None,
                  errors: dict[str, list[str]], problem: str) -> dict[str, Any] | None:
    """The cover the fund can offer next to the other guarantors, for the officer to confirm (None: nothing)."""
    if errors or not 0 <= others <= 1:
        errors.setdefault("other_guarantors_share", [problem])
        return None
    most = capped_share(share, others, max_total)
    if most <= 0:
        errors["other_guarantors_share"] = [f"other guarantors already cover {_pct(others)}, and all guarantors "
                                            f"together may cover at most {_pct(max_total)}: the fund can cover nothing"]
        return None
    amount = guarantee_cover(loan.principal, most, cap, others, max_total)
    errors["coverage_share"] = [f"{_pct(share)} asked plus {_pct(others)} from other guarantors is more than the "
                                f"{_pct(max_total)} all may cover together; at most {_pct(most)} "
                                f"({loan.currency} {amount}) can be covered"]
    return {"coverage_share": float(most), "covered_amount": str(amount), "other_guarantors_share": float(others),
            "max_total_cover": float(max_total), "currency": loan.currency}


@unit_of_work
def request_guarantee(actor: Actor, loan_id: int, data: dict[str, Any]) -> Guarantee:
    """The lending bank asks the fund to cover an approved loan by the rulebook's terms."""
    require_role(actor, "bank_officer", action="request guarantees")
    lock(Loan, loan_id)  # one request per loan at a time
    loan = get_visible(Loan, loan_id, actor, what="loan")
    if loan.bank_id != actor.organisation_id:
        raise ValidationFailed("only the lending bank may request its guarantee", {"loan_id": ["not your bank's loan"]})
    if loan.status not in GUARANTEEABLE:
        raise Conflict(f"a {loan.status} loan cannot be guaranteed; it must be approved and not yet in arrears",
                       current_state=loan.status, allowed=LOAN_LIFECYCLE.allowed(loan.status))
    existing = db.session.scalar(select(Guarantee).where(Guarantee.loan_id == loan.id))
    if existing is not None and existing.status != "declined":
        raise _refuse(existing, f"loan {loan.id} already has guarantee {existing.id} ({existing.status})")
    line = loan.proposal.credit_line
    terms = rulebook_for(loan.proposal).guarantee
    share = Decimal(str(data.get("coverage_share") or terms.get("coverage", "0.5")))
    cap = terms.get("cap")
    others = Decimal(str(data.get("other_guarantors_share") or "0"))
    to_items = bool(data.get("proceeds_to_approved_items", True))
    errors: dict[str, list[str]] = {}
    max_share = Decimal(str(terms.get("coverage", "0.5")))
    if share > max_share:
        errors["coverage_share"] = [f"the rulebook covers at most {max_share:.0%} of a loan"]
    cap_amount = Decimal(str(cap)) if cap is not None else None
    max_total = Decimal(str(terms.get("max_total_cover", "1")))
    offer = None
    try:
        covered = guarantee_cover(loan.principal, share, cap_amount, others, max_total)
    except ValueError as exc:
        covered, offer = ZERO, _capped_offer(loan, share, others, max_total, cap_amount, errors, str(exc))
    if errors:
        raise ValidationFailed("the guarantee cannot be requested" if offer is None else
                               f"all guarantors together may cover at most {_pct(max_total)} of the loan; the fund "
                               f"can cover {_pct(offer['coverage_share'])} ({loan.currency} {offer['covered_amount']}): "
                               f"request that share to confirm", errors, **({"capped": offer} if offer else {}))
    fee_rate = Decimal(str(terms.get("fee_rate", "0")))
    free = to_items and terms.get("fee_free_when_proceeds_to_approved_items", True)
    terms_now = dict(credit_line_id=line.id, currency=line.currency, coverage_share=share,
                     cap=Decimal(str(cap)) if cap is not None else None, other_guarantors_share=others,
                     covered_amount=covered, fee_rate=fee_rate, fee=guarantee_fee(loan.principal, fee_rate, bool(free)),
                     proceeds_to_approved_items=to_items, valid_until=_end_of_loan(loan),
                     requested_by=actor.user_id, requested_at=utcnow())
    def audited() -> dict[str, Any]:
        return {**_snapshot(g), "loan_id": loan.id, "fee": str(g.fee), "coverage_share": str(share)}
    if existing is not None:
        # Asked again after a decline: the same row, with today's terms and the decision cleared.
        g, before = existing, {**_snapshot(existing), "decline_reason": existing.decline_reason}
        GUARANTEE_LIFECYCLE.check(g.status, "requested")
        for key, value in terms_now.items():
            setattr(g, key, value)
        g.declined_by, g.declined_at, g.decline_reason = None, None, None
        lifecycle_moves.move(actor, g, GUARANTEE_LIFECYCLE, "requested", before=before, after=audited)
    else:
        g = Guarantee(loan_id=loan.id, status=GUARANTEE_LIFECYCLE.initial, **terms_now)
        db.session.add(g)
        db.session.flush()
        record(actor, "guarantee.requested", "guarantee", g.id, None, audited())
    return g


@unit_of_work
def issue_guarantee(actor: Actor, guarantee_id: int, on: date | None = None) -> Guarantee:
    """The fund issues a requested guarantee on ``on`` (today by default), within the remaining capacity."""
    from ..loans.services import decided_on

    require_role(actor, "fund_admin", action="issue guarantees")
    g = get_visible(Guarantee, guarantee_id, actor, what="guarantee")
    GUARANTEE_LIFECYCLE.check(g.status, "issued")
    loan = g.loan
    if loan.status not in GUARANTEEABLE:
        raise _refuse(g, f"loan {loan.id} is {loan.status}; only an approved loan not in arrears can be guaranteed; "
                         f"decline the request instead")
    day = check_event_day("issued_on", on, [(decided_on(loan), f"loan {loan.id} was approved")])
    # Lock the line so two issues cannot both take the last of the capacity (SQLite: the unit
    # of work holds the write lock), and read the guarantee again under the lock.
    line = lock(CreditLine, g.credit_line_id)
    db.session.refresh(g)
    remaining = line.guarantee_capacity - committed_cover(line.id)
    if g.covered_amount > remaining:
        raise ValidationFailed("the fund's guarantee capacity is exhausted",
                               {"covered_amount": [f"{line.currency} {g.covered_amount} of cover asked, "
                                                   f"{line.currency} {remaining} of capacity left"]})
    g.issued_by, g.issued_at, g.issued_on = actor.user_id, utcnow(), day
    g.valid_until = _end_of_loan(loan)
    move(actor, g, "issued", remaining_capacity=str(remaining - g.covered_amount), issued_on=day)
    return g


@unit_of_work
def decline_guarantee(actor: Actor, guarantee_id: int, reason: str) -> Guarantee:
    """The fund declines a guarantee request, with a reason."""
    require_role(actor, "fund_admin", action="decline guarantees")
    g = get_visible(Guarantee, guarantee_id, actor, what="guarantee")
    if not reason or len(reason.strip()) < 3:
        raise ValidationFailed("say why the guarantee is declined", {"reason": ["a reason is required"]})
    GUARANTEE_LIFECYCLE.check(g.status, "declined")
    g.declined_by, g.declined_at, g.decline_reason = actor.user_id, utcnow(), reason.strip()
    move(actor, g, "declined", reason=g.decline_reason)
    return g


def _end_of_loan(loan: Loan) -> date | None:
    return loan.installments[-1].due_date if loan.installments else None


@unit_of_work
def call_guarantee(actor: Actor, guarantee_id: int) -> Guarantee:
    """The bank calls the guarantee of a defaulted loan: claim = coverage x outstanding principal, capped."""
    require_role(actor, "bank_officer", action="call guarantees")
    g = get_visible(Guarantee, guarantee_id, actor, what="guarantee")
    # Lock the loan, then read both fresh (the order every money move on a loan takes): a payment
    # racing the call lands either before it, and the claim is on what is still owed, or after
    # it, and is refused; without the lock the two deadlocked or claimed repaid principal.
    lock(Loan, g.loan_id)
    db.session.refresh(g)
    GUARANTEE_LIFECYCLE.check(g.status, "called")
    if g.loan.status != "defaulted":
        raise _refuse(g, f"loan {g.loan_id} is {g.loan.status}, not defaulted; only a defaulted loan's guarantee "
                         "can be called")
    outstanding = g.loan.outstanding_principal
    g.outstanding_at_default = outstanding
    g.claim_amount = claim_amount(g.coverage_share, outstanding, g.cap)
    g.called_by, g.called_at = actor.user_id, utcnow()
    move(actor, g, "called", outstanding_at_default=str(outstanding))
    return g


@unit_of_work
def pay_claim(actor: Actor, guarantee_id: int, reference: str | None = None, on: date | None = None) -> Guarantee:
    """The fund pays a called guarantee on ``on`` (today by default), exactly once (a racing second gets 409).

    ``reference`` is the fund's transfer reference; without one the guarantee's own (``G-000012``) is kept,
    so every paid claim can be matched to a bank statement line.
    """
    require_role(actor, "fund_admin", action="pay guarantee claims")
    g = get_visible(Guarantee, guarantee_id, actor, what="guarantee")
    GUARANTEE_LIFECYCLE.check(g.status, "paid")
    day = check_event_day("paid_on", on, [(day_of(g.called_at), "the guarantee was called")])
    reference = reference or g.reference
    # The conditional update is the check that holds under a race (a second payment gets 409).
    lifecycle_moves.move(actor, g, GUARANTEE_LIFECYCLE, "paid",
                         values={"paid_by": actor.user_id, "paid_at": utcnow(), "paid_on": day,
                                 "payment_reference": reference},
                         after={"status": "paid", "claim_amount": str(g.claim_amount), "paid_on": day.isoformat(),
                                "reference": reference})
    return g


@unit_of_work
def record_recovery(actor: Actor, guarantee_id: int, data: dict[str, Any]) -> Recovery:
    """Money recovered after the claim was paid: lowers the loan and is shared pro rata with the fund."""
    require_role(actor, "bank_officer", "fund_admin", action="record recoveries")
    g = get_visible(Guarantee, guarantee_id, actor, what="guarantee")
    if g.status not in CLAIM_PAID:
        raise _refuse(g, "recoveries are shared once the claim is paid")
    return apply_recovery(actor, g.loan, g, data).recovery


def release_repaid(actor: Actor | None = None) -> int:
    """Release the guarantees of repaid loans, freeing capacity (idempotent; the daily job runs it)."""
    released = 0
    for g in db.session.scalars(select(Guarantee).join(Loan, Loan.id == Guarantee.loan_id)
                                .where(Guarantee.status == "issued", Loan.status == "repaid")):
        g.released_at = utcnow()
        move(actor, g, "released", loan_status="repaid")
        released += 1
    db.session.flush()
    return released


def get_guarantee(actor: Actor, guarantee_id: int) -> Guarantee:
    """Load one guarantee in the caller's scope (404 otherwise)."""
    return get_visible(Guarantee, guarantee_id, actor, what="guarantee")


def guarantee_of(loan: Loan) -> Guarantee | None:
    """The guarantee of a loan the caller may already see, if there is one."""
    return db.session.scalar(select(Guarantee).where(Guarantee.loan_id == loan.id))


def guarantees_query(actor: Actor, args: dict[str, Any]) -> Select[Any]:
    """The guarantees in scope, of one credit line if asked (the list spec does the rest)."""
    stmt = visible(Guarantee, actor)
    if args.get("credit_line_id"):
        stmt = stmt.where(Guarantee.credit_line_id == args["credit_line_id"])
    return stmt


def list_guarantees(actor: Actor, args: dict[str, Any]) -> Page:
    """List the guarantees in scope, newest first, filtered and sorted."""
    return page_rows(GUARANTEES, guarantees_query(actor, args), args)


def exposure_of(actor: Actor, credit_line_id: int) -> dict[str, Any]:
    """The exposure page and API (the fund's administrators and auditors)."""
    # The exposure sums every partner bank's loans, so an auditor placed at a bank may not see it.
    require_portfolio(actor, action="see the fund's exposure")
    return exposure(get_visible(CreditLine, credit_line_id, actor, what="credit line"))


def capacity_after_issuing(actor: Actor, g: Guarantee) -> Decimal | None:
    """What the line's guarantee capacity would have left once ``g`` is issued (None to those who may not see it).

    A requested guarantee is not yet committed, so its cover comes off what remains now.
    """
    if not actor.sees_portfolio:
        return None
    return exposure_of(actor, g.credit_line_id)["remaining_capacity"] - g.covered_amount
