"""Guarantees through the API: the bank requests, the fund issues within capacity, call on default,
pay once, recoveries shared and booked on the loan; validity follows the schedule; write-off."""
from __future__ import annotations

from decimal import Decimal

from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from creditline.creditlines.models import CreditLine
from creditline.audit.models import AuditEvent
from creditline.extensions import db
from creditline.guarantees.models import Guarantee
from creditline.guarantees.services import committed_cover, exposure
from creditline.loans import repayments as loans
from creditline.loans.models import Loan

from .test_loans import START, approved, counts, pay, proposal_id, schedule  # noqa: F401  (fixtures and helpers)

D = Decimal


def request(client, token_for, loan_id, **body):
    return client.post(f"/api/v1/loans/{loan_id}/guarantee", headers=token_for("bank_officer"), json=body)


def issue(client, token_for, loan_id, **body):
    """Request the guarantee (the bank) and issue it (the fund); return the fund's answer."""
    res = request(client, token_for, loan_id, **body)
    if res.status_code != 201:
        return res
    return client.post(f"/api/v1/guarantees/{res.get_json()['id']}/issue", headers=token_for("fund_admin"))


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


def test_the_bank_requests_and_the_fund_issues_by_the_viet_nam_terms(client, token_for, approved):  # noqa: F811
    res = request(client, token_for, approved)
    g = res.get_json()
    assert res.status_code == 201, g
    # 50% of USD 80,000, free because the proceeds go to the approved items; no validity before
    # the first disbursement fixes the schedule.
    assert (g["status"], g["covered_amount"], g["fee"], g["coverage_share"]) == ("requested", "40000.00", "0.00", 0.5)
    assert g["valid_until"] is None and g["allowed_transitions"] == ["issued", "declined"]
    ex = line_exposure(client, token_for)
    assert (ex["requested"], ex["issued"], ex["remaining_capacity"]) == ("40000.00", "0.00", "2000000.00")
    again = request(client, token_for, approved)
    assert again.status_code == 409
    assert (again.get_json()["current_state"], again.get_json()["allowed"]) == ("requested", ["issued", "declined"])
    # Only the fund issues.
    for role in ("bank_officer", "credit_committee", "auditor", "sme"):
        assert client.post(f"/api/v1/guarantees/{g['id']}/issue", headers=token_for(role)).status_code == 403
    res = client.post(f"/api/v1/guarantees/{g['id']}/issue", headers=token_for("fund_admin"))
    assert res.status_code == 200 and res.get_json()["status"] == "issued" and res.get_json()["issued_by"]
    res = client.post(f"/api/v1/guarantees/{g['id']}/issue", headers=token_for("fund_admin"))
    assert res.status_code == 409
    assert (res.get_json()["current_state"], res.get_json()["allowed"]) == ("issued", ["called", "released"])
    ex = line_exposure(client, token_for)
    assert (ex["requested"], ex["issued"], ex["remaining_capacity"]) == ("0.00", "40000.00", "1960000.00")


def test_the_fund_declines_a_request_with_a_reason(app, client, token_for, approved):  # noqa: F811
    gid = request(client, token_for, approved).get_json()["id"]
    url = f"/api/v1/guarantees/{gid}/decline"
    res = client.post(url, headers=token_for("fund_admin"), json={})
    assert res.status_code == 422 and "reason" in res.get_json()["errors"]
    assert client.post(url, headers=token_for("bank_officer"), json={"reason": "not now"}).status_code == 403
    res = client.post(url, headers=token_for("fund_admin"), json={"reason": "the items are not green"})
    assert res.status_code == 200
    assert (res.get_json()["status"], res.get_json()["decline_reason"]) == ("declined", "the items are not green")
    res = client.post(f"/api/v1/guarantees/{gid}/issue", headers=token_for("fund_admin"))
    assert res.status_code == 409 and (res.get_json()["current_state"], res.get_json()["allowed"]) == ("declined",
                                                                                                     ["requested"])
    assert line_exposure(client, token_for)["remaining_capacity"] == "2000000.00"
    # The bank may ask again (one guarantee row per loan): the request is renewed, the decision cleared.
    again = request(client, token_for, approved)
    assert again.status_code == 201, again.get_json()
    g = again.get_json()
    assert (g["id"], g["status"], g["decline_reason"], g["declined_at"]) == (gid, "requested", None, None)
    res = client.post(f"/api/v1/guarantees/{gid}/issue", headers=token_for("fund_admin"))
    assert res.status_code == 200 and res.get_json()["status"] == "issued"
    with app.app_context():
        actions = [e.action for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.entity_type == "guarantee", AuditEvent.entity_id == gid)
            .order_by(AuditEvent.seq))]
    assert actions == ["guarantee.requested", "guarantee.declined", "guarantee.requested", "guarantee.issued"]


