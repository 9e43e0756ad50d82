"""The columnar batch path: an uploaded table checked and turned into engine columns column by column.

``flask score`` and ``POST /score/batch`` with a CSV or Excel file read it into an Arrow table of
text columns (:func:`.batch_io.read_frame`, no pandas detour for a CSV): every cell stays text,
because its exact form decides what the schema says of it ("12.345" is refused as money, "1e3" is
left to the schema).
:func:`frame_check` then *accepts* the rows the schema and the engine surely accept, as
:func:`.batch_fast.fast_check` does for rows given as objects, but without building a dict per
row: numbers are matched and compared with the bounds generated from
:mod:`creditline.proposal_inputs` as whole Arrow columns; texts that repeat (countries, options,
days) are judged once per distinct value by the schema's own fields. A row not accepted is
rebuilt as the proposal dict :func:`.batch_io.flat_to_proposal` makes and loaded through the
schema (:func:`.batch.row_problems`), so every error message is the per-row path's own.
"""
from __future__ import annotations

import sys
from collections import Counter
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import clock
from ..proposal_inputs import AT_MOST, ENTERPRISE, PROPOSAL
from ..rules.facts import NUMBER_COLUMNS, QUANTITIES, TEXT_COLUMNS, _months_between
from ..rules.loader import Rulebook
from ..safe_text import BIDI_CONTROLS
from ..vocabulary import STREAMS
from .batch_checks import MAX_CHARS, MISSING, RULES, TO_SCORE, FieldRule, dates_ok, texts_ok, within
from .batch_fast import _ORDER, CP_BIT, DOC_BIT, FastBatch, _mask
from .batch_io import clean, documents_of, flat_to_proposal, options_of

# Python's str.strip() drops these (none lies above U+3000); a cell that starts or ends with one is
# left to the per-row path.
_SPACES = "".join(f"\\x{{{ord(c):x}}}" for c in map(chr, range(0x3001)) if c.isspace())
_EDGE_SPACE = f"^[{_SPACES}]|[{_SPACES}]$"


def _re2_class(chars: str) -> str:
    """A Python character-class body (ranges allowed) in RE2's escaped form."""
    return "".join(f"\\x{{{ord(c):x}}}" if c != "-" else "-" for c in chars)


# safe_text's refused characters in RE2 form (Arrow text is valid UTF-8: it holds no lone surrogates).
_CONTROLS = _re2_class("\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f" + BIDI_CONTROLS)
_UNSAFE = {True: f"[{_CONTROLS}]", False: f"[\\t\\n\\r{_CONTROLS}]"}


def raw_rows(table: pa.Table, positions: list[int]) -> list[dict[str, Any]]:
    """The proposal dicts of the given rows, exactly as the per-row path reads them."""
    if not positions:
        return []
    return [flat_to_proposal(r) for r in table.take(pa.array(positions, pa.int64())).to_pylist()]


class _Cells:
    """The table's text columns as Arrow arrays; an absent column reads as empty cells."""

    def __init__(self, table: pa.Table) -> None:
        self.n = table.num_rows
        self.columns = {name: column.combine_chunks() for name, column in zip(table.column_names, table.columns)}
        self._empty = pa.repeat("", self.n)

    def __getitem__(self, name: str) -> pa.Array:
        return self.columns.get(name, self._empty)

    def has(self, name: str) -> bool:
        return name in self.columns


def _np(mask: Any) -> np.ndarray:
    return np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool)


def _sizes(cells: pa.Array) -> np.ndarray:
    """Each cell's length in bytes, read from the array's offsets (no copy)."""
    offsets = np.frombuffer(cells.buffers()[1], np.int32, len(cells) + 1, cells.offset * 4)
    return np.diff(offsets)


def _blank(cells: pa.Array) -> bool:
    """Every cell empty (a column the file does not have reads so)."""
    offsets = np.frombuffer(cells.buffers()[1], np.int32, len(cells) + 1, cells.offset * 4)
    return bool(offsets[-1] == offsets[0])


