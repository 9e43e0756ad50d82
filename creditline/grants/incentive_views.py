"""Pages: the SME or a fund admin declares another grant or incentive from the monitoring page.

The route joins the monitoring pages (same URL, same blueprint) from here: grants sit above
monitoring, which does not import them.
"""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import login_required
from marshmallow import ValidationError

from ..auth.current import current_actor
from ..errors import Conflict, ValidationFailed
from ..monitoring.views import _refused, bp
from . import incentives
from .api import OtherIncentiveBodySchema


@bp.route("/proposals/<int:proposal_id>/other-incentives", methods=["POST"])
@login_required
def other_incentive(proposal_id: int):
    form = {k: v.strip() for k, v in request.form.items() if k in ("source", "amount", "date") and v.strip()}
    try:
        data = OtherIncentiveBodySchema().load(form)
        incentives.declare_other_incentive(current_actor(), proposal_id, data)
    except (ValidationError, ValidationFailed, Conflict) as exc:
        return _refused(proposal_id, "incentive", exc)
    flash("Incentive declared: no grant of this credit line will be paid for this investment.", "success")
    return redirect(url_for("monitoring.page", proposal_id=proposal_id))
