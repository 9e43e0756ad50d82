"""The monitoring, verification and grant pages, as served HTML (the browser test drives them too)."""
import io

import pandas as pd
import pytest

from .test_verification_chain import financed, monthly


@pytest.fixture
def signed_in(app, demo):
    def login(email):
        client = app.test_client()
        assert client.post("/login", data={"email": email, "password": "green-credit-demo"}).status_code == 302
        return client
    return login


@pytest.fixture
def textile(client, token_for):
    items = client.get("/api/v1/proposals?status=eligible", headers=token_for("fund_admin")).get_json()["items"]
    pid = next(p["id"] for p in items if p["title"].startswith("Low liquor"))
    financed(client, token_for, pid)
    return pid


def filled_template(sme, pid, fmt="csv", tweak=None):
    raw = sme.get(f"/proposals/{pid}/monitoring/template.{fmt}").data
    frame = pd.read_csv(io.BytesIO(raw), dtype=str) if fmt == "csv" else pd.read_excel(io.BytesIO(raw), dtype=str)
    values = {r["period"]: r for r in monthly()}
    for i, row in frame.iterrows():
        rep = values[row["period"]]
        frame.loc[i, "production_output"] = rep["production_output"]
        frame.loc[i, "quantity"] = next(q["quantity"] for q in rep["quantities"] if q["stream"] == row["stream"])
    if tweak:
        tweak(frame)
    buf = io.BytesIO()
    frame.to_csv(buf, index=False) if fmt == "csv" else frame.to_excel(buf, index=False)
    return buf.getvalue()


def test_plan_upload_verify_confirm_certificate_and_grant(signed_in, textile):
    verifier, sme = signed_in("verifier@ncpc.example"), signed_in("owner@textile.example")
    res = verifier.post(f"/proposals/{textile}/monitoring/plan", data={
        "baseline_start": "2025-01-01", "baseline_end": "2025-12-31", "reporting_start": "2026-03-01",
        "reporting_periods": "6", "ipmvp_option": "B"}, follow_redirects=True)
    assert "Monitoring plan set." in res.get_data(as_text=True)
    bad = filled_template(sme, textile, tweak=lambda f: f.loc.__setitem__((3, "quantity"), "-7"))
    res = sme.post(f"/proposals/{textile}/monitoring/upload", data={"file": (io.BytesIO(bad), "march.csv")},
                   content_type="multipart/form-data", follow_redirects=True)
    text = res.get_data(as_text=True)
    assert "Nothing was stored" in text and "row 5: quantity" in text
    good = filled_template(sme, textile, fmt="xlsx")
    res = sme.post(f"/proposals/{textile}/monitoring/upload", data={"file": (io.BytesIO(good), "report.xlsx")},
                   content_type="multipart/form-data", follow_redirects=True)
    assert "6 period(s) stored from report.xlsx" in res.get_data(as_text=True)
    res = verifier.post(f"/proposals/{textile}/verify", follow_redirects=True)
    page = res.get_data(as_text=True)
    assert "<svg" in page and "bar-reporting" in page and "55.0%" in page
    vid = int(res.request.path.rsplit("/", 1)[1])
    verifier.post(f"/verifications/{vid}/propose", data={"decision": "verified", "comment": "meters agree"})
    senior = signed_in("senior@ncpc.example")
    assert "confirm-form" in senior.get(f"/verifications/{vid}").get_data(as_text=True)
    res = senior.post(f"/verifications/{vid}/confirm", data={"comment": ""}, follow_redirects=True)
    assert "Verification confirmed." in res.get_data(as_text=True)
    cert = sme.get(f"/verifications/{vid}/certificate").get_data(as_text=True)
    assert "GCTF-VN-V" in cert and "senior@ncpc.example" in cert and "verifier@ncpc.example" in cert
    pdf = sme.get(f"/verifications/{vid}/certificate.pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    admin = signed_in("admin@fund.example")
    queue = admin.get("/grants").get_data(as_text=True)
    assert "USD 20,000" in queue
    gid = int(queue.split("/grants/")[1].split("/")[0])
    admin.post(f"/grants/{gid}/approve", data={"paid_as": "enterprise"})
    res = admin.post(f"/grants/{gid}/pay", data={"back": "paid"}, follow_redirects=True)
    assert f"Grant {gid} paid." in res.get_data(as_text=True)


def test_sme_sees_an_empty_state_before_the_plan(signed_in, textile):
    page = signed_in("owner@textile.example").get(f"/proposals/{textile}/monitoring").get_data(as_text=True)
    assert "has not set the monitoring plan yet" in page
