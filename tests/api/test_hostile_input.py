"""Hostile input gets a clear 4xx and changes nothing: bombs, odd names, NUL bytes, absurd numbers."""
import io
import json
import urllib.parse

import pandas as pd
import pytest
import yaml
from openpyxl import load_workbook
from sqlalchemy import func, select

from creditline.audit.models import AuditEvent
from creditline.enterprises.models import Enterprise
from creditline.extensions import db
from creditline.files.models import StoredFile
from creditline.loans.models import Loan
from creditline.monitoring.models import MonitoringReport

from ..xlsx_bomb import bomb, shared_strings_bomb, workbook
from .test_verification_chain import PLAN, monthly, planned, reported, textile, verified  # noqa: F401

COLUMNS = ["period", "production_output", "stream", "unit", "quantity"]


def count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def state(app):
    """What a refused request must leave as it was (a test's first call issuing its token aside)."""
    counts = {m.__name__: count(app, m) for m in (Enterprise, Loan, MonitoringReport, StoredFile)}
    with app.app_context():
        counts["events"] = db.session.scalar(select(func.count()).select_from(AuditEvent)
                                             .where(AuditEvent.action != "token.issued"))
    return counts


def post_file(client, token_for, pid, data, name):
    return client.post(f"/api/v1/proposals/{pid}/monitoring-reports", headers=token_for("sme"),
                       content_type="multipart/form-data", data={"file": (io.BytesIO(data), name)})


@pytest.fixture
def no_parser(monkeypatch):
    """A bomb must be refused before pandas or openpyxl opens it (that is what took 144 s)."""
    def refuse(*_, **__):
        raise AssertionError("the workbook reached the spreadsheet parser")
    monkeypatch.setattr(pd, "read_excel", refuse)


@pytest.mark.parametrize("make,fragment", [
    (lambda: bomb(6, dimension="A1:E1000001"), "1,000,000 rows"),  # a million rows, declared
    (lambda: bomb(6), "more than 5,000 rows"),  # a million rows, the dimension left out
    (lambda: bomb(64), "unpacks to 64 MB"),  # 64 MB of sheet from a few hundred KB
    (lambda: shared_strings_bomb(64), "unpacks to 64 MB"),  # a huge shared-strings part
    (lambda: bomb(1, dimension="A1:ZZZ2"), "columns"),
])
def test_an_xlsx_bomb_is_413_before_parsing_and_stores_nothing(app, client, token_for, textile, no_parser,
                                                               make, fragment):
    planned(client, token_for, textile)
    data = make()
    assert len(data) < 1_000_000  # small on the wire
    before = state(app)
    res = post_file(client, token_for, textile, data, "report.xlsx")
    assert res.status_code == 413, res.get_json()
    body = res.get_json()
    assert body["code"] == "payload_too_large" and fragment in body["message"] and "file" in body["errors"]
    assert state(app) == before


def test_a_csv_is_bounded_in_rows_and_columns(app, client, token_for, textile):
    planned(client, token_for, textile)
    before = state(app)
    rows = "\n".join(["period,production_output,stream,unit,quantity"] + ["M01,420,water,m3,1"] * 5001)
    res = post_file(client, token_for, textile, rows.encode(), "report.csv")
    assert res.status_code == 413 and "more than 5,000 rows" in res.get_json()["message"]
    wide = ",".join(f"c{i}" for i in range(5000)) + "\n" + ",".join("1" for _ in range(5000))
    res = post_file(client, token_for, textile, wide.encode(), "report.csv")
    assert res.status_code == 413 and "5,000 columns" in res.get_json()["message"]
    res = client.post("/api/v1/score/batch?rulebook=gctf-vn", headers=token_for("bank_officer"),
                      data=wide.encode(), content_type="text/csv")
    assert res.status_code == 413
    assert state(app) == before


def test_upload_errors_are_capped_at_100_with_the_total(app, client, token_for, textile):
    planned(client, token_for, textile)
    before = state(app)
    bad = pd.DataFrame([{"period": "M01", "production_output": "x", "stream": "water", "unit": "m3",
                         "quantity": "-1"}] * 300)
    res = post_file(client, token_for, textile, bad.to_csv(index=False).encode(), "report.csv")
    assert res.status_code == 422
    body = res.get_json()
    assert sum(len(v) for v in body["errors"].values()) == 100
    assert body["error_count"] > 600 and f"{body['error_count']} problem(s)" in body["message"]
    assert state(app) == before


def test_a_good_workbook_still_loads(app, client, token_for, textile):
    planned(client, token_for, textile)
    rows = [[r["period"], r["production_output"], q["stream"], q["unit"], q["quantity"]]
            for r in monthly()[:2] for q in r["quantities"]]
    res = post_file(client, token_for, textile, workbook([COLUMNS] + rows, dimension=f"A1:E{len(rows) + 1}"),
                    "report.xlsx")
    assert res.status_code == 201, res.get_json()
    assert [r["period"] for r in res.get_json()] == ["M01", "M02"]


