"""What the session's database holds between tests, and putting back only the tables a test wrote.

Every test that uses the app starts either on empty tables or on the demo (seeded once per day it
is asked for, then copied in). Wiping every table and copying the whole demo back after each test
cost more than most tests themselves; instead the SQL the app sends is watched, and after a test
only the tables it wrote (with the tables whose rows point at them) are emptied and refilled from
the demo's rows. A test that only reads costs nothing to clean up after. The rows come back with
their ids, timestamps and audit hashes, so a test sees exactly what a fresh seed would have given.

A statement that is neither a known read nor an INSERT/UPDATE/DELETE (DDL, say) marks every
table as written: the next clean-up is then the full one.
"""
from __future__ import annotations

import copy
import re
import threading
from collections.abc import Callable, Hashable
from datetime import date
from typing import Any, TypeVar

from flask import Flask
from sqlalchemy import Table, bindparam, event, tuple_
from sqlalchemy.engine import Engine

from creditline import clock
from creditline.extensions import db

T = TypeVar("T")
WRITE = re.compile(r'^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?)'
                   r'\s+(?:ONLY\s+)?"?(\w+)"?', re.IGNORECASE)
READ = re.compile(r"^\s*(?:SELECT|WITH\s+\w+\s+AS\s*\(\s*SELECT|PRAGMA|BEGIN|COMMIT|ROLLBACK|SAVEPOINT|"
                  r"RELEASE|SHOW|SET|EXPLAIN|VALUES)\b", re.IGNORECASE)


