"""Every role against every route, on its own object and on someone else's: the exact status.

Each row: (name, method, path, body, {role: status}). ``{own}`` / ``{other}`` in a path are
filled from the ``objects`` fixture, so the matrix checks scoping as well as roles. Later
capabilities add rows here.
"""
from __future__ import annotations

import pytest

from ..factories import proposal_body
from .test_errors import GOOD_ENTERPRISE

ROLES = ("anonymous", "sme", "bank_officer", "credit_committee", "verifier", "senior_verifier",
         "fund_admin", "auditor")


def expect(default: int, **per_role: int) -> dict[str, int]:
    table = {role: default for role in ROLES}
    table["anonymous"] = 401
    table.update(per_role)
    return table


NEW_ORG = {"kind": "bank", "name": "Matrix Bank", "country": "VN"}
NEW_LINE = {"name": "Matrix Line", "country": "KH", "currency": "USD", "rulebook_id": "gctf-vn",
            "rulebook_version": "2007.1", "ncpc_id": "{ncpc}", "fund_id": "{fund}", "bank_ids": ["{bank}"],
            "guarantee_capacity": "100000.00", "grant_budget": "50000.00"}
NEW_USER = {"email": "matrix@bank.example", "name": "Matrix User", "password": "long-enough-pw",
            "organisation_id": "{bank}", "roles": ["bank_officer"]}

MATRIX = [
    ("me", "GET", "/api/v1/auth/me", None, expect(200)),
    ("list organisations", "GET", "/api/v1/organisations", None, expect(403, fund_admin=200, auditor=200)),
    ("create organisation", "POST", "/api/v1/organisations", NEW_ORG, expect(403, fund_admin=201, anonymous=401)),
    ("list users", "GET", "/api/v1/users", None, expect(403, fund_admin=200, auditor=200)),
    ("read organisation", "GET", "/api/v1/organisations/{bank}", None, expect(403, fund_admin=200, auditor=200)),
    ("change organisation", "PATCH", "/api/v1/organisations/{bank}", {"country": "KH"}, expect(403, fund_admin=200)),
    ("create user", "POST", "/api/v1/users", NEW_USER, expect(403, fund_admin=201)),
    ("read user", "GET", "/api/v1/users/{officer}", None, expect(403, fund_admin=200, auditor=200)),
    ("change user", "PATCH", "/api/v1/users/{officer}", {"name": "Matrix Name"}, expect(403, fund_admin=200)),
    ("disable user", "POST", "/api/v1/users/{officer}/disable", None, expect(403, fund_admin=200)),
    ("enable user", "POST", "/api/v1/users/{officer}/enable", None, expect(403, fund_admin=200)),
    ("create credit line", "POST", "/api/v1/credit-lines", NEW_LINE, expect(403, fund_admin=201)),
    ("list credit lines", "GET", "/api/v1/credit-lines", None, expect(200)),
    ("read credit line", "GET", "/api/v1/credit-lines/{line}", None, expect(200)),
    ("read missing credit line", "GET", "/api/v1/credit-lines/999999", None, expect(404)),
    ("change credit line", "PATCH", "/api/v1/credit-lines/{line}", {"grant_budget": "3100000.00"},
     expect(403, fund_admin=200)),
    ("list enterprises", "GET", "/api/v1/enterprises", None, expect(200)),
    # The bank and the NCPC see the enterprise once it has a proposal in their scope.
    ("read own enterprise", "GET", "/api/v1/enterprises/{own}", None, expect(200)),
    # The demo's rolling mill has a referred proposal at the bank, so only the other SME is out of scope.
    ("read other's enterprise", "GET", "/api/v1/enterprises/{other}", None, expect(200, sme=404)),
    ("change own enterprise", "PATCH", "/api/v1/enterprises/{own}", {"employees": 190},
     expect(403, sme=200, fund_admin=200, auditor=403)),
    ("change other's enterprise", "PATCH", "/api/v1/enterprises/{other}", {"employees": 190},
     expect(403, sme=404, fund_admin=200)),
    ("register enterprise", "POST", "/api/v1/enterprises", GOOD_ENTERPRISE,
     expect(403, sme=201, fund_admin=422)),  # a fund admin must name the SME organisation
    ("audit trail", "GET", "/api/v1/audit-events", None, expect(403, fund_admin=200, auditor=200)),
    # proposals: {proposal} is the textile SME's submitted, eligible proposal; {draft} its draft
    ("list proposals", "GET", "/api/v1/proposals", None, expect(200)),
    ("read submitted proposal", "GET", "/api/v1/proposals/{proposal}", None, expect(200)),
    ("read draft proposal", "GET", "/api/v1/proposals/{draft}", None,
     expect(404, sme=200, fund_admin=200, auditor=200)),
    ("create proposal", "POST", "/api/v1/proposals", {"credit_line_id": "{line}", "enterprise_id": "{own}", "title": "Heat pump"},
     expect(403, sme=201)),
    ("edit draft", "PATCH", "/api/v1/proposals/{draft}", {"title": "Better title"},
     expect(403, sme=200)),
    ("submit draft", "POST", "/api/v1/proposals/{draft}/submit", {},
     expect(403, sme=422)),
    ("withdraw", "POST", "/api/v1/proposals/{draft}/withdraw", {"reason": "changed our plans"},
     expect(403, sme=200)),
    ("list documents", "GET", "/api/v1/proposals/{proposal}/documents", None, expect(200)),
    ("upload document without a file", "POST", "/api/v1/proposals/{draft}/documents", None,
     expect(403, sme=422)),
    ("read assessment", "GET", "/api/v1/proposals/{proposal}/assessment", None, expect(200)),
    ("technical review", "POST", "/api/v1/proposals/{proposal}/technical-review",
     {"outcome": "confirmed", "comments": "baseline checked on site"},
     expect(403, verifier=201, senior_verifier=201)),
    ("what-if score", "POST", "/api/v1/score", {"credit_line_id": "{line}", "enterprise_id": "{own}"},
     expect(422)),
    ("batch score", "POST", "/api/v1/score/batch?rulebook=gctf-vn", [{"title": "empty"}],
     expect(403, bank_officer=200, credit_committee=200, fund_admin=200)),
    ("list rulebooks", "GET", "/api/v1/rulebooks", None, expect(200)),
    ("read rulebook", "GET", "/api/v1/rulebooks/gctf-vn/2007.1", None, expect(200)),
    ("simulate rulebook", "POST", "/api/v1/rulebooks/simulate", {"rulebook_yaml": "id: x"},
     expect(403, fund_admin=422)),
    ("list rulebook versions", "GET", "/api/v1/rulebook-versions", None, expect(200)),
    ("draft rulebook version", "POST", "/api/v1/rulebook-versions", {"rulebook_yaml": "id: x"},
     expect(403, fund_admin=422)),
]