def evidence(client, token_for, report_id, name, content=b"meter readings", mimetype="text/csv"):
    return client.post(f"/api/v1/monitoring-reports/{report_id}/evidence", headers=token_for("sme"),
                       content_type="multipart/form-data",
                       data={"file": (io.BytesIO(content), name, mimetype), "description": "readings"})


def test_evidence_names_are_cleaned_and_downloaded_with_rfc_6266(app, client, token_for, textile):
    planned(client, token_for, textile)
    report = reported(client, token_for, textile)[0]["id"]
    uploads = [("báo-cáo-nước.csv", "text/csv", "báo-cáo-nước.csv", "bao-cao-nuoc.csv", "text/csv"),
               ("invoice\u202efdp.exe", "application/pdf", "invoicefdp.exe", "invoicefdp.exe", "application/pdf"),
               ("../../etc/a\x00b.txt", "text/plain", "ab.txt", "ab.txt", "text/plain"),
               ("page.html", "text/html", "page.html", "page.html", "application/octet-stream")]
    for n, (name, kind, *_rest) in enumerate(uploads):
        res = evidence(client, token_for, report, name, f"file {n}".encode(), kind)
        assert res.status_code == 201, res.get_json()
        assert res.get_json()["filename"] == _rest[0]
    v = verified(client, token_for, textile)
    for n, (_name, _kind, stored, fallback, served) in enumerate(uploads, start=1):
        got = client.get(f"/api/v1/verifications/{v['id']}/evidence/{n}", headers=token_for("verifier"))
        assert got.status_code == 200 and got.data == f"file {n - 1}".encode()
        disposition = got.headers["Content-Disposition"]
        assert disposition.startswith("attachment; ") and f'filename="{fallback}"' in disposition
        assert f"filename*=UTF-8''{urllib.parse.quote(stored, safe='')}" in disposition
        assert got.mimetype == served and got.headers["X-Content-Type-Options"] == "nosniff"


def test_a_crlf_in_a_file_name_is_stored_cleaned_and_downloads(app, client, token_for, textile):
    planned(client, token_for, textile)
    report = reported(client, token_for, textile)[0]["id"]
    # A browser cannot put CR/LF in a part's filename="..." but RFC 5987's filename* carries them.
    body = (b"--b\r\nContent-Disposition: form-data; name=\"file\"; "
            b"filename*=UTF-8''evil%0D%0ASet-Cookie%3A%20x%3D1.csv\r\n"
            b"Content-Type: text/csv\r\n\r\nreadings\r\n--b--\r\n")
    res = client.post(f"/api/v1/monitoring-reports/{report}/evidence", headers=token_for("sme"), data=body,
                      content_type="multipart/form-data; boundary=b")
    assert res.status_code == 201, res.get_json()
    assert res.get_json()["filename"] == "evilSet-Cookie: x=1.csv"  # one line: no header can be forged
    v = verified(client, token_for, textile)
    got = client.get(f"/api/v1/verifications/{v['id']}/evidence/1", headers=token_for("verifier"))
    assert got.status_code == 200 and "Set-Cookie" not in got.headers


DEEP = "[" * 100_000 + "]" * 100_000


def test_json_nested_100000_deep_is_refused_before_parsing(app, client, token_for):
    before = state(app)
    for path in ("/api/v1/enterprises", "/api/v1/score/batch?rulebook=gctf-vn", "/api/v1/loans"):
        res = client.post(path, data=DEEP, content_type="application/json", headers=token_for("fund_admin"))
        assert res.status_code == 422, (path, res.status_code)
        assert "nested too deep" in res.get_json()["message"] and "body" in res.get_json()["errors"]
    shallow = {"a": [[[[{"b": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}]]]]}
    res = client.post("/api/v1/enterprises", json=shallow, headers=token_for("sme"))
    assert res.status_code == 422 and "nested" not in res.get_json()["message"]  # brackets in text do not count
    assert state(app) == before


GOOD_ENTERPRISE = {
    "legal_name": "Da Nang Seafood Processing JSC", "tax_id": "VN0401112223", "country": "VN",
    "isic_code": "C1020", "employees": 120, "annual_turnover": "2500000.00",
    "total_assets": "1800000.00", "domestic_ownership_share": 0.9, "operating_since": "2010-05-01",
}


