"""Pages: the referral desk (open tasks of the caller's roles) and the task page with its decision form."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from ..auth.current import current_actor
from ..errors import Conflict, ValidationFailed
from ..form_errors import FormErrors
from ..pagination import page_arg
from ..measurement.sufficiency import OFFSET_METHODS
from . import services
from .models import TASK_STATES
from .reasons import OWNERS, REASON_LABELS

bp = Blueprint("referrals", __name__, url_prefix="/referrals")


@bp.route("")
@login_required
def desk():
    actor = current_actor()
    status = request.args.get("status", "open")
    reason = request.args.get("reason") or None
    sort = request.args.get("sort", "created_at")
    args = {"page": page_arg(), "per_page": 25, "status": status if status in TASK_STATES else "",
            "reason": reason if reason in OWNERS else None,
            "sort": sort if sort.lstrip("-") in services.SORTS else "created_at"}
    page = services.list_tasks(actor, args)
    return render_template("referrals/desk.html", page=page, args=args, states=TASK_STATES,
                           reasons=REASON_LABELS, deciding=bool(services.owners_of(actor)))


LABELS = {"decision": "Decision", "offset_method": "How the worse indicators offset the main gain",
          "given_by": "Reference centre that gave the opinion", "file": "The second opinion (signed document)",
          "comment": "Why", "_schema": "The decision"}
IDS = {"decision": "f-decision", "offset_method": "offset_method", "given_by": "given_by", "file": "file",
       "comment": "comment"}


def _render(task, errors=None, form=None, status=200):
    actor = current_actor()
    return render_template("referrals/task.html", t=task, evidence=services.evidence(task),
                           can_decide=services.can_decide(actor, task), reasons=REASON_LABELS,
                           methods=OFFSET_METHODS, errors=FormErrors(errors, LABELS, IDS), form=form or {}), status


@bp.route("/<int:task_id>", methods=["GET", "POST"])
@login_required
def task(task_id: int):
    actor = current_actor()
    t = services.get_task(actor, task_id)
    if request.method == "GET":
        return _render(t)
    form = request.form.to_dict()
    upload = request.files.get("file")
    data = {"decision": form.get("decision"), "comment": form.get("comment", ""),
            "offset_method": form.get("offset_method") or None, "given_by": form.get("given_by") or None}
    try:
        services.decide(actor, task_id, data, upload.read() if upload and upload.filename else None,
                        (upload.filename or "") if upload else "", upload.mimetype if upload else "")
    except ValidationFailed as exc:
        return _render(services.get_task(actor, task_id), exc.errors, form, 422)
    except Conflict as exc:
        flash(exc.message, "error")
        return redirect(url_for("referrals.task", task_id=task_id))
    flash("Decision recorded: it shows in the assessment's trace and the audit trail.", "success")
    return redirect(url_for("referrals.task", task_id=task_id))
