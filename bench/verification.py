"""Time batch verification of 10,000 loans x 24 monthly periods x 6 indicators.

Then the regression baselines (issue 16): 10,000 loans x 6 indicators, each fitted on 12
baseline months and applied to 36 reporting months, beside today's specific-consumption figures.

Run: ``python bench/verification.py [loans]``. Generation is not timed; the timed part is
``verify_batch`` from the two tables to the three result tables. A sample of loans is then
verified one by one through the single-loan path and must come out identical.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from creditline.measurement.batch import verify_batch  # noqa: E402
from creditline.measurement.calc import verify  # noqa: E402

STREAMS = ["electricity", "natural_gas", "diesel", "water", "chemicals", "solid_waste"]
UNITS = ["kWh", "m3", "L", "m3", "t", "t"]
FACTORS = {"electricity": 0.0006766, "natural_gas": 0.0019, "diesel": 0.00269}
SETTINGS = {"offset_method": "weighted_co2e", "min_periods": 3, "min_coverage": 0.9,
            "max_gap_days": 35, "outlier_iqr": 3.0, "max_production_change": 0.5,
            "short_period_days": 25, "long_period_days": 35}


def generate(n_loans: int, n_periods: int = 24, seed: int = 7) -> tuple[pd.DataFrame,
                                                                          pd.DataFrame]:
    """Make plans and readings with realistic noise and a sprinkling of data problems."""
    rng = np.random.default_rng(seed)
    n_ind = len(STREAMS)
    months = np.arange("2023-01", "2099-01", dtype="datetime64[M]")[:n_periods + 1]
    starts = months[:-1].astype("datetime64[D]")
    ends = months[1:].astype("datetime64[D]") - np.timedelta64(1, "D")

    base_specific = rng.uniform(1, 500, (n_loans, n_ind))
    base_output = rng.uniform(1_000, 50_000, n_loans)
    main = rng.integers(0, n_ind, n_loans)
    plans = pd.DataFrame({
        "loan_id": np.repeat(np.arange(n_loans), n_ind),
        "indicator": pd.Categorical(np.tile(STREAMS, n_loans), categories=STREAMS),
        "unit": np.tile(UNITS, n_loans),
        "output_unit": "t",
        "is_main": (np.arange(n_ind)[None, :] == main[:, None]).ravel(),
        "baseline_quantity": (base_specific * base_output[:, None]).ravel().round(3),
        "baseline_output": np.repeat(base_output.round(3), n_ind),
    })

    gain = rng.uniform(-0.15, 0.7, (n_loans, n_ind))
    growth = rng.uniform(0.8, 1.3, n_loans)
    monthly = base_output[:, None] * growth[:, None] / 12 * rng.normal(1, 0.08,
                                                                       (n_loans, n_periods))
    noise = rng.normal(1, 0.05, (n_loans, n_periods, n_ind))
    quantity = (base_specific * (1 - gain))[:, None, :] * monthly[:, :, None] * noise
    quantity[rng.random(quantity.shape) < 0.0005] *= 8          # meter glitches
    quantity[rng.random(quantity.shape) < 0.001] = np.nan       # blank cells

    n = n_loans * n_periods * n_ind
    readings = pd.DataFrame({
        "loan_id": np.repeat(np.arange(n_loans), n_periods * n_ind),
        "period": np.tile(np.repeat(np.arange(1, n_periods + 1), n_ind), n_loans),
        "start": np.tile(np.repeat(starts, n_ind), n_loans),
        "end": np.tile(np.repeat(ends, n_ind), n_loans),
        "output": np.repeat(monthly.ravel().round(3), n_ind),
        "indicator": pd.Categorical(np.tile(STREAMS, n_loans * n_periods), categories=STREAMS),
        "quantity": quantity.ravel().round(3),
    })
    assert len(readings) == n
    return readings, plans


def plain(loan_id: int, readings: pd.DataFrame, plans: pd.DataFrame) -> tuple[dict, list]:
    """Rebuild one loan's plan and periods as the plain values the service would pass."""
    p = plans[plans["loan_id"] == loan_id]
    plan = {"main_indicator": str(p.loc[p["is_main"], "indicator"].iloc[0]), "output_unit": "t",
            "indicators": [{"stream": str(r.indicator), "unit": r.unit,
                            "baseline_quantity": r.baseline_quantity,
                            "baseline_output": r.baseline_output}
                           for r in p.itertuples()]}
    periods = []
    for period, g in readings[readings["loan_id"] == loan_id].groupby("period", sort=True):
        periods.append({"period": int(period), "start": g["start"].iloc[0].date(),
                        "end": g["end"].iloc[0].date(), "output": g["output"].iloc[0],
                        "quantities": {str(r.indicator): (None if np.isnan(r.quantity)
                                                          else r.quantity)
                                       for r in g.itertuples()}})
    return plan, periods


