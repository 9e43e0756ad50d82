"""The audit trail as a list: what it shows and how the fund finds, sorts and downloads events."""
from __future__ import annotations

import json
from typing import Any

from flask import url_for
from sqlalchemy import func

from ..listing import DATES, SEARCH, Column, Filter, ListSpec
from ..audit.models import AuditEvent


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)


AUDIT_EVENTS = ListSpec(
    name="audit-trail", title="Audit trail", noun="event",
    columns=(
        Column("seq", "#", lambda e: e.seq, AuditEvent.seq),
        Column("occurred_at", "When (UTC)", lambda e: e.occurred_at, AuditEvent.occurred_at),
        Column("actor_email", "Who", lambda e: e.actor_email or "system", AuditEvent.actor_email,
               link=lambda e: url_for("audit.index", actor_id=e.actor_id) if e.actor_id else None),
        Column("action", "Action", lambda e: e.action, AuditEvent.action, kind="event"),
        Column("entity_type", "Entity", lambda e: e.entity_type, AuditEvent.entity_type, kind="code"),
        Column("entity_id", "Entity id", lambda e: e.entity_id, AuditEvent.entity_id,
               link=lambda e: url_for("audit.index", entity_type=e.entity_type, entity_id=e.entity_id)
               if e.entity_id else None),
        Column("before", "Before", lambda e: _json(e.before), on_page=False),
        Column("after", "After", lambda e: _json(e.after), on_page=False),
        Column("hash", "Hash", lambda e: e.hash, on_page=False),
    ),
    filters=(
        Filter("action", "Action", SEARCH, (AuditEvent.action,)),
        Filter("entity_type", "Entity type", SEARCH, (), match=lambda v: AuditEvent.entity_type == v),
        Filter("actor_email", "Actor e-mail", SEARCH, (),
               match=lambda v: func.lower(AuditEvent.actor_email) == v.lower()),
        Filter("occurred", "When", DATES, (AuditEvent.occurred_at,)),
    ),
    default_sort="-seq", tiebreak=AuditEvent.seq,
    empty="No events yet.",
)
