"""Regression baselines through the API: the two mill examples of issue 16, uploads, adjustments."""
from datetime import timedelta

import pytest
from dateutil.relativedelta import relativedelta

from .test_verification_chain import disbursed_on, reported, textile  # noqa: F401  (textile: a fixture)

# The mill: 20,000 kWh a month plus 80 kWh per tonne, about 1,000 t a month in the baseline year.
FIXED, PER_TONNE = 20000, 80


def mill_plan() -> dict:
    start = disbursed_on() - relativedelta(months=12)
    return {"baseline_start": start.isoformat(), "baseline_end": (disbursed_on() - timedelta(days=1)).isoformat(),
            "reporting_periods": 6, "ipmvp_option": "C", "main_indicator": "electricity", "output_unit": "t",
            "indicators": [{"stream": "electricity", "unit": "kWh", "baseline_quantity": "1200000",
                            "baseline_output": "12000"}]}


def mill_months() -> list[dict]:
    """Twelve months; the meter noise is symmetric about the middle month, so the fit is exactly 20,000 + 80 t."""
    first = disbursed_on() - relativedelta(months=12)
    out = []
    for i in range(12):
        start = first + relativedelta(months=i)
        tonnes = 1000 + 20 * (i - 5.5)
        kwh = FIXED + PER_TONNE * tonnes + 200 * (abs(i - 5.5) - 3)
        out.append({"start": start.isoformat(), "end": (start + relativedelta(months=1) - timedelta(days=1)).isoformat(),
                    "production_output": f"{tonnes:.0f}", "quantities": {"electricity": f"{kwh:.0f}"}})
    return out


def mill_reports(per_tonne: int) -> list[dict]:
    """Output up 50% (1,500 t a month); the variable use per tonne as given."""
    return [{"period": f"M{k + 1:02d}", "production_output": "1500",
             "quantities": [{"stream": "electricity", "unit": "kWh", "quantity": str(FIXED + per_tonne * 1500)}]}
            for k in range(6)]


@pytest.fixture
def mill(client, token_for, textile):  # noqa: F811
    res = client.post(f"/api/v1/proposals/{textile}/monitoring-plan", headers=token_for("verifier"), json=mill_plan())
    assert res.status_code == 201, res.get_json()
    res = client.put(f"/api/v1/proposals/{textile}/baseline-months", headers=token_for("sme"),
                     json={"months": mill_months()})
    assert res.status_code == 200, res.get_json()
    return textile


REGRESSION = {"models": [{"indicator": "electricity", "method": "regression"}]}


def test_output_rise_alone_verifies_no_saving_by_regression(client, token_for, mill):
    reported(client, token_for, mill, mill_reports(PER_TONNE))
    res = client.post(f"/api/v1/proposals/{mill}/verifications", headers=token_for("verifier"), json=REGRESSION)
    assert res.status_code == 201, res.get_json()
    result = res.get_json()["result"]
    model = result["models"]["electricity"]
    assert model["accepted"] and model["coefficients"] == {"intercept": "20000.0", "output": "80.0000"}
    assert model["avoided"] == "0.000" and result["main_improvement"] == 0.0
    # By specific consumption the same months read as 100 -> 93.3 kWh/t, a 6.7% "improvement".
    assert result["indicators"]["electricity"]["specific_improvement"] == 0.0667


