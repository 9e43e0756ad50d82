"""Every page works under the Content-Security-Policy: Chromium reports no blocked script or style.

Each role walks its menu and every same-site link one step further; any policy violation the
browser reports (console or ``securitypolicyviolation`` event) fails the test with its page.
"""
from urllib.parse import urlsplit

import pytest

from .conftest import sign_in

# Files and the API are not pages; sign-out would end the walk.
SKIP = ("/api/", "/logout", "/static/", ".pdf", ".csv", ".xlsx", "download", "template", "/files/", "format=")
MAX_PAGES = 40

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " line " + e.lineNumber);
});
"""


def watch(page) -> list[str]:
    """Collect the policy violations Chromium reports on this tab."""
    seen: list[str] = []
    page.on("console", lambda msg: seen.append(f"{page.url}: {msg.text}")
            if "Content Security Policy" in msg.text else None)
    page.add_init_script(RECORD_VIOLATIONS)
    return seen


def violations_here(page) -> list[str]:
    return [f"{page.url}: {v}" for v in page.evaluate("window.__csp || []")]


def links(page, origin: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    out = []
    for href in hrefs:
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" == origin and not any(s in href for s in SKIP):
            out.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return out


@pytest.mark.parametrize("email", ["admin@fund.example", "officer@bank.example", "owner@textile.example",
                                   "senior@ncpc.example", "committee@bank.example"])
def test_each_roles_pages_load_without_a_policy_violation(page, live_server, email):
    seen = watch(page)
    sign_in(page, email)
    queue, visited, found = ["/"], set(), []
    while queue and len(visited) < MAX_PAGES:
        path = queue.pop(0)
        if path in visited:
            continue
        visited.add(path)
        page.goto(path)
        page.wait_for_load_state("load")
        found += violations_here(page)
        if path == "/" or path.count("/") <= 1:  # the menu's pages: follow their links one step
            queue += [p for p in links(page, live_server) if p not in visited]
    assert len(visited) > 5
    assert seen + found == []


def test_the_login_page_and_the_api_docs_raise_no_policy_violation(page):
    seen = watch(page)
    page.goto("/login")
    page.get_by_label("E-mail").wait_for()
    found = violations_here(page)
    page.goto("/api/v1/docs")
    page.locator(".opblock-tag").first.wait_for()
    found += violations_here(page)
    assert seen + found == []


def test_the_credit_line_status_filter_applies_on_change(page):
    seen = watch(page)
    sign_in(page, "admin@fund.example")
    page.goto("/credit-lines")
    page.get_by_label("Status").select_option("open")
    page.wait_for_url("**/credit-lines?status=open")
    assert seen + violations_here(page) == []
