"""Queue notifications idempotently, list and mark them read."""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import select

from ..auth.models import Organisation, User, UserRole
from ..auth.permissions import Actor
from ..database import utcnow
from ..errors import NotFound
from ..extensions import db
from .models import Notification


def queue(user_ids: Iterable[int], kind: str, subject: str, body: str, key: str, url: str | None = None,
          entity: tuple[str, int] | None = None) -> int:
    """Add one notification per user unless the same key was queued before; returns how many were added."""
    added = 0
    for uid in sorted(set(user_ids)):
        dedupe = f"{key}:user:{uid}"
        if db.session.scalar(select(Notification.id).where(Notification.dedupe_key == dedupe)):
            continue
        db.session.add(Notification(user_id=uid, kind=kind, subject=subject[:200], body=body, url=url,
                                    entity_type=entity[0] if entity else None, entity_id=entity[1] if entity else None,
                                    dedupe_key=dedupe))
        added += 1
    db.session.flush()
    return added


def users_of(organisation_id: int, *roles: str) -> list[int]:
    """Active users of an organisation holding any of the roles (all roles when none given)."""
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


def mark_read(actor: Actor, notification_id: int) -> Notification:
    n = db.session.get(Notification, notification_id)
    if n is None or n.user_id != actor.user_id:
        raise NotFound(f"notification {notification_id} not found")
    n.read_at = n.read_at or utcnow()
    db.session.commit()
    return n
