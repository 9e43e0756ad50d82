"""The audit trail records every change, chained by hash, and detects tampering."""
from sqlalchemy import select, update

from creditline.audit.models import AuditEvent
from creditline.audit.services import verify_chain
from creditline.extensions import db


def test_changes_are_recorded_with_before_and_after(client, token_for):
    admin = token_for("fund_admin")
    line = client.get("/api/v1/credit-lines", headers=admin).get_json()["items"][0]
    res = client.patch(f"/api/v1/credit-lines/{line['id']}", json={"grant_budget": "2500000.00"}, headers=admin)
    assert res.status_code == 200
    events = client.get(f"/api/v1/audit-events?entity_type=credit_line&entity_id={line['id']}",
                        headers=admin).get_json()["items"]
    latest = events[0]
    assert latest["action"] == "credit_line.updated"
    assert latest["actor_email"] == "admin@fund.example"
    assert latest["before"]["grant_budget"] == "3000000.00"
    assert latest["after"]["grant_budget"] == "2500000.00"


def test_rejected_change_writes_no_event(client, token_for):
    admin = token_for("fund_admin")
    count = client.get("/api/v1/audit-events", headers=admin).get_json()["total"]
    res = client.patch("/api/v1/credit-lines/1", json={"bank_ids": [999999]}, headers=admin)
    assert res.status_code in (404, 422)
    assert client.get("/api/v1/audit-events", headers=admin).get_json()["total"] == count


def test_chain_verifies_and_reports_the_first_tampered_event(app, demo):
    with app.app_context():
        report = verify_chain()
        assert report.ok and report.checked > 10
        target = db.session.execute(select(AuditEvent).order_by(AuditEvent.seq).offset(4).limit(1)).scalar_one()
        db.session.execute(update(AuditEvent).where(AuditEvent.id == target.id)
                           .values(after={"name": "forged"}))
        db.session.commit()
        report = verify_chain()
        assert not report.ok
        assert report.broken_at == target.seq
        assert "changed" in report.reason


def test_deleted_event_breaks_the_chain(app, demo):
    with app.app_context():
        db.session.execute(AuditEvent.__table__.delete().where(AuditEvent.seq == 3))
        db.session.commit()
        report = verify_chain()
        assert report.broken_at == 4 and "missing" in report.reason


def test_cli_verify(app, demo):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "intact" in result.output
    with app.app_context():
        db.session.execute(update(AuditEvent).where(AuditEvent.seq == 2).values(action="tampered"))
        db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and "BROKEN at event 2" in result.output