def test_variable_cut_earns_no_grant_on_the_viet_nam_line(client, token_for, mill):
    reported(client, token_for, mill, mill_reports(56))
    # Specific consumption (the default) is refused: a fixed load of 20% hides in it.
    res = client.post(f"/api/v1/proposals/{mill}/verifications", headers=token_for("verifier"), json={})
    assert res.status_code == 422
    assert "fixed load of 20%" in " ".join(res.get_json()["errors"]["models.electricity"])
    res = client.post(f"/api/v1/proposals/{mill}/verifications", headers=token_for("verifier"), json=REGRESSION)
    assert res.status_code == 201, res.get_json()
    v = res.get_json()
    model = v["result"]["models"]["electricity"]
    assert (model["adjusted_baseline"], model["actual"], model["avoided"]) == ("840000.000", "624000.000", "216000.000")
    assert v["result"]["main_improvement"] == 0.2571 and v["result"]["band_improvement"] == 0.2571
    assert v["result"]["indicators"]["electricity"]["specific_improvement"] == 0.3067  # over the 30% band
    assert model["r2"] > 0.99 and model["cv_rmse"] < 0.01 and model["lower_bound"] < 0.2571
    assert model["source"].startswith("ASHRAE Guideline 14")
    assert client.post(f"/api/v1/verifications/{v['id']}/propose", headers=token_for("verifier"),
                       json={"decision": "verified", "comment": "regression baseline, fixed load"}).status_code == 200
    res = client.post(f"/api/v1/verifications/{v['id']}/confirm", headers=token_for("senior_verifier"), json={})
    assert res.status_code == 200, res.get_json()
    grant = res.get_json()["grant"]
    assert grant["amount"] == "0.00" and "25.7% is not over 30%" in grant["reason"]


def test_a_failing_fit_needs_a_documented_reason(client, token_for, mill):
    months = mill_months()
    for i, m in enumerate(months):
        m["quantities"]["electricity"] = str(int(m["quantities"]["electricity"]) + (40000 if i % 2 else -40000))
    assert client.put(f"/api/v1/proposals/{mill}/baseline-months", headers=token_for("verifier"),
                      json={"months": months}).status_code == 200
    reported(client, token_for, mill, mill_reports(56))
    res = client.post(f"/api/v1/proposals/{mill}/verifications", headers=token_for("verifier"), json=REGRESSION)
    assert res.status_code == 422
    text = " ".join(res.get_json()["errors"]["models.0.reason"])
    assert "CV(RMSE)" in text and "R²" in text
    body = {"models": [{**REGRESSION["models"][0], "reason": "metering replaced mid-year; the NCPC accepts the fit"}]}
    res = client.post(f"/api/v1/proposals/{mill}/verifications", headers=token_for("verifier"), json=body)
    assert res.status_code == 201
    assert res.get_json()["result"]["models"]["electricity"]["reason"].startswith("metering replaced")


def test_baseline_upload_errors_name_row_and_column(client, token_for, mill):
    rows = ["start,end,production_output,stream,unit,quantity,degree_days"]
    for n, m in enumerate(mill_months()):
        kwh = m["quantities"]["electricity"]
        rows.append(f"{m['start']},{m['end']},{m['production_output']},electricity,kWh,{kwh},{100 + n}")
    rows[3] = rows[3].replace(",kWh,", ",MWh,")
    rows[5] = rows[5].rsplit(",", 1)[0] + ",warm"
    rows[7] = rows[7].replace("electricity", "steam")
    res = client.put(f"/api/v1/proposals/{mill}/baseline-months", headers={**token_for("sme"), "Content-Type": "text/csv"},
                     data="\n".join(rows).encode())
    assert res.status_code == 422
    errors = res.get_json()["errors"]
    assert errors["row 4"] == ["unit: electricity is measured in kWh, not 'MWh'"]
    assert errors["row 6"] == ["degree_days: must be a number, not 'warm'"]
    assert errors["row 8"][0].startswith("stream: 'steam' is not an indicator")
    stored = client.get(f"/api/v1/proposals/{mill}/baseline-months", headers=token_for("sme")).get_json()
    assert len(stored) == 12 and stored[0]["drivers"] == {}  # the JSON baseline stands
    rows = [r for i, r in enumerate(rows) if i not in (3, 5, 7)] + [rows[3].replace(",MWh,", ",kWh,"),
                                                                    rows[5].rsplit(",", 1)[0] + ",104",
                                                                    rows[7].replace("steam", "electricity")]
    res = client.put(f"/api/v1/proposals/{mill}/baseline-months", headers={**token_for("sme"), "Content-Type": "text/csv"},
                     data="\n".join(rows).encode())
    assert res.status_code == 200, res.get_json()
    assert [m["drivers"]["degree_days"] for m in res.get_json()][:3] == ["100", "101", "102"]


