"""Queue notifications idempotently, list and mark them read."""
from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select, update

from ..auth.models import Organisation, User, UserRole
from ..auth.permissions import Actor
from ..database import utcnow
from ..errors import NotFound
from ..extensions import db
from ..pagination import Page, paginate
from ..unit_of_work import remember, remembered, unit_of_work
from .mail import deliver_after_commit
from .models import Notification


@dataclass
class Message:
    user_ids: Iterable[int]
    kind: str
    subject: str
    body: str
    key: str
    url: str | None = None
    entity: tuple[str, int] | None = None
    # Queued already handled (a hand-off whose step was taken in the same batch of changes).
    resolved_at: datetime | None = None


CHUNK = 500
# Where people_once keeps, for one batch of hand-offs, who holds which roles where.
_PEOPLE = "notification_people"


def queue_many(messages: Iterable[Message]) -> int:
    """Queue many notifications at once, skipping every (key, user) queued before; returns how many were added."""
    rows: dict[str, dict] = {}
    for m in messages:
        for uid in set(m.user_ids):
            dedupe = f"{m.key}:user:{uid}"
            rows[dedupe] = dict(user_id=uid, kind=m.kind, subject=m.subject[:200], body=m.body, url=m.url,
                                entity_type=m.entity[0] if m.entity else None,
                                entity_id=m.entity[1] if m.entity else None, dedupe_key=dedupe, created_at=utcnow(),
                                resolved_at=m.resolved_at, read_at=m.resolved_at)
    keys = list(rows)
    for start in range(0, len(keys), CHUNK):
        for seen in db.session.scalars(select(Notification.dedupe_key).where(
                Notification.dedupe_key.in_(keys[start:start + CHUNK]))):
            rows.pop(seen, None)
    if rows:
        db.session.execute(insert(Notification), list(rows.values()))
        deliver_after_commit(rows)
    return len(rows)


def queue(user_ids: Iterable[int], kind: str, subject: str, body: str, key: str, url: str | None = None,
          entity: tuple[str, int] | None = None) -> int:
    """Add one notification per user unless the same key was queued before; returns how many were added."""
    return queue_many([Message(user_ids, kind, subject, body, key, url, entity)])


def resolve_many(handled: Iterable[tuple[str, int, str]], at: datetime) -> int:
    """Mark the notifications of each (entity type, id, kind) handled, and read, at ``at`` (in the caller's transaction).

    One UPDATE per entity type and kind, whatever the number of objects (a loan tape hands off thousands).
    """
    ids: dict[tuple[str, str], set[int]] = {}
    for entity_type, entity_id, kind in handled:
        ids.setdefault((entity_type, kind), set()).add(entity_id)
    count = 0
    for (entity_type, kind), entity_ids in ids.items():
        wanted = sorted(entity_ids)
        for start in range(0, len(wanted), CHUNK):
            result = db.session.execute(update(Notification).where(
                Notification.entity_type == entity_type, Notification.kind == kind,
                Notification.entity_id.in_(wanted[start:start + CHUNK]), Notification.resolved_at.is_(None))
                .values(resolved_at=at, read_at=func.coalesce(Notification.read_at, at))
                .execution_options(synchronize_session=False))
            count += int(result.rowcount or 0)
    return count


def people_once() -> AbstractContextManager[None]:
    """Inside the block, :func:`users_of` asks the database once per organisation and roles.

    For one batch of hand-offs (who holds a role does not change while they are queued).
    """
    return remembered(_PEOPLE)


def users_of(organisation_id: int, *roles: str) -> list[int]:
    """Active users of an organisation holding any of the roles (all roles when none given)."""
    return list(remember(_PEOPLE, (organisation_id, roles), lambda: _users_of(organisation_id, roles)))


def _users_of(organisation_id: int, roles: tuple[str, ...]) -> list[int]:
    stmt = select(User.id).where(User.organisation_id == organisation_id, User.active.is_(True))
    if roles:
        stmt = stmt.where(User.id.in_(select(UserRole.user_id).where(UserRole.role.in_(roles))))
    return list(db.session.scalars(stmt))


def users_with_role(*roles: str, kind: str | None = None) -> list[int]:
    stmt = select(User.id).where(User.active.is_(True),
                                 User.id.in_(select(UserRole.user_id).where(UserRole.role.in_(roles))))
    if kind:
        stmt = stmt.where(User.organisation_id.in_(select(Organisation.id).where(Organisation.kind == kind)))
    return list(db.session.scalars(stmt))


def unread(actor: Actor, limit: int = 20) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(
        Notification.user_id == actor.user_id, Notification.read_at.is_(None)).order_by(Notification.id.desc()).limit(limit)))


def unread_count(actor: Actor) -> int:
    """How many notifications the actor has not read (the nav's badge)."""
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == actor.user_id, Notification.read_at.is_(None))) or 0


def inbox(actor: Actor, page: int = 1, per_page: int = 25, unread_only: bool = False) -> Page:
    """The actor's own notifications, unread first, newest first within each."""
    stmt = select(Notification).where(Notification.user_id == actor.user_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    stmt = stmt.order_by(Notification.read_at.is_not(None), Notification.id.desc())
    return paginate(stmt, page, per_page)


@unit_of_work
def mark_all_read(actor: Actor) -> int:
    """Mark every unread notification of the actor read; returns how many."""
    result = db.session.execute(update(Notification).where(
        Notification.user_id == actor.user_id, Notification.read_at.is_(None)).values(read_at=utcnow())
        .execution_options(synchronize_session=False))
    return int(result.rowcount or 0)


@unit_of_work
def mark_read(actor: Actor, notification_id: int) -> Notification:
    n = db.session.get(Notification, notification_id)
    if n is None or n.user_id != actor.user_id:
        raise NotFound(f"notification {notification_id} not found")
    n.read_at = n.read_at or utcnow()
    return n
