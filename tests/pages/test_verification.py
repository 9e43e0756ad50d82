"""An SME uploads a report, a verifier proposes, a senior verifier confirms, the fund approves and pays
the grant, and the loan schedule shows the reduced principal."""
from datetime import timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta

import pandas as pd
import pytest
from sqlalchemy import select

from creditline.auth.models import User
from creditline.auth.permissions import Actor
from creditline.demo import DEMO_PROPOSALS
from creditline.enterprises.models import Enterprise
from creditline.extensions import db
from creditline.loans import services as loans
from creditline.monitoring import services as monitoring
from creditline.proposals.services import create_proposal, submit_proposal
from creditline.scoring.services import score_and_store

from .conftest import sign_in
from creditline import clock


def actor(email):
    return Actor.of(db.session.scalar(select(User).where(User.email == email)))


@pytest.fixture
def financed(live_app):
    """A second dyeing line for the textile SME: eligible, lent, disbursed, with its monitoring plan."""
    with live_app.app_context():
        sme = actor("owner@textile.example")
        ent = db.session.scalar(select(Enterprise).where(Enterprise.organisation_id == sme.organisation_id))
        data = {**DEMO_PROPOSALS["owner@textile.example"][0], "title": "Second jet dyeing line",
                "credit_line_id": 1, "enterprise_id": ent.id, "currency": "USD"}
        p = create_proposal(sme, data)
        # Lent 16 months ago, so the six reporting months after start-up have all ended.
        start = clock.today().replace(day=1) - relativedelta(months=16)
        submit_proposal(sme, p.id, None, score_and_store, submitted_on=start - relativedelta(months=1))
        loan = loans.propose_loan(actor("officer@bank.example"), {
            "proposal_id": p.id, "principal": Decimal("80000.00"), "annual_rate": Decimal("0.10"), "tenor_months": 36,
            "frequency": "monthly", "method": "annuity"})
        loans.approve_loan(actor("committee@bank.example"), loan.id, on=start - timedelta(days=14))
        loans.disburse(actor("officer@bank.example"), loan.id, {"amount": Decimal("80000.00"), "value_date": start})
        monitoring.set_plan(actor("verifier@ncpc.example"), p.id, {
            "baseline_start": start - relativedelta(months=12), "baseline_end": start - timedelta(days=1),
            "reporting_periods": 6, "ipmvp_option": "B"})  # reporting starts after start-up by default
        ids = p.id, loan.id
        db.session.remove()
    return ids


def report_file(tmp_path, page, pid):
    with page.expect_download() as dl:
        page.get_by_role("link", name="CSV template").click()
    frame = pd.read_csv(dl.value.path(), dtype=str)
    per_t = {"water": 9, "electricity": 140, "wastewater": 8.2}
    frame["production_output"] = "420"
    frame["quantity"] = [f"{420 * per_t[s]:.1f}" for s in frame["stream"]]
    path = tmp_path / "monitoring.csv"
    frame.to_csv(path, index=False)
    return path


def test_report_verify_confirm_grant_and_reduced_principal(page, financed, tmp_path):
    pid, loan_id = financed
    sign_in(page, "owner@textile.example")
    page.goto(f"/proposals/{pid}/monitoring")
    path = report_file(tmp_path, page, pid)
    page.get_by_label("Report file").set_input_files(str(path))
    page.get_by_role("button", name="Upload").click()
    page.get_by_text("6 period(s) stored").wait_for()

    sign_in(page, "verifier@ncpc.example")
    page.goto(f"/proposals/{pid}/monitoring")
    for k in range(1, 7):  # only accepted reports count in a verification
        page.get_by_test_id(f"review-M{k:02d}").get_by_role("button", name="Accept").click()
        page.get_by_text(f"Report M{k:02d} accepted").wait_for()
    page.get_by_role("button", name="Verify the accepted periods").click()
    page.wait_for_url("**/verifications/*")
    # Each indicator's verified months, drawn in the page by Chart.js with baseline, target and (main) bands.
    page.wait_for_function("document.querySelectorAll('canvas.line-chart[data-drawn]').length === 3")
    assert page.evaluate("document.querySelector('canvas.line-chart').chart.data.datasets.length") == 5
    verification_url = page.url
    form = page.get_by_test_id("propose-form")
    form.get_by_label("Decision").select_option("verified")
    form.get_by_label("Comment").fill("Meter readings and invoices agree")
    # Sideways: a proposal dated tomorrow is refused by its label, and nothing typed is lost.
    today = clock.today().isoformat()
    form.get_by_label("Proposed on").fill((clock.today() + timedelta(days=1)).isoformat())
    form.get_by_role("button", name="Propose").click()
    form = page.get_by_test_id("propose-form")
    form.get_by_text("in the future").wait_for()
    assert form.get_by_label("Comment").input_value() == "Meter readings and invoices agree"
    form.get_by_label("Proposed on").fill(today)
    form.get_by_role("button", name="Propose").click()
    page.get_by_text("Decision proposed").wait_for()

    sign_in(page, "senior@ncpc.example")
    page.goto(verification_url)
    page.get_by_role("button", name="Confirm the decision").click()
    assert f"on {today}" in page.get_by_text("verified by").inner_text()  # the step names the proposal's day
    page.get_by_test_id("confirm-button").click()  # the confirmation step shows the figures first
    page.get_by_text("Verification confirmed.").wait_for()
    assert "USD 20,000" in page.get_by_test_id("grant").inner_text()
    page.goto(f"{verification_url}/certificate")
    assert f"on {today}. Confirmed by" in page.content()

    sign_in(page, "admin@fund.example")
    page.goto("/grants")
    row = page.get_by_test_id("grant-queue").get_by_role("row", name="Second jet dyeing line")
    row.get_by_role("button", name="Approve").click()
    page.get_by_text("approved.").wait_for()
    page.goto("/grants?status=approved")
    page.get_by_test_id("grant-queue").get_by_role("row", name="Second jet dyeing line").get_by_role("button", name="Pay").click()
    page.get_by_test_id("confirm-button").click()  # the confirmation step shows the figures first
    page.get_by_text("paid.").wait_for()

    sign_in(page, "owner@textile.example")
    page.goto(f"/loans/{loan_id}")
    assert page.get_by_test_id("outstanding").locator("p.big").inner_text() == "USD 60,000.00"
    assert "grant GR-" in page.content()
