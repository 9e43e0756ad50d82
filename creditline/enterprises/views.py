"""Pages: the SME registers and corrects its enterprise."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required
from marshmallow import ValidationError

from ..auth.current import current_actor
from ..errors import ValidationFailed
from ..form_errors import FormErrors
from ..list_views import list_page
from ..percent_fields import percent_errors, to_fractions, to_percents
from . import services
from .lists import ENTERPRISES
from .schemas import EnterpriseSchema, EnterpriseUpdateSchema

bp = Blueprint("enterprises", __name__, url_prefix="/enterprises")
PERCENTS = ("domestic_ownership_share",)
FIELDS = ("legal_name", "tax_id", "country", "isic_code", "employees", "annual_turnover",
          "total_assets", "domestic_ownership_share", "operating_since")


def _form_body() -> dict:
    body = {k: (request.form.get(k) or "").strip() for k in FIELDS}
    return {k: v for k, v in body.items() if v != ""}


@bp.route("")
@login_required
def index():
    actor = current_actor()
    return list_page(ENTERPRISES, lambda args: services.enterprises_query(actor, args), "enterprises/list.html",
                     "enterprises.index", can_create=actor.has("sme"))


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
    # The form shows and takes the ownership share in percent; the services keep the fraction.
    body = to_percents(services.snapshot(ent), PERCENTS) if ent and request.method == "GET" else _form_body()
    errors = FormErrors()
    if request.method == "POST":
        data = to_fractions(body, PERCENTS)
        try:
            if ent is None:
                saved = services.register_enterprise(actor, EnterpriseSchema().load(data))
            else:
                saved = services.update_enterprise(actor, ent.id, EnterpriseUpdateSchema(partial=True).load(data))
        except ValidationError as exc:
            errors = FormErrors(percent_errors(exc.normalized_messages(), PERCENTS), LABELS)
        except ValidationFailed as exc:
            errors = FormErrors(percent_errors(exc.errors or {"_schema": [exc.message]}, PERCENTS), LABELS)
        else:
            flash(f"{saved.legal_name} is saved.", "success")
            return redirect(url_for("enterprises.index"))
    return render_template("enterprises/form.html", ent=ent, body=body, errors=errors), 422 if errors else 200
