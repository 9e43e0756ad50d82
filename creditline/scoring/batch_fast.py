"""The batch fast path: accept the plainly valid rows of a batch at once and build their engine columns.

A row is *accepted* only when the batch row schema and the engine checks surely accept it
(known keys, plain numbers within the schema's bounds, known streams and option types, every
figure the engine needs). Every other row is left to the schema (:func:`.batch.row_problems`),
so each error message is still the schema's own. For accepted rows the engine columns are built
straight from the raw values, equal to ``facts.columns`` of the schema-loaded rows;
:func:`loaded_row` gives the loaded row itself (the tests compare it with the schema's).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from operator import itemgetter
from typing import Any, Iterable

import numpy as np
import pyarrow as pa

from ..rules.facts import NUMBER_COLUMNS, QUANTITIES, TEXT_COLUMNS, _months_between
from ..rules.loader import Rulebook
from ..vocabulary import CP_OPTIONS, DOCUMENT_KINDS, STREAM_UNITS, STREAMS
from .batch_checks import (ENTERPRISE_FIELDS, INDICATOR_FIELDS, MISSING, ROW_FIELDS, RULES, TECHNOLOGY_FIELDS, TO_SCORE,
                           FieldRule, dates_ok, integers_ok, numbers_ok, texts_ok)
from ..proposal_inputs import AT_MOST, ENTERPRISE, PROPOSAL
from .. import clock

ROW_KEYS = frozenset(ROW_FIELDS)
ENTERPRISE_KEYS = frozenset(ENTERPRISE_FIELDS)
TECHNOLOGY_KEYS = frozenset(TECHNOLOGY_FIELDS)
INDICATOR_KEYS = frozenset(INDICATOR_FIELDS)
STREAM_INDEX = {s: j for j, s in enumerate(STREAMS)}
CP_BIT = {o: 1 << k for k, o in enumerate(CP_OPTIONS)}
DOC_BIT = {d: 1 << k for k, d in enumerate(DOCUMENT_KINDS)}
ENTERPRISE_NUMBERS = tuple(ENTERPRISE)
ROW_NUMBERS = tuple(PROPOSAL)
ROW_TEXTS = ("title", "description", "currency", "output_unit")
ENTERPRISE_TEXTS = ("legal_name", "tax_id", "country", "isic_code")
EMPTY: dict[str, Any] = {}


@dataclass
class FastBatch:
    """Which rows the fast path accepted, and for those (in order) the engine columns, ids and titles
    (lists for rows given as objects; Arrow text, null where empty, for an uploaded table)."""

    ok: np.ndarray
    cols: dict[str, np.ndarray]
    ids: list[Any] | pa.Array
    titles: list[Any] | pa.Array


def _mask(values: Any, bits: dict[str, int], cache: dict[tuple[str, ...], int]) -> int:
    """The option/document bitmask of a list of known names, or -1 when it is not one."""
    if type(values) is not list or not all(isinstance(v, str) for v in values):
        return -1
    key = tuple(values)
    if key not in cache:
        cache[key] = sum(bits[v] for v in set(values)) if all(v in bits for v in values) else -1
    return cache[key]


class _Shapes:
    """One pass over the rows: the structure checks that need Python objects, and the flat indicators."""

    def __init__(self, rows: list[Any]) -> None:
        n = len(rows)
        self.ok = np.ones(n, bool)
        self.rows: list[dict[str, Any]] = []
        self.ents: list[dict[str, Any]] = []
        self.techs: list[dict[str, Any]] = []
        self.cp = np.zeros(n, np.int64)
        self.docs = np.zeros(n, np.int64)
        self.ind_row: list[int] = []
        self.ind_stream: list[int] = []
        self.inds: list[dict[str, Any]] = []
        cp_cache: dict[tuple[str, ...], int] = {}
        doc_cache: dict[tuple[str, ...], int] = {}
        for i, r in enumerate(rows):
            good = type(r) is dict and r.keys() <= ROW_KEYS
            r = r if good else EMPTY
            ent, tech = r.get("enterprise", EMPTY), r.get("technology", EMPTY)
            good = good and type(ent) is dict and ent.keys() <= ENTERPRISE_KEYS
            good = good and type(tech) is dict and tech.keys() <= TECHNOLOGY_KEYS
            # Budgets and other incentives have their own nested rules: only empty ones are decided here.
            good = good and r.get("other_incentives", ()) in ((), []) and r.get("cost_items") in (None, [])
            if good:
                cp = _mask(r.get("cp_options"), CP_BIT, cp_cache)
                docs = _mask(r.get("documents", []), DOC_BIT, doc_cache)
                good = cp > 0 and docs >= 0 and self._indicators(i, r)
                self.cp[i], self.docs[i] = max(cp, 0), max(docs, 0)
            if not good:
                self.ok[i] = False
                r, ent, tech = EMPTY, EMPTY, EMPTY
            self.rows.append(r)
            self.ents.append(ent if type(ent) is dict else EMPTY)
            self.techs.append(tech if type(tech) is dict else EMPTY)

    def _indicators(self, i: int, r: dict[str, Any]) -> bool:
        """Record the row's indicators; False unless each is a known stream, once, in its unit, with main among them."""
        indicators = r.get("indicators")
        if type(indicators) is not list or not indicators:
            return False
        seen: set[str] = set()
        start = len(self.ind_row)
        for ind in indicators:
            stream = ind.get("stream") if type(ind) is dict and ind.keys() <= INDICATOR_KEYS else None
            # isinstance, not type: the schema's String accepts str subclasses such as numpy's str_.
            if not isinstance(stream, str) or stream not in STREAM_INDEX or stream in seen:
                break
            unit = ind.get("unit", "")
            if not isinstance(unit, str) or unit not in ("", STREAM_UNITS[stream]):
                break
            seen.add(stream)
            self.ind_row.append(i)
            self.ind_stream.append(STREAM_INDEX[stream])
            self.inds.append(ind)
        else:
            main = r.get("main_indicator")
            if isinstance(main, str) and main in seen:
                return True
        # Undo this row's partial indicators so the flat lists only hold accepted rows' values.
        del self.ind_row[start:], self.ind_stream[start:], self.inds[start:]
        return False


