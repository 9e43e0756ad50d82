"""Whole-column checks for the batch fast path, every number's bounds from its declaration.

The fast path (:mod:`.batch_fast`) only *accepts* values; anything it cannot decide for certain is
left to the marshmallow schema, so error messages always come from the schema. Each number's
:class:`FieldRule` (kind, decimal places, bounds) is generated from its :class:`.inputs.Figure`,
the declaration the schema's field is generated from too; texts, days and ids keep their field
(``Length`` limits read, other validators run once per distinct value). Then :func:`numbers_ok` / :func:`texts_ok` check a whole column of raw values at
once against it. Numbers are accepted only in a plain form (digits, optionally a dot and digits,
at most 15 characters) so that float64 holds them exactly enough to compare with the bounds.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Callable

import numpy as np
from marshmallow import ValidationError, fields, validate

from ..safe_text import text_problem
from ..proposal_inputs import ENTERPRISE, INDICATOR, PROPOSAL, Figure
from .schemas import BatchRowSchema

MISSING: Any = object()  # a key absent from the row (the schema loads partially: absent is allowed)
# Up to 15 significant digits a decimal string and its float64 compare in the same order as the
# decimals (float64 keeps 15 digits), so a plain string of at most 15 characters is decided exactly.
MAX_CHARS = 15
# Bounds with more digits than float64 keeps (e.g. 99999999999999.99) are compared with a margin:
# values this close to such a bound, relatively, are left to the schema.
MARGIN = 1e-12


@dataclass(frozen=True)
class Bound:
    value: float
    is_min: bool
    inclusive: bool
    exact: bool  # the bound has at most 15 significant digits, so float comparison is exact


@dataclass(frozen=True)
class FieldRule:
    """What one schema field accepts, as far as the fast path needs to know."""

    field: fields.Field
    kind: str                      # decimal, integer, float, text, date, raw
    places: Decimal | None         # the quantum a Decimal field rounds to, None if unrounded
    bounds: tuple[Bound, ...]
    min_len: int | None
    max_len: int | None
    only_length: bool              # a text field whose only validators are Length
    allow_none: bool

    @property
    def pattern(self) -> str:
        """The plain form a number must have to be decided here (without sign, exponent, spaces)."""
        if self.kind == "integer":
            return r"\d+"
        if self.places is not None:
            return r"\d+(?:\.\d{1,%d})?" % -self.places.as_tuple().exponent
        return r"\d+(?:\.\d+)?"


def _exact(value: Any) -> bool:
    return len(Decimal(str(value)).normalize().as_tuple().digits) <= MAX_CHARS


def _bounds(figure: Figure) -> tuple[Bound, ...]:
    return (Bound(float(figure.low), True, figure.low_inclusive, _exact(figure.low)),
            Bound(float(figure.high), False, True, _exact(figure.high)))


_KINDS = {"money": "decimal", "quantity": "decimal", "whole": "integer", "share": "float"}


def figure_rule(figure: Figure, field: fields.Field) -> FieldRule:
    """A number's rule, its bounds taken from its declaration (:mod:`.inputs`), never from the schema."""
    return FieldRule(field, _KINDS[figure.kind], figure.places, _bounds(figure), None, None, False,
                     field.allow_none)


def rule_of(field: fields.Field) -> FieldRule:
    """A text, day or id field: its lengths read from the field; any other validator is run on each distinct value."""
    min_len = max_len = None
    only_length = True
    for v in field.validators:
        if isinstance(v, validate.Length) and v.equal is None:
            min_len, max_len = v.min, v.max
        else:
            only_length = False
    kind = ("integer" if isinstance(field, fields.Integer) else "date" if isinstance(field, fields.Date)
            else "text" if isinstance(field, fields.String) else "raw")
    return FieldRule(field, kind, None, (), min_len, max_len, only_length, field.allow_none)