def fast_sqlite(engine: Engine) -> None:
    """No fsync on a test's SQLite file (as CI's PostgreSQL runs with fsync off): a crash loses nothing we keep."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _no_sync(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA synchronous = OFF")

    engine.dispose()  # connections opened before the hook was added get it too


class TableState:
    """The session app's tables: which snapshot they hold and which tables were written since.

    A snapshot is the demo as seeded on a day (key: the day), empty tables (key: None), or a layer
    a fixture built on top of another snapshot (key: (the snapshot below, the layer's name)).
    """

    def __init__(self) -> None:
        self.templates: dict[Hashable, tuple[dict[str, list[dict]], Any]] = {None: ({}, None)}
        self.holds: Hashable = None
        self.dirty: set[str] = set()
        self.everything = False
        self._ours = threading.local()  # our own clean-up statements are not the test's writes
        self._differs: dict[tuple[Hashable, Hashable], tuple[dict[str, tuple[list, list, list]], set[str]]] = {}
        self._closures: dict[frozenset[str], set[str]] = {}
        self._order: tuple[int, list[Table], dict[str, set[str]]] | None = None

    def _tables(self) -> tuple[list[Table], dict[str, set[str]]]:
        """The tables parents first, and per table the tables pointing at it.

        ``metadata.sorted_tables`` sorts every table again on each call, and this runs twice per test:
        kept until a table is added to the metadata.
        """
        if self._order is None or self._order[0] != len(db.metadata.tables):
            tables = db.metadata.sorted_tables
            referrers: dict[str, set[str]] = {}
            for table in tables:
                for fk in table.foreign_keys:
                    referrers.setdefault(fk.column.table.name, set()).add(table.name)
            self._order = (len(db.metadata.tables), tables, referrers)
            self._closures.clear()
        return self._order[1], self._order[2]

    def watch(self, engine: Engine) -> None:
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn, _cursor, statement: str, *_args) -> None:
        if getattr(self._ours, "active", False):
            return
        written = WRITE.match(statement)
        if written:
            self.dirty.add(written.group(1))
        elif not READ.match(statement):
            self.everything = True

    def _differ(self, a: Hashable, b: Hashable) -> tuple[dict[str, tuple[list, list, list]], set[str]]:
        """Per table whose rows differ between two snapshots: (keys only in a, rows only in b, rows
        changed as (in a, in b)); and the tables that cannot go from a to b row by row."""
        if (a, b) not in self._differs:
            rows_a, rows_b = self.templates[a][0], self.templates[b][0]
            changes = {}
            for table in db.metadata.sorted_tables:
                old, new = rows_a.get(table.name, []), rows_b.get(table.name, [])
                if old == new:
                    continue
                key = [c.name for c in table.primary_key.columns]
                by_key_a = {tuple(r[k] for k in key): r for r in old}
                by_key_b = {tuple(r[k] for k in key): r for r in new}
                changes[table.name] = ([k for k in by_key_a if k not in by_key_b],
                                       [r for k, r in by_key_b.items() if k not in by_key_a],
                                       [(by_key_a[k], r) for k, r in by_key_b.items() if k in by_key_a and by_key_a[k] != r])
            # A changed row still pointing at a row that goes would stop that row's deletion
            # (it is updated only after the deletions): such a table is refilled whole instead.
            gone = {name: set(change[0]) for name, change in changes.items()}
            unsafe = {name for name, (_, _, changed) in changes.items()
                      for fk in db.metadata.tables[name].foreign_keys
                      for old_row, _ in changed if (old_row[fk.parent.name],) in gone.get(fk.column.table.name, ())}
            self._differs[(a, b)] = (changes, unsafe)
        return self._differs[(a, b)]

    def _with_referrers(self, names: set[str]) -> set[str]:
        """These tables and every table pointing at them (their rows go when the parents' do)."""
        if self.everything:
            return set(db.metadata.tables)
        _, referrers = self._tables()
        key = frozenset(names)
        if key not in self._closures:
            found: set[str] = set()
            todo = [n for n in names if n in db.metadata.tables]
            while todo:
                name = todo.pop()
                if name not in found:
                    found.add(name)
                    todo.extend(referrers.get(name, ()))
            self._closures[key] = found
        return set(self._closures[key])

    def go(self, application: Flask, key: Hashable) -> None:
        """Make the tables hold the snapshot ``key``.

        The tables the test wrote (and those pointing at them) are emptied and refilled; of the
        others, where the snapshot held differs from ``key``, only the rows that differ are
        deleted, inserted or updated, by primary key.
        """
        changes, unsafe = ({}, set()) if self.holds == key else self._differ(self.holds, key)
        refill = self._with_referrers(self.dirty | unsafe)
        if refill or changes:
            rows = self.templates[key][0]
            tables, _ = self._tables()
            with application.app_context():
                db.session.remove()
                self._ours.active = True
                try:
                    with db.engine.begin() as conn:
                        for table in reversed(tables):  # children first
                            if table.name in refill:
                                conn.execute(table.delete())
                            elif table.name in changes and changes[table.name][0]:
                                conn.execute(table.delete().where(tuple_(*table.primary_key.columns).in_(changes[table.name][0])))
                        for table in tables:  # parents first
                            if table.name in refill:
                                if rows.get(table.name):
                                    conn.execute(table.insert(), rows[table.name])
                            elif table.name in changes:
                                _, added, changed = changes[table.name]
                                if added:
                                    conn.execute(table.insert(), added)
                                if changed:
                                    where = [c == bindparam(f"pk_{c.name}") for c in table.primary_key.columns]
                                    conn.execute(table.update().where(*where),
                                                 [{**r, **{f"pk_{c.name}": r[c.name] for c in table.primary_key.columns}}
                                                  for _, r in changed])
                finally:
                    self._ours.active = False
                db.session.remove()
        self.holds, self.everything = key, False
        self.dirty.clear()

    def _keep(self, application: Flask, key: Hashable, result: Any) -> None:
        with application.app_context():
            db.session.remove()
            with db.engine.connect() as conn:
                rows = {t.name: [dict(r) for r in conn.execute(t.select().order_by(*t.primary_key.columns)).mappings()] for t in db.metadata.sorted_tables}
        self.templates[key] = (rows, result)
        self.holds, self.everything = key, False
        self.dirty.clear()

    def demo(self, application: Flask, day: date) -> dict:
        """The demo as seeded on ``day`` (seeded the first time, copied after); what seeding returned."""
        if day not in self.templates:
            from creditline.demo import seed_demo
            self.go(application, None)
            with clock.today_is(day), application.app_context():
                result = seed_demo()
                db.session.remove()
            self._keep(application, day, result)
        else:
            self.go(application, day)
        return copy.deepcopy(self.templates[day][1])

    def layer(self, application: Flask, name: str, build: Callable[[], T]) -> T:
        """What ``build`` makes on top of the snapshot the tables hold: built once, copied back after.

        ``build`` must make the same rows every time from the same snapshot. A test that wrote
        before asking for the layer has no snapshot under it: ``build`` then just runs.
        """
        if self.dirty or self.everything:
            return build()
        key = (self.holds, name)
        if key in self.templates:
            self.go(application, key)
        else:
            self._keep(application, key, build())
        return copy.deepcopy(self.templates[key][1])


TABLES = TableState()
