"""The main navigation folds into menus only when it would not fit one row."""
from __future__ import annotations

from creditline.templating import NAVIGATION, NavEntry, group_navigation


def links(*endpoints: str) -> list[tuple[str, str, str]]:
    labels = {endpoint: label for label, endpoint, _ in NAVIGATION}
    return [(labels[e], f"/{e}", e) for e in endpoints]


def test_a_short_navigation_stays_flat():
    short = links("home.index", "proposals.index", "loans.index", "guarantees.index", "reports.dashboard")
    assert group_navigation(short) == [NavEntry(label, href) for label, href, _ in short]


def test_the_fund_admins_navigation_folds_into_menus_where_their_first_page_stood():
    every = links(*(endpoint for _, endpoint, _ in NAVIGATION if endpoint != "loans.decisions"))
    entries = group_navigation(every)
    assert [e.label for e in entries] == ["Home", "Enterprises", "Proposals", "Verification", "Lending", "Fund", "Admin"]
    lending = entries[4]
    assert lending.links == (("Loans", "/loans.index"), ("Guarantees", "/guarantees.index")) and lending.slug == "lending"
    # Every page is still reachable, exactly once.
    reached = [href for e in entries for href in ([e.href] if not e.links else [h for _, h in e.links])]
    assert sorted(reached) == sorted(href for _, href, _ in every)


def test_a_menu_of_one_page_stays_a_plain_link():
    entries = group_navigation(links("home.index", "enterprises.index", "proposals.index", "referrals.desk",
                                     "monitoring.reports", "verifications.queue", "loans.index", "guarantees.index",
                                     "grants.queue", "reports.dashboard", "rulebooks.index", "audit.index"))
    assert NavEntry("Grants", "/grants.queue") not in entries  # Grants and Reports share the Fund menu
    assert [e.label for e in entries if not e.links] == ["Home", "Enterprises", "Proposals"]
    single = group_navigation(links("home.index", "enterprises.index", "proposals.index", "referrals.desk",
                                    "monitoring.reports", "verifications.queue", "loans.index", "guarantees.index",
                                    "reports.dashboard", "rulebooks.index", "audit.index"))
    assert NavEntry("Reports", "/reports.dashboard") in single
