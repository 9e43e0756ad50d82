"""Migration 0007 on data older code allowed: two committed grants for one proposal are resolved,
not a failed upgrade. Runs on SQLite, and on PostgreSQL when CREDITLINE_TEST_DATABASE_URL is set."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy.exc import IntegrityError

from creditline.extensions import db

from ..conftest import make_app
from .test_platform import empty_db_url  # noqa: F401  (the scratch database fixture)

BEFORE = "0006_loan_lifecycle"
REASON = "blocked by migration 0007: a second committed grant for the same proposal"
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def _filler(column: sa.Column, n: int):
    """A plausible value for a required column of the schema as it was at 0006."""
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.Integer):
        return n
    if isinstance(kind, sa.Numeric):
        return Decimal("1")
    if isinstance(kind, sa.DateTime):
        return NOW
    if isinstance(kind, sa.Date):
        return NOW.date()
    if isinstance(kind, sa.JSON):
        return {}
    length = getattr(kind, "length", None) or 40
    return f"m7-{column.name}-{n}"[:length]


class Rows:
    """Insert rows with every required column filled, parents first (one parent row per table)."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn, self.meta, self.parents, self.n = conn, sa.MetaData(), {}, 0
        self.meta.reflect(conn)

    def add(self, table_name: str, **values) -> int:
        table = self.meta.tables[table_name]
        self.n += 1
        for column in table.columns:
            if column.name in values or column.nullable or column.primary_key:
                continue
            fks = list(column.foreign_keys)
            if fks:
                parent = fks[0].column.table.name
                if parent not in self.parents:
                    self.parents[parent] = self.add(parent)
                values[column.name] = self.parents[parent]
            else:
                values[column.name] = _filler(column, self.n)
        return self.conn.execute(table.insert().values(**values)).inserted_primary_key[0]


def grant(rows: Rows, proposal_id: int, status: str, created_at: dt.datetime, reason: str | None = None) -> int:
    # One grant per verification, as the 0004 unique constraint demands.
    verification = rows.add("verification", proposal_id=proposal_id)
    return rows.add("incentive_grant", verification_id=verification, proposal_id=proposal_id, status=status,
                    amount=Decimal("12345.67"), created_at=created_at, reason=reason)


def test_upgrade_blocks_the_second_committed_grant_then_builds_the_index(empty_db_url):  # noqa: F811
    app = make_app(empty_db_url)
    with app.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as conn:
            rows = Rows(conn)
            twice_paid_later = rows.add("proposal")
            twice_approved = rows.add("proposal")
            once = rows.add("proposal")
            ids = {
                # An older approved grant and a newer paid one: the paid one stays.
                "approved_older": grant(rows, twice_paid_later, "approved", NOW),
                "paid_newer": grant(rows, twice_paid_later, "paid", NOW + dt.timedelta(days=3)),
                # Two approved grants: the oldest stays; an earlier reason is kept after the new one.
                "approved_first": grant(rows, twice_approved, "approved", NOW),
                "approved_second": grant(rows, twice_approved, "approved", NOW + dt.timedelta(days=1), "typo"),
                "blocked_already": grant(rows, twice_approved, "blocked", NOW),
                "single": grant(rows, once, "approved", NOW),
            }
        upgrade()
        with db.engine.connect() as conn:
            table = sa.Table("incentive_grant", sa.MetaData(), autoload_with=conn)
            got = {key: tuple(conn.execute(sa.select(table.c.status, table.c.reason, table.c.amount)
                                           .where(table.c.id == gid)).one())
                   for key, gid in ids.items()}
        amount = Decimal("12345.67")
        assert got == {
            "approved_older": ("blocked", REASON, amount),
            "paid_newer": ("paid", None, amount),
            "approved_first": ("approved", None, amount),
            "approved_second": ("blocked", f"{REASON}; before: typo", amount),
            "blocked_already": ("blocked", None, amount),
            "single": ("approved", None, amount),
        }
        # The index now holds: a second committed grant for the proposal is refused by the database.
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            grant(Rows(conn), once, "paid", NOW)
        db.engine.dispose()
