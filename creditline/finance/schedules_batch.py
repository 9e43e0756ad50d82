"""Repayment schedules for many loans at once, vectorised with numpy in integer cents.

Same rules as :func:`creditline.finance.schedules.build_schedule`, and the same step: each
period is :func:`~creditline.finance.schedules.period_cents`, the one kernel the loan's own
schedule runs with Python ints, here on int64 arrays (exact: see there). The loop runs over
period numbers, not loans: loans are sorted longest first so the loans still repaying at
period t are a prefix of the arrays, and each step is a handful of array operations on that
prefix.
"""
from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd

from creditline.finance.money import cents_to_money, to_decimal
from creditline.finance.array_ops import ARRAY
from creditline.finance.schedules import (FREQUENCIES, MAX_PRINCIPAL, METHODS, RATE_SCALE,
                                          Installment, annuity_payment_cents,
                                          check_first_interest, period_cents, validate_terms)

COLUMNS = ("principal", "annual_rate", "tenor_months", "grace_months", "frequency", "method",
           "start")
OPTIONAL = {"fee": 0}
# Optional: the first installment's interest (as ``build_schedule(first_interest=...)``);
# missing or NaN means the usual full-period interest.
FIRST_INTEREST = "first_interest"
MONEY_COLUMNS = ("principal_cents", "interest_cents", "fee_cents", "total_cents",
                 "balance_after_cents")
MAX_PRINCIPAL_CENTS = int(MAX_PRINCIPAL) * 100


def _scaled(values: np.ndarray, scale: int) -> tuple[np.ndarray, np.ndarray]:
    """``values x scale`` as exact int64 and a mask of values that are not whole at that scale.

    Floats take a fast path when they are provably the float nearest to k / scale (then the
    scalar path's ``to_decimal`` reads the same k); anything else goes through Decimal.
    """
    out = np.zeros(len(values), dtype=np.int64)
    bad = np.zeros(len(values), dtype=bool)
    if values.dtype.kind in "iu":
        return values.astype(np.int64) * scale, bad
    rest = np.ones(len(values), dtype=bool)
    if values.dtype.kind == "f":
        x = values.astype(np.float64)
        with np.errstate(invalid="ignore", over="ignore"):
            k = np.round(x * scale)
            ok = np.isfinite(x) & (np.abs(x) < 2.0**53 / scale) & (k / scale == x)
        out[ok] = k[ok].astype(np.int64)
        rest = ~ok
    for i in np.flatnonzero(rest):
        try:
            d = to_decimal(values[i]) * scale
        except (ValueError, TypeError):
            bad[i] = True
            continue
        if d.is_finite() and d == d.to_integral_value() and abs(d) < 2**62:
            out[i] = int(d)
        else:
            bad[i] = True
    return out, bad


