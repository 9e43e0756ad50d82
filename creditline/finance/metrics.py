"""Economic metrics of a cleaner-production investment, vectorised over many proposals.

A proposal's cash flows are level: the investment at year 0, then the same net saving (annual
savings less extra operating cost) every year of the economic life. That lets every metric be
computed in closed form, with a per-row solver or year by year over numpy arrays, so 100,000 proposals take
milliseconds and a proposal alone gives exactly what it gives inside a batch.

Powers of (1 + rate) over whole years are taken by repeated squaring (:func:`power`), not with
``**``: numpy's vectorised ``pow`` and the C library's differ in the last bit for a few percent
of inputs, and :mod:`.metrics_one` (the same maths over one proposal's floats, for the what-if)
must give the very same figures. A property test holds the two to equality.

Amounts here are float64 analysis figures; whatever is shown or stored passes through
``money.to_money``. Ledger amounts (loans, grants) never come from these floats.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

IRR_TOL = 1e-10
IRR_MAX_ITER = 60
_LOW, _HIGH = -0.9999, 100.0
MAX_SQUARING = 1024  # whole exponents up to this go by repeated squaring; others use ``**``


def power(base: np.ndarray | float, exponent: np.ndarray | float) -> np.ndarray:
    """``base ** exponent``, by repeated squaring where the exponent is a whole number (see above)."""
    base, exponent = np.broadcast_arrays(np.asarray(base, dtype=float), np.asarray(exponent, dtype=float))
    with np.errstate(all="ignore"):
        whole = (exponent == np.floor(exponent)) & (np.abs(exponent) <= MAX_SQUARING)
        k = np.where(whole, np.abs(exponent), 0).astype(np.int64)
        result, b = np.ones(base.shape), base.copy()
        while k.any():
            np.multiply(result, b, out=result, where=(k & 1).astype(bool))
            b *= b
            k >>= 1
        result = np.where(exponent < 0, 1.0 / result, result)
        return result if whole.all() else np.where(whole, result, base ** exponent)


def _annuity_factor(rate: np.ndarray, years: np.ndarray) -> np.ndarray:
    """Present value of 1 a year for ``years`` years (what ``-npf.pv(rate, years, 1)`` computes)."""
    with np.errstate(all="ignore"):
        temp = power(1.0 + rate, years)
        return np.where(rate == 0, years, (temp - 1.0) / rate) / temp


def _npv_at(rate: np.ndarray, years: np.ndarray, net: np.ndarray, investment: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        small = np.abs(rate) < 1e-12
        safe = np.where(small, 1.0, rate)
        factor = np.where(small, years, (1.0 - 1.0 / power(1.0 + safe, years)) / safe)
    return net * factor - investment


def level_irr(investment: np.ndarray, net: np.ndarray, years: np.ndarray) -> np.ndarray:
    """IRR of -investment followed by ``years`` equal net flows; NaN when there is none.

    numpy-financial's ``rate`` solves the same equation but stops only when every row has
    converged and then answers NaN for all of them, so one odd proposal would blank a batch.
    This is the same Newton step applied per row, with each row frozen as soon as it
    converges, and bisection for rows Newton cannot settle: a row's answer never depends on
    the other rows.
    """
    investment, net, years = (np.asarray(a, dtype=float) for a in (investment, net, years))
    out = np.full(investment.shape, np.nan)
    exists = (investment > 0) & (net > 0) & (years >= 1)
    if not exists.any():
        return out
    inv, cf, n = investment[exists], net[exists], years[exists]
    # Start from the perpetuity yield shrunk by the life: close enough for Newton in most rows.
    done = np.zeros(cf.shape, dtype=bool)
    with np.errstate(all="ignore"):
        r = np.clip(cf / inv - 1.0 / n, -0.5, 10.0)
        for _ in range(IRR_MAX_ITER):
            active = ~done
            if not active.any():
                break
            ra, ia, ca, na = r[active], inv[active], cf[active], n[active]
            f = _npv_at(ra, na, ca, ia)
            h = 1e-7 * np.maximum(1.0, np.abs(ra))
            slope = (_npv_at(ra + h, na, ca, ia) - f) / h
            step = f / slope
            nxt = ra - step
            bad = ~np.isfinite(nxt) | (nxt <= _LOW) | (nxt > _HIGH)
            nxt = np.where(bad, np.nan, nxt)
            idx = np.flatnonzero(active)
            r[idx] = nxt
            converged = np.abs(step) < IRR_TOL
            done[idx[converged | bad]] = True
    failed = ~np.isfinite(r)
    if failed.any():
        r[failed] = _bisect_irr(inv[failed], cf[failed], n[failed])
    out[exists] = r
    return out


def _bisect_irr(inv: np.ndarray, cf: np.ndarray, n: np.ndarray) -> np.ndarray:
    lo = np.full(inv.shape, _LOW)
    hi = np.full(inv.shape, _HIGH)
    with np.errstate(all="ignore"):
        for _ in range(200):
            mid = (lo + hi) / 2
            positive = _npv_at(mid, n, cf, inv) > 0
            lo = np.where(positive, mid, lo)
            hi = np.where(positive, hi, mid)
    return (lo + hi) / 2


@dataclass(frozen=True)
class EconomicMetrics:
    """Arrays, one value per proposal; NaN where a metric does not exist (no payback)."""

    npv: np.ndarray
    irr: np.ndarray
    simple_payback_years: np.ndarray
    discounted_payback_years: np.ndarray
    benefit_cost_ratio: np.ndarray


def economic_metrics(investment: np.ndarray, annual_savings: np.ndarray, extra_cost: np.ndarray,
                     years: np.ndarray, discount_rate: float) -> EconomicMetrics:
    """NPV at the discount rate, IRR, simple and discounted payback, benefit-cost ratio."""
    investment, annual_savings, extra_cost, years = (
        np.asarray(a, dtype=float) for a in (investment, annual_savings, extra_cost, years))
    rate = np.full(investment.shape, float(discount_rate))
    factor = _annuity_factor(rate, years)
    with np.errstate(all="ignore"):
        net = annual_savings - extra_cost
        npv = net * factor - investment
        simple = np.where(net > 0, investment / net, np.nan)
        discounted = discounted_payback(investment, net, years, rate)
        costs = investment + extra_cost * factor
        bcr = np.where(costs > 0, annual_savings * factor / costs, np.nan)
    return EconomicMetrics(npv=npv, irr=level_irr(investment, net, years), simple_payback_years=simple,
                           discounted_payback_years=discounted, benefit_cost_ratio=bcr)


def discounted_payback(investment: np.ndarray, net: np.ndarray, years: np.ndarray,
                       rate: np.ndarray | float) -> np.ndarray:
    """Years until the discounted net savings repay the investment; NaN when not within the life.

    Read off the cash-flow table year by year: the cumulative discounted flow (the investment
    at year 0, then each whole year of the economic life discounted to today) turns
    non-negative in some year t, and the payback is t - 1 plus the share of that year's
    discounted flow still needed, as if it came in evenly over the year. The closed form
    (nper) runs past the life and answers a payback the life never reaches.

    Each row is computed with elementwise operations only, so a proposal gives the same
    answer alone or inside a batch.
    """
    investment, net, years = (np.asarray(a, dtype=float) for a in (investment, net, years))
    rate = np.broadcast_to(np.asarray(rate, dtype=float), investment.shape)
    out = np.full(investment.shape, np.nan)
    with np.errstate(all="ignore"):
        valid = np.isfinite(investment) & np.isfinite(rate) & (rate > -1) & (net > 0) & (years >= 1)
        out[valid & (investment <= 0)] = 0.0
        pending = valid & (investment > 0)
        if not pending.any():
            return out
        # Only the rows still short of payback are carried from one year to the next.
        idx = np.flatnonzero(pending)
        cumulative, saving, life, growth = -investment[idx], net[idx], years[idx], 1.0 + rate[idx]
        t = 0
        while idx.size:
            t += 1
            flow = saving / power(growth, t)
            after = cumulative + flow
            crossed = after >= 0
            out[idx[crossed]] = (t - 1) + (-cumulative[crossed]) / flow[crossed]
            going = ~crossed & (t + 1 <= life)
            idx, cumulative, saving, life, growth = (idx[going], after[going], saving[going], life[going],
                                                     growth[going])
    return out


def debt_service_coverage(net_savings: np.ndarray, loan: np.ndarray, annual_rate: np.ndarray | float,
                          tenor_years: np.ndarray | float) -> np.ndarray:
    """Net annual savings over the annual installment of a level loan (NaN without a loan)."""
    loan = np.asarray(loan, dtype=float)
    rate = np.broadcast_to(np.asarray(annual_rate, dtype=float), loan.shape)
    tenor = np.broadcast_to(np.asarray(tenor_years, dtype=float), loan.shape)
    with np.errstate(all="ignore"):
        temp = power(1.0 + rate, tenor)  # npf.pmt's level installment, with the shared power
        service = np.where(rate > 0, loan * temp / ((temp - 1.0) / rate), loan / tenor)
        return np.where((loan > 0) & (service > 0), np.asarray(net_savings, dtype=float) / service, np.nan)
