"""The fund administrator's home: each credit line's figures at a glance, from the dashboard's data.

The figures are the portfolio dashboard's own (one computation), so the home page and the report
never disagree; each card links to the dashboard filtered to its line.
"""
from __future__ import annotations

from typing import Any

from flask import url_for

from ..auth.permissions import Actor
from ..finance.money import format_money
from ..home import NextStep
from .services import portfolio_report


def _percent(share: float | None) -> str:
    return "no loans outstanding" if share is None else f"{share * 100:.1f}\u00a0%"


def _card(line: dict[str, Any], lent: dict[str, Any] | None) -> NextStep:
    cur = line["currency"]
    used = line["guarantee_used_share"]
    figures = (
        ("Guarantee capacity used", f"{format_money(line['guarantee_used'], cur)} of "
                                    f"{format_money(line['guarantee_capacity'], cur)}"
                                    + (f" ({used * 100:.1f}\u00a0%)" if used is not None else "")),
        ("Guarantee capacity free", format_money(line["guarantee_free"], cur)),
        ("Grant budget committed", f"{format_money(line['grants_committed'], cur)} of "
                                   f"{format_money(line['grant_budget'], cur)}"),
        ("Grants paid", format_money(line["grants_paid"], cur)),
        ("Outstanding principal", format_money(lent["outstanding"] if lent else 0, cur)),
        ("In arrears over 30 days (PAR30)", _percent(lent["par30"] if lent else None)),
    )
    return NextStep(line["line"], "Figures as of today; open the dashboard for the detail.",
                    url_for("reports.dashboard", credit_line_id=line["credit_line_id"]), figures=figures)


def line_figures(actor: Actor) -> list[NextStep]:
    """One card per credit line the fund administrator manages."""
    if not actor.has("fund_admin"):
        return []
    report = portfolio_report(actor, {})
    by_line = {(row["key"], row["currency"]): row for row in report["breakdowns"]["credit_line"]}
    return [_card(line, by_line.get((line["line"], line["currency"]))) for line in report["lines"]]
