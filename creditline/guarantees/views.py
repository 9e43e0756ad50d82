"""Pages: the fund's guarantee exposure per credit line, and the guarantees list."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import login_required

from ..auth.current import current_actor
from ..creditlines.services import list_credit_lines
from . import services

bp = Blueprint("guarantees", __name__, url_prefix="/guarantees")


@bp.route("")
@login_required
def index():
    actor = current_actor()
    status = request.args.get("status") or None
    page = services.list_guarantees(actor, {"status": status, "page": request.args.get("page", 1, type=int),
                                            "per_page": 25})
    exposures = []
    if actor.has("fund_admin", "auditor"):
        lines = list_credit_lines(actor, {"page": 1, "per_page": 100}).items
        exposures = [(line, services.exposure_of(actor, line.id)) for line in lines]
    return render_template("guarantees/index.html", page=page, status=status, exposures=exposures, actor=actor)
