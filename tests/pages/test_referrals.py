"""The referral desk in the browser: the NCPC sets the offset, the bank records the second opinion with its file."""
import pytest
from sqlalchemy import select

from creditline.auth.models import User
from creditline.auth.permissions import Actor
from creditline.demo import DEMO_PROPOSALS
from creditline.enterprises.models import Enterprise
from creditline.extensions import db
from creditline.proposals.services import create_proposal, submit_proposal
from creditline.scoring.services import score_and_store

from .conftest import sign_in

TITLE = "Second descaling line (browser)"


@pytest.fixture
def referred(live_app):
    """A second rolling-mill proposal: electricity gets worse and the credit is over USD 200,000."""
    with live_app.app_context():
        owner = Actor.of(db.session.scalar(select(User).where(User.email == "owner@rolling.example")))
        ent = db.session.scalar(select(Enterprise).where(Enterprise.organisation_id == owner.organisation_id))
        p = create_proposal(owner, {**DEMO_PROPOSALS["owner@rolling.example"][0], "title": TITLE,
                                    "credit_line_id": 1, "enterprise_id": ent.id, "currency": "USD"})
        submit_proposal(owner, p.id, None, score_and_store)
        assert p.status == "referred"
        pid = p.id
        db.session.remove()
    return pid


def open_task(page, reason_text: str) -> None:
    page.goto("/")
    page.get_by_role("link", name="Referrals to decide").click()
    page.wait_for_url("**/referrals")
    row = page.get_by_test_id("referral-desk").locator("tr", has_text=TITLE).filter(has_text=reason_text)
    row.get_by_role("link", name="Decide").click()


def test_the_ncpc_fixes_the_offset_and_the_bank_records_the_second_opinion(page, referred):
    sign_in(page, "verifier@ncpc.example")
    open_task(page, "worse indicator")
    assert "no-side-effects" in page.get_by_test_id("referral-evidence").inner_text()

    # Inline validation: nothing chosen, nothing sent.
    page.get_by_role("button", name="Record the decision").click()
    assert page.locator("small.error.client").count() >= 2
    assert "/referrals/" in page.url and page.get_by_test_id("decision-form").is_visible()

    page.get_by_label("Clear: the reason no longer stands in the way").check()
    page.get_by_label("How the worse indicators offset the main gain").select_option("min_of_all")
    page.get_by_label("Why (the SME and the auditors read it)").fill("Acid gone; the extra power is the price of it")
    page.get_by_role("button", name="Record the decision").click()
    assert "losses outweigh the gain" in page.get_by_test_id("error-offset_method").inner_text()

    page.get_by_label("How the worse indicators offset the main gain").select_option("deduct_worse")
    page.get_by_role("button", name="Record the decision").click()
    decision = page.get_by_test_id("referral-decision")
    assert "Deduct worse" in decision.inner_text() and "electricity" in decision.inner_text().lower()

    page.goto(f"/proposals/{referred}")
    section = page.get_by_test_id("proposal-referrals").inner_text()
    assert "Cleared" in section and "Open" in section  # the second opinion still waits

    sign_in(page, "officer@bank.example")
    open_task(page, "second opinion")
    page.get_by_label("Return to the SME to revise").check()
    page.get_by_label("Reference centre that gave the opinion").fill("Swiss reference centre for cleaner production")
    page.get_by_label("The second opinion (signed document)").set_input_files(
        files=[{"name": "opinion.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 signed opinion"}])
    page.get_by_label("Why (the SME and the auditors read it)").fill("Size the shot blasting line for one shift only")
    page.get_by_role("button", name="Record the decision").click()
    assert "opinion.pdf" in page.get_by_test_id("referral-decision").inner_text()

    sign_in(page, "owner@rolling.example")
    page.goto(f"/proposals/{referred}")
    section = page.get_by_test_id("proposal-referrals").inner_text()
    assert "one shift only" in section and "Revise the proposal and submit it again" in section
    assert page.get_by_role("link", name="Edit", exact=True).is_visible()  # back to a draft


def test_the_desk_has_a_helpful_empty_state(page):
    sign_in(page, "verifier@ncpc.example")
    page.goto("/referrals?status=rejected")
    assert "No referral in this list" in page.locator(".empty").inner_text()