def test_fee_total_cover_and_capacity_rules(app, client, token_for, approved):  # noqa: F811
    res = request(client, token_for, approved, other_guarantors_share=0.3)
    assert res.status_code == 422 and res.get_json()["capped"]["coverage_share"] == 0.4
    res = request(client, token_for, approved, coverage_share=0.6)
    assert res.status_code == 422 and "coverage_share" in res.get_json()["errors"]
    res = request(client, token_for, approved, proceeds_to_approved_items=False, other_guarantors_share=0.2)
    assert res.status_code == 201 and res.get_json()["fee"] == "2400.00"  # 3% of the credit
    gid = res.get_json()["id"]
    # Capacity is checked when the fund issues: beyond it, refused and nothing changes.
    with app.app_context():
        db.session.execute(db.update(CreditLine).values(guarantee_capacity=D("30000.00")))
        db.session.commit()
    token_for("fund_admin")
    before = counts(app)
    res = client.post(f"/api/v1/guarantees/{gid}/issue", headers=token_for("fund_admin"))
    assert res.status_code == 422 and "30000.00 of capacity left" in str(res.get_json()["errors"]["covered_amount"])
    assert counts(app) == before
    with app.app_context():
        db.session.execute(db.update(CreditLine).values(guarantee_capacity=D("2000000.00")))
        db.session.commit()
    assert client.post(f"/api/v1/guarantees/{gid}/issue", headers=token_for("fund_admin")).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Guarantee)) == 1


def test_default_call_pay_once_and_share_recoveries(app, client, token_for, approved):  # noqa: F811
    gid = issue(client, token_for, approved).get_json()["id"]
    disbursed(client, token_for, approved)
    # Calling before default is refused.
    res = client.post(f"/api/v1/guarantees/{gid}/call", headers=token_for("bank_officer"))
    assert res.status_code == 409 and "not defaulted" in res.get_json()["message"]
    assert (res.get_json()["current_state"], res.get_json()["allowed"]) == ("issued", ["called", "released"])
    assert default(app, approved) == "defaulted"
    res = client.post(f"/api/v1/guarantees/{gid}/call", headers=token_for("bank_officer"))
    g = res.get_json()
    assert res.status_code == 200 and g["status"] == "called"
    assert (g["outstanding_at_default"], g["claim_amount"]) == ("80000.00", "40000.00")
    assert client.post(f"/api/v1/guarantees/{gid}/pay", headers=token_for("bank_officer")).status_code == 403
    assert client.post(f"/api/v1/guarantees/{gid}/pay", headers=token_for("fund_admin")).status_code == 200
    again = client.post(f"/api/v1/guarantees/{gid}/pay", headers=token_for("fund_admin"))
    assert again.status_code == 409 and (again.get_json()["current_state"], again.get_json()["allowed"]) == \
        ("paid", ["recovered"])
    res = client.post(f"/api/v1/guarantees/{gid}/recoveries", headers=token_for("bank_officer"),
                      json={"amount": "10000.01", "currency": "USD", "reference": "collateral sale",
                            "value_date": (START + relativedelta(months=6)).isoformat()})
    r = res.get_json()
    assert res.status_code == 201, r
    # The fund carried half the loss, so it gets half of the recovery; the parts add up to the cent.
    assert (r["fund_part"], r["bank_part"]) == ("5000.01", "5000.00") and r["payment_id"]
    g = client.get(f"/api/v1/guarantees/{gid}", headers=token_for("fund_admin")).get_json()
    assert (g["status"], g["recovered"], g["allowed_transitions"]) == ("recovered", "10000.01", [])
    # The recovery is booked on the loan too: its principal fell by the same amount.
    loan = client.get(f"/api/v1/loans/{approved}", headers=token_for("bank_officer")).get_json()
    assert (loan["status"], loan["outstanding_principal"]) == ("defaulted", "69999.99")
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
    assert "guarantee exposure" not in page and f"G-{gid:06d}" in page


