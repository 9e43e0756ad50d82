"""The facts a rule can read, and how they are computed for many proposals at once.

A proposal body (design §5) plus its enterprise becomes a table of columns (:func:`columns`);
:func:`derive` turns the columns into named facts, including every finance and environmental
metric, as numpy arrays with one value per proposal. Rulebook conditions read these names only,
so this catalogue is also the language's vocabulary (``flask rules facts`` prints it).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Iterable

import numpy as np

from ..finance.metrics import debt_service_coverage, economic_metrics
from ..finance.array_ops import _div
from ..measurement.benefits import improvement as benefit_improvement, specific_consumption
from ..vocabulary import CP_OPTIONS, DOCUMENT_KINDS, ENERGY_STREAMS, STREAMS
from .expressions import NUM, SET, TEXT
from .grants import grant_amount_cents, grant_rate
from .. import clock


@dataclass(frozen=True)
class Fact:
    kind: str
    description: str
    fmt: str = "num"  # how messages show it: money, pct, years, int, num, text, ratio


CATALOGUE: dict[str, Fact] = {
    # the enterprise
    "employees": Fact(NUM, "number of employees", "int"),
    "annual_turnover": Fact(NUM, "annual turnover", "money"),
    "total_assets": Fact(NUM, "total assets", "money"),
    "domestic_ownership_share": Fact(NUM, "share of domestic ownership", "pct"),
    "months_operating": Fact(NUM, "months the enterprise has operated", "int"),
    "country": Fact(TEXT, "country (ISO alpha-2)", "text"),
    "isic_code": Fact(TEXT, "ISIC Rev.4 class", "text"),
    "isic_class": Fact(TEXT, "ISIC Rev.4 class digits, without the section letter (e.g. 1313)", "text"),
    "isic_division": Fact(TEXT, "ISIC Rev.4 division (first two digits)", "text"),
    # the proposal
    "currency": Fact(TEXT, "currency of the proposal", "text"),
    "investment": Fact(NUM, "investment", "money"),
    "eligible_cost": Fact(NUM, "eligible cost", "money"),
    "loan_amount": Fact(NUM, "loan requested", "money"),
    "own_contribution": Fact(NUM, "own contribution", "money"),
    "own_share": Fact(NUM, "own contribution as a share of the investment", "pct"),
    "eligible_share": Fact(NUM, "eligible cost as a share of the investment", "pct"),
    "economic_life_years": Fact(NUM, "economic life", "years"),
    "annual_savings": Fact(NUM, "annual savings", "money"),
    "annual_extra_operating_cost": Fact(NUM, "annual extra operating cost", "money"),
    "net_annual_savings": Fact(NUM, "net annual savings", "money"),
    "implementation_months": Fact(NUM, "implementation time in months", "int"),
    "readiness": Fact(TEXT, "technology readiness", "text"),
    "technology_class": Fact(TEXT, "technology class", "text"),
    "main_indicator": Fact(TEXT, "main indicator", "text"),
    "cp_options": Fact(SET, "cleaner-production option types", "text"),
    "documents": Fact(SET, "documents provided", "text"),
    "other_incentives_count": Fact(NUM, "other incentives declared for the investment", "int"),
    # economics
    "npv": Fact(NUM, "net present value", "money"),
    "irr": Fact(NUM, "internal rate of return", "pct"),
    "simple_payback_years": Fact(NUM, "simple payback", "years"),
    "discounted_payback_years": Fact(NUM, "discounted payback", "years"),
    "benefit_cost_ratio": Fact(NUM, "benefit-cost ratio", "ratio"),
    "dscr": Fact(NUM, "debt service coverage (default loan terms)", "ratio"),
    "grant_rate": Fact(NUM, "expected grant rate", "pct"),
    "grant_amount": Fact(NUM, "expected grant", "money"),
    "npv_with_grant": Fact(NUM, "net present value with the grant", "money"),
    "irr_with_grant": Fact(NUM, "internal rate of return with the grant", "pct"),
    "simple_payback_with_grant": Fact(NUM, "simple payback with the grant", "years"),
    # environment
    "main_improvement": Fact(NUM, "improvement of the main indicator", "pct"),
    "main_baseline_specific": Fact(NUM, "baseline specific consumption of the main indicator", "num"),
    "main_projected_output": Fact(NUM, "projected production output of the main indicator", "num"),
    "worst_improvement": Fact(NUM, "improvement of the indicator that does worst", "pct"),
    "worse_count": Fact(NUM, "indicators that get worse", "int"),
    "co2e_avoided_t": Fact(NUM, "tCO2e avoided a year", "num"),
    "indicator_count": Fact(NUM, "indicators in the table", "int"),
    "documents_missing_count": Fact(NUM, "required documents still missing", "int"),
}
for _s in STREAMS:
    CATALOGUE[f"improvement_{_s}"] = Fact(NUM, f"improvement of {_s.replace('_', ' ')}", "pct")

FACT_TYPES: dict[str, str] = {k: v.kind for k, v in CATALOGUE.items()}
SETS: dict[str, tuple[str, ...]] = {"cp_options": CP_OPTIONS, "documents": tuple(DOCUMENT_KINDS)}
NUMBER_COLUMNS = ("employees", "annual_turnover", "total_assets", "domestic_ownership_share",
                  "investment", "eligible_cost", "loan_amount", "own_contribution", "economic_life_years",
                  "annual_savings", "annual_extra_operating_cost", "implementation_months",
                  "other_incentives_count")
TEXT_COLUMNS = ("country", "isic_code", "currency", "readiness", "technology_class", "main_indicator")
QUANTITIES = ("baseline_quantity", "baseline_output", "projected_quantity", "projected_output")


def _num(value: Any) -> float:
    if value is None or value == "":
        return np.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return np.nan


def _months_between(start: Any, end: Any) -> float:
    if not start or not end:
        return np.nan
    start = start if isinstance(start, date) else date.fromisoformat(str(start))
    end = end if isinstance(end, date) else date.fromisoformat(str(end))
    return float((end.year - start.year) * 12 + end.month - start.month - (end.day < start.day))


def _mask(values: Iterable[str] | None, vocabulary: tuple[str, ...]) -> int:
    out = 0
    for v in values or ():
        if v in vocabulary:
            out |= 1 << vocabulary.index(v)
    return out


def columns(rows: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """Turn proposal bodies (each with ``enterprise`` and ``as_of``) into column arrays."""
    n = len(rows)
    cols: dict[str, np.ndarray] = {}
    ents = [r.get("enterprise") or {} for r in rows]
    for name in NUMBER_COLUMNS:
        source = ents if name in ("employees", "annual_turnover", "total_assets", "domestic_ownership_share") else rows
        cols[name] = np.fromiter((_num(s.get(name)) for s in source), dtype=float, count=n)
    cols["other_incentives_count"] = np.fromiter((float(len(r.get("other_incentives") or ())) for r in rows),
                                                 dtype=float, count=n)
    for name in TEXT_COLUMNS:
        if name in ("country", "isic_code"):
            values = [str(e.get(name) or "") for e in ents]
        elif name in ("readiness", "technology_class"):
            key = "class" if name == "technology_class" else "readiness"
            values = [str((r.get("technology") or {}).get(key) or "") for r in rows]
        else:
            values = [str(r.get(name) or "") for r in rows]
        cols[name] = np.array(values, dtype=object)
    today = clock.today()
    cols["months_operating"] = np.array([_months_between(e.get("operating_since"), r.get("as_of") or today)
                                         for e, r in zip(ents, rows)], dtype=float)
    cols["cp_options"] = np.array([_mask(r.get("cp_options"), SETS["cp_options"]) for r in rows], dtype=np.int64)
    cols["documents"] = np.array([_mask(r.get("documents"), SETS["documents"]) for r in rows], dtype=np.int64)
    for stream in STREAMS:
        for q in QUANTITIES:
            cols[f"{stream}.{q}"] = np.full(n, np.nan)
    for i, r in enumerate(rows):
        for ind in r.get("indicators") or ():
            stream = ind.get("stream")
            if stream in STREAM_SET:
                for q in QUANTITIES:
                    cols[f"{stream}.{q}"][i] = _num(ind.get(q))
    return cols


STREAM_SET = frozenset(STREAMS)


def _required_documents_mask(book: Any) -> int:
    return _mask([d["kind"] for d in book.documents if d.get("required", True)], SETS["documents"])


def derive(book: Any, cols: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Compute every fact of the catalogue from the columns, for the given rulebook."""
    f: dict[str, np.ndarray] = {k: cols[k] for k in (*NUMBER_COLUMNS, *TEXT_COLUMNS,
                                                    "months_operating", "cp_options", "documents")}
    n = len(f["investment"])
    with np.errstate(all="ignore"):
        inv = f["investment"]
        # Enterprises may give the class with its section letter (C1313) or without (1313).
        f["isic_class"] = np.array(["".join(ch for ch in c if ch.isdigit()) for c in f["isic_code"]], dtype=object)
        f["isic_division"] = np.array([c[:2] for c in f["isic_class"]], dtype=object)
        f["own_share"] = f["own_contribution"] / inv
        f["eligible_share"] = f["eligible_cost"] / inv
        f["net_annual_savings"] = f["annual_savings"] - np.nan_to_num(f["annual_extra_operating_cost"])
        # Specific consumption per stream: quantity per unit of output, before and after.
        base = np.column_stack([specific_consumption(cols[f"{s}.baseline_quantity"], cols[f"{s}.baseline_output"])
                                for s in STREAMS])
        after = np.column_stack([specific_consumption(cols[f"{s}.projected_quantity"], cols[f"{s}.projected_output"])
                                 for s in STREAMS])
        # Rounded to a billionth: 1 - 70,000/100,000 is 0.30000000000000004 in binary, which would put an
        # improvement of exactly 30% over an 'over 30%' threshold (and 31% under 'at least 31%').
        improvement = np.rint(benefit_improvement(base, after) * 1e9) / 1e9  # as facts_one.billionths, bit for bit
        for j, s in enumerate(STREAMS):
            f[f"improvement_{s}"] = improvement[:, j]
        present = np.isfinite(improvement)
        f["indicator_count"] = present.sum(axis=1).astype(float)
        main_idx = np.array([STREAM_INDEX.get(m, -1) for m in f["main_indicator"]], dtype=np.int64)
        rows = np.arange(n)
        pick = np.where(main_idx >= 0, main_idx, 0)
        has_main = main_idx >= 0
        f["main_improvement"] = np.where(has_main, improvement[rows, pick], np.nan)
        f["main_baseline_specific"] = np.where(has_main, base[rows, pick], np.nan)
        projected_output = np.column_stack([cols[f"{s}.projected_output"] for s in STREAMS])
        f["main_projected_output"] = np.where(has_main, projected_output[rows, pick], np.nan)
        worst = np.where(present, improvement, np.inf).min(axis=1)
        f["worst_improvement"] = np.where(np.isfinite(worst), worst, np.nan)
        f["worse_count"] = (present & (improvement < 0)).sum(axis=1).astype(float)
        co2 = np.zeros(n)
        for s, factor in book.emission_factors.items():
            if s in ENERGY_STREAMS:
                j = STREAM_INDEX[s]
                avoided = (base[:, j] - after[:, j]) * projected_output[:, j] * factor
                co2 += np.where(np.isfinite(avoided), avoided, 0.0)
        f["co2e_avoided_t"] = co2
        fin = book.finance
        econ = economic_metrics(inv, f["annual_savings"], np.nan_to_num(f["annual_extra_operating_cost"]),
                                f["economic_life_years"], fin["discount_rate"])
        f["npv"], f["irr"] = econ.npv, econ.irr
        f["simple_payback_years"] = econ.simple_payback_years
        f["discounted_payback_years"] = econ.discounted_payback_years
        f["benefit_cost_ratio"] = econ.benefit_cost_ratio
        loan_terms = fin.get("default_loan") or {}
        f["dscr"] = debt_service_coverage(f["net_annual_savings"], f["loan_amount"],
                                          loan_terms.get("annual_rate", fin["discount_rate"]),
                                          loan_terms.get("tenor_years", 5))
        rate = grant_rate(f["main_improvement"], book.grant_bands)
        basis = f[book.grant_bands["basis"]]
        cents = grant_amount_cents(basis, rate, book.grant_bands.get("cap"))
        f["grant_rate"] = rate
        f["grant_amount"] = cents / 100.0
        with_grant = economic_metrics(inv - f["grant_amount"], f["annual_savings"],
                                      np.nan_to_num(f["annual_extra_operating_cost"]),
                                      f["economic_life_years"], fin["discount_rate"])
        f["npv_with_grant"] = with_grant.npv
        f["irr_with_grant"] = with_grant.irr
        f["simple_payback_with_grant"] = with_grant.simple_payback_years
        required = _required_documents_mask(book)
        missing = required & ~f["documents"]
        f["documents_missing_count"] = _popcount(missing)
    return f


STREAM_INDEX = {s: j for j, s in enumerate(STREAMS)}


def _popcount(values: np.ndarray) -> np.ndarray:
    v = values.astype(np.uint64)
    count = np.zeros(v.shape, dtype=float)
    for bit in range(len(SETS["documents"])):
        count += (v >> np.uint64(bit)) & np.uint64(1)
    return count


def improvement_table(cols: dict[str, np.ndarray], i: int) -> dict[str, dict[str, float]]:
    """Specific consumption before and after, and the improvement, per indicator of row ``i``."""
    out: dict[str, dict[str, float]] = {}
    for s in STREAMS:
        bq, bo = float(cols[f"{s}.baseline_quantity"][i]), float(cols[f"{s}.baseline_output"][i])
        pq, po = float(cols[f"{s}.projected_quantity"][i]), float(cols[f"{s}.projected_output"][i])
        if bq != bq:
            continue
        # numpy's division (inf or NaN for a zero divisor), for the scalar and the batch paths alike.
        before, after = _div(bq, bo), _div(pq, po)
        out[s] = {"baseline_specific": before, "projected_specific": after, "improvement": 1 - _div(after, before)}
    return out
