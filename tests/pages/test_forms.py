"""A refused form and a confirmation, as a committee member meets them in the browser."""
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from creditline.extensions import db
from creditline.loans import services as loans

from .conftest import sign_in
from .test_loans import START, actor, eligible


def test_the_approval_is_confirmed_and_a_refused_date_is_explained_by_its_label(page, live_app):
    pid = eligible(live_app, "Forms jet dyeing line")
    with live_app.app_context():
        loan = loans.propose_loan(actor("officer@bank.example"), {
            "proposal_id": pid, "principal": Decimal("64000.00"), "annual_rate": Decimal("0.09"), "tenor_months": 24,
            "frequency": "monthly", "method": "annuity",
            "disbursement_plan": [{"date": START, "amount": Decimal("40000.00")}]})
        loan_id = loan.id
        db.session.remove()

    sign_in(page, "committee@bank.example")
    page.goto(f"/loans/{loan_id}")
    assert "USD 40,000" in page.get_by_test_id("tranche-plan").inner_text()
    page.get_by_role("button", name="Approve the loan").click()
    figures = page.get_by_test_id("confirm-figures").inner_text()
    assert "USD 64,000" in figures and "9.00% a year over 24 months" in figures and "USD 40,000" in figures
    assert "committee@bank.example" in page.get_by_test_id("confirm-actor").inner_text()

    # A day before the proposal was submitted: refused, said in words, linked to the input, value kept.
    too_early = (START - relativedelta(months=3)).isoformat()
    page.get_by_label("Decided on").fill(too_early)
    page.get_by_test_id("confirm-button").click()
    summary = page.get_by_test_id("error-summary")
    text = summary.inner_text()
    assert "Decided on" in text and "decided_on" not in text and "submitted" in text
    summary.get_by_role("link", name="Decided on").click()
    field = page.get_by_label("Decided on")
    assert field.evaluate("el => el === document.activeElement") and field.input_value() == too_early
    assert field.get_attribute("aria-invalid") == "true"

    field.fill(START.isoformat())
    page.get_by_test_id("confirm-button").click()
    page.get_by_text("Loan approved.").wait_for()
    assert "approved" in page.locator("h1").inner_text().lower()