def _values(source: list[dict[str, Any]], keys: Iterable[str]) -> dict[str, list[Any]]:
    """Every key's values across the dicts (MISSING where absent), read a layout at a time in C."""
    n = len(source)
    out = {k: [MISSING] * n for k in keys}
    layouts = list(map(tuple, source))
    # Rows of one batch nearly always share one key layout: then one itemgetter reads them all.
    groups = {layouts[0]: range(n)} if n and layouts.count(layouts[0]) == n else {}
    if n and not groups:
        for i, layout in enumerate(layouts):
            groups.setdefault(layout, []).append(i)
    for layout, idx in groups.items():
        present = [k for k in layout if k in out]
        if not present:
            continue
        get = itemgetter(*present)
        subset = source if len(groups) == 1 else [source[i] for i in idx]
        values = list(map(get, subset)) if len(present) > 1 else [(v,) for v in map(get, subset)]
        for key, column in zip(present, zip(*values)):
            if len(groups) == 1:
                out[key] = list(column)
            else:
                target = out[key]
                for i, v in zip(idx, column):
                    target[i] = v
    return out


def fast_check(book: Rulebook, rows: list[Any], today: date | None = None) -> FastBatch:
    """Accept the rows the schema and the engine surely accept; build their columns as ``facts.columns`` would."""
    today = today or clock.today()
    shapes = _Shapes(rows)
    ok, n = shapes.ok, len(rows)
    row_values, ent_values = _values(shapes.rows, ROW_KEYS), _values(shapes.ents, ENTERPRISE_KEYS)
    tech_values = _values(shapes.techs, TECHNOLOGY_KEYS)
    floats: dict[str, np.ndarray] = {}
    for key in ROW_NUMBERS:
        good, floats[key] = numbers_ok(row_values[key], RULES[key], key in TO_SCORE)
        ok &= good
    for key in ENTERPRISE_NUMBERS:
        good, floats[key] = numbers_ok(ent_values[key], RULES[f"enterprise.{key}"])
        ok &= good
    with np.errstate(invalid="ignore"):
        # The declared cross checks, the schema's and the engine's (plain floats compare exactly).
        for check in AT_MOST:
            ok &= ~(floats[check.name] > floats[check.limit])
    for key in ROW_TEXTS:
        ok &= texts_ok(row_values[key], RULES[key])
    currency = row_values["currency"]
    ok &= np.fromiter((c is MISSING or c == book.currency for c in currency), bool, n)
    for key in ENTERPRISE_TEXTS:
        ok &= texts_ok(ent_values[key], RULES[f"enterprise.{key}"])
    for key in TECHNOLOGY_KEYS:
        ok &= texts_ok(tech_values[key], RULES[f"technology.{key}"])
    for key in ("credit_line_id", "enterprise_id", "bank_id"):
        ok &= integers_ok(row_values[key], RULES[key])
    good, since = dates_ok(ent_values["operating_since"], RULES["enterprise.operating_since"], today)
    ok &= good
    good, as_of = dates_ok(row_values["as_of"], RULES["as_of"])
    ok &= good
    streams = _stream_columns(shapes, n)
    ok &= streams.pop("_ok")
    idx = np.flatnonzero(ok)
    cols = _columns(shapes, floats, streams, since, as_of, today, idx)
    ids = [None if v is MISSING else v for v in map(row_values["id"].__getitem__, idx)]
    titles = [None if v is MISSING else v for v in map(row_values["title"].__getitem__, idx)]
    return FastBatch(ok, cols, ids, titles)


