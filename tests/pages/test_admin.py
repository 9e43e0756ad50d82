"""The fund admin creates a credit line through the page and finds it in the list."""
from playwright.sync_api import expect

from .conftest import go_to, sign_in


def test_fund_admin_creates_a_credit_line_and_sees_it_listed(page):
    sign_in(page, "admin@fund.example")
    go_to(page, "Credit lines")
    page.get_by_role("link", name="New credit line").first.click()
    # Submitting half a form shows the problems inline and keeps what was typed.
    page.get_by_label("Name").fill("GCTF Lao PDR")
    page.get_by_role("button", name="Create credit line").click()
    summary = page.get_by_test_id("error-summary")
    expect(summary).to_be_visible()  # waits for the answer to the click
    assert "Currency" in summary.inner_text() and "Nothing was saved" in summary.inner_text()
    assert page.get_by_label("Name").input_value() == "GCTF Lao PDR"
    page.get_by_label("Country").fill("LA")
    page.get_by_label("Currency").fill("USD")
    page.get_by_label("Rulebook").select_option("gctf-vn@2007.1")
    page.get_by_label("NCPC").select_option(label="Viet Nam Cleaner Production Centre (VN)")
    page.get_by_label("Fund").select_option(label="Green Credit Trust Fund")
    page.get_by_label("Mekong Partner Bank (VN)").check()
    page.get_by_label("Guarantee capacity").fill("400000.00")
    page.get_by_label("Grant budget").fill("150000.00")
    page.get_by_label("Status").select_option("open")
    page.get_by_role("button", name="Create credit line").click()
    page.wait_for_url("**/credit-lines")
    assert page.get_by_role("status").filter(has_text="Credit line GCTF Lao PDR is created").is_visible()
    row = page.get_by_test_id("credit-lines").get_by_role("row").filter(has_text="GCTF Lao PDR")
    assert row.is_visible()
    text = row.inner_text()
    assert "LA" in text and "USD 400,000" in text and "USD 150,000" in text and "Mekong Partner Bank" in text