def _rules(prefix: str, named: dict[str, fields.Field], figures: dict[str, Figure]) -> dict[str, FieldRule]:
    return {prefix + k: figure_rule(figures[k], f) if k in figures else rule_of(f) for k, f in named.items()}


_SCHEMA = BatchRowSchema()
ROW_FIELDS: dict[str, fields.Field] = {f.data_key or name: f for name, f in _SCHEMA.fields.items()}
ENTERPRISE_FIELDS = {f.data_key or n: f for n, f in ROW_FIELDS["enterprise"].schema.fields.items() if not f.dump_only}
TECHNOLOGY_FIELDS = {f.data_key or n: f for n, f in ROW_FIELDS["technology"].schema.fields.items()}
INDICATOR_FIELDS = {f.data_key or n: f for n, f in ROW_FIELDS["indicators"].inner.schema.fields.items()}
RULES: dict[str, FieldRule] = {
    **_rules("", ROW_FIELDS, PROPOSAL),
    **_rules("enterprise.", ENTERPRISE_FIELDS, ENTERPRISE),
    **_rules("technology.", TECHNOLOGY_FIELDS, {}),
    **_rules("indicators.", INDICATOR_FIELDS, INDICATOR),
}
# The figures the engine cannot score without (its completeness check names them "required").
TO_SCORE = frozenset(f.name for f in (*PROPOSAL.values(), *INDICATOR.values()) if f.to_score)


def _absent_or_none(values: list[Any], rule: FieldRule, required: bool) -> tuple[np.ndarray, np.ndarray]:
    """(empty, ok-if-empty): absent passes unless the engine requires it; None also needs allow_none."""
    absent = np.fromiter((v is MISSING for v in values), bool, len(values))
    none = np.fromiter((v is None for v in values), bool, len(values))
    ok = np.zeros(len(values), bool) if required else (absent | (none & rule.allow_none))
    return absent | none, ok


def _all_plain(texts: list[str], pattern: str) -> np.ndarray:
    """Which texts have the plain form; one regex pass over the joined column in the usual case."""
    if not texts:
        return np.zeros(0, bool)
    whole = re.compile(r"(?:%s\n)*%s" % (pattern, pattern))
    if whole.fullmatch("\n".join(texts)):
        return np.ones(len(texts), bool)
    one = re.compile(pattern)
    return np.fromiter((one.fullmatch(t) is not None for t in texts), bool, len(texts))


# Stand-ins for what is not text, chosen so no plain number matches them.
_ABSENT, _NONE, _OTHER = "\x01", "\x00", "\x02"


def _as_text(value: Any, kind: str) -> str:
    """The text the schema reads a non-str number from (``str(value)``), or a stand-in."""
    if value is MISSING:
        return _ABSENT
    if value is None:
        return _NONE
    t = type(value)
    if t is int and kind != "float":
        return str(value)
    if t is float and kind == "decimal":
        return str(value)
    if (t is int or t is float) and kind == "float":
        return repr(float(value)) if abs(value) < 1e15 else _OTHER
    return _OTHER


def within(x: np.ndarray, rule: FieldRule) -> np.ndarray:
    """Which values are finite and surely inside the rule's bounds (NaN is not)."""
    ok = np.isfinite(x)
    with np.errstate(invalid="ignore"):
        for b in rule.bounds:
            inside = (x > b.value) | ((x == b.value) & b.inclusive) if b.is_min else \
                (x < b.value) | ((x == b.value) & b.inclusive)
            if not b.exact:
                inside &= np.abs(x - b.value) > MARGIN * max(abs(b.value), 1.0)
            ok &= inside
    return ok


