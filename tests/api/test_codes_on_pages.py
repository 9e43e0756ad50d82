"""Labels, not codes: every role's main pages show no raw snake_case code (``in_arrears``, ``fuel_oil``,
``baseline_quantity``) in a table cell or a definition; people read "In arrears", "Fuel oil"."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from ..conftest import ROLE_USERS

CODE = re.compile(r"(?<![\w@./:-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w@.-])")
# Where a code is the right thing to show: none yet (ISIC codes such as C13 are not snake_case).
ALLOWED: frozenset[str] = frozenset()
CELLS = {"td", "th", "dd", "dt", "li", "caption"}
SKIP = {"script", "style", "code", "pre", "textarea", "select"}  # elements with an end tag
# Pages the menus do not list, which people read all the time.
EXTRA = ["/reports/impact"]


class Cells(HTMLParser):
    """The visible text of every table cell and definition on a page."""

    def __init__(self) -> None:
        super().__init__()
        self.depth, self.skip, self.texts, self.current = 0, 0, [], []

    def handle_starttag(self, tag, attrs):
        if tag in SKIP:
            self.skip += 1
        elif tag in CELLS:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in SKIP:
            self.skip = max(self.skip - 1, 0)
        elif tag in CELLS and self.depth:
            self.depth -= 1
            if not self.depth:
                self.texts.append(" ".join(self.current))
                self.current = []

    def handle_data(self, data):
        if self.depth and not self.skip:
            self.current.append(data)


def raw_codes(page: str) -> set[str]:
    parser = Cells()
    parser.feed(page)
    return {m for text in parser.texts for m in CODE.findall(text)} - ALLOWED


def menu_links(page: str) -> list[str]:
    nav = page.split('aria-label="Main"', 1)[-1].split("</nav>", 1)[0]
    return re.findall(r'href="(/[^"]*)"', nav)


# The detail pages people open from the lists: the first of each kind a role's pages link to.
DETAILS = re.compile(r'href="(/(?:loans|proposals|verifications|guarantees|grants|referrals)/\d+'
                     r'|/proposals/\d+/(?:monitoring|assessment)|/reports/proposals/\d+/flows|/rulebooks/[a-z0-9-]+/[0-9.]+)"')


@pytest.mark.parametrize("role", sorted(ROLE_USERS))
def test_no_main_page_shows_a_raw_code(session_for, role):
    browser = session_for(role)
    home = browser.get("/").get_data(as_text=True)
    found, seen, details = {}, 0, {}
    for path in dict.fromkeys(["/", "/inbox", *menu_links(home), *EXTRA]):
        res = browser.get(path)
        if res.status_code != 200 or "text/html" not in res.content_type:
            continue
        page = res.get_data(as_text=True)
        seen += 1
        for link in DETAILS.findall(page):
            details.setdefault(re.sub(r"\d+", "N", link), link)
        if codes := raw_codes(page):
            found[path] = sorted(codes)
    for path in details.values():
        res = browser.get(path)
        if res.status_code == 200 and (codes := raw_codes(res.get_data(as_text=True))):
            found[path] = sorted(codes)
    assert seen >= 4 and details, (seen, details)
    assert not found, found


def test_the_reports_read_in_labels_names_and_units(session_for):
    admin = session_for("fund_admin")
    page = admin.get("/reports").get_data(as_text=True)
    by_sector = page.split('data-testid="by-sector"', 1)[1].split("</table>", 1)[0]
    assert "<th>Sector (ISIC division)</th>" in by_sector and "<td>C13 Textiles</td>" in by_sector
    assert "<td>Technology change</td>" in page.split('data-testid="by-cp_option"', 1)[1].split("</table>", 1)[0]
    statuses = page.split("<th>Proposal status</th>", 1)[1].split("</table>", 1)[0]
    assert "<td>Referred</td><td>Referred</td>" in statuses
    impact = admin.get("/reports/impact").get_data(as_text=True)
    indicators = impact.split('data-testid="impact-indicators"', 1)[1].split("</table>", 1)[0]
    assert '<td class="num">55,000 m3</td>' in indicators and '<td class="num">-50,000 kWh</td>' in indicators
    rulebook = admin.get("/rulebooks/ebrd-ee/2024.1").get_data(as_text=True)
    assert "<td>improvement of the main indicator is at least 40% <br>" in rulebook
