"""pytest-xdist: each worker its own PostgreSQL databases, copied from the ones it was given.

SQLite needs nothing: every worker has its own temporary folder, so its own database files.
On PostgreSQL the worker ``gw0`` given ``postgresql://.../creditline_test`` works in
``creditline_test_gw0``, made by ``CREATE DATABASE ... TEMPLATE creditline_test`` when the worker
starts and dropped when it ends. Without xdist (``-p no:xdist``, ``-n 0``) the given databases
are used as they are.
"""
from __future__ import annotations

import os

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

# The variables naming a PostgreSQL database the suite writes to.
DATABASE_VARIABLES = ("CREDITLINE_TEST_DATABASE_URL", "CREDITLINE_LIVE_DATABASE_URL")

_made: list[str] = []


def worker_database(url: str | None) -> str | None:
    """This worker's copy of the PostgreSQL database ``url`` (SQLite and unset URLs unchanged)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker or make_url(url).get_backend_name() != "postgresql":
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(hide_password=False)


def _server(url: str):
    # CREATE and DROP DATABASE run outside a transaction, from a database that is neither copy.
    return create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


def make_worker_databases() -> None:
    for variable in DATABASE_VARIABLES:
        given = os.environ.get(variable)
        mine = worker_database(given)
        if not given or mine == given:
            continue
        engine = _server(given)
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(mine).database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{make_url(mine).database}" TEMPLATE "{make_url(given).database}"'))
        engine.dispose()
        _made.append(mine)


def drop_worker_databases() -> None:
    while _made:
        mine = _made.pop()
        engine = _server(mine)
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(mine).database}" WITH (FORCE)'))
        engine.dispose()


# Tests run as one unit on one worker: the browser tests (one Chromium, one live server), and the
# schemathesis fuzz, whose roles share cases drawn once per process (about 20 s of CPU that a
# second worker would spend drawing the same cases again).
TOGETHER = ("tests/pages/", "tests/api/test_fuzz_schemathesis.py")


def browser_tests_on_one_worker(config, log):
    """xdist's ``load``, except that the browser tests (tests/pages) go to one worker, as one unit.

    Under plain ``load`` both workers ran browser tests, so each started its own Chromium, live
    server and seeded live database, and the one that drew the last (slowest) browser files kept
    the run waiting at the end. As one unit, queued first (xdist orders units by size), one worker
    walks the pages while the other takes the API and unit tests one at a time; then both share
    what is left. The schemathesis fuzz's roles go to one worker too (see ``TOGETHER``). An explicit
    ``--dist`` other than ``load`` is left as asked.
    """
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class BrowserTestsTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            for unit in TOGETHER:
                if nodeid.startswith(unit):
                    return unit
            return nodeid

    return BrowserTestsTogether(config, log)