def main() -> None:
    """Generate, time the batch, check a sample against the single path, print figures."""
    n_loans = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    readings, plans = generate(n_loans)
    verify_batch(readings.head(6 * 24 * 10), plans[plans["loan_id"] < 10], SETTINGS, FACTORS)
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        result = verify_batch(readings, plans, SETTINGS, FACTORS)
        times.append(time.perf_counter() - t0)
    best, median = min(times), sorted(times)[len(times) // 2]
    print(f"loans {n_loans:,}  readings {len(readings):,}")
    print(f"batch verify: best {best:.3f} s, median {median:.3f} s "
          f"({len(readings) / best:,.0f} readings/s)")
    as_text = readings.assign(indicator=readings["indicator"].astype(object))
    t0 = time.perf_counter()
    verify_batch(as_text, plans, SETTINGS, FACTORS)
    print(f"same with the indicator column as plain text (not categorical): "
          f"{time.perf_counter() - t0:.3f} s")
    print(f"flags {len(result.flags):,}: "
          + ", ".join(f"{k} {v}" for k, v in result.flags["code"].value_counts().items()))
    print(f"sufficient {int(result.loans['sufficient'].sum()):,} of {n_loans:,}")

    sample = np.random.default_rng(1).choice(n_loans, size=min(25, n_loans), replace=False)
    t0 = time.perf_counter()
    for loan_id in sample:
        plan, periods = plain(int(loan_id), readings, plans)
        single = verify(plan, periods, SETTINGS, FACTORS)
        batch = result.result(int(loan_id))
        if single != batch:
            raise SystemExit(f"loan {loan_id}: single path differs from batch\n"
                             f"{single}\n{batch}")
    print(f"single path identical on {len(sample)} sampled loans "
          f"({(time.perf_counter() - t0) / len(sample) * 1000:.1f} ms per loan incl. rebuild)")


def regression_tables(n_loans: int, n_base: int = 12, n_rep: int = 36, seed: int = 11
                      ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Baseline and reporting months of every (loan, indicator): a fixed load plus a variable one."""
    rng = np.random.default_rng(seed)
    groups = n_loans * len(STREAMS)
    fixed = rng.uniform(0, 0.4, groups)[:, None]          # the fixed share of a baseline month
    per_unit = rng.uniform(1, 500, groups)[:, None]
    output = rng.uniform(800, 1200, (groups, n_base + n_rep)) * rng.uniform(1, 50, groups)[:, None]
    mean_out = output[:, :n_base].mean(axis=1, keepdims=True)
    output[:, n_base:] *= rng.uniform(0.8, 1.5, groups)[:, None]   # production grows or shrinks after
    gain = np.concatenate([np.zeros((groups, n_base)), np.repeat(rng.uniform(0, 0.6, groups)[:, None], n_rep, 1)], 1)
    quantity = (fixed * per_unit * mean_out + (1 - fixed) * per_unit * output * (1 - gain)) \
        * rng.normal(1, 0.03, output.shape)
    code = np.repeat(np.arange(groups), n_base + n_rep)
    frame = pd.DataFrame({"group": code, "quantity": quantity.ravel(), "output": output.ravel()})
    is_base = np.tile(np.arange(n_base + n_rep) < n_base, groups)
    return frame[is_base].reset_index(drop=True), frame[~is_base].reset_index(drop=True)


def regression_main(n_loans: int) -> None:
    """Time the regression baseline of every loan and indicator beside today's specific path."""
    from creditline.measurement.baseline_model import model_settings, regression_batch, regression_model
    from creditline.measurement.benefits import improvement, specific_consumption

    base, rep = regression_tables(n_loans)
    regression_batch(base.head(120), rep.head(360), ["output"])
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        out = regression_batch(base, rep, ["output"])
        times.append(time.perf_counter() - t0)
    print(f"regression baselines: {len(out):,} loan-indicators, {len(base):,} baseline and {len(rep):,} "
          f"reporting months: best {min(times):.3f} s, median {sorted(times)[1]:.3f} s")
    by_base = base.groupby("group")[["quantity", "output"]].sum()
    by_rep = rep.groupby("group")[["quantity", "output"]].sum()
    specific = improvement(specific_consumption(by_base["quantity"], by_base["output"]),
                           specific_consumption(by_rep["quantity"], by_rep["output"]))
    gap = specific - out["improvement"].to_numpy()
    print(f"improvement by specific consumption less by regression: median {np.median(gap):+.4f}, "
          f"90th percentile {np.quantile(gap, 0.9):+.4f}; fits accepted by Guideline 14 "
          f"{int(((out['r2'] >= 0.75) & (out['cv_rmse'] <= 0.15)).sum()):,} of {len(out):,}")
    settings = model_settings(None)
    sample = np.random.default_rng(2).choice(len(out), size=min(25, len(out)), replace=False)
    for g in sample:
        b = base[base["group"] == g].to_dict("records")
        r = rep[rep["group"] == g].to_dict("records")
        single = regression_model(b, r, ["output"], settings)
        assert single["improvement"] == round(float(out.iloc[g]["improvement"]), 4) + 0.0, g
    print(f"single path agrees with the batch on {len(sample)} sampled loan-indicators")


if __name__ == "__main__":
    main()
    regression_main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
