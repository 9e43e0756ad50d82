"""A loaded rulebook as typed objects: what the engine, the pages and the services read."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypedDict

from .costs import COST_CATEGORIES
from .expressions import Compiled

DIMENSIONS = ("technical", "economic", "environmental")


class GrantBands(TypedDict, total=False):
    """``grant_bands`` with every default filled in once, by the schema."""

    scale: str
    basis: str
    cap: float | None
    inclusive: bool
    bands: list[dict[str, float]]
    conditions: list[str]
    paid_as: str
    rate_step: float
    source: str


@dataclass
class Gate:
    id: str
    description: str
    when: Compiled
    on_fail: str
    dimension: str | None
    says_pass: str
    says_fail: str
    source: str = ""


@dataclass
class Band:
    when: Compiled
    points: float
    says: str


@dataclass
class ScoreRule:
    id: str
    dimension: str
    description: str
    value: Compiled | None
    fmt: str
    bands: list[Band]
    otherwise: str

    @property
    def max_points(self) -> float:
        return max((b.points for b in self.bands), default=0.0)


@dataclass
class Note:
    id: str
    when: Compiled
    says: str


@dataclass
class FastTrackClass:
    name: str
    description: str
    when: Compiled


@dataclass
class Rulebook:
    id: str
    version: str
    name: str
    currency: str
    effective_from: date | None
    sources: list[str]
    finance: dict[str, Any]
    gates: list[Gate]
    scoring: dict[str, list[ScoreRule]]
    weights: dict[str, float]
    decision: dict[str, float]
    notes: list[Note]
    emission_factors: dict[str, float]
    guarantee: dict[str, Any]
    grant_bands: GrantBands
    fast_track: list[FastTrackClass]
    fast_track_score: float
    documents: list[dict[str, Any]]
    sensitivity: dict[str, Any]
    arrears: dict[str, Any]
    monitoring: dict[str, Any]
    text: str
    hash: str
    path: str = ""
    doc: dict[str, Any] = field(default_factory=dict)
    # Cost categories the line finances (all of them when the rulebook does not say).
    eligible_costs: tuple[str, ...] = COST_CATEGORIES
    # Inputs and the outcome they must give (``flask rules check`` runs them; publishing needs them to hold).
    cases: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ref(self) -> dict[str, str]:
        return {"id": self.id, "version": self.version, "hash": self.hash}

    def rules(self) -> list[dict[str, str]]:
        """Every rule as id, kind and description, for people."""
        out = [{"id": g.id, "kind": f"gate ({g.on_fail} on fail)", "description": g.description} for g in self.gates]
        for dim, rules in self.scoring.items():
            out += [{"id": r.id, "kind": f"{dim} score (max {r.max_points:g})", "description": r.description}
                    for r in rules]
        out += [{"id": n.id, "kind": "note", "description": n.says} for n in self.notes]
        out += [{"id": f"fast-track:{c.name}", "kind": "fast track", "description": c.description}
                for c in self.fast_track]
        return out
