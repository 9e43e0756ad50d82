"""Rule-change simulation: what a draft rulebook would change over the existing proposals."""
from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any, Iterable

from .engine import assess_batch
from .loader import Rulebook


def compare_portfolio(groups: Iterable[tuple[Rulebook | None, list[dict[str, Any]]]], draft: Rulebook) -> dict[str, Any]:
    """Score each group of proposals with its current rulebook and with the draft; list the changes.

    Both sides run the batch path without explanations, so a portfolio of thousands of
    proposals is compared in one vectorised pass per rulebook.
    """
    changes: list[dict[str, Any]] = []
    moves: Counter[str] = Counter()
    compared = grant_changes = score_changes = 0
    total_before = total_after = Decimal("0.00")
    for current, rows in groups:
        if current is None or not rows:
            continue
        before = assess_batch(current, rows, explain=False, with_sensitivity=False)
        after = assess_batch(draft, rows, explain=False, with_sensitivity=False)
        for row, b, a in zip(rows, before, after):
            compared += 1
            rate_b, rate_a = b["metrics"]["grant_band"]["rate"], a["metrics"]["grant_band"]["rate"]
            amount_b, amount_a = b["metrics"]["grant_band"]["amount"], a["metrics"]["grant_band"]["amount"]
            # Only an eligible proposal can earn its grant; the budget effect counts those.
            total_before += amount_b if b["decision"] == "eligible" and amount_b is not None else 0
            total_after += amount_a if a["decision"] == "eligible" and amount_a is not None else 0
            decision_changed = b["decision"] != a["decision"]
            band_changed = rate_b != rate_a
            score_changed = b["scores"]["total"] != a["scores"]["total"]
            if decision_changed:
                moves[f"{b['decision']} → {a['decision']}"] += 1
            grant_changes += band_changed
            score_changes += score_changed
            if decision_changed or band_changed or score_changed:
                changes.append({
                    "id": row.get("id"), "title": row.get("title"), "rulebook_before": current.ref,
                    "decision_before": b["decision"], "decision_after": a["decision"],
                    "total_before": b["scores"]["total"], "total_after": a["scores"]["total"],
                    "grant_rate_before": rate_b, "grant_rate_after": rate_a,
                    "grant_amount_before": b["metrics"]["grant_band"]["amount"],
                    "grant_amount_after": a["metrics"]["grant_band"]["amount"],
                    "failed_rules_after": a["failed_rules"],
                })
    return {"draft": draft.ref, "compared": compared, "decision_changes": dict(sorted(moves.items())),
            "grant_band_changes": grant_changes, "score_changes": score_changes,
            "grant_total_before": total_before, "grant_total_after": total_after,
            "budget_effect": total_after - total_before, "changes": changes}
