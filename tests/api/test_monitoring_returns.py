"""Monitoring reports are reviewed: accepted or returned with a reason, corrected as a new version,
and only accepted reports count."""
import threading

from sqlalchemy import select

from creditline.audit.models import AuditEvent
from creditline.extensions import db
from creditline.notifications.models import Notification
from creditline.auth.models import User

from .test_verification_chain import monthly, planned, reported, textile  # noqa: F401  (fixture)


def notes_for(app, email, kind):
    with app.app_context():
        uid = db.session.scalar(select(User.id).where(User.email == email))
        return list(db.session.scalars(select(Notification).where(Notification.user_id == uid,
                                                                  Notification.kind == kind)))


def review(client, token_for, rid, decision, reason=None, who="verifier"):
    body = {} if reason is None else {"reason": reason}
    return client.post(f"/api/v1/monitoring-reports/{rid}/{decision}", headers=token_for(who), json=body)


def test_a_returned_report_is_corrected_as_a_new_version_and_then_accepted(app, client, token_for, textile):
    planned(client, token_for, textile)
    first = reported(client, token_for, textile, monthly()[:1], accept=False)[0]
    assert (first["status"], first["version"]) == ("submitted", 1)

    no_reason = review(client, token_for, first["id"], "return")
    assert no_reason.status_code == 422 and "reason" in no_reason.get_json()["errors"]
    assert review(client, token_for, first["id"], "return", "x", who="sme").status_code == 403
    res = review(client, token_for, first["id"], "return", "Output is in kg, the plan counts tonnes")
    assert res.status_code == 200, res.get_json()
    assert res.get_json()["status"] == "returned"
    assert res.get_json()["review_note"] == "Output is in kg, the plan counts tonnes"
    again = review(client, token_for, first["id"], "accept")
    assert again.status_code == 409
    assert again.get_json()["current_state"] == "returned" and again.get_json()["allowed"] == []

    corrected = reported(client, token_for, textile, monthly(outputs=(421,))[:1], accept=False)[0]
    assert (corrected["period"], corrected["version"], corrected["status"]) == ("M01", 2, "submitted")
    dup = client.post(f"/api/v1/proposals/{textile}/monitoring-reports", headers=token_for("sme"),
                      json=monthly()[0])
    assert dup.status_code == 422 and "waits for the NCPC's review" in dup.get_json()["errors"]["period"][0]
    assert review(client, token_for, corrected["id"], "accept").get_json()["status"] == "accepted"

    latest = client.get(f"/api/v1/proposals/{textile}/monitoring-reports", headers=token_for("sme")).get_json()
    assert [(r["period"], r["version"], r["status"]) for r in latest] == [("M01", 2, "accepted")]
    history = client.get(f"/api/v1/proposals/{textile}/monitoring-reports?history=true",
                         headers=token_for("sme")).get_json()
    assert [(r["version"], r["status"], r["production_output"]) for r in history] == [
        (1, "returned", "420.0000"), (2, "accepted", "421.0000")]
    with app.app_context():
        actions = [e.action for e in db.session.scalars(select(AuditEvent).where(
            AuditEvent.entity_type == "monitoring_report").order_by(AuditEvent.id))]
    assert actions == ["monitoring_report.submitted", "monitoring_report.returned",
                       "monitoring_report.submitted", "monitoring_report.accepted"]


def test_only_accepted_reports_are_verified(client, token_for, textile):
    planned(client, token_for, textile)
    reports = reported(client, token_for, textile, accept=False)
    none = client.post(f"/api/v1/proposals/{textile}/verifications", headers=token_for("verifier"), json={})
    assert none.status_code == 422
    assert "no accepted monitoring reports" in none.get_json()["errors"]["periods"][0]
    for r in reports[:3]:
        assert review(client, token_for, r["id"], "accept").status_code == 200
    review(client, token_for, reports[3]["id"], "return", "The meter photo is of another month")
    named = client.post(f"/api/v1/proposals/{textile}/verifications", headers=token_for("verifier"),
                        json={"periods": ["M01", "M04"]})
    assert named.status_code == 422 and "M04" in named.get_json()["errors"]["periods"][0]
    v = client.post(f"/api/v1/proposals/{textile}/verifications", headers=token_for("verifier"), json={})
    assert v.status_code == 201, v.get_json()
    assert v.get_json()["periods"] == ["M01", "M02", "M03"]


