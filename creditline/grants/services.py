"""Grants: calculated on confirmation, approved within the budget, paid exactly once."""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable

from sqlalchemy import func, select, update

from ..audit.services import record
from ..auth.permissions import Actor, get_visible, require_role, visible
from ..creditlines.models import CreditLine
from ..database import utcnow
from ..errors import Conflict, ValidationFailed
from ..extensions import db
from ..pagination import Page, paginate
from ..proposals.models import Proposal
from ..rules.grants import grant_for
from ..scoring.services import rulebook_of
from ..verifications import services as verifications
from ..verifications.models import Verification
from .models import GRANT_LIFECYCLE, PAID_AS, Grant

COMMITTED = ("approved", "paid")
# Packages further down (loans) add: the amount a "loan_amount" basis means, reasons a grant
# must be withheld (a loan repaid before verification), and how a principal reduction is paid.
BASIS_PROVIDERS: list[Callable[[Proposal], Decimal | None]] = []
CONDITIONS: list[Callable[[Proposal, Verification], str | None]] = []
PRINCIPAL_REDUCERS: list[Callable[[Actor, Grant], str]] = []


def _basis(p: Proposal, basis: str) -> Decimal:
    if basis == "eligible_cost":
        return p.eligible_cost or Decimal("0")
    for provider in BASIS_PROVIDERS:
        amount = provider(p)
        if amount is not None:
            return amount
    return p.loan_amount or Decimal("0")


def _block_reasons(p: Proposal, v: Verification, rate: float, improvement: float | None,
                   bands: dict[str, Any]) -> list[str]:
    reasons = []
    if improvement is None:
        reasons.append("the verified improvement could not be computed")
    elif rate == 0:
        first = min(b["over"] for b in bands["bands"])
        word = "at least" if bands.get("inclusive") else "over"
        reasons.append(f"the verified improvement {improvement:.1%} is not {word} {first:.0%}, the first grant band")
    if p.other_incentives:
        names = ", ".join(str(i.get("name") or i.get("source") or i) for i in p.other_incentives)
        reasons.append(f"double funding: the enterprise declared another incentive for this investment ({names})")
    earlier = db.session.scalar(select(Grant.id).where(Grant.proposal_id == p.id, Grant.status.in_(COMMITTED)))
    if earlier:
        reasons.append(f"double funding: grant {earlier} has already been committed for this proposal")
    reasons += [r for r in (c(p, v) for c in CONDITIONS) if r]
    return reasons


def calculate_grant(actor: Actor, v: Verification) -> Grant | None:
    """On a confirmed 'verified' decision, size the grant by the rulebook's bands (in the caller's transaction)."""
    if v.decision != "verified":
        return None
    p = v.proposal
    book = rulebook_of(p.credit_line)
    bands = book.grant_bands
    if v.supersedes_id:
        old = db.session.scalar(select(Grant).where(Grant.verification_id == v.supersedes_id))
        if old is not None and old.status in ("calculated", "approved"):
            GRANT_LIFECYCLE.check(old.status, "superseded")
            record(actor, "grant.superseded", "grant", old.id, {"status": old.status}, {"status": "superseded",
                                                                                         "by_verification": v.id})
            old.status = "superseded"
            db.session.flush()
    net = v.result.get("net_improvement")
    improvement = net if net is not None else v.result.get("main_improvement")
    basis_amount = _basis(p, bands["basis"])
    rate, amount = grant_for(improvement if improvement is not None else float("nan"), basis_amount, bands)
    reasons = _block_reasons(p, v, rate, improvement, bands)
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


verifications.ON_CONFIRMED.append(calculate_grant)


def _remaining_budget(line: CreditLine) -> Decimal:
    used = db.session.scalar(select(func.coalesce(func.sum(Grant.amount), 0)).where(
        Grant.credit_line_id == line.id, Grant.status.in_(COMMITTED)))
    return line.grant_budget - Decimal(str(used))


def _conditional_move(g: Grant, source: str, target: str, **values: Any) -> None:
    """Move status only if it is still ``source``: of two racing requests, exactly one wins."""
    result = db.session.execute(update(Grant).where(Grant.id == g.id, Grant.status == source)
                                .values(status=target, **values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        current = db.session.scalar(select(Grant.status).where(Grant.id == g.id))
        raise Conflict(f"grant {g.id} is already {current}", current_state=current,
                       allowed=GRANT_LIFECYCLE.allowed(current or ""))


def approve_grant(actor: Actor, grant_id: int, paid_as: str | None = None) -> Grant:
    """A fund admin approves a calculated grant within the line's remaining grant budget."""
    require_role(actor, "fund_admin", action="approve grants")
    g = get_visible(Grant, grant_id, actor, what="grant")
    GRANT_LIFECYCLE.check(g.status, "approved")
    if paid_as is not None and paid_as not in PAID_AS:
        raise ValidationFailed("unknown way to pay", {"paid_as": [f"one of {', '.join(PAID_AS)}"]})
    # Lock the credit line so two approvals cannot both spend the last of the budget.
    line = db.session.execute(select(CreditLine).where(CreditLine.id == g.credit_line_id).with_for_update()).scalar_one()
    remaining = _remaining_budget(line)
    if g.amount > remaining:
        db.session.rollback()
        raise ValidationFailed("the grant exceeds the remaining grant budget",
                               {"amount": [f"{g.currency} {g.amount} is more than the {g.currency} {remaining} left"]})
    _conditional_move(g, "calculated", "approved", approved_by=actor.user_id, approved_at=utcnow(),
                      paid_as=paid_as or g.paid_as)
    record(actor, "grant.approved", "grant", g.id, {"status": "calculated"},
           {"status": "approved", "amount": str(g.amount), "paid_as": paid_as or g.paid_as,
            "remaining_budget_after": str(remaining - g.amount)})
    db.session.commit()
    db.session.refresh(g)
    return g


def pay_grant(actor: Actor, grant_id: int, reference: str | None = None) -> Grant:
    """Pay an approved grant, exactly once: as a loan principal reduction or to the enterprise."""
    require_role(actor, "fund_admin", action="pay grants")
    g = get_visible(Grant, grant_id, actor, what="grant")
    GRANT_LIFECYCLE.check(g.status, "paid")
    if g.paid_as == "principal_reduction" and not PRINCIPAL_REDUCERS:
        raise Conflict("this grant is to reduce a loan's principal, and no loan is recorded for the proposal; "
                       "approve it to be paid to the enterprise instead", current_state=g.status, allowed=["paid"])
    _conditional_move(g, "approved", "paid", paid_by=actor.user_id, paid_at=utcnow(),
                      payment_reference=reference or f"GR-{g.id:06d}")
    db.session.refresh(g)
    detail = PRINCIPAL_REDUCERS[0](actor, g) if g.paid_as == "principal_reduction" else "paid to the enterprise"
    record(actor, "grant.paid", "grant", g.id, {"status": "approved"},
           {"status": "paid", "amount": str(g.amount), "paid_as": g.paid_as, "reference": g.payment_reference,
            "detail": detail})
    db.session.commit()
    return g


def get_grant(actor: Actor, grant_id: int) -> Grant:
    return get_visible(Grant, grant_id, actor, what="grant")


def list_grants(actor: Actor, args: dict[str, Any]) -> Page:
    """Grants in scope, newest first; filter by status (the fund's queue is 'calculated')."""
    stmt = visible(Grant, actor)
    if args.get("status"):
        stmt = stmt.where(Grant.status == args["status"])
    return paginate(stmt.order_by(Grant.id.desc()), args["page"], args["per_page"])
