"""How far an indicator has come, month by month, and what the next grant band needs (pure).

One indicator's monthly specific consumption against its baseline and the proposal's target,
the grant bands as the specific consumption that reaches them, and the distance to the next
band in improvement points, in quantity per unit of output and in money. No Flask, no database:
the monitoring and verification pages gather the readings and draw what this returns.

The improvement so far is the total quantity over the total output of the months read (so a
large month weighs as much as it should), which is how the verification reads the periods.
The grant named is what the band's rate gives on the basis (capped), before the verification's
offsets and the grant's conditions: the page says it is indicative.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TypedDict

from ..measurement.benefits import improvement, specific_consumption
from ..rules.derivation import billionths
from ..rules.grants import grant_amount_cents

# Month abbreviations written out so a label never depends on the server's locale.
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class MonthReading:
    """One reported period of one indicator."""
    period: str          # the plan's label, "M01"
    start: date
    status: str          # the report's review status
    quantity: float
    output: float


class Threshold(TypedDict):
    """A grant band drawn as the specific consumption that reaches it."""
    label: str
    over: float
    rate: float
    value: float


def month_label(day: date) -> str:
    """'Jan 2026': how people name a month on an axis."""
    return f"{MONTHS[day.month - 1]} {day.year}"


def month_text(text: str) -> str:
    """A month written as data ("2026-01" or "2026-01-01") as people name it ("Jan 2026"); other text as is."""
    parts = text.split("-")
    if len(parts) in (2, 3) and len(parts[0]) == 4 and all(p.isdigit() and p for p in parts) and 1 <= int(parts[1]) <= 12:
        return f"{MONTHS[int(parts[1]) - 1]} {parts[0]}"
    return text


def percent_text(share: float) -> str:
    """30.0 %, as the pages write a share."""
    return f"{share * 100:.1f} %"


def _per_unit(pair: tuple[Any, Any]) -> float:
    return float(specific_consumption(float(pair[0]), float(pair[1])))


def band_progress(baseline: tuple[Any, Any], projected: tuple[Any, Any] | None,
                  readings: Sequence[MonthReading], bands: dict[str, Any] | None,
                  basis: Decimal | None = None) -> dict[str, Any]:
    """An indicator's progress: ``baseline`` and ``projected`` are (quantity, output) a year;
    ``bands`` the rulebook's grant bands (None for an indicator that earns no grant)."""
    base = _per_unit(baseline)
    target = _per_unit(projected) if projected is not None and float(projected[1]) > 0 else None
    rows, q_sum, o_sum = [], 0.0, 0.0
    for r in readings:
        q_sum, o_sum = q_sum + r.quantity, o_sum + r.output
        value = float(specific_consumption(r.quantity, r.output))
        rows.append({"period": r.period, "month": month_label(r.start), "status": r.status, "specific": value,
                     "improvement": float(improvement(base, value))})
    specific_so_far = float(specific_consumption(q_sum, o_sum)) if o_sum > 0 else None
    so_far = float(improvement(base, specific_so_far)) if specific_so_far is not None else None
    levels = sorted((bands or {}).get("bands", []), key=lambda b: b["over"])
    inclusive = bool((bands or {}).get("inclusive"))
    thresholds = [Threshold(label=f"{percent_text(b['over'])} band: {percent_text(b['rate'])} grant",
                            over=float(b["over"]), rate=float(b["rate"]), value=base * (1 - float(b["over"])))
                  for b in levels]
    # Compared as the rules compare an improvement: rounded to a billionth, so 1 - 14/20 is exactly 30%.
    x = billionths(so_far) if so_far is not None else None
    reached = (lambda t: x >= t) if inclusive else (lambda t: x > t)
    ahead = [t for t in thresholds if so_far is None or not reached(t["over"])]
    next_band = None
    if ahead and x is not None and specific_so_far is not None:
        band = ahead[0]
        amount = None
        if basis is not None:
            cents = int(grant_amount_cents(float(basis), band["rate"], (bands or {}).get("cap"))[0])
            amount = (Decimal(cents) / 100).quantize(Decimal("0.01"))
        next_band = {"band": band["over"], "rate": band["rate"], "inclusive": inclusive,
                     "points": max(0.0, (band["over"] - x) * 100),
                     "cut": max(0.0, specific_so_far - band["value"]), "amount": amount}
    target_improvement = float(improvement(base, target)) if target is not None and base else None
    return {"baseline": base, "target": target, "target_improvement": target_improvement, "rows": rows,
            "so_far": so_far, "thresholds": thresholds,
            "next_band": next_band, "top_reached": bool(thresholds) and so_far is not None and not ahead}


def figure_text(value: float | None) -> str:
    """A measured figure to four significant digits, with thousands separators and no exponent:
    13.33, 0.001235, 12,346 (static/chart_format.js writes tooltips and ticks the same way)."""
    if value is None or not math.isfinite(value):
        return ""
    size = abs(value)
    digits = 0 if size >= 1000 or size == 0 else max(0, 3 - math.floor(math.log10(size)))
    text = f"{value:,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
