"""Period blocks: one entry per (loan, period) and the checks that concern periods themselves.

Dates are integer days; a period runs from ``start`` to ``end`` inclusive, so January is
2024-01-01 to 2024-01-31 (31 days) and two months are contiguous when the next starts the day
after the previous ends.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from creditline.measurement.sufficiency import FlagTable, day_strings
from creditline.measurement.tables import NO_DAY, Plans, Readings


@dataclass
class PeriodBlocks:
    """Per-period arrays (blocks sorted by loan then period) and per-loan period totals."""

    n: int
    block_of_row: np.ndarray
    loan: np.ndarray
    period: np.ndarray
    start: np.ndarray
    end: np.ndarray
    output: np.ndarray
    usable: np.ndarray         # counts towards every figure
    covered_days: np.ndarray   # days inside the loan's reporting window
    date_pos: np.ndarray       # position in (loan, start date) order
    loan_first_block: np.ndarray
    loan_window_start: np.ndarray
    loan_window_end: np.ndarray
    loan_window_days: np.ndarray
    loan_output: np.ndarray    # usable output
    loan_days: np.ndarray      # usable days
    loan_periods: np.ndarray   # usable periods


def _group_extreme(ufunc: np.ufunc, values: np.ndarray, groups: np.ndarray, n: int,
                   fill: int) -> np.ndarray:
    out = np.full(n, fill, dtype=np.int64)
    ufunc.at(out, groups, values)
    return out


def _consistency(rows: Readings, first: np.ndarray, length: np.ndarray,
                 n_names: int) -> tuple[np.ndarray, np.ndarray]:
    """Tell which blocks disagree on dates or output, and which repeat an indicator."""
    inconsistent = (np.minimum.reduceat(rows.start, first) != np.maximum.reduceat(rows.start, first))
    inconsistent |= np.minimum.reduceat(rows.end, first) != np.maximum.reduceat(rows.end, first)
    nan_count = np.add.reduceat(np.isnan(rows.output).astype(np.int64), first)
    with np.errstate(invalid="ignore"):
        spread = np.fmin.reduceat(rows.output, first) != np.fmax.reduceat(rows.output, first)
    inconsistent |= (spread & (nan_count == 0)) | ((nan_count > 0) & (nan_count < length))
    if n_names <= 63:
        # One bit per indicator: fewer distinct bits than rows means an indicator repeats.
        bits = np.left_shift(np.uint64(1), rows.ind.astype(np.uint64))
        duplicate = np.bitwise_count(np.bitwise_or.reduceat(bits, first)) < length
    else:
        key = np.sort(np.repeat(np.arange(len(first)), length) * n_names + rows.ind)
        duplicate = np.zeros(len(first), dtype=bool)
        duplicate[key[1:][key[1:] == key[:-1]] // n_names] = True
    return inconsistent, duplicate


def period_blocks(rows: Readings, plan: Plans, cfg: dict[str, Any],
                  flags: FlagTable) -> PeriodBlocks:
    """Group readings into periods, check them, and total the usable ones per loan."""
    n_rows, n_loans = len(rows), plan.n_loans
    is_first = np.ones(n_rows, dtype=bool)
    is_first[1:] = (rows.loan[1:] != rows.loan[:-1]) | (rows.period[1:] != rows.period[:-1])
    first = np.flatnonzero(is_first)
    length = np.diff(np.append(first, n_rows))
    block_of_row = np.cumsum(is_first) - 1
    n = len(first)
    loan, period = rows.loan[first], rows.period[first]
    start, end, output = rows.start[first], rows.end[first], rows.output[first]
    if n:
        inconsistent, duplicate = _consistency(rows, first, length, len(plan.names))
    else:
        inconsistent = duplicate = np.zeros(0, dtype=bool)

    bad = (start == NO_DAY) | (end == NO_DAY) | (end < start)
    days = np.where(bad, 0, end - start + 1)
    short = ~bad & (days < cfg["short_period_days"])
    long_ = ~bad & (days > cfg["long_period_days"])
    dropped = short & cfg["drop_short_periods"]
    with np.errstate(invalid="ignore"):
        no_output, negative, zero = np.isnan(output), output < 0, output == 0
    usable = ~bad & ~dropped & ~no_output & ~negative & ~inconsistent & ~duplicate

    # Date order within each loan; usually the period numbers already follow the calendar.
    good_start = np.where(bad, np.iinfo(np.int64).max, start)
    in_order = np.all((loan[1:] > loan[:-1]) | ((loan[1:] == loan[:-1])
                                                 & (good_start[1:] >= good_start[:-1])))
    by_date = np.arange(n) if in_order else np.lexsort((period, good_start, loan))
    date_pos = np.empty(n, dtype=np.int64)
    date_pos[by_date] = np.arange(n)

    # Gaps and overlaps against the latest end so far within the loan (a running max).
    good = by_date[~bad[by_date]]
    g_loan, g_start, g_end = loan[good], start[good], end[good]
    gap = np.zeros(good.size, dtype=np.int64)
    overlap = np.zeros(good.size, dtype=bool)
    if good.size:
        base = min(g_start.min(), g_end.min()) - 1
        span = int(max(g_start.max(), g_end.max()) - base) + 2
        offset = g_loan * span  # later loans always exceed earlier ones, so one cummax works
        run_end = np.maximum.accumulate(g_end - base + offset) - offset + base
        same_loan = np.zeros(good.size, dtype=bool)
        same_loan[1:] = g_loan[1:] == g_loan[:-1]
        prev_end = np.empty(good.size, dtype=np.int64)
        prev_end[1:] = run_end[:-1]
        prev_end[0] = 0
        gap = np.where(same_loan, g_start - prev_end - 1, 0)
        overlap = same_loan & (g_start <= prev_end)

    # The reporting window is the plan's when fixed, else first start to last end.
    big, small = np.iinfo(np.int64).max, np.iinfo(np.int64).min
    first_day = _group_extreme(np.minimum, g_start, g_loan, n_loans, big)
    last_day = _group_extreme(np.maximum, g_end, g_loan, n_loans, small)
    wstart = np.where(plan.window_start != NO_DAY, plan.window_start,
                      np.where(first_day == big, NO_DAY, first_day))
    wend = np.where(plan.window_end != NO_DAY, plan.window_end,
                    np.where(last_day == small, NO_DAY, last_day))
    has_window = (wstart != NO_DAY) & (wend != NO_DAY)
    wdays = np.where(has_window, wend - wstart + 1, 0).clip(min=0)
    covered = np.minimum(end, wend[loan]) - np.maximum(start, wstart[loan]) + 1
    covered = np.where(bad | ~has_window[loan], 0, covered.clip(min=0))

    loan_periods = np.bincount(loan[usable], minlength=n_loans)
    loan_output = np.bincount(loan[usable], weights=output[usable], minlength=n_loans)
    loan_days = np.bincount(loan[usable], weights=days[usable], minlength=n_loans)

    def dates(idx_of: np.ndarray) -> dict[str, Any]:
        return {"start": lambda i: day_strings(start[idx_of[i]]),
                "end": lambda i: day_strings(end[idx_of[i]])}

    blk = np.arange(n)
    common = dict(block=blk, period=period)
    flags.add("bad_dates", bad, loan, **common)
    flags.add("inconsistent_period", inconsistent, loan, **common)
    flags.add("duplicate_reading", duplicate, loan, **common)
    flags.add("negative_value", negative, loan, what="production output", value=output,
              **common)
    flags.add("period_short", short, loan, days=days, limit=cfg["short_period_days"],
              action="left out" if cfg["drop_short_periods"] else "kept", **dates(blk),
              **common)
    flags.add("period_long", long_, loan, days=days, limit=cfg["long_period_days"],
              **dates(blk), **common)
    flags.add("missing_production", no_output & ~bad, loan, **dates(blk), **common)
    flags.add("zero_production", zero & usable, loan, **dates(blk), **common)
    flags.add("gap_too_long", gap > cfg["max_gap_days"], g_loan, block=good, days=gap,
              period=period[good], limit=cfg["max_gap_days"],
              start=lambda i: day_strings(g_start[i]))
    flags.add("overlapping_periods", overlap, g_loan, block=good, period=period[good],
              **dates(good))
    loans = np.arange(n_loans)
    flags.add("too_few_periods", loan_periods < cfg["min_periods"], loans, n=loan_periods,
              limit=cfg["min_periods"])
    flags.add("no_production", loan_output <= 0, loans)

    loan_first_block = np.searchsorted(loan, np.arange(n_loans)) if n else \
        np.zeros(n_loans, dtype=np.int64)
    return PeriodBlocks(
        n=n, block_of_row=block_of_row, loan=loan, period=period, start=start, end=end,
        output=output, usable=usable, covered_days=covered, date_pos=date_pos,
        loan_first_block=loan_first_block, loan_window_start=wstart, loan_window_end=wend,
        loan_window_days=wdays, loan_output=loan_output, loan_days=loan_days,
        loan_periods=loan_periods)
