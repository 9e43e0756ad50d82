"""SQLite: transactions begin where SQLAlchemy says, and a unit of work takes the write lock first.

pysqlite opens a transaction only before a write, so a check read earlier (a capacity, a budget,
a state) is not protected by any lock, and ``SELECT ... FOR UPDATE`` means nothing to SQLite.
This is SQLAlchemy's documented recipe for pysqlite ("Serializable isolation / Savepoints /
Transactional DDL"): the driver's own transaction handling is switched off and the engine's
``begin`` event emits ``BEGIN``, or ``BEGIN IMMEDIATE`` inside a unit of work, which takes the
write lock before the unit reads anything. Writers then run one at a time; others wait up to
the busy timeout; readers read a snapshot and wait for nobody (WAL).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from .unit_of_work import WRITING

BUSY_TIMEOUT_MS = 30_000


def install(engine: Engine) -> None:
    """Attach the begin and connect hooks to a SQLite engine (other databases are left alone)."""
    if engine.dialect.name != "sqlite" or getattr(engine, "_creditline_locking", False):
        return
    engine._creditline_locking = True  # type: ignore[attr-defined]

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # no implicit BEGIN from the driver
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        # Reads now run in transactions (BEGIN): in write-ahead-log mode a reader never holds up
        # a writer's commit, so a page being rendered cannot stall a payment behind it.
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if WRITING.get() else "BEGIN")
