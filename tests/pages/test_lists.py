"""A list page finds, sorts and downloads exactly what it shows."""
from pathlib import Path

import pandas as pd

from .conftest import sign_in


def test_the_fund_admin_filters_sorts_and_downloads_the_users_list(page, tmp_path: Path):
    sign_in(page, "admin@fund.example")
    page.goto("/admin/users")
    page.get_by_label("Role").select_option("sme")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/admin/users?*role=sme*")
    table = page.get_by_test_id("users")
    email = table.get_by_role("columnheader", name="E-mail")
    assert email.get_attribute("aria-sort") == "ascending"  # the list's own order
    email.get_by_role("link").click()
    page.wait_for_url("**dir=desc*")
    assert table.get_by_role("columnheader", name="E-mail").get_attribute("aria-sort") == "descending"
    shown = [row.get_by_role("cell").first.inner_text() for row in table.locator("tbody tr").all()]
    assert len(shown) >= 2 and shown == sorted(shown, reverse=True)
    assert "owner@textile.example" in shown and "admin@fund.example" not in shown
    assert page.get_by_test_id("users-count").inner_text().startswith(f"{len(shown)} users match")

    with page.expect_download() as download:
        page.get_by_test_id("users-csv").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name.startswith("users-") and saved.suffix == ".csv"
    csv = pd.read_csv(saved, dtype=str)
    assert csv["E-mail"].tolist() == shown  # the same rows, in the same order
    assert all("SME" in roles for roles in csv["Roles"])
