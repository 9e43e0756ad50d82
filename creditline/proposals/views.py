"""Pages: the SME's proposal list and form, documents, withdrawal, the verifier's review queue.

The proposal page itself, submitting and the technical review score the proposal: they join this
blueprint from scoring.assessment_pages, above scoring and referrals.
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required
from marshmallow import ValidationError

from ..auth.current import current_actor
from ..creditlines.services import list_credit_lines
from ..enterprises.services import list_enterprises
from ..errors import Conflict, PayloadTooLarge, ValidationFailed
from ..list_views import list_page
from ..pagination import page_arg
from ..rules.costs import COST_CATEGORIES
from ..vocabulary import CP_OPTIONS, STREAM_UNITS, TECHNOLOGY_READINESS
from . import documents, services
from ..form_errors import FormErrors, form_errors
from .lists import PROPOSALS
from .forms import IDS, LABELS, form_to_body
from .schemas import ProposalBodySchema, ProposalCreateSchema

bp = Blueprint("proposals", __name__, url_prefix="/proposals")


def _choices(actor):
    lines = list_credit_lines(actor, {"status": "open", "per_page": 200}).items
    enterprises = list_enterprises(actor, {"per_page": 200}).items
    return dict(lines=lines, enterprises=enterprises, cp_options=CP_OPTIONS, streams=STREAM_UNITS,
                readiness=TECHNOLOGY_READINESS, cost_categories=COST_CATEGORIES)


@bp.route("")
@login_required
def index():
    actor = current_actor()
    return list_page(PROPOSALS, lambda args: services.proposals_query(actor, args), "proposals/list.html",
                     "proposals.index", can_create=actor.has("sme"))


def _render_form(proposal, body, errors, status=200):
    labelled = FormErrors(errors, LABELS, IDS)
    return render_template("proposals/form.html", proposal=proposal, body=body, errors=labelled,
                           **_choices(current_actor())), status


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    actor = current_actor()
    if request.method == "GET":
        return _render_form(None, {"indicators": [{}], "technology": {}}, {})
    body = form_to_body(request.form)
    try:
        data = ProposalCreateSchema().load(body)
        p = services.create_proposal(actor, data)
    except ValidationError as exc:
        return _render_form(None, body, exc.messages, 422)
    except ValidationFailed as exc:
        return _render_form(None, body, exc.errors, 422)
    flash("Draft saved. Submit it when it is complete.", "success")
    return redirect(url_for("proposals.detail", proposal_id=p.id))


@bp.route("/<int:proposal_id>/edit", methods=["GET", "POST"])
@login_required
def edit(proposal_id: int):
    actor = current_actor()
    p = services.get_proposal(actor, proposal_id)
    if request.method == "GET":
        return _render_form(p, services.to_body(p), {})
    body = form_to_body(request.form)
    try:
        data = ProposalBodySchema().load(body)
        services.update_proposal(actor, proposal_id, data)
    except ValidationError as exc:
        return _render_form(p, body, exc.messages, 422)
    except ValidationFailed as exc:
        return _render_form(p, body, exc.errors, 422)
    flash("Draft saved.", "success")
    return redirect(url_for("proposals.detail", proposal_id=proposal_id))


@bp.route("/<int:proposal_id>/documents", methods=["POST"])
@login_required
def add_document(proposal_id: int):
    upload = request.files.get("file")
    try:
        documents.add_document(current_actor(), proposal_id, request.form.get("kind"),
                               upload.read() if upload and upload.filename else None,
                               upload.filename if upload else "", upload.mimetype if upload else "")
        flash("Document uploaded.", "success")
    except (ValidationFailed, PayloadTooLarge, Conflict) as exc:
        flash("Not uploaded: " + form_errors(exc, {"file": "File", "kind": "Document type"}).sentence(), "error")
    return redirect(url_for("proposals.detail", proposal_id=proposal_id))


@bp.route("/<int:proposal_id>/withdraw", methods=["POST"])
@login_required
def withdraw(proposal_id: int):
    reason = (request.form.get("reason") or "").strip()
    if len(reason) < 3:
        flash("Say why you withdraw the proposal.", "error")
        return redirect(url_for("proposals.detail", proposal_id=proposal_id))
    services.withdraw_proposal(current_actor(), proposal_id, reason)
    flash("Proposal withdrawn.", "success")
    return redirect(url_for("proposals.detail", proposal_id=proposal_id))


@bp.route("/<int:proposal_id>/reopen", methods=["POST"])
@login_required
def reopen(proposal_id: int):
    services.reopen_proposal(current_actor(), proposal_id)
    flash("The proposal is a draft again: revise it and submit.", "success")
    return redirect(url_for("proposals.edit", proposal_id=proposal_id))


@bp.route("/reviews")
@login_required
def review_queue():
    page = services.review_queue(current_actor(), page_arg())
    return render_template("proposals/review_queue.html", page=page)


from . import document_views  # noqa: E402,F401  (its routes live on this blueprint)
