"""Turn the plans and readings tables into aligned numpy arrays for the batch kernel.

Plans: one row per (loan, indicator) with ``loan_id``, ``indicator``, ``is_main``,
``baseline_quantity``, ``baseline_output`` and optionally ``baseline_days`` (365 when absent:
the baseline is a year), ``unit``, ``output_unit``, ``reporting_start``, ``reporting_end``
(the window coverage is measured against; by default first start to last end).

Readings: one row per (loan, period, indicator) with ``loan_id``, ``period`` (an integer that
names the period), ``start`` and ``end`` (dates, both inclusive), ``output``, ``indicator``,
``quantity``. Readings of loans that have no plan are ignored.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

PLAN_COLUMNS = ("loan_id", "indicator", "is_main", "baseline_quantity", "baseline_output")
READING_COLUMNS = ("loan_id", "period", "start", "end", "output", "indicator", "quantity")
NO_DAY = np.iinfo(np.int64).min


def to_days(values: pd.Series | np.ndarray | list) -> np.ndarray:
    """Convert dates to integer days since 1970-01-01, missing ones to ``NO_DAY``."""
    stamps = pd.to_datetime(pd.Series(values) if not isinstance(values, pd.Series) else values)
    days = stamps.to_numpy().astype("datetime64[D]").astype(np.int64)
    # NaT survives the cast as int64 min, which is NO_DAY already.
    return days


def _floats(series: pd.Series) -> np.ndarray:
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


@dataclass
class Plans:
    """Plan rows grouped by loan (loans in first-appearance order, rows in given order)."""

    loan_ids: np.ndarray      # per loan
    loan_start: np.ndarray    # per loan: first plan row
    loan_size: np.ndarray     # per loan: number of plan rows
    main_row: np.ndarray      # per loan: the main indicator's plan row
    window_start: np.ndarray  # per loan: NO_DAY when not fixed by the plan
    window_end: np.ndarray
    output_unit: np.ndarray
    names: list[str]          # indicator names: plan ones first, then unplanned ones
    loan: np.ndarray          # per plan row
    ind: np.ndarray           # per plan row: index into names
    is_main: np.ndarray
    baseline_quantity: np.ndarray
    baseline_output: np.ndarray
    baseline_days: np.ndarray
    unit: np.ndarray

    @property
    def n_loans(self) -> int:
        return len(self.loan_ids)

    @property
    def n_rows(self) -> int:
        return len(self.loan)


def prepare_plans(plans: pd.DataFrame) -> Plans:
    """Check and group the plans table; raise once listing every broken loan."""
    missing = [c for c in PLAN_COLUMNS if c not in plans.columns]
    if missing:
        raise ValueError(f"plans table lacks column(s): {', '.join(missing)}")
    codes, loan_ids = pd.factorize(plans["loan_id"], sort=False)
    if (codes < 0).any():
        raise ValueError("plans table has a row without loan_id")
    order = np.argsort(codes, kind="stable")
    plans = plans.iloc[order].reset_index(drop=True)
    loan = codes[order].astype(np.int64)
    n_loans = len(loan_ids)
    is_main = plans["is_main"].fillna(False).to_numpy(dtype=bool)
    main_count = np.bincount(loan, weights=is_main, minlength=n_loans)
    ind_codes, names = pd.factorize(plans["indicator"].astype("object"), sort=False)
    pair = loan * max(len(names), 1) + ind_codes
    problems = []
    bad = np.flatnonzero(main_count != 1)
    if bad.size:
        problems.append("need exactly one main indicator: loan(s) "
                        + ", ".join(map(str, loan_ids[bad][:10])))
    if (ind_codes < 0).any():
        problems.append("a plan row has no indicator")
    if len(np.unique(pair)) != len(pair):
        problems.append("an indicator appears twice in one loan's plan")
    if problems:
        raise ValueError("invalid plans table: " + "; ".join(problems))

    size = np.bincount(loan, minlength=n_loans)
    start = np.concatenate(([0], np.cumsum(size)[:-1])).astype(np.int64)
    main_row = np.flatnonzero(is_main)  # one per loan, in loan order since rows are grouped
    n = len(plans)

    def optional(col: str, default: object) -> pd.Series:
        return plans[col] if col in plans.columns else pd.Series([default] * n, dtype=object)

    baseline_days = _floats(optional("baseline_days", 365.0))
    baseline_days = np.where(np.isfinite(baseline_days) & (baseline_days > 0), baseline_days, 365.0)
    window_start = to_days(optional("reporting_start", None))[main_row]
    window_end = to_days(optional("reporting_end", None))[main_row]
    return Plans(
        loan_ids=np.asarray(loan_ids), loan_start=start, loan_size=size,
        main_row=main_row, window_start=window_start, window_end=window_end,
        output_unit=optional("output_unit", "").fillna("").astype(str).to_numpy()[main_row],
        names=[str(x) for x in names], loan=loan, ind=ind_codes.astype(np.int64),
        is_main=is_main, baseline_quantity=_floats(plans["baseline_quantity"]),
        baseline_output=_floats(plans["baseline_output"]), baseline_days=baseline_days,
        unit=optional("unit", "").fillna("").astype(str).to_numpy(),
    )


@dataclass
class Readings:
    """Reading rows sorted by (loan, period), with their plan row (-1 when unplanned)."""

    loan: np.ndarray
    period: np.ndarray
    start: np.ndarray
    end: np.ndarray
    output: np.ndarray
    ind: np.ndarray
    quantity: np.ndarray
    plan_row: np.ndarray

    def __len__(self) -> int:
        return len(self.loan)


def prepare_readings(readings: pd.DataFrame, plans: Plans) -> Readings:
    """Align the readings table to the plans and sort it by loan and period."""
    missing = [c for c in READING_COLUMNS if c not in readings.columns]
    if missing:
        raise ValueError(f"readings table lacks column(s): {', '.join(missing)}")
    loan = pd.Index(plans.loan_ids).get_indexer(readings["loan_id"].to_numpy())
    ind_codes, uniques = pd.factorize(readings["indicator"], sort=False)
    for name in map(str, uniques):
        if name not in plans.names:
            plans.names.append(name)  # unplanned indicators get a name so they can be flagged
    lookup_names = pd.Index(plans.names).get_indexer([str(u) for u in uniques])
    ind = np.where(ind_codes >= 0, lookup_names[np.maximum(ind_codes, 0)], -1)
    period_values = pd.to_numeric(readings["period"], errors="coerce")
    if period_values.isna().any():
        raise ValueError("readings table has a row without an integer period")
    period = period_values.to_numpy().astype(np.int64)
    keep = (loan >= 0) & (ind >= 0)
    take = None if keep.all() else np.flatnonzero(keep)

    def col(values: np.ndarray) -> np.ndarray:
        return values if take is None else values[take]

    loan, ind, period = col(loan).astype(np.int64), col(ind).astype(np.int64), col(period)
    start, end = col(to_days(readings["start"])), col(to_days(readings["end"]))
    output, quantity = col(_floats(readings["output"])), col(_floats(readings["quantity"]))

    # Sorting is skipped when the table already comes grouped (the usual case from a query).
    if len(period):
        pmin, span = period.min(), int(period.max() - period.min()) + 1
        if span * max(plans.n_loans, 1) < 2**62:
            key = loan * span + (period - pmin)
            order = None if np.all(key[1:] >= key[:-1]) else np.argsort(key, kind="stable")
        else:
            order = np.lexsort((period, loan))
        if order is not None:
            loan, ind, period = loan[order], ind[order], period[order]
            start, end, output, quantity = start[order], end[order], output[order], quantity[order]
    n_names = len(plans.names)
    lookup = np.full(plans.n_loans * n_names, -1, dtype=np.int64)
    lookup[plans.loan * n_names + plans.ind] = np.arange(plans.n_rows)
    plan_row = lookup[loan * n_names + ind] if len(loan) else np.zeros(0, dtype=np.int64)
    return Readings(loan=loan, period=period, start=start, end=end, output=output, ind=ind,
                    quantity=quantity, plan_row=plan_row)
