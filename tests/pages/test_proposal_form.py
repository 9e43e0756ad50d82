"""The what-if panel names what is missing the way the form labels it."""
from .conftest import sign_in


def test_what_if_names_missing_fields_by_their_labels(page):
    sign_in(page, "owner@textile.example")
    page.goto("/proposals/new")
    page.get_by_label("Title").fill("Boiler economiser")
    page.get_by_label("Total investment").fill("100000")
    status = page.locator("#whatif-status")
    status.filter(has_text="Still missing or invalid").wait_for()
    text = status.inner_text()
    assert "annual savings" in text and "cleaner-production option types" in text and "main indicator" in text
    assert "_" not in text