def _stream_columns(shapes: _Shapes, n: int) -> dict[str, np.ndarray]:
    """Check every indicator quantity at once and spread them into one column per stream and quantity."""
    rows = np.asarray(shapes.ind_row, np.int64)
    where = np.asarray(shapes.ind_stream, np.int64)
    bad = np.zeros(len(rows), bool)
    out: dict[str, np.ndarray] = {}
    for q, values in _values(shapes.inds, QUANTITIES).items():
        good, x = numbers_ok(values, RULES[f"indicators.{q}"], q in TO_SCORE)
        bad |= ~good
        table = np.full((len(STREAMS), n), np.nan)
        table[where, rows] = x
        out.update({f"{s}.{q}": table[j] for j, s in enumerate(STREAMS)})
    out["_ok"] = np.bincount(rows[bad], minlength=n) == 0
    return out


def _columns(shapes: _Shapes, floats: dict[str, np.ndarray], streams: dict[str, np.ndarray],
             since: list[date | None], as_of: list[date | None], today: date, idx: np.ndarray) -> dict[str, np.ndarray]:
    """The accepted rows' columns, in the layout and with the values of ``facts.columns``."""
    cols = {k: floats[k][idx] for k in NUMBER_COLUMNS if k in floats}
    cols["other_incentives_count"] = np.zeros(len(idx))
    sources = {"country": (shapes.ents, "country"), "isic_code": (shapes.ents, "isic_code"),
               "readiness": (shapes.techs, "readiness"), "technology_class": (shapes.techs, "class"),
               "currency": (shapes.rows, "currency"), "main_indicator": (shapes.rows, "main_indicator")}
    for name in TEXT_COLUMNS:
        source, key = sources[name]
        cols[name] = np.array([str(source[i].get(key) or "") for i in idx], dtype=object)
    months: dict[tuple[Any, Any], float] = {}
    values = []
    for i in idx:
        # facts.columns reads as_of as the ISO text the batch path stores, or today when absent.
        pair = (since[i], as_of[i].isoformat() if as_of[i] is not None else today)
        if pair not in months:
            months[pair] = _months_between(*pair)
        values.append(months[pair])
    cols["months_operating"] = np.array(values, dtype=float)
    cols["cp_options"], cols["documents"] = shapes.cp[idx], shapes.docs[idx]
    cols.update({k: v[idx] for k, v in streams.items()})
    return {k: cols[k] for k in _ORDER}


_ORDER = (*NUMBER_COLUMNS, *TEXT_COLUMNS, "months_operating", "cp_options", "documents",
          *(f"{s}.{q}" for s in STREAMS for q in QUANTITIES))


def _convert(rule: FieldRule, value: Any) -> Any:
    if value is None:
        return None
    if rule.kind == "decimal":
        number = Decimal(str(value))
        return number.quantize(rule.places, rounding=rule.field.rounding) if rule.places is not None else number
    if rule.kind == "integer":
        return int(value)
    if rule.kind == "float":
        return float(value)
    if rule.kind == "date":
        return date.fromisoformat(value)
    return list(value) if isinstance(value, list) else value


def loaded_row(raw: dict[str, Any]) -> dict[str, Any]:
    """The row an accepted raw row loads to through the schema (``as_of`` as ISO text, as the batch stores it)."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key in ("enterprise", "technology"):
            out[key] = {k: _convert(RULES[f"{key}.{k}"], v) for k, v in value.items()}
        elif key == "indicators":
            out[key] = [{k: _convert(RULES[f"indicators.{k}"], v) for k, v in ind.items()} for ind in value]
        else:
            out[key] = _convert(RULES[key], value)
    if out.get("as_of") is not None:
        out["as_of"] = out["as_of"].isoformat()
    return out