def test_a_non_routine_adjustment_counts_once_a_second_verifier_confirms(client, token_for, mill):
    reported(client, token_for, mill, mill_reports(56))
    res = client.post(f"/api/v1/proposals/{mill}/baseline-adjustments", headers=token_for("verifier"),
                      json={"indicator": "electricity", "amount": "60000",
                            "reason": "a second shift added in M03: 10,000 kWh a month of lighting and HVAC"})
    assert res.status_code == 201, res.get_json()
    adj = res.get_json()["id"]
    own = client.post(f"/api/v1/baseline-adjustments/{adj}/confirm", headers=token_for("verifier"), json={})
    assert own.status_code == 403
    res = client.post(f"/api/v1/proposals/{mill}/verifications", headers=token_for("verifier"), json=REGRESSION)
    assert res.get_json()["result"]["models"]["electricity"]["avoided"] == "216000.000"  # proposed is not counted
    assert client.post(f"/api/v1/verifications/{res.get_json()['id']}/propose", headers=token_for("verifier"),
                       json={"decision": "more_data", "comment": "adjustment pending"}).status_code == 200
    ok = client.post(f"/api/v1/baseline-adjustments/{adj}/confirm", headers=token_for("senior_verifier"), json={})
    assert ok.status_code == 200 and ok.get_json()["status"] == "confirmed"
    again = client.post(f"/api/v1/baseline-adjustments/{adj}/reject", headers=token_for("senior_verifier"),
                        json={"note": "changed my mind"})
    assert again.status_code == 409


def test_a_second_driver_comes_from_the_baseline_and_the_reports(client, token_for, mill):
    months = mill_months()
    for i, m in enumerate(months):
        degree_days = 100 + 10 * ((5 * i) % 12)
        m["drivers"] = {"degree_days": str(degree_days)}
        m["quantities"]["electricity"] = str(int(m["quantities"]["electricity"]) + 50 * degree_days)
    assert client.put(f"/api/v1/proposals/{mill}/baseline-months", headers=token_for("verifier"),
                      json={"months": months}).status_code == 200
    reports = mill_reports(56)
    for r in reports:
        r["drivers"] = {"degree_days": "150"}
        r["quantities"][0]["quantity"] = str(int(r["quantities"][0]["quantity"]) + 50 * 150)
    reports[0]["drivers"] = {"Degree Days": "150"}
    res = client.post(f"/api/v1/proposals/{mill}/monitoring-reports", headers=token_for("sme"), json={"reports": reports})
    assert res.status_code == 422 and "reports.0.drivers.Degree Days" in res.get_json()["errors"]
    reports[0]["drivers"] = {"degree_days": "150"}
    reported(client, token_for, mill, reports)
    body = {"models": [{"indicator": "electricity", "method": "regression", "drivers": ["degree_days", "humidity"]}]}
    res = client.post(f"/api/v1/proposals/{mill}/verifications", headers=token_for("verifier"), json=body)
    assert res.status_code == 422 and "humidity" in res.get_json()["errors"]["models.0.drivers"][0]
    body["models"][0]["drivers"] = ["degree_days"]
    res = client.post(f"/api/v1/proposals/{mill}/verifications", headers=token_for("verifier"), json=body)
    assert res.status_code == 201, res.get_json()
    model = res.get_json()["result"]["models"]["electricity"]
    # adjusted 20,000 + 80 x 1,500 + 50 x 150 = 147,500 a month; actual 111,500: 24.4% avoided
    assert model["accepted"] and model["drivers"] == ["output", "degree_days"]
    assert abs(model["improvement"] - 0.2441) < 0.002 and 45 < float(model["coefficients"]["degree_days"]) < 55


