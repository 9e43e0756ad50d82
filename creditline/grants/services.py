"""Grants: calculated on confirmation, approved within the budget, paid exactly once per proposal."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Callable

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError

from ..audit.services import record
from ..auth.permissions import Actor, get_visible, require_role, visible
from ..creditlines.models import CreditLine
from ..database import utcnow
from ..errors import Conflict, ValidationFailed
from ..event_dates import check_event_day
from ..extensions import db
from ..lifecycle_moves import move
from ..unit_of_work import keep_changes, lock, unit_of_work
from ..finance.money import to_money
from ..listing import page_rows
from ..pagination import Page
from ..proposals.models import Proposal
from ..rules.grants import grant_for
from ..scoring.services import rulebook_for
from ..verifications import services as verifications
from ..verifications.models import Verification
from .models import COMMITTED, GRANT_LIFECYCLE, PAID_AS, Grant
from .lists import GRANTS

# Packages further down (loans) add: the amount a "loan_amount" basis means, named conditions a
# rulebook may require (``loan_outstanding``), and how a principal reduction is paid.
BASIS_PROVIDERS: list[Callable[[Proposal], Decimal | None]] = []
# A condition gets the proposal and the grant being checked (None while it is being calculated)
# and returns the reason no grant is due, or None.
Condition = Callable[[Proposal, "Grant | None"], "str | None"]
CONDITIONS: dict[str, Condition] = {}
PRINCIPAL_REDUCERS: list[Callable[[Actor, Grant, date], str]] = []  # paid on the given day
# What a rulebook that lists no ``grant_bands.conditions`` requires.
DEFAULT_CONDITIONS = ("loan_outstanding", "no_other_grant")
ZERO = Decimal("0.00")


def _basis(p: Proposal, basis: str) -> Decimal:
    if basis == "eligible_cost":
        return p.eligible_cost or Decimal("0")
    for provider in BASIS_PROVIDERS:
        amount = provider(p)
        if amount is not None:
            return amount
    return p.loan_amount or Decimal("0")


def grant_basis(p: Proposal, bands: dict[str, Any]) -> Decimal:
    """The amount the rulebook's grant rate applies to (the credit or the eligible cost)."""
    return _basis(p, bands["basis"])


def _same_title(a: str | None, b: str | None) -> bool:
    return (a or "").strip().casefold() == (b or "").strip().casefold()


def _no_other_grant(p: Proposal, g: Grant | None) -> str | None:
    """Double funding: an incentive the enterprise declared, or a grant of ours for the same investment."""
    reasons = []
    if p.other_incentives:
        names = ", ".join(str(i.get("name") or i.get("source") or i) for i in p.other_incentives)
        reasons.append(f"double funding: the enterprise declared another incentive for this investment ({names})")
    # The same investment proposed again (a second proposal of the enterprise) must not be paid twice.
    # Only the columns compared: an enterprise with a book of loans of one amount (an imported
    # tape) would otherwise have every such proposal and grant loaded, with their collections.
    others = db.session.execute(
        select(Grant.id, Grant.status, Proposal.id, Proposal.title).join(Proposal, Proposal.id == Grant.proposal_id)
        .where(Proposal.enterprise_id == p.enterprise_id, Proposal.id != p.id, Grant.status.in_(COMMITTED),
               # Only a proposal of the same amount can be the same investment: an enterprise with a
               # book of loans is not read whole for every grant.
               Proposal.investment == p.investment)).all()
    for grant_id, status, proposal_id, title in others:
        if _same_title(p.title, title):
            reasons.append(f"double funding: grant {grant_id} ({status}) was committed for proposal {proposal_id} "
                           f"'{title}', the same investment")
    return "; ".join(reasons) or None



def condition_reasons(p: Proposal, g: Grant | None = None) -> list[str]:
    """Why no grant is due for the proposal now: the rulebook's conditions, and one committed grant at most."""
    reasons = []
    committed = select(Grant.id).where(Grant.proposal_id == p.id, Grant.status.in_(COMMITTED))
    if g is not None:
        committed = committed.where(Grant.id != g.id)
    earlier = db.session.scalar(committed)
    if earlier:
        reasons.append(f"double funding: grant {earlier} has already been committed for this proposal")
    names = rulebook_for(p).grant_bands.get("conditions")
    for name in DEFAULT_CONDITIONS if names is None else names:
        check = CONDITIONS.get(name)
        # Fail closed: a condition the system cannot check is not taken as met.
        reason = check(p, g) if check else f"the rulebook requires '{name}', a grant condition this system does not know"
        if reason:
            reasons.append(reason)
    return reasons


def _block_reasons(p: Proposal, rate: float, improvement: float | None, bands: dict[str, Any]) -> list[str]:
    reasons = []
    if improvement is None:
        reasons.append("the verified improvement could not be computed")
    elif rate == 0:
        first = min(b["over"] for b in bands["bands"])
        word = "at least" if bands.get("inclusive") else "over"
        reasons.append(f"the verified improvement {improvement:.1%} is not {word} {first:.0%}, the first grant band")
    return reasons + condition_reasons(p)


