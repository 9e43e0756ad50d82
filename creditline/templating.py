"""Template filters and the navigation each role sees."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import Flask, url_for
from flask_login import current_user

from . import clock
from .finance.money import to_money
from .vocabulary import label as code_label
from .rules.in_words import message_in_words
from .vocabulary import STREAM_UNITS, readable, sector

# (label, endpoint, roles that see it). Endpoints not yet registered are skipped.
NAVIGATION: list[tuple[str, str, frozenset[str]]] = [
    ("Home", "home.index", frozenset()),
    ("Enterprises", "enterprises.index", frozenset({"sme", "fund_admin", "auditor"})),
    ("Proposals", "proposals.index", frozenset({"sme", "bank_officer", "credit_committee", "verifier",
                                               "senior_verifier", "fund_admin", "auditor"})),
    ("Review queue", "proposals.review_queue", frozenset({"verifier", "senior_verifier"})),
    ("Referrals", "referrals.desk", frozenset({"verifier", "senior_verifier", "fund_admin", "bank_officer",
                                              "credit_committee", "auditor"})),
    ("Monitoring reports", "monitoring.reports", frozenset({"sme", "verifier", "senior_verifier", "fund_admin",
                                                          "auditor", "bank_officer"})),
    ("Verifications", "verifications.queue", frozenset({"verifier", "senior_verifier", "fund_admin", "auditor"})),
    ("Loans", "loans.index", frozenset({"sme", "bank_officer", "credit_committee", "fund_admin", "auditor"})),
    ("Loan decisions", "loans.decisions", frozenset({"credit_committee"})),
    ("Guarantees", "guarantees.index", frozenset({"fund_admin", "auditor", "bank_officer", "credit_committee"})),
    ("Grants", "grants.queue", frozenset({"fund_admin", "auditor", "sme"})),
    ("Reports", "reports.dashboard", frozenset({"fund_admin", "auditor", "bank_officer", "credit_committee"})),
    ("Rulebooks", "rulebooks.index", frozenset({"fund_admin", "auditor"})),
    ("Credit lines", "creditlines.index", frozenset({"fund_admin"})),
    ("Users", "admin.users", frozenset({"fund_admin"})),
    ("Audit trail", "audit.index", frozenset({"fund_admin", "auditor"})),
]


# Pages only the whole fund's people open (an auditor placed at a bank reads its own scope).
PORTFOLIO_PAGES = frozenset({"audit.index"})

# The menus a long navigation folds into (the fund's staff see sixteen pages, which wrapped to three
# rows at 1280 px); pages not named here always stay in the bar.
NAV_GROUPS: dict[str, str] = {
    "loans.index": "Lending", "loans.decisions": "Lending", "guarantees.index": "Lending",
    "proposals.review_queue": "Verification", "referrals.desk": "Verification",
    "monitoring.reports": "Verification", "verifications.queue": "Verification",
    "grants.queue": "Fund", "creditlines.index": "Fund", "reports.dashboard": "Fund",
    "rulebooks.index": "Admin", "admin.users": "Admin", "audit.index": "Admin",
}
# Labels (in characters) that fit one row at 1280 px beside the brand, the inbox and who is signed in:
# a shorter navigation stays flat, one link a click, as the SME's, the bank's and the verifiers' are.
ONE_ROW_CHARACTERS = 64


@dataclass(frozen=True)
class NavEntry:
    """A link in the bar, or a menu (``links`` set) that opens to show its links."""

    label: str
    href: str = ""
    links: tuple[tuple[str, str], ...] = ()

    @property
    def slug(self) -> str:
        return self.label.lower().replace(" ", "-")


def _nav_links() -> list[tuple[str, str, str]]:
    """(label, href, endpoint) of every page the signed-in person may open, in menu order."""
    from .auth.permissions import Actor

    roles = current_user.roles
    portfolio = Actor.of(current_user).sees_portfolio
    items = []
    for label, endpoint, allowed in NAVIGATION:
        if allowed and not roles.intersection(allowed):
            continue
        if endpoint in PORTFOLIO_PAGES and not portfolio:
            continue
        try:
            items.append((label, url_for(endpoint), endpoint))
        except Exception:  # noqa: BLE001 - a page of a package not installed yet
            continue
    return items


def group_navigation(links: list[tuple[str, str, str]]) -> list[NavEntry]:
    """Fold a navigation too long for one row into its menus; a menu of one page stays a plain link."""
    if sum(len(label) for label, _, _ in links) <= ONE_ROW_CHARACTERS:
        return [NavEntry(label, href) for label, href, _ in links]
    members: dict[str, list[tuple[str, str]]] = {}
    for label, href, endpoint in links:
        if endpoint in NAV_GROUPS:
            members.setdefault(NAV_GROUPS[endpoint], []).append((label, href))
    entries: list[NavEntry] = []
    placed: set[str] = set()
    for label, href, endpoint in links:
        group = NAV_GROUPS.get(endpoint)
        if group is None or len(members[group]) == 1:
            entries.append(NavEntry(label, href))
        elif group not in placed:  # a menu stands where its first page would
            placed.add(group)
            entries.append(NavEntry(group, links=tuple(members[group])))
    return entries


def _nav() -> list[NavEntry]:
    if not current_user.is_authenticated:
        return []
    return group_navigation(_nav_links())


# -- numbers as people write them (money, percentages, labels) ----------------------------------
# One place for how amounts and shares read on every page; the API keeps its decimal strings and
# fractions.

def money(value: Any, currency: str | None = "") -> str:
    """``USD 80,000.00``: thousands separators, two decimals, the currency first."""
    if value is None or value == "":
        return ""
    return f"{currency or ''} {to_money(value):,.2f}".strip()


def percent(value: Any, digits: int = 1) -> str:
    """A fraction as people read it: 0.3 is ``30.0 %``."""
    if value is None or value == "":
        return ""
    return f"{Decimal(str(value)) * 100:,.{digits}f} %"


def quantity(value: Any, unit: str | None = "") -> str:
    """``1,250.5 m3``: thousands separators, the digits entered, the unit after."""
    if value is None or value == "":
        return ""
    number = Decimal(str(value))
    text = f"{number.normalize():,f}" if number != number.to_integral_value() else f"{number:,.0f}"
    return f"{text} {unit or ''}".strip()


def init_app(app: Flask) -> None:
    """Register filters and the navigation."""
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["percent"] = percent
    app.jinja_env.filters["quantity"] = quantity
    app.jinja_env.filters["label"] = code_label
    app.jinja_env.filters["readable"] = readable
    app.jinja_env.filters["sector"] = sector
    app.jinja_env.filters["message"] = message_in_words
    app.jinja_env.filters["unit"] = lambda stream: STREAM_UNITS.get(str(stream), "")
    # A fresh key for each money form shown (idempotency.FORM_FIELD): posted twice, it moves money once.
    app.jinja_env.globals["form_key"] = lambda: uuid.uuid4().hex
    # ``today`` is each event form's date default and upper bound (a view may pass its own).
    app.context_processor(lambda: {"nav_items": _nav(), "today": clock.today().isoformat()})
