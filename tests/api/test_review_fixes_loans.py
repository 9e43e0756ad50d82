"""Review fixes on loans and guarantees: amounts too large to store are a 422 (or a flashed form
error) naming the field, never a 500; recoveries are shared from the running totals, to the cent;
lists load their rows' loans, proposals and enterprises in a fixed number of queries."""
from __future__ import annotations

import html
from decimal import Decimal, InvalidOperation

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import event, func, select

from creditline.creditlines.models import CreditLine
from creditline.enterprises.models import Enterprise
from creditline.extensions import db
from creditline.guarantees.models import Guarantee, Recovery
from creditline.guarantees.services import exposure
from creditline.loans import services as loan_services
from creditline.loans.models import Loan

from .test_guarantees import default, disbursed, issue
from .test_loans import START, TERMS, approved, counts, pay, proposal_id  # noqa: F401  (fixtures and helpers)

D = Decimal
TOO_LARGE = ("1e26", "1e28", "1e30", "99999999999999999999999999.99", "1000000000000.00", "-1e30")
LIMIT = "at most 999,999,999,999.99"


def _amount_error(res, field: str) -> str:
    body = res.get_json()
    assert res.status_code == 422, body
    return body["errors"][field][0]


# -- 1. amounts beyond what Numeric(14, 2) holds -------------------------------------------------

def test_huge_principal_and_fees_are_422_naming_the_field(app, client, token_for, proposal_id):  # noqa: F811
    before = counts(app)
    for amount in TOO_LARGE:
        for field in ("principal", "upfront_fee", "fee_per_installment"):
            res = client.post("/api/v1/loans", headers=token_for("bank_officer"),
                              json={"proposal_id": proposal_id, **TERMS, field: amount})
            assert LIMIT in _amount_error(res, field), (field, amount)
        res = client.post("/api/v1/loans", headers=token_for("bank_officer"),
                          json={"proposal_id": proposal_id, **TERMS,
                                "disbursement_plan": [{"date": START.isoformat(), "amount": amount}]})
        assert res.status_code == 422 and LIMIT in str(res.get_json()["errors"]["disbursement_plan"]), amount
    assert counts(app) == before
    # The largest storable amount passes the schema; the service then judges it against the proposal.
    res = client.post("/api/v1/loans", headers=token_for("bank_officer"),
                      json={"proposal_id": proposal_id, **TERMS, "principal": "999999999999.99"})
    assert "cannot be larger than the proposal's investment" in _amount_error(res, "principal")
    assert counts(app) == before


def test_huge_disbursements_payments_and_recoveries_are_422(app, client, token_for, approved):  # noqa: F811
    gid = issue(client, token_for, approved).get_json()["id"]
    before = counts(app)
    for amount in TOO_LARGE:
        res = client.post(f"/api/v1/loans/{approved}/disburse", headers=token_for("bank_officer"),
                          json={"amount": amount, "value_date": START.isoformat()})
        assert LIMIT in _amount_error(res, "amount"), amount
    assert counts(app) == before
    disbursed(client, token_for, approved)
    assert default(app, approved) == "defaulted"
    assert client.post(f"/api/v1/guarantees/{gid}/call", headers=token_for("bank_officer")).status_code == 200
    assert client.post(f"/api/v1/guarantees/{gid}/pay", headers=token_for("fund_admin")).status_code == 200
    before = counts(app)
    on = START + relativedelta(months=6)
    for amount in TOO_LARGE:
        assert LIMIT in _amount_error(pay(client, token_for, approved, amount, on), "amount"), amount
        res = client.post(f"/api/v1/guarantees/{gid}/recoveries", headers=token_for("bank_officer"),
                          json={"amount": amount, "value_date": on.isoformat()})
        assert LIMIT in _amount_error(res, "amount"), amount
    assert counts(app) == before
    with app.app_context():
        assert db.session.scalars(select(Recovery)).all() == []
        db.session.remove()


def _flashes(page: str) -> str:
    return html.unescape(page)


