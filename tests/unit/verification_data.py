"""Builders of plain plans and monthly periods for the verification tests."""
from __future__ import annotations

import datetime as dt
from typing import Any


def month_periods(year: int = 2023, months: int = 12, output: Any = 500,
                  **quantities: Any) -> list[dict[str, Any]]:
    """Make contiguous calendar months with the same output and quantities each month."""
    periods = []
    for m in range(months):
        y, mo = year + m // 12, m % 12 + 1
        start = dt.date(y, mo, 1)
        end = (dt.date(y + (mo == 12), mo % 12 + 1, 1) - dt.timedelta(days=1))
        periods.append({"start": start, "end": end, "output": output,
                        "quantities": dict(quantities)})
    return periods


def water_plan(**extra: Any) -> dict[str, Any]:
    """Water main (20 m3/t at baseline) with electricity (400 kWh/t) that could get worse."""
    return {
        "main_indicator": "water", "output_unit": "t",
        "indicators": [
            {"stream": "water", "unit": "m3", "baseline_quantity": "100000",
             "baseline_output": "5000"},
            {"stream": "electricity", "unit": "kWh", "baseline_quantity": "2000000",
             "baseline_output": "5000"},
        ],
        **extra,
    }


def water_periods(**overrides: Any) -> list[dict[str, Any]]:
    """A year of 500 t a month at 9 m3/t water and 400 kWh/t electricity."""
    values = {"output": 500, "water": 4500, "electricity": 200_000, **overrides}
    return month_periods(output=values.pop("output"), **values)
