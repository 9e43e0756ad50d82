"""Data-sufficiency settings, flag codes and the flag table, in the spirit of CalTRACK.

Every flag is ``{"code", "indicator", "period", "message", "blocking"}``. A verification is
*sufficient* when none of its flags is blocking. A flag blocks when the figures cannot be trusted
as computed (the data are wrong, too thin, or would flatter the result); it informs when the
calculation already handles the case conservatively and a person should just know about it.

Blocking:
- ``too_few_periods``: fewer usable periods than ``min_periods``.
- ``low_coverage``: an indicator's usable days cover less than ``min_coverage`` of the
  reporting window (missing periods, blank cells and dropped periods all count as not covered).
- ``gap_too_long``: more than ``max_gap_days`` without any report between two periods.
- ``overlapping_periods``: a period overlaps an earlier one, so quantities would count twice.
- ``bad_dates``: a start or end date is missing, or the end is before the start.
- ``inconsistent_period``: the readings of one period disagree on its dates or output.
- ``duplicate_reading``: one period carries the same indicator twice.
- ``negative_value``: a negative quantity or output.
- ``no_production``: no usable production output at all, so nothing can be normalised.
- ``invalid_baseline``: an indicator's baseline is missing, or the main indicator's is zero.
- ``production_up``: annualised reporting output (usable output x 365 / usable days) rose by
  more than ``max_production_change`` against the main indicator's baseline output (scaled to
  a year by ``baseline_days``);
  fixed loads spread over more output look like savings, so the comparison needs a verifier's
  non-routine adjustment (IPMVP) before it can carry a grant.

Informative:
- ``production_down``: output fell by more than the limit; fixed loads spread over less output
  make specific consumption look worse, so the computed improvement understates the gain.
- ``period_short``: a period under ``short_period_days`` is dropped from every figure (CalTRACK
  drops short billing periods) unless ``drop_short_periods`` is false, then it is only flagged.
- ``period_long``: a period over ``long_period_days`` is kept and flagged.
- ``outlier``: a period's specific consumption of an indicator is more than ``outlier_iqr``
  interquartile ranges above that indicator's median (above only, as CalTRACK); kept.
- ``missing_production``: a period without output is left out (coverage then decides).
- ``zero_production``: a period with zero output is kept in the sums (consumption without
  output is real and counting it is conservative) and left out of the outlier test.
- ``missing_quantity``: a usable period lacks a reading of a planned indicator; that indicator
  leaves the period out of its sums (coverage then decides).
- ``unplanned_indicator``: readings of an indicator that is not in the plan are ignored.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

OFFSET_METHODS = ("main_only", "min_of_all", "deduct_worse", "weighted_co2e")

DEFAULT_SETTINGS: dict[str, Any] = {
    # The strictest method is the default so a rulebook that forgets to choose cannot overpay.
    "offset_method": "min_of_all",
    "min_periods": 3,
    "min_coverage": 0.9,
    "max_gap_days": 35,
    "outlier_iqr": 3.0,
    "max_production_change": 0.5,
    "short_period_days": 25,
    "long_period_days": 35,
    "drop_short_periods": True,
}

# code -> (blocking, rank used to order flags, message template)
FLAG_CODES: dict[str, tuple[bool, int, str]] = {
    "invalid_baseline": (True, 0, "{indicator}: {why}; the NCPC must fix the baseline first."),
    "no_production": (True, 1, "No usable production output was reported, so consumption "
                               "cannot be normalised."),
    "too_few_periods": (True, 2, "Only {n} usable reporting period(s); at least {limit} are "
                                 "needed."),
    "low_coverage": (True, 3, "{indicator}: usable data cover {coverage:.1%} of the reporting "
                              "window {wstart} to {wend}; at least {limit:.0%} is needed."),
    "gap_too_long": (True, 4, "No report for {days} days before period {period} (starting "
                              "{start}); at most {limit} days are allowed."),
    "overlapping_periods": (True, 5, "Period {period} ({start} to {end}) overlaps an earlier "
                                     "period, so its quantities would count twice."),
    "bad_dates": (True, 6, "Period {period} has a missing start or end date, or ends before "
                           "it starts."),
    "inconsistent_period": (True, 7, "The readings of period {period} disagree on its dates "
                                     "or production output."),
    "duplicate_reading": (True, 8, "Period {period} carries the same indicator more than "
                                   "once."),
    "negative_value": (True, 9, "Period {period}: {what} is negative ({value:g})."),
    "production_up": (True, 10, "Production is {change:.0%} above the baseline ({annual:,.0f} "
                                "against {baseline:,.0f} {unit} a year); the comparison is "
                                "doubtful and needs a verifier's adjustment."),
    "production_down": (False, 11, "Production is {change:.0%} below the baseline "
                                   "({annual:,.0f} against {baseline:,.0f} {unit} a year); the "
                                   "improvement is likely understated."),
    "period_short": (False, 12, "Period {period} ({start} to {end}) lasts {days} days, under "
                                "{limit}: {action}."),
    "period_long": (False, 13, "Period {period} ({start} to {end}) lasts {days} days, over "
                               "{limit}: kept, check the meter readings."),
    "missing_production": (False, 14, "Period {period} ({start} to {end}) has no production "
                                      "output: left out."),
    "zero_production": (False, 15, "Period {period} ({start} to {end}) has zero production "
                                   "output: its consumption still counts."),
    "missing_quantity": (False, 16, "{indicator}: no reading in period {period} ({start} to "
                                    "{end}): left out for this indicator."),
    "outlier": (False, 17, "{indicator} in period {period}: {value:.6g} {unit} is more than "
                           "{k:g} interquartile ranges above the median ({median:.6g})."),
    "unplanned_indicator": (False, 18, "Readings of {indicator}, which is not in the monitoring "
                                       "plan, were ignored."),
}

FLAG_COLUMNS = ["loan", "code", "indicator", "period", "plan_row", "block", "blocking", "rank",
                "message"]


def resolve_settings(settings: Mapping[str, Any] | None) -> dict[str, Any]:
    """Merge rulebook settings over the defaults and reject what cannot be honoured."""
    merged = {**DEFAULT_SETTINGS, **(settings or {})}
    if merged["offset_method"] not in OFFSET_METHODS:
        raise ValueError(f"unknown offset_method {merged['offset_method']!r}; "
                         f"expected one of {', '.join(OFFSET_METHODS)}")
    for key in ("min_periods", "max_gap_days", "short_period_days", "long_period_days"):
        merged[key] = int(merged[key])
    for key in ("min_coverage", "outlier_iqr", "max_production_change"):
        merged[key] = float(merged[key])
    merged["drop_short_periods"] = bool(merged["drop_short_periods"])
    return merged


def day_strings(days: np.ndarray) -> np.ndarray:
    """Turn integer days since 1970-01-01 into ISO date strings."""
    return np.datetime_as_string(np.asarray(days, dtype="int64").astype("datetime64[D]"))


def _position(index: np.ndarray, order: np.ndarray) -> np.ndarray:
    if order.size == 0:
        return np.full(index.size, -1, dtype=np.int64)
    return np.where(index >= 0, order[np.clip(index, 0, order.size - 1)], -1)


class FlagTable:
    """Collect flags as arrays, check by check, and render them once."""

    def __init__(self) -> None:
        self._parts: list[pd.DataFrame] = []

    def add(self, code: str, mask: np.ndarray, loan: np.ndarray, *,
            plan_row: np.ndarray | int = -1, block: np.ndarray | int = -1,
            **fields: Any) -> None:
        """Add one flag per true entry of ``mask``; array fields are filtered by it too."""
        mask = np.asarray(mask, dtype=bool)
        idx = np.flatnonzero(mask)
        if idx.size == 0:
            return
        blocking, rank, template = FLAG_CODES[code]

        def pick(value: Any) -> Any:
            return value[idx] if isinstance(value, np.ndarray) and value.shape == mask.shape \
                else value

        # A callable field renders only the flagged entries (e.g. dates to text).
        columns = {name: np.asarray(value(idx)) if callable(value) else pick(value)
                   for name, value in fields.items()}
        messages = [
            template.format(**{k: (v[i] if isinstance(v, np.ndarray) else v)
                               for k, v in columns.items()})
            for i in range(idx.size)
        ]
        n = idx.size
        self._parts.append(pd.DataFrame({
            "loan": np.broadcast_to(pick(loan), n).astype("int64"),
            "code": code,
            "indicator": np.broadcast_to(np.asarray(columns.get("indicator"), dtype=object), n),
            "period": np.broadcast_to(np.asarray(columns.get("period"), dtype=object), n),
            "plan_row": np.broadcast_to(pick(np.asarray(plan_row)), n).astype("int64"),
            "block": np.broadcast_to(pick(np.asarray(block)), n).astype("int64"),
            "blocking": blocking,
            "rank": rank,
            "message": messages,
        }))

    def frame(self, block_order: np.ndarray, plan_order: np.ndarray) -> pd.DataFrame:
        """Return every flag ordered by loan, check, period (in date order) and plan row."""
        if not self._parts:
            return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(
                FLAG_COLUMNS, ["int64", "object", "object", "object", "int64", "int64", "bool", "int64",
                              "object"])})
        flags = pd.concat(self._parts, ignore_index=True)
        block = flags["block"].to_numpy()
        plan_row = flags["plan_row"].to_numpy()
        # Sort on positions, not codes, so a loan's flags come out the same alone or in a batch.
        by_date = _position(block, block_order)
        by_plan = _position(plan_row, plan_order)
        order = np.lexsort((by_plan, by_date, flags["rank"].to_numpy(), flags["loan"].to_numpy()))
        return flags.iloc[order].reset_index(drop=True)