def test_validity_follows_the_schedule(client, token_for, approved):  # noqa: F811
    gid = issue(client, token_for, approved).get_json()["id"]
    g = client.get(f"/api/v1/guarantees/{gid}", headers=token_for("fund_admin")).get_json()
    assert g["valid_until"] is None  # issued before the first disbursement
    disbursed(client, token_for, approved)
    rows = schedule(client, token_for, approved)
    g = client.get(f"/api/v1/guarantees/{gid}", headers=token_for("fund_admin")).get_json()
    assert g["valid_until"] == rows[-1]["due_date"] == (START + relativedelta(months=12)).isoformat()
    # A prepayment that shortens the loan moves the end of the cover with it.
    due1 = START + relativedelta(months=1)
    res = pay(client, token_for, approved, D(rows[0]["total"]) + 30000, due1, mode="shorten")
    assert res.status_code == 201, res.get_json()
    rows = schedule(client, token_for, approved)
    g = client.get(f"/api/v1/guarantees/{gid}", headers=token_for("fund_admin")).get_json()
    assert len(rows) < 12 and g["valid_until"] == rows[-1]["due_date"]


def test_after_the_claim_is_paid_a_borrower_payment_is_a_shared_recovery(app, client, token_for, approved):  # noqa: F811
    gid = issue(client, token_for, approved).get_json()["id"]
    disbursed(client, token_for, approved)
    assert default(app, approved) == "defaulted"
    assert client.post(f"/api/v1/guarantees/{gid}/call", headers=token_for("bank_officer")).status_code == 200
    # While the fund has not paid the claim, money received waits (409 with the guarantee's next state).
    on = START + relativedelta(months=6)
    res = pay(client, token_for, approved, "1000.00", on)
    assert res.status_code == 409 and (res.get_json()["current_state"], res.get_json()["allowed"]) == ("called", ["paid"])
    assert client.post(f"/api/v1/guarantees/{gid}/pay", headers=token_for("fund_admin")).status_code == 200
    res = pay(client, token_for, approved, "3000.01", on)
    body = res.get_json()
    assert res.status_code == 201, body
    # All of it repays principal (oldest installment first) and is shared half and half.
    assert (body["allocation"]["principal"], body["allocation"]["interest"], body["prepayment"]) == \
        ("3000.01", "0.00", "0.00")
    assert body["loan"]["outstanding_principal"] == "76999.99" and body["loan"]["status"] == "defaulted"
    g = client.get(f"/api/v1/guarantees/{gid}", headers=token_for("fund_admin")).get_json()
    assert g["status"] == "recovered" and len(g["recoveries"]) == 1
    r = g["recoveries"][0]
    assert (r["amount"], r["fund_part"], r["bank_part"], r["payment_id"]) == ("3000.01", "1500.01", "1500.00", body["id"])
    # The invariant: recovered principal = outstanding at default - what the loan still owes.
    assert D(g["outstanding_at_default"]) - D(g["recovered"]) == D(body["loan"]["outstanding_principal"])
    ex = line_exposure(client, token_for)
    assert (ex["paid"], ex["recovered"], ex["remaining_capacity"]) == ("40000.00", "1500.01", "1961500.01")
    # A second recovery on the guarantee keeps it recovered and lowers the loan again.
    res = client.post(f"/api/v1/guarantees/{gid}/recoveries", headers=token_for("fund_admin"),
                      json={"amount": "999.99", "value_date": on.isoformat()})
    assert res.status_code == 201
    loan = client.get(f"/api/v1/loans/{approved}", headers=token_for("bank_officer")).get_json()
    assert loan["outstanding_principal"] == "76000.00"
    g = client.get(f"/api/v1/guarantees/{gid}", headers=token_for("fund_admin")).get_json()
    # Shared from the running total: half of 4000.00 is 2000.00, so this one gives the fund 499.99
    # (rounding each recovery on its own would have given it 1500.01 + 500.00 = 2000.01).
    assert (g["status"], g["recovered"], g["recovered_by_fund"]) == ("recovered", "4000.00", "2000.00")
    assert [(r["fund_part"], r["bank_part"]) for r in g["recoveries"]] == [("1500.01", "1500.00"),
                                                                         ("499.99", "500.00")]
    # What the capacity check sums in SQL is the exposure's figure: the paid claim less the fund's recoveries.
    with app.app_context():
        line = db.session.get(CreditLine, db.session.get(Guarantee, gid).credit_line_id)
        assert committed_cover(line.id) == exposure(line)["committed"] == D("38000.00")
        db.session.remove()


