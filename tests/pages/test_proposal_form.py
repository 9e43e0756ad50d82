"""The what-if panel names what is missing the way the form labels it."""
from .conftest import sign_in
from .journey_steps import indicator


def test_what_if_names_missing_fields_by_their_labels_and_says_why(page):
    sign_in(page, "owner@textile.example")
    page.goto("/proposals/new")
    page.get_by_label("Title").fill("Boiler economiser")
    page.get_by_label("Total investment").fill("100000")
    status = page.locator("#whatif-status")
    status.filter(has_text="Not scored yet").wait_for()
    text = status.inner_text()
    assert "Annual savings:" in text and "Cleaner-production option types:" in text and "Main indicator:" in text
    assert "_" not in text and "Missing data" not in text
    page.get_by_label("Loan requested").fill("200000")
    status.filter(has_text="larger than the investment").wait_for()
    assert "Loan requested: the loan cannot be larger than the investment" in status.inner_text()


def _indicator_rows(page) -> list[str]:
    card = page.locator(".card", has=page.get_by_role("heading", name="Indicators"))
    return [" ".join(r.split()) for r in card.locator("tbody tr").all_inner_texts()]


def test_a_saved_draft_is_edited_twice_adding_and_removing_rows(page):
    sign_in(page, "owner@textile.example")
    page.goto("/proposals/new")
    page.get_by_label("Title").fill("Steam trap survey")
    page.get_by_label("Total investment").fill("50000")
    page.get_by_label("Unit of production output").fill("t")
    indicator(page, 1, "water", "1000", "600")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_text("Draft saved").wait_for()
    assert _indicator_rows(page) == ["Water 1,000 m3 5,000 600 m3 5,000"]

    # First edit: the saved water row unchanged plus a new coal row and a budget line.
    page.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_role("button", name="Add a stream").click()
    indicator(page, 2, "coal", "1200", "720")
    page.get_by_label("Cost category 1").select_option("equipment")
    page.get_by_label("Cost description 1").fill("steam traps")
    page.get_by_label("Cost amount 1").fill("40000")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_text("Draft saved").wait_for()
    assert _indicator_rows(page) == ["Water 1,000 m3 5,000 600 m3 5,000",
                                     "Coal 1,200 t 5,000 720 t 5,000"]
    assert "steam traps" in page.locator(".card", has_text="Eligible cost").first.inner_text()

    # Second edit: change coal, empty the water row (it goes) and the budget line (the table empties).
    page.get_by_role("link", name="Edit", exact=True).click()
    for label in ("baseline quantity 1", "baseline output 1", "projected quantity 1", "projected output 1"):
        page.get_by_label(label, exact=True).fill("")
    page.get_by_label("projected quantity 2", exact=True).fill("700")
    page.get_by_label("Cost description 1").fill("")
    page.get_by_label("Cost amount 1").fill("")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_text("Draft saved").wait_for()
    assert _indicator_rows(page) == ["Coal 1,200 t 5,000 700 t 5,000"]
    assert "steam traps" not in page.locator(".card", has_text="Eligible cost").first.inner_text()
