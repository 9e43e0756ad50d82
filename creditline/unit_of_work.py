"""One unit of work per service call: one transaction, committed once at the end, or rolled back.

Services are decorated with :func:`unit_of_work` (or open ``with transaction():``). The
outermost unit ends whatever read transaction the request had open, so everything it reads is
read inside its own transaction; on SQLite that transaction starts with ``BEGIN IMMEDIATE``
(see :mod:`creditline.sqlite_locking`), which takes the database's write lock at once, so the
checks a unit makes (capacity, budget, a state) still hold when it writes. A unit entered
inside another joins it: only the outermost commits. Any exception rolls everything back,
except a refusal marked with :func:`keep_changes` (a failed sign-in is audited and counted even
though the caller gets an error).
"""
from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from sqlalchemy import event, select
from sqlalchemy.orm import Mapper, Session, SessionTransaction, object_session
from sqlalchemy.orm.util import identity_key

from .extensions import db

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])
E = TypeVar("E", bound=BaseException)
T = TypeVar("T")

# How deep the current context is in units of work (0: outside any).
_DEPTH: ContextVar[int] = ContextVar("creditline_uow_depth", default=0)
# Work to do once the outermost unit has committed (e-mail): never inside the transaction.
_AFTER_COMMIT: ContextVar[list[Callable[[], None]] | None] = ContextVar("creditline_uow_after_commit", default=None)
# Read by the SQLite begin hook: a transaction started now is for writing.
WRITING: ContextVar[bool] = ContextVar("creditline_uow_writing", default=False)


def keep_changes(exc: E) -> E:
    """Mark a refusal whose audit trail (and counters) must be committed before it is raised."""
    exc.keep_changes = True  # type: ignore[attr-defined]
    return exc


def after_commit(fn: Callable[[], None]) -> bool:
    """Run ``fn`` once the current unit of work has committed (not at all if it rolls back).

    Returns False outside a unit of work (nothing is scheduled). ``fn``'s errors are logged and
    swallowed: the action it follows has already succeeded.
    """
    pending = _AFTER_COMMIT.get()
    if pending is None:
        return False
    pending.append(fn)
    return True


def _run_after_commit(pending: list[Callable[[], None]]) -> None:
    for fn in pending:
        try:
            fn()
        except Exception:  # noqa: BLE001 - a follow-up must not turn a committed action into an error
            log.exception("after-commit work failed")


def in_unit_of_work() -> bool:
    """Tell whether the caller runs inside a unit of work."""
    return _DEPTH.get() > 0


@contextmanager
def transaction() -> Iterator[None]:
    """Run the block as one unit of work (or as part of the one already open)."""
    depth = _DEPTH.get()
    if depth:
        token = _DEPTH.set(depth + 1)
        try:
            yield
        finally:
            _DEPTH.reset(token)
        return
    session = db.session()  # the scoped session's Session for this app context
    if session.in_transaction():
        # End the request's read transaction (committing anything added before the unit, as
        # the services' own commits did) so the unit's reads and writes share one transaction
        # that begins for writing.
        session.commit()
    depth_token, writing_token = _DEPTH.set(1), WRITING.set(True)
    pending: list[Callable[[], None]] = []
    pending_token = _AFTER_COMMIT.set(pending)
    committed = False
    try:
        try:
            yield
        except BaseException as exc:
            if getattr(exc, "keep_changes", False):
                session.commit()
            else:
                session.rollback()
            raise
        try:
            session.commit()
            committed = True
        except BaseException:
            session.rollback()
            raise
    finally:
        _DEPTH.reset(depth_token)
        WRITING.reset(writing_token)
        _AFTER_COMMIT.reset(pending_token)
    if committed:
        _run_after_commit(pending)


def unit_of_work(fn: F) -> F:
    """Decorate a service function: its whole call is one unit of work."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with transaction():
            return fn(*args, **kwargs)
    return wrapper  # type: ignore[return-value]


def lock(model: type, row_id: int) -> Any:
    """Load a row for update, fresh from the database (PostgreSQL locks it; SQLite's unit already holds the write lock).

    A row this transaction inserted is returned as the session holds it: no other transaction
    can see it, let alone change it, before this one commits, and reading it again would reload
    every eager collection (a loan tape's loans are each locked twice, with their schedules).
    """
    key = identity_key(model, row_id)
    if key in db.session.info.get(_CREATED, ()):
        held = db.session.identity_map.get(key)
        if held is not None:
            return held
    return db.session.execute(select(model).where(model.id == row_id).with_for_update()
                              .execution_options(populate_existing=True)).scalar_one_or_none()


# The identities of the rows the session's current transaction inserted (read by ``lock``).
_CREATED = "rows_inserted_in_transaction"


@event.listens_for(Mapper, "after_insert")
def _note_inserted(mapper: Mapper, connection: Any, target: Any) -> None:
    session = object_session(target)
    if session is not None:
        session.info.setdefault(_CREATED, set()).add(mapper.identity_key_from_instance(target))


@event.listens_for(Session, "after_transaction_end")
def _forget_inserted(session: Session, trans: SessionTransaction) -> None:
    if trans.parent is None:  # the outermost transaction: committed or rolled back, its rows are no one's own
        session.info.pop(_CREATED, None)


@contextmanager
def remembered(name: str) -> Iterator[None]:
    """Inside the block, :func:`remember` keeps what is asked under ``name`` for the block's session.

    For a block that asks the same question many times while its answer cannot change (a loan
    tape's rows ask for each proposal's rulebook and each organisation's people over and over).
    A block inside another of the same name joins it.
    """
    session = db.session
    if name in session.info:
        yield
        return
    session.info[name] = {}
    try:
        yield
    finally:
        session.info.pop(name, None)


def remember(name: str, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, worked out once per ``key`` inside a :func:`remembered` block of ``name`` (every time outside one)."""
    known = db.session.info.get(name)
    if known is None:
        return compute()
    if key not in known:
        known[key] = compute()
    return known[key]  # type: ignore[no-any-return]
