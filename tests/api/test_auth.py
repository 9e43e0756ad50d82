"""Tokens: issue, use, expire, revoke; lock-out after repeated failures."""
from datetime import timedelta

from sqlalchemy import select

from creditline.audit.models import AuditEvent
from creditline.auth.models import ApiToken, User
from creditline.database import utcnow
from creditline.demo import DEMO_PASSWORD
from creditline.extensions import db

from ..factories import proposal_body


def login(client, email, password=DEMO_PASSWORD):
    return client.post("/api/v1/auth/token", json={"email": email, "password": password})


def test_token_grants_access_and_names_the_user(client, demo):
    res = login(client, "officer@bank.example")
    assert res.status_code == 201
    body = res.get_json()
    assert body["token_type"] == "Bearer"
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.get_json()["email"] == "officer@bank.example"
    assert me.get_json()["roles"] == ["bank_officer"]


def test_wrong_password_is_401_with_json_error(client, demo):
    res = login(client, "officer@bank.example", "nope-nope-nope")
    assert res.status_code == 401
    assert res.get_json() == {"code": "unauthorized", "status": 401, "message": "wrong email or password",
                              "errors": {}}


def test_unknown_email_gets_the_same_answer_as_a_wrong_password(client, demo):
    res = login(client, "nobody@example.org", "whatever")
    assert res.status_code == 401
    assert res.get_json()["message"] == "wrong email or password"


def test_account_locks_after_five_failures_even_for_the_right_password(app, client, demo):
    for _ in range(5):
        assert login(client, "officer@bank.example", "bad-password").status_code == 401
    res = login(client, "officer@bank.example")
    assert res.status_code == 401
    with app.app_context():
        user = db.session.execute(select(User).where(User.email == "officer@bank.example")).scalar_one()
        assert user.locked_until is not None
        user.locked_until = utcnow() - timedelta(seconds=1)  # the lock has run out
        db.session.commit()
    assert login(client, "officer@bank.example").status_code == 201


def test_a_locked_account_answers_exactly_like_an_unknown_email(client, demo):
    for _ in range(5):
        login(client, "officer@bank.example", "bad-password")
    locked = login(client, "officer@bank.example")  # the right password, during the lock
    unknown = login(client, "nobody@bank.example", "whatever-it-is")
    wrong = login(client, "committee@bank.example", "bad-password")
    assert locked.status_code == unknown.status_code == wrong.status_code == 401
    assert locked.get_json() == unknown.get_json() == wrong.get_json() == {
        "code": "unauthorized", "status": 401, "message": "wrong email or password", "errors": {}}


def test_a_disabled_account_is_named_only_after_the_right_password(client, token_for):
    admin = token_for("fund_admin")
    me = client.get("/api/v1/auth/me", headers=token_for("bank_officer")).get_json()
    assert client.post(f"/api/v1/users/{me['id']}/disable", headers=admin).status_code == 200
    assert login(client, "officer@bank.example", "bad-password").get_json()["message"] == "wrong email or password"
    assert login(client, "officer@bank.example").get_json()["message"] == "this account is disabled"


def events(app, action):
    with app.app_context():
        rows = db.session.execute(select(AuditEvent).where(AuditEvent.action == action)
                                  .order_by(AuditEvent.seq)).scalars().all()
        return [(r.actor_id, r.actor_email, r.entity_type, r.entity_id, r.before, r.after) for r in rows]


def test_failed_sign_ins_and_the_lockout_are_audited(app, client, demo):
    with app.app_context():
        officer = db.session.execute(select(User).where(User.email == "officer@bank.example")).scalar_one().id
    login(client, "Nobody@Example.org", "whatever")
    for _ in range(5):
        login(client, "officer@bank.example", "bad-password")
    login(client, "officer@bank.example")
    failed = events(app, "auth.sign_in_failed")
    assert failed[0] == (None, None, "user", None, None, {"email": "nobody@example.org", "reason": "unknown_email"})
    assert [e[5]["reason"] for e in failed[1:]] == ["wrong_password"] * 5 + ["locked"]
    assert {e[3] for e in failed[1:]} == {officer}
    locked = events(app, "user.locked")
    assert len(locked) == 1 and locked[0][3] == officer and locked[0][0] is None
    assert locked[0][5]["email"] == "officer@bank.example" and locked[0][5]["locked_until"]
    assert not events(app, "token.issued")  # nothing was handed out