def numbers_ok(values: list[Any], rule: FieldRule, required: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(ok, floats): values the field surely accepts, and their float values (NaN when empty).

    The float is what the engine's columns hold for the loaded value: for a plain decimal string
    with no more decimals than the field keeps, rounding to the field's places changes nothing.
    """
    n = len(values)
    kind = rule.kind
    texts = [v if type(v) is str else _as_text(v, kind) for v in values]
    arr = np.array(texts, dtype=object)
    # From the values themselves: numpy drops a trailing NUL when it compares with a str, so a
    # stand-in compared by text would make an empty string look like None.
    # A column nearly always has neither (``in`` looks for them in C, identity first).
    if MISSING in values or None in values:
        absent = np.fromiter((v is MISSING for v in values), bool, n)
        none = np.fromiter((v is None for v in values), bool, n)
    else:
        absent = none = np.zeros(n, bool)
    plain = _all_plain(texts, rule.pattern if kind != "float" else r"\d+(?:\.\d+)?(?:e-\d+)?")
    if kind != "float":
        plain &= np.fromiter(map(len, texts), np.int64, n) <= MAX_CHARS
    x = np.full(n, np.nan)
    if plain.any():
        x[plain] = arr[plain].astype(float)
    ok = plain & within(x, rule)
    if absent.any() or none.any():
        ok = np.where(absent, not required, np.where(none, rule.allow_none and not required, ok))
    return ok, np.where(ok & ~absent & ~none, x, np.nan)


def _field_accepts(field: fields.Field) -> Callable[[Any], bool]:
    def accepts(value: Any) -> bool:
        try:
            field.deserialize(value)
        except ValidationError:
            return False
        return True
    return accepts


def texts_ok(values: list[Any], rule: FieldRule, required: bool = False) -> np.ndarray:
    """Which text values the field surely accepts (lengths checked directly; other validators per distinct value)."""
    n = len(values)
    if values.count(MISSING) == n:  # a column nobody filled in: the common case for optional texts
        return np.full(n, not required)
    accepts, seen = _field_accepts(rule.field), {}
    lo, hi = rule.min_len, rule.max_len

    def check(v: Any) -> bool:
        if v is MISSING:
            return not required
        if v is None:
            return rule.allow_none and not required
        if not isinstance(v, str):
            return False
        if rule.only_length:
            # The shared Text field also bounds every text and refuses control characters.
            return ((lo is None or len(v) >= lo) and (hi is None or len(v) <= hi)
                    and len(v) <= getattr(rule.field, "max_length", len(v))
                    and text_problem(v, multiline=getattr(rule.field, "multiline", True)) is None)
        # Choices, country and ISIC codes repeat: run the schema field once per distinct value.
        if v not in seen:
            seen[v] = accepts(v)
        return seen[v]
    return np.fromiter(map(check, values), bool, n)


def dates_ok(values: list[Any], rule: FieldRule, latest: date | None = None) -> tuple[np.ndarray, list[date | None]]:
    """(ok, dates): ISO dates read by the schema's own parser, optionally no later than ``latest``."""
    empty, ok_empty = _absent_or_none(values, rule, False)
    seen: dict[str, date | None] = {}
    parsed: list[date | None] = []
    for v in values:
        if not isinstance(v, str):
            parsed.append(None)
            continue
        if v not in seen:
            try:
                seen[v] = rule.field.deserialize(v)
            except ValidationError:
                seen[v] = None
        parsed.append(seen[v])
    ok = np.fromiter((d is not None and (latest is None or d <= latest) for d in parsed), bool, len(values))
    return np.where(empty, ok_empty, ok), parsed


def integers_ok(values: list[Any], rule: FieldRule) -> np.ndarray:
    """Integer ids: a plain int the field accepts (its id range, run once per distinct id), or empty where allowed."""
    empty, ok_empty = _absent_or_none(values, rule, False)
    accepts, seen = _field_accepts(rule.field), {}

    def check(v: Any) -> bool:
        if type(v) is not int:
            return False
        if v not in seen:
            seen[v] = accepts(v)
        return seen[v]
    ok = np.fromiter(map(check, values), bool, len(values))
    return np.where(empty, ok_empty, ok)
