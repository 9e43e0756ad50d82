"""Every role against every loan, guarantee and exposure route: the exact status.

Each row: (name, method, path, body, stage, {role: status}). ``stage`` says how far the demo's
dyeing loan is taken (through the services) before the request, so an allowed role gets the
real success and every other role its refusal; ``{loan}``, ``{guarantee}``, ``{line}`` and
``{proposal}`` in a path or body are filled in. The outsider rows ask the same of a second
credit line's bank and NCPC (see the ``outsiders`` fixture): the demo's loan and guarantee do
not exist for them.
"""
from __future__ import annotations

from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from creditline.auth.models import User
from creditline.auth.permissions import Actor
from creditline.extensions import db
from creditline.guarantees import services as guarantees
from creditline.loans import repayments, services as loans
from creditline.proposals.models import Proposal

from .test_authz_matrix import ROLES, expect
from .test_loans import START, TERMS

DUE1 = (START + relativedelta(months=1)).isoformat()
# How far the demo loan is taken; each stage includes the ones before it.
STAGES = ("proposal", "applied", "approved", "requested", "active", "defaulted", "issued_defaulted", "called",
          "paid")

MATRIX = [
    ("list loans", "GET", "/api/v1/loans", None, "applied", expect(200)),
    ("apply for a loan", "POST", "/api/v1/loans", {"proposal_id": "{proposal}", **TERMS}, "proposal",
     expect(403, bank_officer=201)),
    ("read loan", "GET", "/api/v1/loans/{loan}", None, "applied", expect(200)),
    ("approve", "POST", "/api/v1/loans/{loan}/approve", {}, "applied", expect(403, credit_committee=200)),
    ("decline", "POST", "/api/v1/loans/{loan}/decline", {"reason": "no collateral"}, "applied",
     expect(403, credit_committee=200)),
    ("disburse", "POST", "/api/v1/loans/{loan}/disburse", {"amount": "80000.00", "value_date": START.isoformat()},
     "approved", expect(403, bank_officer=201)),
    ("write off", "POST", "/api/v1/loans/{loan}/write-off", {"reason": "insolvent"}, "defaulted",
     expect(403, bank_officer=200)),
    ("request guarantee", "POST", "/api/v1/loans/{loan}/guarantee", {}, "approved", expect(403, bank_officer=201)),
    ("list payments", "GET", "/api/v1/loans/{loan}/payments", None, "active", expect(200)),
    ("record payment", "POST", "/api/v1/loans/{loan}/payments", {"amount": "100.00", "currency": "USD",
                                                                 "value_date": DUE1}, "active",
     expect(403, bank_officer=201)),
    ("schedule", "GET", "/api/v1/loans/{loan}/schedule", None, "active", expect(200)),
    ("schedule csv", "GET", "/api/v1/loans/{loan}/schedule?format=csv", None, "active", expect(200)),
    ("list guarantees", "GET", "/api/v1/guarantees", None, "requested", expect(200)),
    ("read guarantee", "GET", "/api/v1/guarantees/{guarantee}", None, "requested", expect(200)),
    ("issue guarantee", "POST", "/api/v1/guarantees/{guarantee}/issue", None, "requested", expect(403, fund_admin=200)),
    ("decline guarantee", "POST", "/api/v1/guarantees/{guarantee}/decline", {"reason": "not green enough"},
     "requested", expect(403, fund_admin=200)),
    ("call guarantee", "POST", "/api/v1/guarantees/{guarantee}/call", None, "issued_defaulted",
     expect(403, bank_officer=200)),
    ("pay claim", "POST", "/api/v1/guarantees/{guarantee}/pay", None, "called", expect(403, fund_admin=200)),
    ("record recovery", "POST", "/api/v1/guarantees/{guarantee}/recoveries", {"amount": "100.00"}, "paid",
     expect(403, bank_officer=201, fund_admin=201)),
    ("exposure", "GET", "/api/v1/credit-lines/{line}/exposure", None, "proposal",
     expect(403, fund_admin=200, auditor=200)),
]

OUTSIDER_ROLES = ("bank_officer", "credit_committee", "verifier", "senior_verifier", "auditor")


def outside(default: int, **per_role: int) -> dict[str, int]:
    return {role: per_role.get(role, default) for role in OUTSIDER_ROLES}


# The other line's people: reads of the demo's objects are 404; a write is 404 for the role that
# could make it on its own objects, and 403 (the role check, which reveals nothing) for the others.
OUTSIDER_MATRIX = [
    ("read loan", "GET", "/api/v1/loans/{loan}", None, "applied", outside(404)),
    ("approve", "POST", "/api/v1/loans/{loan}/approve", {}, "applied", outside(403, credit_committee=404)),
    ("decline", "POST", "/api/v1/loans/{loan}/decline", {"reason": "no collateral"}, "applied",
     outside(403, credit_committee=404)),
    ("disburse", "POST", "/api/v1/loans/{loan}/disburse", {"amount": "80000.00", "value_date": START.isoformat()},
     "approved", outside(403, bank_officer=404)),
    ("write off", "POST", "/api/v1/loans/{loan}/write-off", {"reason": "insolvent"}, "defaulted",
     outside(403, bank_officer=404)),
    ("request guarantee", "POST", "/api/v1/loans/{loan}/guarantee", {}, "approved", outside(403, bank_officer=404)),
    ("list payments", "GET", "/api/v1/loans/{loan}/payments", None, "active", outside(404)),
    ("record payment", "POST", "/api/v1/loans/{loan}/payments", {"amount": "100.00", "currency": "USD",
                                                                 "value_date": DUE1}, "active",
     outside(403, bank_officer=404)),
    ("schedule", "GET", "/api/v1/loans/{loan}/schedule", None, "active", outside(404)),
    ("read guarantee", "GET", "/api/v1/guarantees/{guarantee}", None, "requested", outside(404)),
    ("call guarantee", "POST", "/api/v1/guarantees/{guarantee}/call", None, "issued_defaulted",
     outside(403, bank_officer=404)),
    ("record recovery", "POST", "/api/v1/guarantees/{guarantee}/recoveries", {"amount": "100.00"}, "paid",
     outside(403, bank_officer=404)),
    # The exposure sums every bank's loans: only the fund's own people read it.
    ("exposure", "GET", "/api/v1/credit-lines/{line}/exposure", None, "proposal", outside(403)),
]


