"""Fixtures shared by every layer: the app on SQLite or PostgreSQL, demo data, tokens."""
from __future__ import annotations

import os
from datetime import date
from collections.abc import Iterator

import pytest
from flask import Flask
from hypothesis import settings
from flask.testing import FlaskClient

from creditline import clock, create_app
from creditline.extensions import db

from .db_state import TABLES, fast_sqlite
from .workers import browser_tests_on_one_worker, drop_worker_databases, make_worker_databases, worker_database

# Every test runs on this day unless it sets another (clock.today_is): no test depends on the
# day the suite runs. CREDITLINE_TEST_TODAY picks another day, to replay the suite as of it.
TEST_TODAY = date.fromisoformat(os.environ.get("CREDITLINE_TEST_TODAY", "2026-11-17"))
clock.set_today(TEST_TODAY)  # before test modules import: some compute dates at import time

# Property tests draw fresh examples on every run by default: a run at a desk may find what no
# earlier run found (print_blob gives the line that replays it). CI sets
# CREDITLINE_HYPOTHESIS=ci: the same examples every run, chosen from each test's name, and no
# per-example deadline on a loaded 2-core runner, so whether main lands never rests on a draw.
settings.register_profile("explore", print_blob=True)
settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("CREDITLINE_HYPOTHESIS", "explore"))

# CI runs the suite twice: on SQLite, then with this variable pointing at PostgreSQL. Under
# pytest-xdist each worker has a database of its own, made from that one (see tests/workers.py).
TEST_DB_URL = worker_database(os.environ.get("CREDITLINE_TEST_DATABASE_URL"))

ROLE_USERS = {
    "sme": "owner@textile.example",
    "bank_officer": "officer@bank.example",
    "credit_committee": "committee@bank.example",
    "verifier": "verifier@ncpc.example",
    "senior_verifier": "senior@ncpc.example",
    "fund_admin": "admin@fund.example",
    "auditor": "auditor@fund.example",
}
OTHER_SME = "owner@rolling.example"

TEST_CONFIG = {
    "TESTING": True,
    "WTF_CSRF_ENABLED": False,
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast in tests, scrypt in production
    "SECRET_KEY": "test-secret",
    # Many tests sign in from one address; tests/api/test_signin_limits.py sets real limits.
    "SIGNIN_LIMIT_PER_ADDRESS": "100000 per minute",
    "SIGNIN_LIMIT_PER_ACCOUNT": "100000 per minute",
}


def pytest_sessionstart(session) -> None:
    make_worker_databases()


def pytest_sessionfinish(session) -> None:
    drop_worker_databases()


@pytest.hookimpl(optionalhook=True)  # optional: the suite also runs without xdist (-p no:xdist)
def pytest_xdist_make_scheduler(config, log):
    return browser_tests_on_one_worker(config, log)


def make_app(db_url: str, **extra) -> Flask:
    """Build a test app bound to ``db_url``."""
    return create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": db_url, **extra})


@pytest.fixture(scope="session")
def app(tmp_path_factory) -> Iterator[Flask]:
    url = TEST_DB_URL or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    # Uploaded evidence goes to this run's own folder, not the clone's instance/ (shared by workers).
    application = make_app(url, UPLOAD_DIR=str(tmp_path_factory.mktemp("uploads")))
    with application.app_context():
        for engine in db.engines.values():
            fast_sqlite(engine)
        db.drop_all()
        db.create_all()
        for engine in db.engines.values():
            TABLES.watch(engine)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def wipe(application: Flask) -> None:
    """Delete every row, children first, so the next test starts empty."""
    TABLES.go(application, None)


@pytest.fixture(autouse=True)
def _fixed_clock() -> Iterator[None]:
    clock.set_today(TEST_TODAY)
    yield
    clock.set_today(TEST_TODAY)


@pytest.fixture(autouse=True)
def _clean_db(request):
    """Each test that uses the app starts on empty tables, or on the demo's if it asks for ``demo``.

    Only the tables the test wrote are put back (see ``TableState``), so a test that reads the
    demo costs nothing to clean up after.
    """
    uses_app = "app" in request.fixturenames
    if uses_app and "demo" not in request.fixturenames:
        TABLES.go(request.getfixturevalue("app"), None)
    yield
    if uses_app:
        TABLES.go(request.getfixturevalue("app"), TABLES.holds)


