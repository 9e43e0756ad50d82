"""Economic metrics of a cleaner-production investment: one kernel for one proposal and for many.

A proposal's cash flows are level: the investment at year 0, then the same net saving (annual
savings less extra operating cost) every year of the economic life. That lets every metric be
computed in closed form, or with a per-row solver, so 100,000 proposals take milliseconds.

Each function is written once, against :mod:`.array_ops`: given numpy arrays (the batch) it
runs vectorised, given plain floats (the what-if, which scores one proposal a dozen times over
for its sensitivity table) it runs as plain Python, where numpy's cost per call would dominate.
The operations and their order are the same either way, so a proposal gets the same bits alone
and inside a batch of 100,000 (``tests/unit/test_scalar_kernel.py``).

Powers of (1 + rate) over whole years are taken by repeated squaring (:func:`power`), not with
``**``: numpy's vectorised ``pow`` and the C library's differ in the last bit for a few percent
of inputs, and the two forms must give the very same figures.

Amounts here are float64 analysis figures; whatever is shown or stored passes through
``money.to_money``. Ledger amounts (loans, grants) never come from these floats.
"""
from __future__ import annotations

from typing import Any, NamedTuple

from .array_ops import NAN, Ops
from .scalar_form import kernel

IRR_TOL = 1e-10
IRR_MAX_ITER = 60
_LOW, _HIGH = -0.9999, 100.0
MAX_SQUARING = 1024  # whole exponents up to this go by repeated squaring; others use ``**``


def _power(o: Ops, base: Any, exponent: Any) -> Any:
    whole = o.is_whole(exponent) & (abs(exponent) <= MAX_SQUARING)
    result = o.squared_power(base, o.whole(o.where(whole, abs(exponent), 0.0)))
    result = o.where(exponent < 0, o.div(1.0, result), result)
    return result if o.all(whole) else o.where(whole, result, o.pow(base, exponent))


def _annuity_factor(o: Ops, rate: Any, years: Any) -> Any:
    temp = _power(o, 1.0 + rate, years)
    return o.div(o.where(rate == 0, years, o.div(temp - 1.0, rate)), temp)


def _npv_at(o: Ops, rate: Any, years: Any, net: Any, investment: Any) -> Any:
    small = abs(rate) < 1e-12
    safe = o.where(small, 1.0, rate)
    factor = o.where(small, years, o.div(1.0 - o.div(1.0, _power(o, 1.0 + safe, years)), safe))
    return net * factor - investment


def _level_irr(o: Ops, investment: Any, net: Any, years: Any) -> Any:
    exists = (investment > 0) & (net > 0) & (years >= 1)
    if not o.any(exists):
        return o.full(investment, NAN)
    inv, cf, n = o.rows(exists, investment, net, years)
    whole = o.is_whole(n) & (n <= MAX_SQUARING)
    all_whole = o.all(whole)
    k = o.whole(o.where(whole, n, 0.0))
    at_zero, curve_at_zero = -n * (n + 1.0) / 2.0, n * (n + 1.0) * (n + 2.0) / 3.0
    r = _irr_start(o, inv, cf, n, whole)
    done = r - r != 0  # not finite
    for _ in range(IRR_MAX_ITER):
        # Halley's method with the exact first and second derivatives, from one power of (1 + r):
        # with A = (1 - (1 + r)^-n) / r the annuity factor, NPV = cf A - inv, A' = (n (1 + r)^-(n+1)
        # - A) / r and A'' = (-n (n + 1) (1 + r)^-(n+2) - 2 A') / r; at r = 0, A = n,
        # A' = -n (n + 1) / 2 and A'' = n (n + 1) (n + 2) / 3.
        small = abs(r) < 1e-12
        near_zero = o.any(small)  # rare: then those rows take the limits at r = 0
        safe = o.where(small, 1.0, r) if near_zero else r
        growth = 1.0 + safe
        grown = o.squared_power(growth, k) if all_whole else _power(o, growth, n)
        later = o.div(o.div(1.0, grown), growth)  # (1 + r)^-(n+1)
        factor = o.div(1.0 - later * growth, safe)
        slope = o.div(n * later - factor, safe)
        curve = o.div(o.div(-n * (n + 1.0) * later, growth) - 2.0 * slope, safe)
        if near_zero:
            factor, slope = o.where(small, n, factor), o.where(small, at_zero, slope)
            curve = o.where(small, curve_at_zero, curve)
        newton = o.div(cf * factor - inv, cf * slope)
        # Far from the root the correction could flip the step: it is held to at most doubling it.
        bend = o.div(curve, 2.0 * slope)
        step = o.div(newton, o.maximum(1.0 - newton * bend, 0.5))
        nxt = r - step
        bad = (nxt - nxt != 0) | (nxt <= _LOW) | (nxt > _HIGH)
        r = o.where(done, r, o.where(bad, NAN, nxt))
        # Halley's error after a step is about K step^3, K <= (n + 1)^2 here: stop once that is
        # below a hundredth of the tolerance, or the step below the tolerance.
        done = done | bad | (step * step * abs(step) * (n + 1.0) * (n + 1.0) < 1e-2 * IRR_TOL * (1.0 + r)) | (
            abs(step) < IRR_TOL)
        if o.all(done):
            break
    failed = r - r != 0
    if o.any(failed):
        r = o.put(r, failed, _bisect_irr(o, *o.rows(failed, inv, cf, n)))
    return o.put(o.full(investment, NAN), exists, r)


