"""Event dates: each decision, tranche, report and payment carries the day it happened, entered by
the user; never a day after today, never before the event it follows; stored and audited next to
the time it was entered."""
from __future__ import annotations

from datetime import timedelta

from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select

from creditline import clock
from creditline.audit.models import AuditEvent
from creditline.extensions import db
from creditline.loans.models import Disbursement
from creditline.monitoring.models import MonitoringReport

from .test_loans import APPROVED_ON_START, START, approved, proposal_id, propose  # noqa: F401  (fixtures)
from .test_verification_chain import PLAN, monthly, planned, reported, textile, verified  # noqa: F401

OFFICER, COMMITTEE, FUND = "bank_officer", "credit_committee", "fund_admin"


def day(offset: int = 0) -> str:
    return (clock.today() + timedelta(days=offset)).isoformat()


def errors_of(res) -> dict[str, list[str]]:
    assert res.status_code == 422, res.get_json()
    return res.get_json()["errors"]


def audited_after(app, action: str) -> dict:
    with app.app_context():
        return db.session.scalar(select(AuditEvent.after).where(AuditEvent.action == action)
                                 .order_by(AuditEvent.seq.desc()))


def test_a_decision_in_the_future_or_before_the_submission_is_refused(app, client, token_for, proposal_id):  # noqa: F811
    loan = propose(client, token_for, proposal_id).get_json()["id"]
    url = f"/api/v1/loans/{loan}/approve"
    assert "in the future" in errors_of(client.post(url, headers=token_for(COMMITTEE),
                                                    json={"decided_on": day(1)}))["decided_on"][0]
    submitted = client.get(f"/api/v1/proposals/{proposal_id}", headers=token_for(OFFICER)).get_json()["submitted_on"]
    early = (START - relativedelta(years=2)).isoformat()
    message = errors_of(client.post(url, headers=token_for(COMMITTEE), json={"decided_on": early}))["decided_on"][0]
    assert f"the proposal was submitted on {submitted}" in message
    declined = client.post(f"/api/v1/loans/{loan}/decline", headers=token_for(COMMITTEE),
                           json={"reason": "cash flow too thin", "decided_on": day(1)})
    assert "decided_on" in errors_of(declined)
    assert client.get(f"/api/v1/loans/{loan}", headers=token_for(OFFICER)).get_json()["status"] == "applied"


def test_the_decision_day_is_stored_and_audited_beside_the_entry_time(app, client, token_for, approved):  # noqa: F811
    loan = client.get(f"/api/v1/loans/{approved}", headers=token_for(OFFICER)).get_json()
    assert loan["decided_on"] == START.isoformat()
    assert loan["decided_at"][:10] == clock.today().isoformat()  # entered today
    after = audited_after(app, "loan.approved")
    assert after["decided_on"] == START.isoformat() and after["status"] == "approved"


def test_a_tranche_dated_after_today_or_before_the_approval_is_refused(app, client, token_for, approved):  # noqa: F811
    url = f"/api/v1/loans/{approved}/disburse"
    ahead = errors_of(client.post(url, headers=token_for(OFFICER), json={"amount": "80000.00", "value_date": day(30)}))
    assert "in the future" in ahead["value_date"][0]
    before = (START - timedelta(days=1)).isoformat()
    early = errors_of(client.post(url, headers=token_for(OFFICER), json={"amount": "80000.00", "value_date": before}))
    assert f"the loan was approved on {START}" in early["value_date"][0]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Disbursement)) == 0
    loan = client.get(f"/api/v1/loans/{approved}", headers=token_for(OFFICER)).get_json()
    assert loan["status"] == "approved" and loan["outstanding_principal"] == "0.00"


def test_the_schedule_runs_from_the_value_date_entered(client, token_for, approved):  # noqa: F811
    res = client.post(f"/api/v1/loans/{approved}/disburse", headers=token_for(OFFICER),
                      json={"amount": "80000.00", "value_date": START.isoformat()})
    assert res.status_code == 201, res.get_json()
    rows = client.get(f"/api/v1/loans/{approved}/schedule", headers=token_for(OFFICER)).get_json()["installments"]
    assert rows[0]["due_date"] == (START + relativedelta(months=1)).isoformat()
    # With no value date the tranche is today's: refused here, as the schedule has ended.
    assert "value_date" in errors_of(client.post(f"/api/v1/loans/{approved}/disburse", headers=token_for(OFFICER),
                                                 json={"amount": "1.00"}))


def test_a_guarantee_issued_before_the_loan_was_approved_is_refused(client, token_for, approved):  # noqa: F811
    g = client.post(f"/api/v1/loans/{approved}/guarantee", headers=token_for(OFFICER), json={}).get_json()
    url = f"/api/v1/guarantees/{g['id']}/issue"
    early = (START - timedelta(days=3)).isoformat()
    assert "issued_on" in errors_of(client.post(url, headers=token_for(FUND), json={"issued_on": early}))
    assert "issued_on" in errors_of(client.post(url, headers=token_for(FUND), json={"issued_on": day(1)}))
    ok = client.post(url, headers=token_for(FUND), json={"issued_on": START.isoformat()})
    assert ok.status_code == 200 and ok.get_json()["issued_on"] == START.isoformat()