@pytest.fixture
def ctx(app) -> Iterator[None]:
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def demo(app) -> dict:
    return TABLES.demo(app, TEST_TODAY)


@pytest.fixture
def layer(app, demo):
    """``layer(name, build)``: what ``build`` makes on top of the demo, built once, copied back after.

    For a fixture that makes the same rows every time (a whole chain of API calls, say): the first
    test pays for ``build``, the next ones get its rows back in milliseconds. Ask for it before
    anything else writes in the test (a token issued first is a write), or ``build`` just runs.
    """
    return lambda name, build: TABLES.layer(app, name, build)


@pytest.fixture
def token_for(app, demo):
    """Return a function that gives an ``Authorization`` header for a demo user."""
    from sqlalchemy import select

    from creditline.auth.models import User
    from creditline.auth.services import issue_token

    cache: dict[str, dict[str, str]] = {}

    def headers(email_or_role: str) -> dict[str, str]:
        email = ROLE_USERS.get(email_or_role, email_or_role)
        if email not in cache:
            with app.app_context():
                user = db.session.execute(select(User).where(User.email == email)).scalar_one()
                plain, _ = issue_token(user)
                db.session.remove()
            cache[email] = {"Authorization": f"Bearer {plain}"}
        return cache[email]

    return headers


OUTSIDER_USERS = {
    # A second credit line's partners: none of them may see the demo line's objects.
    "bank_officer": "officer@otherbank.example",
    "credit_committee": "committee@otherbank.example",
    "verifier": "verifier@otherncpc.example",
    "senior_verifier": "senior@otherncpc.example",
    "auditor": "auditor@otherbank.example",  # an auditor outside the fund sees only its bank's scope
}


@pytest.fixture
def outsiders(app, demo, token_for, layer) -> dict:
    """A second credit line (Colombia) with its own bank, NCPC and users, for scope tests.

    Returns ``{"line": id, "headers": {role: Authorization header}}``; every demo object must
    answer 404 to these users, as if it did not exist.
    """
    def build() -> dict:
        from datetime import date
        from decimal import Decimal

        from creditline.auth.services import create_organisation, create_user
        from creditline.creditlines.services import create_credit_line
        from creditline.rulebooks import registry

        with app.app_context():
            bank = create_organisation(None, "bank", "Bancolombia Verde", "CO")
            ncpc = create_organisation(None, "ncpc", "Centro Nacional de Producción Más Limpia", "CO")
            fund = create_organisation(None, "fund", "Other Trust Fund", "CH")
            orgs = {"bank_officer": bank, "credit_committee": bank, "verifier": ncpc,
                    "senior_verifier": ncpc, "auditor": bank}
            for role, email in OUTSIDER_USERS.items():
                create_user(None, email=email, name=email.split("@")[0], password="outsider-pass",
                            organisation_id=orgs[role].id, roles=[role])
            book = registry().latest("gctf-co")
            line = create_credit_line(None, dict(
                name="GCTF Colombia", country="CO", currency="USD", rulebook_id=book.id,
                rulebook_version=book.version, ncpc_id=ncpc.id, fund_id=fund.id, bank_ids=[bank.id],
                guarantee_capacity=Decimal("1000000.00"), grant_budget=Decimal("1000000.00"),
                status="open", opened_on=date(2003, 1, 1)))
            line_id = line.id
            db.session.remove()
        return {"line": line_id, "headers": {role: token_for(email) for role, email in OUTSIDER_USERS.items()}}

    return layer("outsiders", build)


@pytest.fixture
def session_for(app, demo):
    """Return a function that gives a test client signed in to the pages as a demo user."""
    from creditline.demo import DEMO_PASSWORD

    def signed_in(email_or_role: str, password: str = DEMO_PASSWORD) -> FlaskClient:
        browser = app.test_client()
        email = ROLE_USERS.get(email_or_role, email_or_role)
        res = browser.post("/login", data={"email": email, "password": password})
        assert res.status_code == 302, f"{email} could not sign in: {res.status_code}"
        return browser

    return signed_in