def _irr_start(o: Ops, inv: Any, cf: Any, n: Any, whole: Any) -> Any:
    """Where Halley's method starts.

    An IRR below about 1/n (a life of two years or more whose flows repay less than twice the
    investment, as a third of proposals and sensitivity steps do): the annuity factor's series in
    r (:func:`_series_irr`); Halley then takes one or two steps. A higher IRR: the perpetuity yield
    y = cf / inv, which the IRR approaches as (1 + r)^-n vanishes (one or two steps). A negative
    one: the perpetuity yield shrunk by the life. None of them takes a power of (1 + r).
    """
    y = cf / inv
    repaid = cf * n
    positive = repaid > inv
    near = whole & (n >= 2.0) & (repaid < 2.0 * inv)  # where it was measured to win
    start = o.where(positive, y, o.clip(y - 1.0 / n, -0.5, 10.0))
    if o.any(near):  # a batch works out the series on its rows near zero only
        series = _series_irr(o, *o.rows(near, inv, cf, n))
        # Positive IRRs always keep it (the series root is then positive); a negative one
        # reaching below -0.9 keeps the start above instead.
        kept = series > -0.9
        if o.any(kept):
            start = o.put(start, o.put(o.full(inv, False), near, kept), o.rows(kept, series)[0])
    return start


def _series_irr(o: Ops, inv: Any, cf: Any, n: Any) -> Any:
    """The IRR from the annuity factor's series, A = n - b r + a r^2 - c r^3 + ... (b = n(n+1)/2,
    a = b(n+2)/3, c = a(n+3)/4): the quadratic's small root, refined once on the cubic."""
    b = n * (n + 1.0) / 2.0
    a = b * (n + 2.0) / 3.0
    c3 = a * (n + 3.0) / 4.0
    c = n - inv / cf
    # The root in the form without cancellation (clamped where the discriminant dips below zero:
    # the shortest lives, near twice repaid).
    q = o.div(2.0 * c, b + o.sqrt(o.maximum(b * b - 4.0 * a * c, 0.0)))
    refined = q - o.div(c - b * q + a * q * q - c3 * q * q * q, 2.0 * a * q - b - 3.0 * c3 * q * q)
    return o.where(o.isfinite(refined) & (refined * q >= 0.0), refined, q)


def _bisect_irr(o: Ops, inv: Any, cf: Any, n: Any) -> Any:
    lo, hi = o.full(inv, _LOW), o.full(inv, _HIGH)
    for _ in range(200):
        mid = (lo + hi) / 2
        positive = _npv_at(o, mid, n, cf, inv) > 0
        lo, hi = o.where(positive, mid, lo), o.where(positive, hi, mid)
    return (lo + hi) / 2


class EconomicMetrics(NamedTuple):
    """One value per proposal (arrays, or floats for one); NaN where a metric does not exist."""

    npv: Any
    irr: Any
    simple_payback_years: Any
    discounted_payback_years: Any
    benefit_cost_ratio: Any