def test_an_auditor_at_a_bank_cannot_read_even_its_own_lines_exposure(client, outsiders):
    res = client.get(f"/api/v1/credit-lines/{outsiders['line']}/exposure", headers=outsiders["headers"]["auditor"])
    assert res.status_code == 403 and res.get_json()["code"] == "forbidden"


def _actor(email: str) -> Actor:
    return Actor.of(db.session.execute(select(User).where(User.email == email)).scalar_one())


def prepare(app, stage: str) -> dict[str, int]:
    """Take the demo's dyeing loan to ``stage`` through the services; return the ids to fill in."""
    reached = STAGES.index(stage)
    with app.app_context():
        officer, committee = _actor("officer@bank.example"), _actor("committee@bank.example")
        admin = _actor("admin@fund.example")
        p = db.session.scalars(select(Proposal).where(Proposal.title == "Low liquor ratio jet dyeing machines")).one()
        ids = {"proposal": p.id, "line": p.credit_line_id}
        if reached >= STAGES.index("applied"):
            loan = loans.propose_loan(officer, {"proposal_id": p.id, **TERMS, "principal": Decimal("80000.00"),
                                                "annual_rate": Decimal("0.12")})
            ids["loan"] = loan.id
        if reached >= STAGES.index("approved"):
            loans.approve_loan(committee, loan.id, on=START)
        if reached >= STAGES.index("requested") and stage not in ("active", "defaulted"):
            ids["guarantee"] = guarantees.request_guarantee(officer, loan.id, {}).id
        if reached >= STAGES.index("issued_defaulted"):
            guarantees.issue_guarantee(admin, ids["guarantee"])
        if reached >= STAGES.index("active"):
            loans.disburse(officer, loan.id, {"amount": Decimal("80000.00"), "value_date": START})
        if reached >= STAGES.index("defaulted"):
            repayments.update_arrears(loan, START + relativedelta(months=5))
            assert loan.status == "defaulted"
        if reached >= STAGES.index("called"):
            guarantees.call_guarantee(officer, ids["guarantee"])
        if reached >= STAGES.index("paid"):
            guarantees.pay_claim(admin, ids["guarantee"])
        db.session.remove()
    return ids


@pytest.fixture
def staged(app, layer):
    """``staged(stage)``: ``prepare(app, stage)``, run once per stage and copied back for the other rows.

    Asked for before the test's token is issued (a write), so the layer is reused.
    """
    return lambda stage: layer(f"{__name__}.{stage}", lambda: prepare(app, stage))


def _fill(value, ids):
    if isinstance(value, str):
        if value.startswith("{") and value.endswith("}") and value[1:-1] in ids:
            return ids[value[1:-1]]
        return value.format(**ids) if "{" in value else value
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


CASES = [(name, method, path, body, stage, role, table[role])
         for name, method, path, body, stage, table in MATRIX for role in ROLES]


@pytest.mark.parametrize("name,method,path,body,stage,role,status", CASES, ids=[f"{c[0]}-{c[5]}" for c in CASES])
def test_matrix(client, staged, token_for, name, method, path, body, stage, role, status):
    ids = staged(stage)
    headers = {} if role == "anonymous" else token_for(role)
    res = client.open(_fill(path, ids), method=method, json=_fill(body, ids), headers=headers)
    assert res.status_code == status, res.get_data(as_text=True)
    if name == "schedule csv" and status == 200:
        assert res.mimetype == "text/csv"
    else:
        assert res.is_json


OUTSIDER_CASES = [(name, method, path, body, stage, role, table[role])
                  for name, method, path, body, stage, table in OUTSIDER_MATRIX for role in OUTSIDER_ROLES]


@pytest.mark.parametrize("name,method,path,body,stage,role,status", OUTSIDER_CASES,
                         ids=[f"outsider {c[0]}-{c[5]}" for c in OUTSIDER_CASES])
def test_outsiders(client, outsiders, staged, name, method, path, body, stage, role, status):
    ids = staged(stage)
    res = client.open(_fill(path, ids), method=method, json=_fill(body, ids), headers=outsiders["headers"][role])
    assert res.status_code == status, res.get_data(as_text=True)
    assert res.is_json


def test_outsiders_lists_leave_the_demo_out(app, client, outsiders):
    prepare(app, "requested")
    for role in OUTSIDER_ROLES:
        headers = outsiders["headers"][role]
        assert client.get("/api/v1/loans", headers=headers).get_json()["total"] == 0, role
        assert client.get("/api/v1/guarantees", headers=headers).get_json()["total"] == 0, role
