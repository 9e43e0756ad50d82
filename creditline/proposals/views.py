"""Pages: the SME's proposal list and form, the proposal page, the verifier's review queue."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required
from marshmallow import ValidationError

from ..auth.current import current_actor
from ..creditlines.services import list_credit_lines
from ..enterprises.services import list_enterprises
from ..errors import Conflict, DomainError, PayloadTooLarge, ValidationFailed
from ..event_dates import form_day
from ..list_views import list_page
from ..pagination import page_arg
from ..rules.costs import COST_CATEGORIES
from ..scoring.services import assessment_view, score_and_store
from ..vocabulary import CP_OPTIONS, DOCUMENT_KINDS, STREAM_UNITS, TECHNOLOGY_READINESS
from . import checklist, documents, services
from ..form_errors import FormErrors, form_errors
from .lists import PROPOSALS
from .forms import IDS, LABELS, form_to_body
from .models import PROPOSAL_LIFECYCLE
from .schemas import ProposalBodySchema, ProposalCreateSchema, TechnicalReviewSchema

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


@bp.route("/<int:proposal_id>")
@login_required
def detail(proposal_id: int):
    actor = current_actor()
    p = services.get_proposal(actor, proposal_id)
    try:
        assessment = assessment_view(services.latest_assessment(actor, proposal_id))
    except DomainError:
        assessment = None
    from ..referrals.services import tasks_of_proposal

    return render_template("proposals/detail.html", p=p, assessment=assessment, actor=actor,
                           reviews=services.reviews_of(actor, proposal_id),
                           referrals=tasks_of_proposal(actor, proposal_id),
                           allowed=PROPOSAL_LIFECYCLE.allowed(p.status), fixed=services.fixed_reason(p),
                           document_kinds=DOCUMENT_KINDS,
                           doc_states=documents.OPEN_STATES, missing=documents.missing_documents(p),
                           checklist=checklist.checklist_rows(p) if p.status in checklist.CHECKABLE_STATES else [])


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


@bp.route("/<int:proposal_id>/submit", methods=["POST"])
@login_required
def submit(proposal_id: int):
    actor = current_actor()
    bank_id = request.form.get("bank_id", type=int)
    try:
        p = services.submit_proposal(actor, proposal_id, bank_id, score_and_store,
                                     form_day(request.form, "submitted_on"))
    except ValidationFailed as exc:
        p = services.get_proposal(actor, proposal_id)
        return render_template("proposals/detail.html", p=p, assessment=None, actor=actor, reviews=[],
                               allowed=PROPOSAL_LIFECYCLE.allowed(p.status), fixed=services.fixed_reason(p),
                           document_kinds=DOCUMENT_KINDS,
                               doc_states=documents.OPEN_STATES, missing=documents.missing_documents(p),
                               problems=FormErrors(exc.errors, LABELS, IDS)), 422
    missing = documents.missing_documents(p)
    flash(f"Submitted and scored: {p.status.replace('_', ' ')}."
          + (f" Still missing from the checklist (not blocking): {', '.join(k.replace('_', ' ') for k in missing)}."
             if missing else " The document checklist is complete."), "success")
    return redirect(url_for("proposals.assessment", proposal_id=proposal_id))


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


@bp.route("/<int:proposal_id>/assessment")
@login_required
def assessment(proposal_id: int):
    actor = current_actor()
    p = services.get_proposal(actor, proposal_id)
    result = assessment_view(services.latest_assessment(actor, proposal_id))
    return render_template("proposals/assessment.html", p=p, a=result)


@bp.route("/<int:proposal_id>/assessment.pdf")
@login_required
def assessment_pdf(proposal_id: int):
    """The latest assessment as a PDF the bank files with the application."""
    from ..files.disposition import download
    from .assessment_pdf import assessment_pdf as render_pdf

    actor = current_actor()
    p = services.get_proposal(actor, proposal_id)
    result = assessment_view(services.latest_assessment(actor, proposal_id))
    return download(render_pdf(p, result), f"assessment-P{p.id}-A{result['id']}.pdf", "application/pdf",
                    disposition="inline")


@bp.route("/reviews")
@login_required
def review_queue():
    page = services.review_queue(current_actor(), page_arg())
    return render_template("proposals/review_queue.html", page=page)


REVIEW_LABELS = {"outcome": "Outcome", "main_indicator": "Main indicator", "comments": "Comments for the SME",
                 "corrections": "Corrections", "baseline_quantity": "baseline quantity",
                 "baseline_output": "baseline output", "stream": "stream", "_schema": "The review"}


@bp.route("/<int:proposal_id>/review", methods=["GET", "POST"])
@login_required
def review(proposal_id: int):
    actor = current_actor()
    p = services.review_form(actor, proposal_id)
    errors = FormErrors()
    if request.method == "POST":
        corrections = []
        for ind in p.indicators:
            q = (request.form.get(f"baseline_quantity.{ind.stream}") or "").strip()
            o = (request.form.get(f"baseline_output.{ind.stream}") or "").strip()
            if (q and q != str(ind.baseline_quantity)) or (o and o != str(ind.baseline_output)):
                corrections.append({"stream": ind.stream, **({"baseline_quantity": q} if q else {}),
                                    **({"baseline_output": o} if o else {})})
        body = {"outcome": "corrected" if corrections or request.form.get("main_indicator") != p.main_indicator
                else "confirmed", "main_indicator": request.form.get("main_indicator"),
                "corrections": corrections, "comments": request.form.get("comments", "")}
        try:
            services.review_proposal(actor, proposal_id, TechnicalReviewSchema().load(body), score_and_store)
        except (ValidationError, ValidationFailed) as exc:
            # A correction's row number follows the corrected streams; its inputs are named by stream.
            ids = {f"corrections.{n}.{col}": f"{col}-{c['stream']}" for n, c in enumerate(corrections)
                   for col in ("baseline_quantity", "baseline_output")}
            errors = form_errors(exc, REVIEW_LABELS, ids)
        else:
            flash("Technical review recorded; the SME can see it.", "success")
            return redirect(url_for("proposals.detail", proposal_id=proposal_id))
    return render_template("proposals/review.html", p=p, errors=errors), 422 if errors else 200


from . import document_views  # noqa: E402,F401  (its routes live on this blueprint)
