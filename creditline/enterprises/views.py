"""Pages: the SME registers and corrects its enterprise."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required
from marshmallow import ValidationError

from ..auth.current import current_actor
from ..errors import ValidationFailed
from ..form_errors import FormErrors, form_errors
from . import services
from .schemas import EnterpriseSchema, EnterpriseUpdateSchema

bp = Blueprint("enterprises", __name__, url_prefix="/enterprises")
FIELDS = ("legal_name", "tax_id", "country", "isic_code", "employees", "annual_turnover",
          "total_assets", "domestic_ownership_share", "operating_since")


def _form_body() -> dict:
    body = {k: (request.form.get(k) or "").strip() for k in FIELDS}
    return {k: v for k, v in body.items() if v != ""}


@bp.route("")
@login_required
def index():
    actor = current_actor()
    page = services.list_enterprises(actor, {"page": request.args.get("page", 1, type=int), "per_page": 25,
                                             "q": request.args.get("q") or None})
    return render_template("enterprises/list.html", page=page, can_create=actor.has("sme"))


LABELS = {"legal_name": "Legal name", "tax_id": "Tax id", "country": "Country", "isic_code": "Sector (ISIC Rev.4)",
          "employees": "Employees", "operating_since": "Operating since", "annual_turnover": "Annual turnover",
          "total_assets": "Total assets", "domestic_ownership_share": "Domestic ownership share",
          "_schema": "The enterprise"}


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:ent_id>/edit", methods=["GET", "POST"])
@login_required
def form(ent_id: int | None = None):
    actor = current_actor()
    ent = services.get_enterprise(actor, ent_id) if ent_id else None
    body = services.snapshot(ent) if ent and request.method == "GET" else _form_body()
    errors = FormErrors()
    if request.method == "POST":
        try:
            if ent is None:
                saved = services.register_enterprise(actor, EnterpriseSchema().load(body))
            else:
                saved = services.update_enterprise(actor, ent.id, EnterpriseUpdateSchema(partial=True).load(body))
        except (ValidationError, ValidationFailed) as exc:
            errors = form_errors(exc, LABELS)
        else:
            flash(f"{saved.legal_name} is saved.", "success")
            return redirect(url_for("enterprises.index"))
    return render_template("enterprises/form.html", ent=ent, body=body, errors=errors), 422 if errors else 200