@pytest.fixture
def objects(client, token_for, layer):
    def build() -> dict:
        admin = token_for("fund_admin")
        ents = client.get("/api/v1/enterprises", headers=admin).get_json()["items"]
        by_name = {e["legal_name"]: e["id"] for e in ents}
        line = client.get("/api/v1/credit-lines", headers=admin).get_json()["items"][0]["id"]
        own = by_name["Saigon Dyeing & Finishing Co., Ltd."]
        sme = token_for("sme")
        body = proposal_body(line, own)
        submitted = client.post("/api/v1/proposals", headers=sme, json=body).get_json()["id"]
        assert client.post(f"/api/v1/proposals/{submitted}/submit", headers=sme, json={}).status_code == 200
        draft = client.post("/api/v1/proposals", headers=sme, json={"credit_line_id": line, "enterprise_id": own,
                                                                   "title": "Heat recovery"}).get_json()["id"]
        orgs = {o["kind"]: o["id"] for o in client.get("/api/v1/organisations", headers=admin).get_json()["items"]}
        users = client.get("/api/v1/users?role=bank_officer", headers=admin).get_json()["items"]
        return {"own": own, "other": by_name["Hai Phong Steel Rolling Co., Ltd."], "line": line,
                "proposal": submitted, "draft": draft, "bank": orgs["bank"], "ncpc": orgs["ncpc"],
                "fund": orgs["fund"], "officer": users[0]["id"]}

    return layer(__name__ + ".objects", build)


def _fill(value, objects):
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") and value[1:-1] in objects:
        return objects[value[1:-1]]
    if isinstance(value, dict):
        return {k: _fill(v, objects) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, objects) for v in value]
    return value


CASES = [(name, method, path, body, role, table[role])
         for name, method, path, body, table in MATRIX for role in ROLES]


@pytest.mark.parametrize("name,method,path,body,role,status", CASES,
                         ids=[f"{c[0]}-{c[4]}" for c in CASES])
