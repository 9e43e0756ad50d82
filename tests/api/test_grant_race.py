"""Races on SQLite and PostgreSQL: approvals, payments and confirmations; exactly one of each succeeds, the rest get 409."""
from sqlalchemy import func, select

from creditline.audit.models import AuditEvent
from creditline.extensions import db
from creditline.grants.models import Grant

from .races import race
from .test_verification_chain import planned, reported, textile, verified  # noqa: F401  (fixture)


def proposed(client, token_for, pid) -> dict:
    """Plan, report and verify the proposal, and have the verifier propose 'verified'."""
    planned(client, token_for, pid)
    reported(client, token_for, pid)
    v = verified(client, token_for, pid)
    client.post(f"/api/v1/verifications/{v['id']}/propose", headers=token_for("verifier"),
                json={"decision": "verified", "comment": "checked on site"})
    return v


def test_two_approvals_and_two_payments_racing_pay_exactly_once(app, client, token_for, textile):  # noqa: F811
    v = proposed(client, token_for, textile)
    client.post(f"/api/v1/verifications/{v['id']}/confirm", headers=token_for("senior_verifier"), json={})
    g = client.get("/api/v1/grants", headers=token_for("fund_admin")).get_json()["items"][0]
    admin = token_for("fund_admin")

    approvals = race(app, admin, [f"/api/v1/grants/{g['id']}/approve"] * 6, {"paid_as": "enterprise"})
    assert approvals.count(200) == 1 and set(approvals) == {200, 409}
    payments = race(app, admin, [f"/api/v1/grants/{g['id']}/pay"] * 6, {"reference": "SWIFT-RACE"})
    assert payments.count(200) == 1 and set(payments) == {200, 409}

    with app.app_context():
        paid = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "grant.paid")).all()
        assert len(paid) == 1
    assert client.get(f"/api/v1/grants/{g['id']}", headers=admin).get_json()["status"] == "paid"
    assert app.test_cli_runner().invoke(args=["audit", "verify"]).exit_code == 0


def test_racing_confirmations_confirm_once_and_the_rest_get_409(app, client, token_for, textile):  # noqa: F811
    v = proposed(client, token_for, textile)
    statuses = race(app, token_for("senior_verifier"), [f"/api/v1/verifications/{v['id']}/confirm"] * 4, {})
    assert statuses == [200, 409, 409, 409]
    with app.app_context():
        assert len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "verification.confirmed")).all()) == 1
        assert db.session.scalar(select(func.count()).select_from(Grant)) == 1
    assert app.test_cli_runner().invoke(args=["audit", "verify"]).exit_code == 0


def test_racing_approvals_of_two_grants_for_one_proposal_commit_one(app, client, token_for, textile):  # noqa: F811
    """Two calculated grants for one proposal (as the code before the fix could leave): only one is approved."""
    from .test_grant_conditions import second_grant_row

    v = proposed(client, token_for, textile)
    client.post(f"/api/v1/verifications/{v['id']}/confirm", headers=token_for("senior_verifier"), json={})
    first = client.get("/api/v1/grants", headers=token_for("fund_admin")).get_json()["items"][0]["id"]
    twin = second_grant_row(app, first)
    statuses = race(app, token_for("fund_admin"), [f"/api/v1/grants/{gid}/approve" for gid in (first, twin)],
                    {"paid_as": "enterprise"})
    assert statuses == [200, 409]
    with app.app_context():
        committed = db.session.scalars(select(Grant.status).where(Grant.status.in_(("approved", "paid")))).all()
        assert committed == ["approved"]
