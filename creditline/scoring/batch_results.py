"""Result rows of a batch built column by column: the same dicts as ``engine.result_of(ev, i, explain=False)``.

Each output figure is rounded once per column (Python's ``round`` and the engine's money rounding,
never numpy's, so every value is the one the single path gives), then the dicts are assembled at
the end. Only the unexplained result is built here; a batch asking for the trace uses the engine.
"""
from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np

from ..finance.money import CENT
from ..rules.evaluation import Evaluation
from ..rules.facts import STREAMS
from ..rules.result_figures import DIGITS, IMPROVEMENT_DIGITS, SPECIFIC_DIGITS, TONNE, TONNE_DIGITS
from ..measurement.benefits import improvement as improvement_of, specific_consumption
from ..vocabulary import DOCUMENT_KINDS



def rounded(values: np.ndarray, digits: int) -> list[float]:
    """Python's ``round(x, digits)`` of every value (see :func:`rounded_array`), as a list."""
    return rounded_array(values, digits).tolist()


def rounded_array(values: np.ndarray, digits: int) -> np.ndarray:
    """Python's ``round(x, digits)`` of every value, vectorised where that is provably the same.

    ``round`` rounds the exact binary value half-even to ``digits`` decimals and returns the float
    nearest that decimal; ``rint(x * 10**digits) / 10**digits`` returns the very same float unless
    the (rounded) product lies next to a half or beyond 2**52. Those few values use ``round`` itself
    (NaN and the infinities come out of both unchanged).
    """
    scale = 10.0 ** digits
    with np.errstate(all="ignore"):
        t = values * scale
        out = np.rint(t) / scale
        half = np.abs(t - np.floor(t) - 0.5)
        sure = ((half > 1e-12 * np.maximum(np.abs(t), 1.0)) & (np.abs(t) < 2.0 ** 52)) | ~np.isfinite(values)
    for i in np.flatnonzero(~sure).tolist():
        out[i] = round(float(values[i]), digits)
    return out


def _floats(values: np.ndarray, digits: int) -> list[float | None]:
    """``engine._f`` over a column: rounded, None where not finite."""
    out: list[float | None] = rounded(values, digits)
    for i in np.flatnonzero(~np.isfinite(values)).tolist():
        out[i] = None
    return out


def _money(values: np.ndarray, quantum: Decimal = CENT, digits: int = 2) -> list[Decimal | None]:
    """``engine._money`` (``to_money(round(v, 2))``) over a column, None where not finite."""
    return [Decimal(repr(x)).quantize(quantum, rounding=ROUND_HALF_UP) if math.isfinite(x) else None
            for x in rounded(values, digits)]


def _improvement_tables(ev: Evaluation) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[list[str]]]:
    """Per row: specific consumption, improvement and the worse streams, as ``metrics_of`` gives them."""
    n = ev.n
    specific: list[dict[str, Any]] = [{} for _ in range(n)]
    improvement: list[dict[str, Any]] = [{} for _ in range(n)]
    worse: list[list[str]] = [[] for _ in range(n)]
    cols = ev.cols
    with np.errstate(all="ignore"):
        for s in STREAMS:
            present = np.flatnonzero(~np.isnan(cols[f"{s}.baseline_quantity"]))
            if not len(present):
                continue
            # The same float64 divisions as improvement_table, on the present rows only.
            before = specific_consumption(cols[f"{s}.baseline_quantity"][present], cols[f"{s}.baseline_output"][present])
            after = specific_consumption(cols[f"{s}.projected_quantity"][present], cols[f"{s}.projected_output"][present])
            change = improvement_of(before, after)
            for i, b, a, c in zip(present.tolist(), rounded(before, SPECIFIC_DIGITS), rounded(after, SPECIFIC_DIGITS),
                                        rounded(change, IMPROVEMENT_DIGITS)):
                specific[i][s] = {"baseline": b, "projected": a}
                improvement[i][s] = c
                if c < 0:
                    worse[i].append(s)
    for w in worse:
        w.sort()
    return specific, improvement, worse


def _failed(ev: Evaluation) -> list[list[str]]:
    gates = [(g.id, ev.gate_pass[g.id]) for g in ev.book.gates]
    out: list[list[str]] = [[] for _ in range(ev.n)]
    for gid, passed in gates:
        for i in np.flatnonzero(~passed).tolist():
            out[i].append(gid)
    return out


def _missing_documents(ev: Evaluation) -> list[list[str]]:
    kinds = tuple(DOCUMENT_KINDS)
    required = [(d["kind"], 1 << kinds.index(d["kind"])) for d in ev.book.documents if d["required"]]
    cache: dict[int, list[str]] = {}
    out = []
    for have in ev.facts["documents"].tolist():
        if have not in cache:
            cache[have] = [k for k, bit in required if not have & bit]
        out.append(list(cache[have]))
    return out


def results_of(ev: Evaluation, rows: list[int], ids: list[Any], titles: list[Any]) -> list[dict[str, Any]]:
    """One result per evaluated row: ``{"row", "id", "title", **engine.result_of(ev, i, explain=False)}``."""
    f = ev.facts
    npv, npv_grant, grant = _money(f["npv"]), _money(f["npv_with_grant"]), _money(f["grant_amount"])
    co2 = [Decimal(repr(x)).quantize(TONNE, rounding=ROUND_HALF_UP) for x in rounded(f["co2e_avoided_t"], TONNE_DIGITS)]
    d = DIGITS
    irr, irr_grant = _floats(f["irr"], d["irr"]), _floats(f["irr_with_grant"], d["irr_with_grant"])
    payback = _floats(f["simple_payback_years"], d["simple_payback_years"])
    payback_grant = _floats(f["simple_payback_with_grant"], d["simple_payback_with_grant"])
    discounted = _floats(f["discounted_payback_years"], d["discounted_payback_years"])
    bcr, dscr = _floats(f["benefit_cost_ratio"], d["benefit_cost_ratio"]), _floats(f["dscr"], d["dscr"])
    main, rate = _floats(f["main_improvement"], d["main_improvement"]), _floats(f["grant_rate"], d["grant_rate"])
    specific, improvement, worse = _improvement_tables(ev)
    score_cols = [(k, v.tolist()) for k, v in ev.scores.items()]
    decision = [str(d) for d in ev.decision.tolist()]
    fast = [str(c) or None for c in ev.fast_track_class.tolist()]
    failed, missing = _failed(ev), _missing_documents(ev)
    ref, basis = ev.book.ref, ev.book.grant_bands["basis"]
    out = []
    for i in range(ev.n):
        out.append({
            "row": rows[i], "id": ids[i], "title": titles[i],
            "decision": decision[i], "rulebook": dict(ref), "scores": {k: int(v[i]) for k, v in score_cols},
            "metrics": {
                "npv": npv[i], "irr": irr[i], "simple_payback_years": payback[i],
                "discounted_payback_years": discounted[i], "benefit_cost_ratio": bcr[i],
                "debt_service_coverage": dscr[i],
                "with_grant": {"grant_amount": grant[i], "npv": npv_grant[i], "irr": irr_grant[i],
                               "simple_payback_years": payback_grant[i]},
                "specific_consumption": specific[i], "improvement": improvement[i],
                "main_improvement": main[i], "worse": worse[i], "co2e_avoided_t_per_year": co2[i],
                "grant_band": {"rate": rate[i], "amount": grant[i], "basis": basis},
            },
            "failed_rules": failed[i], "fast_track": fast[i], "documents_missing": missing[i],
        })
    return out
