"""Each data-sufficiency flag, triggered and not triggered, with its blocking effect."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from creditline.measurement.calc import verify
from creditline.measurement.sufficiency import FLAG_CODES
from tests.unit.verification_data import month_periods, water_periods, water_plan


def flags(result: dict[str, Any]) -> list[tuple[str, str | None, int | None]]:
    """List (code, indicator, period) of a result's flags."""
    return [(f["code"], f["indicator"], f["period"]) for f in result["sufficiency"]]


def codes(result: dict[str, Any]) -> set[str]:
    """Give the set of flag codes of a result."""
    return {f["code"] for f in result["sufficiency"]}


def test_clean_year_has_no_flags() -> None:
    result = verify(water_plan(), water_periods())
    assert result["sufficiency"] == [] and result["sufficient"] is True
    assert result["window"] == {"start": "2023-01-01", "end": "2023-12-31"}
    assert result["indicators"]["water"]["coverage"] == 1.0


def test_flag_shape() -> None:
    periods = water_periods()
    periods[3]["quantities"]["water"] = None
    (flag,) = verify(water_plan(), periods)["sufficiency"]
    assert flag == {"code": "missing_quantity", "indicator": "water", "period": 4,
                    "message": "water: no reading in period 4 (2023-04-01 to 2023-04-30): "
                               "left out for this indicator.", "blocking": False}


def test_too_few_periods() -> None:
    few = verify(water_plan(), water_periods()[:2])
    assert flags(few) == [("too_few_periods", None, None)]
    assert few["sufficiency"][0]["message"] == ("Only 2 usable reporting period(s); at least 3 "
                                                "are needed.")
    assert few["sufficient"] is False
    assert verify(water_plan(), water_periods()[:3])["sufficient"] is True


def test_coverage_counts_blank_cells_per_indicator() -> None:
    one = water_periods()
    one[1]["quantities"]["water"] = None  # February: 337 of 365 days = 92.3% >= 90%
    assert flags(verify(water_plan(), one)) == [("missing_quantity", "water", 2)]
    two = water_periods()
    two[1]["quantities"]["water"] = None
    del two[2]["quantities"]["water"]     # absent counts like blank: 306 / 365 = 83.8%
    result = verify(water_plan(), two)
    assert flags(result) == [("low_coverage", "water", None), ("missing_quantity", "water", 2),
                             ("missing_quantity", "water", 3)]
    assert result["indicators"]["water"]["coverage"] == 0.8384
    assert result["indicators"]["electricity"]["coverage"] == 1.0
    assert result["sufficient"] is False
    # The figure itself still compares like with like: 10 months at 9 m3/t.
    assert result["indicators"]["water"]["reporting_specific"] == "9.00000"


def test_plan_window_wider_than_the_data_lowers_coverage() -> None:
    plan = water_plan(reporting_start="2023-01-01", reporting_end="2024-06-30")
    result = verify(plan, water_periods())
    assert ("low_coverage", "water", None) in flags(result)
    assert result["indicators"]["water"]["coverage"] == round(365 / 547, 4)


def test_gap_between_periods() -> None:
    periods = water_periods()
    for number, p in enumerate(periods, start=1):
        p["period"] = number
    one_month = periods[:4] + periods[5:]           # May missing: 31 days, within 35
    assert flags(verify(water_plan(), one_month)) == []  # and 334 / 365 days covered
    two_months = periods[:4] + periods[6:]          # May and June: 61 days
    result = verify(water_plan(), two_months)
    assert flags(result) == [("low_coverage", "water", None),
                             ("low_coverage", "electricity", None), ("gap_too_long", None, 7)]
    gap = next(f for f in result["sufficiency"] if f["code"] == "gap_too_long")
    assert gap["message"] == ("No report for 61 days before period 7 (starting 2023-07-01); "
                              "at most 35 days are allowed.")
    assert result["sufficient"] is False


def test_overlapping_periods() -> None:
    periods = water_periods()
    periods[5]["start"] = dt.date(2023, 5, 20)
    result = verify(water_plan(), periods)
    assert ("overlapping_periods", None, 6) in flags(result)
    assert result["sufficient"] is False


def test_bad_dates() -> None:
    periods = water_periods()
    periods[2]["end"] = dt.date(2023, 2, 1)
    result = verify(water_plan(), periods)
    assert ("bad_dates", None, 3) in flags(result)
    assert result["sufficient"] is False


def test_short_period_is_dropped_and_flagged() -> None:
    periods = water_periods()
    periods.append({"start": dt.date(2024, 1, 1), "end": dt.date(2024, 1, 20), "output": 500,
                    "quantities": {"water": 99_999, "electricity": 200_000}})
    result = verify(water_plan(), periods)
    assert flags(result) == [("period_short", None, 13)]
    assert result["sufficiency"][0]["message"] == ("Period 13 (2024-01-01 to 2024-01-20) lasts "
                                                   "20 days, under 25: left out.")
    assert result["main_improvement"] == 0.55      # the 99,999 m3 did not count
    assert result["usable_periods"] == 12
    kept = verify(water_plan(), periods, {"drop_short_periods": False})
    assert kept["main_improvement"] < 0.55 and kept["usable_periods"] == 13


