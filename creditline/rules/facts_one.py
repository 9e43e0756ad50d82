"""The facts of :mod:`.facts` for one proposal, over plain Python values.

:func:`values_of` reads one proposal body as :func:`.facts.columns` reads each row, and
:func:`derive_one` computes every catalogue fact as :func:`.facts.derive` does for each row,
operation for operation (the finance through the one kernel of :mod:`creditline.finance.metrics`), so the
what-if's figures equal the batch's exactly; ``tests/unit/test_scalar_kernel.py`` checks it.
"""
from __future__ import annotations

import math
from typing import Any

from ..finance import metrics
from ..finance.array_ops import _div as _array_div
from ..vocabulary import ENERGY_STREAMS, STREAMS
from .facts import (NUMBER_COLUMNS, QUANTITIES, SETS, STREAM_INDEX, STREAM_SET, TEXT_COLUMNS,
                    _mask, _months_between, _num, _required_documents_mask)
from .grants import grant_rate
from .. import clock

NAN = math.nan
_ENTERPRISE = frozenset(("employees", "annual_turnover", "total_assets", "domestic_ownership_share"))
_MAX = 1.7976931348623157e308
_BASE = (*NUMBER_COLUMNS, *TEXT_COLUMNS, "months_operating", "cp_options", "documents")


_div = _array_div  # numpy's division of one value (inf or NaN for a zero divisor)


def _nan_to_num(x: float) -> float:
    """``np.nan_to_num`` of one float."""
    if x != x:
        return 0.0
    return x if abs(x) != math.inf else math.copysign(_MAX, x)


def values_of(row: dict[str, Any]) -> dict[str, Any]:
    """One proposal body (with ``enterprise`` and ``as_of``) as the plain values of its columns."""
    ent = row.get("enterprise") or {}
    out: dict[str, Any] = {}
    for name in NUMBER_COLUMNS:
        out[name] = _num((ent if name in _ENTERPRISE else row).get(name))
    out["other_incentives_count"] = float(len(row.get("other_incentives") or ()))
    tech = row.get("technology") or {}
    for name in TEXT_COLUMNS:
        if name in ("country", "isic_code"):
            out[name] = str(ent.get(name) or "")
        elif name in ("readiness", "technology_class"):
            out[name] = str(tech.get("class" if name == "technology_class" else "readiness") or "")
        else:
            out[name] = str(row.get(name) or "")
    out["months_operating"] = _months_between(ent.get("operating_since"), row.get("as_of") or clock.today())
    out["cp_options"] = _mask(row.get("cp_options"), SETS["cp_options"])
    out["documents"] = _mask(row.get("documents"), SETS["documents"])
    for stream in STREAMS:
        for q in QUANTITIES:
            out[f"{stream}.{q}"] = NAN
    for ind in row.get("indicators") or ():
        stream = ind.get("stream")
        if stream in STREAM_SET:
            for q in QUANTITIES:
                out[f"{stream}.{q}"] = _num(ind.get(q))
    return out


def billionths(x: float) -> float:
    """An improvement rounded to a billionth, exactly as the batch path does (``rint(x * 1e9) / 1e9``):
    1 - 70,000/100,000 is 0.30000000000000004 in binary, which would put exactly 30% over "over 30%"."""
    return round(x * 1e9) / 1e9 if math.isfinite(x) else x


def _grant_rate(improvement: float, bands: dict[str, Any]) -> float:
    """:func:`.grants.grant_rate` of one improvement (steps mirrored; the graded scale asks numpy)."""
    if bands.get("scale", "steps") != "steps":
        return float(grant_rate(improvement, bands)[0])
    if not math.isfinite(improvement):
        return 0.0
    inclusive = bool(bands.get("inclusive", False))
    rate = 0.0
    for band in sorted(bands["bands"], key=lambda b: b["over"]):
        if improvement >= band["over"] if inclusive else improvement > band["over"]:
            rate = float(band["rate"])
    return round(rate * 1e6) / 1e6  # np.round(rate, 6): scale, round half-even, unscale


def _grant_cents(basis: float, rate: float, cap: Any) -> int:
    """:func:`.grants.grant_amount_cents` of one basis."""
    basis_cents = round(basis * 100) if math.isfinite(basis) else 0
    cents = (basis_cents * round(rate * 10000) + 5000) // 10000
    if cap is not None:
        cents = min(cents, int(round(float(cap) * 100)))
    return max(cents, 0)


_WITH_GRANT = frozenset(("npv_with_grant", "irr_with_grant", "simple_payback_with_grant"))


