"""A fund admin edits a new rulebook version in the browser, simulates it; a second admin publishes it."""
from playwright.sync_api import expect
from sqlalchemy import select

from creditline.extensions import db

from .conftest import sign_in


def second_admin(live_app) -> str:
    from creditline.auth.models import User
    from creditline.auth.services import create_user

    email = "publisher@fund.example"
    with live_app.app_context():
        if db.session.execute(select(User).where(User.email == email)).scalar_one_or_none() is None:
            fund = db.session.execute(select(User).where(User.email == "admin@fund.example")).scalar_one()
            create_user(None, email=email, name="Publisher", password="green-credit-demo",
                        organisation_id=fund.organisation_id, roles=["fund_admin"])
            db.session.commit()
        db.session.remove()
    return email


def edit(page, old: str, new: str) -> None:
    # After a post the new page's elements can be read before its scripts have run: wait for the editor.
    page.wait_for_function("typeof window.rulebookEditor !== 'undefined'")
    page.evaluate("([a, b]) => rulebookEditor.setValue(rulebookEditor.getValue().replace(a, b))", [old, new])


def test_a_version_is_edited_simulated_and_published_by_a_second_admin(page, live_app):
    publisher = second_admin(live_app)
    sign_in(page, "admin@fund.example")
    page.goto("/rulebooks")
    page.get_by_role("row").filter(has_text="gctf-vn").filter(has_text="2007.1").get_by_role(
        "link", name="Start a new version from this").click()
    page.wait_for_url("**/rulebooks/drafts/new?from=gctf-vn@2007.1")
    assert page.locator(".CodeMirror .cm-atom, .CodeMirror .cm-string").first.is_visible()  # YAML highlighted
    edit(page, 'version: "2007.1"', 'version: "2027.9"')
    edit(page, "\neligibility:\n", "\neligibilty:\n")
    page.get_by_role("button", name="Save draft").click()
    problems = page.get_by_test_id("problems")
    assert "unknown key 'eligibilty'; did you mean 'eligibility'?" in problems.inner_text()
    # The editor draws its gutter markers after the page loads: wait for them rather than count at once.
    expect(page.locator(".problem-marker").first).to_be_visible()
    expect(page.locator(".problem-line").first).to_be_visible()
    problems.get_by_role("link", name="line 20").click()
    page.wait_for_function("typeof window.rulebookEditor !== 'undefined'")
    assert page.evaluate("rulebookEditor.getCursor().line") == 19

    edit(page, "\neligibilty:\n", "\neligibility:\n")
    edit(page, "when: employees <= 300", "when: employees <= 100")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url("**/rulebooks/drafts/*")
    assert "+    when: employees <= 100" in page.get_by_test_id("diff").inner_text()
    assert "cannot be published" in page.get_by_test_id("cases").inner_text()
    page.get_by_label("Credit line").select_option(label="GCTF Viet Nam")
    page.get_by_role("button", name="Simulate").click()
    result = page.get_by_test_id("simulation-result")
    assert "→ ineligible" in result.inner_text() and "budget effect" in result.inner_text()
    draft_url = page.url

    # Back to the published SME ceiling: the cases hold again.
    edit(page, "when: employees <= 100", "when: employees <= 300")
    page.get_by_role("button", name="Save draft").click()
    assert "Every case of this version holds." in page.get_by_test_id("cases").inner_text()
    page.get_by_label("Applies from").fill("2026-12-17")
    page.get_by_role("button", name="Publish").click()
    assert "a second fund admin must publish" in page.get_by_role("alert").first.inner_text()

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login*")
    sign_in(page, publisher)
    page.goto(draft_url)
    page.get_by_label("Applies from").fill("2026-12-17")
    page.get_by_role("button", name="Publish").click()
    page.wait_for_url("**/rulebooks/gctf-vn/2027.9")
    assert "gctf-vn 2027.9 is published and applies from 2026-12-17" in page.get_by_role("status").first.inner_text()
    assert "Who can apply" in page.content()
