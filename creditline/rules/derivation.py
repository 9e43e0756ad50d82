"""Every fact of the catalogue (:mod:`.facts`) computed from a proposal's columns: one kernel, two faces.

The facts are written once, against :mod:`creditline.finance.array_ops` like the finance
metrics: :func:`derive` runs them with numpy over the columns of a batch (one value per
proposal), :func:`derive_one` with plain Python values over one proposal (the what-if, which
derives a proposal a dozen times for its sensitivity table, where numpy's cost per call would
dominate). The operations and their order are the same either way, so a proposal gets the same
bits alone and in a batch; ``tests/unit/test_scalar_kernel.py`` holds the two to that.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..finance import metrics
from ..finance.array_ops import ARRAY, NAN, SCALAR, Ops
from ..finance.scalar_form import scalar_form
from ..vocabulary import ENERGY_STREAMS, STREAMS
from .facts import NUMBER_COLUMNS, STREAM_KEYS, TEXT_COLUMNS, _required_documents_mask
from .grants import cents_of, rate_of

_BASE = (*NUMBER_COLUMNS, *TEXT_COLUMNS, "months_operating", "cp_options", "documents")
_WITH_GRANT = frozenset(("npv_with_grant", "irr_with_grant", "simple_payback_with_grant"))
_ALL = frozenset(("irr", "discounted_payback_years", "dscr", "grant_rate", "grant_amount", *_WITH_GRANT))
# What a sensitivity step may vary; every other fact is the proposal's own.
AMOUNTS = ("investment", "annual_savings", "annual_extra_operating_cost", "loan_amount", "own_contribution",
            "eligible_cost", "economic_life_years")


def derive(book: Any, cols: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every fact of the catalogue for a batch's columns (:func:`.facts.columns`), for the given rulebook."""
    f: dict[str, Any] = {k: cols[k] for k in _BASE}
    with np.errstate(all="ignore"):
        _environment(ARRAY, book, cols, f)
        _economics(ARRAY, book, f, None)
    return f


def derive_one(book: Any, c: dict[str, Any], need: frozenset[str] | None = None,
               like: dict[str, Any] | None = None, in_place: bool = False) -> dict[str, Any]:
    """Every fact for one proposal's values (:func:`.facts.values_of`), as :func:`derive` gives its row.

    ``need``, when given, names the facts that will be read: the costly ones outside it (an IRR,
    a discounted payback, the debt service coverage, the grant and the with-grant metrics) are
    NaN instead, as a sensitivity step needs only what its rules and its line of the table read.
    ``like``, the facts of the same proposal with other amounts (a sensitivity step varies only
    the amounts), lends every fact the amounts do not touch: the enterprise, the indicators.
    ``in_place`` derives into ``like`` itself (every fact the amounts touch is written afresh), for a
    caller that scores one step after another on one scratch copy.
    """
    if like is None:
        f = {k: c[k] for k in _BASE}
        scalar_form(_environment)(SCALAR, book, c, f)
    else:
        f = like if in_place else dict(like)
        for k in AMOUNTS:
            f[k] = c[k]
    scalar_form(_economics)(SCALAR, book, f, need)
    return f


def _billionths(o: Ops, x: Any) -> Any:
    # 1 - 70,000/100,000 is 0.30000000000000004 in binary, which would put an improvement of exactly
    # 30% over an 'over 30%' threshold (and 31% under 'at least 31%'): improvements are rounded to 1e-9.
    return o.rint(x * 1e9) / 1e9


def billionths(x: float) -> float:
    """An improvement rounded to a billionth, as the facts round it (see :func:`_billionths`)."""
    return scalar_form(_billionths)(SCALAR, float(x))


def _digits(code: str) -> str:
    # Enterprises may give the class with its section letter (C1313) or without (1313).
    return "".join(ch for ch in code if ch.isdigit())


def _division(isic_class: str) -> str:
    return isic_class[:2]


_STREAMS = tuple((s, f"improvement_{s}", STREAM_KEYS[s]) for s in STREAMS)  # the keys, formatted once


