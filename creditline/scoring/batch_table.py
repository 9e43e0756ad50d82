"""The flat result table of a batch built straight from the evaluation's columns (``flask score``'s CSV).

The same table as :func:`.results.result_rows` of the per-row results, one row per proposal,
scored or rejected, in input order, with the same values (figures rounded as the engine rounds
them, money and tonnes as the text of their Decimal), but without a dict per proposal.
:func:`write_csv` writes it with text that could start a spreadsheet formula quoted, as
:func:`creditline.exports.frame` does, a column at a time.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import pandas as pd

from ..exports import FORMULA_STARTS
from ..rules.evaluation import Evaluation
from .batch_results import rounded
from .results import COLUMNS

# Below this size the ``digits``-decimal text of the rounded float is its shortest repr padded
# with zeros, which is what Decimal(repr(x)).quantize(...) gives (at most 15 significant digits).
_PLAIN_BELOW = 1e11
SCORES = tuple(c for c in COLUMNS if c.startswith("score_"))


def _floats(values: np.ndarray, digits: int) -> np.ndarray:
    """The engine's ``_f`` over a column: rounded as Python rounds, NaN where not finite."""
    out = np.array(rounded(values, digits), dtype=float)
    out[~np.isfinite(values)] = np.nan
    return out


def _decimal_texts(values: np.ndarray, digits: int) -> list[str | None]:
    """``str(Decimal(repr(round(x, digits))).quantize(...))`` of every value (None where not finite)."""
    quantum = Decimal(1).scaleb(-digits)
    out: list[str | None] = []
    for x in rounded(values, digits):
        if x != x or x in (float("inf"), float("-inf")):
            out.append(None)
        elif -_PLAIN_BELOW < x < _PLAIN_BELOW:
            out.append(f"{x:.{digits}f}")
        else:
            out.append(str(Decimal(repr(x)).quantize(quantum, rounding=ROUND_HALF_UP)))
    return out


def _failed_rules(ev: Evaluation) -> list[str]:
    """Each row's failed gates joined by ';', in the rulebook's order (one join per distinct set)."""
    gates = [g.id for g in ev.book.gates]
    code = np.zeros(ev.n, np.int64)
    for bit, gid in enumerate(gates):
        code |= (~ev.gate_pass[gid]).astype(np.int64) << bit
    distinct, back = np.unique(code, return_inverse=True)
    texts = np.array([";".join(g for b, g in enumerate(gates) if c >> b & 1) for c in distinct.tolist()], dtype=object)
    return texts[back].tolist()


def _scored(ev: Evaluation, rows: list[int], ids: list[Any], titles: list[Any]) -> dict[str, Any]:
    f = ev.facts
    money = _decimal_texts(f["npv"], 2)
    grant = _decimal_texts(f["grant_amount"], 2)
    # Tonnes have no "not finite" in the per-row path; the same text comes out for every finite value.
    co2 = _decimal_texts(f["co2e_avoided_t"], 3)
    return {
        "row": rows, "id": ids, "title": titles, "decision": [str(d) for d in ev.decision.tolist()],
        **{f"score_{k}": np.asarray(v) for k, v in ev.scores.items()},
        "npv": money, "irr": _floats(f["irr"], 4), "simple_payback_years": _floats(f["simple_payback_years"], 2),
        "discounted_payback_years": _floats(f["discounted_payback_years"], 2),
        "benefit_cost_ratio": _floats(f["benefit_cost_ratio"], 3), "main_improvement": _floats(f["main_improvement"], 4),
        "co2e_avoided_t_per_year": co2, "grant_rate": _floats(f["grant_rate"], 4), "grant_amount": grant,
        "failed_rules": _failed_rules(ev), "errors": [""] * ev.n,
    }


def error_text(errors: dict[str, list[str]]) -> str:
    """A rejected row's problems on one line: ``field: message, message; field: ...``."""
    return "; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items())


def result_table(ev: Evaluation | None, rows: list[int], ids: list[Any], titles: list[Any],
                 errors: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per proposal, scored (from ``ev``, in the order of ``rows``) or rejected, sorted by row."""
    scored = pd.DataFrame(_scored(ev, rows, ids, titles)) if ev is not None and ev.n else pd.DataFrame()
    rejected = pd.DataFrame({"row": [e["row"] for e in errors], "decision": ["rejected"] * len(errors),
                             "errors": [error_text(e["errors"]) for e in errors]})
    parts = [p for p in (scored, rejected) if len(p)]
    table = pd.concat(parts, ignore_index=True) if len(parts) > 1 else (parts[0] if parts else pd.DataFrame())
    table = table.reindex(columns=list(COLUMNS))
    if len(table):
        table = table.sort_values("row", kind="stable", ignore_index=True)
    for col in SCORES:
        # Rejected rows have no scores; a nullable integer keeps 100 from being written as 100.0.
        table[col] = table[col].astype("Int64")
    return table


def write_csv(table: pd.DataFrame, path: Any) -> None:
    """Write the table with every text cell that could start a formula quoted (``'`` in front)."""
    safe = table.copy()
    for col in safe.columns:
        if safe[col].dtype == object or pd.api.types.is_string_dtype(safe[col].dtype):
            values = safe[col]
            texts = values.map(lambda v: isinstance(v, str)) if values.dtype == object else values.notna()
            risky = texts & values.astype(str).str.startswith(FORMULA_STARTS)
            safe[col] = values.where(~risky, "'" + values.astype(str))
    safe.to_csv(path, index=False)
