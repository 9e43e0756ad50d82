"""Evaluate a rulebook over many proposals at once: gates, fast track, points, scores, decision.

Everything here works on arrays of one value per proposal. The single-proposal assessment is
this very evaluation over a batch of one, so both paths share every rule definition.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..finance.array_ops import ARRAY, SCALAR
from .derivation import derive
from .loader import DIMENSIONS, Rulebook


@dataclass
class Evaluation:
    """The outcome of a rulebook over n proposals."""

    book: Rulebook
    cols: dict[str, np.ndarray]
    facts: dict[str, np.ndarray]
    gate_pass: dict[str, np.ndarray]
    fast_track: np.ndarray            # bool: the equipment is on a pre-approved list
    fast_track_class: np.ndarray      # object: the matching class name, "" if none
    band: dict[str, np.ndarray]       # int: index of the band each scoring rule matched, -1 if none
    points: dict[str, np.ndarray]
    notes: dict[str, np.ndarray]
    scores: dict[str, np.ndarray]     # int 0-100 per dimension, and "total"
    decision: np.ndarray              # object: eligible / referred / ineligible

    @property
    def n(self) -> int:
        return len(self.decision)


def _bool(value: Any, n: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(value, dtype=bool), (n,)).copy()


def evaluate(book: Rulebook, cols: dict[str, np.ndarray]) -> Evaluation:
    """Run every rule of ``book`` over the proposal columns."""
    facts = derive(book, cols)
    n = len(facts["investment"])
    fast = np.zeros(n, dtype=bool)
    fast_class = np.full(n, "", dtype=object)
    for cls in book.fast_track:
        hit = (facts["technology_class"] == cls.name) & _bool(cls.when.evaluate(facts), n) & ~fast
        fast_class = np.where(hit, cls.name, fast_class)
        fast |= hit
    gate_pass: dict[str, np.ndarray] = {}
    for gate in book.gates:
        ok = _bool(gate.when.evaluate(facts), n)
        if gate.dimension == "environmental":
            ok = ok | fast
        gate_pass[gate.id] = ok
    band: dict[str, np.ndarray] = {}
    points: dict[str, np.ndarray] = {}
    totals: dict[str, np.ndarray] = {}
    for dim in DIMENSIONS:
        total = np.zeros(n)
        for rule in book.scoring[dim]:
            idx = np.full(n, -1, dtype=np.int64)
            pts = np.zeros(n)
            # First matching band wins: walk them backwards so earlier bands overwrite later ones.
            for k in range(len(rule.bands) - 1, -1, -1):
                hit = _bool(rule.bands[k].when.evaluate(facts), n)
                idx = np.where(hit, k, idx)
                pts = np.where(hit, rule.bands[k].points, pts)
            band[rule.id], points[rule.id] = idx, pts
            total += pts
        totals[dim] = total
    scores = score_dimensions(book, totals, fast, n)
    notes = {note.id: _bool(note.when.evaluate(facts), n) for note in book.notes}
    return Evaluation(book, cols, facts, gate_pass, fast, fast_class, band, points, notes, scores,
                      decide(book, gate_pass, scores, n))


def score_dimensions(book: Rulebook, totals: dict[str, Any], fast: Any, n: int | None = None) -> dict[str, Any]:
    """Each dimension's score from its sum of points (rounded half up, kept within 0-100, the
    fast track's floor on the environmental one), and the weighted total.

    One rule for a batch (arrays, ``n`` proposals) and for one proposal (``n`` None: floats in, ints out).
    """
    o = SCALAR if n is None else ARRAY
    scores: dict[str, Any] = {}
    for dim in DIMENSIONS:
        score = o.clip(o.floor(totals[dim] + 0.5), 0, 100)
        if dim == "environmental" and book.fast_track:
            score = o.where(fast, o.maximum(score, book.fast_track_score), score)
        scores[dim] = o.integers(score)
    weighted: Any = 0  # as sum() adds them, without its generator's cost for one proposal
    for dim in DIMENSIONS:
        weighted = weighted + book.weights[dim] * scores[dim]
    scores["total"] = o.integers(o.floor(weighted + 0.5 + 1e-9))
    return scores


def decide(book: Rulebook, gate_pass: dict[str, Any], scores: dict[str, Any], n: int | None = None) -> Any:
    """Gates first (a hard gate makes it ineligible, a soft one refers), then the score bands.

    One rule for a batch (arrays of one value per proposal, ``n`` of them) and for one proposal
    (``n`` None: bools and ints in, the decision's text out).
    """
    o = SCALAR if n is None else ARRAY
    hard_fail = soft_fail = weak_dimension = False
    for gate in book.gates:
        failed = o.not_(gate_pass[gate.id])
        if gate.on_fail == "ineligible":
            hard_fail = hard_fail | failed
        else:
            soft_fail = soft_fail | failed
    total = scores["total"]
    for dim in DIMENSIONS:
        weak_dimension = weak_dimension | (scores[dim] < book.decision["min_each"])
    by_score = o.where(total >= book.decision["eligible_from"],
                       o.where(weak_dimension, "referred", "eligible"),
                       o.where(total >= book.decision["referred_from"], "referred", "ineligible"))
    out = o.where(hard_fail, "ineligible", o.where(soft_fail & (by_score != "ineligible"), "referred", by_score))
    return out if n is None else np.broadcast_to(out, (n,)).astype(object)


def failed_rules(ev: Evaluation, i: int) -> list[str]:
    """Ids of the gates row ``i`` failed."""
    return [g.id for g in ev.book.gates if not ev.gate_pass[g.id][i]]
