"""Each role signs in through the real login page and lands on its own home page."""
import pytest
from playwright.sync_api import expect

from ..conftest import ROLE_USERS
from .conftest import sign_in

HOME_TEXT = {
    "sme": "Register your enterprise",
    "bank_officer": "Screen eligible applications",
    "credit_committee": "Approve or decline loans",
    "verifier": "Review baselines",
    "senior_verifier": "Confirm or reject verifications",
    "fund_admin": "Manage credit lines",
    "auditor": "Read everything in your scope",
}


@pytest.mark.parametrize("role", sorted(ROLE_USERS))
def test_role_signs_in_and_sees_its_home(page, role):
    sign_in(page, ROLE_USERS[role], through_form=True)
    card = page.locator(f"[data-role='{role}']")
    assert card.is_visible()
    assert HOME_TEXT[role] in card.inner_text()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
    assert page.get_by_text("You are signed out").is_visible()


def test_wrong_password_shows_inline_error(page):
    page.goto("/login")
    page.get_by_label("E-mail").fill("officer@bank.example")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    # The click returns before the 401 page is drawn: expect() waits for it, is_visible() would not.
    expect(page.get_by_role("alert").filter(has_text="wrong email or password")).to_be_visible()
    assert page.url.endswith("/login") and page.get_by_label("E-mail").input_value() == "officer@bank.example"