def _supersede_old_grant(actor: Actor, v: Verification) -> None:
    old = db.session.scalar(select(Grant).where(Grant.verification_id == v.supersedes_id))
    if old is not None and old.status in ("calculated", "approved"):
        _move(actor, old, "superseded", after={"status": "superseded", "by_verification": v.id})


def calculate_grant(actor: Actor, v: Verification) -> Grant | None:
    """On confirmation, retire the grant a correction replaces; on 'verified', size the new one by the rulebook's bands."""
    if v.supersedes_id:
        # A correction replaces the old figures whatever it decides, so the old grant goes too.
        _supersede_old_grant(actor, v)
    if v.decision != "verified":
        return None
    p = v.proposal
    bands = rulebook_for(p).grant_bands
    net = v.result.get("net_improvement")
    improvement = net if net is not None else v.result.get("main_improvement")
    if "band_improvement" in v.result:
        # The verifier's baseline models decide it: the estimate or its 90% lower bound (rulebook).
        improvement = v.result["band_improvement"]
    basis_amount = _basis(p, bands["basis"])
    rate, amount = grant_for(improvement if improvement is not None else float("nan"), basis_amount, bands)
    reasons = _block_reasons(p, rate, improvement, bands)
    g = Grant(verification_id=v.id, proposal_id=p.id, credit_line_id=p.credit_line_id, currency=p.credit_line.currency,
              improvement=Decimal(str(round(improvement, 6))) if improvement is not None else None,
              rate=Decimal(str(rate)), basis=bands["basis"], basis_amount=basis_amount,
              amount=amount if not reasons else Decimal("0.00"), status="blocked" if reasons else "calculated",
              reason="; ".join(reasons) or None, paid_as=bands.get("paid_as", "principal_reduction"))
    db.session.add(g)
    db.session.flush()
    record(actor, f"grant.{g.status}", "grant", g.id, None,
           {"verification_id": v.id, "rate": str(g.rate), "amount": str(g.amount), "reason": g.reason})
    return g



def remaining_budget(line: CreditLine) -> Decimal:
    """The line's grant budget less every grant committed (approved or paid) on it."""
    used = db.session.scalar(select(func.coalesce(func.sum(Grant.amount), 0)).where(
        Grant.credit_line_id == line.id, Grant.status.in_(COMMITTED)))
    # SQLite sums NUMERIC as a float: back to whole cents before comparing money.
    return line.grant_budget - to_money(used)


def budget_floor(line: CreditLine, data: dict[str, Decimal]) -> dict[str, list[str]]:
    """A new grant budget below the grants approved or paid on the line, named (else nothing)."""
    budget = data.get("grant_budget")
    committed = line.grant_budget - remaining_budget(line) if budget is not None else ZERO
    if budget is None or budget >= committed:
        return {}
    return {"grant_budget": [f"grants of {line.currency} {committed:,.2f} are approved or paid on this line; "
                             f"the budget cannot be less"]}


def budget_positions(actor: Actor) -> list[dict[str, Any]]:
    """Each credit line's grant budget: approved, paid and what remains (the fund's people only)."""
    if not actor.sees_portfolio:
        return []
    lines = db.session.scalars(visible(CreditLine, actor).order_by(CreditLine.name)).all()
    sums = db.session.execute(select(Grant.credit_line_id, Grant.status, func.sum(Grant.amount))
                              .where(Grant.status.in_(COMMITTED)).group_by(Grant.credit_line_id, Grant.status)).all()
    used = {(line_id, status): to_money(total) for line_id, status, total in sums}
    out = []
    for line in lines:
        approved, paid = used.get((line.id, "approved"), ZERO), used.get((line.id, "paid"), ZERO)
        out.append({"line": line, "budget": line.grant_budget, "approved": approved, "paid": paid,
                    "remaining": line.grant_budget - approved - paid})
    return out


def _move(actor: Actor | None, g: Grant, target: str, *, before: dict[str, Any] | None = None,
          after: dict[str, Any] | None = None, **values: Any) -> None:
    """The one conditional move, plus the grant's own guard: one committed grant per proposal."""
    source = g.status
    try:
        move(actor, g, GRANT_LIFECYCLE, target, before=before, after=after, values=values)
    except IntegrityError:
        # The partial unique index: another grant of the proposal was committed meanwhile.
        raise Conflict(f"another grant has already been committed for proposal {g.proposal_id}; "
                       f"grant {g.id} cannot be {target} too", current_state=source,
                       allowed=GRANT_LIFECYCLE.allowed(source)) from None


def _lock_line(g: Grant) -> CreditLine:
    """Lock the grant's credit line: approvals and payments of one line then happen one at a time."""
    return lock(CreditLine, g.credit_line_id)


