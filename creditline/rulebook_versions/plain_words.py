"""A rulebook said in plain words, so an SME knows what it is judged by (the read-only rulebook pages)."""
from __future__ import annotations

from typing import Any

from ..rules.in_words import condition_in_words
from ..rules.rulebook import DIMENSIONS, Rulebook


def _pct(x: float) -> str:
    return f"{x * 100:g}%"


def plain_words(book: Rulebook) -> dict[str, Any]:
    """Gates, scoring bands and weights, the decision thresholds and the grant bands, as sentences."""
    gates = [{"id": g.id, "description": g.description, "condition": g.when.text,
              "condition_words": condition_in_words(g.when.text, book.currency), "source": g.source,
              "if_not_met": "the proposal is not eligible" if g.on_fail == "ineligible"
              else "a person decides (the proposal is referred)"} for g in book.gates]
    dimensions = []
    for dim in DIMENSIONS:
        rules = [{"id": r.id, "description": r.description, "otherwise": r.otherwise,
                  "bands": [{"points": b.points, "when": b.when.text, "when_words": condition_in_words(b.when.text, book.currency),
                            "says": b.says} for b in r.bands]}
                 for r in book.scoring[dim]]
        dimensions.append({"name": dim, "weight": _pct(book.weights[dim]), "rules": rules})
    d = book.decision
    decision = [f"eligible with a total of at least {d['eligible_from']:g} points"
                + (f" and at least {d['min_each']:g} in each dimension" if d.get("min_each") else ""),
                f"referred to a person from {d['referred_from']:g} points",
                f"not eligible under {d['referred_from']:g} points"]
    g = book.grant_bands
    word = "at least" if g.get("inclusive") else "over"
    bands = [f"{_pct(b['rate'])} of the {g['basis'].replace('_', ' ')} for an improvement {word} {_pct(b['over'])}"
             for b in g["bands"]]
    if g.get("scale") == "graded":
        bands.append("between two bands the rate grows in proportion, rounded down to "
                     f"{_pct(g.get('rate_step', 0.01))}")
    if g.get("cap") is not None:
        bands.append(f"at most {g['cap']:,.0f} {book.currency}")
    return {"gates": gates, "dimensions": dimensions, "decision": decision, "grant_bands": bands}
