"""Pages: fund admins manage organisations and users (list, create, roles, passwords, access)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required
from marshmallow import ValidationError

from ..errors import ValidationFailed
from ..pagination import id_arg
from ..form_errors import FormErrors, flatten
from ..list_views import list_page
from . import services
from .lists import ORGANISATIONS, USERS
from .current import current_actor, sign_in
from .models import ORG_KINDS, ROLE_ORG_KINDS, ROLES
from .schemas import OrganisationSchema, UserSchema, UserUpdateSchema

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _text(*names: str) -> dict[str, Any]:
    body = {k: (request.form.get(k) or "").strip() for k in names}
    return {k: v for k, v in body.items() if v != ""}


LABELS = {"email": "E-mail", "organisation_id": "Organisation", "name": "Name", "password": "Password",
          "roles": "Roles", "kind": "Kind", "country": "Country", "active": "Active", "_schema": "This form"}
IDS = {"organisation_id": "f-org", "roles": "f-roles"}


def _errors(exc: ValidationError | ValidationFailed) -> FormErrors:
    messages = exc.messages if isinstance(exc, ValidationError) else exc.errors
    merged: dict[str, list[str]] = {}
    for key, value in flatten(messages).items():  # roles.0 -> roles: the page shows one list of boxes
        merged.setdefault(key.split(".")[0], []).extend(value)
    return FormErrors(merged, LABELS, IDS)


@bp.route("/organisations", methods=["GET", "POST"])
@login_required
def organisations():
    actor = current_actor()
    kind = request.args.get("kind") if request.args.get("kind") in ORG_KINDS else None
    body: dict[str, Any] = {"kind": kind or ""}
    errors = FormErrors()
    if request.method == "POST":
        body = _text("kind", "name", "country")
        try:
            data = OrganisationSchema().load(body)
            org = services.create_organisation(actor, data["kind"], data["name"], data["country"])
        except (ValidationError, ValidationFailed) as exc:
            errors = _errors(exc)
        else:
            flash(f"{org.name} is created.", "success")
            return redirect(url_for("admin.organisations", kind=org.kind))
    shown = list_page(ORGANISATIONS, lambda args: services.organisations_query(actor, args),
                      "admin/organisations.html", "admin.organisations", kinds=ORG_KINDS, body=body,
                      errors=errors, can_manage=actor.has("fund_admin"))
    return (shown, 422) if errors else shown


@bp.route("/users")
@login_required
def users():
    actor = current_actor()
    organisation_id = id_arg("organisation_id")
    return list_page(USERS, lambda args: services.users_query(actor, {"organisation_id": organisation_id}),
                     "admin/users.html", "admin.users", route={"organisation_id": organisation_id},
                     organisation_id=organisation_id, can_manage=actor.has("fund_admin"))


@bp.route("/users/new", methods=["GET", "POST"])
@login_required
def new_user():
    actor = current_actor()
    services.require_user_manager(actor)
    body: dict[str, Any] = {"roles": [], "organisation_id": id_arg("organisation_id")}
    errors = FormErrors()
    if request.method == "POST":
        body = _text("email", "name", "password", "organisation_id")
        body["roles"] = request.form.getlist("roles")
        try:
            user = services.create_user(actor, **UserSchema().load(body))
        except (ValidationError, ValidationFailed) as exc:
            errors = _errors(exc)
        else:
            flash(f"{user.email} is created.", "success")
            return redirect(url_for("admin.user", user_id=user.id))
    body.pop("password", None)  # never sent back into the page
    return render_template("admin/user_form.html", user=None, body=body, errors=errors, roles=ROLES,
                           role_kinds=ROLE_ORG_KINDS, organisations=services.organisation_choices(actor)), \
        422 if errors else 200


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def user(user_id: int):
    actor = current_actor()
    services.require_user_manager(actor)
    target = services.read_user(actor, user_id)
    body: dict[str, Any] = {"name": target.name, "roles": sorted(target.roles)}
    errors = FormErrors()
    if request.method == "POST":
        body = _text("name", "password")
        body["roles"] = request.form.getlist("roles")
        try:
            services.update_user(actor, target.id, UserUpdateSchema().load(body))
        except (ValidationError, ValidationFailed) as exc:
            errors = _errors(exc)
        else:
            if target.id == actor.user_id and "password" in body:
                sign_in(target)  # a reset ends every session; the admin's own stays open on this browser
            flash(f"{target.email} is saved" + (" and has a new password." if "password" in body else "."), "success")
            return redirect(url_for("admin.user", user_id=target.id))
    body.pop("password", None)
    return render_template("admin/user_form.html", user=target, body=body, errors=errors, roles=ROLES,
                           role_kinds=ROLE_ORG_KINDS, organisations=[]), 422 if errors else 200


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@login_required
def set_active(user_id: int):
    active = request.form.get("active") == "1"
    target = services.set_user_active(current_actor(), user_id, active)
    flash(f"{target.email} is {'enabled' if active else 'disabled; its tokens are revoked'}.", "success")
    return redirect(url_for("admin.user", user_id=target.id))
