"""Verify many loans at once over a long table of readings, vectorised with numpy.

The kernel never loops over loans: per-period checks work on period blocks (consecutive rows of
one loan and period), per-indicator sums are ``bincount`` over plan rows, per-loan verdicts are
``reduceat`` over each loan's contiguous plan rows. Python loops only render flag messages and
the per-loan result dicts, and only for what is asked.

The maths (all in float64; rounding happens once, when results are rendered):
- specific consumption = quantity / production output; the reporting figure is the sum of the
  usable periods' quantities over the sum of the same periods' output (ratio of sums, so months
  weigh by their production);
- improvement = 1 - reporting specific / baseline specific, rounded to 4 decimals; undefined
  (None) when the baseline is zero and something is consumed now (a new stream, e.g. natural
  gas after a switch from diesel), 0 when both are zero;
- tCO2e avoided a year = sum over energy streams (those with an emission factor) of
  (baseline specific - reporting specific) x annualised reporting output x factor;
- annualised output = usable output x 365 / usable days.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from creditline.measurement.benefits import specific_consumption
from creditline.measurement.offsets import OffsetInputs, net_improvement
from creditline.measurement.periods import PeriodBlocks, period_blocks
from creditline.measurement.results import BatchResult
from creditline.measurement.sufficiency import FlagTable, day_strings, resolve_settings
from creditline.measurement.tables import (NO_DAY, Plans, Readings, prepare_plans,
                                            prepare_readings)

DAYS_PER_YEAR = 365.0
# Small relative slack so ratios equal in decimal but not in binary are not called outliers.
OUTLIER_TOLERANCE = 1e-9


def verify_batch(readings: pd.DataFrame, plans: pd.DataFrame,
                 settings: Mapping[str, Any] | None = None,
                 emission_factors: Mapping[str, float] | None = None) -> BatchResult:
    """Verify every loan of the plans table against its readings in one vectorised pass."""
    cfg = resolve_settings(settings)
    plan = prepare_plans(plans)
    rows = prepare_readings(readings, plan)
    flags = FlagTable()
    blocks = period_blocks(rows, plan, cfg, flags)
    figures = _indicator_figures(rows, plan, blocks, cfg, flags)
    loans = _loan_verdicts(plan, blocks, figures, cfg, emission_factors or {}, flags)
    flag_frame = flags.frame(blocks.date_pos, np.arange(plan.n_rows))
    blocking = flag_frame.loc[flag_frame["blocking"], "loan"].to_numpy()
    loans["sufficient"] = np.bincount(blocking, minlength=plan.n_loans) == 0
    return BatchResult.build(plan, blocks, figures, loans, flag_frame, cfg)


def _indicator_figures(rows: Readings, plan: Plans, blocks: PeriodBlocks,
                       cfg: dict[str, Any], flags: FlagTable) -> dict[str, np.ndarray]:
    """Sum the usable readings per plan row and derive specific consumption and improvement."""
    n_plan = plan.n_rows
    bor = blocks.block_of_row
    usable_r = blocks.usable[bor]
    out_r = blocks.output[bor]
    planned = rows.plan_row >= 0
    q = rows.quantity
    with np.errstate(invalid="ignore"):
        valid = planned & usable_r & np.isfinite(q) & (q >= 0)
        negative = planned & (q < 0)
    pr = rows.plan_row[valid]
    q_sum = np.bincount(pr, weights=q[valid], minlength=n_plan)
    o_sum = np.bincount(pr, weights=out_r[valid], minlength=n_plan)
    days = np.bincount(pr, weights=blocks.covered_days[bor][valid], minlength=n_plan)
    used = np.bincount(pr, minlength=n_plan)

    names = np.asarray(plan.names, dtype=object)
    flags.add("negative_value", negative, rows.loan, plan_row=rows.plan_row, block=bor,
              period=rows.period, indicator=names[rows.ind], what=names[rows.ind], value=q)
    unplanned = ~planned
    if unplanned.any():
        pairs = np.unique(rows.loan[unplanned] * len(names) + rows.ind[unplanned])
        flags.add("unplanned_indicator", np.ones(len(pairs), bool), pairs // len(names),
                  indicator=names[pairs % len(names)])
    _flag_missing(rows, plan, blocks, flags)

    bq, bo = plan.baseline_quantity, plan.baseline_output
    with np.errstate(invalid="ignore", divide="ignore"):
        base_ok = np.isfinite(bq) & (bq >= 0) & np.isfinite(bo) & (bo > 0)
        bs = np.where(base_ok, specific_consumption(bq, np.where(base_ok, bo, 1.0)), np.nan)
        rs = np.where(o_sum > 0, specific_consumption(q_sum, np.where(o_sum > 0, o_sum, 1.0)), np.nan)
        ratio = rs / np.where(bs > 0, bs, 1.0)
        imp = np.where(bs > 0, 1.0 - ratio, np.where((bs == 0) & (rs == 0), 0.0, np.nan))
        new_stream = (bs == 0) & (rs > 0)
        wdays = blocks.loan_window_days[plan.loan]
        coverage = np.where(wdays > 0, days / np.where(wdays > 0, wdays, 1), 0.0)
    imp = np.round(imp, 4) + 0.0  # + 0.0 turns -0.0 into 0.0
    imp = np.where(plan.is_main & (bs == 0), np.nan, imp)
    coverage = np.clip(coverage, 0.0, 1.0)

    main_zero = plan.is_main & base_ok & (bq == 0)
    why = np.where(main_zero, "the main indicator's baseline consumption is zero",
                   "the baseline quantity or production output is missing or invalid")
    flags.add("invalid_baseline", ~base_ok | main_zero, plan.loan, plan_row=np.arange(n_plan),
              indicator=names[plan.ind], why=why)
    loan_ws, loan_we = blocks.loan_window_start[plan.loan], blocks.loan_window_end[plan.loan]
    has_window = (loan_ws != NO_DAY) & (loan_we != NO_DAY)
    flags.add("low_coverage", coverage < cfg["min_coverage"], plan.loan,
              plan_row=np.arange(n_plan), indicator=names[plan.ind], coverage=coverage,
              limit=cfg["min_coverage"],
              wstart=lambda i: _window_text(loan_ws[i], has_window[i]),
              wend=lambda i: _window_text(loan_we[i], has_window[i]))
    _flag_outliers(rows, plan, blocks, valid & (out_r > 0), cfg, flags)
    return {"baseline_specific": bs, "reporting_specific": rs, "improvement": imp,
            "new_stream": new_stream, "reporting_quantity": q_sum, "reporting_output": o_sum,
            "coverage": coverage, "periods": used}


def _flag_missing(rows: Readings, plan: Plans, blocks: PeriodBlocks, flags: FlagTable) -> None:
    """Flag each planned indicator that has no number in a usable period."""
    n_plan = plan.n_rows
    present_rows = (rows.plan_row >= 0) & ~np.isnan(rows.quantity)
    present = np.bincount(blocks.block_of_row[present_rows], minlength=blocks.n)
    expected = plan.loan_size[blocks.loan]
    short_of = np.flatnonzero(blocks.usable & (present < expected))
    if short_of.size == 0:
        return
    counts = expected[short_of]
    cand_block = np.repeat(short_of, counts)
    offset = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    cand_row = plan.loan_start[blocks.loan[cand_block]] + offset
    in_short = present_rows & np.isin(blocks.block_of_row, short_of)
    have = blocks.block_of_row[in_short] * n_plan + rows.plan_row[in_short]
    missing = ~np.isin(cand_block * n_plan + cand_row, have)
    names = np.asarray(plan.names, dtype=object)
    flags.add("missing_quantity", missing, blocks.loan[cand_block], plan_row=cand_row,
              block=cand_block, indicator=names[plan.ind[cand_row]],
              period=blocks.period[cand_block],
              start=lambda i: day_strings(blocks.start[cand_block[i]]),
              end=lambda i: day_strings(blocks.end[cand_block[i]]))


def _flag_outliers(rows: Readings, plan: Plans, blocks: PeriodBlocks, eligible: np.ndarray,
                   cfg: dict[str, Any], flags: FlagTable) -> None:
    """Flag period specific consumption more than k interquartile ranges above the median."""
    group = rows.plan_row[eligible]
    values = specific_consumption(rows.quantity[eligible], blocks.output[blocks.block_of_row][eligible])
    col = (blocks.block_of_row - blocks.loan_first_block[rows.loan])[eligible]
    q25, med, q75 = group_quantiles(group, col, values, plan.n_rows, (0.25, 0.5, 0.75))
    k = cfg["outlier_iqr"]
    threshold = med + k * (q75 - q25)
    limit = threshold[group]
    outlier = values > limit + OUTLIER_TOLERANCE * np.abs(limit)
    idx = np.flatnonzero(eligible)
    names = np.asarray(plan.names, dtype=object)
    flags.add("outlier", outlier, rows.loan[idx], plan_row=group, block=blocks.block_of_row[idx],
              indicator=names[plan.ind[group]], period=rows.period[idx], value=values,
              unit=lambda i: [f"{plan.unit[g]}/{plan.output_unit[plan.loan[g]]}"
                              for g in group[i]],
              k=k, median=med[group])


def _window_text(days: np.ndarray, known: np.ndarray) -> np.ndarray:
    return np.where(known, day_strings(np.where(known, days, 0)), "?")


def group_quantiles(group: np.ndarray, col: np.ndarray, values: np.ndarray, n_groups: int,
                    qs: tuple[float, ...]) -> list[np.ndarray]:
    """Linear-interpolated quantiles of values per group (NaN for empty groups)."""
    width = int(col.max()) + 1 if col.size else 1
    if n_groups * width <= max(4 * values.size, 1 << 20):
        # Small groups: a padded matrix sorted along rows beats a global two-key sort.
        matrix = np.full((n_groups, width), np.inf)
        matrix[group, col] = values
        matrix.sort(axis=1)
        flat, starts = matrix.ravel(), np.arange(n_groups) * width
    else:
        order = np.lexsort((values, group))
        flat = values[order]
        starts = np.searchsorted(group[order], np.arange(n_groups))
    counts = np.bincount(group, minlength=n_groups)
    out = []
    for q in qs:
        pos = (counts - 1) * q
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, counts - 1)
        lo_v = flat[starts + np.maximum(lo, 0)] if flat.size else np.zeros(n_groups)
        hi_v = flat[starts + np.maximum(hi, 0)] if flat.size else np.zeros(n_groups)
        with np.errstate(invalid="ignore"):
            out.append(np.where(counts > 0, lo_v + (hi_v - lo_v) * (pos - lo), np.nan))
    return out


def _loan_verdicts(plan: Plans, blocks: PeriodBlocks, figures: dict[str, np.ndarray],
                   cfg: dict[str, Any], emission_factors: Mapping[str, float],
                   flags: FlagTable) -> dict[str, np.ndarray]:
    """Derive each loan's production change, net improvement and tCO2e avoided."""
    main = plan.main_row
    with np.errstate(invalid="ignore", divide="ignore"):
        annual = np.where(blocks.loan_days > 0, blocks.loan_output * DAYS_PER_YEAR
                          / np.where(blocks.loan_days > 0, blocks.loan_days, 1), np.nan)
        bo, bdays = plan.baseline_output[main], plan.baseline_days[main]
        baseline_annual = np.where(bo > 0, bo * DAYS_PER_YEAR / bdays, np.nan)
        change = annual / baseline_annual - 1.0
    limit = cfg["max_production_change"]
    loan_idx = np.arange(plan.n_loans)
    common = dict(annual=annual, baseline=baseline_annual, unit=plan.output_unit)
    with np.errstate(invalid="ignore"):
        flags.add("production_up", change > limit, loan_idx, change=change, **common)
        flags.add("production_down", change < -limit, loan_idx, change=-change, **common)

    factor_by_name = np.array([float(emission_factors.get(n, np.nan)) for n in plan.names])
    factor = factor_by_name[plan.ind] if plan.n_rows else np.zeros(0)
    net = net_improvement(OffsetInputs(
        method=cfg["offset_method"], loan_start=plan.loan_start, main_row=main,
        is_main=plan.is_main, improvement=figures["improvement"],
        new_stream=figures["new_stream"], baseline_specific=figures["baseline_specific"],
        reporting_specific=figures["reporting_specific"], factor=factor))
    energy = np.isfinite(factor)
    with np.errstate(invalid="ignore"):
        saved = np.where(energy, factor * (figures["baseline_specific"]
                                           - figures["reporting_specific"]), 0.0)
    co2e = np.add.reduceat(saved, plan.loan_start) * annual if plan.n_rows else np.zeros(0)
    no_energy = np.add.reduceat(energy.astype(np.int64), plan.loan_start) == 0
    co2e = np.where(no_energy, 0.0, co2e)
    return {"main_improvement": figures["improvement"][main], "net_improvement": net,
            "co2e_avoided_t_per_year": co2e, "annual_output": annual,
            "baseline_annual_output": baseline_annual, "production_change": change,
            "emission_factor": factor}