def test_matrix(client, token_for, objects, name, method, path, body, role, status):
    headers = {} if role == "anonymous" else token_for(role)
    res = client.open(path.format(**objects), method=method, json=_fill(body, objects), headers=headers)
    assert res.status_code == status, res.get_data(as_text=True)
    assert res.is_json


# Pages: anonymous callers are sent to the login page; the rest get the page or 403.
PAGE_MATRIX = [
    ("credit lines page", "/credit-lines", expect(403, fund_admin=200)),
    ("new credit line page", "/credit-lines/new", expect(403, fund_admin=200)),
    ("edit credit line page", "/credit-lines/{line}/edit", expect(403, fund_admin=200)),
    ("organisations page", "/admin/organisations", expect(403, fund_admin=200, auditor=200)),
    ("users page", "/admin/users", expect(403, fund_admin=200, auditor=200)),
    ("new user page", "/admin/users/new", expect(403, fund_admin=200)),
    ("user page", "/admin/users/{officer}", expect(403, fund_admin=200)),
    ("audit trail page", "/audit", expect(403, fund_admin=200, auditor=200)),
]
PAGE_CASES = [(name, path, role, table[role]) for name, path, table in PAGE_MATRIX for role in ROLES]


@pytest.mark.parametrize("name,path,role,status", PAGE_CASES, ids=[f"{c[0]}-{c[2]}" for c in PAGE_CASES])
def test_page_matrix(client, objects, name, path, role, status):
    from ..conftest import ROLE_USERS

    if role != "anonymous":
        res = client.post("/login", data={"email": ROLE_USERS[role], "password": "green-credit-demo"})
        assert res.status_code == 302
    res = client.get(path.format(**objects))
    expected = 302 if role == "anonymous" else status
    assert res.status_code == expected
    if role == "anonymous":
        assert "/login" in res.headers["Location"]


# The other credit line's bank and NCPC (the ``outsiders`` fixture): every demo object is 404.
OUTSIDER_ROLES = ("bank_officer", "credit_committee", "verifier", "senior_verifier", "auditor")
OUTSIDER_MATRIX = [
    ("read demo credit line", "GET", "/api/v1/credit-lines/{line}", None, 404),
    ("change demo credit line", "PATCH", "/api/v1/credit-lines/{line}", {"grant_budget": "1.00"}, 403),
    ("read own enterprise", "GET", "/api/v1/enterprises/{own}", None, 404),
    ("read other's enterprise", "GET", "/api/v1/enterprises/{other}", None, 404),
    ("list enterprises (none of theirs)", "GET", "/api/v1/enterprises", None, 200),
]
OUTSIDER_CASES = [(name, method, path, body, role, status)
                  for name, method, path, body, status in OUTSIDER_MATRIX for role in OUTSIDER_ROLES]


@pytest.mark.parametrize("name,method,path,body,role,status", OUTSIDER_CASES,
                         ids=[f"{c[0]}-outsider-{c[4]}" for c in OUTSIDER_CASES])
def test_outsider_matrix(client, objects, outsiders, name, method, path, body, role, status):
    headers = outsiders["headers"][role]
    res = client.open(path.format(**objects), method=method, json=body, headers=headers)
    assert res.status_code == status, res.get_data(as_text=True)
    assert res.is_json


@pytest.mark.parametrize("role", OUTSIDER_ROLES)
def test_outsiders_see_only_their_own_line_and_no_demo_enterprise(client, objects, outsiders, role):
    headers = outsiders["headers"][role]
    lines = client.get("/api/v1/credit-lines", headers=headers).get_json()
    assert [line["id"] for line in lines["items"]] == [outsiders["line"]]
    assert client.get(f"/api/v1/credit-lines/{outsiders['line']}", headers=headers).status_code == 200
    ents = client.get("/api/v1/enterprises", headers=headers).get_json()
    assert ents["total"] == 0 and ents["items"] == []


@pytest.mark.parametrize("path", ["/api/v1/users", "/api/v1/organisations", "/api/v1/audit-events",
                                  "/api/v1/users/{officer}", "/api/v1/organisations/{bank}"])
def test_an_auditor_outside_the_fund_cannot_read_platform_lists(client, objects, outsiders, path):
    res = client.get(path.format(**objects), headers=outsiders["headers"]["auditor"])
    assert res.status_code == 403
    assert res.get_json()["message"].startswith("only the fund's administrators and auditors may")
