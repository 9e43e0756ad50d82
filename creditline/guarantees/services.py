"""Issue guarantees within the fund's capacity, call them on default, pay claims once, share recoveries."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update

from ..audit.services import record
from ..auth.permissions import Actor, get_visible, require_role, visible
from ..creditlines.models import CreditLine
from ..database import utcnow
from ..errors import Conflict, ValidationFailed
from ..extensions import db
from ..finance.guarantee_math import claim_amount, guarantee_cover, guarantee_fee, share_recovery
from ..finance.money import to_money
from ..loans.models import Loan
from ..pagination import Page, paginate
from ..scoring.services import rulebook_of
from .models import GUARANTEE_LIFECYCLE, LIVE, Guarantee, Recovery

GUARANTEEABLE = ("approved", "active")
ZERO = Decimal("0.00")


def _snapshot(g: Guarantee) -> dict[str, Any]:
    return {"status": g.status, "covered_amount": str(g.covered_amount), "claim_amount": str(g.claim_amount)
            if g.claim_amount is not None else None, "recovered": str(g.recovered)}


def exposure(line: CreditLine) -> dict[str, Any]:
    """The fund's guarantee position on a credit line, recomputed from the guarantees and loans."""
    guarantees = list(db.session.scalars(select(Guarantee).where(Guarantee.credit_line_id == line.id)))
    issued = sum((g.covered_amount for g in guarantees), ZERO)
    live = [g for g in guarantees if g.status == "issued" and g.loan.status != "repaid"]
    # Exposure today: the share of what is still owed, capped, for every guarantee not yet called.
    outstanding = sum((min(to_money(g.coverage_share * g.loan.outstanding_principal), g.cap or Decimal("1e15"))
                       for g in live), ZERO)
    called = sum((g.claim_amount or ZERO for g in guarantees if g.status in ("called", "paid")), ZERO)
    paid = sum((g.claim_amount or ZERO for g in guarantees if g.status == "paid"), ZERO)
    recovered = sum((g.recovered_by_fund for g in guarantees), ZERO)
    committed = sum((g.covered_amount for g in live), ZERO) + sum(
        (g.claim_amount or ZERO for g in guarantees if g.status == "called"), ZERO) + (paid - recovered)
    return {"credit_line_id": line.id, "currency": line.currency, "capacity": line.guarantee_capacity,
            "issued": issued, "outstanding_exposure": outstanding, "called": called, "paid": paid,
            "recovered": recovered, "committed": committed, "remaining_capacity": line.guarantee_capacity - committed,
            "guarantees": len(guarantees), "live": len(live)}


def issue_guarantee(actor: Actor, loan_id: int, data: dict[str, Any]) -> Guarantee:
    """Cover an approved loan by the rulebook's terms, refusing anything beyond the remaining capacity."""
    require_role(actor, "bank_officer", "fund_admin", action="request guarantees")
    loan = get_visible(Loan, loan_id, actor, what="loan")
    if loan.status not in GUARANTEEABLE:
        raise Conflict(f"a {loan.status} loan cannot be guaranteed; it must be approved", current_state=loan.status,
                       allowed=[])
    if db.session.scalar(select(Guarantee.id).where(Guarantee.loan_id == loan.id)):
        raise Conflict(f"loan {loan.id} already has a guarantee", current_state="guaranteed", allowed=[])
    line = db.session.execute(select(CreditLine).where(CreditLine.id == loan.proposal.credit_line_id)
                              .with_for_update()).scalar_one()
    terms = rulebook_of(line).guarantee
    share = Decimal(str(data.get("coverage_share") or terms.get("coverage", "0.5")))
    cap = terms.get("cap")
    others = Decimal(str(data.get("other_guarantors_share") or "0"))
    to_items = bool(data.get("proceeds_to_approved_items", True))
    errors: dict[str, list[str]] = {}
    max_share = Decimal(str(terms.get("coverage", "0.5")))
    if share > max_share:
        errors["coverage_share"] = [f"the rulebook covers at most {max_share:.0%} of a loan"]
    try:
        covered = guarantee_cover(loan.principal, share, Decimal(str(cap)) if cap is not None else None, others,
                                  Decimal(str(terms.get("max_total_cover", "1"))))
    except ValueError as exc:
        errors["other_guarantors_share"] = [str(exc)]
        covered = ZERO
    if errors:
        db.session.rollback()
        raise ValidationFailed("the guarantee cannot be issued", errors)
    remaining = exposure(line)["remaining_capacity"]
    if covered > remaining:
        db.session.rollback()
        raise ValidationFailed("the fund's guarantee capacity is exhausted",
                               {"coverage_share": [f"{line.currency} {covered} of cover asked, {line.currency} "
                                                   f"{remaining} of capacity left"]})
    fee_rate = Decimal(str(terms.get("fee_rate", "0")))
    free = to_items and terms.get("fee_free_when_proceeds_to_approved_items", True)
    g = Guarantee(loan_id=loan.id, credit_line_id=line.id, currency=line.currency, coverage_share=share,
                  cap=Decimal(str(cap)) if cap is not None else None, other_guarantors_share=others,
                  covered_amount=covered, fee_rate=fee_rate, fee=guarantee_fee(loan.principal, fee_rate, bool(free)),
                  proceeds_to_approved_items=to_items, valid_until=_end_of_loan(loan), issued_by=actor.user_id)
    db.session.add(g)
    db.session.flush()
    record(actor, "guarantee.issued", "guarantee", g.id, None,
           {"loan_id": loan.id, "covered_amount": str(covered), "fee": str(g.fee), "remaining_capacity":
            str(remaining - covered)})
    db.session.commit()
    return g