def test_baselines_and_adjustments_are_seen_only_in_scope(client, token_for, mill, outsiders):
    res = client.post(f"/api/v1/proposals/{mill}/baseline-adjustments", headers=token_for("verifier"),
                      json={"indicator": "electricity", "amount": "1000", "reason": "an added shift, from the sub-meter"})
    adj = res.get_json()["id"]
    for role, headers in outsiders["headers"].items():
        assert client.get(f"/api/v1/proposals/{mill}/baseline-months", headers=headers).status_code == 404, role
        assert client.post(f"/api/v1/baseline-adjustments/{adj}/confirm", headers=headers, json={}).status_code in (403, 404)
    assert client.put(f"/api/v1/proposals/{mill}/baseline-months", headers=token_for("bank_officer"),
                      json={"months": mill_months()}).status_code == 403
    assert client.post(f"/api/v1/proposals/{mill}/baseline-adjustments", headers=token_for("sme"),
                       json={"indicator": "electricity", "amount": "1", "reason": "the SME cannot adjust"}).status_code == 403
    assert client.post(f"/api/v1/baseline-adjustments/{adj}/confirm", headers=token_for("sme"), json={}).status_code == 403
    bad = client.post(f"/api/v1/proposals/{mill}/baseline-adjustments", headers=token_for("verifier"),
                      json={"indicator": "steam", "amount": "0", "reason": "short"})
    assert bad.status_code == 422 and set(bad.get_json()["errors"]) == {"indicator", "amount", "reason"}


def test_a_confirm_and_a_reject_racing_one_wins(app, client, token_for, mill):
    from .races import audit_chain_ok, race_calls

    res = client.post(f"/api/v1/proposals/{mill}/baseline-adjustments", headers=token_for("verifier"),
                      json={"indicator": "electricity", "amount": "3000", "reason": "an added shift, from the sub-meter"})
    adj = res.get_json()["id"]
    senior = token_for("senior_verifier")
    out = race_calls(app, [(f"/api/v1/baseline-adjustments/{adj}/confirm", senior, {}),
                           (f"/api/v1/baseline-adjustments/{adj}/reject", senior, {"note": "not metered"})] * 2)
    assert sorted(status for status, _ in out) == [200, 409, 409, 409]
    final = client.get(f"/api/v1/proposals/{mill}/baseline-adjustments", headers=senior).get_json()[0]["status"]
    assert final == next(body["status"] for status, body in out if status == 200)
    assert audit_chain_ok(app)


def test_a_verified_baseline_can_no_longer_be_replaced(app, client, token_for, story):
    # The rice mill's confirmed verification (and the grant waiting on it) rests on its twelve
    # baseline months: inflating them now would inflate the next verification's saving.
    from sqlalchemy import func, select

    from creditline.audit.models import AuditEvent
    from creditline.extensions import db

    proposal, verification = story["rice_mill"]["proposal_id"], story["rice_mill"]["verification_id"]
    url = f"/api/v1/proposals/{proposal}/baseline-months"
    months = client.get(url, headers=token_for("verifier")).get_json()
    inflated = [{"start": m["start"], "end": m["end"], "production_output": m["production_output"],
                 "quantities": {"electricity": "999999"}} for m in months]
    people = [token_for(who) for who in ("owner@ricemill.example", "verifier")]  # signing in is audited
    with app.app_context():
        events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    for headers in people:
        res = client.put(url, headers=headers, json={"months": inflated})
        assert res.status_code == 409, res.get_json()
        assert res.get_json()["message"] == (
            f"verification {verification} of this proposal rests on these baseline months; they can no longer be "
            "replaced (a change in the plant since is a baseline adjustment, confirmed by a second verifier)")
    assert client.get(url, headers=token_for("verifier")).get_json() == months
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events