def test_write_off_after_the_call_keeps_the_guarantee_and_exposure(app, client, token_for, approved):  # noqa: F811
    gid = issue(client, token_for, approved).get_json()["id"]
    disbursed(client, token_for, approved)
    url = f"/api/v1/loans/{approved}/write-off"
    res = client.post(url, headers=token_for("bank_officer"), json={"reason": "insolvent"})
    assert res.status_code == 409
    assert (res.get_json()["current_state"], res.get_json()["allowed"]) == ("active", ["in_arrears", "repaid"])
    assert default(app, approved) == "defaulted"
    token_for("credit_committee")
    before = counts(app)
    res = client.post(url, headers=token_for("bank_officer"), json={"reason": "insolvent"})
    assert res.status_code == 409 and "call it before" in res.get_json()["message"]
    assert (res.get_json()["guarantee_state"], res.get_json()["allowed"]) == ("issued", ["written_off"])
    assert client.post(url, headers=token_for("bank_officer"), json={}).status_code == 422
    assert client.post(url, headers=token_for("credit_committee"), json={"reason": "insolvent"}).status_code == 403
    assert counts(app) == before
    assert client.post(f"/api/v1/guarantees/{gid}/call", headers=token_for("bank_officer")).status_code == 200
    assert client.post(f"/api/v1/guarantees/{gid}/pay", headers=token_for("fund_admin")).status_code == 200
    shown = line_exposure(client, token_for)
    res = client.post(url, headers=token_for("bank_officer"), json={"reason": "the enterprise is insolvent"})
    assert res.status_code == 200 and res.get_json()["status"] == "defaulted"  # proposed: the committee confirms
    res = client.post(f"{url}/confirm", headers=token_for("credit_committee"))
    loan = res.get_json()
    assert res.status_code == 200 and (loan["status"], loan["allowed_transitions"]) == ("written_off", [])
    assert loan["write_off_reason"] == "the enterprise is insolvent" and loan["outstanding_principal"] == "80000.00"
    assert line_exposure(client, token_for) == shown
    g = client.get(f"/api/v1/guarantees/{gid}", headers=token_for("fund_admin")).get_json()
    assert g["status"] == "paid"
    # Money recovered after the write-off is still shared and booked.
    res = pay(client, token_for, approved, "2000.00", START + relativedelta(months=7))
    assert res.status_code == 201 and res.get_json()["loan"]["status"] == "written_off"
    with app.app_context():
        from creditline.audit.models import AuditEvent
        actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "loan",
                                                                     AuditEvent.entity_id == approved)
                                     .order_by(AuditEvent.seq)).all()
        db.session.remove()
    assert actions[-3:] == ["loan.write_off_proposed", "loan.written_off", "loan.payment"]


def test_writing_off_declines_the_request_the_fund_never_decided(app, client, token_for, approved):  # noqa: F811
    # The request waits on the fund while the loan defaults: the write-off ends it, with the reason, not the cover.
    gid = request(client, token_for, approved).get_json()["id"]
    disbursed(client, token_for, approved)
    assert default(app, approved) == "defaulted"
    res = client.post(f"/api/v1/loans/{approved}/write-off", headers=token_for("bank_officer"),
                      json={"reason": "the enterprise is insolvent"})
    assert res.status_code == 200 and res.get_json()["status"] == "defaulted"
    g = client.get(f"/api/v1/guarantees/{gid}", headers=token_for("fund_admin")).get_json()
    assert g["status"] == "requested"  # a proposal ends nothing; the confirmed write-off does
    res = client.post(f"/api/v1/loans/{approved}/write-off/confirm", headers=token_for("credit_committee"))
    assert res.status_code == 200 and res.get_json()["status"] == "written_off"
    g = client.get(f"/api/v1/guarantees/{gid}", headers=token_for("fund_admin")).get_json()
    assert (g["status"], g["decline_reason"], g["allowed_transitions"]) == (
        "declined", f"loan {approved} was written off", ["requested"])
    with app.app_context():
        last = db.session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "guarantee",
                                                                  AuditEvent.entity_id == gid)
                                  .order_by(AuditEvent.seq.desc())).first()
        db.session.remove()
    assert last == "guarantee.declined"