def test_period_of_25_days_is_not_short() -> None:
    periods = water_periods()
    periods.append({"start": dt.date(2024, 1, 1), "end": dt.date(2024, 1, 25), "output": 500,
                    "quantities": {"water": 4500, "electricity": 200_000}})
    assert verify(water_plan(), periods)["sufficiency"] == []


def test_long_period_is_kept_and_flagged() -> None:
    periods = water_periods()
    periods[-1]["end"] = dt.date(2024, 1, 4)        # 35 days: fine
    assert verify(water_plan(), periods)["sufficiency"] == []
    periods[-1]["end"] = dt.date(2024, 1, 9)        # 40 days
    result = verify(water_plan(), periods)
    assert flags(result) == [("period_long", None, 12)]
    assert result["sufficient"] is True and result["usable_periods"] == 12


def test_outlier_beyond_three_interquartile_ranges() -> None:
    # Specific water 1..11 m3/t and one more month x: q25 3.75, median 6.5, q75 9.25, so the
    # fence is 6.5 + 3 x 5.5 = 23 for any x >= 11.
    def year(x: float) -> list[dict]:
        periods = month_periods(output=500, water=0, electricity=200_000)
        for i, p in enumerate(periods):
            p["quantities"]["water"] = (i + 1) * 500 if i < 11 else x * 500
        return periods

    assert verify(water_plan(), year(23))["sufficiency"] == []
    result = verify(water_plan(), year(23.5))
    assert flags(result) == [("outlier", "water", 12)]
    assert result["sufficiency"][0]["message"] == (
        "water in period 12: 23.5 m3/t is more than 3 interquartile ranges above the median "
        "(6.5).")
    assert result["sufficient"] is True
    assert verify(water_plan(), year(23.5), {"outlier_iqr": 4})["sufficiency"] == []


def test_production_change_at_the_limit_is_not_flagged() -> None:
    # 625 t a month = 7,500 t a year = exactly +50%: not beyond the limit.
    result = verify(water_plan(), water_periods(output=625, water=5625, electricity=250_000))
    assert result["production_change"] == 0.5 and result["sufficiency"] == []


def test_production_up_blocks() -> None:
    result = verify(water_plan(), water_periods(output=700, water=6300, electricity=280_000))
    assert flags(result) == [("production_up", None, None)]
    assert result["sufficiency"][0]["message"] == (
        "Production is 68% above the baseline (8,400 against 5,000 t a year); the comparison "
        "is doubtful and needs a verifier's adjustment.")
    assert result["sufficient"] is False
    assert result["main_improvement"] == 0.55  # the figures are still shown


def test_production_down_only_informs() -> None:
    result = verify(water_plan(), water_periods(output=200, water=1800, electricity=80_000))
    assert flags(result) == [("production_down", None, None)]
    assert result["production_change"] == -0.52
    assert result["sufficient"] is True


def test_missing_production_is_left_out() -> None:
    periods = water_periods()
    periods[6]["output"] = None
    result = verify(water_plan(), periods)
    assert flags(result) == [("missing_production", None, 7)]
    assert result["usable_periods"] == 11 and result["sufficient"] is True
    assert result["indicators"]["water"]["reporting_quantity"] == "49500.000"


def test_zero_production_still_counts_consumption() -> None:
    periods = water_periods()
    periods[6]["output"] = 0                        # a shutdown month that still used water
    result = verify(water_plan(), periods)
    assert flags(result) == [("zero_production", None, 7)]
    # 54,000 m3 over 5,500 t = 9.81818 m3/t: the idle month makes the figure worse, not better.
    assert result["indicators"]["water"]["reporting_specific"] == "9.81818"
    assert result["sufficient"] is True


def test_no_production_at_all_blocks() -> None:
    result = verify(water_plan(), water_periods(output=0))
    assert ("no_production", None, None) in flags(result)
    assert result["main_improvement"] is None and result["sufficient"] is False


def test_negative_values_block() -> None:
    periods = water_periods()
    periods[1]["quantities"]["electricity"] = -5
    periods[2]["output"] = -1
    result = verify(water_plan(), periods)
    assert ("negative_value", "electricity", 2) in flags(result)
    assert ("negative_value", None, 3) in flags(result)
    assert result["sufficient"] is False


@pytest.mark.parametrize("field, value, why", [
    ("baseline_output", None, "missing or invalid"),
    ("baseline_quantity", "0", "the main indicator's baseline consumption is zero"),
])
def test_invalid_baseline_blocks(field: str, value: Any, why: str) -> None:
    plan = water_plan()
    plan["indicators"][0][field] = value
    result = verify(plan, water_periods())
    (flag,) = [f for f in result["sufficiency"] if f["code"] == "invalid_baseline"]
    assert flag["indicator"] == "water" and why in flag["message"]
    assert result["main_improvement"] is None and result["sufficient"] is False


def test_unplanned_indicator_is_ignored() -> None:
    result = verify(water_plan(), water_periods(lpg=10))
    assert flags(result) == [("unplanned_indicator", "lpg", None)]
    assert "lpg" not in result["indicators"] and result["sufficient"] is True


def test_blocking_codes_are_documented() -> None:
    blocking = {c for c, (b, _, _) in FLAG_CODES.items() if b}
    assert blocking == {"invalid_baseline", "no_production", "too_few_periods", "low_coverage",
                        "gap_too_long", "overlapping_periods", "bad_dates",
                        "inconsistent_period", "duplicate_reading", "negative_value",
                        "production_up"}
