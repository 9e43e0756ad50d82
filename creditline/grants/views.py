"""Pages: the fund's grant approval and payment queue."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import login_required

from ..auth.current import current_actor
from ..errors import DomainError
from ..event_dates import form_day
from ..list_views import list_page
from . import services
from .lists import GRANTS

bp = Blueprint("grants", __name__, url_prefix="/grants")


@bp.route("")
@login_required
def queue():
    actor = current_actor()
    return list_page(GRANTS, lambda args: services.grants_query(actor, args), "grants/queue.html", "grants.queue",
                     actor=actor, extra=lambda: {"budgets": services.budget_positions(actor)})


@bp.route("/<int:grant_id>/<action>", methods=["POST"])
@login_required
def act(grant_id: int, action: str):
    actor = current_actor()
    try:
        if action == "approve":
            services.approve_grant(actor, grant_id, request.form.get("paid_as") or None,
                                   form_day(request.form, "approved_on"))
            flash(f"Grant GR-{grant_id:06d} approved.", "success")
        elif action == "pay":
            services.pay_grant(actor, grant_id, request.form.get("reference") or None,
                               form_day(request.form, "paid_on"))
            flash(f"Grant GR-{grant_id:06d} paid.", "success")
    except DomainError as exc:
        details = "; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in (exc.errors or {}).items())
        flash(f"Not done: {exc.message}{': ' + details if details else ''}", "error")
    return redirect(url_for("grants.queue", status=request.form.get("back") or None))
