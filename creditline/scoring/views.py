"""Pages: the fund admin's rulebooks and the rule-change simulation."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import login_required

from ..auth.current import current_actor
from ..errors import ValidationFailed
from . import services

bp = Blueprint("rulebooks", __name__, url_prefix="/rulebooks")


@bp.route("")
@login_required
def index():
    return render_template("rulebooks/list.html", books=services.list_rulebooks(current_actor()))


@bp.route("/<rulebook_id>/<version>")
@login_required
def detail(rulebook_id: str, version: str):
    book = services.get_rulebook(current_actor(), rulebook_id, version, request.args.get("hash") or None)
    return render_template("rulebooks/detail.html", book=book)


@bp.route("/simulate", methods=["GET", "POST"])
@login_required
def simulate():
    actor = current_actor()
    result, errors, text = None, {}, ""
    if request.method == "POST":
        upload = request.files.get("rulebook_file")
        text = upload.read().decode("utf-8", "replace") if upload and upload.filename else request.form.get("rulebook_yaml", "")
        try:
            result = services.simulate_draft(actor, text, request.form.get("credit_line_id", type=int))
        except ValidationFailed as exc:
            errors = exc.errors
    else:
        services.require_simulation_role(actor)
        base = request.args.get("from")
        if base:
            text = services.rulebook_text(actor, *base.split("@", 1))
    return render_template("rulebooks/simulate.html", result=result, errors=errors, text=text,
                           books=services.list_rulebooks(actor)), 422 if errors else 200
