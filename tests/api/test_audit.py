"""The audit trail records every change, chained by hash, and detects tampering."""
from sqlalchemy import func, select, update

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


def test_an_edited_actor_email_is_detected(app, demo):
    with app.app_context():
        target = db.session.execute(select(AuditEvent).where(AuditEvent.actor_email.is_not(None))
                                    .order_by(AuditEvent.seq).limit(1)).scalar_one()
        db.session.execute(update(AuditEvent).where(AuditEvent.id == target.id)
                           .values(actor_email="someone.else@fund.example"))
        db.session.commit()
        report = verify_chain()
        assert report.broken_at == target.seq and "changed" in report.reason


def test_deleting_the_newest_events_is_detected(app, demo):
    runner = app.test_cli_runner()
    with app.app_context():
        last = db.session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1))
        db.session.execute(AuditEvent.__table__.delete().where(AuditEvent.seq >= last - 1))
        db.session.commit()
        report = verify_chain()
        assert report.checked == last - 2
        assert report.broken_at == last - 1
        assert report.reason == f"events {last - 1} to {last} are missing (the newest events were deleted)"
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and f"BROKEN at event {last - 1}" in result.output
    assert "the newest events were deleted" in result.output


def test_a_missing_or_forged_head_is_detected(app, demo):
    from creditline.audit.models import AuditHead

    with app.app_context():
        last = db.session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1))
        db.session.execute(update(AuditHead).values(hash="f" * 64))
        db.session.commit()
        report = verify_chain()
        assert report.broken_at == last and "does not match" in report.reason
        db.session.execute(AuditHead.__table__.delete())
        db.session.commit()
        assert "head is missing" in verify_chain().reason


def test_the_head_follows_every_append(app, client, token_for):
    from creditline.audit.models import AuditHead

    admin = token_for("fund_admin")
    line = client.get("/api/v1/credit-lines", headers=admin).get_json()["items"][0]["id"]
    client.patch(f"/api/v1/credit-lines/{line}", json={"grant_budget": "2000000.00"}, headers=admin)
    with app.app_context():
        newest = db.session.execute(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).scalar_one()
        head = db.session.get(AuditHead, 1)
        assert (head.seq, head.hash) == (newest.seq, newest.hash)
        assert verify_chain().ok


def test_events_filter_by_actor(client, token_for):
    admin, committee = token_for("fund_admin"), token_for("credit_committee")
    me = client.get("/api/v1/auth/me", headers=admin).get_json()["id"]
    line = client.get("/api/v1/credit-lines", headers=admin).get_json()["items"][0]["id"]
    client.patch(f"/api/v1/credit-lines/{line}", json={"grant_budget": "2000000.00"}, headers=admin)
    page = client.get(f"/api/v1/audit-events?actor_id={me}&per_page=200", headers=admin).get_json()
    assert page["total"] == len(page["items"]) >= 2
    assert {e["actor_id"] for e in page["items"]} == {me}
    assert {e["actor_email"] for e in page["items"]} == {"admin@fund.example"}
    assert [e["action"] for e in page["items"]][:2] == ["credit_line.updated", "token.issued"]
    other = client.get("/api/v1/auth/me", headers=committee).get_json()["id"]
    theirs = client.get(f"/api/v1/audit-events?actor_id={other}", headers=admin).get_json()["items"]
    assert [e["action"] for e in theirs] == ["token.issued"]


def _tail() -> int:
    return db.session.scalar(select(func.max(AuditEvent.seq)))


def test_events_chained_together_verify_and_reach_the_listeners_in_order(app, demo):
    from creditline.audit import services as audit
    from creditline.audit.models import AuditHead
    from creditline.unit_of_work import transaction

    heard: list[tuple[int, str]] = []
    with app.app_context():
        tail = _tail()
        saved = list(audit.LISTENERS)
        audit.LISTENERS.append(lambda events: heard.extend((e.seq, e.action) for _, e in events))
        try:
            with transaction(), audit.chained_together():
                audit.record(None, "test.first", "test", 1, None, {"n": 1})
                audit.record_many(None, [("test.batch", "test", 2, None, {"n": 2})])
                audit.record(None, "test.last", "test", 3, None, {"n": 3})
                assert _tail() == tail  # chained only when the block ends
        finally:
            audit.LISTENERS[:] = saved
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.seq > tail).order_by(AuditEvent.seq)).all()
        assert [(e.seq, e.action, e.after) for e in events] == [
            (tail + 1, "test.first", {"n": 1}), (tail + 2, "test.batch", {"n": 2}), (tail + 3, "test.last", {"n": 3})]
        # record_many's events are not handed to the listeners, as outside the block.
        assert heard == [(tail + 1, "test.first"), (tail + 3, "test.last")]
        head = db.session.get(AuditHead, 1)
        assert (head.seq, head.hash) == (events[-1].seq, events[-1].hash)
        assert verify_chain().ok


def test_events_chained_together_are_dropped_with_a_failed_transaction(app, demo):
    from creditline.audit import services as audit
    from creditline.unit_of_work import transaction

    with app.app_context():
        tail = _tail()
        try:
            with transaction(), audit.chained_together():
                audit.record(None, "test.first", "test", 1, None, {"n": 1})
                raise RuntimeError("refused")
        except RuntimeError:
            pass
        assert _tail() == tail and verify_chain().ok
        with transaction():
            audit.record(None, "test.after", "test", 2)
        assert _tail() == tail + 1 and verify_chain().ok
