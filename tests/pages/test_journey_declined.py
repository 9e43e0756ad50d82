"""A sideways journey through the pages: the credit committee declines the loan and the SME is told."""
from __future__ import annotations

from datetime import date

from creditline import clock

from .conftest import sign_in
from .journey_steps import ARTIFACTS, Camera, draft_proposal

TITLE = "Heat recovery on the stenter exhaust"


def test_the_committee_declines_and_the_sme_is_told(page):
    shot = Camera(page, ARTIFACTS / "declined")
    clock.set_today(date(2025, 2, 3))
    sign_in(page, "owner@textile.example")
    draft_proposal(page, TITLE, "Air-to-water heat exchanger on the stenter exhaust", "Brückner", months="4")
    page.get_by_role("button", name="Submit for scoring").click()
    page.wait_for_url("**/assessment")
    shot("sme", "submitted")

    sign_in(page, "officer@bank.example")
    page.goto("/loans")
    page.get_by_test_id("applications").get_by_role("row", name=TITLE).get_by_role("link", name="Propose terms").click()
    page.get_by_label("Annual rate").fill("11")
    page.get_by_label("Tenor (months)").fill("48")
    page.get_by_role("button", name="Propose to the credit committee").click()
    page.get_by_text("Loan terms proposed").wait_for()
    loan_url = page.url
    shot("bank", "terms-proposed")

    sign_in(page, "committee@bank.example")
    page.get_by_role("link", name="Loan decisions", exact=True).click()
    page.get_by_test_id("decisions").get_by_role("row", name=TITLE).get_by_role("link", name="Decide").click()
    page.get_by_label("Reason").fill("Stenter runs one shift: the savings do not cover the installments")
    page.get_by_role("button", name="Decline").click()
    page.get_by_text("Declined: Stenter runs one shift").wait_for()
    assert "Declined" in page.locator("h1").inner_text()
    shot("committee", "loan-declined")

    sign_in(page, "owner@textile.example")
    told = page.get_by_test_id("notifications").locator("li", has_text="was declined")
    assert "the savings do not cover the installments" in told.inner_text()
    shot("sme", "told-on-home")
    told.get_by_role("button", name="Open").click()
    page.wait_for_url(loan_url)
    assert "Stenter runs one shift" in page.get_by_text("Declined:").inner_text()
    shot("sme", "declined-loan")
