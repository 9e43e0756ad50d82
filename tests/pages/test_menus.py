"""The main navigation fits one row at 1280 px: the fund's long menu folds into disclosure menus that the
keyboard opens and closes; at 390 px they sit inside the folded phone menu and nothing scrolls sideways."""
from __future__ import annotations

from .conftest import sign_in
from .test_phone_and_access import PHONE, axe_problems

DESKTOP = {"width": 1280, "height": 900}
# The tops of the bar's visible entries and the height of the nav, in CSS pixels.
ROW = """() => {
  const nav = document.querySelector('nav[aria-label="Main"]');
  const entries = [...nav.children].filter(e => e.offsetParent !== null);
  const tops = entries.map(e => Math.round(e.getBoundingClientRect().top));
  const link = nav.querySelector(':scope > a').getBoundingClientRect().height;
  return {tops: tops, height: nav.getBoundingClientRect().height, link: link,
          bar: document.querySelector('.topbar').getBoundingClientRect().height};
}"""


def one_row(page) -> None:
    row = page.evaluate(ROW)
    assert max(row["tops"]) - min(row["tops"]) <= 4 and row["height"] < 2 * row["link"], row


def test_the_fund_admins_menu_fits_one_row_and_works_by_keyboard(page):
    page.set_viewport_size(DESKTOP)
    sign_in(page, "admin@fund.example")
    one_row(page)
    nav = page.get_by_role("navigation", name="Main")
    fund, admin = nav.get_by_role("button", name="Fund"), nav.get_by_role("button", name="Admin")
    credit_lines = nav.get_by_role("link", name="Credit lines", exact=True)
    assert fund.get_attribute("aria-expanded") == "false" and not credit_lines.is_visible()

    fund.focus()
    page.keyboard.press("Enter")
    assert fund.get_attribute("aria-expanded") == "true" and credit_lines.is_visible()
    assert not axe_problems(page)  # the open menu too
    page.keyboard.press("Escape")
    assert fund.get_attribute("aria-expanded") == "false" and not credit_lines.is_visible()
    assert page.evaluate("document.activeElement.textContent.trim()") == "Fund"
    page.keyboard.press("Space")
    admin.click()  # one menu open at a time
    assert not credit_lines.is_visible() and nav.get_by_role("link", name="Users", exact=True).is_visible()
    admin.click()
    fund.click()
    page.keyboard.press("Tab")  # into the open menu's first link
    assert page.evaluate("document.activeElement.closest('#nav-fund') !== null")
    credit_lines.click()
    page.wait_for_url("**/credit-lines")
    assert "current" in fund.get_attribute("class")  # the menu holding this page is marked
    one_row(page)


def test_a_flat_menu_fits_one_row_and_the_phone_menu_opens_its_menus(page):
    page.set_viewport_size(DESKTOP)
    sign_in(page, "officer@bank.example")  # the longest navigation that stays flat
    one_row(page)
    assert page.get_by_role("navigation", name="Main").locator(".nav-group").count() == 0

    sign_in(page, "admin@fund.example")
    page.set_viewport_size(PHONE)
    page.reload()
    page.get_by_role("button", name="Menu").click()
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("button", name="Admin").click()
    users = nav.get_by_role("link", name="Users", exact=True)
    box = users.bounding_box()
    assert users.is_visible() and box["x"] + box["width"] <= PHONE["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    users.click()
    page.wait_for_url("**/admin/users")
