"""The monitoring, verification and grant pages, as served HTML (the browser test drives them too)."""
import io
import re

import pandas as pd
import pytest

from .test_verification_chain import PLAN, monthly, textile  # noqa: F401  (fixture)


@pytest.fixture
def signed_in(app, demo):
    def login(email):
        client = app.test_client()
        assert client.post("/login", data={"email": email, "password": "green-credit-demo"}).status_code == 302
        return client
    return login


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
        "baseline_start": PLAN["baseline_start"], "baseline_end": PLAN["baseline_end"], "reporting_start": "",
        "reporting_periods": "6", "ipmvp_option": "B"}, follow_redirects=True)
    assert "Monitoring plan set." in res.get_data(as_text=True)
    bad = filled_template(sme, textile, tweak=lambda f: f.loc.__setitem__((3, "quantity"), "-7"))
    res = sme.post(f"/proposals/{textile}/monitoring/upload", data={"file": (io.BytesIO(bad), "march.csv")},
                   content_type="multipart/form-data", follow_redirects=True)
    text = res.get_data(as_text=True)
    assert res.status_code == 422 and "Nothing was stored" in text and 'data-testid="upload-errors"' in text
    assert "<tr><td>5</td><td>quantity</td><td>" in text  # row, column, problem: a table, not a path
    good = filled_template(sme, textile, fmt="xlsx")
    res = sme.post(f"/proposals/{textile}/monitoring/upload", data={"file": (io.BytesIO(good), "report.xlsx")},
                   content_type="multipart/form-data", follow_redirects=True)
    assert "6 period(s) stored from report.xlsx" in res.get_data(as_text=True)
    # Only accepted reports count: the verifier accepts each one on the monitoring page first.
    for r in verifier.get(f"/api/v1/proposals/{textile}/monitoring-reports").get_json():
        res = verifier.post(f"/monitoring-reports/{r['id']}/review", data={
            "decision": "accept", "proposal_id": textile}, follow_redirects=True)
        assert f"Report {r['period']} accepted." in res.get_data(as_text=True)
    res = verifier.post(f"/proposals/{textile}/verify", follow_redirects=True)
    page = res.get_data(as_text=True)
    # Each indicator's verified months are charted (Chart.js, its figures in the page) above the same table.
    assert page.count('<canvas class="line-chart"') == 3 and 'data-testid="verified-months"' in page and "55.0 %" in page
    vid = int(res.request.path.rsplit("/", 1)[1])
    # Specific consumption reads with its unit per unit of output, the stream by its label.
    assert re.search(r'<td class="num">[\d,.]+ (kWh|m3|L|t|kg)/[^<]+</td>', page), "no unit on the verification table"
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
    assert f"Grant GR-{gid:06d} paid." in res.get_data(as_text=True)


def test_sme_sees_an_empty_state_before_the_plan(signed_in, textile):
    page = signed_in("owner@textile.example").get(f"/proposals/{textile}/monitoring").get_data(as_text=True)
    assert "has not set the monitoring plan yet" in page


def test_the_sme_declares_another_incentive_on_the_monitoring_page(app, signed_in, textile):
    from .test_verification_chain import PLAN
    verifier, sme = signed_in("verifier@ncpc.example"), signed_in("owner@textile.example")
    verifier.post(f"/proposals/{textile}/monitoring/plan", data={**PLAN, "reporting_start": ""})
    page = sme.get(f"/proposals/{textile}/monitoring").get_data(as_text=True)
    assert 'data-testid="incentive-form"' in page and "None declared." in page
    assert 'data-testid="incentive-form"' not in verifier.get(f"/proposals/{textile}/monitoring").get_data(as_text=True)
    res = sme.post(f"/proposals/{textile}/other-incentives", data={"source": "City energy fund", "amount": "0",
                                                                    "date": "2026-10-01"}, follow_redirects=True)
    page = res.get_data(as_text=True)
    assert res.status_code == 422 and '<a href="#incentive-amount">Amount</a>: must be more than zero' in page
    assert 'value="City energy fund"' in page  # what was typed stays
    res = sme.post(f"/proposals/{textile}/other-incentives", data={"source": "City energy fund", "amount": "2500",
                                                                    "date": "2026-10-01"}, follow_redirects=True)
    text = res.get_data(as_text=True)
    assert "Incentive declared" in text and "City energy fund" in text and "USD 2500.00" in text


def test_the_verification_page_shows_uploaders_downloads_and_the_proposer_s_way_out(app, client, token_for,
                                                                                    signed_in, textile):
    from .test_verification_chain import planned, reported, verified
    planned(client, token_for, textile)
    reports = reported(client, token_for, textile)
    client.post(f"/api/v1/monitoring-reports/{reports[0]['id']}/evidence", headers=token_for("sme"),
                content_type="multipart/form-data", data={"file": (io.BytesIO(b"invoice M01"), "invoice-m01.pdf")})
    v = verified(client, token_for, textile)
    senior = signed_in("senior@ncpc.example")
    page = senior.get(f"/verifications/{v['id']}").get_data(as_text=True)
    assert "invoice-m01.pdf" in page and "owner@textile.example" in page
    assert f'href="/verifications/{v["id"]}/evidence/1"' in page
    assert senior.get(f"/verifications/{v['id']}/evidence/1").data == b"invoice M01"
    assert "no grant until the decision is confirmed" in page
    senior.post(f"/verifications/{v['id']}/propose", data={"decision": "verified", "comment": "I checked it myself"})
    page = senior.get(f"/verifications/{v['id']}").get_data(as_text=True)
    assert 'data-testid="withdraw-form"' in page and 'data-testid="confirm-form"' not in page
    res = senior.post(f"/verifications/{v['id']}/withdraw", data={"comment": ""}, follow_redirects=True)
    assert "Proposal withdrawn" in res.get_data(as_text=True)
    verifier = signed_in("verifier@ncpc.example")
    verifier.post(f"/verifications/{v['id']}/propose", data={"decision": "verified", "comment": "meters agree"})
    senior.post(f"/verifications/{v['id']}/confirm", data={"comment": ""})
    monitoring = verifier.get(f"/proposals/{textile}/monitoring").get_data(as_text=True)
    assert f"Verify again, correcting V{v['id']}" in monitoring
    res = verifier.post(f"/proposals/{textile}/verify", data={"supersedes_id": str(v["id"])}, follow_redirects=True)
    assert f"corrects <a href=\"/verifications/{v['id']}\">V{v['id']}</a>" in res.get_data(as_text=True)