def derive_one(book: Any, c: dict[str, Any], need: frozenset[str] | None = None,
               like: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every fact of the catalogue for one proposal's values (see :func:`.facts.derive`).

    ``need``, when given, names the facts that will be read: the costly ones outside it (an IRR,
    a discounted payback, the debt service coverage, the grant and the with-grant metrics) are
    NaN instead, as a sensitivity step needs only what its rules and its line of the table read.
    ``like``, the facts of the same proposal with other amounts (a sensitivity step varies only
    the amounts), lends every fact the amounts do not touch: the enterprise, the indicators.
    """
    if like is None:
        f = {k: c[k] for k in _BASE}
        _environment(book, c, f)
        f["documents_missing_count"] = float(bin(_required_documents_mask(book) & ~f["documents"]).count("1"))
    else:
        f = dict(like)
        for k in _AMOUNTS:
            f[k] = c[k]
    _economics(book, f, need)
    return f


# What a sensitivity step may vary; every other fact is the proposal's own.
_AMOUNTS = ("investment", "annual_savings", "annual_extra_operating_cost", "loan_amount", "own_contribution",
            "eligible_cost", "economic_life_years")
_ENVIRONMENT = ("isic_class", "isic_division", *(f"improvement_{s}" for s in STREAMS), "indicator_count",
                "main_improvement", "main_baseline_specific", "main_projected_output", "worst_improvement",
                "worse_count", "co2e_avoided_t")


def _environment(book: Any, c: dict[str, Any], f: dict[str, Any]) -> None:
    """The enterprise's class and every indicator fact (the amounts play no part)."""
    f["isic_class"] = "".join(ch for ch in f["isic_code"] if ch.isdigit())
    f["isic_division"] = f["isic_class"][:2]
    base: dict[str, float] = {}
    after: dict[str, float] = {}
    count = worse = 0
    worst = math.inf
    for s in STREAMS:
        base[s] = b = _div(c[f"{s}.baseline_quantity"], c[f"{s}.baseline_output"])
        after[s] = a = _div(c[f"{s}.projected_quantity"], c[f"{s}.projected_output"])
        f[f"improvement_{s}"] = x = billionths(1.0 - _div(a, b))
        if math.isfinite(x):
            count += 1
            worse += x < 0
            worst = min(worst, x)
    f["indicator_count"] = float(count)
    main = f["main_indicator"] if f["main_indicator"] in STREAM_INDEX else None
    f["main_improvement"] = f[f"improvement_{main}"] if main else NAN
    f["main_baseline_specific"] = base[main] if main else NAN
    f["main_projected_output"] = c[f"{main}.projected_output"] if main else NAN
    f["worst_improvement"] = worst if math.isfinite(worst) else NAN
    f["worse_count"] = float(worse)
    co2 = 0.0
    for s, factor in book.emission_factors.items():
        if s in ENERGY_STREAMS:
            avoided = (base[s] - after[s]) * c[f"{s}.projected_output"] * factor
            co2 += avoided if math.isfinite(avoided) else 0.0
    f["co2e_avoided_t"] = co2


def _economics(book: Any, f: dict[str, Any], need: frozenset[str] | None) -> None:
    """Shares, the finance metrics, debt service coverage and the grant, from the amounts."""
    def wants(name: str) -> bool:
        return need is None or name in need
    inv = f["investment"]
    f["own_share"] = _div(f["own_contribution"], inv)
    f["eligible_share"] = _div(f["eligible_cost"], inv)
    extra = _nan_to_num(f["annual_extra_operating_cost"])
    f["net_annual_savings"] = f["annual_savings"] - extra
    fin = book.finance
    rate = fin["discount_rate"]
    (f["npv"], f["irr"], f["simple_payback_years"], f["discounted_payback_years"],
     f["benefit_cost_ratio"]) = metrics.economic_metrics(
        inv, f["annual_savings"], extra, f["economic_life_years"], rate,
        irr=wants("irr"), discounted=wants("discounted_payback_years"))
    loan_terms = fin.get("default_loan") or {}
    f["dscr"] = metrics.debt_service_coverage(f["net_annual_savings"], f["loan_amount"], loan_terms.get(
        "annual_rate", rate), loan_terms.get("tenor_years", 5)) if wants("dscr") else NAN
    with_grant = need is None or not _WITH_GRANT.isdisjoint(need)
    if with_grant or wants("grant_rate") or wants("grant_amount"):
        bands = book.grant_bands
        f["grant_rate"] = _grant_rate(f["main_improvement"], bands)
        f["grant_amount"] = _grant_cents(f[bands["basis"]], f["grant_rate"], bands.get("cap")) / 100.0
    else:
        f["grant_rate"] = f["grant_amount"] = NAN
    if with_grant:
        f["npv_with_grant"], f["irr_with_grant"], f["simple_payback_with_grant"], _, _ = \
            metrics.economic_metrics(inv - f["grant_amount"], f["annual_savings"], extra,
                                     f["economic_life_years"], rate, irr=wants("irr_with_grant"), discounted=False)
    else:
        f["npv_with_grant"] = f["irr_with_grant"] = f["simple_payback_with_grant"] = NAN
