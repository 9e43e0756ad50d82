"""Paying a grant off the principal of a loan disbursed in tranches: refused clearly, never a 500."""
from datetime import timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select

from creditline import clock
from creditline.extensions import db
from creditline.finance import schedules as sched
from creditline.loans.models import Payment

from .test_verification_chain import disbursed_on, planned, reported, verified


def _two_tranche_loan(client, token_for, pid, second_on):
    """USD 80,000 in two tranches of 40,000: the first on the chain tests' day, the second on ``second_on``."""
    officer = token_for("bank_officer")
    res = client.post("/api/v1/loans", headers=officer, json={
        "proposal_id": pid, "principal": "80000.00", "annual_rate": 0.10, "tenor_months": 36,
        "frequency": "monthly", "method": "annuity"})
    assert res.status_code == 201, res.get_json()
    loan = res.get_json()["id"]
    assert client.post(f"/api/v1/loans/{loan}/approve", headers=token_for("credit_committee"),
                       json={"decided_on": (disbursed_on() - timedelta(days=14)).isoformat()}).status_code == 200
    for amount, day in (("40000.00", disbursed_on()), ("40000.00", second_on)):
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


def _dyeing(client, token_for):
    items = client.get("/api/v1/proposals?status=eligible", headers=token_for("fund_admin")).get_json()["items"]
    return next(p["id"] for p in items if p["title"].startswith("Low liquor"))


def test_a_tranche_is_never_booked_ahead_and_the_reduction_spreads_over_both(app, client, token_for):
    """The 500 came from a second tranche value-dated in the future: its principal was counted in
    the installments before it. A recorded tranche can no longer be dated ahead (event dates), and
    with both tranches paid out the reduction comes off one balance."""
    pid = _dyeing(client, token_for)
    second_on = disbursed_on() + relativedelta(months=3)
    loan = _two_tranche_loan(client, token_for, pid, second_on)
    g = _approved_grant(client, token_for, pid)
    ahead = client.post(f"/api/v1/loans/{loan}/disburse", headers=token_for("bank_officer"),
                        json={"amount": "1.00", "value_date": (clock.today() + timedelta(days=30)).isoformat()})
    assert ahead.status_code in (409, 422), ahead.get_json()
    before = client.get(f"/api/v1/loans/{loan}/schedule", headers=token_for("sme")).get_json()["installments"]
    res = client.post(f"/api/v1/grants/{g['id']}/pay", headers=token_for("fund_admin"), json={})
    assert res.status_code == 200, res.get_json()
    after = client.get(f"/api/v1/loans/{loan}/schedule", headers=token_for("sme")).get_json()["installments"]
    not_due = lambda rows: sum(Decimal(r["principal"]) for r in rows if r["due_date"] > clock.today().isoformat())  # noqa: E731
    assert not_due(before) - not_due(after) == Decimal("20000.00")
    assert after[-1]["balance_after"] == "0.00"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 1


def test_a_schedule_the_maths_refuses_is_a_409_not_a_500(app, client, token_for, monkeypatch):
    pid = _dyeing(client, token_for)
    _two_tranche_loan(client, token_for, pid, disbursed_on() + relativedelta(months=1))
    g = _approved_grant(client, token_for, pid)

    def broken(*_args, **_kwargs):
        raise ValueError("new_balance must be between 0.00 and the balance before the remaining installments")

    monkeypatch.setattr(sched, "reschedule_after_prepayment", broken)
    res = client.post(f"/api/v1/grants/{g['id']}/pay", headers=token_for("fund_admin"), json={})
    assert res.status_code == 409, res.get_json()
    assert "cannot be recomputed" in res.get_json()["message"]
    assert client.get(f"/api/v1/grants/{g['id']}", headers=token_for("fund_admin")).get_json()["status"] == "approved"


def test_a_grant_that_would_repay_a_loan_with_tranches_to_come_waits_for_the_rest_to_be_cancelled(client, token_for):
    pid = _dyeing(client, token_for)
    officer = token_for("bank_officer")
    loan = client.post("/api/v1/loans", headers=officer, json={
        "proposal_id": pid, "principal": "80000.00", "annual_rate": 0.10, "tenor_months": 48,
        "grace_months": 24, "frequency": "monthly", "method": "annuity"}).get_json()["id"]  # no principal due yet
    client.post(f"/api/v1/loans/{loan}/approve", headers=token_for("credit_committee"),
                json={"decided_on": (disbursed_on() - timedelta(days=14)).isoformat()})
    res = client.post(f"/api/v1/loans/{loan}/disburse", headers=officer,
                      json={"amount": "20000.00", "value_date": disbursed_on().isoformat()})
    assert res.status_code == 201, res.get_json()
    g = _approved_grant(client, token_for, pid)
    assert g["amount"] == "20000.00"  # 25% of the approved 80,000: all that is out
    res = client.post(f"/api/v1/grants/{g['id']}/pay", headers=token_for("fund_admin"), json={})
    assert res.status_code == 409 and "cancel the undisbursed rest first" in res.get_json()["message"]
    assert client.get(f"/api/v1/loans/{loan}", headers=officer).get_json()["outstanding_principal"] == "20000.00"
    res = client.post(f"/api/v1/loans/{loan}/cancel-undisbursed", headers=officer, json={"reason": "project scaled down"})
    assert res.status_code == 200, res.get_json()
    res = client.post(f"/api/v1/grants/{g['id']}/pay", headers=token_for("fund_admin"), json={})
    assert res.status_code == 200, res.get_json()
    got = client.get(f"/api/v1/loans/{loan}", headers=officer).get_json()
    assert (got["status"], got["outstanding_principal"]) == ("repaid", "0.00")
