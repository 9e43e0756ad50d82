"""Loans through the API: from the demo's eligible proposal to repaid, to the cent; bad input is a
4xx naming the problem and changes nothing; scope, four eyes, arrears, tranches, CSV."""
from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import ROUND_HALF_UP, Decimal

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select

from creditline.audit.models import AuditEvent
from creditline.extensions import db
from creditline.finance.schedules import build_schedule, reschedule_after_prepayment, tranche_period_interest
from creditline.loans.models import Disbursement, Installment, Loan, Payment
from creditline import clock
from ..conftest import ROLE_USERS

D = Decimal
TABLES = (Loan, Installment, Disbursement, Payment, AuditEvent)
TERMS = {"principal": "80000.00", "annual_rate": 0.12, "tenor_months": 12, "frequency": "monthly",
         "method": "annuity"}


def first_of_next_month(today: dt.date | None = None) -> dt.date:
    """A start date on or after today with no month-end clamping."""
    today = today or clock.today()
    return (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


# Payments cannot be dated in the future, so the test loans start 14 months ago: a whole
# twelve-month schedule lies in the past. The committee approved them on START (``decided_on``).
START = (clock.today().replace(day=1) - relativedelta(months=14))
APPROVED_ON_START = {"decided_on": START.isoformat()}


def counts(app) -> dict[str, int]:
    with app.app_context():
        got = {m.__tablename__: db.session.scalar(select(func.count()).select_from(m)) for m in TABLES}
        db.session.remove()
    return got


@pytest.fixture
def proposal_id(client, token_for):
    items = client.get("/api/v1/proposals?status=eligible", headers=token_for("bank_officer")).get_json()["items"]
    (p,) = [p for p in items if p["title"] == "Low liquor ratio jet dyeing machines"]
    return p["id"]


def propose(client, token_for, proposal_id, **terms):
    return client.post("/api/v1/loans", headers=token_for("bank_officer"),
                       json={"proposal_id": proposal_id, **TERMS, **terms})


@pytest.fixture
def approved(app, client, token_for, proposal_id):
    res = propose(client, token_for, proposal_id)
    assert res.status_code == 201, res.get_json()
    loan_id = res.get_json()["id"]
    res = client.post(f"/api/v1/loans/{loan_id}/approve", headers=token_for("credit_committee"), json=APPROVED_ON_START)
    assert res.status_code == 200, res.get_json()
    return loan_id


@pytest.fixture
def active(client, token_for, approved):
    res = client.post(f"/api/v1/loans/{approved}/disburse", headers=token_for("bank_officer"),
                      json={"amount": "80000.00", "value_date": START.isoformat(), "reference": "TT-1"})
    assert res.status_code == 201, res.get_json()
    return approved


def pay(client, token_for, loan_id, amount, on, **extra):
    return client.post(f"/api/v1/loans/{loan_id}/payments", headers=token_for("bank_officer"),
                       json={"amount": str(amount), "currency": "USD", "value_date": on.isoformat(), **extra})


def schedule(client, token_for, loan_id):
    res = client.get(f"/api/v1/loans/{loan_id}/schedule", headers=token_for("sme"))
    assert res.status_code == 200, res.get_json()
    return res.get_json()["installments"]


def test_loan_from_proposal_to_repaid_to_the_cent(app, client, token_for, proposal_id):
    officer, committee = token_for("bank_officer"), token_for("credit_committee")
    res = propose(client, token_for, proposal_id,
                  disbursement_plan=[{"date": START.isoformat(), "amount": "80000.00"}])
    assert res.status_code == 201, res.get_json()
    loan = res.get_json()
    loan_id = loan["id"]
    assert loan["status"] == "applied" and loan["principal"] == "80000.00" and loan["currency"] == "USD"
    assert loan["annual_rate"] == 0.12 and loan["allowed_transitions"] == ["approved", "declined", "withdrawn"]
    # DSCR with the real terms: net savings 25,000 - 5,000 over the peak loan year's debt service.
    pro_forma = build_schedule(D("80000"), D("0.12"), 12, 0, "monthly", "annuity", START)
    service = sum(r.total for r in pro_forma)
    assert loan["annual_debt_service"] == str(service)
    assert loan["debt_service_coverage"] == float((D("20000") / service).quantize(D("0.0001")))
    assert pro_forma[0].total == D("7107.90")

    # The proposer's bank officer cannot approve; the committee can, once.
    res = client.post(f"/api/v1/loans/{loan_id}/approve", headers=officer, json={})
    assert res.status_code == 403 and "credit_committee" in res.get_json()["message"]
    res = client.post(f"/api/v1/loans/{loan_id}/approve", headers=committee, json={"comment": "fine", **APPROVED_ON_START})
    assert res.status_code == 200 and res.get_json()["status"] == "approved"
    assert res.get_json()["decided_by"] is not None

    res = client.post(f"/api/v1/loans/{loan_id}/disburse", headers=officer,
                      json={"amount": "80000.00", "value_date": START.isoformat()})
    assert res.status_code == 201, res.get_json()
    # The whole principal is out: disbursed, then active at once.
    assert res.get_json()["loan"]["status"] == "active" and res.get_json()["loan"]["start_date"] == START.isoformat()
    rows = schedule(client, token_for, loan_id)
    assert len(rows) == 12
    assert rows[0] == {"number": 1, "due_date": (START + relativedelta(months=1)).isoformat(),
                       "principal": "6307.90", "interest": "800.00", "fee": "0.00", "total": "7107.90",
                       "balance_after": "73692.10", "principal_paid": "0.00", "interest_paid": "0.00",
                       "fee_paid": "0.00", "status": "scheduled"}
    assert [r["total"] for r in rows] == [str(r.total) for r in pro_forma]
    assert rows[-1]["balance_after"] == "0.00"

    # Installment 1 on its due date: interest then principal, nothing prepaid.
    due1 = dt.date.fromisoformat(rows[0]["due_date"])
    res = pay(client, token_for, loan_id, "7107.90", due1)
    assert res.status_code == 201, res.get_json()
    body = res.get_json()
    assert body["allocation"]["lines"] == [{"number": 1, "fee": "0.00", "interest": "800.00", "principal": "6307.90"}]
    assert body["prepayment"] == "0.00" and body["loan"]["outstanding_principal"] == "73692.10"

    # Installment 2 plus 10,000 of prepayment, shortening the loan.
    due2 = dt.date.fromisoformat(rows[1]["due_date"])
    res = pay(client, token_for, loan_id, D(rows[1]["total"]) + 10000, due2, mode="shorten")
    assert res.status_code == 201, res.get_json()
    assert res.get_json()["prepayment"] == "10000.00" and res.get_json()["mode"] == "shorten"
    balance = D(rows[1]["balance_after"]) - 10000
    expected = reschedule_after_prepayment(pro_forma[2:], balance, D("0.12"), "monthly", "annuity", "shorten")
    rows = schedule(client, token_for, loan_id)
    assert [r["status"] for r in rows[:2]] == ["paid", "paid"]
    assert [(r["number"], r["total"], r["balance_after"]) for r in rows[2:]] == \
        [(r.number, str(r.total), str(r.balance_after)) for r in expected]
    assert len(rows) < 12 and rows[2]["total"] == "7107.90"

    # Installment 3 plus 5,000, keeping the dates with a lower installment.
    due3 = dt.date.fromisoformat(rows[2]["due_date"])
    res = pay(client, token_for, loan_id, D(rows[2]["total"]) + 5000, due3, mode="lower_installment")
    assert res.status_code == 201, res.get_json()
    count_before = len(rows)
    lowered = reschedule_after_prepayment(expected[1:], expected[0].balance_after - 5000, D("0.12"),
                                          "monthly", "annuity", "lower_installment")
    rows = schedule(client, token_for, loan_id)
    assert len(rows) == count_before
    assert [(r["total"], r["balance_after"]) for r in rows[3:]] == [(str(r.total), str(r.balance_after)) for r in lowered]
    assert D(rows[3]["total"]) < D("7107.90")

    # One cent too much is refused with the maximum; the maximum itself repays the loan.
    due4 = dt.date.fromisoformat(rows[3]["due_date"])
    # Installment 4's interest and fee, and all the principal still owed (its balance before).
    maximum = D(rows[3]["interest"]) + D(rows[3]["fee"]) + D(rows[3]["principal"]) + D(rows[3]["balance_after"])
    res = pay(client, token_for, loan_id, maximum + D("0.01"), due4)
    assert res.status_code == 422 and res.get_json()["maximum"] == str(maximum)
    assert str(maximum) in res.get_json()["message"] and "amount" in res.get_json()["errors"]
    res = pay(client, token_for, loan_id, maximum, due4)
    assert res.status_code == 201, res.get_json()
    loan = res.get_json()["loan"]
    assert loan["status"] == "repaid" and loan["outstanding_principal"] == "0.00"
    assert loan["allowed_transitions"] == []

    payments = client.get(f"/api/v1/loans/{loan_id}/payments", headers=officer).get_json()
    assert len(payments) == 4
    principal_paid = sum(D(p["allocation"]["principal"]) + D(p["allocation"]["prepayment"]) for p in payments)
    interest_paid = sum(D(p["allocation"]["interest"]) for p in payments)
    assert principal_paid == D("80000.00")
    assert sum(D(p["amount"]) for p in payments) == principal_paid + interest_paid
    rows = schedule(client, token_for, loan_id)
    prepaid = sum(D(p["prepayment"]) for p in payments)
    assert prepaid == D("15000.00") + D(rows[-1]["balance_after"])  # the payoff prepaid the rest
    assert sum(D(r["principal"]) for r in rows) + prepaid == D("80000.00")
    assert all(r["status"] == "paid" for r in rows)
    # A repaid loan takes no more money.
    res = pay(client, token_for, loan_id, "1.00", due4)
    assert res.status_code == 409 and res.get_json()["current_state"] == "repaid"


def test_bad_terms_are_422_naming_each_field_and_save_nothing(app, client, token_for, proposal_id):
    before = counts(app)
    res = propose(client, token_for, proposal_id, principal="100000.01", currency="EUR", annual_rate=1.5,
                  tenor_months=13, grace_months=0, frequency="quarterly", fee_per_installment="-1.00",
                  disbursement_plan=[{"amount": "60000.00"}, {"amount": "50000.00"}])
    assert res.status_code == 422
    errors = res.get_json()["errors"]
    assert "larger than the proposal's investment (100000.00)" in errors["principal"][0]
    assert "lends in USD, not EUR" in errors["currency"][0]
    assert "annual_rate" in errors["annual_rate"][0]
    assert "multiple of 3 months" in errors["tenor_months"][0]
    assert "fee_per_installment" in errors
    assert counts(app) == before
    res = propose(client, token_for, proposal_id, tenor_months=12, grace_months=12)
    assert res.status_code == 422 and "shorter than the tenor" in res.get_json()["errors"]["grace_months"][0]
    res = propose(client, token_for, proposal_id, disbursement_plan=[{"amount": "60000.00"}, {"amount": "20000.01"}])
    assert res.status_code == 422 and "80000.01" in res.get_json()["errors"]["disbursement_plan"][0]
    res = propose(client, token_for, proposal_id, frequency="weekly")
    assert res.status_code == 422 and "frequency" in res.get_json()["errors"]
    assert counts(app) == before


def test_only_one_loan_per_proposal_and_only_on_eligible_ones(client, token_for, proposal_id, approved):
    res = propose(client, token_for, proposal_id)
    assert res.status_code == 409 and "already has loan" in res.get_json()["message"]


def test_the_proposer_cannot_approve_or_decline_four_eyes(app, client, token_for, proposal_id):
    from creditline.auth.models import Organisation
    from creditline.auth.services import create_user
    with app.app_context():
        bank = db.session.execute(select(Organisation).where(Organisation.name == "Mekong Partner Bank")).scalar_one()
        create_user(None, email="both@bank.example", name="Do Both", password="a-long-password",
                    organisation_id=bank.id, roles=["bank_officer", "credit_committee"])
        db.session.remove()
    both = token_for("both@bank.example")
    res = client.post("/api/v1/loans", headers=both, json={"proposal_id": proposal_id, **TERMS})
    assert res.status_code == 201
    loan_id = res.get_json()["id"]
    before = counts(app)
    for action, body in (("approve", {}), ("decline", {"reason": "my own loan"})):
        res = client.post(f"/api/v1/loans/{loan_id}/{action}", headers=both, json=body)
        assert res.status_code == 403 and res.get_json()["code"] == "four_eyes", res.get_json()
    assert counts(app) == before
    # Someone else declines it, with a reason; a declined loan cannot be approved.
    res = client.post(f"/api/v1/loans/{loan_id}/decline", headers=token_for("credit_committee"), json={})
    assert res.status_code == 422 and "reason" in res.get_json()["errors"]
    res = client.post(f"/api/v1/loans/{loan_id}/decline", headers=token_for("credit_committee"),
                      json={"reason": "collateral missing"})
    assert res.status_code == 200 and res.get_json()["decline_reason"] == "collateral missing"
    res = client.post(f"/api/v1/loans/{loan_id}/approve", headers=token_for("credit_committee"), json={})
    assert res.status_code == 409 and res.get_json()["current_state"] == "declined"


def test_approving_twice_is_409_and_changes_nothing(app, client, token_for, approved):
    before = counts(app)
    res = client.post(f"/api/v1/loans/{approved}/approve", headers=token_for("credit_committee"), json={})
    assert res.status_code == 409 and res.get_json()["code"] == "invalid_transition"
    assert "cannot go from 'approved' to 'approved'" in res.get_json()["message"]
    assert counts(app) == before


def test_disbursement_rules(app, client, token_for, approved):
    officer = token_for("bank_officer")
    url = f"/api/v1/loans/{approved}/disburse"
    before = counts(app)
    yesterday = START - dt.timedelta(days=1)  # the day before the (back-dated) approval
    cases = [
        ({"amount": "80000.01", "value_date": START.isoformat()}, "amount", "80000.00 of the approved principal"),
        ({"amount": "-1.00", "value_date": START.isoformat()}, "amount", "more than zero"),
        ({"amount": "1000.00", "value_date": yesterday.isoformat()}, "value_date", "was approved on"),
    ]
    for body, field, fragment in cases:
        res = client.post(url, headers=officer, json=body)
        assert res.status_code == 422, res.get_json()
        assert fragment in res.get_json()["errors"][field][0]
    res = client.post(url, headers=token_for("credit_committee"), json={"amount": "1.00", "value_date": START.isoformat()})
    assert res.status_code == 403
    assert counts(app) == before
    # A payment before any disbursement: the loan is not being repaid yet.
    res = pay(client, token_for, approved, "10.00", START)
    assert res.status_code == 409 and res.get_json()["current_state"] == "approved"
    assert counts(app) == before


def whole_due(start: dt.date) -> dt.date:
    return start + relativedelta(months=1)


def test_tranches_never_exceed_the_principal_and_respread_the_schedule(app, client, token_for, approved):
    officer = token_for("bank_officer")
    url = f"/api/v1/loans/{approved}/disburse"
    assert client.post(url, headers=officer, json={"amount": "50000.00", "value_date": START.isoformat()}).status_code == 201
    first = build_schedule(D("50000"), D("0.12"), 12, 0, "monthly", "annuity", START)
    rows = schedule(client, token_for, approved)
    assert [r["total"] for r in rows] == [str(r.total) for r in first]
    before = counts(app)
    second_day = START + dt.timedelta(days=10)
    res = client.post(url, headers=officer, json={"amount": "30000.01", "value_date": second_day.isoformat()})
    assert res.status_code == 422 and "only 30000.00" in res.get_json()["errors"]["amount"][0]
    res = client.post(url, headers=officer, json={"amount": "1.00", "value_date": (START - dt.timedelta(days=1)).isoformat()})
    assert res.status_code == 422 and "value_date" in res.get_json()["errors"]
    assert counts(app) == before
    res = client.post(url, headers=officer, json={"amount": "30000.00", "value_date": second_day.isoformat()})
    assert res.status_code == 201
    assert res.get_json()["loan"]["disbursed"] == "80000.00"
    rows = schedule(client, token_for, approved)
    # Nothing was due yet: the whole 80,000 is spread over the same twelve dates; installment 1
    # charges the 50,000 until the second tranche's value date and the 80,000 after it.
    first_interest = tranche_period_interest(START, whole_due(START), D("50000.00"), [(second_day, D("30000.00"))],
                                             D("0.12"), 12)
    whole = build_schedule(D("80000"), D("0.12"), 12, 0, "monthly", "annuity", START, first_interest=first_interest)
    assert [(r["due_date"], r["total"]) for r in rows] == [(r.due_date.isoformat(), str(r.total)) for r in whole]
    res = client.post(url, headers=officer, json={"amount": "0.01", "value_date": second_day.isoformat()})
    assert res.status_code == 422 and "only 0.00" in res.get_json()["errors"]["amount"][0]


def test_a_second_tranche_mid_period_charges_interest_on_what_was_out(client, token_for, proposal_id):
    # The browser walk's loan (a year later: the demo proposal was submitted on 2025-06-01):
    # 80,000 at 10% over 36 months, 50,000 out on 2026-01-20 and 30,000 on 2026-02-17;
    # installment 1 falls due on 2026-02-20.
    res = propose(client, token_for, proposal_id, annual_rate=0.10, tenor_months=36)
    assert res.status_code == 201, res.get_json()
    loan_id = res.get_json()["id"]
    res = client.post(f"/api/v1/loans/{loan_id}/approve", headers=token_for("credit_committee"),
                      json={"decided_on": "2026-01-15"})
    assert res.status_code == 200, res.get_json()
    url, officer = f"/api/v1/loans/{loan_id}/disburse", token_for("bank_officer")
    for amount, on in (("50000.00", "2026-01-20"), ("30000.00", "2026-02-17")):
        res = client.post(url, headers=officer, json={"amount": amount, "value_date": on})
        assert res.status_code == 201, res.get_json()
    rows = schedule(client, token_for, loan_id)
    assert (rows[0]["number"], rows[0]["due_date"]) == (1, "2026-02-20")
    # 28 days of 31 on 50,000 and the last 3 on 80,000, at the monthly rate 10%/12.
    by_hand = D(50000) * D("0.10") / 12 * 28 / 31 + D(80000) * D("0.10") / 12 * 3 / 31
    assert rows[0]["interest"] == str(by_hand.quantize(D("0.01"), rounding=ROUND_HALF_UP)) == "440.86"
    # The annuity's level payment stays, so installment 1 repays more principal; money is conserved.
    level = build_schedule(D("80000"), D("0.10"), 36, 0, "monthly", "annuity", dt.date(2026, 1, 20))[0]
    assert D(rows[0]["principal"]) + D(rows[0]["interest"]) == level.principal + level.interest
    assert len(rows) == 36 and sum(D(r["principal"]) for r in rows) == D("80000.00")
    assert rows[-1]["balance_after"] == "0.00"
    assert all(D(r["interest"]) == (D(p["balance_after"]) * D("0.10") / 12).quantize(D("0.01"), ROUND_HALF_UP)
               for p, r in zip(rows, rows[1:]))


def test_bad_payments_are_4xx_naming_the_problem_and_change_nothing(app, client, token_for, active):
    due1 = dt.date.fromisoformat(schedule(client, token_for, active)[0]["due_date"])
    for role in ("sme", "credit_committee", "fund_admin"):
        token_for(role)  # issuing a token is audited: issue them before counting
    before = counts(app)
    cases = [
        ({"currency": "EUR"}, "1000.00", due1, "currency", "the loan is in USD; a payment in EUR"),
        ({}, "-5.00", due1, "amount", "more than zero"),
        ({}, "0.00", due1, "amount", "more than zero"),
        ({}, "100.00", START - dt.timedelta(days=1), "value_date", f"first disbursed on {START}"),
        ({}, "20000.00", due1, "mode", "shorten or lower_installment"),
        ({"mode": "sideways"}, "20000.00", due1, "mode", "Must be one of"),
    ]
    for extra, amount, on, field, fragment in cases:
        body = {"amount": amount, "currency": "USD", "value_date": on.isoformat(), **extra}
        res = client.post(f"/api/v1/loans/{active}/payments", headers=token_for("bank_officer"), json=body)
        assert res.status_code == 422, res.get_json()
        assert fragment in str(res.get_json()["errors"][field]), res.get_json()
    res = pay(client, token_for, active, "80800.01", due1)
    assert res.status_code == 422 and res.get_json()["maximum"] == "80800.00"
    for role in ("sme", "credit_committee", "fund_admin"):
        res = client.post(f"/api/v1/loans/{active}/payments", headers=token_for(role),
                          json={"amount": "1.00", "currency": "USD", "value_date": due1.isoformat()})
        assert res.status_code == 403
    assert counts(app) == before


def test_partial_payment_and_arrears(app, client, token_for, active):
    from creditline.loans.repayments import update_arrears
    rows = schedule(client, token_for, active)
    due1 = dt.date.fromisoformat(rows[0]["due_date"])
    # 900 pays the 800 interest and 100 of principal: the installment is partly paid.
    res = pay(client, token_for, active, "900.00", due1)
    assert res.status_code == 201
    assert res.get_json()["allocation"]["lines"] == [{"number": 1, "fee": "0.00", "interest": "800.00", "principal": "100.00"}]
    assert schedule(client, token_for, active)[0]["status"] == "partly_paid"
    with app.app_context():
        loan = db.session.get(Loan, active)
        update_arrears(loan, due1 + dt.timedelta(days=5), 90)
        assert (loan.status, loan.days_past_due) == ("in_arrears", 5)
        update_arrears(loan, due1 + dt.timedelta(days=91), 90)
        assert (loan.status, loan.days_past_due) == ("defaulted", 91)
        db.session.remove()
    # A late payment on the defaulted loan is still applied (recovery); it stays defaulted.
    res = pay(client, token_for, active, "6207.90", due1 + dt.timedelta(days=92))
    assert res.status_code == 201, res.get_json()
    assert res.get_json()["loan"]["status"] == "defaulted"
    with app.app_context():
        actions = db.session.execute(select(AuditEvent.action).where(AuditEvent.entity_type == "loan")
                                     .order_by(AuditEvent.seq)).scalars().all()
        db.session.remove()
    assert actions[-3:] == ["loan.in_arrears", "loan.defaulted", "loan.payment"]


def test_payment_of_the_due_amount_cures_arrears(app, client, token_for, active):
    from creditline.loans.repayments import update_arrears
    rows = schedule(client, token_for, active)
    due1 = dt.date.fromisoformat(rows[0]["due_date"])
    with app.app_context():
        update_arrears(db.session.get(Loan, active), due1 + dt.timedelta(days=3), 90)
        db.session.remove()
    res = pay(client, token_for, active, rows[0]["total"], due1 + dt.timedelta(days=3))
    assert res.status_code == 201
    assert res.get_json()["loan"]["status"] == "active" and res.get_json()["loan"]["days_past_due"] == 0


def test_schedule_as_csv(client, token_for, active):
    for kwargs in ({"query_string": {"format": "csv"}}, {"headers": {"Accept": "text/csv"}}):
        headers = {**token_for("sme"), **kwargs.pop("headers", {})}
        res = client.get(f"/api/v1/loans/{active}/schedule", headers=headers, **kwargs)
        assert res.status_code == 200 and res.mimetype == "text/csv"
        table = list(csv.DictReader(io.StringIO(res.get_data(as_text=True))))
        assert len(table) == 12
        assert table[0]["total"] == "7107.90" and table[0]["interest"] == "800.00"
        assert table[-1]["balance_after"] == "0.00"
        assert sum(D(r["principal"]) for r in table) == D("80000.00")


def test_pro_forma_schedule_before_disbursement(client, token_for, approved):
    res = client.get(f"/api/v1/loans/{approved}/schedule", headers=token_for("credit_committee"))
    body = res.get_json()
    assert body["pro_forma"] is True and len(body["installments"]) == 12
    assert body["totals"]["principal"] == "80000.00"


def test_scope_and_listing(client, token_for, approved):
    for who, status in (("sme", 200), ("verifier", 200), ("fund_admin", 200), ("auditor", 200),
                        ("owner@rolling.example", 404)):
        assert client.get(f"/api/v1/loans/{approved}", headers=token_for(who)).status_code == status, who
    listing = client.get("/api/v1/loans", headers=token_for("owner@rolling.example")).get_json()
    assert listing["total"] == 0
    listing = client.get("/api/v1/loans?status=approved", headers=token_for("sme")).get_json()
    assert [x["id"] for x in listing["items"]] == [approved]
    assert client.get("/api/v1/loans?status=repaid", headers=token_for("sme")).get_json()["total"] == 0
    assert client.get("/api/v1/loans?status=bogus", headers=token_for("sme")).status_code == 422


def test_a_proposal_with_an_approved_loan_cannot_be_withdrawn(app, client, token_for, proposal_id, approved):
    token_for("sme")
    before = counts(app)
    res = client.post(f"/api/v1/proposals/{proposal_id}/withdraw", headers=token_for("sme"),
                      json={"reason": "found cheaper money"})
    assert res.status_code == 409 and "approved" in res.get_json()["message"]
    assert counts(app) == before


def test_a_proposal_with_an_approved_loan_cannot_be_reopened_and_its_page_says_why(
        app, client, token_for, proposal_id, approved, session_for):
    token_for("sme")  # signing in is audited: before counting
    before = counts(app)
    res = client.post(f"/api/v1/proposals/{proposal_id}/reopen", headers=token_for("sme"))
    body = res.get_json()
    assert res.status_code == 409, body
    assert body["message"] == (f"loan L{approved} on this proposal is approved: a proposal whose loan is "
                               "approved cannot be revised")
    assert counts(app) == before
    assert client.get(f"/api/v1/proposals/{proposal_id}", headers=token_for("sme")).get_json()["status"] != "draft"
    html = session_for(ROLE_USERS["sme"]).get(f"/proposals/{proposal_id}").get_data(as_text=True)
    assert f"Its figures are final: loan L{approved} on this proposal is approved" in html
    assert ">Revise</button>" not in html and "Withdraw this proposal" not in html


def test_reopening_the_proposal_withdraws_the_loan_application_that_rested_on_it(app, client, token_for, proposal_id):
    loan_id = propose(client, token_for, proposal_id).get_json()["id"]
    res = client.post(f"/api/v1/proposals/{proposal_id}/reopen", headers=token_for("sme"))
    assert res.status_code == 200 and res.get_json()["status"] == "draft"
    loan = client.get(f"/api/v1/loans/{loan_id}", headers=token_for("bank_officer")).get_json()
    assert loan["status"] == "withdrawn"
    with app.app_context():
        event = db.session.execute(select(AuditEvent).where(AuditEvent.entity_type == "loan",
                                                            AuditEvent.action == "loan.withdrawn")).scalar_one()
        assert event.after["reason"] == "the proposal was reopened for revision"
        db.session.remove()


def test_withdrawing_the_proposal_withdraws_the_loan_application(app, client, token_for, proposal_id):
    loan_id = propose(client, token_for, proposal_id).get_json()["id"]
    res = client.post(f"/api/v1/proposals/{proposal_id}/withdraw", headers=token_for("sme"),
                      json={"reason": "found cheaper money"})
    assert res.status_code == 200
    loan = client.get(f"/api/v1/loans/{loan_id}", headers=token_for("bank_officer")).get_json()
    assert (loan["status"], loan["allowed_transitions"]) == ("withdrawn", [])
    token_for("credit_committee")
    before = counts(app)
    res = client.post(f"/api/v1/loans/{loan_id}/approve", headers=token_for("credit_committee"), json={})
    body = res.get_json()
    assert res.status_code == 409 and (body["current_state"], body["allowed"]) == ("withdrawn", [])
    assert counts(app) == before
    with app.app_context():
        event = db.session.execute(select(AuditEvent).where(AuditEvent.entity_type == "loan",
                                                            AuditEvent.action == "loan.withdrawn")).scalar_one()
        assert event.after["reason"] == "found cheaper money" and event.before == {"status": "applied"}
        db.session.remove()


def test_every_step_is_audited(app, client, token_for, active):
    due1 = dt.date.fromisoformat(schedule(client, token_for, active)[0]["due_date"])
    assert pay(client, token_for, active, "7107.90", due1).status_code == 201
    with app.app_context():
        actions = db.session.execute(select(AuditEvent.action).where(AuditEvent.entity_type == "loan",
                                                                     AuditEvent.entity_id == active)
                                     .order_by(AuditEvent.seq)).scalars().all()
        db.session.remove()
    assert actions == ["loan.applied", "loan.approved", "loan.disbursement", "loan.disbursed", "loan.active",
                       "loan.payment"]


def test_payments_are_never_in_the_future_nor_before_the_latest_one(app, client, token_for, active):
    rows = schedule(client, token_for, active)
    due1, due2 = (dt.date.fromisoformat(r["due_date"]) for r in rows[:2])
    token_for("sme")
    before = counts(app)
    # Three years ahead would once have defaulted the loan; now it is refused and nothing changes.
    future = clock.today() + relativedelta(years=3)
    res = pay(client, token_for, active, rows[0]["total"], future)
    assert res.status_code == 422 and "after today" in res.get_json()["errors"]["value_date"][0]
    res = pay(client, token_for, active, "1.00", clock.today() + dt.timedelta(days=1))
    assert res.status_code == 422 and "value_date" in res.get_json()["errors"]
    assert counts(app) == before
    loan = client.get(f"/api/v1/loans/{active}", headers=token_for("sme")).get_json()
    assert (loan["status"], loan["days_past_due"]) == ("active", 0)
    assert pay(client, token_for, active, rows[1]["total"], due2).status_code == 201
    before = counts(app)
    res = pay(client, token_for, active, rows[0]["total"], due1)
    assert res.status_code == 422
    message = res.get_json()["errors"]["value_date"][0]
    assert f"latest recorded payment is dated {due2}" in message and "date order" in message
    assert counts(app) == before
    # The same day as the latest payment is fine.
    assert pay(client, token_for, active, "10.00", due2).status_code == 201


def test_fractions_of_a_cent_are_refused_not_rounded(app, client, token_for, approved, proposal_id):
    token_for("sme")
    before = counts(app)
    url = f"/api/v1/loans/{approved}/disburse"
    for amount in ("100.005", 100.005, "0.001"):
        res = client.post(url, headers=token_for("bank_officer"), json={"amount": amount, "value_date": START.isoformat()})
        assert res.status_code == 422 and "whole number of cents" in res.get_json()["errors"]["amount"][0], amount
    assert client.post(url, headers=token_for("bank_officer"),
                       json={"amount": "80000.00", "value_date": START.isoformat()}).status_code == 201
    before = counts(app)
    due1 = START + relativedelta(months=1)
    res = pay(client, token_for, approved, "100.005", due1)
    assert res.status_code == 422 and "whole number of cents" in res.get_json()["errors"]["amount"][0]
    assert counts(app) == before
    assert pay(client, token_for, approved, "100.50", due1).get_json()["amount"] == "100.50"


def test_the_upfront_fee_is_charged_first_and_counts_in_debt_service(app, client, token_for, proposal_id):
    res = propose(client, token_for, proposal_id, upfront_fee="800.00")
    loan = res.get_json()
    assert res.status_code == 201, loan
    pro_forma = build_schedule(D("80000"), D("0.12"), 12, 0, "monthly", "annuity", START)
    service = sum(r.total for r in pro_forma) + D("800.00")
    assert loan["annual_debt_service"] == str(service)
    assert loan["debt_service_coverage"] == float((D("20000") / service).quantize(D("0.0001")))
    loan_id = loan["id"]
    assert client.post(f"/api/v1/loans/{loan_id}/approve", headers=token_for("credit_committee"),
                       json=APPROVED_ON_START).status_code == 200
    assert client.post(f"/api/v1/loans/{loan_id}/disburse", headers=token_for("bank_officer"),
                       json={"amount": "80000.00", "value_date": START.isoformat()}).status_code == 201
    rows = schedule(client, token_for, loan_id)
    assert (rows[0]["fee"], rows[0]["total"], rows[1]["fee"]) == ("800.00", "7907.90", "0.00")
    # The fee is taken first, before the interest and the principal.
    res = pay(client, token_for, loan_id, "1000.00", START + relativedelta(months=1))
    assert res.get_json()["allocation"]["lines"] == [{"number": 1, "fee": "800.00", "interest": "200.00",
                                                      "principal": "0.00"}]


def test_disbursed_until_the_last_tranche_or_the_first_due_date(app, client, token_for, approved):
    from creditline.loans.arrears_batch import update_all_arrears
    url = f"/api/v1/loans/{approved}/disburse"
    today = clock.today()
    res = client.post(url, headers=token_for("bank_officer"), json={"amount": "50000.00", "value_date": today.isoformat()})
    loan = res.get_json()["loan"]
    assert res.status_code == 201 and (loan["status"], loan["allowed_transitions"]) == ("disbursed", ["active"])
    assert loan["undisbursed"] == "30000.00"
    # Payments are taken while disbursed (here an early prepayment).
    res = pay(client, token_for, approved, "100.00", today, mode="lower_installment")
    assert res.status_code == 201 and res.get_json()["loan"]["status"] == "disbursed"
    first_due = today + relativedelta(months=1)
    with app.app_context():
        assert update_all_arrears(first_due - dt.timedelta(days=1))["status_changes"] == 0
        moved = update_all_arrears(first_due)
        db.session.commit()
        assert moved["moves"] == [{"loan_id": approved, "status": "active", "days_past_due": 0,
                                   "since": first_due.isoformat()}]
        assert db.session.get(Loan, approved).status == "active"
        db.session.remove()
    # The last tranche on a loan still disbursed makes it active at once.
    with app.app_context():
        db.session.get(Loan, approved).status = "disbursed"
        db.session.commit()
        db.session.remove()
    res = client.post(url, headers=token_for("bank_officer"), json={"amount": "30000.00", "value_date": today.isoformat()})
    assert res.status_code == 201 and res.get_json()["loan"]["status"] == "active"


def test_a_declined_loan_is_told_to_the_sme_once_with_the_reason(app, client, token_for, proposal_id):
    from creditline.auth.models import User
    from creditline.notifications.models import Notification
    loan_id = propose(client, token_for, proposal_id).get_json()["id"]
    committee = token_for("credit_committee")
    assert client.post(f"/api/v1/loans/{loan_id}/decline", headers=committee, json={}).status_code == 422
    res = client.post(f"/api/v1/loans/{loan_id}/decline", headers=committee, json={"reason": "collateral missing"})
    assert res.status_code == 200
    with app.app_context():
        told = db.session.execute(select(User.email, Notification.kind, Notification.body, Notification.url)
                                  .join(User, User.id == Notification.user_id)
                                  .where(Notification.entity_type == "loan", Notification.entity_id == loan_id,
                                         Notification.kind == "loan_declined")).all()
        db.session.remove()
    assert [(e, k, u) for e, k, _, u in told] == [("owner@textile.example", "loan_declined", f"/loans/{loan_id}")]
    assert told[0].body.endswith("declined the loan: collateral missing")
