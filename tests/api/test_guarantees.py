"""Guarantees through the API: issue within capacity, call on default, pay once, share recoveries."""
from __future__ import annotations

from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from creditline.creditlines.models import CreditLine
from creditline.extensions import db
from creditline.guarantees.models import Guarantee
from creditline.guarantees.services import exposure
from creditline.loans import services as loans
from creditline.loans.models import Loan

from .test_loans import START, approved, pay, proposal_id  # noqa: F401  (fixtures and helpers)

D = Decimal


def issue(client, token_for, loan_id, **body):
    return client.post(f"/api/v1/loans/{loan_id}/guarantee", headers=token_for("bank_officer"), json=body)


def disbursed(client, token_for, loan_id):
    res = client.post(f"/api/v1/loans/{loan_id}/disburse", headers=token_for("bank_officer"),
                      json={"amount": "80000.00", "value_date": START.isoformat()})
    assert res.status_code == 201, res.get_json()


def default(app, loan_id, months=5):
    with app.app_context():
        loan = db.session.get(Loan, loan_id)
        loans.update_arrears(loan, START + relativedelta(months=months))
        status = loan.status
        db.session.remove()
    return status


def line_exposure(client, token_for):
    line = client.get("/api/v1/credit-lines", headers=token_for("fund_admin")).get_json()["items"][0]["id"]
    return client.get(f"/api/v1/credit-lines/{line}/exposure", headers=token_for("fund_admin")).get_json()


def test_issue_by_the_viet_nam_terms(client, token_for, approved):  # noqa: F811
    res = issue(client, token_for, approved)
    g = res.get_json()
    assert res.status_code == 201, g
    # 50% of USD 80,000, free because the proceeds go to the approved items.
    assert (g["covered_amount"], g["fee"], g["coverage_share"]) == ("40000.00", "0.00", 0.5)
    assert issue(client, token_for, approved).status_code == 409
    ex = line_exposure(client, token_for)
    assert (ex["issued"], ex["remaining_capacity"]) == ("40000.00", "1960000.00")


def test_fee_total_cover_and_capacity_rules(app, client, token_for, approved):  # noqa: F811
    res = issue(client, token_for, approved, other_guarantors_share=0.3)
    assert res.status_code == 422 and "max_total_share" in str(res.get_json()["errors"])
    res = issue(client, token_for, approved, coverage_share=0.6)
    assert res.status_code == 422 and "coverage_share" in res.get_json()["errors"]
    with app.app_context():
        db.session.execute(db.update(CreditLine).values(guarantee_capacity=D("30000.00")))
        db.session.commit()
    res = issue(client, token_for, approved)
    assert res.status_code == 422 and "30000.00 of capacity left" in str(res.get_json()["errors"])
    with app.app_context():
        db.session.execute(db.update(CreditLine).values(guarantee_capacity=D("2000000.00")))
        db.session.commit()
    res = issue(client, token_for, approved, proceeds_to_approved_items=False, other_guarantors_share=0.2)
    assert res.status_code == 201 and res.get_json()["fee"] == "2400.00"  # 3% of the credit
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Guarantee)) == 1


def test_default_call_pay_once_and_share_recoveries(app, client, token_for, approved):  # noqa: F811
    gid = issue(client, token_for, approved).get_json()["id"]
    disbursed(client, token_for, approved)
    # Calling before default is refused.
    res = client.post(f"/api/v1/guarantees/{gid}/call", headers=token_for("bank_officer"))
    assert res.status_code == 409 and "not defaulted" in res.get_json()["message"]
    assert default(app, approved) == "defaulted"
    res = client.post(f"/api/v1/guarantees/{gid}/call", headers=token_for("bank_officer"))
    g = res.get_json()
    assert res.status_code == 200 and g["status"] == "called"
    assert (g["outstanding_at_default"], g["claim_amount"]) == ("80000.00", "40000.00")
    assert client.post(f"/api/v1/guarantees/{gid}/pay", headers=token_for("bank_officer")).status_code == 403
    assert client.post(f"/api/v1/guarantees/{gid}/pay", headers=token_for("fund_admin")).status_code == 200
    assert client.post(f"/api/v1/guarantees/{gid}/pay", headers=token_for("fund_admin")).status_code == 409
    res = client.post(f"/api/v1/guarantees/{gid}/recoveries", headers=token_for("bank_officer"),
                      json={"amount": "10000.01", "currency": "USD", "reference": "collateral sale"})
    r = res.get_json()
    assert res.status_code == 201, r
    # The fund carried half the loss, so it gets half of the recovery; the parts add up to the cent.
    assert (r["fund_part"], r["bank_part"]) == ("5000.01", "5000.00")
    too_much = client.post(f"/api/v1/guarantees/{gid}/recoveries", headers=token_for("bank_officer"),
                           json={"amount": "70000.00"})
    assert too_much.status_code == 422 and "69999.99" in str(too_much.get_json()["errors"])
    ex = line_exposure(client, token_for)
    assert (ex["called"], ex["paid"], ex["recovered"], ex["outstanding_exposure"]) == \
        ("40000.00", "40000.00", "5000.01", "0.00")
    assert ex["remaining_capacity"] == "1965000.01"


def test_exposure_always_matches_a_recomputation(app, client, token_for, approved):  # noqa: F811
    gid = issue(client, token_for, approved).get_json()["id"]
    disbursed(client, token_for, approved)
    pay(client, token_for, approved, D("7107.90"), START + relativedelta(months=1))
    shown = line_exposure(client, token_for)
    with app.app_context():
        loan = db.session.get(Loan, approved)
        g = db.session.get(Guarantee, gid)
        line = db.session.get(CreditLine, g.credit_line_id)
        # From scratch: half of the principal still owed on the schedule, and the capacity minus the cover.
        owed = sum((i.principal - i.principal_paid for i in loan.installments), D("0"))
        assert D(shown["outstanding_exposure"]) == (owed / 2).quantize(D("0.01"))
        assert D(shown["remaining_capacity"]) == line.guarantee_capacity - g.covered_amount
        assert exposure(line)["outstanding_exposure"] == D(shown["outstanding_exposure"])


def test_only_the_bank_and_the_fund_touch_guarantees(client, token_for, approved):  # noqa: F811
    for role in ("sme", "verifier", "credit_committee", "auditor"):
        assert client.post(
            f"/api/v1/loans/{approved}/guarantee", headers=token_for(role), json={}).status_code == 403
    gid = issue(client, token_for, approved).get_json()["id"]
    assert client.get(f"/api/v1/guarantees/{gid}", headers=token_for("sme")).status_code == 200
    assert client.get(f"/api/v1/guarantees/{gid}", headers=token_for("owner@rolling.example")).status_code == 404
    assert client.get("/api/v1/credit-lines/1/exposure", headers=token_for("bank_officer")).status_code == 403


def test_exposure_page_shows_the_fund_position(app, client, token_for, approved):  # noqa: F811
    gid = issue(client, token_for, approved).get_json()["id"]
    admin = app.test_client()
    admin.post("/login", data={"email": "admin@fund.example", "password": "green-credit-demo"})
    page = admin.get("/guarantees").get_data(as_text=True)
    assert "guarantee exposure" in page and "USD 1,960,000" in page and "USD 40,000" in page
    officer = app.test_client()
    officer.post("/login", data={"email": "officer@bank.example", "password": "green-credit-demo"})
    page = officer.get("/guarantees").get_data(as_text=True)
    assert "guarantee exposure" not in page and f"G{gid}" in page
