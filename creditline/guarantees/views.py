"""Pages: the fund's guarantee exposure per credit line, its request queue, and the guarantees list."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import login_required

from ..auth.current import current_actor
from ..creditlines.services import list_credit_lines
from ..errors import DomainError
from ..event_dates import form_day
from ..extensions import db
from ..list_views import list_page
from . import services
from .lists import GUARANTEES

bp = Blueprint("guarantees", __name__, url_prefix="/guarantees")


@bp.route("")
@login_required
def index():
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

    return list_page(GUARANTEES, lambda args: services.guarantees_query(actor, args), "guarantees/index.html",
                     "guarantees.index", actor=actor, extra=queue_and_exposure)


@bp.route("/<int:guarantee_id>/<action>", methods=["POST"])
@login_required
def act(guarantee_id: int, action: str):
    """Issue or decline a guarantee request from the fund's queue."""
    actor = current_actor()
    try:
        if action == "issue":
            services.issue_guarantee(actor, guarantee_id, form_day(request.form, "issued_on"))
            flash(f"Guarantee G-{guarantee_id:06d} issued.", "success")
        elif action == "decline":
            services.decline_guarantee(actor, guarantee_id, request.form.get("reason", ""))
            flash(f"Guarantee G-{guarantee_id:06d} declined.", "success")
        else:
            flash(f"Not done: unknown action {action}", "error")
    except DomainError as exc:
        db.session.rollback()
        details = "; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in (exc.errors or {}).items())
        flash(f"Not done: {exc.message}{': ' + details if details else ''}", "error")
    return redirect(url_for("guarantees.index"))
