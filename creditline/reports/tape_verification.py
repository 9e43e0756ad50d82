"""A verified result as loan tape cells, and back (pure).

A verification holds one figure per indicator; the tape has one cell per column, so the
indicators are listed in one cell, main indicator first (``water (m3); electricity (kWh)``), with
their baseline and achieved consumption per unit of output in the same order in their own cells
(``20.0000; 180.000``). The figures are written as the verification holds them, so an export of an
imported verification reads the same.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

SEPARATOR = "; "
_INDICATOR = re.compile(r"^([a-z][a-z0-9_]*) \(([^()]{1,16})\)$")


@dataclass(frozen=True)
class Indicator:
    """One verified indicator: its stream, unit and specific consumption before and after."""

    stream: str
    unit: str
    baseline: str
    achieved: str

    @property
    def improvement(self) -> float:
        base = Decimal(self.baseline)
        return round(float(1 - Decimal(self.achieved) / base), 4) if base else 0.0


def _result(value: Any) -> dict[str, Any]:
    if value is None or (isinstance(value, float) and value != value):
        return {}
    return json.loads(value) if isinstance(value, str) else dict(value)


def verification_cells(result: Any) -> dict[str, Any]:
    """The tape's verification cells of one confirmed verification's result (blank without one)."""
    r = _result(result)
    indicators = r.get("indicators") or {}
    if not indicators:
        return {}
    order = sorted(indicators, key=lambda s: not indicators[s].get("main"))
    window = r.get("window") or {}
    return {
        "verified_indicators": SEPARATOR.join(f"{s} ({indicators[s].get('unit', '')})" for s in order),
        "output_unit": r.get("output_unit"),
        "verified_baseline": SEPARATOR.join(str(indicators[s].get("baseline_specific")) for s in order),
        "verified_achieved": SEPARATOR.join(str(indicators[s].get("reporting_specific")) for s in order),
        "verified_output": None if r.get("annual_output") is None else str(r["annual_output"]),
        "verified_from": window.get("start"), "verified_to": window.get("end"),
    }


def band_improvement(result: Any) -> float | None:
    """The improvement the grant bands are read at: the baseline models' choice, else net, else main."""
    r = _result(result)
    for key in ("band_improvement", "net_improvement", "main_improvement"):
        if r.get(key) is not None:
            return float(r[key])
    return None


def parse_indicators(names: str, baselines: str, achieved: str) -> list[Indicator] | str:
    """The indicators of the three cells, or the reason they cannot be read."""
    parts = [p.strip() for p in names.split(";")]
    found = [_INDICATOR.match(p) for p in parts]
    wrong = [p for p, m in zip(parts, found) if m is None]
    if wrong:
        return f"write each indicator as 'stream (unit)', separated by ';', not {wrong[0]!r}"
    streams = [m.group(1) for m in found if m]
    if len(set(streams)) != len(streams):
        return "an indicator is listed twice"
    base, after = [p.strip() for p in baselines.split(";")], [p.strip() for p in achieved.split(";")]
    if len(base) != len(streams) or len(after) != len(streams):
        return (f"{len(streams)} indicator(s) need as many baseline and achieved figures, separated by ';' "
                f"(found {len(base)} and {len(after)})")
    for text in (*base, *after):
        try:
            value = Decimal(text)
        except InvalidOperation:
            return f"baseline and achieved figures must be numbers, not {text!r}"
        if not value.is_finite() or value < 0:
            return f"baseline and achieved figures must be zero or more, not {text!r}"
    if any(Decimal(b) == 0 for b in base):
        return "a baseline of zero per unit of output cannot be improved on"
    return [Indicator(m.group(1), m.group(2), b, a) for m, b, a in zip(found, base, after) if m]


def co2e_avoided(indicators: list[Indicator], annual_output: str, factors: dict[str, float]) -> str:
    """t CO2e a year: each indicator's saving per unit of output x the annual output x its emission factor."""
    annual = Decimal(annual_output)
    total = sum(((Decimal(i.baseline) - Decimal(i.achieved)) * annual * Decimal(str(factors[i.stream]))
                 for i in indicators if i.stream in factors), Decimal(0))
    return str(total.quantize(Decimal("0.001")))


def result_of(indicators: list[Indicator], output_unit: str, annual_output: str, start: str, end: str,
              improvement: float, factors: dict[str, float], note: str) -> dict[str, Any]:
    """The verification result an imported verification stores: the app's keys, with the tape's figures.

    Coverage and data sufficiency were the NCPC's to judge on reports this system never saw: the
    result says so (``imported``) rather than inventing them.
    """
    main = indicators[0]
    return {"main_indicator": main.stream, "output_unit": output_unit,
            "indicators": {i.stream: {"unit": i.unit, "main": i is main, "baseline_specific": i.baseline,
                                      "reporting_specific": i.achieved, "improvement": i.improvement,
                                      "coverage": None, "method": "imported"} for i in indicators},
            "main_improvement": main.improvement, "net_improvement": improvement, "band_improvement": improvement,
            "annual_output": float(annual_output), "window": {"start": start, "end": end},
            "co2e_avoided_t_per_year": co2e_avoided(indicators, annual_output, factors),
            "worse": [], "sufficiency": [], "sufficient": True, "imported": note}
