"""Every role against every route, on its own object and on someone else's: the exact status.

Each row: (name, method, path, body, {role: status}). ``{own}`` / ``{other}`` in a path are
filled from the ``objects`` fixture, so the matrix checks scoping as well as roles. Later
capabilities add rows here.
"""
from __future__ import annotations

import pytest

from .test_errors import GOOD_ENTERPRISE

ROLES = ("anonymous", "sme", "bank_officer", "credit_committee", "verifier", "senior_verifier",
         "fund_admin", "auditor")


def expect(default: int, **per_role: int) -> dict[str, int]:
    table = {role: default for role in ROLES}
    table["anonymous"] = 401
    table.update(per_role)
    return table


NEW_ORG = {"kind": "bank", "name": "Matrix Bank", "country": "VN"}

MATRIX = [
    ("me", "GET", "/api/v1/auth/me", None, expect(200)),
    ("list organisations", "GET", "/api/v1/organisations", None, expect(403, fund_admin=200, auditor=200)),
    ("create organisation", "POST", "/api/v1/organisations", NEW_ORG, expect(403, fund_admin=201, anonymous=401)),
    ("list users", "GET", "/api/v1/users", None, expect(403, fund_admin=200, auditor=200)),
    ("list credit lines", "GET", "/api/v1/credit-lines", None, expect(200)),
    ("read credit line", "GET", "/api/v1/credit-lines/{line}", None, expect(200)),
    ("read missing credit line", "GET", "/api/v1/credit-lines/999999", None, expect(404)),
    ("change credit line", "PATCH", "/api/v1/credit-lines/{line}", {"grant_budget": "3100000.00"},
     expect(403, fund_admin=200)),
    ("list enterprises", "GET", "/api/v1/enterprises", None, expect(200)),
    ("read own enterprise", "GET", "/api/v1/enterprises/{own}", None,
     expect(404, sme=200, fund_admin=200, auditor=200)),
    ("read other's enterprise", "GET", "/api/v1/enterprises/{other}", None,
     expect(404, fund_admin=200, auditor=200)),
    ("change own enterprise", "PATCH", "/api/v1/enterprises/{own}", {"employees": 190},
     expect(403, sme=200, fund_admin=200, auditor=403)),
    ("change other's enterprise", "PATCH", "/api/v1/enterprises/{other}", {"employees": 190},
     expect(403, sme=404, fund_admin=200)),
    ("register enterprise", "POST", "/api/v1/enterprises", GOOD_ENTERPRISE,
     expect(403, sme=201, fund_admin=422)),  # a fund admin must name the SME organisation
    ("audit trail", "GET", "/api/v1/audit-events", None, expect(403, fund_admin=200, auditor=200)),
]


@pytest.fixture
def objects(client, token_for):
    admin = token_for("fund_admin")
    ents = client.get("/api/v1/enterprises", headers=admin).get_json()["items"]
    by_name = {e["legal_name"]: e["id"] for e in ents}
    line = client.get("/api/v1/credit-lines", headers=admin).get_json()["items"][0]["id"]
    return {"own": by_name["Saigon Dyeing & Finishing Co., Ltd."],
            "other": by_name["Hai Phong Steel Rolling Co., Ltd."], "line": line}


CASES = [(name, method, path, body, role, table[role])
         for name, method, path, body, table in MATRIX for role in ROLES]


@pytest.mark.parametrize("name,method,path,body,role,status", CASES,
                         ids=[f"{c[0]}-{c[4]}" for c in CASES])
def test_matrix(client, token_for, objects, name, method, path, body, role, status):
    headers = {} if role == "anonymous" else token_for(role)
    res = client.open(path.format(**objects), method=method, json=body, headers=headers)
    assert res.status_code == status, res.get_data(as_text=True)
    assert res.is_json
