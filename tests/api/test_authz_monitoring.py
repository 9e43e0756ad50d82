"""The authorisation matrix for monitoring, verification and grant routes (each role, exact status)."""
import pytest

from .test_authz_matrix import ROLES, expect
from .test_verification_chain import financed, planned, reported, verified

MATRIX = [
    ("read plan", "GET", "/api/v1/proposals/{p}/monitoring-plan", None, expect(200)),
    ("replace plan after reports", "POST", "/api/v1/proposals/{p}/monitoring-plan",
     {"baseline_start": "2025-01-01", "baseline_end": "2025-12-31", "reporting_start": "2026-03-01"},
     expect(403, verifier=409, senior_verifier=409)),
    ("read reports", "GET", "/api/v1/proposals/{p}/monitoring-reports", None, expect(200)),
    ("report a period twice", "POST", "/api/v1/proposals/{p}/monitoring-reports",
     {"period": "M01", "production_output": "400", "quantities": []}, expect(403, sme=422, verifier=422, senior_verifier=422)),
    ("evidence without a file", "POST", "/api/v1/monitoring-reports/{r}/evidence", None,
     expect(403, sme=422, verifier=422, senior_verifier=422)),
    ("second open verification", "POST", "/api/v1/proposals/{p}/verifications", {},
     expect(403, verifier=409, senior_verifier=409)),
    ("list verifications", "GET", "/api/v1/verifications", None, expect(200)),
    ("read verification", "GET", "/api/v1/verifications/{v}", None, expect(200)),
    ("propose again", "POST", "/api/v1/verifications/{v}/propose", {"decision": "verified", "comment": "again please"},
     expect(403, verifier=409, senior_verifier=409)),
    ("confirm", "POST", "/api/v1/verifications/{v}/confirm", {}, expect(403, senior_verifier=200)),
    ("return", "POST", "/api/v1/verifications/{v}/reject", {"comment": "invoices missing for M03"},
     expect(403, senior_verifier=200)),
    ("list grants", "GET", "/api/v1/grants", None, expect(200)),
    ("read grant", "GET", "/api/v1/grants/{g}", None, expect(200)),
    ("approve grant", "POST", "/api/v1/grants/{g}/approve", {"paid_as": "enterprise"}, expect(403, fund_admin=200)),
    ("pay unapproved grant", "POST", "/api/v1/grants/{g}/pay", {}, expect(403, fund_admin=409)),
]
CASES = [(name, method, path, body, role, table[role]) for name, method, path, body, table in MATRIX for role in ROLES]


@pytest.fixture
def chain(client, token_for):
    """Plan, six reports, a confirmed verification with its grant, and a proposed correction."""
    items = client.get("/api/v1/proposals?status=eligible", headers=token_for("fund_admin")).get_json()["items"]
    p = next(i["id"] for i in items if i["title"].startswith("Low liquor"))
    financed(client, token_for, p)
    planned(client, token_for, p)
    reports = reported(client, token_for, p)
    first = verified(client, token_for, p)
    for path, who, body in ((f"/api/v1/verifications/{first['id']}/propose", "verifier",
                             {"decision": "verified", "comment": "checked on site"}),
                            (f"/api/v1/verifications/{first['id']}/confirm", "senior_verifier", {})):
        assert client.post(path, headers=token_for(who), json=body).status_code == 200
    second = verified(client, token_for, p, supersedes_id=first["id"])
    assert client.post(f"/api/v1/verifications/{second['id']}/propose", headers=token_for("verifier"),
                       json={"decision": "verified", "comment": "whole-facility check"}).status_code == 200
    grant = client.get("/api/v1/grants", headers=token_for("fund_admin")).get_json()["items"][0]["id"]
    return {"p": p, "r": reports[0]["id"], "v": second["id"], "g": grant}


@pytest.mark.parametrize("name,method,path,body,role,status", CASES, ids=[f"{c[0]}-{c[4]}" for c in CASES])
def test_matrix(client, token_for, chain, name, method, path, body, role, status):
    headers = {} if role == "anonymous" else token_for(role)
    res = client.open(path.format(**chain), method=method, json=body, headers=headers)
    assert res.status_code == status, res.get_data(as_text=True)
    assert res.is_json