def _plain(cells: pa.Array, rule: FieldRule, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(ok, floats) of filled cells: those the field surely accepts in their plain form, and the values
    of the plain ones (NaN elsewhere).

    The same decision as :func:`.batch_checks.numbers_ok` on the cell texts, made by Arrow (RE2's
    ``\\d`` is ASCII only, so it accepts no more than Python's pattern does, and a plain text's
    bytes are its characters).
    """
    pattern = rule.pattern if rule.kind != "float" else r"\d+(?:\.\d+)?(?:e-\d+)?"
    plain = _np(pc.match_substring_regex(cells, f"^(?:{pattern})$"))
    if rule.kind != "float":
        plain &= sizes <= MAX_CHARS
    x = np.full(len(cells), np.nan)
    if plain.any():
        x[plain] = pc.cast(cells if plain.all() else pc.filter(cells, pa.array(plain)),
                           pa.float64()).to_numpy(zero_copy_only=False)
    return plain & within(x, rule), x


def numbers(cells: pa.Array, rule: FieldRule, required: bool) -> tuple[np.ndarray, np.ndarray]:
    """(ok, floats): cells the field surely accepts (an empty one unless ``required``), and their values."""
    n = len(cells)
    filled = _sizes(cells) > 0
    ok = np.full(n, not required)
    x = np.full(n, np.nan)
    where = np.flatnonzero(filled)
    if len(where):
        every = len(where) == n
        good, values = _plain(cells if every else cells.take(pa.array(where)), rule, _sizes(cells)[where])
        ok[where] = good
        x[where[good]] = values[good]
    return ok, x


def _distinct(cells: pa.Array) -> tuple[np.ndarray, list[Any]]:
    """(codes, values): each cell's index into its column's distinct values, cleaned as the per-row path does."""
    encoded = pc.dictionary_encode(cells)
    values = [clean(v) for v in encoded.dictionary.to_pylist()]
    return encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64), values


def texts(cells: pa.Array, rule: FieldRule) -> np.ndarray:
    """Which cells the text field surely accepts; a field with only length limits is checked by Arrow."""
    if _blank(cells):  # a column left out, or left empty: an empty text is accepted (absent)
        return np.ones(len(cells), bool)
    if rule.only_length:
        length = pc.utf8_length(cells).to_numpy(zero_copy_only=False)
        lo = rule.min_len or 0
        hi = min(rule.max_len or sys.maxsize, getattr(rule.field, "max_length", None) or sys.maxsize)
        unsafe = _UNSAFE[getattr(rule.field, "multiline", True)]
        clean_text = ~_np(pc.match_substring_regex(cells, f"{_EDGE_SPACE}|{unsafe}"))
        return np.where(length == 0, True, clean_text & (length >= lo) & (length <= hi))
    codes, values = _distinct(cells)
    return texts_ok([MISSING if v is None else v for v in values], rule)[codes]


def _text_column(cells: pa.Array) -> np.ndarray:
    """The engine's text column: the cleaned value, '' where empty."""
    codes, values = _distinct(cells)
    return np.array([v or "" for v in values], dtype=object)[codes]


def _sets(cells: pa.Array, parse: Any, bits: dict[str, int]) -> np.ndarray:
    """The option (or document) bitmask of each cell, -1 where a name is unknown."""
    codes, values = _distinct(cells)
    cache: dict[tuple[str, ...], int] = {}
    return np.array([_mask(parse(v), bits, cache) for v in values], dtype=np.int64)[codes]


def _labels(cells: pa.Array, ok: np.ndarray) -> pa.Array:
    """The accepted rows' texts: their cells, which have no surrounding spaces, or null where empty."""
    kept = cells if ok.all() else pc.filter(cells, pa.array(ok))
    return pc.if_else(pc.equal(kept, ""), pa.scalar(None, pa.string()), kept)


def frame_check(book: Rulebook, table: pa.Table, today: date | None = None) -> FastBatch:
    """Accept the rows the schema and the engine surely accept; their columns as ``facts.columns`` builds them.

    The ids and titles of the accepted rows come as Arrow arrays (null where empty).
    """
    today = today or clock.today()
    cells, n = _Cells(table), table.num_rows
    ok = np.ones(n, bool)
    floats: dict[str, np.ndarray] = {}
    for name in PROPOSAL:
        good, floats[name] = numbers(cells[name], RULES[name], name in TO_SCORE)
        ok &= good
    for name in ENTERPRISE:
        good, floats[name] = numbers(cells[name], RULES[f"enterprise.{name}"], False)
        ok &= good
    with np.errstate(invalid="ignore"):
        for check in AT_MOST:
            ok &= ~(floats[check.name] > floats[check.limit])
    for name in ("title", "currency", "output_unit"):
        ok &= texts(cells[name], RULES[name])
    # Any id is echoed as given; one with surrounding spaces (trimmed by the per-row path) is left to it.
    if not _blank(cells["id"]):
        ok &= ~_np(pc.match_substring_regex(cells["id"], _EDGE_SPACE))
    currency = cells["currency"]
    ok &= _np(pc.or_(pc.equal(currency, ""), pc.equal(currency, book.currency)))
    for name in ("legal_name", "country", "isic_code"):
        ok &= texts(cells[name], RULES[f"enterprise.{name}"])
    for name in ("readiness", "class", "description", "supplier"):
        ok &= texts(cells[f"technology_{name}"], RULES[f"technology.{name}"])
    day_codes, days = _distinct(cells["operating_since"])
    good, since = dates_ok([MISSING if d is None else d for d in days], RULES["enterprise.operating_since"], today)
    ok &= good[day_codes]
    cp, docs = _sets(cells["cp_options"], options_of, CP_BIT), _sets(cells["documents"], documents_of, DOC_BIT)
    ok &= (cp > 0) & (docs >= 0)
    streams = _Streams(cells)
    ok &= streams.ok
    # A boolean mask, not positions: it selects the (nearly all) accepted rows faster.
    idx = ok
    cols = {k: floats[k][idx] for k in NUMBER_COLUMNS if k in floats}
    cols["other_incentives_count"] = np.zeros(int(ok.sum()))
    sources = {"readiness": "technology_readiness", "technology_class": "technology_class"}
    for name in TEXT_COLUMNS:
        cols[name] = _text_column(cells[sources.get(name, name)])[idx]
    cols["months_operating"] = np.array([_months_between(d, today) for d in since], dtype=float)[day_codes][idx]
    cols["cp_options"], cols["documents"] = cp[idx], docs[idx]
    cols.update(streams.columns(ok))
    return FastBatch(ok, {k: cols[k] for k in _ORDER}, _labels(cells["id"], ok), _labels(cells["title"], ok))


# Every indicator quantity is a plain decimal of the same form; only the bounds differ.
_QUANTITY_RULES = [RULES[f"indicators.{q}"] for q in QUANTITIES]
assert len({r.pattern for r in _QUANTITY_RULES}) == 1 and all(r.kind == "decimal" for r in _QUANTITY_RULES)


class _Streams:
    """The indicator columns (four per stream) checked as one block of their filled cells.

    A row is accepted when every stream it fills is whole (all four quantities plain and in
    bounds), it fills at least one, and its main indicator is one of them. Most cells of the block
    are empty, so each filled cell is checked once, in one pass over all of them, not column by column.
    """

    def __init__(self, cells: _Cells) -> None:
        n, parts = cells.n, len(QUANTITIES)
        pieces: list[pa.Array] = []
        rows: list[np.ndarray] = []
        slots: list[int] = []  # stream index * 4 + quantity index, of each column read
        for j, (s, q) in enumerate((s, q) for s in STREAMS for q in QUANTITIES):
            if cells.has(f"{s}_{q}"):
                column = cells[f"{s}_{q}"]
                where = np.flatnonzero(_sizes(column) > 0).astype(np.int32)
                pieces.append(column if len(where) == n else column.take(pa.array(where)))
                rows.append(where)
                slots.append(j)
        filled = pa.concat_arrays(pieces) if pieces else pa.array([], pa.string())
        # Column k's filled cells are filled[bounds[k]:bounds[k + 1]]: their rows, values and verdicts.
        bounds = np.cumsum([0, *map(len, rows)])
        good, x = _plain(filled, _QUANTITY_RULES[0], _sizes(filled))
        self.rows, self.x, self.slots, self.bounds = rows, x, slots, bounds
        present = np.zeros((len(STREAMS), n), bool)
        whole = np.ones((len(STREAMS), n), bool)
        for k, j in enumerate(slots):
            part = slice(bounds[k], bounds[k + 1])
            mine = good[part] & within(x[part], _QUANTITY_RULES[j % parts])
            present[j // parts, rows[k]] = True
            fine = np.zeros(n, bool)
            fine[rows[k][mine]] = True
            whole[j // parts] &= fine
        # A stream with a quantity column missing from the file cannot be whole.
        for stream, columns in Counter(j // parts for j in slots).items():
            whole[stream] &= columns == parts
        main = _stream_index(cells["main_indicator"])
        main_ok = np.zeros(n, bool)
        named = np.flatnonzero(main >= 0)
        main_ok[named] = present[main[named], named]
        self.ok = (~present | whole).all(axis=0) & main_ok

    def columns(self, ok: np.ndarray) -> dict[str, np.ndarray]:
        """The accepted rows' quantities, one column per stream and quantity (NaN where not filled)."""
        block = np.full((len(STREAMS) * len(QUANTITIES), int(ok.sum())), np.nan)
        rank = np.cumsum(ok, dtype=np.int32) - 1
        for k, j in enumerate(self.slots):
            rows, x = self.rows[k], self.x[self.bounds[k]:self.bounds[k + 1]]
            keep = ok[rows]
            block[j, rank[rows[keep]]] = x[keep]
        return {f"{s}.{q}": block[j] for j, (s, q) in enumerate((s, q) for s in STREAMS for q in QUANTITIES)}


def _stream_index(cells: pa.Array) -> np.ndarray:
    """Each cell's index in STREAMS (the cell as it is, not trimmed), -1 when it names no stream."""
    encoded = pc.dictionary_encode(cells)
    index = np.array([_STREAM_AT.get(v, -1) for v in encoded.dictionary.to_pylist()] or [-1], dtype=np.int64)
    return index[encoded.indices.to_numpy(zero_copy_only=False)]


_STREAM_AT = {s: k for k, s in enumerate(STREAMS)}
