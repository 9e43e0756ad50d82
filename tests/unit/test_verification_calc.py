"""Verification figures checked by hand: specific consumption, improvement, offsets, CO2e."""
from __future__ import annotations

import pytest

from creditline.measurement.calc import plan_table, verify
from creditline.measurement.results import fixed_text, share, significant_text
from creditline.measurement.sufficiency import resolve_settings
from tests.unit.verification_data import month_periods, water_periods, water_plan

ELECTRICITY = {"electricity": 0.0006766}  # Viet Nam grid 2022, t CO2 per kWh


def test_water_twenty_to_nine_is_a_55_percent_improvement() -> None:
    # Baseline 100,000 m3 for 5,000 t = 20 m3/t; reporting 12 x 4,500 m3 for 12 x 500 t = 9.
    result = verify(water_plan(), water_periods(), {"offset_method": "main_only"})
    water = result["indicators"]["water"]
    assert water["baseline_specific"] == "20.0000"
    assert water["reporting_specific"] == "9.00000"
    assert water["reporting_quantity"] == "54000.000"
    assert water["reporting_output"] == "6000.000"
    assert water["improvement"] == 0.55
    assert result["main_improvement"] == 0.55
    assert result["improvement"] == {"water": 0.55, "electricity": 0.0}
    assert result["worse"] == []
    assert result["net_improvement"] == 0.55
    assert result["sufficient"] is True and result["sufficiency"] == []


def test_production_up_with_same_specific_consumption_is_no_gain() -> None:
    # Output up 20% (6,000 t a year against 5,000) and water up 20% (120,000 m3): still 20 m3/t.
    result = verify(water_plan(), water_periods(water=10_000, electricity=200_000))
    assert result["indicators"]["water"]["reporting_quantity"] == "120000.000"
    assert result["indicators"]["water"]["reporting_specific"] == "20.0000"
    assert result["main_improvement"] == 0.0
    assert result["production_change"] == 0.2
    assert result["annual_output"] == "6000.000"


def test_ratio_of_sums_weighs_months_by_production() -> None:
    # 100 t at 30 m3/t and 900 t at 10 m3/t: (3,000 + 9,000) / 1,000 = 12 m3/t, not 20.
    periods = month_periods(months=2, output=100, water=3000, electricity=40_000)
    periods[1].update(output=900, quantities={"water": 9000, "electricity": 360_000})
    result = verify(water_plan(), periods, {"min_periods": 1})
    assert result["indicators"]["water"]["reporting_specific"] == "12.0000"
    assert result["main_improvement"] == 0.4


@pytest.fixture
def worse_electricity() -> list[dict]:
    """Water 20 -> 9 m3/t while electricity 400 -> 440 kWh/t (10% worse)."""
    return water_periods(electricity=220_000)


@pytest.mark.parametrize("method, net, basis", [
    ("main_only", 0.55, "main indicator water only; other indicators do not offset"),
    ("min_of_all", -0.1, "worst of water and the indicators that got worse (electricity)"),
    ("deduct_worse", 0.45, "water less the worsening of electricity"),
    ("weighted_co2e", 0.55, "main indicator water has no emission factor, so it stands alone"),
])
def test_offset_methods_with_electricity_worse(worse_electricity: list[dict], method: str,
                                               net: float, basis: str) -> None:
    result = verify(water_plan(), worse_electricity, {"offset_method": method}, ELECTRICITY)
    assert result["main_improvement"] == 0.55
    assert result["worse"] == [{
        "indicator": "electricity", "improvement": -0.1, "new_stream": False,
        "message": "electricity per unit of output rose 10.0% (400.000 to 440.000 kWh/t)"}]
    assert result["net_improvement"] == net
    assert result["net_basis"] == basis
    # (400 - 440) kWh/t x 6,000 t a year x 0.0006766 t/kWh = -162.384 t: more emitted.
    assert result["co2e_avoided_t_per_year"] == "-162.384"


def test_nothing_worse_leaves_min_of_all_at_the_main_improvement() -> None:
    result = verify(water_plan(), water_periods(electricity=180_000), {"offset_method":
                                                                        "min_of_all"})
    assert result["improvement"] == {"water": 0.55, "electricity": 0.1}
    assert result["net_improvement"] == 0.55
    assert result["net_basis"] == "main indicator water; no indicator got worse"


def fuel_switch_plan() -> dict:
    """Diesel 100 L/t at baseline, no natural gas; after the switch 90 m3/t of gas."""
    return {"main_indicator": "diesel", "output_unit": "t", "indicators": [
        {"stream": "diesel", "unit": "L", "baseline_quantity": 100_000, "baseline_output": 1000},
        {"stream": "natural_gas", "unit": "m3", "baseline_quantity": 0, "baseline_output": 1000},
    ]}


