"""Pages: the fund's grant approval and payment queue; paying shows the confirmation step first."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_login import login_required
from marshmallow import ValidationError

from .. import clock
from ..auth.current import current_actor
from ..confirmation import Confirmation, Input, render_confirmation
from ..errors import DomainError
from ..extensions import db
from ..form_errors import FormErrors, form_errors
from ..list_views import list_page
from . import services
from .api import ApproveSchema, PaySchema
from .lists import GRANTS

bp = Blueprint("grants", __name__, url_prefix="/grants")

LABELS = {"paid_as": "Pay as", "approved_on": "Approved on", "paid_on": "Paid on", "reference": "Payment reference",
          "amount": "Grant amount", "status": "Grant status", "_schema": "This grant"}


def _form(schema, names: tuple[str, ...]) -> dict:  # type: ignore[no-untyped-def]
    return schema.load({k: request.form[k] for k in names if request.form.get(k)})


def _queue(errors: FormErrors | None = None, status_code: int = 200):
    actor = current_actor()
    shown = list_page(GRANTS, lambda args: services.grants_query(actor, args), "grants/queue.html", "grants.queue",
                      actor=actor, errors=errors or FormErrors(), today=clock.today().isoformat(),
                      extra=lambda: {"budgets": services.budget_positions(actor)})
    return shown, status_code


@bp.route("")
@login_required
def queue():
    return _queue()


@bp.route("/<int:grant_id>/approve", methods=["POST"])
@login_required
def approve(grant_id: int):
    try:
        data = _form(ApproveSchema(), ("paid_as", "approved_on"))
        services.approve_grant(current_actor(), grant_id, data.get("paid_as"), data.get("approved_on"))
    except (ValidationError, DomainError) as exc:
        db.session.rollback()
        return _queue(form_errors(exc, LABELS, prefix=f"g{grant_id}-"), 422)
    flash(f"Grant GR-{grant_id:06d} approved.", "success")
    return redirect(url_for("grants.queue", status=request.form.get("back") or None))


@bp.route("/<int:grant_id>/pay", methods=["GET", "POST"])
@login_required
def pay(grant_id: int):
    """GET: the payment to confirm (amount, how, to whom); POST: pay it, with its date and reference."""
    actor = current_actor()
    g = services.get_grant(actor, grant_id)
    money = current_app.jinja_env.filters["money"]
    how = ("reduces the principal of the enterprise's loan" if g.paid_as == "principal_reduction"
           else "paid to the enterprise")
    back = request.values.get("back") or ""
    c = Confirmation(f"Pay grant {g.reference}", url_for("grants.pay", grant_id=g.id), url_for("grants.queue", status=back or None),
                     "Pay the grant",
                     [("Enterprise", g.proposal.enterprise.legal_name), ("Investment", g.proposal.title),
                      ("Verified improvement", f"{float(g.improvement or 0) * 100:.1f}%"), ("Rate", f"{float(g.rate) * 100:.0f}%"),
                      ("Amount", money(g.amount, g.currency)), ("How", how)],
                     [Input("paid_on", "Paid on", "date"),
                      Input("reference", "Payment reference", hint="the transfer's reference; GR-number by default")],
                     note="A grant is paid exactly once.", hidden={"back": back}, roles=("fund_admin",), action="pay grants")
    if request.method == "GET":
        return render_confirmation(c)
    try:
        data = _form(PaySchema(), ("reference", "paid_on"))
        services.pay_grant(actor, grant_id, data.get("reference"), data.get("paid_on"))
    except (ValidationError, DomainError) as exc:
        db.session.rollback()
        return render_confirmation(c, form_errors(exc, LABELS))
    flash(f"Grant GR-{grant_id:06d} paid.", "success")
    return redirect(url_for("grants.queue", status=back or None))
