"""The benefits module: regression baselines, fit statistics and savings uncertainty."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import given, settings, strategies as st

from creditline.measurement import benefits
from creditline.measurement.baseline_model import (model_settings, regression_batch, regression_model,
                                                    specific_suitability)

SETTINGS = model_settings(None)


def mill_baseline() -> list[dict]:
    """20,000 kWh a month plus 80 kWh/t, around 1,000 t a month, with a little meter noise.

    The noise is symmetric about the middle month, so it is orthogonal to the output and the
    least-squares fit is exactly a = 20,000 and b = 80.
    """
    return [{"output": 1000 + 20 * (i - 5.5), "quantity": 20000 + 80 * (1000 + 20 * (i - 5.5))
             + 200 * (abs(i - 5.5) - 3)} for i in range(12)]


def reporting(per_tonne: float, months: int = 6) -> list[dict]:
    return [{"output": 1500, "quantity": 20000 + per_tonne * 1500} for _ in range(months)]


def test_output_rise_alone_saves_nothing_by_regression_though_specific_falls():
    model = regression_model(mill_baseline(), reporting(80), ["output"], SETTINGS)
    assert model["accepted"], model["failures"]
    assert model["coefficients"] == {"intercept": "20000.0", "output": "80.0000"}
    assert model["improvement"] == 0.0 and model["avoided"] == "0.000"
    specific = benefits.improvement(100.0, benefits.specific_consumption(140000, 1500))
    assert round(float(specific), 4) == 0.0667


def test_variable_cut_is_25_7_percent_by_regression_and_30_7_by_specific():
    model = regression_model(mill_baseline(), reporting(56), ["output"], SETTINGS)
    assert model["improvement"] == 0.2571
    assert model["adjusted_baseline"] == "840000.000" and model["avoided"] == "216000.000"
    assert round(float(benefits.improvement(100.0, 104000 / 1500)), 4) == 0.3067
    assert model["lower_bound"] < model["improvement"]


def test_specific_consumption_is_unsuitable_with_a_large_fixed_share():
    verdict = specific_suitability(mill_baseline(), SETTINGS)
    assert verdict["suitable"] is False and verdict["fixed_share"] == 0.2
    variable_only = [{"output": p["output"], "quantity": 80 * p["output"] + 200 * ((i % 3) - 1)}
                     for i, p in enumerate(mill_baseline())]
    assert specific_suitability(variable_only, SETTINGS)["suitable"] is True


def test_fit_thresholds_each_named():
    noisy = [{"output": p["output"], "quantity": p["quantity"] + (30000 if i % 2 else -30000)}
             for i, p in enumerate(mill_baseline())]
    model = regression_model(noisy, reporting(56), ["output"], SETTINGS)
    assert not model["accepted"]
    text = " ".join(model["failures"])
    assert "R²" in text and "CV(RMSE)" in text and "|t| of output" in text
    short = regression_model(mill_baseline()[:8], reporting(56), ["output"], SETTINGS)
    assert short["failures"] == ["8 baseline months; at least 12 are needed"]
    strict = model_settings({"max_cv_rmse": 0.001})
    assert any("CV(RMSE) 0.4% is over 0.1%" in f
               for f in regression_model(mill_baseline(), reporting(56), ["output"], strict)["failures"])


def test_nmbe_threshold_counts_bias():
    fits = benefits.Fits(coefficients=np.array([[1.0, 1.0]]), t_stats=np.array([[9.0, 9.0]]),
                         n=np.array([12.0]), r2=np.array([0.9]), cv_rmse=np.array([0.05]),
                         nmbe=np.array([0.006]), mean_y=np.array([1.0]))
    assert benefits.fit_failures(fits, SETTINGS, ["output"]) == [["NMBE 0.60% is outside ±0.5%"]]


def test_fractional_savings_uncertainty_worked_example():
    # Guideline 14, monthly, no autocorrelation: n = 12 baseline months, p = 2 (df 10, t = 1.812),
    # CV(RMSE) 5%, m = 12 reporting months, savings 20%:
    # 1.812 * 1.26 * 0.05 * sqrt((12/12) * (1 + 2/12)) / 0.20
    # = 1.812 * 1.26 * 0.05 * 1.0801234 / 0.20 = 0.616513
    assert benefits.t_value_90(10) == 1.812
    assert math.isclose(benefits.savings_uncertainty(0.05, 12, 12, 0.20, benefits.t_value_90(10)),
                        0.616513, abs_tol=5e-7)
    # Six reporting months double n/m: sqrt(2 * 1.1666667) = 1.5275252 -> 0.871881
    assert math.isclose(benefits.savings_uncertainty(0.05, 12, 6, 0.20, 1.812), 0.871881, abs_tol=5e-7)
    assert benefits.t_value_90(35) == 1.697 and benefits.t_value_90(10_000) == 1.645


def test_fit_matches_numpy_lstsq_with_two_drivers():
    rng = np.random.default_rng(7)
    x = np.column_stack([rng.uniform(800, 1200, 24), rng.uniform(0, 300, 24)])
    y = 5000 + 70 * x[:, 0] + 12 * x[:, 1] + rng.normal(0, 500, 24)
    fits = benefits.fit_groups(y, x, np.zeros(24, int), 1)
    design = np.column_stack([np.ones(24), x])
    expected = np.linalg.lstsq(design, y, rcond=None)[0]
    np.testing.assert_allclose(fits.coefficients[0], expected, rtol=1e-9)
    residual = y - design @ expected
    np.testing.assert_allclose(fits.r2[0], 1 - residual @ residual / ((y - y.mean()) @ (y - y.mean())))


point = st.tuples(st.floats(100, 5000), st.floats(-0.1, 0.1))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 50000), st.floats(10, 200), st.lists(point, min_size=13, max_size=18),
                          st.floats(0.4, 1.2)), min_size=1, max_size=5))
def test_batch_equals_single_per_group(groups):
    base_rows, rep_rows, singles = [], [], []
    for g, (fixed, slope, points, cut) in enumerate(groups):
        base = [{"output": o, "quantity": (fixed + slope * o) * (1 + e)} for o, e in points]
        rep = [{"output": o, "quantity": (fixed + slope * cut * o)} for o, _ in points[:6]]
        base_rows += [{"group": g, **b} for b in base]
        rep_rows += [{"group": g, **r} for r in rep]
        singles.append(regression_model(base, rep, ["output"], SETTINGS))
    batch = regression_batch(pd.DataFrame(base_rows), pd.DataFrame(rep_rows), ["output"])
    for g, single in enumerate(singles):
        row = regression_batch(pd.DataFrame([r for r in base_rows if r["group"] == g]),
                               pd.DataFrame([r for r in rep_rows if r["group"] == g]), ["output"]).iloc[0]
        for column in ("improvement", "lower_bound", "r2", "cv_rmse", "coef_output"):
            assert (math.isnan(row[column]) and math.isnan(batch.iloc[g][column])) or \
                math.isclose(batch.iloc[g][column], row[column], rel_tol=1e-9, abs_tol=1e-9)
        if single.get("improvement") is not None:
            assert single["improvement"] == round(float(batch.iloc[g]["improvement"]), 4) + 0.0


def test_rulebook_baseline_model_settings_are_read_and_checked():
    import pytest
    from pathlib import Path

    from creditline.rules.loader import RulebookError, parse_rulebook
    from creditline.measurement.baseline_model import rulebook_settings

    text = Path("rules/gctf-vn.yaml").read_text()
    assert rulebook_settings(parse_rulebook(text).monitoring)["max_cv_rmse"] == 0.15
    for wrong, fragment in (("band_basis: estimate", "band_basis"), ("min_r2: 0.75", "min_r2: -1"),
                            ("min_abs_t: 2.0", "min_abs_t: 2.0\n      max_r2: 1")):
        bad = text.replace(wrong, fragment if "band" not in wrong else "band_basis: median")
        with pytest.raises(RulebookError, match="baseline_model"):
            parse_rulebook(bad)


def test_models_replace_the_specific_figures_and_bands_can_read_the_lower_bound():
    from creditline.measurement.calc import verify
    from creditline.measurement.model_choice import apply_models

    plan = {"main_indicator": "electricity", "output_unit": "t",
            "indicators": [{"stream": "electricity", "unit": "kWh", "baseline_quantity": "1200000",
                            "baseline_output": "12000"},
                           {"stream": "water", "unit": "m3", "baseline_quantity": "12000", "baseline_output": "12000"}]}
    periods = [{"start": f"2024-{m:02d}-01", "end": f"2024-{m:02d}-28", "output": "1500",
                "quantities": {"electricity": str(20000 + 56 * 1500), "water": "1650"}} for m in range(1, 7)]
    result = verify(plan, periods, {"offset_method": "deduct_worse", "max_gap_days": 40, "short_period_days": 20})
    assert result["main_improvement"] == 0.3067 and result["net_improvement"] == 0.2067  # water +10%/t
    model = regression_model(mill_baseline(), reporting(56), ["output"], SETTINGS)
    on_estimate = apply_models(result, {"electricity": model, "water": {"method": "specific", "failures": []}},
                               None, "estimate")
    assert on_estimate["main_improvement"] == 0.2571 and on_estimate["net_improvement"] == 0.1571
    assert on_estimate["band_improvement"] == 0.1571 and on_estimate["indicators"]["electricity"]["method"] == "regression"
    on_bound = apply_models(result, {"electricity": model}, None, "lower_bound")
    assert on_bound["band_improvement"] == round(0.1571 - (model["improvement"] - model["lower_bound"]), 4)
    untouched = apply_models(result, {"electricity": {"method": "specific", "failures": []}}, None, "lower_bound")
    assert untouched["net_improvement"] == 0.2067 and untouched["band_improvement"] == 0.2067
