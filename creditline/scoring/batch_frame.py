"""The columnar batch path: an uploaded table checked and turned into engine columns column by column.

``flask score`` and ``POST /score/batch`` with a CSV or Excel file read it with pandas into
Arrow-backed text columns (:func:`read_frame`): every cell stays text, because its exact form
decides what the schema says of it ("12.345" is refused as money, "1e3" is left to the schema).
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
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .. import clock
from ..proposal_inputs import AT_MOST, ENTERPRISE, PROPOSAL
from ..rules.facts import NUMBER_COLUMNS, QUANTITIES, TEXT_COLUMNS, _months_between
from ..rules.loader import Rulebook
from ..safe_text import BIDI_CONTROLS
from ..vocabulary import STREAMS
from .batch_checks import MAX_CHARS, MARGIN, MISSING, RULES, TO_SCORE, FieldRule, dates_ok, texts_ok
from .batch_fast import _ORDER, CP_BIT, DOC_BIT, FastBatch, _mask
from .batch_io import TEXT, clean, documents_of, flat_to_proposal, options_of

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


def raw_rows(frame: pd.DataFrame, positions: list[int]) -> list[dict[str, Any]]:
    """The proposal dicts of the given rows, exactly as the per-row path reads them."""
    if not positions:
        return []
    return [flat_to_proposal(r) for r in frame.iloc[positions].to_dict(orient="records")]


class _Cells:
    """The frame's text columns as Arrow arrays; an absent column reads as empty cells."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.n = len(frame)
        # One pass joins each column's chunks (Arrow's reader gives one per block of the file).
        table = pa.Table.from_pandas(frame.astype(TEXT), preserve_index=False).combine_chunks()
        self.columns = {name: column.chunk(0) if column.num_chunks else pa.array([], pa.string())
                        for name, column in zip(table.column_names, table.columns)}
        self._empty = pa.array([""] * self.n, pa.string())

    def __getitem__(self, name: str) -> pa.Array:
        return self.columns.get(name, self._empty)

    def has(self, name: str) -> bool:
        return name in self.columns


def _np(mask: Any) -> np.ndarray:
    return np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool)