def _environment(o: Ops, book: Any, c: dict[str, Any], f: dict[str, Any]) -> None:
    """The enterprise's class and every indicator fact (the amounts play no part)."""
    f["isic_class"] = o.each_distinct(_digits, f["isic_code"])
    f["isic_division"] = o.each_distinct(_division, f["isic_class"])
    like = f["investment"]
    count, worse, worst = o.full(like, 0.0), o.full(like, 0.0), o.full(like, math.inf)
    main_improvement = main_base = main_output = o.full(like, NAN)
    saved: dict[str, Any] = {}
    main = f["main_indicator"]
    for s, improvement, (quantity_key, output_key, projected_key, projected_output_key) in _STREAMS:
        output = c[projected_output_key]
        is_main = main == s
        quantity = c[quantity_key]
        if not o.any(quantity == quantity):  # a stream no proposal reports: no improvement, no tCO2e
            f[improvement] = o.full(like, NAN)
            if o.any(is_main):
                main_output = o.where(is_main, output, main_output)
            continue
        # Specific consumption (quantity per unit of output) before and after, and the improvement.
        before = o.div(quantity, c[output_key])
        after = o.div(c[projected_key], output)
        f[improvement] = x = _billionths(o, 1.0 - o.div(after, before))
        present = o.isfinite(x)
        count = count + present
        worse = worse + (present & (x < 0))
        worst = o.minimum(worst, o.where(present, x, math.inf))
        if o.any(is_main):
            main_improvement = o.where(is_main, x, main_improvement)
            main_base = o.where(is_main, before, main_base)
            main_output = o.where(is_main, output, main_output)
        saved[s] = (before - after) * output
    f["indicator_count"], f["worse_count"] = count, worse
    f["worst_improvement"] = o.where(o.isfinite(worst), worst, NAN)
    f["main_improvement"], f["main_baseline_specific"], f["main_projected_output"] = main_improvement, main_base, main_output
    co2 = o.full(like, 0.0)
    for s, factor in book.emission_factors.items():  # in the rulebook's order: the sum's rounding follows it
        if s in ENERGY_STREAMS and s in saved:
            avoided = saved[s] * factor
            co2 = co2 + o.where(o.isfinite(avoided), avoided, 0.0)
    f["co2e_avoided_t"] = co2
    f["documents_missing_count"] = o.popcount(_required_documents_mask(book) & ~f["documents"])


def _economics(o: Ops, book: Any, f: dict[str, Any], need: frozenset[str] | None) -> None:
    """Shares, the finance metrics, debt service coverage and the grant, from the amounts."""
    wanted = _ALL if need is None else need
    inv = f["investment"]
    unread = o.full(inv, NAN)  # what a figure nothing will read is given
    f["own_share"] = o.div(f["own_contribution"], inv)
    f["eligible_share"] = o.div(f["eligible_cost"], inv)
    extra = o.nan_to_num(f["annual_extra_operating_cost"])
    f["net_annual_savings"] = f["annual_savings"] - extra
    fin = book.finance
    rate = float(fin["discount_rate"])
    # One proposal's amounts are floats already: its kernels skip the look at their numbers.
    economic_metrics, debt_service_coverage = ((metrics.economic_metrics, metrics.debt_service_coverage)
                                               if o is ARRAY else (metrics.economic_metrics.scalar,
                                                                   metrics.debt_service_coverage.scalar))
    base = economic_metrics(inv, f["annual_savings"], extra, f["economic_life_years"], rate,
                            irr="irr" in wanted, discounted="discounted_payback_years" in wanted)
    (f["npv"], f["irr"], f["simple_payback_years"], f["discounted_payback_years"], f["benefit_cost_ratio"]) = base
    loan_terms = fin.get("default_loan") or {}
    f["dscr"] = debt_service_coverage(f["net_annual_savings"], f["loan_amount"], float(loan_terms.get(
        "annual_rate", rate)), float(loan_terms.get("tenor_years", 5))) if "dscr" in wanted else unread
    with_grant = not _WITH_GRANT.isdisjoint(wanted)
    if with_grant or "grant_rate" in wanted or "grant_amount" in wanted:
        bands = book.grant_bands
        f["grant_rate"] = rate_of(o, f["main_improvement"], bands)
        f["grant_amount"] = cents_of(o, f[bands["basis"]], f["grant_rate"], bands.get("cap")) / 100.0
    else:
        f["grant_rate"] = f["grant_amount"] = unread
    if with_grant and not o.any(f["grant_amount"] != 0) and ("irr" in wanted) == ("irr_with_grant" in wanted):
        # No grant: the investment less it is the investment, so the figures are the ones above.
        f["npv_with_grant"], f["irr_with_grant"], f["simple_payback_with_grant"] = base[0], base[1], base[2]
    elif with_grant:
        f["npv_with_grant"], f["irr_with_grant"], f["simple_payback_with_grant"], _, _ = economic_metrics(
            inv - f["grant_amount"], f["annual_savings"], extra, f["economic_life_years"], rate,
            irr="irr_with_grant" in wanted, discounted=False)
    else:
        f["npv_with_grant"] = f["irr_with_grant"] = f["simple_payback_with_grant"] = unread
