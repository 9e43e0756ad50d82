"""An SME drafts a proposal in the browser, sees the what-if verdict, submits it and reads why."""
from .conftest import sign_in


def test_sme_submits_a_proposal_and_reads_its_explanation(page):
    sign_in(page, "owner@textile.example")
    page.get_by_role("link", name="Proposals", exact=True).first.click()
    page.get_by_role("link", name="New proposal").click()

    page.get_by_label("Title").fill("Condensate return and boiler economiser")
    page.get_by_label("technology change").check()
    page.get_by_label("Total investment").fill("60000")
    page.get_by_label("Eligible cost").fill("58000")
    page.get_by_label("Loan requested").fill("48000")
    page.get_by_label("Own contribution").fill("12000")
    page.get_by_label("Annual savings").fill("21000")
    page.get_by_label("Annual extra operating cost").fill("1000")
    page.get_by_label("Economic life (years)").fill("10")
    page.get_by_label("Implementation (months)").fill("4")
    page.get_by_label("Equipment", exact=True).fill("Economiser and condensate return loop")
    page.get_by_label("Supplier").fill("Spirax Sarco")
    page.get_by_label("Readiness").select_option("commercial")
    page.get_by_label("Unit of production output").fill("t")
    page.get_by_label("Main indicator").select_option("coal")
    page.get_by_label("Stream 1").select_option("coal")
    page.get_by_label("baseline quantity 1").fill("1200")
    page.get_by_label("baseline output 1").fill("5000")
    page.get_by_label("projected quantity 1").fill("720")
    page.get_by_label("projected output 1").fill("5000")

    # The what-if panel scores the figures as they are typed, before anything is saved.
    decision = page.locator("#whatif-decision")
    decision.wait_for(state="visible")
    assert decision.inner_text() in {"eligible", "referred", "ineligible"}

    page.get_by_role("button", name="Save draft").click()
    page.get_by_text("Draft saved").wait_for()
    page.get_by_role("button", name="Submit for scoring").click()
    page.wait_for_url("**/assessment")
    assert page.get_by_role("heading", name="Every rule, explained").is_visible()
    trace = page.get_by_test_id("trace")
    assert trace.locator("tbody tr").count() >= 5
    assert "payback" in trace.inner_text()
    assert page.get_by_test_id("scores").is_visible()


def test_incomplete_submission_lists_the_problems(page):
    sign_in(page, "owner@rolling.example")
    page.goto("/proposals/new")
    page.get_by_label("Title").fill("Induction furnace")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_text("Draft saved").wait_for()
    page.get_by_role("button", name="Submit for scoring").click()
    problems = page.get_by_test_id("submission-problems")
    problems.wait_for()
    text = problems.inner_text()
    assert "Total investment:" in text and "Main indicator:" in text and "Nothing was changed" in text
    assert "main_indicator" not in text  # labels, never field names
    problems.get_by_role("link", name="Total investment").click()  # each problem opens its field on the form
    page.wait_for_url("**/edit#f-investment")
    assert page.get_by_label("Total investment").evaluate("el => el === document.activeElement")


def test_sme_lists_budget_items_and_the_eligible_cost_is_computed(page):
    sign_in(page, "owner@textile.example")
    page.goto("/proposals/new")
    page.get_by_label("Title").fill("Jet dyeing with a new effluent tank")
    page.get_by_label("Total investment").fill("100000")
    page.get_by_label("Cost category 1").select_option("equipment")
    page.get_by_label("Cost description 1").fill("two jet dyeing machines")
    page.get_by_label("Cost amount 1").fill("85000")
    page.get_by_role("button", name="Add an item").click()
    page.get_by_label("Cost category 2").select_option("land")
    page.get_by_label("Cost description 2").fill("plot for the tank")
    page.get_by_label("Cost amount 2").fill("15000")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_text("Draft saved").wait_for()
    money = page.locator(".card", has_text="Eligible cost").first.inner_text()
    assert "eligible cost\tusd 85,000" in money.lower() and "Land: plot for the tank\tUSD 15,000" in money