def _whole(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Whole numbers as int64 and a mask of the values that are not whole numbers."""
    if values.dtype.kind in "iu":
        return values.astype(np.int64), np.zeros(len(values), dtype=bool)
    x = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(np.float64, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(x) | (x != np.round(x)) | (np.abs(x) > 2**31)
    return np.where(bad, 0, x).astype(np.int64), bad


def _prepare(df: pd.DataFrame) -> dict[str, np.ndarray]:
    """Convert and validate the loans table; a bad row raises the scalar path's message."""
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"loans table lacks column(s): {', '.join(missing)}")
    principal, bad_p = _scaled(df["principal"].to_numpy(), 100)
    rate, bad_r = _scaled(df["annual_rate"].to_numpy(), RATE_SCALE)
    fee_col = df["fee"] if "fee" in df.columns else pd.Series(OPTIONAL["fee"], index=df.index)
    fee, bad_f = _scaled(fee_col.to_numpy(), 100)
    first, bad_i = _first_interest(df)
    tenor, bad_t = _whole(df["tenor_months"].to_numpy())
    grace, bad_g = _whole(df["grace_months"].to_numpy())
    step = df["frequency"].map(FREQUENCIES).astype("float64").to_numpy()
    bad_s = np.isnan(step)
    step = np.where(bad_s, 1, step).astype(np.int64)
    method = df["method"].astype(object).to_numpy()
    annuity = method == "annuity"
    bad_m = ~(annuity | (method == METHODS[1]))
    start = pd.to_datetime(df["start"], errors="coerce")
    bad_d = start.isna().to_numpy()
    start_day = start.to_numpy().astype("datetime64[D]")
    bad = (bad_p | bad_r | bad_f | bad_i | bad_t | bad_g | bad_s | bad_m | bad_d
           | (principal <= 0) | (principal > MAX_PRINCIPAL_CENTS)
           | (rate < 0) | (rate >= RATE_SCALE) | (fee < 0)
           | (tenor <= 0) | (tenor % step != 0) | (grace < 0) | (grace % step != 0)
           | (grace >= tenor))
    if bad.any():
        _raise_for_row(df, int(np.flatnonzero(bad)[0]), fee_col)
    return {"principal": principal, "rate": rate, "fee": fee, "step": step,
            "periods": tenor // step, "grace": grace // step, "annuity": annuity,
            "start": start_day, "first_interest": first}


def _first_interest(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """First-installment interest in cents, -1 where the row leaves it to the schedule."""
    if FIRST_INTEREST not in df.columns:
        return np.full(len(df), -1, dtype=np.int64), np.zeros(len(df), dtype=bool)
    col = df[FIRST_INTEREST]
    given = col.notna().to_numpy()
    cents, bad = _scaled(col.where(col.notna(), 0).to_numpy(), 100)
    bad |= given & (cents < 0)
    return np.where(given, cents, -1), bad


def _raise_for_row(df: pd.DataFrame, i: int, fee_col: pd.Series) -> None:
    """Re-run the scalar validation on one row so the batch refuses it in the same words."""
    def plain(value: Any) -> Any:
        # Messages should read "got 10", not "got np.int64(10)".
        if isinstance(value, pd.Timestamp):
            return value.to_pydatetime()
        return value.item() if isinstance(value, np.generic) else value

    row = {c: plain(df[c].iloc[i]) for c in COLUMNS}
    label = plain(df.index[i])
    try:
        validate_terms(row["principal"], row["annual_rate"], row["tenor_months"],
                       row["grace_months"], row["frequency"], row["method"], row["start"],
                       plain(fee_col.iloc[i]))
        if FIRST_INTEREST in df.columns and pd.notna(df[FIRST_INTEREST].iloc[i]):
            check_first_interest(plain(df[FIRST_INTEREST].iloc[i]))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"loan {label!r}: {exc}") from exc
    raise ValueError(f"loan {label!r}: the loan terms cannot be scheduled")


