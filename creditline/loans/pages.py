"""Pages: the bank's application queue, loan terms, the committee's queue and the loan page."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required
from marshmallow import Schema, ValidationError

from .. import clock
from ..auth.current import current_actor
from ..errors import DomainError
from ..extensions import db
from ..form_errors import FormErrors, form_errors
from ..proposals import services as proposals
from ..finance.schedules import schedule_totals
from ..list_views import list_page
from ..percent_fields import percent_errors, to_fractions
from . import schedule, services, write_offs
from .lists import LOANS
from .models import Loan
from .schemas import LoanCreateSchema

bp = Blueprint("loans", __name__, url_prefix="/loans")

# The guarantee covering a loan, for its page and its write-off step: guarantees sit above loans, so
# creditline.wiring lends the look-up (the guarantee's own actions join this blueprint from guarantees/).
GUARANTEE_OF: list[Callable[[Loan], Any]] = []


def guarantee_of(loan: Loan) -> Any:
    """The loan's guarantee, if it has one (None otherwise)."""
    return next((g for g in (find(loan) for find in GUARANTEE_OF) if g is not None), None)


# Rates are typed in percent (10 for 10 %); the services take the fraction.
PERCENTS = ("annual_rate",)


def _form(schema: Schema, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    raw = {k: v for k, v in request.form.items()
           if k not in ("csrf_token", "preview") and v != "" and not k.startswith("plan-")}
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


TERM_LABELS = {"proposal_id": "Proposal", "principal": "Principal", "currency": "Currency", "annual_rate": "Annual rate",
               "tenor_months": "Tenor (months)", "grace_months": "Grace (months)", "frequency": "Repayment frequency",
               "method": "Method", "fee_per_installment": "Fee per installment", "upfront_fee": "Upfront fee",
               "disbursement_plan": "Disbursement plan", "date": "planned date", "amount": "amount",
               "_schema": "Loan terms"}


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
    errors, preview = FormErrors(), None
    if request.method == "POST" and request.form.get("preview"):
        # Show the schedule the terms give; nothing is proposed until the officer presses "Propose".
        try:
            terms = _form(LoanCreateSchema(), {"disbursement_plan": [{k: v for k, v in row.items() if v} for row in plan]})
            rows = schedule.preview(terms, clock.today())
            preview = {"rows": rows, "totals": schedule_totals(rows), "currency": p.currency if p else ""}
        except (ValidationError, ArithmeticError, ValueError) as exc:
            errors = form_errors(exc, TERM_LABELS, prefix="")
    elif request.method == "POST":
        try:
            data = _form(LoanCreateSchema(), {"disbursement_plan": [
                {k: v for k, v in row.items() if v} for row in plan]})
            loan = services.propose_loan(actor, data)
            flash("Loan terms proposed; the credit committee decides.", "success")
            return redirect(url_for("loans.detail", loan_id=loan.id))
        except (ValidationError, DomainError, ArithmeticError, ValueError) as exc:
            db.session.rollback()
            errors = form_errors(exc, TERM_LABELS, prefix="")
    return render_template("loans/new.html", p=p, plan=plan, form=request.form, errors=errors,
                           preview=preview), 422 if errors else 200


@bp.route("/decisions")
@login_required
def decisions():
    """The credit committee's queue: loan applications this person did not propose."""
    actor = current_actor()
    page = services.decision_queue(actor, request.args.get("page", 1, type=int))
    return render_template("loans/decisions.html", page=page, actor=actor)


@bp.route("/write-offs")
@login_required
def write_off_queue():
    """The credit committee's queue: write-offs proposed by the bank's officers, not by this person."""
    actor = current_actor()
    page = write_offs.write_off_queue(actor, request.args.get("page", 1, type=int))
    return render_template("loans/write_offs.html", page=page, actor=actor)


def render_detail(loan_id: int, offer: dict[str, Any] | None = None, status: int = 200,
                  errors: FormErrors | None = None, failed: str | None = None):
    """The loan page; after a refused action, with its errors and the values typed into that action's form."""
    actor = current_actor()
    loan = services.get_loan(actor, loan_id)
    guarantee = guarantee_of(loan)
    return render_template("loans/detail.html", loan=loan, schedule=services.schedule_of(loan), actor=actor,
                           guarantee=guarantee, today=clock.today().isoformat(), offer=offer,
                           errors=errors or FormErrors(), failed=failed, form=request.values if failed else {}), status


@bp.route("/<int:loan_id>")
@login_required
def detail(loan_id: int):
    return render_detail(loan_id)


@bp.route("/<int:loan_id>/offer.pdf")
@login_required
def offer_pdf(loan_id: int):
    """The loan offer as a PDF the bank files, once the committee has approved the terms."""
    from ..auth.models import User
    from ..files.disposition import download
    from .offer import loan_offer_pdf, offer_data

    loan = services.get_loan(current_actor(), loan_id)
    if loan.decided_by is None or loan.status == "declined":
        flash("A loan offer exists once the credit committee has approved the terms.", "error")
        return redirect(url_for("loans.detail", loan_id=loan.id))
    p = loan.proposal
    bank = next((b.name for b in p.credit_line.banks if b.id == p.bank_id), "the lending bank")
    approver = db.session.get(User, loan.decided_by)
    data = offer_data(loan, schedule.offered_schedule(loan), bank, f"{approver.name} <{approver.email}>")
    return download(loan_offer_pdf(data), f"loan-offer-L{loan.id}.pdf", "application/pdf", disposition="inline")
