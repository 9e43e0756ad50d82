"""The bank's document checklist: per required document type, checked or not acceptable, with a note."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..audit.services import record
from ..auth.permissions import Actor, get_visible, require_role
from ..database import utcnow
from ..errors import Conflict, ValidationFailed
from ..extensions import db
from ..unit_of_work import unit_of_work
from ..vocabulary import DOCUMENT_KINDS
from .documents import required_kinds
from .models import DocumentCheck, Proposal

VERDICTS = ("checked", "not_acceptable")
# The bank reads a proposal once it has been sent to it; a draft is still the SME's.
CHECKABLE_STATES = ("submitted", "scored", "referred", "eligible", "ineligible", "technically_reviewed", "financed")


def checklist_rows(p: Proposal) -> list[dict[str, Any]]:
    """One row per required document type: the documents there and the bank's verdict, if any."""
    checks = {c.kind: c for c in db.session.scalars(select(DocumentCheck).where(DocumentCheck.proposal_id == p.id))}
    rows = []
    for kind in required_kinds(p):
        c = checks.get(kind)
        rows.append({"kind": kind, "label": DOCUMENT_KINDS.get(kind, kind),
                     "documents": [d.id for d in p.documents if d.kind == kind],
                     "status": c.status if c else "pending", "note": c.note if c else None,
                     "checked_by": c.checked_by if c else None, "checked_at": c.checked_at if c else None})
    return rows


def checklist(actor: Actor, proposal_id: int) -> list[dict[str, Any]]:
    """The checklist of a proposal in the actor's scope."""
    return checklist_rows(get_visible(Proposal, proposal_id, actor, what="proposal"))


@unit_of_work
def mark(actor: Actor, proposal_id: int, kind: str, status: str | None, note: str | None) -> dict[str, Any]:
    """The bank officer's verdict on one required document type; a later verdict replaces it, audited."""
    require_role(actor, "bank_officer", action="check proposal documents")
    p = get_visible(Proposal, proposal_id, actor, what="proposal")
    if p.status not in CHECKABLE_STATES:
        raise Conflict(f"a {p.status} proposal's documents are not checked by the bank", current_state=p.status,
                       allowed=[])
    note = (note or "").strip() or None
    errors: dict[str, list[str]] = {}
    required = required_kinds(p)
    if kind not in required:
        errors["kind"] = [f"{kind!r} is not a required document of this proposal ({', '.join(required)})"]
    if status not in VERDICTS:
        errors["status"] = [f"one of: {', '.join(VERDICTS)}"]
    elif status == "not_acceptable" and not note:
        errors["note"] = ["required: tell the enterprise what is wrong with the document"]
    elif status == "checked" and not any(d.kind == kind for d in p.documents):
        errors["status"] = [f"no {kind.replace('_', ' ')} has been uploaded to check"]
    if note and len(note) > 2000:
        errors["note"] = ["at most 2,000 characters"]
    if errors:
        raise ValidationFailed("the checklist was not changed", errors)
    row = db.session.scalar(select(DocumentCheck).where(DocumentCheck.proposal_id == p.id, DocumentCheck.kind == kind))
    before = {"kind": kind, "status": row.status, "note": row.note} if row else None
    if row is None:
        row = DocumentCheck(proposal_id=p.id, kind=kind, status=status, note=note, checked_by=actor.user_id)
        db.session.add(row)
    else:
        row.status, row.note, row.checked_by, row.checked_at = status, note, actor.user_id, utcnow()
    db.session.flush()
    record(actor, "proposal.document_checked", "proposal", p.id, before,
           {"kind": kind, "status": status, "note": note,
            "documents": [d.id for d in p.documents if d.kind == kind]})
    return next(r for r in checklist_rows(p) if r["kind"] == kind)
