"""A verifier baselines, models, adjusts and verifies a plant with a fixed load through the pages."""
from datetime import timedelta
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from creditline import clock
from creditline.demo import DEMO_PROPOSALS
from creditline.enterprises.models import Enterprise
from creditline.extensions import db
from creditline.loans import services as loans
from creditline.monitoring import services as monitoring
from creditline.monitoring.review import review_report
from creditline.proposals.services import create_proposal, submit_proposal
from creditline.scoring.services import score_and_store

from .conftest import sign_in
from .test_verification import actor


@pytest.fixture
def mill(live_app):
    """A mill lent 16 months ago whose six reporting months are reported and accepted: 20,000 kWh a
    month of fixed load plus 56 kWh/t (80 before) at 1,500 t (1,000 before)."""
    with live_app.app_context():
        sme = actor("owner@textile.example")
        ent = db.session.scalar(select(Enterprise).where(Enterprise.organisation_id == sme.organisation_id))
        p = create_proposal(sme, {**DEMO_PROPOSALS["owner@textile.example"][0], "title": "Mill drives",
                                  "credit_line_id": 1, "enterprise_id": ent.id, "currency": "USD"})
        start = clock.today().replace(day=1) - relativedelta(months=16)
        submit_proposal(sme, p.id, None, score_and_store, submitted_on=start - relativedelta(months=1))
        loan = loans.propose_loan(actor("officer@bank.example"), {
            "proposal_id": p.id, "principal": Decimal("80000.00"), "annual_rate": Decimal("0.10"), "tenor_months": 36,
            "frequency": "monthly", "method": "annuity"})
        loans.approve_loan(actor("committee@bank.example"), loan.id, on=start - timedelta(days=14))
        loans.disburse(actor("officer@bank.example"), loan.id, {"amount": Decimal("80000.00"), "value_date": start})
        plan = monitoring.set_plan(actor("verifier@ncpc.example"), p.id, {
            "baseline_start": start - relativedelta(months=12), "baseline_end": start - timedelta(days=1),
            "reporting_periods": 6, "main_indicator": "electricity", "output_unit": "t",
            "indicators": [{"stream": "electricity", "unit": "kWh", "baseline_quantity": "1200000",
                            "baseline_output": "12000"}]})
        reports = monitoring.submit_reports(sme, p.id, [
            {"period": q.label, "production_output": "1500", "reported_on": q.end + timedelta(days=5),
             "quantities": [{"stream": "electricity", "unit": "kWh", "quantity": str(20000 + 56 * 1500)}]}
            for q in plan.periods])
        for r in reports:
            review_report(actor("verifier@ncpc.example"), r.id, "accept", None)
        pid = p.id
        db.session.remove()
    return pid, start


def baseline_csv(tmp_path, start) -> str:
    rows = ["start,end,production_output,stream,unit,quantity"]
    for i in range(12):
        month = start - relativedelta(months=12 - i)
        tonnes = 1000 + 20 * (i - 5.5)
        kwh = 20000 + 80 * tonnes + 200 * (abs(i - 5.5) - 3)
        end = month + relativedelta(months=1) - timedelta(days=1)
        rows.append(f"{month},{end},{tonnes:.0f},electricity,kWh,{kwh:.0f}")
    path = tmp_path / "baseline.csv"
    path.write_text("\n".join(rows) + "\n")
    return str(path)


def test_fixed_load_plant_verified_by_regression(page, mill, tmp_path):
    pid, start = mill
    sign_in(page, "verifier@ncpc.example")
    page.goto(f"/proposals/{pid}/monitoring")
    page.get_by_label("Baseline file").set_input_files(baseline_csv(tmp_path, start))
    page.get_by_role("button", name="Replace from the file").click()
    page.get_by_text("Baseline stored: 12 months.").wait_for()
    # Specific consumption hides the 20% fixed load: refused until the model is chosen or argued.
    page.get_by_role("button", name="Verify the accepted periods").click()
    page.get_by_text("fixed load of 20%").wait_for()
    form = page.get_by_test_id("adjustment-form")
    form.get_by_label("Amount over the reporting window").fill("12000")
    form.get_by_label("What changed and how the amount was worked out").fill(
        "A packing line added in M04: 4,000 kWh a month for three months, from its sub-meter")
    form.get_by_role("button", name="Enter the adjustment").click()
    page.get_by_text("Adjustment entered").wait_for()

    sign_in(page, "senior@ncpc.example")
    page.goto(f"/proposals/{pid}/monitoring")
    page.locator("[data-testid^=decide-adjustment-]").get_by_role("button", name="Confirm").click()
    page.get_by_text("Adjustment confirmed.").wait_for()

    sign_in(page, "verifier@ncpc.example")
    page.goto(f"/proposals/{pid}/monitoring")
    page.get_by_label("baseline model of electricity").select_option("regression")
    page.get_by_role("button", name="Verify the accepted periods").click()
    page.wait_for_url("**/verifications/*")
    assert page.get_by_test_id("equation-electricity").inner_text() == "20000.0 + 80.0000·output"
    savings = page.get_by_test_id("savings-electricity").inner_text()
    # 840,000 kWh of adjusted baseline plus the 12,000 adjustment; 624,000 used: 228,000 avoided, 26.8%
    assert "852000.000 kWh" in savings and "228000.000 kWh" in savings and "26.8 %" in savings
    # The fit drawn by Chart.js: the avoided quantity filled from the adjusted baseline down to the measured periods.
    page.wait_for_function("document.querySelector('canvas#fit-1[data-drawn]') !== null")
    fit = page.evaluate("""() => { const c = document.querySelector('canvas#fit-1').chart;
        return {labels: c.data.datasets.map(d => d.label), fill: c.data.datasets[2].fill}; }""")
    assert fit["labels"] == ["baseline, measured", "baseline model", "adjusted baseline", "reporting, measured"]
    assert fit["fill"] == {"target": 3}
