"""Monitoring plans start after start-up, uploads name every problem at once, evidence is served only intact."""
import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select

from creditline.audit.models import AuditEvent
from creditline.extensions import db
from creditline.monitoring.models import MonitoringPlan, MonitoringReport

from .test_verification_chain import (PLAN, financed, disbursed_on, monthly, planned, reported,  # noqa: F401
                                      reporting_start, textile, verified)


def plan_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(MonitoringPlan))


def post_plan(client, token_for, pid, **body):
    return client.post(f"/api/v1/proposals/{pid}/monitoring-plan", headers=token_for("verifier"), json={**PLAN, **body})


def test_the_default_start_follows_the_rulebook_and_the_count_is_kept(client, token_for, textile):
    res = post_plan(client, token_for, textile, reporting_periods=4)
    assert res.status_code == 201, res.get_json()
    periods = res.get_json()["periods"]
    assert [p["start"] for p in periods] == [(reporting_start() + relativedelta(months=k)).isoformat() for k in range(4)]


def test_a_plan_needs_a_start_until_the_loan_is_disbursed(app, client, token_for):
    items = client.get("/api/v1/proposals?status=eligible", headers=token_for("fund_admin")).get_json()["items"]
    pid = next(p["id"] for p in items if p["title"].startswith("Low liquor"))
    res = client.post("/api/v1/loans", headers=token_for("bank_officer"), json={
        "proposal_id": pid, "principal": "80000.00", "annual_rate": 0.10, "tenor_months": 36,
        "frequency": "monthly", "method": "annuity"})
    loan = res.get_json()["id"]
    assert client.post(f"/api/v1/loans/{loan}/approve", headers=token_for("credit_committee"), json={}).status_code == 200
    res = post_plan(client, token_for, pid)
    assert res.status_code == 422 and "required until the loan is disbursed" in res.get_json()["errors"]["reporting_start"][0]
    # Before disbursement a given start is taken as it is.
    assert post_plan(client, token_for, pid, reporting_start="2027-01-01").status_code == 201


@pytest.mark.parametrize("body,field,fragment", [
    ({"reporting_start": "2020-03-01"}, "reporting_start", "before the loan's first disbursement"),
    ({"periods": [{"label": "Q1", "start": "2030-01-01", "end": "2030-03-31", "due_date": "2030-04-15"},
                  {"label": "Q0", "start": "2020-06-01", "end": "2020-06-30", "due_date": "2020-07-15"}]},
     "periods.1.start", "before the loan's first disbursement"),
    ({"periods": [{"label": "Q1", "start": "2030-01-01", "end": "2030-03-31", "due_date": "2030-03-30"}]},
     "periods.0.due_date", "is due on 2030-03-30, before it ends on 2030-03-31"),
])
def test_plans_measuring_before_the_money_or_due_before_the_end_are_refused(app, client, token_for, textile,
                                                                            body, field, fragment):
    res = post_plan(client, token_for, textile, **body)
    assert res.status_code == 422, res.get_json()
    assert fragment in " ".join(res.get_json()["errors"][field])
    assert plan_count(app) == 0


def test_a_plan_starting_on_the_disbursement_day_is_accepted(client, token_for, textile):
    res = post_plan(client, token_for, textile, reporting_start=disbursed_on().isoformat())
    assert res.status_code == 201 and res.get_json()["periods"][0]["start"] == disbursed_on().isoformat()


def upload(client, token_for, pid, frame, name="report.csv"):
    buf = io.BytesIO()
    frame.to_csv(buf, index=False) if name.endswith(".csv") else frame.to_excel(buf, index=False)
    return client.post(f"/api/v1/proposals/{pid}/monitoring-reports", headers=token_for("sme"),
                       content_type="multipart/form-data", data={"file": (io.BytesIO(buf.getvalue()), name)})


def long_rows(reports):
    return pd.DataFrame([{"period": r["period"], "production_output": r["production_output"], "stream": q["stream"],
                          "unit": q["unit"], "quantity": q["quantity"]} for r in reports for q in r["quantities"]])


