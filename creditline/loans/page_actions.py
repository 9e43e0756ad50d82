"""The loan page's actions, one route each: thin views over the loan services.

Approving, disbursing a tranche and writing off move money, so their GET shows the confirmation
step (the figures, who acts, the day) and their POST does it; a GET whose figures the service
would refuse goes back to the loan page with the errors. The other actions post straight from the
loan page; a refused one shows the page again with its errors and the values typed. The
guarantee's actions on this page (request, call, pay the claim, record a recovery) join the
blueprint from :mod:`creditline.guarantees.loan_actions`, with the helpers here.
"""
from __future__ import annotations

import uuid
from typing import Any

from flask import current_app, flash, redirect, request, url_for
from flask_login import login_required
from marshmallow import Schema, ValidationError

from .. import clock
from .. import idempotency
from ..auth.current import current_actor
from ..confirmation import Confirmation, Input, render_confirmation
from ..errors import DomainError, ValidationFailed
from ..extensions import db
from ..form_errors import form_errors
from ..vocabulary import label
from . import cancellation, repayments, services, write_offs
from .pages import bp, guarantee_of, render_detail
from .schemas import ApproveSchema, CancelRestSchema, DeclineSchema, DisbursementInSchema, PaymentInSchema, WriteOffSchema

# What a form may raise: bad input, a refused step, or arithmetic on an amount no schema caught.
FORM_ERRORS = (ValidationError, DomainError, ArithmeticError, ValueError)

LABELS = {"amount": "Amount", "value_date": "Value date", "reference": "Reference", "mode": "If it prepays principal",
          "reason": "Reason", "comment": "Comment", "decided_on": "Decided on", "currency": "Currency",
          "other_guarantors_share": "Share other guarantors cover", "coverage_share": "Cover",
          "proceeds_to_approved_items": "All proceeds go to the approved items", "guarantee": "Guarantee",
          "status": "Loan status", "paid_on": "Paid on", "_schema": "This action"}
# Each form on the loan page prefixes its inputs' ids, so the error summary links to the right one.
ID_PREFIX = {"disburse": "d-", "pay": "p-", "cancel-rest": "c-", "decline": "x-", "decline-write-off": "w-", "guarantee": "g-", "recovery": "r-"}


def money(value: Any, currency: str = "") -> str:
    """An amount as the pages show it."""
    return current_app.jinja_env.filters["money"](value, currency)


def load_form(schema: Schema, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The action's form (or its confirmation step's query string) through ``schema``."""
    # request.values: the confirmation step's GET carries the form before it in its query string.
    raw = {k: v for k, v in request.values.items() if k not in ("csrf_token", idempotency.FORM_FIELD) and v != ""}
    raw.update(extra or {})
    return schema.load(raw)


def refused_page(loan_id: int, action: str, exc: Exception) -> Any:
    """The loan page again, with the refused action's errors and the values typed into its form."""
    db.session.rollback()
    return render_detail(loan_id, errors=form_errors(exc, LABELS, prefix=ID_PREFIX.get(action, "f-")),
                         failed=action, status=422)


def form_key() -> dict[str, str]:
    """The confirmation step's key (idempotency.FORM_FIELD): new each time it is shown, kept when it comes back refused."""
    return {idempotency.FORM_FIELD: request.values.get(idempotency.FORM_FIELD) or uuid.uuid4().hex}


def back_to_loan(loan_id: int, message: str) -> Any:
    """Done: back to the loan page, saying what was done."""
    flash(message, "success")
    return redirect(url_for("loans.detail", loan_id=loan_id))


def confirm_then(confirmation: Confirmation, do) -> Any:  # type: ignore[no-untyped-def]
    """GET: the confirmation step; POST: do it, or show the step again with the errors."""
    if request.method == "GET":
        return render_confirmation(confirmation)
    try:
        return do()
    except FORM_ERRORS as exc:
        db.session.rollback()
        return render_confirmation(confirmation, form_errors(exc, LABELS))


def _plan_text(loan: Any) -> str:
    plan = loan.disbursement_plan or []
    if not plan:
        return "one disbursement of the whole principal"
    return "; ".join(f"{row.get('date') or 'date to agree'}: {money(row.get('amount'), loan.currency)}" for row in plan)