def test_a_period_is_reported_only_once_it_has_ended_and_never_ahead(app, client, token_for, textile):  # noqa: F811
    # Reporting from two months ago: M01 and M02 have ended, M03 is this month.
    start = clock.today().replace(day=1) - relativedelta(months=2)
    res = client.post(f"/api/v1/proposals/{textile}/monitoring-plan", headers=token_for("verifier"),
                      json={**PLAN, "reporting_start": start.isoformat()})
    assert res.status_code == 201, res.get_json()
    m01_end = res.get_json()["periods"][0]["end"]
    url = f"/api/v1/proposals/{textile}/monitoring-reports"
    m03 = {**monthly()[2]}
    assert "once it has ended" in errors_of(client.post(url, headers=token_for("sme"), json=m03))["period"][0]
    m01 = monthly()[0]
    assert "in the future" in errors_of(client.post(url, headers=token_for("sme"),
                                                    json={**m01, "reported_on": day(1)}))["reported_on"][0]
    assert "ended the day before" in errors_of(client.post(url, headers=token_for("sme"),
                                                           json={**m01, "reported_on": m01_end}))["reported_on"][0]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(MonitoringReport)) == 0
    sent = (clock.today().replace(day=1) - relativedelta(months=1) + timedelta(days=9)).isoformat()
    ok = client.post(url, headers=token_for("sme"), json={**m01, "reported_on": sent})
    assert ok.status_code == 201 and ok.get_json()[0]["reported_on"] == sent


def test_confirmation_approval_and_payment_follow_each_other(app, client, token_for, textile):  # noqa: F811
    planned(client, token_for, textile)
    reported(client, token_for, textile)  # sent today
    v = verified(client, token_for, textile)
    client.post(f"/api/v1/verifications/{v['id']}/propose", headers=token_for("verifier"),
                json={"decision": "verified", "comment": "meters agree"})
    confirm = f"/api/v1/verifications/{v['id']}/confirm"
    early = errors_of(client.post(confirm, headers=token_for("senior_verifier"), json={"confirmed_on": day(-1)}))
    assert "the last report it covers was sent" in early["confirmed_on"][0]
    assert client.post(confirm, headers=token_for("senior_verifier"), json={}).get_json()["confirmed_on"] == day()
    gid = client.get("/api/v1/grants?status=calculated", headers=token_for(FUND)).get_json()["items"][0]["id"]
    approve = client.post(f"/api/v1/grants/{gid}/approve", headers=token_for(FUND),
                          json={"paid_as": "enterprise", "approved_on": day(-1)})
    assert "was confirmed" in errors_of(approve)["approved_on"][0]
    assert client.post(f"/api/v1/grants/{gid}/approve", headers=token_for(FUND),
                       json={"paid_as": "enterprise"}).get_json()["approved_on"] == day()
    ahead = client.post(f"/api/v1/grants/{gid}/pay", headers=token_for(FUND), json={"paid_on": day(1)})
    assert "in the future" in errors_of(ahead)["paid_on"][0]
    paid = client.post(f"/api/v1/grants/{gid}/pay", headers=token_for(FUND), json={"reference": "SWIFT-7"}).get_json()
    assert (paid["status"], paid["paid_on"]) == ("paid", day())
    assert audited_after(app, "grant.paid")["paid_on"] == day()


def test_a_decision_is_proposed_after_its_reports_and_confirmed_after_it_is_proposed(app, client, token_for,
                                                                                     session_for, textile):  # noqa: F811
    planned(client, token_for, textile)
    reported(client, token_for, textile, [{**r, "reported_on": day(-10)} for r in monthly()])
    v = verified(client, token_for, textile)
    propose = f"/api/v1/verifications/{v['id']}/propose"
    body = {"decision": "verified", "comment": "meters agree"}
    early = errors_of(client.post(propose, headers=token_for("verifier"), json={**body, "proposed_on": day(-11)}))
    assert "the last report it covers was sent" in early["proposed_on"][0]
    ahead = errors_of(client.post(propose, headers=token_for("verifier"), json={**body, "proposed_on": day(1)}))
    assert "in the future" in ahead["proposed_on"][0]
    res = client.post(propose, headers=token_for("verifier"), json={**body, "proposed_on": day(-5)})
    assert (res.status_code, res.get_json()["proposed_on"]) == (200, day(-5))
    assert audited_after(app, "verification.proposed")["proposed_on"] == day(-5)
    confirm = f"/api/v1/verifications/{v['id']}/confirm"
    before = errors_of(client.post(confirm, headers=token_for("senior_verifier"), json={"confirmed_on": day(-7)}))
    assert f"the decision was proposed on {day(-5)}" in before["confirmed_on"][0]
    assert client.post(confirm, headers=token_for("senior_verifier"),
                       json={"confirmed_on": day(-4)}).get_json()["confirmed_on"] == day(-4)
    page = session_for("senior_verifier").get(f"/verifications/{v['id']}/certificate").get_data(as_text=True)
    assert f"on {day(-5)}. Confirmed by" in page and f"on {day(-4)}.</p>" in page


def test_the_committee_enters_the_decision_day_on_the_loan_page(app, client, token_for, proposal_id,  # noqa: F811
                                                                session_for):
    loan = propose(client, token_for, proposal_id).get_json()["id"]
    committee = session_for("committee@bank.example")
    page = committee.get(f"/loans/{loan}").get_data(as_text=True)
    assert f'name="decided_on" type="date" value="{day()}" max="{day()}"' in page
    bad = committee.post(f"/loans/{loan}/approve", data={"decided_on": "17/11/2026"}, follow_redirects=True)
    assert "YYYY-MM-DD" in bad.get_data(as_text=True)
    committee.post(f"/loans/{loan}/approve", data={"decided_on": START.isoformat()}, follow_redirects=True)
    assert client.get(f"/api/v1/loans/{loan}", headers=token_for(OFFICER)).get_json()["decided_on"] == START.isoformat()
