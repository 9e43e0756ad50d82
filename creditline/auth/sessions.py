"""Web sessions kept on the server: a browser is signed in only while its row is live.

The cookie carries a random id (only its SHA-256 is stored). Signing out ends that one row;
a password reset or a disable ends every row of the user (``User.end_sessions``); a row idle
longer than ``SESSION_IDLE_SECONDS`` or older than ``SESSION_MAX_SECONDS`` ends on its next use.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from ..audit.services import record
from ..database import as_utc, utcnow
from ..extensions import db
from ..unit_of_work import transaction, unit_of_work
from .models import User, WebSession
from .permissions import Actor

# last_seen_at is written at most this often, so a page with many requests costs one write.
TOUCH_EVERY = timedelta(seconds=60)
# Ended rows are kept a while for the record, then removed by the daily job (creditline.housekeeping).
KEEP_ENDED = timedelta(days=30)


def _digest(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


@unit_of_work
def start_session(user: User) -> str:
    """Open a session for ``user``; return the random id for the cookie (never stored)."""
    plain = secrets.token_urlsafe(32)
    now = utcnow()
    row = WebSession(token_hash=_digest(plain), user_id=user.id, created_at=now, last_seen_at=now)
    db.session.add(row)
    db.session.flush()
    record(Actor.of(user), "auth.signed_in", "web_session", row.id, None, {"user_id": user.id})
    return plain


def _find(plain: str | None) -> WebSession | None:
    if not plain:
        return None
    return db.session.execute(select(WebSession).where(WebSession.token_hash == _digest(plain))
                              ).scalar_one_or_none()


@unit_of_work
def _end(row: WebSession, reason: str, actor: Actor | None, now: datetime) -> None:
    row.ended_at = now
    row.end_reason = reason
    action = "auth.signed_out" if reason == "signed_out" else "auth.session_expired"
    record(actor, action, "web_session", row.id, {"ended_at": None}, {"ended_at": now, "reason": reason})


def check_session(plain: str | None, user_id: int) -> bool:
    """Tell whether the cookie's session is live for ``user_id``; end it if it has run out."""
    row = _find(plain)
    if row is None or row.user_id != user_id or row.ended_at is not None:
        return False
    now = utcnow()
    cfg = current_app.config
    last_seen = as_utc(row.last_seen_at)
    if now - last_seen > timedelta(seconds=cfg["SESSION_IDLE_SECONDS"]):
        _end(row, "idle", None, now)
        return False
    if now - as_utc(row.created_at) > timedelta(seconds=cfg["SESSION_MAX_SECONDS"]):
        _end(row, "expired", None, now)
        return False
    if now - last_seen >= TOUCH_EVERY:
        with transaction():  # only this write takes the write lock, not every check
            db.session.get(WebSession, row.id).last_seen_at = now
    return True


def end_session(plain: str | None, user: User) -> None:
    """Sign out: end this browser's session only; the user's other sessions stay open."""
    row = _find(plain)
    if row is not None and row.user_id == user.id and row.ended_at is None:
        _end(row, "signed_out", Actor.of(user), utcnow())
