"""The facts a rule can read, and how a proposal's inputs are read for them.

A proposal body (design §5) plus its enterprise becomes a table of columns (:func:`columns`), or
for one proposal plain values (:func:`values_of`); :mod:`.derivation` turns either into named facts,
including every finance and environmental metric. Rulebook conditions read these names only,
so this catalogue is also the language's vocabulary (``flask rules facts`` prints it).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Iterable

import numpy as np

from ..finance.array_ops import _div
from ..vocabulary import CP_OPTIONS, DOCUMENT_KINDS, STREAMS
from .expressions import NUM, SET, TEXT
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


_ENTERPRISE = frozenset(("employees", "annual_turnover", "total_assets", "domestic_ownership_share"))


# Each stream's four quantity keys ("energy.baseline_quantity", ...), formatted once, and a proposal's
# values before its indicators are read (every quantity unknown).
STREAM_KEYS: dict[str, tuple[str, str, str, str]] = {
    s: (f"{s}.{QUANTITIES[0]}", f"{s}.{QUANTITIES[1]}", f"{s}.{QUANTITIES[2]}", f"{s}.{QUANTITIES[3]}")
    for s in STREAMS}
_NO_INDICATORS = {key: np.nan for keys in STREAM_KEYS.values() for key in keys}
_NUMBER_SOURCES = tuple((name, name in _ENTERPRISE) for name in NUMBER_COLUMNS if name != "other_incentives_count")


def values_of(row: dict[str, Any]) -> dict[str, Any]:
    """One proposal body (with ``enterprise`` and ``as_of``) as the plain values :func:`columns` gives its row."""
    ent = row.get("enterprise") or {}
    out: dict[str, Any] = {}
    for name, of_enterprise in _NUMBER_SOURCES:
        out[name] = _num((ent if of_enterprise else row).get(name))
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
    out.update(_NO_INDICATORS)
    for ind in row.get("indicators") or ():
        keys = STREAM_KEYS.get(ind.get("stream"))
        if keys is not None:
            for key, q in zip(keys, QUANTITIES):
                out[key] = _num(ind.get(q))
    return out


_DOCUMENT_BITS = {kind: 1 << j for j, kind in enumerate(SETS["documents"])}


def _required_documents_mask(book: Any) -> int:
    out = 0
    for d in book.documents:
        if d.get("required", True):
            out |= _DOCUMENT_BITS.get(d["kind"], 0)
    return out


STREAM_INDEX = {s: j for j, s in enumerate(STREAMS)}


def improvement_table(cols: dict[str, Any], i: int) -> dict[str, dict[str, float]]:
    """Specific consumption before and after, and the improvement, per indicator of row ``i``."""
    out: dict[str, dict[str, float]] = {}
    for s, (bq_key, bo_key, pq_key, po_key) in STREAM_KEYS.items():
        bq = float(cols[bq_key][i])
        if bq != bq:
            continue
        bo, pq, po = float(cols[bo_key][i]), float(cols[pq_key][i]), float(cols[po_key][i])
        # numpy's division (inf or NaN for a zero divisor), for the scalar and the batch paths alike.
        before, after = _div(bq, bo), _div(pq, po)
        out[s] = {"baseline_specific": before, "projected_specific": after, "improvement": 1 - _div(after, before)}
    return out
