"""A plant with a fixed load baselined, modelled, adjusted and verified through the pages (served HTML)."""
import pytest

from .test_monitoring_pages import signed_in  # noqa: F401  (a fixture)
from .test_regression_baseline import FIXED, mill, mill_months, mill_reports  # noqa: F401  (mill: a fixture)
from .test_monitoring_progress import chart_blocks
from .test_verification_chain import reported, textile  # noqa: F401


@pytest.fixture
def planned_mill(client, token_for, textile):  # noqa: F811
    from .test_regression_baseline import mill_plan
    res = client.post(f"/api/v1/proposals/{textile}/monitoring-plan", headers=token_for("verifier"), json=mill_plan())
    assert res.status_code == 201, res.get_json()
    return textile


def test_baseline_form_model_choice_and_certificate(client, token_for, signed_in, planned_mill):  # noqa: F811
    pid = planned_mill
    verifier = signed_in("verifier@ncpc.example")
    page = verifier.get(f"/proposals/{pid}/monitoring").get_data(as_text=True)
    assert 'data-testid="baseline-empty"' in page
    form = {"rows": "12", "driver_names": ""}
    for i, m in enumerate(mill_months()):
        form |= {f"m{i}.start": m["start"], f"m{i}.end": m["end"], f"m{i}.output": m["production_output"],
                 f"m{i}.q.electricity": m["quantities"]["electricity"]}
    bad = {**form, "m4.output": "0"}
    page = verifier.post(f"/proposals/{pid}/monitoring/baseline", data=bad, follow_redirects=True).get_data(as_text=True)
    assert "Month 5: Production output: must be more than zero" in page and "months.4" not in page and 'data-testid="baseline-empty"' in page
    page = verifier.post(f"/proposals/{pid}/monitoring/baseline", data=form, follow_redirects=True).get_data(as_text=True)
    assert "Baseline stored: 12 months." in page and 'data-testid="baseline-months"' in page
    reported(client, token_for, pid, mill_reports(56))
    page = verifier.post(f"/proposals/{pid}/verify", data={"method.electricity": "specific"},
                         follow_redirects=True).get_data(as_text=True)
    assert "fixed load of 20%" in page
    page = verifier.post(f"/proposals/{pid}/monitoring/adjustments", follow_redirects=True, data={
        "indicator": "electricity", "amount": "-6000", "reason": "a product line moved out in M02: 1,000 kWh a month"}
    ).get_data(as_text=True)
    assert "another verifier confirms it" in page
    adjustment = client.get(f"/api/v1/proposals/{pid}/baseline-adjustments", headers=token_for("verifier")).get_json()[0]
    senior = signed_in("senior@ncpc.example")
    page = senior.post(f"/baseline-adjustments/{adjustment['id']}/decide", follow_redirects=True,
                       data={"decision": "confirmed", "proposal_id": pid}).get_data(as_text=True)
    assert "Adjustment confirmed." in page
    res = verifier.post(f"/proposals/{pid}/verify", data={"method.electricity": "regression"})
    assert res.status_code == 302 and "/verifications/" in res.location
    page = verifier.get(res.location).get_data(as_text=True)
    assert "20000.0 + 80.0000·output" in page and "CV(RMSE)" in page
    # The fit is drawn in the page by Chart.js from its JSON; the printed certificate draws the same series as SVG.
    fit = chart_blocks(page)["fit-1"]
    assert [s["label"] for s in fit["series"]] == ["baseline, measured", "baseline model", "adjusted baseline",
                                                  "reporting, measured"]
    assert len(fit["labels"]) == 12 + 6 and fit["divider"] == 12 and fit["shade"] == [2, 3]
    assert 'class="chart line-chart"' not in page and '<canvas class="line-chart" id="fit-1"' in page
    verified_months = chart_blocks(page)["chart-v1"]  # each verified month against baseline, target and bands
    assert verified_months["series"][0]["data"] == [pytest.approx((FIXED + 56 * 1500) / 1500)] * 6
    assert any(t["label"] == "30.0 % band: 15.0 % grant" for t in verified_months["thresholds"])
    assert "834000.000 kWh" in page and "-6000.000 kWh of non-routine adjustments" in page  # 840,000 less 6,000
    vid = int(res.location.rstrip("/").rsplit("/", 1)[1])
    assert client.post(f"/api/v1/verifications/{vid}/propose", headers=token_for("verifier"),
                       json={"decision": "verified", "comment": "regression, fixed load"}).status_code == 200
    assert client.post(f"/api/v1/verifications/{vid}/confirm", headers=token_for("senior_verifier"), json={}).status_code == 200
    certificate = verifier.get(f"/verifications/{vid}/certificate").get_data(as_text=True)
    assert "regression baseline (IPMVP option B/C)" in certificate and "ASHRAE Guideline 14" in certificate
    assert 'class="chart line-chart"' in certificate and "line_charts.js" not in certificate
    pdf = verifier.get(f"/verifications/{vid}/certificate.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_the_baseline_template_filled_in_and_uploaded_as_excel(signed_in, planned_mill):  # noqa: F811
    import io

    import pandas as pd

    sme = signed_in("owner@textile.example")
    raw = sme.get(f"/proposals/{planned_mill}/monitoring/baseline-template.xlsx")
    assert raw.status_code == 200
    frame = pd.read_excel(io.BytesIO(raw.data), dtype=str)
    assert list(frame.columns) == ["start", "end", "production_output", "stream", "unit", "quantity"]
    months = mill_months()
    assert list(frame["start"]) == [m["start"] for m in months] and set(frame["unit"]) == {"kWh"}
    frame["production_output"] = [m["production_output"] for m in months]
    frame["quantity"] = [m["quantities"]["electricity"] for m in months]
    frame.loc[3, "quantity"] = "lots"
    buf = io.BytesIO()
    frame.to_excel(buf, index=False)
    page = sme.post(f"/proposals/{planned_mill}/monitoring/baseline", follow_redirects=True, content_type="multipart/form-data",
                    data={"file": (io.BytesIO(buf.getvalue()), "baseline.xlsx")}).get_data(as_text=True)
    assert "Row 5: quantity: must be a number, zero or more, not &#39;lots&#39;" in page
    frame.loc[3, "quantity"] = months[3]["quantities"]["electricity"]
    buf = io.BytesIO()
    frame.to_excel(buf, index=False)
    page = sme.post(f"/proposals/{planned_mill}/monitoring/baseline", follow_redirects=True, content_type="multipart/form-data",
                    data={"file": (io.BytesIO(buf.getvalue()), "baseline.xlsx")}).get_data(as_text=True)
    assert "Baseline stored: 12 months." in page
