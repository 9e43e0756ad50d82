"""Fixtures shared by every layer: the app on SQLite or PostgreSQL, demo data, tokens."""
from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from creditline import create_app
from creditline.extensions import db

# CI runs the suite twice: on SQLite, then with this variable pointing at PostgreSQL.
TEST_DB_URL = os.environ.get("CREDITLINE_TEST_DATABASE_URL")

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
}


def make_app(db_url: str, **extra) -> Flask:
    """Build a test app bound to ``db_url``."""
    return create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": db_url, **extra})


@pytest.fixture(scope="session")
def app(tmp_path_factory) -> Iterator[Flask]:
    url = TEST_DB_URL or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    application = make_app(url)
    with application.app_context():
        db.drop_all()
        db.create_all()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def wipe(application: Flask) -> None:
    """Delete every row, children first, so each test starts empty."""
    with application.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture(autouse=True)
def _clean_db(request):
    yield
    if "app" in request.fixturenames:
        wipe(request.getfixturevalue("app"))


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
    from creditline.demo import seed_demo
    with app.app_context():
        result = seed_demo()
        db.session.remove()
    return result


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