def test_guarantee_on_an_unapproved_loan_is_409_with_the_loans_next_states(client, token_for, proposal_id):  # noqa: F811
    from .test_loans import propose
    loan_id = propose(client, token_for, proposal_id).get_json()["id"]
    res = request(client, token_for, loan_id)
    assert res.status_code == 409
    assert (res.get_json()["current_state"], res.get_json()["allowed"]) == ("applied", ["approved", "declined", "withdrawn"])


def test_the_loan_page_offers_a_new_request_after_a_decline(client, token_for, session_for, approved):  # noqa: F811
    gid = request(client, token_for, approved).get_json()["id"]
    officer = session_for("bank_officer")
    assert "Request the guarantee again" not in officer.get(f"/loans/{approved}").get_data(as_text=True)
    client.post(f"/api/v1/guarantees/{gid}/decline", headers=token_for("fund_admin"), json={"reason": "no capacity now"})
    html = officer.get(f"/loans/{approved}").get_data(as_text=True)
    assert "Declined: no capacity now." in html and "Request the guarantee again" in html
    # Only the bank's officer is offered it.
    assert "Request the guarantee again" not in session_for("credit_committee").get(f"/loans/{approved}").get_data(as_text=True)
    res = officer.post(f"/loans/{approved}/guarantee", data={"proceeds_to_approved_items": "on"})
    assert res.status_code == 302
    assert client.get(f"/api/v1/guarantees/{gid}", headers=token_for("bank_officer")).get_json()["status"] == "requested"


def test_capacity_left_after_issuing_is_the_services_figure_on_the_issue_step(app, client, token_for,
                                                                              approved):  # noqa: F811
    from creditline.auth.models import User
    from creditline.auth.permissions import Actor
    from creditline.guarantees.services import capacity_after_issuing

    gid = request(client, token_for, approved).get_json()["id"]
    with app.app_context():
        g = db.session.get(Guarantee, gid)
        people = {e: Actor.of(db.session.scalar(select(User).where(User.email == e)))
                  for e in ("admin@fund.example", "officer@bank.example")}
        # 2,000,000 of capacity, nothing committed yet, 40,000 to be committed by this one.
        assert capacity_after_issuing(people["admin@fund.example"], g) == D("1960000.00")
        assert capacity_after_issuing(people["officer@bank.example"], g) is None
        db.session.remove()
    admin = app.test_client()
    admin.post("/login", data={"email": "admin@fund.example", "password": "green-credit-demo"})
    page = admin.get(f"/guarantees/{gid}/issue").get_data(as_text=True)
    assert "Capacity left after issuing" in page and "USD 1,960,000" in page


def test_a_call_racing_a_payment_claims_on_what_is_still_owed(app, client, token_for, story):
    # The coconut mill's loan has defaulted; the bank records the borrower's last payment while
    # another officer calls the fund's cover. Whichever lands first, the claim is the fund's share
    # of the principal owed once the payment is in (never of principal already repaid).
    from creditline.finance.guarantee_math import claim_amount

    from .races import audit_chain_ok, race_calls

    loan_id = story["coconut"]["loan_id"]
    with app.app_context():
        db.session.get(Loan, loan_id).status = "defaulted"  # the daily job's step, not under test here
        db.session.commit()
        gid = db.session.scalar(select(Guarantee.id).where(Guarantee.loan_id == loan_id))
        db.session.remove()
    officer = token_for("bank_officer")
    (paid, _), (called, claim) = race_calls(app, [
        (f"/api/v1/loans/{loan_id}/payments", officer, {"amount": "20000.00", "currency": "USD", "mode": "shorten"}),
        (f"/api/v1/guarantees/{gid}/call", officer, {})])
    assert called == 200 and paid in (201, 409), (paid, called, claim)
    with app.app_context():
        loan, g = db.session.get(Loan, loan_id), db.session.get(Guarantee, gid)
        assert g.outstanding_at_default == loan.outstanding_principal
        assert Decimal(claim["claim_amount"]) == g.claim_amount == claim_amount(
            g.coverage_share, loan.outstanding_principal, g.cap)
        db.session.remove()
    assert audit_chain_ok(app)
