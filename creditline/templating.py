"""Template filters and the navigation each role sees."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Flask, url_for
from flask_login import current_user

from . import clock
from .finance.money import to_money
from .vocabulary import label as code_label

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


def _nav() -> list[tuple[str, str]]:
    if not current_user.is_authenticated:
        return []
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
            items.append((label, url_for(endpoint)))
        except Exception:  # noqa: BLE001 - a page of a package not installed yet
            continue
    return items


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
    # ``today`` is each event form's date default and upper bound (a view may pass its own).
    app.context_processor(lambda: {"nav_items": _nav(), "today": clock.today().isoformat()})
