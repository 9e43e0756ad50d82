"""Phones and access: every role's main pages fit a 390 px screen and pass axe-core (no serious or
critical violation); the inbox works on a phone, behind the folded menu."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from .conftest import sign_in

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# Set to a folder to keep a desktop and a phone screenshot of every page walked (for the notes and
# reviews); the walk's checks are the same with or without it.
SHOTS = os.environ.get("CREDITLINE_SCREENSHOTS")
AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
# Files, the API and sign-out are not pages to check.
SKIP = ("/api/", "/logout")
ROLES = ["owner@textile.example", "officer@bank.example", "committee@bank.example", "verifier@ncpc.example",
         "senior@ncpc.example", "admin@fund.example", "auditor@fund.example"]
# A few detail pages the menus do not list, but which each role opens all the time.
EXTRA = {"owner@textile.example": ["/proposals/new", "/inbox"], "officer@bank.example": ["/inbox"],
         "committee@bank.example": ["/loans/write-offs"],
         "admin@fund.example": ["/inbox", "/admin/organisations"]}


def main_pages(page) -> list[str]:
    """Home, the inbox and every page of the signed-in person's menu."""
    hrefs = page.eval_on_selector_all("header a[href]", "els => els.map(e => e.getAttribute('href'))")
    return list(dict.fromkeys(h for h in ["/", "/inbox", *hrefs] if h.startswith("/") and not h.startswith(SKIP)))


def axe_problems(page) -> list[str]:
    """Run axe-core on the page (evaluated, as the CSP rightly refuses an injected inline script)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE)
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa', 'best-practice']}});
        return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                 .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
    }""")
    return [f"{page.url}: {v['impact']} {v['id']} {json.dumps(v['nodes'])}" for v in result]


def keep_screenshots(page, email: str, path: str) -> None:
    """The page as the phone shows it, then at desktop width (the walk goes on at phone width)."""
    folder = Path(SHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{email.split('@')[0]}-{re.sub(r'[^a-z0-9]+', '-', path.lower()).strip('-') or 'home'}"
    page.screenshot(path=str(folder / f"{name}-phone.png"), full_page=True)
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=str(folder / f"{name}-desktop.png"), full_page=True)
    page.set_viewport_size(PHONE)


@pytest.mark.parametrize("email", ROLES)
def test_no_main_page_scrolls_sideways_on_a_phone_and_axe_finds_nothing_serious(page, email):
    page.set_viewport_size(PHONE)
    sign_in(page, email)
    wide, problems = [], []
    paths = main_pages(page) + EXTRA.get(email, [])
    for path in paths:
        page.goto(path)
        page.wait_for_load_state("load")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            wide.append(f"{path}: {width}px")
        problems += axe_problems(page)
        if SHOTS:
            keep_screenshots(page, email, path)
    # The desktop layout shows the menu the phone folds away: axe reads it there.
    page.set_viewport_size(DESKTOP)
    page.goto("/")
    problems += axe_problems(page)
    assert len(paths) >= 3
    assert not wide, f"pages wider than the phone: {wide}"
    assert not problems, "\n".join(problems)


@pytest.fixture
def two_notices(live_app):
    """Two hand-offs waiting for the fund's auditor (a reader nobody else's test acts for)."""
    from sqlalchemy import select

    from creditline.auth.models import User
    from creditline.extensions import db
    from creditline.notifications.services import queue
    from creditline.unit_of_work import transaction

    with live_app.app_context():
        uid = db.session.scalar(select(User.id).where(User.email == "auditor@fund.example"))
        with transaction():
            queue([uid], "audit_note", "Grant G1 was paid", "Read it in the audit trail.", "browser-inbox-1", "/audit")
            queue([uid], "audit_note", "Guarantee of loan L1 was issued", "See the guarantees page.",
                  "browser-inbox-2", "/guarantees")
        db.session.remove()


def test_the_inbox_on_a_phone_counts_opens_and_marks_read(page, two_notices):
    page.set_viewport_size(PHONE)
    sign_in(page, "auditor@fund.example")
    badge = page.get_by_test_id("unread-count")
    assert badge.inner_text() == "2"
    # The menu is folded on a phone; the inbox link stays in the bar.
    nav = page.get_by_role("navigation", name="Main")
    assert not nav.is_visible()
    page.get_by_role("button", name="Menu").click()
    assert nav.is_visible()

    page.get_by_test_id("inbox-link").click()
    page.wait_for_url("**/inbox")
    items = page.get_by_test_id("inbox").locator("li")
    assert "Guarantee of loan L1 was issued" in items.first.inner_text()  # newest first
    assert items.evaluate_all("els => els.map(e => e.classList.contains('unread'))") == [True, True]
    items.first.get_by_role("button", name="Mark read").click()
    page.wait_for_url("**/inbox?page=1")
    assert badge.inner_text() == "1"
    # Read ones sink below the unread.
    assert "Grant G1 was paid" in page.get_by_test_id("inbox").locator("li").first.inner_text()
    page.get_by_test_id("inbox").locator("li").first.get_by_role("button", name="Open").click()
    page.wait_for_url("**/audit")
    assert page.get_by_test_id("unread-count").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