def _due_dates(start: np.ndarray, loan_of_row: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Due dates as datetime64[s]: each row's loan start plus ``months``, clamped to month end.

    numpy's calendar conversions are slow per element, so they run only once per loan and
    once per distinct month; the rows get integer arithmetic and table look-ups.
    """
    start_month = start.astype("datetime64[M]")
    day = (start - start_month.astype("datetime64[D]")).astype(np.int64)
    month = start_month.astype(np.int64)[loan_of_row] + months
    low = int(month.min()) if len(month) else 0
    table = np.arange(low, (int(month.max()) if len(month) else 0) + 2).astype("datetime64[M]")
    first = table.astype("datetime64[D]").astype(np.int64)
    idx = month - low
    length = first[idx + 1] - first[idx]
    days = first[idx] + np.minimum(day[loan_of_row], length - 1)
    return (days * 86_400).astype("datetime64[s]")


def _kernel(loans: dict[str, np.ndarray], offset: np.ndarray, out_p: np.ndarray,
            out_i: np.ndarray, out_b: np.ndarray) -> None:
    """Fill principal, interest and balance-after cents for every installment row."""
    periods, grace, annuity = loans["periods"], loans["grace"], loans["annuity"]
    principal, rate = loans["principal"], loans["rate"]
    ppy = 12 // loans["step"]
    amortizing = periods - grace
    level = (2 * principal + amortizing) // (2 * amortizing)  # equal-principal step, half-up
    if annuity.any():
        level[annuity] = annuity_payment_cents(principal[annuity], rate[annuity] / RATE_SCALE,
                                               ppy[annuity], amortizing[annuity])

    order = np.argsort(-periods, kind="stable")
    n_s, g_s, ann_s = periods[order], grace[order], annuity[order]
    r_s, lev_s, off_s = rate[order], level[order], offset[order]
    first_s = loans["first_interest"][order]
    d_s = RATE_SCALE * ppy[order]
    bal = principal[order].copy()
    active = np.searchsorted(-n_s, -np.arange(int(n_s[0]) if len(n_s) else 0), side="left")

    for t, k in enumerate(active):
        b = bal[:k]
        part, interest = period_cents(ARRAY, b, r_s[:k], d_s[:k], lev_s[:k], ann_s[:k], g_s[:k] > t, n_s[:k] == t + 1,
                                      first_s[:k] if t == 0 else None)
        b -= part  # b is a view: this updates bal
        rows = off_s[:k] + t
        out_p[rows] = part
        out_i[rows] = interest
        out_b[rows] = b


def build_schedules(df: pd.DataFrame) -> pd.DataFrame:
    """Build every loan's schedule; one row per installment, amounts in integer cents.

    Input columns: ``principal, annual_rate, tenor_months, grace_months, frequency, method,
    start`` and optionally ``fee`` (per installment, default 0) and ``first_interest`` (money,
    NaN for none). Output columns: ``loan`` (the input row's index label), ``number``, ``due_date``, then ``principal_cents,
    interest_cents, fee_cents, total_cents, balance_after_cents`` (int64), ordered by input
    row then number. Cents keep a few million rows cheap; :func:`installments` turns one
    loan's rows back into :class:`~creditline.finance.schedules.Installment` objects.
    """
    loans = _prepare(df)
    periods = loans["periods"]
    n_rows = int(periods.sum())
    offset = np.cumsum(periods) - periods
    # One (columns x rows) block, filled in place, becomes the frame's int64 block without
    # the copy pandas makes when it consolidates separate column arrays (half the run time).
    block = np.empty((len(MONEY_COLUMNS) + 1, n_rows), dtype=np.int64)
    number, principal, interest, fee, total, balance = block
    _kernel(loans, offset, principal, interest, balance)
    loan_of_row = np.repeat(np.arange(len(df)), periods)
    np.subtract(np.arange(1, n_rows + 1), offset[loan_of_row], out=number)
    np.take(loans["fee"], loan_of_row, out=fee)
    np.add(principal, interest, out=total)
    total += fee
    frame = pd.DataFrame(block.T, columns=["number", *MONEY_COLUMNS], copy=False)
    frame.insert(0, "loan", df.index.to_numpy()[loan_of_row])
    frame.insert(2, "due_date", _due_dates(loans["start"], loan_of_row,
                                           number * loans["step"][loan_of_row]))
    return frame


def installments(schedules: pd.DataFrame, loan: Hashable) -> list[Installment]:
    """One loan's rows of a :func:`build_schedules` result as Installment objects."""
    rows = schedules[schedules["loan"] == loan]
    money: dict[str, Any] = {c: rows[c].to_numpy() for c in MONEY_COLUMNS}
    return [Installment(int(n), pd.Timestamp(d).date(),
                        *(cents_to_money(int(money[c][j])) for c in MONEY_COLUMNS))
            for j, (n, d) in enumerate(zip(rows["number"], rows["due_date"]))]
