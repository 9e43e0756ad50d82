"""The proposal's documents: upload a document of a known kind, open it, replace or delete it in draft."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import delete, select

from ..audit.services import record
from ..auth.permissions import Actor, get_visible, require_role
from ..errors import Conflict, NotFound, PayloadTooLarge, ValidationFailed
from ..extensions import db
from ..unit_of_work import unit_of_work
from ..files import content
from ..files.services import read_file, store_file
from ..rulebooks import registry
from ..vocabulary import DOCUMENT_KINDS
from .models import PROPOSAL_LIFECYCLE, DocumentCheck, Proposal, ProposalDocument

# Documents can follow the proposal until the NCPC has reviewed it.
OPEN_STATES = ("draft", "submitted", "scored", "referred", "eligible", "ineligible")
# Once submitted, the bank and the NCPC have read what is there: it is added to, never changed.
EDITABLE_STATES = ("draft",)


def _checked_upload(data: bytes | None, filename: str) -> content.Detected:
    """Refuse an upload that is missing, too large or not an allowed type, naming the file."""
    name = filename or "the file"
    if data is None:
        raise ValidationFailed("the document cannot be stored", {"file": ["required: send a multipart form with kind and file"]})
    limit = int(current_app.config["MAX_DOCUMENT_BYTES"])
    if len(data) > limit:
        raise PayloadTooLarge(f"{name} is larger than the {limit:,}-byte limit for a document",
                              {"file": [f"{name}: {len(data):,} bytes, at most {limit:,}"]})
    detected = content.detect(data, filename)
    if detected is None:
        raise ValidationFailed(f"{name} is not an accepted document type", {"file": [
            f"{name}: its content is not {content.ALLOWED_TEXT}"]})
    return detected


def _draft_only(p: Proposal, what: str) -> None:
    if p.status not in EDITABLE_STATES:
        raise Conflict(f"documents can only be {what} while the proposal is a draft; it is {p.status}",
                       current_state=p.status, allowed=PROPOSAL_LIFECYCLE.allowed(p.status))


@unit_of_work
def add_document(actor: Actor, proposal_id: int, kind: str | None, data: bytes | None, filename: str,
                 content_type: str) -> ProposalDocument:
    """Store one document on a proposal; a new upload of a kind adds a version, never overwrites."""
    require_role(actor, "sme", action="add proposal documents")
    p = get_visible(Proposal, proposal_id, actor, what="proposal")
    errors: dict[str, list[str]] = {}
    if not kind:
        errors["kind"] = ["required"]
    elif kind not in DOCUMENT_KINDS:
        errors["kind"] = [f"unknown document kind {kind!r} (known: {', '.join(DOCUMENT_KINDS)})"]
    if p.status not in OPEN_STATES:
        errors["proposal"] = [f"documents cannot be added to a {p.status} proposal"]
    if data is None:
        errors["file"] = ["required: send a multipart form with kind and file"]
    if errors:
        raise ValidationFailed("the document cannot be added", errors)
    detected = _checked_upload(data, filename)
    stored = store_file(actor, data, filename, detected.content_type, kind=f"proposal:{kind}")
    doc = ProposalDocument(proposal_id=p.id, kind=kind, file_id=stored.id)
    db.session.add(doc)
    db.session.flush()
    # The bank's tick covered the documents it saw; a new one must be looked at again.
    cleared = db.session.execute(delete(DocumentCheck).where(DocumentCheck.proposal_id == p.id,
                                                             DocumentCheck.kind == kind)).rowcount
    record(actor, "proposal.document_added", "proposal", p.id, None,
           {"document_id": doc.id, "kind": kind, "file": stored.filename, "sha256": stored.sha256,
            "content_type": stored.content_type, "check_cleared": bool(cleared)})
    return doc


def document_of(actor: Actor, proposal_id: int, document_id: int) -> tuple[Proposal, ProposalDocument]:
    """A document of a proposal in the actor's scope (404 otherwise, as if it did not exist)."""
    p = get_visible(Proposal, proposal_id, actor, what="proposal")
    doc = db.session.scalar(select(ProposalDocument).where(ProposalDocument.id == document_id,
                                                           ProposalDocument.proposal_id == p.id))
    if doc is None:
        raise NotFound(f"proposal {proposal_id} has no document {document_id}")
    return p, doc


def open_document(actor: Actor, proposal_id: int, document_id: int) -> tuple[bytes, str, str]:
    """The document's bytes, name and detected type; bytes that no longer match the SHA-256 are refused."""
    _, doc = document_of(actor, proposal_id, document_id)
    data = read_file(doc.file)
    return data, doc.file.filename, doc.file.content_type


@unit_of_work
def replace_document(actor: Actor, proposal_id: int, document_id: int, data: bytes | None,
                     filename: str) -> ProposalDocument:
    """Swap a draft's document for another file of the same kind; the old file stays in the store."""
    require_role(actor, "sme", action="replace proposal documents")
    p, doc = document_of(actor, proposal_id, document_id)
    _draft_only(p, "replaced")
    detected = _checked_upload(data, filename)
    old = {"file": doc.file.filename, "sha256": doc.file.sha256}
    stored = store_file(actor, data, filename, detected.content_type, kind=f"proposal:{doc.kind}")
    doc.file_id = stored.id
    db.session.flush()
    db.session.refresh(doc)
    record(actor, "proposal.document_replaced", "proposal", p.id, {"document_id": doc.id, **old},
           {"document_id": doc.id, "kind": doc.kind, "file": stored.filename, "sha256": stored.sha256})
    return doc


@unit_of_work
def delete_document(actor: Actor, proposal_id: int, document_id: int) -> None:
    """Take a document off a draft (uploaded by mistake); the audit trail keeps its name and digest."""
    require_role(actor, "sme", action="delete proposal documents")
    p, doc = document_of(actor, proposal_id, document_id)
    _draft_only(p, "deleted")
    before = {"document_id": doc.id, "kind": doc.kind, "file": doc.file.filename, "sha256": doc.file.sha256}
    db.session.delete(doc)
    db.session.flush()
    record(actor, "proposal.document_deleted", "proposal", p.id, before, None)


def required_kinds(p: Proposal) -> list[str]:
    """The document kinds the line's rulebook requires of a proposal."""
    book = registry().get(p.credit_line.rulebook_id, p.credit_line.rulebook_version)
    return [d["kind"] for d in (book.documents if book else []) if d["required"]]


def missing_documents(p: Proposal) -> list[str]:
    """The kinds the line's rulebook requires that the proposal does not carry yet (never blocking)."""
    have = {d.kind for d in p.documents}
    return [k for k in required_kinds(p) if k not in have]
