"""A rulebook's own test cases: inputs from the published terms and the outcome they must give.

``flask rules check`` runs them for every rulebook, and a draft whose cases do not hold cannot be
published, so a change that silently moves a published threshold is caught before it decides money.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from . import engine
from .rulebook import Rulebook


@dataclass
class CaseOutcome:
    name: str
    problems: list[str] = field(default_factory=list)
    got: dict[str, Any] = field(default_factory=dict)

    @property
    def holds(self) -> bool:
        return not self.problems


def run_case(book: Rulebook, case: dict[str, Any]) -> CaseOutcome:
    """Score one case's input with the rulebook and compare with what it expects."""
    out = CaseOutcome(case["name"])
    row = dict(case["input"])
    row.setdefault("currency", book.currency)
    invalid = engine.validate_proposal_row(row)
    if invalid:
        out.problems = [f"input {k}: {'; '.join(v)}" for k, v in sorted(invalid.items())]
        return out
    result = engine.assess(book, row)
    band = result["metrics"]["grant_band"]
    out.got = {"decision": result["decision"], "scores": dict(result["scores"]),
               "failed_rules": list(result["failed_rules"]), "grant_rate": band["rate"],
               "grant_amount": band["amount"]}
    want = case["expect"]
    if want["decision"] != result["decision"]:
        out.problems.append(f"decision is {result['decision']}, expected {want['decision']}")
    for dim, points in (want.get("scores") or {}).items():
        if abs(float(result["scores"][dim]) - points) > 1e-9:
            out.problems.append(f"{dim} score is {result['scores'][dim]}, expected {points:g}")
    if "failed_rules" in want and sorted(want["failed_rules"]) != sorted(result["failed_rules"]):
        out.problems.append(f"failed rules are {result['failed_rules'] or 'none'}, expected {want['failed_rules'] or 'none'}")
    if "grant_rate" in want and abs(float(band["rate"]) - want["grant_rate"]) > 1e-9:
        out.problems.append(f"grant rate is {band['rate']}, expected {want['grant_rate']:g}")
    if "grant_amount" in want and Decimal(str(band["amount"])) != Decimal(str(want["grant_amount"])).quantize(Decimal("0.01")):
        out.problems.append(f"grant amount is {band['amount']}, expected {want['grant_amount']}")
    return out


def run_cases(book: Rulebook) -> list[CaseOutcome]:
    """Every case of the rulebook, in order."""
    return [run_case(book, c) for c in book.cases]


def case_problems(book: Rulebook) -> list[str]:
    """One line per failing case (and one when the rulebook has none), for people and for CI."""
    if not book.cases:
        return [f"{book.id} {book.version}: carries no cases; add 'cases:' with the published examples"]
    return [f"{book.id} {book.version}: case '{o.name}': {'; '.join(o.problems)}" for o in run_cases(book) if not o.holds]
