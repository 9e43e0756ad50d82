"""The economic metrics of :mod:`.metrics` for one proposal, over plain floats.

The what-if scores one proposal many times over (the base case and every sensitivity step), and
numpy's cost per call (about a microsecond per operation, on arrays of one) would dominate it.
These functions perform the very same floating-point operations, in the same order, as the
vectorised ones do for each row, so a proposal gets identical figures alone and inside a batch
(``tests/unit/test_scalar_kernel.py`` holds them to equality). Where numpy would give inf or NaN
(a division by zero, a power of a negative number), these give the same instead of raising.
"""
from __future__ import annotations

import math
from typing import Callable

from .metrics import _HIGH, _LOW, IRR_MAX_ITER, IRR_TOL, MAX_SQUARING

NAN = math.nan


def _div(a: float, b: float) -> float:
    if b == 0:
        return NAN if a == 0 or a != a else math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def power(base: float, exponent: float) -> float:
    """:func:`.metrics.power` of one value: the same multiplications in the same order."""
    e = float(exponent)
    if e.is_integer() and abs(e) <= MAX_SQUARING:
        k, result, b = int(abs(e)), 1.0, float(base)
        while k:
            if k & 1:
                result *= b
            b *= b
            k >>= 1
        return _div(1.0, result) if e < 0 else result
    try:
        out = float(base) ** e
    except ZeroDivisionError:
        return math.inf
    return out if isinstance(out, float) else NAN  # a negative base to a fractional power


def annuity_factor(rate: float, years: float) -> float:
    temp = power(1.0 + rate, years)
    return _div(years if rate == 0 else _div(temp - 1.0, rate), temp)


def _npv_at(rate: float, years: float, net: float, investment: float) -> float:
    if abs(rate) < 1e-12:
        factor = years
    else:
        factor = _div(1.0 - _div(1.0, power(1.0 + rate, years)), rate)
    return net * factor - investment


def _npv_function(years: float, net: float, investment: float) -> Callable[[float], float]:
    """``_npv_at(rate, years, net, investment)`` as a function of the rate, for the solvers.

    The same operations as :func:`_npv_at`, with the whole-year squaring inlined: the IRR calls it
    a dozen times or more, and the call overhead would otherwise be most of its cost.
    """
    whole = float(years).is_integer() and abs(years) <= MAX_SQUARING and years > 0

    def npv(rate: float) -> float:
        if abs(rate) < 1e-12:
            return net * years - investment
        if not whole:
            return _npv_at(rate, years, net, investment)
        result, b, k = 1.0, 1.0 + rate, int(years)
        while k:
            if k & 1:
                result *= b
            b *= b
            k >>= 1
        try:
            factor = (1.0 - 1.0 / result) / rate
        except ZeroDivisionError:
            factor = _div(1.0 - _div(1.0, result), rate)
        return net * factor - investment
    return npv


def level_irr(investment: float, net: float, years: float) -> float:
    """:func:`.metrics.level_irr` of one proposal."""
    if not (investment > 0 and net > 0 and years >= 1):
        return NAN
    npv = _npv_function(years, net, investment)
    start = net / investment - 1.0 / years
    r = start if start != start else min(max(start, -0.5), 10.0)
    for _ in range(IRR_MAX_ITER):
        f = npv(r)
        h = 1e-7 * (NAN if r != r else max(1.0, abs(r)))
        slope = _div(npv(r + h) - f, h)
        step = _div(f, slope)
        nxt = r - step
        if not math.isfinite(nxt) or nxt <= _LOW or nxt > _HIGH:
            r = NAN
            break
        r = nxt
        if abs(step) < IRR_TOL:
            break
    if not math.isfinite(r):
        lo, hi = _LOW, _HIGH
        for _ in range(200):
            mid = (lo + hi) / 2
            if npv(mid) > 0:
                lo = mid
            else:
                hi = mid
        r = (lo + hi) / 2
    return r


def discounted_payback(investment: float, net: float, years: float, rate: float) -> float:
    """:func:`.metrics.discounted_payback` of one proposal."""
    if not (math.isfinite(investment) and math.isfinite(rate) and rate > -1 and net > 0 and years >= 1):
        return NAN
    if investment <= 0:
        return 0.0
    cumulative, growth, t = -investment, 1.0 + rate, 0
    while True:
        t += 1
        flow = _div(net, power(growth, t))
        after = cumulative + flow
        if after >= 0:
            return (t - 1) + _div(-cumulative, flow)
        if not t + 1 <= years:
            return NAN
        cumulative = after


def economic_metrics(investment: float, annual_savings: float, extra_cost: float, years: float,
                     discount_rate: float, irr: bool = True,
                     discounted: bool = True) -> tuple[float, float, float, float, float]:
    """(npv, irr, simple payback, discounted payback, benefit-cost ratio) of one proposal.

    ``irr`` or ``discounted`` False skips that figure (NaN in its place) when nothing will read it.
    """
    net = annual_savings - extra_cost
    rate = float(discount_rate)
    factor = annuity_factor(rate, years)
    npv = net * factor - investment
    simple = _div(investment, net) if net > 0 else NAN
    costs = investment + extra_cost * factor
    bcr = _div(annual_savings * factor, costs) if costs > 0 else NAN
    return (npv, level_irr(investment, net, years) if irr else NAN, simple,
            discounted_payback(investment, net, years, rate) if discounted else NAN, bcr)


def debt_service_coverage(net_savings: float, loan: float, annual_rate: float, tenor_years: float) -> float:
    """:func:`.metrics.debt_service_coverage` of one proposal."""
    rate, tenor = float(annual_rate), float(tenor_years)
    if rate > 0:
        temp = power(1.0 + rate, tenor)
        service = _div(loan * temp, _div(temp - 1.0, rate))
    else:
        service = _div(loan, tenor)
    return _div(net_savings, service) if loan > 0 and service > 0 else NAN
