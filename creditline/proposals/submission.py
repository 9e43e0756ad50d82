"""What a proposal must hold before it can be submitted: every problem, listed at once."""
from __future__ import annotations

from typing import Any

from ..vocabulary import STREAM_UNITS

REQUIRED = {
    "title": "give the proposal a title",
    "cp_options": "choose at least one cleaner-production option type",
    "currency": "give the currency",
    "investment": "give the total investment",
    "eligible_cost": "give the eligible cost (equipment, installation, consultants, fees)",
    "loan_amount": "give the loan requested",
    "own_contribution": "give the enterprise's own contribution",
    "economic_life_years": "give the economic life of the equipment in years",
    "annual_savings": "give the expected annual savings",
    "implementation_months": "give the implementation time in months",
    "output_unit": "give the unit of production output (e.g. t)",
    "main_indicator": "choose the main indicator",
}


def submission_problems(p: Any) -> dict[str, list[str]]:
    """Return every reason ``p`` cannot be submitted, by field (empty when it can)."""
    problems: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    for field, message in REQUIRED.items():
        value = getattr(p, field)
        if value is None or value == "" or value == []:
            add(field, message)
    tech = p.technology or {}
    if not tech.get("description"):
        add("technology.description", "describe the equipment or technology")
    if not tech.get("supplier"):
        add("technology.supplier", "name the equipment supplier")
    if not tech.get("readiness"):
        add("technology.readiness", "state the technology readiness")
    line = p.credit_line
    if line is not None:
        if line.status != "open":
            add("credit_line_id", f"the credit line '{line.name}' is closed to new proposals")
        if p.currency and p.currency != line.currency:
            add("currency", f"the credit line lends in {line.currency}, not {p.currency}")
        bank_ids = {b.id for b in line.banks}
        if p.bank_id is None:
            add("bank_id", "choose the partner bank to send the proposal to")
        elif p.bank_id not in bank_ids:
            add("bank_id", f"organisation {p.bank_id} is not a partner bank of '{line.name}'")
    investment, loan, own = p.investment, p.loan_amount, p.own_contribution
    if investment is not None and loan is not None and loan > investment:
        add("loan_amount", "the loan cannot be larger than the investment")
    if investment is not None and loan is not None and own is not None and loan + own != investment:
        add("own_contribution",
            f"loan {loan} plus own contribution {own} must equal the investment {investment}")
    if investment is not None and p.eligible_cost is not None and p.eligible_cost > investment:
        # With cost items the eligible cost is their sum, so the items are what must change.
        if p.cost_items:
            add("cost_items", f"the eligible cost items add up to {p.eligible_cost}, more than the "
                              f"investment {investment}")
        else:
            add("eligible_cost", "the eligible cost cannot exceed the investment")
    if not p.indicators:
        add("indicators", "add at least one indicator with its baseline and projected quantities")
    streams = {i.stream for i in p.indicators}
    if p.main_indicator and p.indicators and p.main_indicator not in streams:
        add("main_indicator", f"the main indicator {p.main_indicator} is not in the indicator table")
    for n, ind in enumerate(p.indicators):
        where = f"indicators.{n}"
        if STREAM_UNITS.get(ind.stream) != ind.unit:
            add(f"{where}.unit", f"{ind.stream} is measured in {STREAM_UNITS.get(ind.stream)}")
        if ind.baseline_output is None or ind.baseline_output <= 0:
            add(f"{where}.baseline_output", "production output must be more than zero")
        if ind.projected_output is None or ind.projected_output <= 0:
            add(f"{where}.projected_output", "production output must be more than zero")
        if ind.baseline_quantity is None or ind.baseline_quantity <= 0:
            add(f"{where}.baseline_quantity", "the baseline quantity must be more than zero")
        if ind.projected_quantity is None or ind.projected_quantity < 0:
            add(f"{where}.projected_quantity", "the projected quantity cannot be negative")
    return problems
