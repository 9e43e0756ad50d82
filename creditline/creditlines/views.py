"""Pages: fund admins list, create and change credit lines."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required
from marshmallow import ValidationError

from ..auth.current import current_actor
from ..auth.permissions import Actor
from ..errors import ValidationFailed
from ..home import NextStep
from ..pagination import page_arg
from ..form_errors import FormErrors, flatten
from ..rulebooks import registry
from . import services
from .models import CREDIT_LINE_STATUSES, CreditLine
from .schemas import CreditLineSchema, CreditLineUpdateSchema

bp = Blueprint("creditlines", __name__, url_prefix="/credit-lines")
CREATE_FIELDS = ("name", "country", "currency", "rulebook", "ncpc_id", "fund_id", "guarantee_capacity",
                 "grant_budget", "status", "opened_on")
EDIT_FIELDS = ("name", "currency", "rulebook", "ncpc_id", "guarantee_capacity", "grant_budget", "status")


def _form_body(names: tuple[str, ...]) -> dict[str, Any]:
    """Read the form into an API body: blanks left out, the rulebook split into id and version."""
    body: dict[str, Any] = {k: (request.form.get(k) or "").strip() for k in names}
    body = {k: v for k, v in body.items() if v != ""}
    rulebook = body.pop("rulebook", None)
    if rulebook:
        body["rulebook_id"], _, body["rulebook_version"] = rulebook.partition("@")
    body["bank_ids"] = request.form.getlist("bank_ids")
    return body


LABELS = {"name": "Name", "country": "Country", "currency": "Currency", "guarantee_capacity": "Guarantee capacity",
          "grant_budget": "Grant budget", "opened_on": "Opened on", "rulebook": "Rulebook", "ncpc_id": "NCPC",
          "fund_id": "Fund", "status": "Status", "bank_ids": "Partner banks", "_schema": "The credit line"}


def _form_errors(exc: Exception) -> FormErrors:
    """The page picks rulebook id and version together, and the banks as one set of boxes."""
    messages = exc.normalized_messages() if isinstance(exc, ValidationError) else dict(getattr(exc, "errors", {}))
    merged: dict[str, list[str]] = {}
    for key, texts in flatten(messages).items():
        target = "rulebook" if key in ("rulebook_id", "rulebook_version") else key.split(".")[0]
        merged.setdefault(target, []).extend(texts)
    return FormErrors(merged, LABELS, {"bank_ids": "f-bank_ids"})


def _render(actor: Actor, line: Any, body: dict[str, Any], errors: FormErrors):  # type: ignore[no-untyped-def]
    choices = services.line_choices(actor)
    return render_template(
        "creditlines/form.html", line=line, body=body, errors=errors, choices=choices,
        rulebook_options=[(f"{b.id}@{b.version}", f"{b.id} {b.version} ({b.currency})") for b in registry().all()],
        ncpc_options=[(o.id, f"{o.name} ({o.country})") for o in choices["ncpc"]],
        fund_options=[(o.id, o.name) for o in choices["fund"]],
        status_options=[(s, s) for s in CREDIT_LINE_STATUSES]), 422 if errors else 200


@bp.route("")
@login_required
def index():
    actor = current_actor()
    args = {"page": page_arg(), "per_page": 25,
            "status": request.args.get("status") if request.args.get("status") in CREDIT_LINE_STATUSES else None}
    page = services.manage_credit_lines(actor, args)
    return render_template("creditlines/list.html", page=page, status=args["status"],
                           statuses=CREDIT_LINE_STATUSES)


def _save(actor: Actor, line: CreditLine | None, body: dict[str, Any], call: Callable[[], CreditLine],
          done: str) -> Any:
    """Run the service; on bad input show the form again with every problem by its field."""
    try:
        saved = call()
    except ValidationError as exc:
        return _render(actor, line, body, _form_errors(exc))
    except ValidationFailed as exc:
        return _render(actor, line, body, _form_errors(exc))
    flash(f"Credit line {saved.name} is {done}.", "success")
    return redirect(url_for("creditlines.index"))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    actor = current_actor()
    if request.method == "GET":
        return _render(actor, None, {"status": "open"}, FormErrors())
    body = _form_body(CREATE_FIELDS)
    return _save(actor, None, body, lambda: services.create_credit_line(actor, CreditLineSchema().load(body)),
                 "created")


@bp.route("/<int:line_id>/edit", methods=["GET", "POST"])
@login_required
def edit(line_id: int):
    actor = current_actor()
    line = services.line_for_edit(actor, line_id)
    if request.method == "GET":
        state = services.snapshot(line)
        state["rulebook"] = f"{line.rulebook_id}@{line.rulebook_version}"
        return _render(actor, line, state, FormErrors())
    body = _form_body(EDIT_FIELDS)
    return _save(actor, line, body, lambda: services.update_credit_line(actor, line.id,
                                                                        CreditLineUpdateSchema().load(body)), "saved")


def _manage_lines(actor: Actor) -> list[NextStep]:
    if not actor.has("fund_admin"):
        return []
    return [NextStep("Manage credit lines", "Partner banks, NCPC, rulebook, guarantee capacity and grant budget.",
                     url_for("creditlines.index")),
            NextStep("Manage users and organisations", "Create accounts, give roles, reset passwords.",
                     url_for("admin.users"))]
