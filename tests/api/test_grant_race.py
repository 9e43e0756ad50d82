"""Racing approvals and payments of one grant on PostgreSQL: exactly one of each succeeds."""
import threading

import pytest
from sqlalchemy import select

from creditline.audit.models import AuditEvent
from creditline.extensions import db

from .test_verification_chain import planned, reported, textile, verified  # noqa: F401  (fixture)

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def only_on_postgres(app):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("the race needs a server database with row locks (CREDITLINE_TEST_DATABASE_URL)")


def race(app, headers, path, body, n=6):
    """Fire ``n`` identical requests at once from separate threads and clients; return the statuses."""
    barrier = threading.Barrier(n)
    statuses: list[int] = []

    def one():
        client = app.test_client()
        barrier.wait()
        statuses.append(client.post(path, headers=headers, json=body).status_code)
    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(statuses)


def test_two_approvals_and_two_payments_racing_pay_exactly_once(app, client, token_for, textile):  # noqa: F811
    planned(client, token_for, textile)
    reported(client, token_for, textile)
    v = verified(client, token_for, textile)
    client.post(f"/api/v1/verifications/{v['id']}/propose", headers=token_for("verifier"),
                json={"decision": "verified", "comment": "checked on site"})
    client.post(f"/api/v1/verifications/{v['id']}/confirm", headers=token_for("senior_verifier"), json={})
    g = client.get("/api/v1/grants", headers=token_for("fund_admin")).get_json()["items"][0]
    admin = token_for("fund_admin")

    approvals = race(app, admin, f"/api/v1/grants/{g['id']}/approve", {"paid_as": "enterprise"})
    assert approvals.count(200) == 1 and set(approvals) == {200, 409}
    payments = race(app, admin, f"/api/v1/grants/{g['id']}/pay", {"reference": "SWIFT-RACE"})
    assert payments.count(200) == 1 and set(payments) == {200, 409}

    with app.app_context():
        paid = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "grant.paid")).all()
        assert len(paid) == 1
    assert client.get(f"/api/v1/grants/{g['id']}", headers=admin).get_json()["status"] == "paid"
    assert app.test_cli_runner().invoke(args=["audit", "verify"]).exit_code == 0
