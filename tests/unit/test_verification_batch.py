"""The batch path: table contract, order independence, and batch == single over random data."""
from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from creditline.measurement.batch import group_quantiles, verify_batch
from creditline.measurement.calc import batch_tables, verify
from creditline.measurement.sufficiency import OFFSET_METHODS
from tests.unit.verification_data import month_periods, water_periods, water_plan

FACTORS = {"electricity": 0.0006766, "natural_gas": 0.0019, "diesel": 0.00269}


def three_loans() -> list[tuple[Any, dict, list]]:
    """Three loans with different outcomes: clean, electricity worse, too few periods."""
    return [(101, water_plan(), water_periods()),
            (102, water_plan(), water_periods(electricity=220_000)),
            (103, water_plan(), water_periods()[:2])]


def test_batch_equals_single_per_loan() -> None:
    loans = three_loans()
    result = verify_batch(*batch_tables(loans), {"offset_method": "deduct_worse"}, FACTORS)
    assert result.loan_ids() == [101, 102, 103]
    for loan_id, plan, periods in loans:
        single = verify(plan, periods, {"offset_method": "deduct_worse"}, FACTORS)
        assert result.result(loan_id) == single
    assert list(result.loans["net_improvement"]) == [0.55, 0.45, 0.55]
    assert list(result.loans["sufficient"]) == [True, True, False]
    assert list(result.flags["code"]) == ["too_few_periods"]
    assert list(result.flags["loan_id"]) == [103]


def test_tables_have_one_row_per_loan_and_indicator() -> None:
    result = verify_batch(*batch_tables(three_loans()))
    assert list(result.indicators.columns[:4]) == ["loan_id", "indicator", "unit", "is_main"]
    assert len(result.indicators) == 6 and len(result.loans) == 3
    assert result.indicators["improvement"].tolist() == [0.55, 0.0, 0.55, -0.1, 0.55, 0.0]


def test_row_order_does_not_matter() -> None:
    readings, plans = batch_tables(three_loans())
    expected = verify_batch(readings, plans).results()
    shuffled = readings.sample(frac=1.0, random_state=3).reset_index(drop=True)
    assert verify_batch(shuffled, plans).results() == expected


def test_indicator_column_may_be_categorical() -> None:
    readings, plans = batch_tables(three_loans())
    expected = verify_batch(readings, plans).results()
    readings["indicator"] = readings["indicator"].astype("category")
    plans["indicator"] = plans["indicator"].astype("category")
    assert verify_batch(readings, plans).results() == expected


def test_loan_without_readings_is_flagged_and_stray_readings_ignored() -> None:
    readings, plans = batch_tables(three_loans())
    extra = plans[plans["loan_id"] == 101].assign(loan_id=104)
    stray = readings[readings["loan_id"] == 101].assign(loan_id=999)
    result = verify_batch(pd.concat([readings, stray]), pd.concat([plans, extra]))
    lonely = result.result(104)
    assert {f["code"] for f in lonely["sufficiency"]} == {"too_few_periods", "no_production",
                                                           "low_coverage"}
    assert lonely["main_improvement"] is None and lonely["window"]["start"] is None
    assert 999 not in result.loan_ids()


def test_inconsistent_and_duplicate_periods_block() -> None:
    readings, plans = batch_tables(three_loans()[:1])
    readings.loc[0, "output"] = 499                  # period 1's water row disagrees
    readings = pd.concat([readings, readings.iloc[[4]]], ignore_index=True)  # period 3 twice
    result = verify_batch(readings, plans).result(101)
    found = [(f["code"], f["period"]) for f in result["sufficiency"]]
    assert ("inconsistent_period", 1) in found and ("duplicate_reading", 3) in found
    assert result["sufficient"] is False


