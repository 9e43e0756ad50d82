"""Web sessions live on the server: sign-out, a password reset, a disable and idle time end them.

A copied cookie is replayed after each of these; it must no longer sign anyone in.
"""
from datetime import timedelta

from sqlalchemy import select

from creditline import clock
from creditline.audit.models import AuditEvent
from creditline.auth.models import User, WebSession
from creditline.demo import DEMO_PASSWORD
from creditline.extensions import db

OFFICER = "officer@bank.example"


def sign_in(client, email=OFFICER):
    res = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
    assert res.status_code == 302, res.data
    return client.get_cookie("session").value


def signed_in(client) -> bool:
    """Tell whether the browser's cookie still opens a page and the API as its user."""
    page = client.get("/")
    api = client.get("/api/v1/auth/me")
    assert (page.status_code == 200) == (api.status_code == 200), (page.status_code, api.status_code)
    if page.status_code == 302:
        assert "/login" in page.headers["Location"]
    return page.status_code == 200


def rows(app, email=OFFICER):
    with app.app_context():
        user_id = db.session.execute(select(User.id).where(User.email == email)).scalar_one()
        return [(r.ended_at is not None, r.end_reason) for r in db.session.execute(
            select(WebSession).where(WebSession.user_id == user_id).order_by(WebSession.id)).scalars()]


def test_a_cookie_copied_before_sign_out_no_longer_signs_in(app, client, demo):
    cookie = sign_in(client)
    assert signed_in(client)
    assert client.post("/logout").status_code == 302
    client.set_cookie("session", cookie)  # the old cookie, replayed by whoever copied it
    assert not signed_in(client)
    assert rows(app) == [(True, "signed_out")]


def test_signing_out_ends_this_browser_only(app, demo):
    office, laptop = app.test_client(), app.test_client()
    sign_in(office)
    sign_in(laptop)
    office.post("/logout")
    assert not signed_in(office)
    assert signed_in(laptop)
    assert rows(app) == [(True, "signed_out"), (False, None)]


def test_a_password_reset_ends_every_session_of_the_user(app, demo, token_for):
    office, laptop = app.test_client(), app.test_client()
    cookies = [sign_in(office), sign_in(laptop)]
    me = office.get("/api/v1/auth/me").get_json()["id"]
    res = app.test_client().patch(f"/api/v1/users/{me}", json={"password": "a-brand-new-secret"},
                                  headers=token_for("fund_admin"))
    assert res.status_code == 200
    for client, cookie in zip((office, laptop), cookies):
        client.set_cookie("session", cookie)
        assert not signed_in(client)
    assert rows(app) == [(True, "password_reset"), (True, "password_reset")]


def test_a_disable_ends_every_session_and_enabling_does_not_revive_them(app, client, demo, token_for):
    cookie = sign_in(client)
    me = client.get("/api/v1/auth/me").get_json()["id"]
    admin = token_for("fund_admin")
    other = app.test_client()
    assert other.post(f"/api/v1/users/{me}/disable", headers=admin).status_code == 200
    assert other.post(f"/api/v1/users/{me}/enable", headers=admin).status_code == 200
    client.set_cookie("session", cookie)
    assert not signed_in(client)
    assert rows(app) == [(True, "disabled")]


def test_a_session_idle_too_long_ends_and_activity_keeps_it_open(app, demo):
    idle = app.config["SESSION_IDLE_SECONDS"]
    busy, quiet = app.test_client(), app.test_client()
    sign_in(busy)
    sign_in(quiet)
    start = clock.now()
    for step in (1, 2, 3):  # a request every two thirds of the idle time: never idle too long
        clock.set_today(start + timedelta(seconds=step * idle * 2 // 3))
        assert signed_in(busy)
    assert not signed_in(quiet)
    assert sorted(rows(app)) == [(False, None), (True, "idle")]


def test_a_session_ends_at_its_maximum_age_even_when_busy(app, demo, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_MAX_SECONDS", 3600)
    client = app.test_client()
    sign_in(client)
    start = clock.now()
    clock.set_today(start + timedelta(minutes=25))
    assert signed_in(client)
    clock.set_today(start + timedelta(minutes=50))
    assert signed_in(client)
    clock.set_today(start + timedelta(minutes=61))
    assert not signed_in(client)
    assert rows(app) == [(True, "expired")]


def test_a_cookie_of_another_users_session_is_refused(app, demo):
    """The session id is bound to its user: pasting it under another user's id gets nothing."""
    officer, committee = app.test_client(), app.test_client()
    sign_in(officer)
    sign_in(committee, "committee@bank.example")
    with officer.session_transaction() as officer_session, committee.session_transaction() as theirs:
        theirs["sid"] = officer_session["sid"]
    assert not signed_in(committee)
    assert signed_in(officer)


def test_sign_in_and_sign_out_are_audited(app, client, demo):
    sign_in(client)
    client.post("/logout")
    with app.app_context():
        events = db.session.execute(select(AuditEvent).where(AuditEvent.entity_type == "web_session")
                                    .order_by(AuditEvent.seq)).scalars().all()
        assert [(e.action, e.actor_email) for e in events] == [
            ("auth.signed_in", OFFICER), ("auth.signed_out", OFFICER)]
        assert events[1].after["reason"] == "signed_out"


def test_sign_in_starts_a_fresh_cookie_session(client, demo):
    """Whatever a planted cookie carried before sign-in is gone after it (session fixation)."""
    with client.session_transaction() as planted:
        planted["sid"] = "chosen-by-an-attacker"
        planted["note"] = "planted"
    sign_in(client)
    with client.session_transaction() as fresh:
        assert "note" not in fresh
        assert fresh["sid"] != "chosen-by-an-attacker"