@pytest.mark.parametrize("field,value,fragment", [
    ("legal_name", "Da Nang\x00 Seafood", "control character (U+0000)"),
    ("legal_name", "Da Nang \ud800 Seafood", "lone surrogate"),
    ("legal_name", "Da Nang\r\nSeafood", "line break"),
    ("tax_id", "VN\u202e0401112223", "text-direction control"),
    ("employees", 10**12, "must be from 1 to 5,000,000"),
    ("operating_since", "9999-12-31", "cannot be in the future"),
    ("operating_since", "0001-01-01", "on or after 1900-01-01"),
])
def test_text_and_numbers_out_of_bounds_are_422_naming_the_field(app, client, token_for, field, value, fragment):
    before = state(app)
    body = json.dumps({**GOOD_ENTERPRISE, field: value}, ensure_ascii=True)  # a lone surrogate as \ud800
    res = client.post("/api/v1/enterprises", data=body, content_type="application/json", headers=token_for("sme"))
    assert res.status_code == 422, res.get_json()
    assert any(fragment in m for m in res.get_json()["errors"][field]), res.get_json()
    assert state(app) == before


def test_a_nul_byte_in_a_reason_or_a_query_parameter_is_422(app, client, token_for, textile):
    before = state(app)
    res = client.post(f"/api/v1/proposals/{textile}/withdraw", headers=token_for("sme"),
                      json={"reason": "changed\x00 our mind"})
    assert res.status_code == 422 and "reason" in res.get_json()["errors"]
    for query in ("/api/v1/enterprises?q=VN%00", "/api/v1/proposals?q=%00", "/api/v1/audit?action=x%00"):
        res = client.get(query, headers=token_for("fund_admin"))
        assert res.status_code == 422 and "control character (U+0000)" in json.dumps(res.get_json()["errors"])
    assert state(app) == before


def test_a_nul_byte_in_a_page_form_stores_nothing(app, session_for):
    browser = session_for("sme")
    before = state(app)
    page = browser.get("/enterprises/new")
    assert page.status_code == 200
    token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    res = browser.post("/enterprises/new", data={**{k: str(v) for k, v in GOOD_ENTERPRISE.items()},
                                                 "legal_name": "Da Nang\x00", "csrf_token": token},
                       headers={"Referer": "http://localhost/enterprises/new"},
                       follow_redirects=True)
    assert res.status_code == 200 and "legal_name holds a control character (U+0000)" in res.get_data(as_text=True)
    assert state(app) == before


def propose_loan(client, token_for, pid, **terms):
    return client.post("/api/v1/loans", headers=token_for("bank_officer"), json={
        "proposal_id": pid, "principal": "80000.00", "annual_rate": "0.10", "tenor_months": 36, **terms})


@pytest.mark.parametrize("terms,field", [
    ({"tenor_months": 1_200_000}, "tenor_months"),  # once a year-out-of-range 500
    ({"tenor_months": 90_000}, "tenor_months"),  # once accepted: a 7,500-year loan
    ({"tenor_months": 36, "grace_months": 400}, "grace_months"),
    ({"annual_rate": "1e999999"}, "annual_rate"),
    ({"disbursement_plan": [{"amount": "80000.00", "date": "9999-12-31"}]}, "disbursement_plan"),
])
def test_absurd_loan_terms_are_422(app, client, token_for, terms, field):
    items = client.get("/api/v1/proposals?status=eligible", headers=token_for("fund_admin")).get_json()["items"]
    pid = next(p["id"] for p in items if p["title"].startswith("Low liquor"))
    before = state(app)
    res = propose_loan(client, token_for, pid, **terms)
    assert res.status_code == 422, res.get_json()
    assert field in res.get_json()["errors"]
    assert state(app) == before


def test_a_disbursement_dated_9999_12_31_is_422(app, client, token_for):
    items = client.get("/api/v1/proposals?status=eligible", headers=token_for("fund_admin")).get_json()["items"]
    pid = next(p["id"] for p in items if p["title"].startswith("Low liquor"))
    loan = propose_loan(client, token_for, pid).get_json()["id"]
    assert client.post(f"/api/v1/loans/{loan}/approve", headers=token_for("credit_committee"),
                       json={}).status_code == 200
    before = state(app)
    for day in ("9999-12-31", "2100-01-01"):
        res = client.post(f"/api/v1/loans/{loan}/disburse", headers=token_for("bank_officer"),
                          json={"amount": "80000.00", "value_date": day})
        assert res.status_code == 422 and "value_date" in res.get_json()["errors"], res.get_json()
    assert state(app) == before


BIG = "9" * 5000


