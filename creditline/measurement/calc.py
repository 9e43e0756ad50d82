"""Verify one loan from plain values; it runs the batch kernel on a one-loan table.

Plan (a dict)::

    {"main_indicator": "water", "output_unit": "t",
     "indicators": [{"stream": "water", "unit": "m3",
                     "baseline_quantity": "100000", "baseline_output": "5000"},
                    {"stream": "electricity", "unit": "kWh", ...}],
     "baseline_days": 365,                                  # optional, per indicator too
     "baseline_periods": [{"start": ..., "end": ..., "output": ...,   # optional, instead of
                           "quantities": {"water": ...}}],            # baseline quantities
     "reporting_start": "2024-01-01", "reporting_end": "2024-12-31"}  # optional window

Every indicator other than the main one is an indicator that could get worse. Periods (a list)::

    [{"period": 1, "start": "2024-01-01", "end": "2024-01-31", "output": "420",
      "quantities": {"water": "3800", "electricity": "151000"}}, ...]

``period`` defaults to the 1-based position; dates are inclusive; numbers may be str, int,
float or Decimal; a missing or None quantity is a blank cell.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from creditline.finance.money import to_decimal
from creditline.measurement.batch import verify_batch
from creditline.measurement.results import BatchResult
from creditline.measurement.tables import to_days

SINGLE_LOAN = "loan"


def _number(value: Any) -> float:
    if value is None or (isinstance(value, str) and not value.strip()):
        return np.nan
    if isinstance(value, (float, int, np.number)):
        # numpy scalars repr as "np.float64(...)", which to_decimal cannot read.
        return float(value)
    return float(to_decimal(value))


def _baseline_from_periods(periods: Sequence[Mapping[str, Any]],
                           stream: str) -> tuple[float, float, float]:
    """Total a stream's baseline quantity, output and days over the periods that report it."""
    quantity = output = days = 0.0
    for p in periods:
        q = _number(p.get("quantities", {}).get(stream))
        o = _number(p.get("output"))
        if np.isnan(q) or np.isnan(o):
            continue
        start, end = to_days([p["start"], p["end"]])
        quantity, output, days = quantity + q, output + o, days + float(end - start + 1)
    return quantity, output, days


def plan_table(plan: Mapping[str, Any], loan_id: Any = SINGLE_LOAN) -> pd.DataFrame:
    """Turn one plan dict into rows of the plans table."""
    main = plan["main_indicator"]
    indicators = list(plan["indicators"])
    streams = [ind["stream"] for ind in indicators]
    if main not in streams:
        raise ValueError(f"main indicator {main!r} is not among the plan's indicators")
    rows = []
    for ind in indicators:
        days = ind.get("baseline_days", plan.get("baseline_days", 365))
        quantity, output = ind.get("baseline_quantity"), ind.get("baseline_output")
        if quantity is None and plan.get("baseline_periods"):
            quantity, output, days = _baseline_from_periods(plan["baseline_periods"],
                                                            ind["stream"])
        rows.append({
            "loan_id": loan_id, "indicator": ind["stream"], "is_main": ind["stream"] == main,
            "unit": ind.get("unit", ""), "output_unit": plan.get("output_unit", ""),
            "baseline_quantity": _number(quantity), "baseline_output": _number(output),
            "baseline_days": _number(days),
            "reporting_start": plan.get("reporting_start"),
            "reporting_end": plan.get("reporting_end"),
        })
    return pd.DataFrame(rows)


def readings_table(periods: Sequence[Mapping[str, Any]], streams: Sequence[str],
                   loan_id: Any = SINGLE_LOAN) -> pd.DataFrame:
    """Turn one loan's periods into long readings rows, one per period and indicator."""
    rows = []
    for position, p in enumerate(periods, start=1):
        quantities = p.get("quantities", {})
        # Every planned stream gets a row so a blank or absent one is seen, not lost.
        for stream in [*streams, *(s for s in quantities if s not in streams)]:
            rows.append({
                "loan_id": loan_id, "period": int(p.get("period", position)),
                "start": p.get("start"), "end": p.get("end"), "output": _number(p.get("output")),
                "indicator": stream, "quantity": _number(quantities.get(stream)),
            })
    frame = pd.DataFrame(rows, columns=["loan_id", "period", "start", "end", "output",
                                        "indicator", "quantity"])
    for col in ("start", "end"):
        frame[col] = pd.to_datetime(frame[col])
    return frame.astype({"period": "int64", "output": "float64", "quantity": "float64"})


def batch_tables(loans: Iterable[tuple[Any, Mapping[str, Any], Sequence[Mapping[str, Any]]]]
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Build the (readings, plans) tables for many ``(loan_id, plan, periods)`` triples."""
    readings, plans = [], []
    for loan_id, plan, periods in loans:
        plan_rows = plan_table(plan, loan_id)
        plans.append(plan_rows)
        readings.append(readings_table(periods, list(plan_rows["indicator"]), loan_id))
    return pd.concat(readings, ignore_index=True), pd.concat(plans, ignore_index=True)


def verify(plan: Mapping[str, Any], periods: Sequence[Mapping[str, Any]],
           settings: Mapping[str, Any] | None = None,
           emission_factors: Mapping[str, float] | None = None) -> dict[str, Any]:
    """Verify one loan's reporting periods against its plan's baseline."""
    result: BatchResult = verify_batch(*batch_tables([(SINGLE_LOAN, plan, periods)]),
                                       settings, emission_factors)
    return result.result(SINGLE_LOAN)