def _end_of_loan(loan: Loan) -> date | None:
    return loan.installments[-1].due_date if loan.installments else None


def call_guarantee(actor: Actor, guarantee_id: int) -> Guarantee:
    """The bank calls the guarantee of a defaulted loan: claim = coverage x outstanding principal, capped."""
    require_role(actor, "bank_officer", action="call guarantees")
    g = get_visible(Guarantee, guarantee_id, actor, what="guarantee")
    if g.loan.status != "defaulted":
        raise Conflict(f"loan {g.loan_id} is {g.loan.status}, not defaulted; only a defaulted loan's guarantee "
                       "can be called", current_state=g.status, allowed=[])
    GUARANTEE_LIFECYCLE.check(g.status, "called")
    before = _snapshot(g)
    outstanding = g.loan.outstanding_principal
    g.outstanding_at_default = outstanding
    g.claim_amount = claim_amount(g.coverage_share, outstanding, g.cap)
    g.status, g.called_by, g.called_at = "called", actor.user_id, utcnow()
    record(actor, "guarantee.called", "guarantee", g.id, before, _snapshot(g))
    db.session.commit()
    return g


def pay_claim(actor: Actor, guarantee_id: int) -> Guarantee:
    """The fund pays a called guarantee, exactly once (a racing second payment gets 409)."""
    require_role(actor, "fund_admin", action="pay guarantee claims")
    g = get_visible(Guarantee, guarantee_id, actor, what="guarantee")
    GUARANTEE_LIFECYCLE.check(g.status, "paid")
    done = db.session.execute(update(Guarantee).where(Guarantee.id == g.id, Guarantee.status == "called")
                              .values(status="paid", paid_by=actor.user_id, paid_at=utcnow())
                              .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        db.session.rollback()
        raise Conflict(f"the claim of guarantee {g.id} has already been paid", current_state="paid", allowed=[])
    record(actor, "guarantee.paid", "guarantee", g.id, {"status": "called"},
           {"status": "paid", "claim_amount": str(g.claim_amount)})
    db.session.commit()
    db.session.refresh(g)
    return g


def record_recovery(actor: Actor, guarantee_id: int, data: dict[str, Any]) -> Recovery:
    """Money recovered after the claim was paid, shared pro rata between the fund and the bank."""
    require_role(actor, "bank_officer", "fund_admin", action="record recoveries")
    g = get_visible(Guarantee, guarantee_id, actor, what="guarantee")
    if g.status != "paid":
        raise Conflict("recoveries are shared once the claim is paid", current_state=g.status, allowed=[])
    amount = to_money(data["amount"])
    left = g.outstanding_at_default - g.recovered
    if amount <= 0:
        raise ValidationFailed("the recovery must be more than zero", {"amount": ["must be more than zero"]})
    if amount > left:
        raise ValidationFailed("more than was lost", {"amount": [f"at most {g.currency} {left} is left to recover"]})
    if data.get("currency") and data["currency"] != g.currency:
        raise ValidationFailed("wrong currency", {"currency": [f"the guarantee is in {g.currency}"]})
    fund, bank = share_recovery(amount, g.claim_amount, g.outstanding_at_default)
    rec = Recovery(guarantee_id=g.id, amount=amount, fund_part=fund, bank_part=bank,
                   value_date=data.get("value_date") or date.today(), reference=data.get("reference"),
                   recorded_by=actor.user_id)
    db.session.add(rec)
    db.session.flush()
    record(actor, "guarantee.recovery", "guarantee", g.id, None,
           {"amount": str(amount), "fund_part": str(fund), "bank_part": str(bank)})
    db.session.commit()
    return rec


def release_repaid(actor: Actor | None = None) -> int:
    """Release the guarantees of repaid loans, freeing capacity (idempotent; the daily job runs it)."""
    released = 0
    for g in db.session.scalars(select(Guarantee).join(Loan, Loan.id == Guarantee.loan_id)
                                .where(Guarantee.status == "issued", Loan.status == "repaid")):
        record(actor, "guarantee.released", "guarantee", g.id, {"status": "issued"}, {"status": "released"})
        g.status, g.released_at = "released", utcnow()
        released += 1
    db.session.flush()
    return released


def get_guarantee(actor: Actor, guarantee_id: int) -> Guarantee:
    return get_visible(Guarantee, guarantee_id, actor, what="guarantee")


def list_guarantees(actor: Actor, args: dict[str, Any]) -> Page:
    stmt = visible(Guarantee, actor)
    if args.get("status"):
        stmt = stmt.where(Guarantee.status == args["status"])
    if args.get("credit_line_id"):
        stmt = stmt.where(Guarantee.credit_line_id == args["credit_line_id"])
    return paginate(stmt.order_by(Guarantee.id.desc()), args["page"], args["per_page"])


def exposure_of(actor: Actor, credit_line_id: int) -> dict[str, Any]:
    """The exposure page and API (fund admins and auditors)."""
    require_role(actor, "fund_admin", "auditor", action="see the fund's exposure")
    return exposure(get_visible(CreditLine, credit_line_id, actor, what="credit line"))
