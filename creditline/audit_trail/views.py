"""Pages: the audit trail, for fund admins and the fund's auditors."""
from __future__ import annotations

from flask import Blueprint
from flask_login import login_required

from ..auth.current import current_actor
from ..pagination import id_arg
from ..list_views import list_page
from . import services
from .lists import AUDIT_EVENTS

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.route("")
@login_required
def index():
    actor = current_actor()
    ids = {"entity_id": id_arg("entity_id"), "actor_id": id_arg("actor_id")}
    return list_page(AUDIT_EVENTS, lambda args: services.events_query(actor, ids), "audit/list.html", "audit.index",
                     route=ids, per_page=50)
