"""The guarantee's actions on the loan page: request it, call it, pay the claim, record a recovery.

They are the guarantee's, so they live here, above loans; they join the loans blueprint (the same
``/loans/{id}/...`` addresses and ``loans.*`` endpoints the loan page's forms post to) and answer
like its other actions, through :mod:`creditline.loans.page_actions`. Paying a claim and recording
a recovery move money: their GET shows the confirmation step, their POST does it.
"""
from __future__ import annotations

from typing import Any

from flask import request, url_for
from flask_login import login_required
from marshmallow import ValidationError

from .. import idempotency
from ..auth.current import current_actor
from ..confirmation import Confirmation, Input
from ..errors import DomainError
from ..extensions import db
from ..form_errors import FormErrors
from ..loans import services as loans
from ..loans.page_actions import (FORM_ERRORS, LABELS, back_to_loan, confirm_then, form_key, load_form, money,
                                  refuse_problems, refused_page)
from ..loans.pages import bp, render_detail
from . import services
from .recoveries import left_to_recover, recovery_problems, recovery_split
from .schemas import PayClaimSchema, RecoverySchema, RequestSchema


@bp.route("/<int:loan_id>/guarantee", methods=["POST"])
@login_required
def request_guarantee(loan_id: int):
    """Request the guarantee; over the total-cover limit, show the capped cover for the officer to confirm."""
    actor = current_actor()
    to_items = request.form.get("proceeds_to_approved_items") == "on"
    try:
        data = load_form(RequestSchema(), {"proceeds_to_approved_items": to_items})
        services.request_guarantee(actor, loan_id, data)
    except DomainError as exc:
        if "capped" not in exc.extra:
            return refused_page(loan_id, "guarantee", exc)
        db.session.rollback()
        offer = {**exc.extra["capped"], "proceeds_to_approved_items": to_items}
        return render_detail(loan_id, offer=offer, status=422,
                             errors=FormErrors({"coverage_share": [exc.message]}, LABELS, prefix="g-"), failed="guarantee")
    except FORM_ERRORS as exc:
        return refused_page(loan_id, "guarantee", exc)
    return back_to_loan(loan_id, "Guarantee requested from the fund.")


def _guarantee(actor: Any, loan_id: int) -> Any:
    g = services.guarantee_of(loans.get_loan(actor, loan_id))
    if g is None:
        raise ValidationError({"guarantee": ["this loan has no guarantee"]})
    return g


@bp.route("/<int:loan_id>/call", methods=["POST"])
@login_required
def call(loan_id: int):
    actor = current_actor()
    try:
        services.call_guarantee(actor, _guarantee(actor, loan_id).id)
    except FORM_ERRORS as exc:
        return refused_page(loan_id, "call", exc)
    return back_to_loan(loan_id, "Guarantee called.")


@bp.route("/<int:loan_id>/recovery", methods=["GET", "POST"])
@login_required
@idempotency.idempotent  # the form's hidden key: posted twice, recorded once
def recovery(loan_id: int):
    actor = current_actor()
    try:
        g = _guarantee(actor, loan_id)
        data = load_form(RecoverySchema())
        if request.method == "GET":  # a POST's refusal shows the confirmation step again instead
            refuse_problems(recovery_problems(g.loan, g, data), "recovery")
    except FORM_ERRORS as exc:
        return refused_page(loan_id, "recovery", exc)
    amount, loan = data["amount"], g.loan
    fund, bank = recovery_split(g, amount)
    c = Confirmation(
        f"Record a recovery on guarantee {g.reference}", url_for("loans.recovery", loan_id=loan_id),
        url_for("loans.detail", loan_id=loan_id), "Record the recovery",
        [("Loan", f"L{loan.id}, {loan.proposal.enterprise.legal_name}"), ("Recovered", money(amount, g.currency)),
         ("The fund's part", money(fund, g.currency)), ("The bank's part", money(bank, g.currency)),
         ("Loan principal after", money(loan.outstanding_principal - amount, loan.currency)),
         ("Left to recover after", money(left_to_recover(loan, g) - amount, g.currency))],
        [Input("value_date", "Value date", "date", required=True), Input("reference", "Reference")],
        hidden={"amount": str(amount), **form_key()},
        note="The recovery repays the loan's principal and is shared with the fund in proportion to its claim.",
        roles=("bank_officer", "fund_admin"), action="record recoveries")

    def do():
        services.record_recovery(actor, g.id, data)
        return back_to_loan(loan_id, "Recovery recorded.")
    return confirm_then(c, do)


@bp.route("/<int:loan_id>/pay-claim", methods=["GET", "POST"])
@login_required
def pay_claim(loan_id: int):
    actor = current_actor()
    loan = loans.get_loan(actor, loan_id)
    g = services.guarantee_of(loan)
    if g is None:
        return refused_page(loan_id, "pay-claim", ValidationError({"guarantee": ["this loan has no guarantee"]}))
    c = Confirmation(
        f"Pay the claim on guarantee {g.reference}", url_for("loans.pay_claim", loan_id=loan.id),
        url_for("loans.detail", loan_id=loan.id), "Pay the claim",
        [("Credit line", loan.proposal.credit_line.name),
         ("Loan", f"L{loan.id}, {loan.proposal.enterprise.legal_name}"),
         ("Outstanding at default", money(g.outstanding_at_default, g.currency)),
         ("Cover", f"{g.coverage_share * 100:.0f}%"),
         ("The fund pays", money(g.claim_amount, g.currency))],
        [Input("paid_on", "Paid on", "date", required=True),
         Input("reference", "Transfer reference", hint=f"when left empty, the guarantee's reference {g.reference}")],
        roles=("fund_admin",), action="pay guarantee claims")

    def do():
        data = load_form(PayClaimSchema())
        services.pay_claim(actor, g.id, data["reference"], data["paid_on"])
        return back_to_loan(loan_id, "Claim paid.")
    return confirm_then(c, do)