FUEL_FACTORS = {"diesel": 0.00269, "natural_gas": 0.0019}


@pytest.mark.parametrize("method, net", [
    ("main_only", 1.0), ("min_of_all", None), ("deduct_worse", None),
    # 1 - (0.0019 x 90) / (0.00269 x 100) = 1 - 0.171 / 0.269 = 0.36431...
    ("weighted_co2e", 0.3643),
])
def test_fuel_switch_offsets(method: str, net: float | None) -> None:
    periods = month_periods(output=100, diesel=0, natural_gas=9000)
    result = verify(fuel_switch_plan(), periods, {"offset_method": method}, FUEL_FACTORS)
    assert result["main_improvement"] == 1.0
    gas = result["indicators"]["natural_gas"]
    assert gas["baseline_specific"] == "0" and gas["reporting_specific"] == "90.0000"
    assert gas["improvement"] is None
    assert result["worse"] == [{"indicator": "natural_gas", "improvement": None,
                                "new_stream": True,
                                "message": "natural_gas is new: none at baseline, "
                                           "90.0000 m3/t now"}]
    assert result["net_improvement"] == net
    # (0.00269 x 100 - 0.0019 x 90) t/t x 1,200 t a year = 0.098 x 1,200 = 117.6 t avoided.
    assert result["co2e_avoided_t_per_year"] == "117.600"
    if method == "weighted_co2e":
        assert result["net_basis"] == "energy streams pooled by tCO2e (diesel, natural_gas)"


def test_zero_baseline_and_zero_now_is_no_change() -> None:
    plan = fuel_switch_plan()
    result = verify(plan, month_periods(output=100, diesel=5000, natural_gas=0))
    assert result["improvement"] == {"diesel": 0.5, "natural_gas": 0.0}
    assert result["worse"] == []


def test_no_emission_factor_means_no_co2e() -> None:
    result = verify(water_plan(), water_periods())
    assert result["co2e_avoided_t_per_year"] == "0.000"


def test_baseline_from_periods() -> None:
    # A baseline year of 400 t a month at 25 m3/t water, 400 kWh/t electricity.
    baseline = month_periods(year=2022, output=400, water=10_000, electricity=160_000)
    plan = water_plan(baseline_periods=baseline)
    for ind in plan["indicators"]:
        ind.pop("baseline_quantity"), ind.pop("baseline_output")
    table = plan_table(plan)
    assert list(table["baseline_quantity"]) == [120_000, 1_920_000]
    assert list(table["baseline_output"]) == [4800, 4800]
    assert list(table["baseline_days"]) == [365, 365]
    result = verify(plan, water_periods())
    assert result["indicators"]["water"]["baseline_specific"] == "25.0000"
    assert result["main_improvement"] == 0.64
    assert result["production_change"] == 0.25  # 6,000 against 4,800 t a year


def test_baseline_days_scale_the_baseline_output_to_a_year() -> None:
    # A 181-day baseline of 2,500 t is 2,500 x 365 / 181 = 5,041.436 t a year.
    plan = water_plan()
    for ind in plan["indicators"]:
        ind.update(baseline_quantity=str(int(ind["baseline_quantity"]) // 2),
                   baseline_output="2500", baseline_days=181)
    result = verify(plan, water_periods())
    assert result["baseline_annual_output"] == "5041.436"
    assert result["production_change"] == 0.1901  # 6,000 / 5,041.436 - 1
    assert result["main_improvement"] == 0.55


def test_decimal_strings_and_decimals_are_accepted() -> None:
    from decimal import Decimal
    periods = water_periods(output=Decimal("500.0"), water="4500.00")
    assert verify(water_plan(), periods)["main_improvement"] == 0.55


def test_rounding_helpers() -> None:
    assert significant_text(20.0) == "20.0000"
    assert significant_text(1234.56789) == "1234.57"
    assert significant_text(0.000123456789) == "0.000123457"
    assert significant_text(123456789.0) == "123457000"
    assert significant_text(2.5000005) == "2.50000"
    assert significant_text(0.0) == "0"
    assert significant_text(float("nan")) is None
    assert fixed_text(162.3845) == "162.385"  # half-up on the decimal text, not binary float
    assert fixed_text(None) is None
    assert share(0.123456) == 0.1235 and share(-0.0) == 0.0 and share(float("nan")) is None


def test_unknown_offset_method_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown offset_method 'average'"):
        resolve_settings({"offset_method": "average"})


def test_main_indicator_must_be_in_the_plan() -> None:
    plan = water_plan(main_indicator="steam")
    with pytest.raises(ValueError, match="main indicator 'steam'"):
        verify(plan, water_periods())