def test_the_plan_changes_until_a_report_is_accepted(client, token_for, textile):
    planned(client, token_for, textile)
    waiting = reported(client, token_for, textile, monthly()[:2], accept=False)
    # Changing the plan returns what was reported against the old one, keeping it as history.
    res = client.post(f"/api/v1/proposals/{textile}/monitoring-plan", headers=token_for("verifier"),
                      json={"baseline_start": "2025-02-01", "baseline_end": "2025-12-31", "reporting_periods": 6})
    assert res.status_code == 201, res.get_json()
    latest = client.get(f"/api/v1/proposals/{textile}/monitoring-reports", headers=token_for("sme")).get_json()
    assert [(r["id"], r["status"]) for r in latest] == [(waiting[0]["id"], "returned"), (waiting[1]["id"], "returned")]
    assert "monitoring plan was changed" in latest[0]["review_note"]

    fixed = reported(client, token_for, textile, monthly()[:1], accept=True)
    assert fixed[0]["version"] == 2
    late = client.post(f"/api/v1/proposals/{textile}/monitoring-plan", headers=token_for("verifier"),
                       json={"baseline_start": "2025-03-01", "baseline_end": "2025-12-31", "reporting_periods": 6})
    assert late.status_code == 409
    assert late.get_json()["current_state"] == "accepted"


def test_the_sme_and_the_verifiers_are_told_and_see_it_on_their_home_page(app, client, token_for, session_for,
                                                                       textile):
    planned(client, token_for, textile)
    plan_notes = notes_for(app, "owner@textile.example", "monitoring_plan_set")
    assert len(plan_notes) == 1 and "M01" in plan_notes[0].body
    reports = reported(client, token_for, textile, monthly()[:2], accept=False)
    for email in ("verifier@ncpc.example", "senior@ncpc.example"):
        assert {n.entity_id for n in notes_for(app, email, "report_submitted")} == {r["id"] for r in reports}
    assert notes_for(app, "owner@textile.example", "report_submitted") == []

    assert steps_of(app, "verifier@ncpc.example")["Reports to review"] == 2
    assert "Reports to review" in session_for("verifier").get("/").get_data(as_text=True)
    review(client, token_for, reports[0]["id"], "return", "Electricity is missing the night shift")
    review(client, token_for, reports[1]["id"], "accept")
    returned = notes_for(app, "owner@textile.example", "report_returned")
    assert len(returned) == 1 and "night shift" in returned[0].body
    assert steps_of(app, "verifier@ncpc.example")["Reports to review"] is None
    assert steps_of(app, "owner@textile.example")["Reports returned to you"] == 1
    assert "Reports returned to you" in session_for("sme").get("/").get_data(as_text=True)
    # Corrected and sent again: nothing is returned any more, and the verifier has one to review.
    reported(client, token_for, textile, monthly()[:1], accept=False)
    assert "Reports returned to you" not in steps_of(app, "owner@textile.example")
    assert steps_of(app, "verifier@ncpc.example")["Reports to review"] == 1


def steps_of(app, email):
    from creditline.auth.permissions import Actor
    from creditline.verifications.steps import verification_steps

    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.email == email))
        steps = {s.title: s.count for s in verification_steps(Actor.of(user))}
        db.session.remove()
    return steps


def test_two_verifiers_reviewing_at_once_exactly_one_wins(app, client, token_for, textile):
    planned(client, token_for, textile)
    report = reported(client, token_for, textile, monthly()[:1], accept=False)[0]
    calls = [("verifier", "accept", {}), ("senior_verifier", "return", {"reason": "Check the meter"})] * 3
    headers = {who: token_for(who) for who, _, _ in calls}
    barrier = threading.Barrier(len(calls))
    statuses: list[int] = []

    def one(who, decision, body):
        c = app.test_client()
        barrier.wait()
        statuses.append(c.post(f"/api/v1/monitoring-reports/{report['id']}/{decision}", headers=headers[who],
                               json=body).status_code)
    threads = [threading.Thread(target=one, args=call) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses).count(200) == 1 and set(statuses) == {200, 409}
    with app.app_context():
        reviews = db.session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "monitoring_report",
                                                              AuditEvent.action != "monitoring_report.submitted"))
        assert len(list(reviews)) == 1