@pytest.mark.parametrize("change, problem", [
    (lambda p: p.assign(is_main=False), "exactly one main indicator"),
    (lambda p: pd.concat([p, p.iloc[[0]]]), "appears twice"),
    (lambda p: p.drop(columns="baseline_output"), "lacks column(s): baseline_output"),
])
def test_broken_plans_table_is_refused(change: Any, problem: str) -> None:
    readings, plans = batch_tables(three_loans())
    with pytest.raises(ValueError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        verify_batch(readings, change(plans))


def test_group_quantiles_match_numpy_on_both_paths() -> None:
    rng = np.random.default_rng(5)
    group = np.repeat(np.arange(50), rng.integers(1, 30, 50))
    col = np.concatenate([np.arange(n) for n in np.bincount(group)])
    values = rng.random(group.size) * 100
    qs = (0.25, 0.5, 0.75)
    expected = [np.array([np.quantile(values[group == g], q) for g in range(50)]) for q in qs]
    matrix = group_quantiles(group, col, values, 50, qs)
    wide = group_quantiles(group, col + 10**6, values, 50, qs)  # too wide: the sort path
    for got in (matrix, wide):
        for a, b in zip(got, expected):
            np.testing.assert_allclose(a, b, rtol=1e-12)
    for a, b in zip(matrix, wide):
        assert np.array_equal(a, b)


# ---- property: batch == single over random plans and readings -------------------------------

STREAMS = ["water", "electricity", "natural_gas", "diesel"]
amounts = st.one_of(st.none(), st.just(0), st.integers(-5, 10**6),
                    st.floats(0, 1e6, allow_nan=False).map(lambda x: round(x, 3)))


@st.composite
def loan_data(draw: st.DrawFn) -> tuple[dict, list]:
    """Draw one loan's plan and periods, including awkward data."""
    streams = draw(st.lists(st.sampled_from(STREAMS), min_size=1, max_size=4, unique=True))
    main = draw(st.sampled_from(streams))
    plan = {"main_indicator": main, "output_unit": "t", "indicators": [
        {"stream": s, "unit": "u", "baseline_quantity": draw(amounts),
         "baseline_output": draw(st.one_of(st.integers(1, 10**5), amounts))} for s in streams]}
    if draw(st.booleans()):
        plan["reporting_start"], plan["reporting_end"] = "2023-01-01", "2023-12-31"
    periods, day = [], dt.date(2023, 1, 1)
    for _ in range(draw(st.integers(0, 14))):
        day += dt.timedelta(days=draw(st.sampled_from([0, 0, 0, 3, 40, -5])))
        length = draw(st.sampled_from([31, 30, 28, 20, 25, 36, 40]))
        end = day + dt.timedelta(days=length - 1)
        quantities = {s: draw(amounts) for s in streams if draw(st.integers(0, 9))}
        if draw(st.integers(0, 9)) == 0:
            quantities["lpg"] = 1
        periods.append({"start": day, "end": end, "output": draw(amounts),
                        "quantities": quantities})
        day = end + dt.timedelta(days=1)
    return plan, periods


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(loans=st.lists(loan_data(), min_size=1, max_size=4),
       method=st.sampled_from(OFFSET_METHODS), shuffle=st.randoms(use_true_random=False))
def test_batch_equals_single_over_random_loans(loans: list, method: str, shuffle: Any) -> None:
    settings_ = {"offset_method": method}
    readings, plans = batch_tables((i, plan, periods) for i, (plan, periods) in enumerate(loans))
    order = list(range(len(readings)))
    shuffle.shuffle(order)
    result = verify_batch(readings.iloc[order], plans, settings_, FACTORS)
    for i, (plan, periods) in enumerate(loans):
        assert result.result(i) == verify(plan, periods, settings_, FACTORS)


def test_year_of_months_helper_is_contiguous() -> None:
    periods = month_periods(year=2024, months=13)
    assert periods[1]["start"] == dt.date(2024, 2, 1) and periods[1]["end"] == dt.date(2024, 2, 29)
    assert periods[12]["start"] == dt.date(2025, 1, 1)