def test_the_loan_form_flashes_huge_amounts_and_stores_nothing(app, session_for, proposal_id):  # noqa: F811
    officer = session_for("bank_officer")
    before = counts(app)
    form = {"proposal_id": str(proposal_id), "principal": "1e30", "annual_rate": "0.1", "tenor_months": "12"}
    res = officer.post("/loans/new", data=form)
    assert res.status_code == 422
    page = _flashes(res.get_data(as_text=True))
    assert '<a href="#principal">Principal</a>: Enter an amount of at most' in page and LIMIT in page
    assert 'value="1e30"' in page  # what was typed stays in the form
    res = officer.post("/loans/new", data={**form, "principal": "1000.00", "plan-date": START.isoformat(),
                                           "plan-amount": "1e27"})
    page = _flashes(res.get_data(as_text=True))
    assert res.status_code == 422 and '<a href="#disbursement_plan-0-amount">Tranche 1: amount</a>' in page
    assert LIMIT in page and "disbursement_plan." not in page
    assert counts(app) == before


def test_the_loan_form_flashes_arithmetic_errors_instead_of_a_500(
        app, session_for, proposal_id, monkeypatch):  # noqa: F811
    def overflow(*args, **kwargs):
        raise InvalidOperation("decimal overflow")

    monkeypatch.setattr(loan_services, "propose_loan", overflow)
    officer = session_for("bank_officer")
    before = counts(app)
    res = officer.post("/loans/new", data={"proposal_id": str(proposal_id), "principal": "1000.00",
                                           "annual_rate": "0.1", "tenor_months": "12"})
    assert res.status_code == 422 and "Give amounts as numbers" in res.get_data(as_text=True)
    assert counts(app) == before


def test_the_payment_form_shows_the_loan_page_again_on_a_huge_amount(
        app, client, token_for, session_for, approved):  # noqa: F811
    disbursed(client, token_for, approved)
    officer = session_for("bank_officer")
    before = counts(app)
    due1 = (START + relativedelta(months=1)).isoformat()
    for action, amount in (("pay", "1e30"), ("disburse", "1e26")):
        res = officer.post(f"/loans/{approved}/{action}", data={"amount": amount, "value_date": due1})
        assert res.status_code == 422, action
        page = _flashes(res.get_data(as_text=True))
        prefix = {"pay": "p-", "disburse": "d-"}[action]
        assert f'<a href="#{prefix}amount">Amount</a>: Enter an amount of at most' in page and LIMIT in page, action
        assert action != "pay" or f'value="{amount}"' in page  # the whole principal is out: no disburse form
    assert counts(app) == before


# -- 3. recoveries shared from the running totals ----------------------------------------------

def test_tiny_recoveries_are_shared_pro_rata_overall_and_the_fund_never_gets_more_than_its_claim(
        app, client, token_for, approved):  # noqa: F811
    gid = issue(client, token_for, approved).get_json()["id"]
    disbursed(client, token_for, approved)
    assert default(app, approved) == "defaulted"
    g = client.post(f"/api/v1/guarantees/{gid}/call", headers=token_for("bank_officer")).get_json()
    assert (g["outstanding_at_default"], g["claim_amount"]) == ("80000.00", "40000.00")
    assert client.post(f"/api/v1/guarantees/{gid}/pay", headers=token_for("fund_admin")).status_code == 200
    on = (START + relativedelta(months=6)).isoformat()
    parts = []
    for n in range(7):
        # Both routes share the same way: a recovery on the guarantee, or a payment on the loan.
        if n % 2:
            res = pay(client, token_for, approved, "0.01", START + relativedelta(months=6))
            assert res.status_code == 201, res.get_json()
            r = client.get(f"/api/v1/guarantees/{gid}", headers=token_for("fund_admin")).get_json()["recoveries"][-1]
        else:
            res = client.post(f"/api/v1/guarantees/{gid}/recoveries", headers=token_for("bank_officer"),
                              json={"amount": "0.01", "value_date": on})
            assert res.status_code == 201, res.get_json()
            r = res.get_json()
        parts.append((r["fund_part"], r["bank_part"]))
    # Half of 0.01, 0.02, ... 0.07 rounded half-up: 0.01, 0.01, 0.02, 0.02, 0.03, 0.03, 0.04.
    assert parts == [("0.01", "0.00"), ("0.00", "0.01")] * 3 + [("0.01", "0.00")]
    g = client.get(f"/api/v1/guarantees/{gid}", headers=token_for("fund_admin")).get_json()
    assert (g["recovered"], g["recovered_by_fund"]) == ("0.07", "0.04")
    # Recover everything left: the fund ends with exactly its claim, the bank with its own loss.
    res = client.post(f"/api/v1/guarantees/{gid}/recoveries", headers=token_for("bank_officer"),
                      json={"amount": "79999.93", "value_date": on})
    assert res.status_code == 201, res.get_json()
    assert (res.get_json()["fund_part"], res.get_json()["bank_part"]) == ("39999.96", "39999.97")
    g = client.get(f"/api/v1/guarantees/{gid}", headers=token_for("fund_admin")).get_json()
    assert (g["recovered"], g["recovered_by_fund"]) == ("80000.00", "40000.00")
    with app.app_context():
        rows = db.session.scalars(select(Recovery).where(Recovery.guarantee_id == gid)).all()
        assert sum(r.fund_part for r in rows) + sum(r.bank_part for r in rows) == sum(r.amount for r in rows)
        assert sum(r.fund_part for r in rows) == D(g["claim_amount"])
        db.session.remove()
    loan = client.get(f"/api/v1/loans/{approved}", headers=token_for("bank_officer")).get_json()
    assert loan["outstanding_principal"] == "0.00"