@pytest.mark.parametrize("mutate,path", [
    (lambda d: d.update(sensitivity={"steps": 5}), "sensitivity.steps"),
    (lambda d: d.update(notes=5), "notes (line"),
    (lambda d: d.update(fast_track={"score": "abc"}), "fast_track.score (line"),
    (lambda d: d.update(documents=[{"kind": [1]}]), "documents[0].kind (line"),
    (lambda d: d.update(sources=7), "sources (line"),
    (lambda d: d.update(eligibility={"id": "x"}), "eligibility (line"),
    (lambda d: d["finance"].update(discount_rate=10**400), "finance.discount_rate (line"),
    (lambda d: d["finance"].update(discount_rate="BIG"), "a number has too many digits"),
])
def test_rulebook_simulation_refuses_wrong_types_with_422_naming_the_path(app, client, token_for, mutate, path):
    from creditline.rulebooks import registry

    with app.app_context():
        doc = yaml.safe_load(registry().latest("gctf-vn").text)
    mutate(doc)
    draft = yaml.safe_dump(doc, sort_keys=False).replace("discount_rate: BIG", f"discount_rate: {BIG}")
    before = state(app)
    res = client.post("/api/v1/rulebooks/simulate", headers=token_for("fund_admin"), json={"rulebook_yaml": draft})
    assert res.status_code == 422, res.get_json()
    assert any(path in p for p in res.get_json()["errors"]["rulebook_yaml"]), res.get_json()
    assert state(app) == before


def test_rulebook_simulation_refuses_a_mixed_membership_list(app, client, token_for):
    from creditline.rulebooks import registry

    with app.app_context():
        doc = yaml.safe_load(registry().latest("gctf-vn").text)
    doc["notes"] = [{"id": "odd", "when": "employees in ['a', 1]", "says": "odd"}]
    res = client.post("/api/v1/rulebooks/simulate", headers=token_for("fund_admin"),
                      json={"rulebook_yaml": yaml.safe_dump(doc)})
    assert res.status_code == 422
    assert any("notes[0].when" in p and "rule 'odd'" in p and "must hold numbers" in p for p in res.get_json()["errors"]["rulebook_yaml"])


def test_a_formula_in_a_period_label_is_exported_as_text(app, client, token_for, textile):
    label = '=HYPERLINK("http://x.io","Go")'
    periods = [{"label": label, "start": "2027-09-01", "end": "2027-09-30", "due_date": "2027-10-15"},
               {"label": "@SUM(1+1)", "start": "2027-10-01", "end": "2027-10-31", "due_date": "2027-11-15"}]
    res = client.post(f"/api/v1/proposals/{textile}/monitoring-plan", headers=token_for("verifier"),
                      json={**PLAN, "periods": periods})
    assert res.status_code == 201, res.get_json()
    base = f"/api/v1/proposals/{textile}/monitoring-reports/template"
    csv_text = client.get(f"{base}.csv", headers=token_for("sme")).get_data(as_text=True)
    cells = [line.split(",")[0] for line in csv_text.splitlines()[1:]]
    assert cells and all(c.startswith(("\"'=HYPERLINK", "'@SUM")) for c in cells), csv_text
    sheet = load_workbook(io.BytesIO(client.get(f"{base}.xlsx", headers=token_for("sme")).data))["report"]
    labels = {row[0].value for row in sheet.iter_rows(min_row=2)}
    assert labels == {"'" + label, "'@SUM(1+1)"}
    assert all(row[0].data_type == "s" for row in sheet.iter_rows(min_row=2))  # text, not a formula


def test_a_tax_id_of_another_tenant_is_refused_without_naming_it(app, client, token_for):
    sme = token_for("sme")
    own = client.get("/api/v1/enterprises", headers=sme).get_json()["items"][0]
    with app.app_context():
        other = db.session.scalars(select(Enterprise).where(Enterprise.id != own["id"])).first()
        other_tax, other_name = other.tax_id, other.legal_name
    before = state(app)
    res = client.patch(f"/api/v1/enterprises/{own['id']}", headers=sme, json={**{
        k: own[k] for k in GOOD_ENTERPRISE}, "tax_id": other_tax})
    assert res.status_code == 422
    body = json.dumps(res.get_json())
    assert res.get_json()["errors"]["tax_id"] == ["this tax id cannot be used; contact the fund if it is yours"]
    assert other_name not in body and other_tax not in body and "registered" not in body, body
    assert state(app) == before


def test_a_batch_row_with_a_nul_byte_is_a_bad_row_on_the_fast_path_too(client, token_for):
    from .test_scoring_batch import json_row

    rows = [json_row(), json_row(title="Jet dyeing\x00"), json_row(technology={"description": "a\u202eb"})]
    res = client.post("/api/v1/score/batch?rulebook=gctf-vn", headers=token_for("bank_officer"), json=rows)
    body = res.get_json()
    assert res.status_code == 200 and body["scored"] == 1
    assert [e["row"] for e in body["errors"]] == [2, 3]
    assert "control character (U+0000)" in body["errors"][0]["errors"]["title"][0]
    assert "text-direction control" in json.dumps(body["errors"][1]["errors"])