def _economic_metrics(o: Ops, investment: Any, annual_savings: Any, extra_cost: Any, years: Any, rate: Any,
                      irr: bool = True, discounted: bool = True) -> EconomicMetrics:
    factor = o.once(_annuity_factor, rate, years)
    net = annual_savings - extra_cost
    npv = net * factor - investment
    simple = o.where(net > 0, o.div(investment, net), NAN)
    costs = investment + extra_cost * factor
    bcr = o.where(costs > 0, o.div(annual_savings * factor, costs), NAN)
    return EconomicMetrics(npv, _level_irr(o, investment, net, years) if irr else o.full(investment, NAN), simple,
                           _discounted_payback(o, investment, net, years, rate) if discounted
                           else o.full(investment, NAN), bcr)


def _discounted_payback(o: Ops, investment: Any, net: Any, years: Any, rate: Any) -> Any:
    valid = o.isfinite(investment) & o.isfinite(rate) & (rate > -1) & (net > 0) & (years >= 1)
    out = o.where(valid & (investment <= 0), 0.0, NAN)
    pending = valid & (investment > 0)
    if not o.any(pending):
        return out
    cumulative, saving, life, growth = o.rows(pending, -investment, net, years, 1.0 + rate)
    found, short, t = o.full(cumulative, NAN), o.full(cumulative, True), 0
    while o.any(short):  # the rows still short of payback, year after year
        t += 1
        flow = o.div(saving, o.squared_power(growth, t))
        after = cumulative + flow
        crossed = after >= 0
        found = o.where(short & crossed, (t - 1) + o.div(-cumulative, flow), found)
        short = short & o.not_(crossed) & (t + 1 <= life)
        cumulative = after
    return o.put(out, pending, found)


def _debt_service_coverage(o: Ops, net_savings: Any, loan: Any, rate: Any, tenor: Any) -> Any:
    temp = o.once(_power, 1.0 + rate, tenor)  # npf.pmt's level installment, with the shared power
    service = o.where(rate > 0, o.div(loan * temp, o.div(temp - 1.0, rate)), o.div(loan, tenor))
    return o.where((loan > 0) & (service > 0), o.div(net_savings, service), NAN)


# The public kernels: numbers in (floats, or arrays of one value per proposal), the same kind out.
power = kernel(_power)
power.__doc__ = "``base ** exponent``, by repeated squaring where the exponent is a whole number (see above)."
annuity_factor = kernel(_annuity_factor)
annuity_factor.__doc__ = "Present value of 1 a year for ``years`` years (what ``-npf.pv(rate, years, 1)`` computes)."
level_irr = kernel(_level_irr)
level_irr.__doc__ = """IRR of -investment followed by ``years`` equal net flows; NaN when there is none.

numpy-financial's ``rate`` solves the same equation but stops only when every row has converged
and then answers NaN for all of them, so one odd proposal would blank a batch. This is Halley's
method (with the exact first and second derivatives) per row, each row frozen as soon as it
converges, and bisection for rows it cannot settle: a row's answer never depends on the other rows.
"""
economic_metrics = kernel(_economic_metrics)
economic_metrics.__doc__ = """NPV at the discount rate, IRR, simple and discounted payback, benefit-cost ratio
of ``(investment, annual_savings, extra_cost, years, discount_rate)``.

``irr=False`` or ``discounted=False`` skips that figure (NaN in its place) when nothing will read it.
"""
discounted_payback = kernel(_discounted_payback)
discounted_payback.__doc__ = """Years until the discounted net savings of ``(investment, net, years, rate)``
repay the investment; NaN when not within the life.

Read off the cash-flow table year by year: the cumulative discounted flow (the investment at
year 0, then each whole year of the economic life discounted to today) turns non-negative in
some year t, and the payback is t - 1 plus the share of that year's discounted flow still
needed, as if it came in evenly over the year. The closed form (nper) runs past the life and
answers a payback the life never reaches.
"""
debt_service_coverage = kernel(_debt_service_coverage)
debt_service_coverage.__doc__ = ("Net annual savings over the annual installment of a level loan of "
                                 "``(net_savings, loan, annual_rate, tenor_years)`` (NaN without a loan).")
