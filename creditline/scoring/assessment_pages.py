"""Pages: the proposal page with its score and referral tasks, submitting (which scores), the
assessment and its PDF, and the NCPC's technical review (which scores again).

The routes join the proposal pages (same URLs, same blueprint) from here, above scoring and
referrals, because both read and move proposals: the proposals package does not import them back.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required
from marshmallow import ValidationError

from ..auth.current import current_actor
from ..errors import DomainError, ValidationFailed
from ..event_dates import form_day
from ..form_errors import FormErrors, form_errors
from ..proposals import checklist, documents, services
from ..proposals.forms import IDS, LABELS
from ..proposals.models import PROPOSAL_LIFECYCLE
from ..proposals.schemas import TechnicalReviewSchema
from ..proposals.views import bp
from ..referrals.services import tasks_of_proposal
from ..vocabulary import DOCUMENT_KINDS
from .services import assessment_view, score_and_store


@bp.route("/<int:proposal_id>")
@login_required
def detail(proposal_id: int):
    actor = current_actor()
    p = services.get_proposal(actor, proposal_id)
    try:
        assessment = assessment_view(services.latest_assessment(actor, proposal_id))
    except DomainError:
        assessment = None
    return render_template("proposals/detail.html", p=p, assessment=assessment, actor=actor,
                           reviews=services.reviews_of(actor, proposal_id),
                           referrals=tasks_of_proposal(actor, proposal_id),
                           allowed=PROPOSAL_LIFECYCLE.allowed(p.status), fixed=services.fixed_reason(p),
                           document_kinds=DOCUMENT_KINDS,
                           doc_states=documents.OPEN_STATES, missing=documents.missing_documents(p),
                           checklist=checklist.checklist_rows(p) if p.status in checklist.CHECKABLE_STATES else [])


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
    from ..proposals.assessment_pdf import assessment_pdf as render_pdf

    actor = current_actor()
    p = services.get_proposal(actor, proposal_id)
    result = assessment_view(services.latest_assessment(actor, proposal_id))
    return download(render_pdf(p, result), f"assessment-P{p.id}-A{result['id']}.pdf", "application/pdf",
                    disposition="inline")


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
