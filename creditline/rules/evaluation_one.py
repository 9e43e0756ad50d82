"""Evaluate a rulebook over one proposal: :func:`.evaluation.evaluate` for a batch of one, without numpy.

Every condition runs through its scalar form (:attr:`.expressions.Compiled.one`, compiled from
the same checked tree as the numpy form), and the gates, bands, scores and decision follow
:func:`.evaluation.evaluate` step for step. The answer is an :class:`.evaluation.Evaluation`
whose columns read as one-item columns (:class:`OneRow`), so results, traces and hints are read
from it exactly as from a batch (``result_of(ev, 0)``).
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import wraps
from typing import Any, Callable, TypeVar

from .evaluation import Evaluation, decide, score_dimensions
from .expressions import scalar_program
from .derivation import derive_one
from .loader import DIMENSIONS, Rulebook

T = TypeVar("T")


def _per_text(compile_: Callable[[Rulebook], T]) -> Callable[[Rulebook], T]:
    """``compile_(book)`` worked out once per rulebook text (its hash), for every proposal it scores.

    An edited rulebook is a new text: past a few dozen texts (the editor's simulations) it starts afresh.
    """
    known: dict[str, T] = {}

    @wraps(compile_)
    def of(book: Rulebook) -> T:
        value = known.get(book.hash)
        if value is None:
            if len(known) >= _MAX_TEXTS:
                known.clear()
            value = known[book.hash] = compile_(book)
        return value
    return of


_MAX_TEXTS = 64


@_per_text
def _program_of(book: Rulebook) -> Callable[[dict[str, Any]], tuple[tuple[int, ...], tuple[bool, ...], str]]:
    """Every condition of ``book`` as one function of the facts.

    It answers (the index of the band each scoring rule matches, -1 for none; whether each
    gate's condition holds; the fast-track class, "" for none), each condition in its scalar
    form, as the loops of :func:`.evaluation.evaluate` would, in one call.
    """
    bands = []
    for dim in DIMENSIONS:
        for rule in book.scoring[dim]:
            chain = "-1"
            for k in range(len(rule.bands) - 1, -1, -1):  # the first matching band wins
                chain = f"({k} if {rule.bands[k].when.source} else {chain})"
            bands.append(chain)
    gates = [f"(True if {g.when.source} else False)" for g in book.gates]
    fast = "''"
    for cls in reversed(book.fast_track):
        fast = f"({cls.name!r} if (F['technology_class'] == {cls.name!r} and {cls.when.source}) else {fast})"
    program: Callable[[dict[str, Any]], tuple[tuple[int, ...], tuple[bool, ...], str]] = scalar_program(
        f"(({''.join(b + ', ' for b in bands)}), ({''.join(g + ', ' for g in gates)}), {fast})")
    return program


@_per_text
def _points_of(book: Rulebook) -> tuple[tuple[str, tuple[tuple[str, tuple[float, ...]], ...]], ...]:
    """Per dimension, each scoring rule's id and its bands' points as floats, then 0.0.

    The trailing 0.0 is what index -1 (no band matched) reads, so a rule's points are one lookup.
    """
    return tuple((dim, tuple((rule.id, (*(float(b.points) for b in rule.bands), 0.0)) for rule in book.scoring[dim]))
                 for dim in DIMENSIONS)


def _scores(book: Rulebook, matched: tuple[int, ...], fast: bool,
            band: dict[str, Any] | None = None, points: dict[str, Any] | None = None) -> dict[str, int]:
    totals: dict[str, float] = {}
    j = 0
    for dim, rules in _points_of(book):
        total = 0.0
        for rule_id, of_band in rules:
            idx = matched[j]
            j += 1
            pts = of_band[idx]
            if band is not None and points is not None:
                band[rule_id], points[rule_id] = [idx], [pts]
            total += pts  # in the rules' order, as the batch adds them
        totals[dim] = total
    return score_dimensions(book, totals, fast)


def _gates(book: Rulebook, holds: tuple[bool, ...], fast: bool) -> dict[str, bool]:
    return {g.id: ok or (fast and g.dimension == "environmental") for g, ok in zip(book.gates, holds)}


@_per_text
def read_by_rules(book: Rulebook) -> frozenset[str]:
    """Every fact a condition of ``book`` reads."""
    conditions = [*(g.when for g in book.gates), *(c.when for c in book.fast_track), *(n.when for n in book.notes),
                  *(b.when for rules in book.scoring.values() for r in rules for b in r.bands)]
    return frozenset(n for c in conditions for n in c.names)


def outcome_one(book: Rulebook, values: dict[str, Any], also: frozenset[str] = frozenset(),
                like: dict[str, Any] | None = None, in_place: bool = False) -> tuple[dict[str, Any], str, dict[str, int]]:
    """(facts, decision, scores) of one proposal's values: what a sensitivity step needs.

    Only the facts the rules read, and ``also``, are sure to be among the facts; ``like`` and
    ``in_place`` are passed to :func:`.derivation.derive_one`.
    """
    need = _NEED.get((book.hash, also))
    if need is None:  # the union once per rulebook text and caller, not once per step
        need = _NEED[(book.hash, also)] = read_by_rules(book) | also
    facts = derive_one(book, values, need, like, in_place)
    # The scores and the decision follow from which bands matched and which gates held alone, and
    # a step mostly moves none of them: each outcome of the conditions is scored once.
    key = (book.hash, _program_of(book)(facts))
    known = _OUTCOMES.get(key)
    if known is None:
        matched, holds, fast_class = key[1]
        fast = fast_class != ""
        scores = _scores(book, matched, fast)
        known = (decide(book, _gates(book, holds, fast), scores), scores)
        if len(_OUTCOMES) >= _MAX_OUTCOMES:
            _OUTCOMES.clear()
        _OUTCOMES[key] = known
    return facts, known[0], dict(known[1])


_NEED: dict[tuple[str, frozenset[str]], frozenset[str]] = {}
_OUTCOMES: dict[tuple[str, Any], tuple[str, dict[str, int]]] = {}
_MAX_OUTCOMES = 4096  # of the few hundred a rulebook's bands and gates give in practice


def evaluated_one(book: Rulebook, values: dict[str, Any]) -> tuple[Evaluation, dict[str, Any]]:
    """:func:`evaluate_one`, and the proposal's facts as plain values (what a sensitivity step is lent)."""
    facts = derive_one(book, values)
    matched, holds, fast_class = _program_of(book)(facts)
    fast = fast_class != ""
    gate_pass = _gates(book, holds, fast)
    band: dict[str, Any] = {}
    points: dict[str, Any] = {}
    scores = _scores(book, matched, fast, band, points)
    notes = {note.id: [bool(note.when.one(facts))] for note in book.notes}
    decision = decide(book, gate_pass, scores)
    columns: tuple[Any, ...] = (OneRow(values), OneRow(facts), OneRow(gate_pass), [fast], [fast_class], band, points,
                                notes, OneRow(scores), [decision])  # read as a batch's arrays are
    return Evaluation(book, *columns), facts


class OneRow(Mapping[str, Any]):
    """One proposal's values by name, read as a batch's columns are: ``row[name][0]``.

    A result reads a few dozen of a hundred facts, so each is wrapped in a one-item column when
    read, not all of them when evaluated.
    """

    __slots__ = ("_values",)

    def __init__(self, values: dict[str, Any]):
        self._values = values

    def __getitem__(self, name: str) -> tuple[Any]:
        return (self._values[name],)

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def evaluate_one(book: Rulebook, values: dict[str, Any]) -> Evaluation:
    """The full evaluation of one proposal (from :func:`.facts.values_of`), as a batch of one."""
    return evaluated_one(book, values)[0]
