"""Record audit events inside the caller's transaction (chained when it commits), and verify the chain."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from ..auth.permissions import Actor, require_portfolio
from ..database import utcnow
from ..extensions import db
from ..pagination import Page, paginate
from .models import AuditEvent, AuditHead

GENESIS = "0" * 64
HEAD_ID = 1


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"cannot record {type(value).__name__} in the audit trail")


def normalise(state: dict[str, Any] | None) -> dict[str, Any] | None:
    """Turn a snapshot into plain JSON so it hashes the same after a database round trip."""
    if state is None:
        return None
    return json.loads(json.dumps(state, default=_jsonable, sort_keys=True))


def _timestamp(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds")


def event_hash(event: AuditEvent) -> str:
    """Hash an event's content together with the hash of the event before it."""
    payload = {
        "seq": event.seq, "at": _timestamp(event.occurred_at), "actor": event.actor_id,
        "actor_email": event.actor_email,
        "action": event.action, "entity": [event.entity_type, event.entity_id],
        "before": event.before, "after": event.after, "prev": event.prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


# Events recorded in a transaction wait here (on the session) until it commits.
PENDING = "creditline.audit_pending"


def _event(actor: Actor | None, action: str, entity_type: str, entity_id: int | None,
           before: dict[str, Any] | None, after: dict[str, Any] | None) -> AuditEvent:
    return AuditEvent(actor_id=actor.user_id if actor else None, actor_email=actor.email if actor else None,
                      action=action, entity_type=entity_type, entity_id=entity_id,
                      before=normalise(before), after=normalise(after))


def record(actor: Actor | None, action: str, entity_type: str, entity_id: int | None,
           before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> AuditEvent:
    """Record an event in the current transaction; it joins the chain when the transaction commits.

    Linking at commit (see :func:`_link_pending`) takes the chain's lock as the transaction's
    last lock: a transaction holding it never waits for a row another one holds, so writers
    that lock rows in different orders cannot deadlock on the chain, and a rolled-back
    transaction leaves no event behind.
    """
    event = _event(actor, action, entity_type, entity_id, before, after)
    db.session().info.setdefault(PENDING, []).append(event)
    return event


def record_many(actor: Actor | None, events: list[tuple[str, str, int | None, dict[str, Any] | None,
                                                       dict[str, Any] | None]]) -> int:
    """Record many events (action, entity type, id, before, after); the batch jobs change thousands of rows."""
    pending = db.session().info.setdefault(PENDING, [])
    pending.extend(_event(actor, *e) for e in events)
    return len(events)


def _link_pending(session: Session) -> None:
    """Chain the transaction's events after the newest one, under the chain's lock, just before commit."""
    events = session.info.pop(PENDING, None)
    if not events:
        return
    session.flush()  # every row change (and its row locks) first, the chain's lock last
    if session.get_bind().dialect.name == "postgresql":
        # Serialise writers on the chain's tail; released with the transaction.
        session.execute(text("SELECT pg_advisory_xact_lock(7261001)"))
    last = session.execute(select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)).first()
    seq, prev = (last.seq, last.hash) if last else (0, GENESIS)
    now = utcnow()
    for event in events:
        seq += 1
        event.seq, event.occurred_at, event.prev_hash = seq, now, prev
        event.hash = prev = event_hash(event)
    session.add_all(events)
    # Same transaction as the append: the head and the newest event always commit together.
    head = session.get(AuditHead, HEAD_ID)
    if head is None:
        session.add(AuditHead(id=HEAD_ID, seq=seq, hash=prev))
    else:
        head.seq, head.hash = seq, prev
    session.flush()


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    _link_pending(session)


@event.listens_for(Session, "after_transaction_end")
def _forget_unlinked(session: Session, transaction: Any) -> None:
    # A transaction that ends without committing (rolled back, or the session closed) drops
    # its events with its changes; a savepoint's end leaves the outer transaction's alone.
    if transaction.parent is None:
        session.info.pop(PENDING, None)


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_at: int | None
    reason: str | None

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify_chain(batch: int = 5000) -> ChainReport:
    """Walk the chain in order and report the first event whose link or content is broken.

    Then compare the end of the chain with the head, which catches the newest events deleted.
    """
    prev = GENESIS
    expected_seq = 1
    checked = 0
    last_seq = 0
    while True:
        rows = db.session.execute(
            select(AuditEvent).where(AuditEvent.seq > last_seq).order_by(AuditEvent.seq).limit(batch)
        ).scalars().all()
        if not rows:
            return _check_head(checked, last_seq, prev)
        for event in rows:
            if event.seq != expected_seq:
                return ChainReport(checked, event.seq, f"event {expected_seq} is missing")
            if event.prev_hash != prev:
                return ChainReport(checked, event.seq, "it does not point to the event before it")
            if event_hash(event) != event.hash:
                return ChainReport(checked, event.seq, "its content was changed after it was written")
            prev = event.hash
            expected_seq += 1
            checked += 1
            last_seq = event.seq


def _check_head(checked: int, last_seq: int, last_hash: str) -> ChainReport:
    head = db.session.get(AuditHead, HEAD_ID)
    if head is None:
        if last_seq == 0:
            return ChainReport(0, None, None)  # an empty trail
        return ChainReport(checked, last_seq + 1, "the chain head is missing, so the newest events "
                                                   "cannot be vouched for")
    if head.seq > last_seq:
        return ChainReport(checked, last_seq + 1, f"events {last_seq + 1} to {head.seq} are missing "
                                                  "(the newest events were deleted)")
    if head.seq < last_seq or head.hash != last_hash:
        return ChainReport(checked, head.seq, "the chain head does not match the newest event")
    return ChainReport(checked, None, None)


def count_events() -> int:
    """Count the events in the trail."""
    return db.session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def list_events(actor: Actor, args: dict[str, Any]) -> Page:
    """List audit events, newest first (fund admins and the fund's auditors)."""
    require_portfolio(actor, action="read the audit trail")
    stmt = select(AuditEvent).order_by(AuditEvent.seq.desc())
    for key in ("entity_type", "entity_id", "actor_id", "action"):
        if args.get(key) is not None:
            stmt = stmt.where(getattr(AuditEvent, key) == args[key])
    if args.get("actor_email"):
        stmt = stmt.where(func.lower(AuditEvent.actor_email) == args["actor_email"].strip().lower())
    return paginate(stmt, args.get("page", 1), args.get("per_page", 25))


def entity_types() -> list[str]:
    """Return the entity types the trail holds, for the page's filter."""
    return list(db.session.execute(select(AuditEvent.entity_type).distinct().order_by(AuditEvent.entity_type))
                .scalars())
