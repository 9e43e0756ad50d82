"""Pages: the audit trail, for fund admins and the fund's auditors."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import login_required

from ..auth.current import current_actor
from . import services

bp = Blueprint("audit", __name__, url_prefix="/audit")


def _id_arg(name: str) -> int | None:
    value = request.args.get(name, type=int)
    return value if value and 0 < value < 2**31 else None


@bp.route("")
@login_required
def index():
    args = {"page": max(1, request.args.get("page", 1, type=int)), "per_page": 50,
            "entity_type": (request.args.get("entity_type") or "").strip() or None,
            "entity_id": _id_arg("entity_id"), "actor_id": _id_arg("actor_id"),
            "actor_email": (request.args.get("actor_email") or "").strip() or None}
    page = services.list_events(current_actor(), args)
    return render_template("audit/list.html", page=page, args=args, entity_types=services.entity_types())