def numbers(cells: pa.Array, rule: FieldRule, required: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ok, floats, filled): cells the field surely accepts in their plain form, and their values.

    The same decision as :func:`.batch_checks.numbers_ok` on the cell texts, made by Arrow over the
    filled cells of the column (RE2's ``\\d`` is ASCII only, so it accepts no more than Python's
    pattern does, and a plain text's bytes are its characters).
    """
    n = len(cells)
    size = pc.binary_length(cells).to_numpy(zero_copy_only=False)
    filled = size > 0
    x = np.full(n, np.nan)
    ok = np.zeros(n, bool)
    if filled.any():
        where = np.flatnonzero(filled)
        some = cells if len(where) == n else pc.take(cells, pa.array(where))
        pattern = rule.pattern if rule.kind != "float" else r"\d+(?:\.\d+)?(?:e-\d+)?"
        plain = _np(pc.match_substring_regex(some, f"^(?:{pattern})$"))
        if rule.kind != "float":
            plain &= size[where] <= MAX_CHARS
        if plain.any():
            values = some if plain.all() else pc.filter(some, pa.array(plain))
            x[where[plain]] = pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False)
        ok[where] = plain
    ok &= np.isfinite(x)
    with np.errstate(invalid="ignore"):
        for b in rule.bounds:
            inside = (x > b.value) | ((x == b.value) & b.inclusive) if b.is_min else \
                (x < b.value) | ((x == b.value) & b.inclusive)
            if not b.exact:
                inside &= np.abs(x - b.value) > MARGIN * max(abs(b.value), 1.0)
            ok &= inside
    ok = np.where(filled, ok, not required)
    return ok, np.where(ok & filled, x, np.nan), filled


def _distinct(cells: pa.Array) -> tuple[np.ndarray, list[Any]]:
    """(codes, values): each cell's index into its column's distinct values, cleaned as the per-row path does."""
    encoded = pc.dictionary_encode(cells)
    values = [clean(v) for v in encoded.dictionary.to_pylist()]
    return encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64), values


def texts(cells: pa.Array, rule: FieldRule) -> np.ndarray:
    """Which cells the text field surely accepts; a field with only length limits is checked by Arrow."""
    if rule.only_length:
        length = pc.utf8_length(cells).to_numpy(zero_copy_only=False)
        lo = rule.min_len or 0
        hi = min(rule.max_len or sys.maxsize, getattr(rule.field, "max_length", None) or sys.maxsize)
        clean_text = ~_np(pc.match_substring_regex(cells, _EDGE_SPACE))
        clean_text &= ~_np(pc.match_substring_regex(cells, _UNSAFE[getattr(rule.field, "multiline", True)]))
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


def _labels(cells: pa.Array, ok: np.ndarray) -> list[Any]:
    """The accepted rows' texts: their cells, which have no surrounding spaces, or None where empty."""
    return [v or None for v in pc.filter(cells, pa.array(ok)).to_pylist()]


def frame_check(book: Rulebook, frame: pd.DataFrame, today: date | None = None) -> FastBatch:
    """Accept the rows the schema and the engine surely accept; their columns as ``facts.columns`` builds them."""
    today = today or clock.today()
    cells, n = _Cells(frame), len(frame)
    ok = np.ones(n, bool)
    floats: dict[str, np.ndarray] = {}
    for name in PROPOSAL:
        good, floats[name], _ = numbers(cells[name], RULES[name], name in TO_SCORE)
        ok &= good
    for name in ENTERPRISE:
        good, floats[name], _ = numbers(cells[name], RULES[f"enterprise.{name}"], False)
        ok &= good
    with np.errstate(invalid="ignore"):
        for check in AT_MOST:
            ok &= ~(floats[check.name] > floats[check.limit])
    for name in ("title", "currency", "output_unit"):
        ok &= texts(cells[name], RULES[name])
    # Any id is echoed as given; one with surrounding spaces (trimmed by the per-row path) is left to it.
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
    streams, main_ok = _streams(cells, ok)
    ok &= main_ok
    # A boolean mask, not positions: it selects the (nearly all) accepted rows faster.
    idx = ok
    cols = {k: floats[k][idx] for k in NUMBER_COLUMNS if k in floats}
    cols["other_incentives_count"] = np.zeros(int(ok.sum()))
    sources = {"readiness": "technology_readiness", "technology_class": "technology_class"}
    for name in TEXT_COLUMNS:
        cols[name] = _text_column(cells[sources.get(name, name)])[idx]
    cols["months_operating"] = np.array([_months_between(d, today) for d in since], dtype=float)[day_codes][idx]
    cols["cp_options"], cols["documents"] = cp[idx], docs[idx]
    cols.update({k: v[idx] for k, v in streams.items()})
    return FastBatch(ok, {k: cols[k] for k in _ORDER}, _labels(cells["id"], ok), _labels(cells["title"], ok))


def _streams(cells: _Cells, ok: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Each stream's four quantities; a row is accepted when every stream it fills is whole and in
    bounds, it fills at least one, and its main indicator is one of them."""
    n = cells.n
    out: dict[str, np.ndarray] = {}
    main = cells["main_indicator"]
    good = np.ones(n, bool)
    main_ok = np.zeros(n, bool)
    for s in STREAMS:
        names = [f"{s}_{q}" for q in QUANTITIES]
        if not any(cells.has(c) for c in names):
            out.update({f"{s}.{q}": np.full(n, np.nan) for q in QUANTITIES})
            continue
        present = np.zeros(n, bool)
        whole = np.ones(n, bool)
        for q, name in zip(QUANTITIES, names):
            fine, out[f"{s}.{q}"], filled = numbers(cells[name], RULES[f"indicators.{q}"], q in TO_SCORE)
            present |= filled
            whole &= fine
        good &= ~present | whole
        main_ok |= present & _np(pc.equal(main, s))
    return out, good & main_ok