def test_an_upload_names_row_problems_and_period_problems_together(app, client, token_for, textile):
    planned(client, token_for, textile)
    reported(client, token_for, textile, monthly()[:1])  # M01 is in
    frame = long_rows(monthly()[:3])  # M01 again, M02, M03: rows 2-10
    frame.loc[4, "quantity"] = "-7"  # row 6: M02 electricity
    frame.loc[6:8, "period"] = "M13"  # rows 8-10: not in the plan
    res = upload(client, token_for, textile, frame)
    assert res.status_code == 422
    assert res.get_json()["errors"] == {
        "row 2: period": ["period M01 has already been reported"],
        "row 6: quantity": ["must be a number, zero or more, not '-7'"],
        "row 8: period": ["period 'M13' is not in the plan (periods: M01, M02, M03, M04, M05, M06)"]}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(MonitoringReport)) == 1


def test_a_zip_that_is_not_a_workbook_is_a_clear_422(app, client, token_for, textile):
    planned(client, token_for, textile)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    res = client.post(f"/api/v1/proposals/{textile}/monitoring-reports", headers=token_for("sme"),
                      content_type="multipart/form-data", data={"file": (io.BytesIO(buf.getvalue()), "report.xlsx")})
    assert res.status_code == 422
    assert "report.xlsx is not an Excel workbook" in res.get_json()["errors"]["file"][0]


def test_unknown_template_formats_are_404(client, token_for, textile):
    planned(client, token_for, textile)
    sme = token_for("sme")
    assert client.get(f"/api/v1/proposals/{textile}/monitoring-reports/template.pdf", headers=sme).status_code == 404
    res = client.get(f"/api/v1/proposals/{textile}/monitoring-reports/template.xlsx", headers=sme)
    assert res.status_code == 200 and res.data[:2] == b"PK"


def test_evidence_is_downloaded_intact_or_refused(app, client, token_for, textile):
    planned(client, token_for, textile)
    reports = reported(client, token_for, textile)
    content = b"water meter M01: 3780 m3 (read by the evidence download test)"
    res = client.post(f"/api/v1/monitoring-reports/{reports[0]['id']}/evidence", headers=token_for("sme"),
                      content_type="multipart/form-data",
                      data={"file": (io.BytesIO(content), "meter-m01.txt"), "description": "meter"})
    assert res.status_code == 201
    sha = res.get_json()["sha256"]
    v = verified(client, token_for, textile)
    owner = client.get("/api/v1/auth/me", headers=token_for("sme")).get_json()["id"]
    assert v["evidence"][0]["uploaded_by"] == owner and v["evidence"][0]["sha256"] == sha
    path = f"/api/v1/verifications/{v['id']}/evidence/1"
    got = client.get(path, headers=token_for("verifier"))
    assert got.status_code == 200 and got.data == content
    assert 'filename="meter-m01.txt"' in got.headers["Content-Disposition"]
    assert client.get(f"/api/v1/verifications/{v['id']}/evidence/2", headers=token_for("verifier")).status_code == 404
    stored = Path(app.config["UPLOAD_DIR"]) / sha[:2] / sha
    stored.write_bytes(content.replace(b"3780", b"1780"))  # altered on disk
    bad = client.get(path, headers=token_for("verifier"))
    assert bad.status_code == 409 and "no longer matches its SHA-256" in bad.get_json()["message"]
    stored.unlink()
    assert client.get(path, headers=token_for("verifier")).status_code == 409


def test_evidence_upload_is_documented_as_multipart(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    body = spec["paths"]["/api/v1/monitoring-reports/{report_id}/evidence"]["post"]["requestBody"]
    schema = body["content"]["multipart/form-data"]["schema"]
    assert schema["required"] == ["file"] and schema["properties"]["file"]["format"] == "binary"


def test_a_long_evidence_description_is_refused(app, client, token_for, textile):
    planned(client, token_for, textile)
    reports = reported(client, token_for, textile)
    res = client.post(f"/api/v1/monitoring-reports/{reports[0]['id']}/evidence", headers=token_for("sme"),
                      content_type="multipart/form-data",
                      data={"file": (io.BytesIO(b"x"), "x.txt"), "description": "d" * 201})
    assert res.status_code == 422 and "description" in res.get_json()["errors"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "monitoring_report.evidence_added")) == 0
