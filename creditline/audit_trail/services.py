"""The audit trail as the fund reads it: the events of one entity or person, newest first."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from ..audit.models import AuditEvent
from ..auth.permissions import Actor, require_portfolio
from ..listing import page_rows
from ..pagination import Page
from .lists import AUDIT_EVENTS


def events_query(actor: Actor, args: dict[str, Any]) -> Select[Any]:
    """Audit events of one entity or actor if asked (fund admins and the fund's auditors)."""
    require_portfolio(actor, action="read the audit trail")
    stmt = select(AuditEvent)
    for key in ("entity_id", "actor_id"):
        if args.get(key) is not None:
            stmt = stmt.where(getattr(AuditEvent, key) == args[key])
    return stmt


def list_events(actor: Actor, args: dict[str, Any]) -> Page:
    """List audit events, newest first (fund admins and the fund's auditors)."""
    return page_rows(AUDIT_EVENTS, events_query(actor, args), args)
