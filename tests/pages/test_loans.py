"""An officer proposes loan terms, the committee approves, a disbursement and a payment are recorded."""
from datetime import date, timedelta

from .conftest import sign_in


def first_of_next_month() -> date:
    return (date.today().replace(day=1) + timedelta(days=32)).replace(day=1)


def test_officer_proposes_committee_approves_then_disbursement_and_payment(page):
    sign_in(page, "officer@bank.example")
    page.get_by_role("link", name="Loans").first.click()
    apps = page.get_by_test_id("applications")
    apps.get_by_role("row", name="Low liquor ratio jet dyeing machines").get_by_role("link", name="Propose terms").click()
    page.get_by_label("Annual rate").fill("0.10")
    page.get_by_label("Tenor (months)").fill("36")
    page.get_by_role("button", name="Propose to the credit committee").click()
    page.get_by_text("Loan terms proposed").wait_for()
    loan_url = page.url
    # The officer who proposed sees no approval form.
    assert page.get_by_test_id("decision").count() == 0

    sign_in(page, "committee@bank.example")
    page.goto(loan_url)
    page.get_by_role("button", name="Approve the loan").click()
    page.get_by_text("Loan approved.").wait_for()

    sign_in(page, "officer@bank.example")
    page.goto(loan_url)
    start = first_of_next_month()
    form = page.get_by_test_id("disburse-form")
    form.get_by_label("Amount").fill("80000")
    form.get_by_label("Value date").fill(start.isoformat())
    form.get_by_role("button", name="Record the disbursement").click()
    page.get_by_text("Disbursement recorded.").wait_for()
    schedule = page.get_by_test_id("schedule")
    assert schedule.locator("tbody tr").count() == 36
    first_total = schedule.locator("tbody tr").first.locator("td").nth(5).inner_text()

    pay = page.get_by_test_id("payment-form")
    pay.get_by_label("Amount").fill(first_total.replace("USD", "").replace(",", "").strip())
    pay.get_by_label("Value date").fill((start + timedelta(days=31)).isoformat())
    pay.get_by_role("button", name="Record the payment").click()
    page.get_by_text("Payment recorded.").wait_for()
    assert "paid" in page.get_by_test_id("schedule").locator("tbody tr").first.inner_text()
    outstanding = page.get_by_test_id("outstanding").locator("p.big").inner_text()
    assert outstanding.startswith("USD 78,"), outstanding
