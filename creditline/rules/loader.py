"""Load rulebooks through the strict schema: every problem names the source, the path and the line."""
from __future__ import annotations

import difflib
import hashlib
from pathlib import Path
from typing import Any

import yaml
from marshmallow import Schema, ValidationError, fields

from .rulebook import DIMENSIONS, Band, FastTrackClass, Gate, GrantBands, Note, Rulebook, ScoreRule
from .schema import RulebookSchema
from .source_lines import SourceText, format_path

__all__ = ["DIMENSIONS", "Band", "FastTrackClass", "Gate", "Note", "Rulebook", "RulebookError", "ScoreRule",
           "content_hash", "load_directory", "load_rulebook", "parse_rulebook"]

MAX_PROBLEMS = 50


class RulebookError(ValueError):
    """A rulebook that cannot be used; ``problems`` lists every reason, ``where`` the line of each."""

    def __init__(self, problems: list[str], lines: list[int | None] | None = None):
        super().__init__("; ".join(problems))
        self.problems = problems
        self.lines = lines or [None] * len(problems)


def parse_rulebook(text: str, source: str = "rulebook") -> Rulebook:
    """Parse and validate rulebook YAML into typed objects; raise :class:`RulebookError` listing every problem."""
    try:
        src = SourceText(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise RulebookError([f"{source}: not valid YAML: {exc}"], [line]) from None
    except (ValueError, RecursionError) as exc:
        # A 5,000-digit integer (Python's int-to-text limit) or nesting too deep to compose.
        why = ("nested too deep" if isinstance(exc, RecursionError)
               else "a number has too many digits" if "digits" in str(exc) else str(exc)[:120])
        raise RulebookError([f"{source}: not a usable rulebook: {why}"]) from None
    if not isinstance(src.data, dict):
        raise RulebookError([f"{source}: top level (line 1): must be a mapping of sections like 'id:' and "
                             f"'eligibility:'"], [1])
    schema = RulebookSchema()
    try:
        doc = schema.load(src.data)
    except ValidationError as exc:
        found = sorted(_flatten(exc.messages, ()), key=lambda pm: src.line(pm[0]) or 0)[:MAX_PROBLEMS]
        lines = [src.line(path) for path, _ in found]
        problems = [f"{source}: {format_path(path)} (line {line}{_rule_of(src.data, path)}): "
                    f"{_reword(schema, path, msg)}" for (path, msg), line in zip(found, lines)]
        raise RulebookError(problems, lines) from None
    scoring: dict[str, list[ScoreRule]] = {}
    for dim in DIMENSIONS:
        for rule in doc["scoring"][dim]["rules"]:
            rule.dimension = dim
        scoring[dim] = doc["scoring"][dim]["rules"]
    grant_bands: GrantBands = doc["grant_bands"]
    return Rulebook(
        id=doc["id"], version=doc["version"], name=doc["name"] or doc["id"], currency=doc["currency"],
        effective_from=doc["effective_from"], sources=doc["sources"], finance=doc["finance"],
        gates=doc["eligibility"], scoring=scoring,
        weights={dim: doc["scoring"][dim]["weight"] for dim in DIMENSIONS}, decision=doc["decision"],
        notes=doc["notes"], emission_factors={k: v["t_co2e_per_unit"] for k, v in doc["emission_factors"].items()},
        guarantee=doc["guarantee"], grant_bands=grant_bands, fast_track=doc["fast_track"]["classes"],
        fast_track_score=doc["fast_track"]["score"], documents=doc["documents"], sensitivity=doc["sensitivity"],
        arrears=doc["arrears"], monitoring=doc["monitoring"], text=text, hash=content_hash(text),
        doc=src.data, eligible_costs=tuple(doc["eligible_costs"]["categories"]), cases=doc["cases"])


def _flatten(messages: Any, path: tuple[str | int, ...]) -> list[tuple[tuple[str | int, ...], str]]:
    """marshmallow's nested error dict as (path, message) pairs; a whole-part check names the part."""
    if isinstance(messages, dict):
        out = []
        for key, value in messages.items():
            step: tuple[str | int, ...] = () if key == "_schema" else (key,)
            out += _flatten(value, path + step)
        return out
    if isinstance(messages, list):
        if all(isinstance(m, str) for m in messages):
            return [(path, m) for m in messages]
        return [pm for m in messages for pm in _flatten(m, path)]
    return [(path, str(messages))]


def _reword(schema: Schema, path: tuple[str | int, ...], message: str) -> str:
    """marshmallow's terse messages, said for the person editing the YAML."""
    if message == "Unknown field.":
        known = _known_keys(schema, path[:-1])
        near = difflib.get_close_matches(str(path[-1]), known, n=1)
        return f"unknown key '{path[-1]}'" + (f"; did you mean '{near[0]}'?" if near else
                                              f"; known keys here: {', '.join(known)}")
    if message == "Missing data for required field.":
        return f"'{path[-1]}' is required"
    if message == "Not a valid list.":
        return "must be a list (items starting with '- ')"
    if message in ("Invalid input type.", "Not a valid mapping type."):
        return "must be a mapping of fields (key: value)"
    if message == "Not a valid string.":
        return "must be text (put quotes around a number meant as text)"
    if message == "Not a valid boolean.":
        return "must be true or false"
    return message


def _rule_of(doc: Any, path: tuple[str | int, ...]) -> str:
    """", rule 'loan-bounds'" when the path runs through a list item that has an id."""
    label = ""
    for step in path:
        try:
            doc = doc[step]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(step, int) and isinstance(doc, dict):
            name = doc.get("id", doc.get("class", doc.get("name")))
            label = f", rule '{name}'" if isinstance(name, str) else label
    return label


def _known_keys(schema: Schema, path: tuple[str | int, ...]) -> list[str]:
    for step in path:
        if isinstance(step, int):
            continue
        f = next((f for n, f in schema.fields.items() if (f.data_key or n) == step), None)
        f = f.inner if isinstance(f, fields.List) else f
        if not isinstance(f, fields.Nested):
            return []
        schema = f.schema
    return [f.data_key or n for n, f in schema.fields.items()]


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