@bp.route("/<int:loan_id>/approve", methods=["GET", "POST"])
@login_required
def approve(loan_id: int):
    actor = current_actor()
    loan = services.get_loan(actor, loan_id)
    c = Confirmation(
        f"Approve loan L{loan.id}", url_for("loans.approve", loan_id=loan.id), url_for("loans.detail", loan_id=loan.id),
        "Approve the loan",
        [("Borrower", loan.proposal.enterprise.legal_name), ("Investment", loan.proposal.title),
         ("Principal", money(loan.principal, loan.currency)),
         ("Terms", f"{loan.annual_rate * 100:.2f}% a year over {loan.tenor_months} months, "
                   f"{loan.grace_months} months' grace, {loan.frequency}"),
         ("Tranche plan", _plan_text(loan))],
        [Input("decided_on", "Decided on", "date"), Input("comment", "Comment", "textarea")],
        note="Approving commits the bank to lend this principal; the officer disburses it by the tranche plan.",
        roles=("credit_committee",), action="approve loans")

    def do():
        data = load_form(ApproveSchema())
        services.approve_loan(actor, loan_id, data.get("comment"), data.get("decided_on"))
        return back_to_loan(loan_id, "Loan approved.")
    return confirm_then(c, do)


def _write_off_figures(loan: Any) -> list[tuple[str, str]]:
    g = guarantee_of(loan)
    return [("Borrower", loan.proposal.enterprise.legal_name),
            ("Outstanding principal written off", money(loan.outstanding_principal, loan.currency)),
            ("Days past due", str(loan.days_past_due)),
            ("Guarantee", f"{g.reference}, {label(g.status).lower()}"
             + (f", claim {money(g.claim_amount, g.currency)}" if g.claim_amount else "") if g else "none")]


@bp.route("/<int:loan_id>/write-off", methods=["GET", "POST"])
@login_required
def write_off(loan_id: int):
    """The officer proposes the write-off; the credit committee confirms it (four eyes)."""
    actor = current_actor()
    loan = services.get_loan(actor, loan_id)
    c = Confirmation(
        f"Propose writing off loan L{loan.id}", url_for("loans.write_off", loan_id=loan.id),
        url_for("loans.detail", loan_id=loan.id), "Propose the write-off", _write_off_figures(loan),
        [Input("reason", "Reason", "textarea", required=True)], danger=True,
        note="The credit committee confirms or declines the write-off; until then the loan stays defaulted.",
        roles=("bank_officer",), action="write off loans")

    def do():
        write_offs.propose_write_off(actor, loan_id, load_form(WriteOffSchema())["reason"])
        return back_to_loan(loan_id, "Write-off proposed; the credit committee decides.")
    return confirm_then(c, do)


@bp.route("/<int:loan_id>/write-off/confirm", methods=["GET", "POST"])
@login_required
def confirm_write_off(loan_id: int):
    actor = current_actor()
    loan = services.get_loan(actor, loan_id)
    try:
        write_offs.require_waiting(loan)
    except FORM_ERRORS as exc:
        return refused_page(loan_id, "confirm-write-off", exc)
    proposer = loan.write_off_proposer
    c = Confirmation(
        f"Write off loan L{loan.id}", url_for("loans.confirm_write_off", loan_id=loan.id),
        url_for("loans.detail", loan_id=loan.id), "Write the loan off",
        [*_write_off_figures(loan),
         ("Proposed by", f"{proposer.name} on {loan.write_off_proposed_at:%Y-%m-%d}"),
         ("Reason", loan.write_off_reason or "")],
        danger=True, note="A write-off is final: the loan leaves the active book.",
        roles=("credit_committee",), action="write off loans")

    def do():
        write_offs.confirm_write_off(actor, loan_id)
        return back_to_loan(loan_id, "Loan written off.")
    return confirm_then(c, do)


@bp.route("/<int:loan_id>/write-off/withdraw", methods=["POST"])
@login_required
def withdraw_write_off(loan_id: int):
    try:
        write_offs.withdraw_write_off(current_actor(), loan_id)
    except FORM_ERRORS as exc:
        return refused_page(loan_id, "withdraw-write-off", exc)
    return back_to_loan(loan_id, "Write-off proposal withdrawn; the loan stays defaulted.")


