"""Record audit events inside the caller's transaction, and verify the chain."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import func, select, text

from ..database import utcnow
from ..extensions import db
from .models import AuditEvent, AuditHead


class Author(Protocol):
    """Who acted, as the trail records them: auth's Actor is one (audit sits below auth, so it names none)."""

    @property
    def user_id(self) -> int: ...

    @property
    def email(self) -> str: ...


GENESIS = "0" * 64
HEAD_ID = 1

# Called with the events appended, in order and in the same transaction (creditline.wiring fills
# it): one (author, event) from ``record``, a whole ``chained_together`` block's at its end, so a
# listener can do its work for thousands of events at once. A hand-off notifies whoever the
# change now waits on, and is rolled back with the change.
Heard = Sequence[tuple[Author | None, AuditEvent]]
LISTENERS: list[Callable[[Heard], None]] = []


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


def record(actor: Author | None, action: str, entity_type: str, entity_id: int | None,
           before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> AuditEvent:
    """Append an event to the chain in the current transaction (the caller commits).

    Inside :func:`chained_together` the event is only built here (its ``seq`` and hash are set,
    and the listeners told, when the block ends).
    """
    session = db.session
    pending = session.info.get(_PENDING)
    if pending is not None:
        event = _unchained(actor, action, entity_type, entity_id, before, after, utcnow())
        pending.append((actor, event, True))
        return event
    if session.get_bind().dialect.name == "postgresql":
        # Serialise writers on the chain's tail; released with the transaction.
        session.execute(text("SELECT pg_advisory_xact_lock(7261001)"))
    last = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    event = AuditEvent(
        seq=(last.seq + 1) if last else 1,
        occurred_at=utcnow(),
        actor_id=actor.user_id if actor else None,
        actor_email=actor.email if actor else None,
        action=action, entity_type=entity_type, entity_id=entity_id,
        before=normalise(before), after=normalise(after),
        prev_hash=last.hash if last else GENESIS,
    )
    event.hash = event_hash(event)
    session.add(event)
    _move_head(event.seq, event.hash)
    for listener in LISTENERS:
        listener([(actor, event)])
    return event


def _move_head(seq: int, hash_: str) -> None:
    # Same transaction as the append: the head and the newest event always commit together.
    head = db.session.get(AuditHead, HEAD_ID)
    if head is None:
        db.session.add(AuditHead(id=HEAD_ID, seq=seq, hash=hash_))
    else:
        head.seq, head.hash = seq, hash_


def record_many(actor: Author | None, events: list[tuple[str, str, int | None, dict[str, Any] | None,
                                                       dict[str, Any] | None]]) -> int:
    """Append many events (action, entity type, id, before, after) with one read of the chain's tail.

    The batch jobs change thousands of rows at once; chaining them in memory and inserting them
    together keeps the daily job fast without weakening the chain.
    """
    if not events:
        return 0
    session = db.session
    pending = session.info.get(_PENDING)
    if pending is not None:
        now = utcnow()
        pending.extend((actor, _unchained(actor, *e, now), False) for e in events)
        return len(events)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(7261001)"))
    session.flush()
    last = session.execute(select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)).first()
    seq, prev = (last.seq, last.hash) if last else (0, GENESIS)
    now = utcnow()
    rows = []
    for action, entity_type, entity_id, before, after in events:
        seq += 1
        event = AuditEvent(seq=seq, occurred_at=now, actor_id=actor.user_id if actor else None,
                           actor_email=actor.email if actor else None, action=action, entity_type=entity_type,
                           entity_id=entity_id, before=normalise(before), after=normalise(after), prev_hash=prev)
        event.hash = prev = event_hash(event)
        rows.append(event)
    session.add_all(rows)
    _move_head(seq, prev)
    session.flush()
    return len(rows)


# Events recorded inside ``chained_together``: (actor, event, whether the listeners hear of it).
_PENDING = "audit_events_pending"


def _unchained(actor: Author | None, action: str, entity_type: str, entity_id: int | None,
               before: dict[str, Any] | None, after: dict[str, Any] | None, at: datetime) -> AuditEvent:
    return AuditEvent(occurred_at=at, actor_id=actor.user_id if actor else None,
                      actor_email=actor.email if actor else None, action=action, entity_type=entity_type,
                      entity_id=entity_id, before=normalise(before), after=normalise(after))


@contextmanager
def chained_together() -> Iterator[None]:
    """Record the block's events as usual, but chain them (and tell the listeners) at its end.

    Appending one event reads the chain's tail and moves its head (a query and a flush each); a
    loan tape of thousands of loans records tens of thousands of events in one transaction. Here
    they are chained in the order recorded, each with its own time, with one read of the tail:
    the chain verifies as if each had been appended alone. The listeners then hear of each event
    in that order, with its ``seq``. Nothing may read the audit trail inside the block (its events
    are not there yet), and an event's ``seq`` is unknown until the block ends. Nested blocks
    join the outer one; on an exception nothing is chained (the transaction rolls back).
    """
    session = db.session
    if session.info.get(_PENDING) is not None:
        yield
        return
    pending: list[tuple[Author | None, AuditEvent, bool]] = []
    session.info[_PENDING] = pending
    try:
        yield
    finally:
        session.info.pop(_PENDING, None)
    _chain(pending)


def _chain(pending: list[tuple[Author | None, AuditEvent, bool]]) -> None:
    if not pending:
        return
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(7261001)"))
    last = session.execute(select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)).first()
    seq, prev = (last.seq, last.hash) if last else (0, GENESIS)
    for _, event, _ in pending:
        seq += 1
        event.seq, event.prev_hash = seq, prev
        event.hash = prev = event_hash(event)
    session.add_all([event for _, event, _ in pending])
    _move_head(seq, prev)
    session.flush()
    heard = [(actor, event) for actor, event, notify in pending if notify]
    for listener in LISTENERS:
        listener(heard)


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


def entity_types() -> list[str]:
    """Return the entity types the trail holds, for the page's filter."""
    return list(db.session.execute(select(AuditEvent.entity_type).distinct().order_by(AuditEvent.entity_type))
                .scalars())
