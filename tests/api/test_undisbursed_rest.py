"""Paying off a loan still being paid out: refused until the bank cancels the undisbursed rest, with a reason."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from creditline.audit.models import AuditEvent
from creditline.extensions import db
from creditline.loans.models import Loan
from creditline import clock

from .test_loans import approved, counts, pay, proposal_id  # noqa: F401 - fixtures

D = Decimal


def _half_out(client, token_for, loan_id, on=None):
    res = client.post(f"/api/v1/loans/{loan_id}/disburse", headers=token_for("bank_officer"),
                      json={"amount": "50000.00", "value_date": (on or clock.today()).isoformat()})
    assert res.status_code == 201, res.get_json()
    # Paid out today nothing is due yet; paid out long ago, installments have fallen due.
    assert res.get_json()["loan"]["status"] == ("disbursed" if on is None else "active")


def _loan(client, token_for, loan_id):
    return client.get(f"/api/v1/loans/{loan_id}", headers=token_for("bank_officer")).get_json()


def test_a_payoff_of_a_loan_still_disbursed_is_refused_and_closes_nothing(app, client, token_for, approved):  # noqa: F811
    _half_out(client, token_for, approved)
    before = counts(app)
    res = pay(client, token_for, approved, "50000.00", clock.today(), mode="shorten")
    assert res.status_code == 409, res.get_json()
    body = res.get_json()
    assert body["current_state"] == "disbursed" and body["allowed"] == ["active"]
    assert "30000.00 of the approved principal 80000.00 has not been paid out" in body["message"]
    assert "cancel the undisbursed rest first" in body["message"]
    assert counts(app) == before
    loan = _loan(client, token_for, approved)
    assert (loan["status"], loan["outstanding_principal"], loan["undisbursed"]) == ("disbursed", "50000.00", "30000.00")


def test_the_officer_cancels_the_rest_with_a_reason_then_the_payoff_closes_the_loan(app, client, token_for,
                                                                                    approved):  # noqa: F811
    _half_out(client, token_for, approved)
    url = f"/api/v1/loans/{approved}/cancel-undisbursed"
    assert client.post(url, headers=token_for("bank_officer"), json={}).status_code == 422
    assert client.post(url, headers=token_for("bank_officer"), json={"reason": "x"}).status_code == 422
    assert client.post(url, headers=token_for("credit_committee"), json={"reason": "no longer needed"}).status_code == 403
    assert client.post(url, headers=token_for("sme"), json={"reason": "no longer needed"}).status_code == 403
    assert _loan(client, token_for, approved)["undisbursed"] == "30000.00"

    res = client.post(url, headers=token_for("bank_officer"), json={"reason": "the second dyeing line was dropped"})
    assert res.status_code == 200, res.get_json()
    loan = res.get_json()
    assert (loan["undisbursed"], loan["cancelled_amount"], loan["status"]) == ("0.00", "30000.00", "active")
    assert loan["cancellation_reason"] == "the second dyeing line was dropped" and loan["cancelled_by"]
    again = client.post(url, headers=token_for("bank_officer"), json={"reason": "once more"})
    assert again.status_code == 409 and "nothing is left to cancel" in again.get_json()["message"]
    refused = client.post(f"/api/v1/loans/{approved}/disburse", headers=token_for("bank_officer"),
                          json={"amount": "1.00", "value_date": clock.today().isoformat()})
    assert refused.status_code == 422
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "loan.undisbursed_cancelled",
                                                            AuditEvent.entity_id == approved)).one()
        assert event.after["cancelled_amount"] == "30000.00" and event.before["undisbursed"] == "30000.00"
        assert event.after["reason"] == "the second dyeing line was dropped"
        db.session.remove()

    res = pay(client, token_for, approved, "50000.00", clock.today(), mode="shorten")
    assert res.status_code == 201, res.get_json()
    loan = _loan(client, token_for, approved)
    assert (loan["status"], loan["outstanding_principal"]) == ("repaid", "0.00")


def test_a_fully_disbursed_or_not_yet_disbursed_loan_has_no_rest_to_cancel(app, client, token_for, approved):  # noqa: F811
    url = f"/api/v1/loans/{approved}/cancel-undisbursed"
    res = client.post(url, headers=token_for("bank_officer"), json={"reason": "changed our mind"})
    assert res.status_code == 409 and res.get_json()["current_state"] == "approved"
    client.post(f"/api/v1/loans/{approved}/disburse", headers=token_for("bank_officer"),
                json={"amount": "80000.00", "value_date": clock.today().isoformat()})
    res = client.post(url, headers=token_for("bank_officer"), json={"reason": "changed our mind"})
    assert res.status_code == 409 and "nothing is left to cancel" in res.get_json()["message"]
    with app.app_context():
        assert db.session.get(Loan, approved).cancelled_amount == D("0.00")
        db.session.remove()


def test_a_payoff_before_the_first_due_date_repays_the_loan(client, token_for, approved):  # noqa: F811
    client.post(f"/api/v1/loans/{approved}/disburse", headers=token_for("bank_officer"),
                json={"amount": "80000.00", "value_date": clock.today().isoformat()})
    res = pay(client, token_for, approved, "80000.00", clock.today(), mode="shorten")
    assert res.status_code == 201, res.get_json()
    loan = _loan(client, token_for, approved)
    assert (loan["status"], loan["outstanding_principal"]) == ("repaid", "0.00")
    again = pay(client, token_for, approved, "1.00", clock.today())
    assert again.status_code == 409


def test_a_grant_on_the_credit_is_computed_on_what_was_not_cancelled(client, token_for, approved):  # noqa: F811
    from dateutil.relativedelta import relativedelta

    from .test_loans import START
    from .test_verification_chain import PLAN, reported, verified
    _half_out(client, token_for, approved, START)
    res = client.post(f"/api/v1/loans/{approved}/cancel-undisbursed", headers=token_for("bank_officer"),
                      json={"reason": "the second dyeing line was dropped"})
    assert res.status_code == 200, res.get_json()
    proposal = _loan(client, token_for, approved)["proposal_id"]
    # Reporting from three months after the money, so every period has ended by today.
    plan = {**PLAN, "reporting_start": (START + relativedelta(months=3)).isoformat()}
    res = client.post(f"/api/v1/proposals/{proposal}/monitoring-plan", headers=token_for("verifier"), json=plan)
    assert res.status_code == 201, res.get_json()
    reported(client, token_for, proposal)
    v = verified(client, token_for, proposal)
    client.post(f"/api/v1/verifications/{v['id']}/propose", headers=token_for("verifier"),
                json={"decision": "verified", "comment": "checked on site"})
    client.post(f"/api/v1/verifications/{v['id']}/confirm", headers=token_for("senior_verifier"), json={})
    g = client.get("/api/v1/grants", headers=token_for("fund_admin")).get_json()["items"][0]
    # 25% of the USD 50,000 lent, not of the USD 80,000 first approved.
    assert (g["basis"], g["amount"]) == ("loan_amount", "12500.00")