def _block_if_no_longer_due(actor: Actor, g: Grant) -> None:
    """Re-check the conditions at approval and payment; a grant no longer due is blocked, with the reason."""
    reasons = condition_reasons(g.proposal, g)
    if not reasons:
        return
    reason = "; ".join(reasons)
    _move(actor, g, "blocked", before={"status": g.status, "amount": str(g.amount)},
          after={"status": "blocked", "amount": str(ZERO), "reason": reason}, reason=reason, amount=ZERO)
    # The block stands (it is committed) although the approval or payment is refused.
    raise keep_changes(Conflict(f"grant {g.id} is no longer due and has been blocked: {reason}",
                                current_state="blocked", allowed=[]))


def block_open_grants(actor: Actor, p: Proposal, reason: str) -> list[int]:
    """Block the proposal's grants not yet paid (in the caller's transaction); return their ids."""
    blocked = []
    for g in db.session.scalars(select(Grant).where(Grant.proposal_id == p.id,
                                                    Grant.status.in_(("calculated", "approved")))):
        _move(actor, g, "blocked", before={"status": g.status, "amount": str(g.amount)},
              after={"status": "blocked", "amount": str(ZERO), "reason": reason}, amount=ZERO, reason=reason)
        blocked.append(g.id)
    db.session.flush()
    return blocked


def approved_day(g: Grant) -> date | None:
    """The day the grant was approved (rows from before event dates: the day it was entered)."""
    return g.approved_on or (g.approved_at.date() if g.approved_at else None)


@unit_of_work
def approve_grant(actor: Actor, grant_id: int, paid_as: str | None = None, on: date | None = None) -> Grant:
    """A fund admin approves a calculated grant on ``on`` (today by default) within the remaining grant budget."""
    require_role(actor, "fund_admin", action="approve grants")
    g = get_visible(Grant, grant_id, actor, what="grant")
    GRANT_LIFECYCLE.check(g.status, "approved")
    if paid_as is not None and paid_as not in PAID_AS:
        raise ValidationFailed("unknown way to pay", {"paid_as": [f"one of {', '.join(PAID_AS)}"]})
    day = check_event_day("approved_on", on, [(verifications.confirmed_day(g.verification),
                                               f"verification {g.verification_id} was confirmed")])
    # Lock the credit line so two approvals cannot both spend the last of the budget, nor
    # commit two grants for one proposal.
    line = _lock_line(g)
    db.session.refresh(g)
    GRANT_LIFECYCLE.check(g.status, "approved")
    _block_if_no_longer_due(actor, g)
    remaining = remaining_budget(line)
    if g.amount > remaining:
        raise ValidationFailed("the grant exceeds the remaining grant budget",
                               {"amount": [f"{g.currency} {g.amount} is more than the {g.currency} {remaining} left"]})
    _move(actor, g, "approved", after={"status": "approved", "approved_on": day, "amount": str(g.amount),
                                       "paid_as": paid_as or g.paid_as, "remaining_budget_after": str(remaining - g.amount)},
          approved_by=actor.user_id, approved_at=utcnow(), approved_on=day, paid_as=paid_as or g.paid_as)
    return g


@unit_of_work
def pay_grant(actor: Actor, grant_id: int, reference: str | None = None, on: date | None = None) -> Grant:
    """Pay an approved grant on ``on`` (today by default), exactly once: off the loan's principal or to the enterprise."""
    require_role(actor, "fund_admin", action="pay grants")
    g = get_visible(Grant, grant_id, actor, what="grant")
    GRANT_LIFECYCLE.check(g.status, "paid")
    day = check_event_day("paid_on", on, [(approved_day(g), "the grant was approved")])
    if g.paid_as == "principal_reduction" and not PRINCIPAL_REDUCERS:
        raise Conflict("this grant is to reduce a loan's principal, and no loan is recorded for the proposal; "
                       "approve it to be paid to the enterprise instead", current_state=g.status, allowed=["paid"])
    _lock_line(g)
    db.session.refresh(g)
    GRANT_LIFECYCLE.check(g.status, "paid")
    _block_if_no_longer_due(actor, g)
    # Under the line's lock a racing second payment has already stopped at the check above.
    g.payment_reference = reference or g.reference
    detail = PRINCIPAL_REDUCERS[0](actor, g, day) if g.paid_as == "principal_reduction" else "paid to the enterprise"
    _move(actor, g, "paid", after={"status": "paid", "paid_on": day, "amount": str(g.amount), "paid_as": g.paid_as,
                                   "reference": g.payment_reference, "detail": detail},
          paid_by=actor.user_id, paid_at=utcnow(), paid_on=day)
    return g


def get_grant(actor: Actor, grant_id: int) -> Grant:
    return get_visible(Grant, grant_id, actor, what="grant")


def grants_query(actor: Actor, args: dict[str, Any]) -> Select[Any]:
    """The grants the caller may see (the list spec filters and sorts them)."""
    return visible(Grant, actor)


def list_grants(actor: Actor, args: dict[str, Any]) -> Page:
    """Grants in scope, newest first; filter by status (the fund's queue is 'calculated')."""
    return page_rows(GRANTS, grants_query(actor, args), args)
