"""The daily job's clean-up: records that have served their purpose are removed, never kept forever.

- web sessions ended (signed out, reset, disabled, expired) or unused for ``KEEP_ENDED``;
- idempotency keys older than ``KEEP_KEYS``: a client retries within minutes, not weeks;
  a key still marked in progress after a day belongs to a request that died, and is freed.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import delete, or_

from .auth.models import WebSession
from .auth.sessions import KEEP_ENDED
from .extensions import db
from .idempotency import IdempotencyKey

KEEP_KEYS = timedelta(days=30)
STUCK_AFTER = timedelta(days=1)


def housekeeping_step(day: date) -> dict[str, Any]:
    """Remove old sessions and idempotency keys as of ``day``; return how many of each."""
    start = datetime.combine(day, time(0, 0), tzinfo=timezone.utc)
    sessions = db.session.execute(delete(WebSession).where(
        or_(WebSession.ended_at < start - KEEP_ENDED, WebSession.last_seen_at < start - KEEP_ENDED))).rowcount
    keys = db.session.execute(delete(IdempotencyKey).where(
        or_(IdempotencyKey.created_at < start - KEEP_KEYS,
            (IdempotencyKey.status == "in_progress") & (IdempotencyKey.created_at < start - STUCK_AFTER)))).rowcount
    return {"sessions_removed": int(sessions or 0), "idempotency_keys_removed": int(keys or 0)}
