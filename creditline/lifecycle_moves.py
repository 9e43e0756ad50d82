"""The one way a state changes: a conditional update checked against the lifecycle table, audited.

``UPDATE ... SET status = :to WHERE id = :id AND status = :from`` is the check that holds when
several people act at once: of two racing moves from the same state exactly one updates the
row; the other finds no row and answers 409 with the state now in the database and its allowed
next states. On PostgreSQL the loser's update waits for the winner's row lock and then sees
the new state; on SQLite the unit of work's write lock already serialises them.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql import ClauseElement

from .audit.services import record
from .auth.permissions import Actor
from .errors import InvalidTransition
from .extensions import db
from .states import Lifecycle


def move(actor: Actor | None, obj: Any, lifecycle: Lifecycle, target: str, *, action: str | None = None,
         entity_type: str | None = None, before: dict[str, Any] | None = None, after: dict[str, Any] | Callable[[], dict[str, Any]] | None = None,
         values: dict[str, Any] | None = None) -> str:
    """Move ``obj`` (a row with ``id`` and ``status``) to ``target`` and audit it; return the state it left.

    ``values`` are columns changed in the same conditional update; ``before``/``after`` are the
    audited snapshots (default: the status; ``after`` may be a function, read once the row has
    moved). The audit action is ``<entity>.<target>`` unless ``action`` names it; ``entity_type``
    names the audited entity when it differs from the lifecycle's name.
    """
    source = obj.status
    lifecycle.check(source, target)
    model = type(obj)
    changes = {"status": target, **(values or {})}
    # The moved object is updated in place below, not by "evaluate", which tests the update's
    # criteria against every object in the session (one bulk import's thousands of loans, each move).
    result = db.session.execute(update(model).where(model.id == obj.id, model.status == source).values(**changes)
                                .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        current = db.session.scalar(select(model.status).where(model.id == obj.id)
                                    .execution_options(populate_existing=True))
        raise InvalidTransition(lifecycle.entity, current or "missing", target,
                                lifecycle.allowed(current or ""))
    for name, value in changes.items():
        if isinstance(value, ClauseElement):
            db.session.expire(obj, [name])  # computed by the database: read again when next used
        else:
            set_committed_value(obj, name, value)
    audited_after = after() if callable(after) else after
    record(actor, action or f"{lifecycle.entity}.{target}", entity_type or lifecycle.entity, obj.id,
           before if before is not None else {"status": source},
           audited_after if audited_after is not None else {"status": target})
    return source
