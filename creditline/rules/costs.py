"""Eligible cost items: which parts of an investment budget a rulebook counts, and why not the rest.

A proposal may list its budget as items ``{category, description, amount}``. Each rulebook names
the categories it finances (``eligible_costs.categories``); the eligible cost is then the sum of
the eligible items, and every excluded item is explained. Pure: no Flask, no database.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

# The cost categories of domain-facts.md (GCTF Viet Nam's list of costs that count and do not).
COST_CATEGORIES = ("equipment", "installation", "working_capital", "consultants", "ncpc_fees", "bank_fees",
                   "import_taxes", "own_staff", "land", "buildings", "maintenance", "vehicles", "other")


@dataclass(frozen=True)
class CostSplit:
    """The eligible total, and the items counted and left out (with the reason)."""

    eligible_total: Decimal
    counted: list[dict[str, Any]]
    excluded: list[dict[str, Any]]


def _amount(item: dict[str, Any]) -> Decimal:
    try:
        value = Decimal(str(item.get("amount")))
    except (InvalidOperation, ValueError):
        return Decimal("0")
    return value if value.is_finite() else Decimal("0")


def split_costs(items: list[dict[str, Any]], eligible: tuple[str, ...] | list[str], rulebook: str) -> CostSplit:
    """Sum the items whose category the rulebook finances; say why each other item is left out."""
    counted, excluded = [], []
    total = Decimal("0.00")
    for item in items:
        amount = _amount(item)
        line = {"category": item.get("category"), "description": item.get("description") or "",
                "amount": amount.quantize(Decimal("0.01"))}
        if item.get("category") in eligible:
            counted.append(line)
            total += amount
        else:
            excluded.append({**line, "reason": f"{str(item.get('category')).replace('_', ' ')} is not an "
                                               f"eligible cost under {rulebook}"})
    return CostSplit(total.quantize(Decimal("0.01")), counted, excluded)


def disagreement(given: Any, split: CostSplit) -> str | None:
    """Why a stated eligible cost contradicts the items (None when it agrees or is not given)."""
    if given is None or given == "":
        return None
    try:
        stated = Decimal(str(given)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None  # the field's own validation names a bad number
    if stated != split.eligible_total:
        return (f"the eligible cost {stated} disagrees with the eligible cost items, which add up to "
                f"{split.eligible_total}; leave it out to have it computed")
    return None
