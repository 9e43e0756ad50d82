"""The authorisation matrix for monitoring, verification and grant routes (each role, exact status),
and scoping: another SME and another credit line's people get 404 for every one of these objects."""
import io

import pytest

from .test_authz_matrix import ROLES, expect
from .test_verification_chain import financed, monthly, ncpc_user, planned, reported, verified

OTHER_SME = "owner@rolling.example"

MATRIX = [
    ("read plan", "GET", "/api/v1/proposals/{p}/monitoring-plan", None, expect(200)),
    ("replace plan after reports", "POST", "/api/v1/proposals/{p}/monitoring-plan",
     {"baseline_start": "2025-01-01", "baseline_end": "2025-12-31"},
     expect(403, verifier=409, senior_verifier=409)),
    ("read reports", "GET", "/api/v1/proposals/{p}/monitoring-reports", None, expect(200)),
    ("template csv", "GET", "/api/v1/proposals/{p}/monitoring-reports/template.csv", None, expect(200)),
    ("template in no known format", "GET", "/api/v1/proposals/{p}/monitoring-reports/template.pdf", None, expect(404)),
    ("read evidence file", "GET", "/api/v1/verifications/{c}/evidence/1", None, expect(200)),
    ("certificate pdf", "GET", "/api/v1/verifications/{c}/certificate.pdf", None, expect(200)),
    ("read other incentives", "GET", "/api/v1/proposals/{p}/other-incentives", None, expect(200)),
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
def chain(client, token_for, layer):
    """Plan, six reports, a confirmed verification with its grant, and a proposed correction."""
    def build() -> dict:
        items = client.get("/api/v1/proposals?status=eligible", headers=token_for("fund_admin")).get_json()["items"]
        p = next(i["id"] for i in items if i["title"].startswith("Low liquor"))
        financed(client, token_for, p)
        planned(client, token_for, p)
        reports = reported(client, token_for, p)
        ev = client.post(f"/api/v1/monitoring-reports/{reports[0]['id']}/evidence", headers=token_for("sme"),
                         content_type="multipart/form-data", data={"file": (io.BytesIO(b"meter M01"), "m01.txt")})
        assert ev.status_code == 201
        first = verified(client, token_for, p)
        for path, who, body in ((f"/api/v1/verifications/{first['id']}/propose", "verifier",
                                 {"decision": "verified", "comment": "checked on site"}),
                                (f"/api/v1/verifications/{first['id']}/confirm", "senior_verifier", {})):
            assert client.post(path, headers=token_for(who), json=body).status_code == 200
        second = verified(client, token_for, p, supersedes_id=first["id"])
        assert client.post(f"/api/v1/verifications/{second['id']}/propose", headers=token_for("verifier"),
                           json={"decision": "verified", "comment": "whole-facility check"}).status_code == 200
        grant = client.get("/api/v1/grants", headers=token_for("fund_admin")).get_json()["items"][0]["id"]
        return {"p": p, "r": reports[0]["id"], "v": second["id"], "g": grant, "c": first["id"]}

    return layer(__name__ + ".chain", build)


@pytest.mark.parametrize("name,method,path,body,role,status", CASES, ids=[f"{c[0]}-{c[4]}" for c in CASES])
def test_matrix(client, token_for, chain, name, method, path, body, role, status):
    headers = {} if role == "anonymous" else token_for(role)
    res = client.open(path.format(**chain), method=method, json=body, headers=headers)
    assert res.status_code == status, res.get_data(as_text=True)
    assert res.is_json or status == 200


def csv_upload():
    rows = "\n".join(f"M03,{r['production_output']},{q['stream']},{q['unit']},{q['quantity']}"
                     for r in monthly()[2:3] for q in r["quantities"])
    return {"data": f"period,production_output,stream,unit,quantity\n{rows}\n", "content_type": "text/csv"}


def xlsx_upload():
    return {"data": b"PK\x03\x04 not really a workbook",
            "content_type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def evidence_upload():
    return {"data": {"file": (io.BytesIO(b"someone else's invoice"), "invoice.pdf")},
            "content_type": "multipart/form-data"}


OUTSIDER_ROLES = ("bank_officer", "credit_committee", "verifier", "senior_verifier", "auditor")
READERS = (OTHER_SME, *OUTSIDER_ROLES)
REPORTERS = (OTHER_SME, "verifier", "senior_verifier")  # the roles that may report, in their own scope
# (name, method, path, body, who): every one answers 404 to these people, as if it did not exist.
SCOPED = [
    ("plan", "GET", "/api/v1/proposals/{p}/monitoring-plan", None, READERS),
    ("reports", "GET", "/api/v1/proposals/{p}/monitoring-reports", None, READERS),
    ("template csv", "GET", "/api/v1/proposals/{p}/monitoring-reports/template.csv", None, READERS),
    ("template xlsx", "GET", "/api/v1/proposals/{p}/monitoring-reports/template.xlsx", None, READERS),
    ("verification", "GET", "/api/v1/verifications/{v}", None, READERS),
    ("evidence file", "GET", "/api/v1/verifications/{c}/evidence/1", None, READERS),
    ("certificate pdf", "GET", "/api/v1/verifications/{c}/certificate.pdf", None, READERS),
    ("grant", "GET", "/api/v1/grants/{g}", None, READERS),
    ("other incentives", "GET", "/api/v1/proposals/{p}/other-incentives", None, READERS),
    ("csv upload", "POST", "/api/v1/proposals/{p}/monitoring-reports", csv_upload, REPORTERS),
    ("xlsx upload", "POST", "/api/v1/proposals/{p}/monitoring-reports", xlsx_upload, REPORTERS),
    ("evidence upload", "POST", "/api/v1/monitoring-reports/{r}/evidence", evidence_upload, REPORTERS),
    ("set plan", "POST", "/api/v1/proposals/{p}/monitoring-plan",
     lambda: {"json": {"baseline_start": "2025-01-01", "baseline_end": "2025-12-31"}}, ("verifier", "senior_verifier")),
    ("verify", "POST", "/api/v1/proposals/{p}/verifications", lambda: {"json": {}}, ("verifier", "senior_verifier")),
    ("confirm", "POST", "/api/v1/verifications/{v}/confirm", lambda: {"json": {}}, ("senior_verifier",)),
    ("declare incentive", "POST", "/api/v1/proposals/{p}/other-incentives",
     lambda: {"json": {"source": "x fund", "amount": "1.00", "date": "2026-01-01"}}, (OTHER_SME,)),
]
SCOPE_CASES = [(name, method, path, body, who) for name, method, path, body, people in SCOPED for who in people]


@pytest.mark.parametrize("name,method,path,body,who", SCOPE_CASES, ids=[f"{c[0]}-{c[4]}" for c in SCOPE_CASES])
def test_other_smes_and_other_credit_lines_get_404(client, token_for, outsiders, chain, name, method, path, body, who):
    headers = token_for(who) if who == OTHER_SME else outsiders["headers"][who]
    res = client.open(path.format(**chain), method=method, headers=headers, **(body() if body else {}))
    assert res.status_code == 404, res.get_data(as_text=True)
    assert res.get_json()["code"] == "not_found"


OFFICER, OTHER_VERIFIER = "officer@otherbank.example", "verifier@otherncpc.example"
# (method, path, body, people whose role forbids the action anywhere: 403 before any lookup)
PAGES = [
    ("GET", "/proposals/{p}/monitoring", None, ()), ("GET", "/proposals/{p}/monitoring/template.csv", None, ()),
    ("GET", "/verifications/{v}", None, ()), ("GET", "/verifications/{c}/certificate", None, ()),
    ("GET", "/verifications/{c}/certificate.pdf", None, ()), ("GET", "/verifications/{c}/evidence/1", None, ()),
    ("POST", "/proposals/{p}/monitoring/upload", lambda: {"data": {"file": (io.BytesIO(csv_upload()["data"].encode()),
                                                                            "r.csv")}}, (OFFICER,)),
    ("POST", "/monitoring-reports/{r}/evidence", lambda: {"data": {"file": (io.BytesIO(b"x"), "x.txt")}}, (OFFICER,)),
    ("POST", "/proposals/{p}/other-incentives", lambda: {"data": {"source": "x fund", "amount": "1", "date": "2026-01-01"}},
     (OFFICER, OTHER_VERIFIER)),
]
PAGE_PEOPLE = ((OTHER_SME, "green-credit-demo"), (OTHER_VERIFIER, "outsider-pass"), (OFFICER, "outsider-pass"))
PAGE_CASES = [(m, path, body, who, pw, 403 if who in forbidden else 404)
              for m, path, body, forbidden in PAGES for who, pw in PAGE_PEOPLE]


@pytest.mark.parametrize("method,path,body,who,password,status", PAGE_CASES,
                         ids=[f"{c[0]} {c[1]}-{c[3]}" for c in PAGE_CASES])
def test_pages_are_404_out_of_scope(app, outsiders, chain, method, path, body, who, password, status):
    browser = app.test_client()
    assert browser.post("/login", data={"email": who, "password": password}).status_code == 302
    res = browser.open(path.format(**chain), method=method, **(body() if body else {}))
    assert res.status_code == status, res.get_data(as_text=True)[:300]


def test_unknown_template_format_is_404_on_the_page_too(app, chain):
    browser = app.test_client()
    browser.post("/login", data={"email": "owner@textile.example", "password": "green-credit-demo"})
    assert browser.get(f"/proposals/{chain['p']}/monitoring/template.pdf").status_code == 404
    assert browser.get(f"/proposals/{chain['p']}/monitoring/template.csv").status_code == 200


def test_one_person_with_both_roles_cannot_confirm_what_they_proposed(app, client, token_for, chain):
    both = ncpc_user(app, "both@ncpc.example", "verifier", "senior_verifier")
    # The proposed correction is returned, then proposed again by the person holding both roles.
    assert client.post(f"/api/v1/verifications/{chain['v']}/reject", headers=token_for("senior_verifier"),
                       json={"comment": "invoices missing for M03"}).status_code == 200
    assert client.post(f"/api/v1/verifications/{chain['v']}/propose", headers=token_for(both),
                       json={"decision": "verified", "comment": "invoices added"}).status_code == 200
    res = client.post(f"/api/v1/verifications/{chain['v']}/confirm", headers=token_for(both), json={})
    assert res.status_code == 403 and res.get_json()["code"] == "four_eyes"
    assert client.get(f"/api/v1/verifications/{chain['v']}", headers=token_for(both)).get_json()["status"] == "proposed"
