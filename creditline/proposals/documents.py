"""The proposal's document checklist: upload a document of a known kind, list what is there."""
from __future__ import annotations

from ..audit.services import record
from ..auth.permissions import Actor, get_visible, require_role
from ..errors import ValidationFailed
from ..extensions import db
from ..files.services import store_file
from ..rulebooks import registry
from ..vocabulary import DOCUMENT_KINDS
from .models import Proposal, ProposalDocument

# Documents can follow the proposal until the NCPC has reviewed it.
OPEN_STATES = ("draft", "submitted", "scored", "referred", "eligible", "ineligible")


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
    stored = store_file(actor, data, filename, content_type, kind=f"proposal:{kind}")
    doc = ProposalDocument(proposal_id=p.id, kind=kind, file_id=stored.id)
    db.session.add(doc)
    db.session.flush()
    record(actor, "proposal.document_added", "proposal", p.id, None,
           {"kind": kind, "file": stored.filename, "sha256": stored.sha256})
    db.session.commit()
    return doc


def missing_documents(p: Proposal) -> list[str]:
    """The kinds the line's rulebook requires that the proposal does not carry yet (never blocking)."""
    book = registry().get(p.credit_line.rulebook_id, p.credit_line.rulebook_version)
    have = {d.kind for d in p.documents}
    return [d["kind"] for d in (book.documents if book else []) if d["required"] and d["kind"] not in have]
