"""Paying a grant off the principal of a loan disbursed in tranches: refused clearly, never a 500."""
from datetime import timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select

from creditline import clock
from creditline.extensions import db
from creditline.finance import schedules as sched
from creditline.loans.models import Payment

from .test_verification_chain import first_of_next_month, planned, reported, verified


def _two_tranche_loan(client, token_for, pid, second_on):
    officer = token_for("bank_officer")
    res = client.post("/api/v1/loans", headers=officer, json={
        "proposal_id": pid, "principal": "80000.00", "annual_rate": 0.10, "tenor_months": 36,
        "frequency": "monthly", "method": "annuity"})
    assert res.status_code == 201, res.get_json()
    loan = res.get_json()["id"]
    assert client.post(f"/api/v1/loans/{loan}/approve", headers=token_for("credit_committee"), json={}).status_code == 200
    for amount, day in (("40000.00", first_of_next_month()), ("40000.00", second_on)):
        res = client.post(f"/api/v1/loans/{loan}/disburse", headers=officer,
                          json={"amount": amount, "value_date": day.isoformat()})
        assert res.status_code == 201, res.get_json()
    return loan


def _approved_grant(client, token_for, pid):
    planned(client, token_for, pid)
    reported(client, token_for, pid)
    v = verified(client, token_for, pid)
    client.post(f"/api/v1/verifications/{v['id']}/propose", headers=token_for("verifier"),
                json={"decision": "verified", "comment": "checked on site"})
    client.post(f"/api/v1/verifications/{v['id']}/confirm", headers=token_for("senior_verifier"), json={})
    g = client.get("/api/v1/grants", headers=token_for("fund_admin")).get_json()["items"][0]
    assert g["paid_as"] == "principal_reduction"
    assert client.post(f"/api/v1/grants/{g['id']}/approve", headers=token_for("fund_admin"), json={}).status_code == 200
    return g


def _fund_admin_on(app, day):
    """A token issued on ``day`` (tokens issued on the suite's day have expired by then)."""
    from creditline.auth.models import User
    from creditline.auth.services import issue_token
    from tests.conftest import ROLE_USERS

    with clock.today_is(day), app.app_context():
        user = db.session.execute(select(User).where(User.email == ROLE_USERS["fund_admin"])).scalar_one()
        plain, _ = issue_token(user)
        db.session.remove()
    return {"Authorization": f"Bearer {plain}"}


def _dyeing(client, token_for):
    items = client.get("/api/v1/proposals?status=eligible", headers=token_for("fund_admin")).get_json()["items"]
    return next(p["id"] for p in items if p["title"].startswith("Low liquor"))


def test_a_future_second_tranche_refuses_the_reduction_with_409_until_its_date(app, client, token_for):
    pid = _dyeing(client, token_for)
    second_on = first_of_next_month() + relativedelta(months=3)
    loan = _two_tranche_loan(client, token_for, pid, second_on)
    g = _approved_grant(client, token_for, pid)
    before = client.get(f"/api/v1/loans/{loan}/schedule", headers=token_for("sme")).get_json()["installments"]
    for _ in range(2):  # a retry answers the same, it does not fail
        res = client.post(f"/api/v1/grants/{g['id']}/pay", headers=token_for("fund_admin"), json={})
        assert res.status_code == 409, res.get_json()
        body = res.get_json()
        assert f"value-dated {second_on}" in body["message"] and f"pay it on or after {second_on}" in body["message"]
    assert client.get(f"/api/v1/grants/{g['id']}", headers=token_for("fund_admin")).get_json()["status"] == "approved"
    assert client.get(f"/api/v1/loans/{loan}/schedule", headers=token_for("sme")).get_json()["installments"] == before
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 0

    # Once the tranche is paid out the schedule is one balance again and the reduction goes through.
    later = second_on + timedelta(days=1)
    admin = _fund_admin_on(app, later)
    with clock.today_is(later):
        res = client.post(f"/api/v1/grants/{g['id']}/pay", headers=admin, json={})
        assert res.status_code == 200, res.get_json()
        after = client.get(f"/api/v1/loans/{loan}/schedule", headers=admin).get_json()["installments"]
    owed = lambda rows: sum(Decimal(r["principal"]) for r in rows)  # noqa: E731
    assert owed(before) - owed(after) == Decimal("20000.00")
    assert after[-1]["balance_after"] == "0.00"


def test_a_schedule_the_maths_refuses_is_a_409_not_a_500(app, client, token_for, monkeypatch):
    pid = _dyeing(client, token_for)
    _two_tranche_loan(client, token_for, pid, first_of_next_month() + relativedelta(months=1))
    g = _approved_grant(client, token_for, pid)

    def broken(*_args, **_kwargs):
        raise ValueError("new_balance must be between 0.00 and the balance before the remaining installments")

    monkeypatch.setattr(sched, "reschedule_after_prepayment", broken)
    later = first_of_next_month() + relativedelta(months=1, days=1)
    admin = _fund_admin_on(app, later)
    with clock.today_is(later):
        res = client.post(f"/api/v1/grants/{g['id']}/pay", headers=admin, json={})
    assert res.status_code == 409, res.get_json()
    assert "cannot be recomputed" in res.get_json()["message"]
    assert client.get(f"/api/v1/grants/{g['id']}", headers=token_for("fund_admin")).get_json()["status"] == "approved"


def test_a_grant_that_would_repay_a_loan_with_tranches_to_come_waits_for_the_rest_to_be_cancelled(client, token_for):
    pid = _dyeing(client, token_for)
    officer = token_for("bank_officer")
    loan = client.post("/api/v1/loans", headers=officer, json={
        "proposal_id": pid, "principal": "80000.00", "annual_rate": 0.10, "tenor_months": 36,
        "frequency": "monthly", "method": "annuity"}).get_json()["id"]
    client.post(f"/api/v1/loans/{loan}/approve", headers=token_for("credit_committee"), json={})
    res = client.post(f"/api/v1/loans/{loan}/disburse", headers=officer,
                      json={"amount": "20000.00", "value_date": first_of_next_month().isoformat()})
    assert res.status_code == 201, res.get_json()
    g = _approved_grant(client, token_for, pid)
    assert g["amount"] == "20000.00"  # 25% of the approved 80,000: all that is out
    res = client.post(f"/api/v1/grants/{g['id']}/pay", headers=token_for("fund_admin"), json={})
    assert res.status_code == 409 and "cancel the undisbursed rest first" in res.get_json()["message"]
    assert client.get(f"/api/v1/loans/{loan}", headers=officer).get_json()["status"] == "disbursed"
    res = client.post(f"/api/v1/loans/{loan}/cancel-undisbursed", headers=officer, json={"reason": "project scaled down"})
    assert res.status_code == 200, res.get_json()
    res = client.post(f"/api/v1/grants/{g['id']}/pay", headers=token_for("fund_admin"), json={})
    assert res.status_code == 200, res.get_json()
    got = client.get(f"/api/v1/loans/{loan}", headers=officer).get_json()
    assert (got["status"], got["outstanding_principal"]) == ("repaid", "0.00")
