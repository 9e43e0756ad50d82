"""Pages: the rules in force in plain words for everyone; drafting, simulating and publishing for the fund."""
from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required
from marshmallow import ValidationError as FieldError

from ..auth.current import current_actor
from ..errors import DomainError, ValidationFailed
from ..form_errors import FormErrors, flatten
from ..schemas import Day
from ..rules.schema import describe
from ..scoring import services as scoring
from . import services
from .plain_words import plain_words
from ..rulebooks.registry import registry

bp = Blueprint("rulebooks", __name__, url_prefix="/rulebooks")
LINE = re.compile(r"\(line (\d+)")


def problem_lines(errors: dict[str, list[str]]) -> list[dict[str, object]]:
    """Each problem with the line it names, for the editor's gutter and the list that links to it."""
    return [{"message": m, "line": int(found.group(1)) if (found := LINE.search(m)) else None}
            for msgs in errors.values() for m in msgs]


@bp.route("")
@login_required
def index():
    actor = current_actor()
    return render_template("rulebooks/list.html", books=scoring.list_rulebooks(actor),
                           versions=services.list_versions(actor), can_draft=actor.has("fund_admin"))


@bp.route("/<rulebook_id>/<version>")
@login_required
def detail(rulebook_id: str, version: str):
    book = scoring.get_rulebook(current_actor(), rulebook_id, version, request.args.get("hash") or None)
    return render_template("rulebooks/detail.html", book=book, plain=plain_words(scoring.book_for_hash(book["hash"])))


@bp.route("/drafts/new", methods=["GET", "POST"])
@login_required
def new_draft():
    actor = current_actor()
    scoring.require_simulation_role(actor)
    errors: dict[str, list[str]] = {}
    text = ""
    if request.method == "POST":
        text = request.form.get("rulebook_yaml", "")
        try:
            v = services.create_draft(actor, text)
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            flash(f"Draft {v.rulebook_id} {v.version} saved. Another fund admin publishes it.", "success")
            return redirect(url_for("rulebooks.draft", version_id=v.id))
    elif request.args.get("from"):
        base = registry().get(*request.args["from"].split("@", 1)) if "@" in request.args["from"] else None
        text = base.text if base is not None else ""
    return render_template("rulebooks/draft.html", v=None, text=text, problems=problem_lines(errors),
                           lines=[], can_edit=True, fmt=describe()), 422 if errors else 200


@bp.route("/drafts/<int:version_id>", methods=["GET", "POST"])
@login_required
def draft(version_id: int):
    actor = current_actor()
    v = services.get_version(actor, version_id)
    errors: dict[str, list[str]] = {}
    result, status = None, 200
    text = v.text
    if request.method == "POST":
        text = request.form.get("rulebook_yaml", "")
        try:
            if request.form.get("action") == "simulate":
                result = scoring.simulate_draft(actor, v.text, request.form.get("credit_line_id", type=int))
                text = v.text
            else:
                services.update_draft(actor, version_id, text)
                flash("Draft saved.", "success")
                return redirect(url_for("rulebooks.draft", version_id=version_id))
        except ValidationFailed as exc:
            errors, status = exc.errors, 422
    view = services.version_view(services.get_version(actor, version_id), full=True)
    return render_template("rulebooks/draft.html", v=view, text=text, problems=problem_lines(errors), result=result,
                           lines=services.lines_using(actor, v.rulebook_id), can_edit=actor.has("fund_admin"), fmt=describe()), status


@bp.route("/drafts/<int:version_id>/publish", methods=["POST"])
@login_required
def publish(version_id: int):
    actor = current_actor()
    raw = request.form.get("effective_from") or None
    try:
        v = services.publish(actor, version_id, Day().deserialize(raw) if raw else None)
    except FieldError as exc:
        flash(f"Effective date: {'; '.join(map(str, exc.messages))}", "error")
        return redirect(url_for("rulebooks.draft", version_id=version_id))
    except DomainError as exc:
        details = "; ".join(m for msgs in exc.errors.values() for m in msgs)
        flash(f"{exc.message}: {details}" if details else exc.message, "error")
        return redirect(url_for("rulebooks.draft", version_id=version_id))
    flash(f"{v.rulebook_id} {v.version} is published and applies from {v.effective_from}.", "success")
    return redirect(url_for("rulebooks.detail", rulebook_id=v.rulebook_id, version=v.version))


def _in_the_draft(errors: dict[str, Any]) -> dict[str, list[str]]:
    """Every problem belongs to the draft's text: say where in it (scoring › energy › rule 1), not a dotted path."""
    out: list[str] = []
    for key, texts in flatten(errors).items():
        where = " › ".join(f"item {int(p) + 1}" if p.isdigit() else p.replace("_", " ") for p in key.split(".")
                           if p not in ("_schema", "rulebook_yaml", "rulebook", "file"))
        out.extend(f"{where}: {t}" if where else str(t) for t in texts)
    return {"rulebook_yaml": out}


@bp.route("/simulate", methods=["GET", "POST"])
@login_required
def simulate():
    actor = current_actor()
    result, errors, text = None, FormErrors(), ""
    if request.method == "POST":
        upload = request.files.get("rulebook_file")
        text = upload.read().decode("utf-8", "replace") if upload and upload.filename else request.form.get("rulebook_yaml", "")
        try:
            result = scoring.simulate_draft(actor, text, request.form.get("credit_line_id", type=int))
        except ValidationFailed as exc:
            errors = FormErrors(_in_the_draft(exc.errors), {"rulebook_yaml": "Draft rulebook"}, {"rulebook_yaml": "rulebook_yaml"})
    else:
        scoring.require_simulation_role(actor)
        base = request.args.get("from")
        if base:
            text = scoring.rulebook_text(actor, *base.split("@", 1))
    return render_template("rulebooks/simulate.html", result=result, errors=errors, text=text,
                           books=scoring.list_rulebooks(actor)), 422 if errors else 200
