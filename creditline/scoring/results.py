"""Flatten batch results to one table row per proposal (CSV output of the batch scorer)."""
from __future__ import annotations

from typing import Any

from ..rules.engine import to_json

COLUMNS = ("row", "id", "title", "decision", "score_technical", "score_economic", "score_environmental",
           "score_total", "npv", "irr", "simple_payback_years", "discounted_payback_years",
           "benefit_cost_ratio", "main_improvement", "co2e_avoided_t_per_year", "grant_rate",
           "grant_amount", "failed_rules", "errors")


def result_rows(results: list[dict[str, Any]], errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One flat row per proposal, scored or rejected, in input order."""
    out: list[dict[str, Any]] = []
    for r in results:
        m = to_json(r["metrics"])
        out.append({"row": r["row"], "id": r.get("id"), "title": r.get("title"), "decision": r["decision"],
                    **{f"score_{k}": v for k, v in r["scores"].items()},
                    **{k: m[k] for k in ("irr", "simple_payback_years", "discounted_payback_years",
                                         "benefit_cost_ratio", "main_improvement")},
                    # Money and tonnes stay Decimal: numbers, which exports.cell leaves alone (a
                    # negative NPV written as text would be formula-quoted: '-123.45).
                    "npv": r["metrics"]["npv"], "co2e_avoided_t_per_year": r["metrics"]["co2e_avoided_t_per_year"],
                    "grant_rate": m["grant_band"]["rate"], "grant_amount": r["metrics"]["grant_band"]["amount"],
                    "failed_rules": ";".join(r["failed_rules"]), "errors": ""})
    for e in errors:
        out.append({"row": e["row"], "decision": "rejected",
                    "errors": "; ".join(f"{k}: {', '.join(v)}" for k, v in e["errors"].items())})
    out.sort(key=lambda r: r["row"])
    return [{c: r.get(c) for c in COLUMNS} for r in out]