# -- 4. no query per row --------------------------------------------------------------------------

class Statements:
    """Count the SQL statements the app's engine runs inside the block."""

    def __init__(self, app) -> None:
        self.app, self.count = app, 0

    def _tick(self, *args, **kwargs) -> None:
        self.count += 1

    def __enter__(self) -> Statements:
        with self.app.app_context():
            self.engine = db.engine
        event.listen(self.engine, "before_cursor_execute", self._tick)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._tick)


def _copy(obj, skip: tuple[str, ...] = ("id",), **values):
    """A new row with the same columns as ``obj`` (but ``skip``), overridden by ``values``."""
    table = type(obj).__table__
    return type(obj)(**{**{c.key: getattr(obj, c.key) for c in table.columns if c.key not in skip}, **values})


def clone(app, loan_id: int, how_many: int, status: str) -> None:
    """Copy the loan and its guarantee, each on a copy of its proposal by a new enterprise: more rows."""
    with app.app_context():
        loan = db.session.get(Loan, loan_id)
        g = db.session.scalar(select(Guarantee).where(Guarantee.loan_id == loan_id))
        taken = db.session.scalar(select(func.count()).select_from(Enterprise))
        for n in range(taken, taken + how_many):
            enterprise = _copy(loan.proposal.enterprise, tax_id=f"CLONE-{n}", legal_name=f"Clone {n} Ltd")
            db.session.add(enterprise)
            db.session.flush()
            proposal = _copy(loan.proposal, enterprise_id=enterprise.id)
            db.session.add(proposal)
            db.session.flush()
            copy = _copy(loan, ("id", "proposal_id", "status", "created_at", "updated_at"),
                         proposal_id=proposal.id, status=status)
            db.session.add(copy)
            db.session.flush()
            db.session.add(_copy(g, ("id", "loan_id"), loan_id=copy.id))
        db.session.commit()
        db.session.remove()


@pytest.mark.parametrize("url, role", [("/guarantees", "fund_admin"), ("/guarantees?status=issued", "fund_admin"),
                                       ("/guarantees", "bank_officer"), ("/loans", "bank_officer"),
                                       ("/loans", "fund_admin"), ("/loans/decisions", "credit_committee")])
def test_lists_do_not_query_per_row(app, client, token_for, session_for, approved, url, role):  # noqa: F811
    issue(client, token_for, approved)
    status = "applied" if "decisions" in url else "approved"
    browser = session_for(role)
    clone(app, approved, 1, status)
    with Statements(app) as few:
        page = browser.get(url)
    assert page.status_code == 200 and f"L{approved + 1}" in page.get_data(as_text=True)
    clone(app, approved, 2, status)
    with Statements(app) as more:
        page = browser.get(url)
    assert page.status_code == 200 and f"L{approved + 3}" in page.get_data(as_text=True)
    assert more.count == few.count, url


def test_exposure_queries_do_not_grow_with_guarantees(app, client, token_for, approved):  # noqa: F811
    issue(client, token_for, approved)
    disbursed(client, token_for, approved)
    measured = []
    for how_many in (1, 2):
        clone(app, approved, how_many, "approved")
        with app.app_context():
            line = db.session.scalars(select(CreditLine)).first()
            with Statements(app) as stmts:
                assert exposure(line)["guarantees"] >= how_many + 1
            measured.append(stmts.count)
            db.session.remove()
    # The guarantees, their recoveries and loans, the loans' installments, tranches and payments.
    assert measured[0] == measured[1] <= 6
