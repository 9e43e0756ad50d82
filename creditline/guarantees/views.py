"""Pages: the fund's guarantee exposure per credit line, its request queue, the guarantees list and one guarantee."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required

from .. import clock
from ..auth.current import current_actor
from ..confirmation import Confirmation, Input, render_confirmation
from ..creditlines.services import list_credit_lines
from ..errors import DomainError
from ..event_dates import form_day
from ..extensions import db
from ..form_errors import FormErrors, form_errors
from ..list_views import list_page
from . import services
from .lists import GUARANTEES

bp = Blueprint("guarantees", __name__, url_prefix="/guarantees")

LABELS = {"issued_on": "Issued on", "reason": "Reason to decline", "covered_amount": "Cover asked",
          "status": "Guarantee status", "_schema": "This guarantee"}


def _index(errors: FormErrors | None = None, status_code: int = 200):
    actor = current_actor()

    def queue_and_exposure() -> dict:
        exposures, requests = [], None
        if actor.sees_portfolio:
            lines = list_credit_lines(actor, {"page": 1, "per_page": 100}).items
            exposures = [(line, services.exposure_of(actor, line.id)) for line in lines]
        if actor.has("fund_admin"):
            requests = services.list_guarantees(actor, {"status": "requested", "sort": "id", "page": 1,
                                                        "per_page": 25})
        return {"exposures": exposures, "requests": requests}

    shown = list_page(GUARANTEES, lambda args: services.guarantees_query(actor, args), "guarantees/index.html",
                      "guarantees.index", actor=actor, errors=errors or FormErrors(), form=request.form,
                      today=clock.today().isoformat(), extra=queue_and_exposure)
    return shown, status_code


@bp.route("")
@login_required
def index():
    return _index()


@bp.route("/<int:guarantee_id>")
@login_required
def detail(guarantee_id: int):
    actor = current_actor()
    g = services.get_guarantee(actor, guarantee_id)
    return render_template("guarantees/detail.html", g=g, loan=g.loan, actor=actor)


@bp.route("/<int:guarantee_id>/letter.pdf")
@login_required
def letter_pdf(guarantee_id: int):
    from ..files.disposition import download
    from .letter import guarantee_letter_pdf, letter_data

    g = services.get_guarantee(current_actor(), guarantee_id)
    if g.issued_on is None:
        flash("A guarantee letter exists once the fund has issued the guarantee.", "error")
        return redirect(url_for("guarantees.detail", guarantee_id=g.id))
    return download(guarantee_letter_pdf(letter_data(g)), f"guarantee-letter-{g.reference}.pdf", "application/pdf",
                    disposition="inline")


@bp.route("/<int:guarantee_id>/issue", methods=["GET", "POST"])
@login_required
def issue(guarantee_id: int):
    """The fund issues a requested guarantee: GET shows what it commits, POST issues it."""
    actor = current_actor()
    g = services.get_guarantee(actor, guarantee_id)
    money = current_app.jinja_env.filters["money"]
    left = services.capacity_after_issuing(actor, g)
    figures = [("Loan", f"L{g.loan_id}, {g.loan.proposal.enterprise.legal_name}"),
               ("Principal", money(g.loan.principal, g.currency)),
               ("Cover", f"{g.coverage_share * 100:.0f}%: {money(g.covered_amount, g.currency)}"),
               ("Fee", money(g.fee, g.currency))]
    if left is not None:
        figures.append(("Capacity left after issuing", money(left, g.currency)))
    c = Confirmation(f"Issue guarantee {g.reference}", url_for("guarantees.issue", guarantee_id=g.id),
                     url_for("guarantees.index"), "Issue the guarantee", figures, [Input("issued_on", "Issued on", "date")],
                     note="The fund's capacity is committed from the day of issue until the loan is repaid or the guarantee called.",
                     roles=("fund_admin",), action="issue guarantees")
    if request.method == "GET":
        return render_confirmation(c)
    try:
        services.issue_guarantee(actor, guarantee_id, form_day(request.form, "issued_on"))
    except DomainError as exc:
        db.session.rollback()
        return render_confirmation(c, form_errors(exc, LABELS))
    flash(f"Guarantee G-{guarantee_id:06d} issued.", "success")
    return redirect(url_for("guarantees.index"))


@bp.route("/<int:guarantee_id>/decline", methods=["POST"])
@login_required
def decline(guarantee_id: int):
    try:
        services.decline_guarantee(current_actor(), guarantee_id, request.form.get("reason", ""))
    except DomainError as exc:
        db.session.rollback()
        return _index(form_errors(exc, LABELS, ids={"reason": f"decline-{guarantee_id}"}), 422)
    flash(f"Guarantee G-{guarantee_id:06d} declined.", "success")
    return redirect(url_for("guarantees.index"))
