"""Load and validate rulebooks (design §4): every problem names the file, the rule and the field."""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from ..verification.baseline_model import rulebook_settings
from ..verification.sufficiency import resolve_settings
from ..vocabulary import DOCUMENT_KINDS, STREAMS
from .costs import COST_CATEGORIES
from .expressions import NUM, Compiled, ExpressionError, compile_expression
from .facts import CATALOGUE, FACT_TYPES, SETS
from .grants import GRANT_CONDITIONS

DIMENSIONS = ("technical", "economic", "environmental")
ON_FAIL = ("ineligible", "refer")
SENSITIVITY_FACTORS = ("annual_savings", "investment", "energy_prices")
FORMATS = ("money", "pct", "years", "int", "num", "ratio", "text")


class RulebookError(ValueError):
    """A rulebook that cannot be used; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


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
    grant_bands: dict[str, Any]
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


class _Checker:
    def __init__(self, source: str):
        self.source = source
        self.problems: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(f"{self.source}: {where}: {message}")

    def mapping(self, doc: Any, where: str) -> dict[str, Any]:
        if not isinstance(doc, dict):
            self.fail(where, "must be a mapping of fields")
            return {}
        return doc

    def number(self, doc: dict[str, Any], key: str, where: str, lo: float | None = None, hi: float | None = None,
               default: Any = ...) -> float:
        value = doc.get(key, default)
        if value is ...:
            self.fail(where, f"field '{key}' is required")
            return 0.0
        if value is None and default is None:
            return None  # type: ignore[return-value]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(where, f"field '{key}' must be a number, not {str(value)[:40]!r}")
            return 0.0
        try:
            # A 400-digit integer overflows float; inf or nan would poison every score.
            finite = math.isfinite(float(value))
        except OverflowError:
            finite = False
        if not finite:
            self.fail(where, f"field '{key}' must be a finite number of sensible size")
            return 0.0
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            self.fail(where, f"field '{key}' is {value}, outside {lo} to {hi}")
        return float(value)

    def items(self, value: Any, where: str) -> list[Any]:
        """A list the YAML may leave out (None); anything else than a list is named, not iterated."""
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(where, f"must be a list, not {type(value).__name__}")
            return []
        return value

    def text(self, doc: dict[str, Any], key: str, where: str, default: Any = ...) -> str:
        value = doc.get(key, default)
        if value is ...:
            self.fail(where, f"field '{key}' is required")
            return ""
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            self.fail(where, f"field '{key}' must be text")
            return ""
        return str(value)

    def expr(self, value: Any, where: str, key: str, want: str | None = "bool") -> Compiled | None:
        try:
            return compile_expression(value, FACT_TYPES, SETS, want=want)
        except ExpressionError as exc:
            self.fail(where, f"field '{key}': {exc}")
            return None


def _gates(c: _Checker, items: Any) -> list[Gate]:
    out: list[Gate] = []
    for n, item in enumerate(c.items(items, "eligibility")):
        rid = item.get("id", f"#{n + 1}") if isinstance(item, dict) else f"#{n + 1}"
        where = f"eligibility rule '{rid}'"
        item = c.mapping(item, where)
        when = c.expr(item.get("when"), where, "when")
        on_fail = item.get("on_fail", "ineligible")
        if on_fail not in ON_FAIL:
            c.fail(where, f"field 'on_fail' must be one of {', '.join(ON_FAIL)}, not {on_fail!r}")
        dim = item.get("dimension")
        if dim is not None and dim not in DIMENSIONS:
            c.fail(where, f"field 'dimension' must be one of {', '.join(DIMENSIONS)}")
        desc = c.text(item, "description", where)
        if when is not None:
            out.append(Gate(str(rid), desc, when, on_fail, dim, c.text(item, "pass", where, desc),
                            c.text(item, "fail", where, f"not met: {desc}"), c.text(item, "source", where, "")))
    return out


def _scoring(c: _Checker, doc: Any) -> tuple[dict[str, list[ScoreRule]], dict[str, float]]:
    doc = c.mapping(doc, "scoring")
    scoring: dict[str, list[ScoreRule]] = {}
    weights: dict[str, float] = {}
    for dim in DIMENSIONS:
        where = f"scoring.{dim}"
        part = c.mapping(doc.get(dim), where)
        weights[dim] = c.number(part, "weight", where, 0, 1)
        rules: list[ScoreRule] = []
        for n, item in enumerate(c.items(part.get("rules"), f"{where}.rules")):
            rid = item.get("id", f"#{n + 1}") if isinstance(item, dict) else f"#{n + 1}"
            rwhere = f"scoring rule '{rid}'"
            item = c.mapping(item, rwhere)
            value = c.expr(item["value"], rwhere, "value", want=NUM) if "value" in item else None
            fmt = item.get("format") or (CATALOGUE[value.names[0]].fmt if value is not None and value.names else "num")
            if fmt not in FORMATS:
                c.fail(rwhere, f"field 'format' must be one of {', '.join(FORMATS)}")
            bands: list[Band] = []
            for k, band in enumerate(c.items(item.get("bands"), f"{rwhere} bands")):
                band = c.mapping(band, f"{rwhere} band {k + 1}")
                when = c.expr(band.get("when"), f"{rwhere} band {k + 1}", "when")
                points = c.number(band, "points", f"{rwhere} band {k + 1}", 0, 100)
                if when is not None:
                    bands.append(Band(when, points, c.text(band, "says", f"{rwhere} band {k + 1}", "")))
            if not bands:
                c.fail(rwhere, "field 'bands' needs at least one band")
            rules.append(ScoreRule(str(rid), dim, c.text(item, "description", rwhere), value, fmt, bands,
                                   c.text(item, "otherwise", rwhere, "no points")))
        total = sum(r.max_points for r in rules)
        if rules and abs(total - 100) > 1e-9:
            c.fail(where, f"the best bands of its rules add up to {total:g} points; they must add up to 100")
        scoring[dim] = rules
    if abs(sum(weights.values()) - 1) > 1e-9:
        c.fail("scoring", f"the dimension weights add up to {sum(weights.values()):g}; they must add up to 1")
    return scoring, weights


def _grant_bands(c: _Checker, doc: Any) -> dict[str, Any]:
    where = "grant_bands"
    doc = c.mapping(doc, where)
    scale = doc.get("scale", "steps")
    if scale not in ("steps", "graded"):
        c.fail(where, "field 'scale' must be steps or graded")
    basis = doc.get("basis", "loan_amount")
    if basis not in ("loan_amount", "eligible_cost"):
        c.fail(where, "field 'basis' must be loan_amount or eligible_cost")
    bands = []
    for k, band in enumerate(c.items(doc.get("bands"), f"{where}.bands")):
        band = c.mapping(band, f"{where} band {k + 1}")
        bands.append({"over": c.number(band, "over", f"{where} band {k + 1}", 0, 1),
                      "rate": c.number(band, "rate", f"{where} band {k + 1}", 0, 1)})
    if not bands:
        c.fail(where, "field 'bands' needs at least one band")
    overs = [b["over"] for b in bands]
    if overs != sorted(overs) or len(set(overs)) != len(overs):
        c.fail(where, "bands must be listed by rising 'over' threshold, each threshold once")
    conditions = doc.get("conditions")
    if conditions is not None:
        if not isinstance(conditions, list) or not all(isinstance(n, str) for n in conditions):
            c.fail(where, "field 'conditions' must be a list of condition names")
        else:
            for name in conditions:
                if name not in GRANT_CONDITIONS:
                    c.fail(where, f"unknown condition '{name}' in 'conditions'; "
                                  f"known: {', '.join(GRANT_CONDITIONS)}")
    return {**doc, "scale": scale, "basis": basis, "bands": bands,
            "cap": c.number(doc, "cap", where, 0, None, default=None),
            "inclusive": bool(doc.get("inclusive", False))}


def parse_rulebook(text: str, source: str = "rulebook") -> Rulebook:
    """Parse and validate rulebook YAML; raise :class:`RulebookError` listing every problem."""
    c = _Checker(source)
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RulebookError([f"{source}: not valid YAML: {exc}"]) from None
    except (ValueError, RecursionError) as exc:
        # A 5,000-digit integer (Python's int-to-text limit) or nesting too deep to compose.
        why = ("nested too deep" if isinstance(exc, RecursionError)
               else "a number has too many digits" if "digits" in str(exc) else str(exc)[:120])
        raise RulebookError([f"{source}: not a usable rulebook: {why}"]) from None
    doc = c.mapping(doc, "top level")
    rid, version = c.text(doc, "id", "top level"), c.text(doc, "version", "top level")
    currency = c.text(doc, "currency", "top level")
    effective = doc.get("effective_from")
    if effective is not None and not isinstance(effective, date):
        c.fail("top level", "field 'effective_from' must be a date like 2007-01-01")
        effective = None
    finance = c.mapping(doc.get("finance"), "finance")
    finance["discount_rate"] = c.number(finance, "discount_rate", "finance", 0, 1)
    finance["energy_share_of_savings"] = c.number(finance, "energy_share_of_savings", "finance", 0, 1, default=1.0)
    gates = _gates(c, doc.get("eligibility"))
    scoring, weights = _scoring(c, doc.get("scoring"))
    decision = c.mapping(doc.get("decision"), "decision")
    decision = {"eligible_from": c.number(decision, "eligible_from", "decision", 0, 100),
                "referred_from": c.number(decision, "referred_from", "decision", 0, 100),
                "min_each": c.number(decision, "min_each", "decision", 0, 100, default=0)}
    if decision["referred_from"] > decision["eligible_from"]:
        c.fail("decision", "field 'referred_from' must not be above 'eligible_from'")
    notes = []
    for n, item in enumerate(c.items(doc.get("notes"), "notes")):
        item = c.mapping(item, f"note #{n + 1}")
        when = c.expr(item.get("when"), f"note '{item.get('id', n + 1)}'", "when")
        if when is not None:
            notes.append(Note(str(item.get("id", f"note-{n + 1}")), when, c.text(item, "says", f"note '{item.get('id')}'")))
    factors: dict[str, float] = {}
    for stream, spec in (c.mapping(doc.get("emission_factors") or {}, "emission_factors")).items():
        if stream not in STREAMS:
            c.fail(f"emission_factors.{stream}", f"unknown stream (known: {', '.join(STREAMS)})")
            continue
        spec = c.mapping(spec, f"emission_factors.{stream}")
        factors[stream] = c.number(spec, "t_co2e_per_unit", f"emission_factors.{stream}", 0, None)
        c.text(spec, "source", f"emission_factors.{stream}")
    ft = c.mapping(doc.get("fast_track") or {}, "fast_track")
    fast = []
    for n, item in enumerate(c.items(ft.get("classes"), "fast_track.classes")):
        item = c.mapping(item, f"fast_track class #{n + 1}")
        where = f"fast_track class '{item.get('class', n + 1)}'"
        when = c.expr(item.get("when", "true"), where, "when")
        if when is not None:
            fast.append(FastTrackClass(c.text(item, "class", where), c.text(item, "description", where), when))
    documents = []
    for n, item in enumerate(c.items(doc.get("documents"), "documents")):
        item = c.mapping(item, f"documents #{n + 1}")
        if not isinstance(item.get("kind"), str) or item.get("kind") not in DOCUMENT_KINDS:
            c.fail(f"documents #{n + 1}", f"field 'kind' must be one of {', '.join(DOCUMENT_KINDS)}")
        kind = item.get("kind") if isinstance(item.get("kind"), str) else None
        documents.append({"kind": kind, "description": item.get("description") or DOCUMENT_KINDS.get(kind or "", ""),
                          "required": bool(item.get("required", True))})
    sens = c.mapping(doc.get("sensitivity") or {}, "sensitivity")
    sens = {"steps": c.items(sens.get("steps", [-0.2, 0.2]), "sensitivity.steps"),
            "factors": c.items(sens.get("factors", list(SENSITIVITY_FACTORS)), "sensitivity.factors")}
    if not all(isinstance(s, (int, float)) and not isinstance(s, bool) and -1 < s < 1 and s != 0
               for s in sens["steps"]):
        c.fail("sensitivity", "field 'steps' must be changes between -1 and 1, like -0.2")
    for f in sens["factors"]:
        if not isinstance(f, str) or f not in SENSITIVITY_FACTORS:
            c.fail("sensitivity", f"unknown factor {f!r} (known: {', '.join(SENSITIVITY_FACTORS)})")
    arrears = c.mapping(doc.get("arrears") or {}, "arrears")
    arrears["default_after_days"] = int(c.number(arrears, "default_after_days", "arrears", 1, 3650, default=90))
    guarantee = c.mapping(doc.get("guarantee") or {}, "guarantee")
    for key in ("coverage", "max_total_cover", "fee_rate"):
        if key in guarantee:
            c.number(guarantee, key, "guarantee", 0, 1)
    grant_bands = _grant_bands(c, doc.get("grant_bands"))
    costs = c.mapping(doc.get("eligible_costs") or {}, "eligible_costs")
    categories = costs.get("categories", list(COST_CATEGORIES))
    if not isinstance(categories, list) or not all(isinstance(k, str) and k in COST_CATEGORIES for k in categories):
        c.fail("eligible_costs", f"field 'categories' must list categories among {', '.join(COST_CATEGORIES)}")
        categories = []
    fast_score = c.number(ft, "score", "fast_track", 0, 100, default=100)
    sources = [str(s) for s in c.items(doc.get("sources"), "sources")]
    monitoring = c.mapping(doc.get("monitoring") or {}, "monitoring")
    try:
        resolve_settings({**(monitoring.get("verification") or {}),
                          "offset_method": monitoring.get("offset_method", "min_of_all")})
    except (ValueError, TypeError, KeyError) as exc:
        c.fail("monitoring", str(exc))
    _baseline_model(c, monitoring)
    if c.problems:
        raise RulebookError(c.problems)
    return Rulebook(
        id=rid, version=version, name=str(doc.get("name") or rid), currency=currency, effective_from=effective,
        sources=sources, finance=finance, gates=gates, scoring=scoring,
        weights=weights, decision=decision, notes=notes, emission_factors=factors, guarantee=guarantee,
        grant_bands=grant_bands, fast_track=fast, fast_track_score=fast_score,
        documents=documents, sensitivity=sens, arrears=arrears, monitoring=dict(monitoring),
        text=text, hash=content_hash(text), doc=doc, eligible_costs=tuple(categories))


def _baseline_model(c: _Checker, monitoring: dict[str, Any]) -> None:
    """monitoring.verification.baseline_model: fit thresholds and the band basis (issue 16)."""
    try:
        rulebook_settings(monitoring)
    except ValueError as exc:
        c.fail("monitoring.verification.baseline_model", str(exc))


def content_hash(text: str) -> str:
    """The SHA-256 of a rulebook's text, as assessments store it."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_rulebook(path: str | Path) -> Rulebook:
    """Read and validate one rulebook file."""
    path = Path(path)
    book = parse_rulebook(path.read_text(encoding="utf-8"), str(path))
    book.path = str(path)
    return book


def load_directory(directory: str | Path) -> tuple[list[Rulebook], list[str]]:
    """Every valid rulebook of a directory, and the problems of the others."""
    books, problems = [], []
    for path in sorted(Path(directory).glob("*.yaml")):
        try:
            books.append(load_rulebook(path))
        except RulebookError as exc:
            problems += exc.problems
    return books, problems
