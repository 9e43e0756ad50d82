"""Pages: the bank's application queue, loan terms, the committee's queue and the loan page."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required
from marshmallow import Schema, ValidationError

from ..auth.current import current_actor
from ..errors import DomainError
from ..event_dates import form_day
from ..extensions import db
from ..guarantees import services as guarantees
from ..guarantees.schemas import RecoverySchema as RecoveryFormSchema
from ..guarantees.schemas import RequestSchema as RequestFormSchema
from ..proposals import services as proposals
from ..list_views import list_page
from ..percent_fields import percent_errors, to_fractions
from . import cancellation, repayments, services, write_offs
from .lists import LOANS
from .schemas import CancelRestSchema, DeclineSchema, DisbursementInSchema, LoanCreateSchema, PaymentInSchema, WriteOffSchema
from .. import clock

bp = Blueprint("loans", __name__, url_prefix="/loans")


# Rates are typed in percent (10 for 10 %); the services take the fraction.
PERCENTS = ("annual_rate",)


def _form(schema: Schema, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    raw = {k: v for k, v in request.form.items() if k != "csrf_token" and v != "" and not k.startswith("plan-")}
    raw = to_fractions(raw, PERCENTS)
    raw.update(extra or {})
    try:
        return schema.load(raw)
    except ValidationError as exc:
        if isinstance(exc.messages, dict) and set(PERCENTS) & set(exc.messages):
            raise ValidationError(percent_errors(exc.normalized_messages(), PERCENTS)) from exc
        raise


def _plan_rows() -> list[dict[str, str]]:
    """The tranche table's rows as typed (``plan-date`` / ``plan-amount`` repeated), blank rows dropped."""
    dates, amounts = request.form.getlist("plan-date"), request.form.getlist("plan-amount")
    return [{"date": d, "amount": a} for d, a in zip(dates, amounts) if d or a]


# What a form may raise: bad input, a refused step, or arithmetic on an amount no schema caught.
FORM_ERRORS = (ValidationError, DomainError, ArithmeticError, ValueError)


def _problem(exc: Exception) -> str:
    """Say what was wrong with the form, in words fit for a flash message."""
    if isinstance(exc, ValidationError):
        return "; ".join(f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}"
                         for k, v in exc.normalized_messages().items())
    if not isinstance(exc, DomainError):
        return "give a valid amount"
    details = "; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in (exc.errors or {}).items())
    return f"{exc.message}{': ' + details if details else ''}"


@bp.route("")
@login_required
def index():
    actor = current_actor()
    return list_page(LOANS, lambda args: services.loans_query(actor, args), "loans/index.html", "loans.index",
                     actor=actor, extra=lambda: {
                         "waiting": services.applications_waiting(actor) if actor.has("bank_officer") else []})


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    actor = current_actor()
    pid = request.args.get("proposal_id", type=int) or request.form.get("proposal_id", type=int)
    p = proposals.get_proposal(actor, pid) if pid else None
    plan = _plan_rows() if request.method == "POST" else []
    if request.method == "POST":
        try:
            data = _form(LoanCreateSchema(), {"disbursement_plan": [
                {k: v for k, v in row.items() if v} for row in plan]})
            loan = services.propose_loan(actor, data)
            flash("Loan terms proposed; the credit committee decides.", "success")
            return redirect(url_for("loans.detail", loan_id=loan.id))
        except FORM_ERRORS as exc:
            db.session.rollback()
            flash(f"Not proposed: {_problem(exc)}", "error")
    return render_template("loans/new.html", p=p, plan=plan, form=request.form)


@bp.route("/decisions")
@login_required
def decisions():
    """The credit committee's queue: loan applications this person did not propose."""
    actor = current_actor()
    page = services.decision_queue(actor, request.args.get("page", 1, type=int))
    return render_template("loans/decisions.html", page=page, actor=actor)


def _detail(loan_id: int, offer: dict[str, Any] | None = None, status: int = 200):
    actor = current_actor()
    loan = services.get_loan(actor, loan_id)
    guarantee = guarantees.guarantee_of(loan)
    return render_template("loans/detail.html", loan=loan, schedule=services.schedule_of(loan), actor=actor,
                           guarantee=guarantee, today=clock.today().isoformat(), offer=offer), status


@bp.route("/<int:loan_id>")
@login_required
def detail(loan_id: int):
    return _detail(loan_id)


def _request_guarantee(actor, loan_id: int):
    """Request the guarantee; over the total-cover limit, show the capped cover for the officer to confirm."""
    to_items = request.form.get("proceeds_to_approved_items") == "on"
    data = _form(RequestFormSchema(), {"proceeds_to_approved_items": to_items})
    try:
        guarantees.request_guarantee(actor, loan_id, data)
    except DomainError as exc:
        if "capped" not in exc.extra:
            raise
        db.session.rollback()
        flash(f"Not requested yet: {_problem(exc)}", "error")
        return _detail(loan_id, offer={**exc.extra["capped"], "proceeds_to_approved_items": to_items}, status=422)
    return None


@bp.route("/<int:loan_id>/<action>", methods=["POST"])
@login_required
def act(loan_id: int, action: str):
    actor = current_actor()
    messages = {"approve": "Loan approved.", "decline": "Loan declined.", "disburse": "Disbursement recorded.",
                "pay": "Payment recorded.", "guarantee": "Guarantee requested from the fund.",
                "call": "Guarantee called.", "pay-claim": "Claim paid.", "recovery": "Recovery recorded.",
                "write-off": "Loan written off.", "cancel-rest": "The undisbursed rest is cancelled."}
    try:
        if action == "approve":
            services.approve_loan(actor, loan_id, request.form.get("comment") or None,
                                  form_day(request.form, "decided_on"))
        elif action == "decline":
            form = _form(DeclineSchema())
            services.decline_loan(actor, loan_id, form["reason"], form["decided_on"])
        elif action == "disburse":
            services.disburse(actor, loan_id, _form(DisbursementInSchema()))
        elif action == "pay":
            loan = services.get_loan(actor, loan_id)
            repayments.record_payment(actor, loan_id, _form(PaymentInSchema(), {"currency": loan.currency}))
        elif action == "cancel-rest":
            cancellation.cancel_undisbursed(actor, loan_id, _form(CancelRestSchema())["reason"])
        elif action == "write-off":
            write_offs.write_off(actor, loan_id, _form(WriteOffSchema())["reason"])
        elif action == "guarantee":
            offered = _request_guarantee(actor, loan_id)
            if offered is not None:
                return offered
        elif action in ("call", "pay-claim", "recovery"):
            g = guarantees.guarantee_of(services.get_loan(actor, loan_id))
            if g is None:
                raise ValidationError({"guarantee": ["this loan has no guarantee"]})
            if action == "call":
                guarantees.call_guarantee(actor, g.id)
            elif action == "pay-claim":
                guarantees.pay_claim(actor, g.id)
            else:
                guarantees.record_recovery(actor, g.id, _form(RecoveryFormSchema()))
        else:
            raise ValidationError({"action": [f"unknown action {action}"]})
        flash(messages[action], "success")
    except FORM_ERRORS as exc:
        db.session.rollback()
        flash(f"Not done: {_problem(exc)}", "error")
    return redirect(url_for("loans.detail", loan_id=loan_id))