@bp.route("/<int:loan_id>/write-off/decline", methods=["POST"])
@login_required
def decline_write_off(loan_id: int):
    try:
        write_offs.decline_write_off(current_actor(), loan_id, load_form(WriteOffSchema())["reason"])
    except FORM_ERRORS as exc:
        return refused_page(loan_id, "decline-write-off", exc)
    return back_to_loan(loan_id, "Write-off declined; the loan stays defaulted.")


@bp.route("/<int:loan_id>/decline", methods=["POST"])
@login_required
def decline(loan_id: int):
    try:
        form = load_form(DeclineSchema())
        services.decline_loan(current_actor(), loan_id, form["reason"], form["decided_on"])
    except FORM_ERRORS as exc:
        return refused_page(loan_id, "decline", exc)
    return back_to_loan(loan_id, "Loan declined.")


def refuse_problems(problems: dict[str, list[str]], what: str) -> None:
    """Refuse a confirmation step whose figures the service would refuse (422 naming the fields)."""
    if problems:
        raise ValidationFailed(f"the {what} cannot be recorded: {', '.join(sorted(problems))}", problems)


def _tranche_text(loan: Any) -> str:
    done, plan = len(loan.disbursements), loan.disbursement_plan or []
    text = f"tranche {done + 1}" + (f" of {len(plan)} in the tranche plan" if plan else "")
    if not done:
        fee = f"; charges the upfront fee of {money(loan.upfront_fee, loan.currency)}" if loan.upfront_fee else ""
        text += f"; the first fixes the repayment schedule{fee}"
    return text


@bp.route("/<int:loan_id>/disburse", methods=["GET", "POST"])
@login_required
@idempotency.idempotent  # the form's hidden key: posted twice, recorded once
def disburse(loan_id: int):
    actor = current_actor()
    loan = services.get_loan(actor, loan_id)
    try:
        data = load_form(DisbursementInSchema())
        if request.method == "GET":  # a POST's refusal shows the confirmation step again instead
            refuse_problems(services.disbursement_problems(loan, data["amount"], data.get("value_date") or clock.today()),
                     "disbursement")
    except FORM_ERRORS as exc:
        return refused_page(loan_id, "disburse", exc)
    amount = data["amount"]
    c = Confirmation(
        f"Disburse on loan L{loan.id}", url_for("loans.disburse", loan_id=loan.id), url_for("loans.detail", loan_id=loan.id),
        "Pay out the tranche",
        [("Borrower", loan.proposal.enterprise.legal_name), ("Pays out", money(amount, loan.currency)),
         ("Tranche", _tranche_text(loan)),
         ("Disbursed before", f"{money(loan.disbursed, loan.currency)} of {money(loan.principal, loan.currency)}"),
         ("Left to disburse after", money(loan.undisbursed - amount, loan.currency))],
        [Input("value_date", "Value date", "date", required=True), Input("reference", "Reference")],
        hidden={"amount": str(amount), **form_key()}, note="The borrower owes this tranche from its value date.",
        roles=("bank_officer",), action="record disbursements")

    def do():
        services.disburse(actor, loan_id, data)
        return back_to_loan(loan_id, "Disbursement recorded.")
    return confirm_then(c, do)


@bp.route("/<int:loan_id>/pay", methods=["POST"])
@login_required
@idempotency.idempotent  # the form's hidden key: posted twice, recorded once
def pay(loan_id: int):
    actor = current_actor()
    try:
        loan = services.get_loan(actor, loan_id)
        repayments.record_payment(actor, loan_id, load_form(PaymentInSchema(), {"currency": loan.currency}))
    except FORM_ERRORS as exc:
        return refused_page(loan_id, "pay", exc)
    return back_to_loan(loan_id, "Payment recorded.")


@bp.route("/<int:loan_id>/cancel-rest", methods=["POST"])
@login_required
def cancel_rest(loan_id: int):
    try:
        cancellation.cancel_undisbursed(current_actor(), loan_id, load_form(CancelRestSchema())["reason"])
    except FORM_ERRORS as exc:
        return refused_page(loan_id, "cancel-rest", exc)
    return back_to_loan(loan_id, "The undisbursed rest is cancelled.")
