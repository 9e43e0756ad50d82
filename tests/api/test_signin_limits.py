"""Sign-in limits per client address and per account, on the login page and the token route.

These tests build an app with low limits (the suite's config raises them out of the way).
"""
import limits.storage.memory
import pytest
from sqlalchemy import func, select

from creditline.audit.models import AuditEvent
from creditline.auth.models import User
from creditline.demo import DEMO_PASSWORD
from creditline.extensions import db

from ..conftest import make_app

OFFICER = "officer@bank.example"


@pytest.fixture
def limited(tmp_path):
    """An app allowing 4 attempts a minute per address and 3 per account."""
    app = make_app(f"sqlite:///{tmp_path / 'limits.db'}", SIGNIN_LIMIT_PER_ADDRESS="4 per minute",
                   SIGNIN_LIMIT_PER_ACCOUNT="3 per minute")
    with app.app_context():
        db.create_all()
        from creditline.demo import seed_demo
        seed_demo()
        db.session.remove()
    return app


def token(client, email, password="wrong-password", address="10.0.0.1"):
    return client.post("/api/v1/auth/token", json={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def page(client, email, password="wrong-password", address="10.0.0.1"):
    return client.post("/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def assert_refused(res, what):
    assert res.status_code == 429
    assert 1 <= int(res.headers["Retry-After"]) <= 61
    if res.is_json:
        body = res.get_json()
        assert body == {"code": "too_many_requests", "status": 429, "errors": {},
                        "message": f"too many sign-in attempts for {what}; try again in "
                                   f"{res.headers['Retry-After']} seconds"}
    else:
        assert f"Too many sign-in attempts for {what}" in res.get_data(as_text=True)


def test_one_address_cannot_try_many_accounts_quickly(limited):
    client = limited.test_client()
    accounts = ["committee@bank.example", "verifier@ncpc.example", "senior@ncpc.example"]
    for email in accounts:
        assert token(client, email).status_code == 401
    assert page(client, "auditor@fund.example").status_code == 401  # the page and the API share it
    res = token(client, "owner@rolling.example", DEMO_PASSWORD)
    assert res.status_code == 429
    assert res.get_json()["message"].startswith("too many sign-in attempts from this address")
    assert page(client, "owner@rolling.example", DEMO_PASSWORD).status_code == 429
    # Another address is not held back.
    assert token(client, "owner@rolling.example", DEMO_PASSWORD, address="10.0.0.2").status_code == 201


def test_many_addresses_cannot_try_one_account_quickly(limited):
    client = limited.test_client()
    spellings = [OFFICER, "Officer@Bank.example", "OFFICER@BANK.EXAMPLE"]
    for n, email in enumerate(spellings):
        assert token(client, email, address=f"10.0.1.{n}").status_code == 401
    # The owner, from their own address and with the right password, waits too: briefly.
    assert_refused(token(client, OFFICER, DEMO_PASSWORD, address="10.0.9.9"), "this account")
    assert_refused(page(client, OFFICER, DEMO_PASSWORD, address="10.0.9.9"), "this account")
    # Other accounts are not held back.
    assert token(client, "committee@bank.example", DEMO_PASSWORD, address="10.0.1.0").status_code == 201


def test_a_refused_attempt_changes_nothing(limited):
    client = limited.test_client()
    for n in range(3):
        token(client, OFFICER, address=f"10.0.2.{n}")

    def state():
        with limited.app_context():
            user = db.session.execute(select(User).where(User.email == OFFICER)).scalar_one()
            events = db.session.scalar(select(func.count()).select_from(AuditEvent))
            return user.failed_logins, user.locked_until, events

    before = state()
    for _ in range(5):
        assert token(client, OFFICER).status_code == 429
    assert state() == before


def test_the_owner_signs_in_once_the_window_has_passed(limited, monkeypatch):
    client = limited.test_client()
    for n in range(3):
        token(client, OFFICER, address=f"10.0.3.{n}")
    res = token(client, OFFICER, DEMO_PASSWORD)
    assert res.status_code == 429
    wait = int(res.headers["Retry-After"])

    class Later:  # the limiter's clock, moved on past the window instead of sleeping
        @staticmethod
        def time(real=limits.storage.memory.time.time):
            return real() + wait + 1

    monkeypatch.setattr(limits.storage.memory, "time", Later)
    assert token(client, OFFICER, DEMO_PASSWORD).status_code == 201


def test_reading_pages_is_not_limited(limited):
    client = limited.test_client()
    for _ in range(10):
        assert client.get("/login", environ_base={"REMOTE_ADDR": "10.0.4.1"}).status_code == 200
    assert token(client, OFFICER, DEMO_PASSWORD, address="10.0.4.1").status_code == 201


def test_behind_a_trusted_proxy_each_client_address_counts_on_its_own(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'proxy.db'}", SIGNIN_LIMIT_PER_ADDRESS="2 per minute", PROXY_HOPS=1)
    with app.app_context():
        db.create_all()
    client = app.test_client()

    def via_proxy(client_address):
        return client.post("/api/v1/auth/token", json={"email": "a@b.example", "password": "x"},
                           environ_base={"REMOTE_ADDR": "10.9.9.9"},
                           headers={"X-Forwarded-For": client_address})

    assert [via_proxy("198.51.100.7").status_code for _ in range(3)] == [401, 401, 429]
    assert via_proxy("198.51.100.8").status_code == 401  # another client behind the same proxy
