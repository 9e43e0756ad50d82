"""The unit of work: one commit per outermost call, everything rolled back on an error, the write lock first."""
from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from creditline.auth.models import Organisation
from creditline.errors import Conflict
from creditline.extensions import db
from creditline.unit_of_work import keep_changes, transaction, unit_of_work


def organisations(app) -> int:
    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(Organisation))
        db.session.remove()
    return n


@unit_of_work
def _add(name: str) -> None:
    db.session.add(Organisation(kind="bank", name=name, country="VN"))
    db.session.flush()


def test_an_inner_unit_joins_the_outer_one_and_fails_with_it(app):
    with app.app_context():
        with pytest.raises(RuntimeError):
            with transaction():
                _add("Inner Bank")  # an inner unit: it must not commit on its own
                raise RuntimeError("the outer call fails after the inner one")
        db.session.remove()
    assert organisations(app) == 0
    with app.app_context():
        with transaction():
            _add("Inner Bank")
            _add("Second Bank")
        db.session.remove()
    assert organisations(app) == 2


def test_a_kept_refusal_commits_what_came_before_it(app):
    with app.app_context():
        with pytest.raises(Conflict):
            with transaction():
                _add("Audited Bank")
                raise keep_changes(Conflict("refused, but the record stays"))
        with pytest.raises(Conflict):
            with transaction():
                _add("Dropped Bank")
                raise Conflict("refused, and nothing stays")
        db.session.remove()
    assert organisations(app) == 1


def test_on_sqlite_a_unit_holds_the_write_lock_from_its_first_read(app):
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite":
        pytest.skip("SQLite's BEGIN IMMEDIATE")
    other = sqlite3.connect(url.database, timeout=0, isolation_level=None)
    try:
        with app.app_context():
            with transaction():
                db.session.scalar(select(func.count()).select_from(Organisation))  # a read, no write yet
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    other.execute("BEGIN IMMEDIATE")
            db.session.remove()
        other.execute("BEGIN IMMEDIATE")  # free again once the unit has committed
        other.execute("ROLLBACK")
    finally:
        other.close()
