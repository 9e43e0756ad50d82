"""Pages: the audit trail, for fund admins and the fund's auditors."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import login_required

from ..auth.current import current_actor
from ..pagination import id_arg, page_arg
from . import services

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.route("")
@login_required
def index():
    args = {"page": page_arg(), "per_page": 50,
            "entity_type": (request.args.get("entity_type") or "").strip() or None,
            "entity_id": id_arg("entity_id"), "actor_id": id_arg("actor_id"),
            "actor_email": (request.args.get("actor_email") or "").strip() or None}
    page = services.list_events(current_actor(), args)
    return render_template("audit/list.html", page=page, args=args, entity_types=services.entity_types())