def test_token_issue_and_revoke_are_audited(app, client, demo):
    token = login(client, "admin@fund.example").get_json()["token"]
    assert client.delete("/api/v1/auth/token", headers={"Authorization": f"Bearer {token}"}).status_code == 204
    with app.app_context():
        admin = db.session.execute(select(User).where(User.email == "admin@fund.example")).scalar_one().id
        token_id = db.session.execute(select(ApiToken.id).where(ApiToken.user_id == admin)).scalar_one()
    issued, revoked = events(app, "token.issued"), events(app, "token.revoked")
    assert len(issued) == 1 and len(revoked) == 1
    assert issued[0][:4] == (admin, "admin@fund.example", "api_token", token_id)
    assert issued[0][5]["user_id"] == admin
    assert revoked[0][:5] == (admin, "admin@fund.example", "api_token", token_id, {"revoked_at": None})
    assert revoked[0][5]["revoked_at"]


def test_revoked_token_is_refused(client, demo):
    token = login(client, "admin@fund.example").get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    res = client.get("/api/v1/auth/me", headers=headers)
    assert res.status_code == 401
    assert res.get_json()["message"] == "this token was revoked"


def test_expired_token_is_refused(app, client, demo):
    token = login(client, "admin@fund.example").get_json()["token"]
    with app.app_context():
        for row in db.session.execute(select(ApiToken)).scalars():
            row.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    res = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert res.status_code == 401
    assert "expired" in res.get_json()["message"]


def test_made_up_token_and_missing_token_are_401(client, demo):
    assert client.get("/api/v1/auth/me", headers={"Authorization": "Bearer forged"}).status_code == 401
    res = client.get("/api/v1/auth/me")
    assert res.status_code == 401
    assert res.get_json()["code"] == "unauthorized"


def test_disabled_user_loses_tokens(client, token_for):
    admin = token_for("fund_admin")
    officer = token_for("bank_officer")
    me = client.get("/api/v1/auth/me", headers=officer).get_json()
    assert client.post(f"/api/v1/users/{me['id']}/disable", headers=admin).status_code == 200
    assert client.get("/api/v1/auth/me", headers=officer).status_code == 401


def test_stored_token_is_a_hash_not_the_token(app, client, demo):
    token = login(client, "admin@fund.example").get_json()["token"]
    with app.app_context():
        stored = db.session.execute(select(ApiToken.token_hash)).scalars().all()
    assert token not in stored and len(stored[0]) == 64


def test_fund_admin_creates_users_with_fitting_roles(client, token_for, app):
    admin = token_for("fund_admin")
    orgs = client.get("/api/v1/organisations", headers=admin).get_json()["items"]
    bank = next(o for o in orgs if o["kind"] == "bank")
    bad = client.post("/api/v1/users", headers=admin, json={
        "email": "x@bank.example", "name": "X Y", "password": "long-enough-pw",
        "organisation_id": bank["id"], "roles": ["verifier"]})
    assert bad.status_code == 422
    assert "cannot hold the role 'verifier'" in bad.get_json()["errors"]["roles"][0]
    ok = client.post("/api/v1/users", headers=admin, json={
        "email": "second.officer@bank.example", "name": "Second Officer", "password": "long-enough-pw",
        "organisation_id": bank["id"], "roles": ["bank_officer"]})
    assert ok.status_code == 201
    assert login(client, "second.officer@bank.example", "long-enough-pw").status_code == 201


def test_a_token_that_just_scored_is_refused_once_revoked_or_its_account_disabled(app, client, token_for, ids):
    from creditline.auth.permissions import Actor
    from creditline.auth.services import resolve_token

    body = proposal_body(ids["line"], ids["ent"])
    token = login(client, "owner@textile.example").get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    with app.test_request_context():
        # The one-query lookup builds the same caller the ORM objects describe.
        user = db.session.execute(select(User).where(User.email == "owner@textile.example")).scalar_one()
        assert resolve_token(token) == Actor.of(user)
    assert client.post("/api/v1/score", headers=headers, json=body).status_code == 200
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    res = client.post("/api/v1/score", headers=headers, json=body)
    assert res.status_code == 401 and res.get_json()["message"] == "this token was revoked"

    officer = token_for("bank_officer")
    assert client.post("/api/v1/score", headers=officer, json=body).status_code == 200
    me = client.get("/api/v1/auth/me", headers=officer).get_json()
    assert client.post(f"/api/v1/users/{me['id']}/disable", headers=token_for("fund_admin")).status_code == 200
    assert client.post("/api/v1/score", headers=officer, json=body).status_code == 401
