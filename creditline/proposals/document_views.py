"""Pages: open, replace and delete a proposal's documents, and the bank's document checklist."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from ..auth.current import current_actor
from ..errors import Conflict, PayloadTooLarge, ValidationFailed
from ..files.disposition import download
from ..form_errors import form_errors
from . import checklist, documents
from .views import bp


LABELS = {"file": "File", "kind": "Document type", "status": "Check", "note": "Note", "_schema": "The document"}


def _problem(prefix: str, exc: ValidationFailed | Conflict | PayloadTooLarge) -> None:
    flash(f"{prefix}: {form_errors(exc, LABELS).sentence()}", "error")


def _back(proposal_id: int) -> Response:
    return redirect(url_for("proposals.detail", proposal_id=proposal_id) + "#documents")


@bp.route("/<int:proposal_id>/documents/<int:document_id>/file")
@login_required
def document_file(proposal_id: int, document_id: int):
    data, name, kind = documents.open_document(current_actor(), proposal_id, document_id)
    return download(data, name, kind)


@bp.route("/<int:proposal_id>/documents/<int:document_id>/replace", methods=["POST"])
@login_required
def replace_document(proposal_id: int, document_id: int):
    upload = request.files.get("file")
    try:
        doc = documents.replace_document(current_actor(), proposal_id, document_id,
                                         upload.read() if upload and upload.filename else None,
                                         upload.filename if upload else "")
        flash(f"Replaced with {doc.file.filename}.", "success")
    except (ValidationFailed, Conflict, PayloadTooLarge) as exc:
        _problem("Not replaced", exc)
    return _back(proposal_id)


@bp.route("/<int:proposal_id>/documents/<int:document_id>/delete", methods=["POST"])
@login_required
def delete_document(proposal_id: int, document_id: int):
    try:
        documents.delete_document(current_actor(), proposal_id, document_id)
        flash("Document deleted.", "success")
    except Conflict as exc:
        _problem("Not deleted", exc)
    return _back(proposal_id)


@bp.route("/<int:proposal_id>/checklist/<kind>", methods=["POST"])
@login_required
def check_document(proposal_id: int, kind: str):
    try:
        row = checklist.mark(current_actor(), proposal_id, kind, request.form.get("status"), request.form.get("note"))
        flash(f"{row['label'].capitalize()}: {row['status'].replace('_', ' ')}.", "success")
    except (ValidationFailed, Conflict) as exc:
        _problem("Not recorded", exc)
    return _back(proposal_id)
