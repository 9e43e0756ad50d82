"""The flat result table of a batch built straight from the evaluation's columns (``flask score``'s CSV).

The same table as :func:`.results.result_rows` of the per-row results, one row per proposal,
scored or rejected, in input order, with the same values (figures rounded as the engine rounds
them, money and tonnes as the text of their Decimal), but without a dict per proposal.
:func:`write_csv` writes it with text that could start a spreadsheet formula quoted, as
:func:`creditline.exports.frame` does, a column at a time.
"""
from __future__ import annotations

import io
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..exports import FORMULA_STARTS
from ..rules.evaluation import Evaluation
from ..rules.result_figures import DIGITS, TONNE_DIGITS
from .batch_results import rounded_array
from .results import COLUMNS

# Below this size the ``digits``-decimal text of the rounded float is its shortest repr padded
# with zeros, which is what Decimal(repr(x)).quantize(...) gives (at most 15 significant digits).
_PLAIN_BELOW = 1e11
_POWERS = 10 ** np.arange(1, 12, dtype=np.int64)  # a value below 1e11 rounds to at most 12 whole digits
SCORES = tuple(c for c in COLUMNS if c.startswith("score_"))
# The decimals of each float column, as the engine rounds it (the CSV writes them as ``repr`` would).
FLOAT_DIGITS = {k: DIGITS[k] for k in ("irr", "simple_payback_years", "discounted_payback_years", "benefit_cost_ratio",
                                        "main_improvement", "grant_rate")}
# Money and tonnes, held as the text of their Decimal: numbers to a spreadsheet, so never formula-quoted
# (a negative NPV is -123.45, not '-123.45).
DECIMAL_TEXT = ("npv", "co2e_avoided_t_per_year", "grant_amount")


def _floats(values: np.ndarray, digits: int) -> np.ndarray:
    """The engine's ``_f`` over a column: rounded as Python rounds, NaN where not finite."""
    out = rounded_array(values, digits)
    out[~np.isfinite(values)] = np.nan
    return out


def fixed_texts(values: np.ndarray, digits: int, trim: bool = False) -> pa.Array:
    """The text of already rounded floats with ``digits`` decimals (null where not finite).

    With ``trim``, trailing zeros are dropped down to one decimal: that is ``repr`` of a float
    rounded to at most 4 decimals (fixed notation from 1e-4 up). Without, it is the text of
    ``Decimal(repr(x)).quantize(...)``. Both are made from whole units (exact below 1e11), digit by
    digit in a grid of characters, a column at a time; larger values are formatted by Python itself.
    """
    values = np.asarray(values, dtype=float)
    n = len(values)
    finite = np.isfinite(values)
    small = finite & (np.abs(values) < _PLAIN_BELOW)
    whole, frac = np.divmod(np.rint(np.abs(np.where(small, values, 0.0)) * 10 ** digits).astype(np.int64),
                            10 ** digits)
    places = 1 + np.searchsorted(_POWERS, whole, side="right")
    # Each row: room for the sign, the whole digits right-aligned up to the dot, then the decimals.
    dot = 1 + int(places.max(initial=1))
    grid = np.empty((n, dot + 1 + digits), np.uint8)
    rest = whole.copy()
    for k in range(dot - 1):
        rest, digit = np.divmod(rest, 10)
        grid[:, dot - 1 - k] = 48 + digit
    grid[:, dot] = ord(".")
    rest = frac.copy()
    for k in range(digits):
        rest, digit = np.divmod(rest, 10)
        grid[:, dot + digits - k] = 48 + digit
    negative = np.flatnonzero(np.signbit(values) & small)
    grid[negative, dot - 1 - places[negative]] = ord("-")
    start = dot - places - np.signbit(values)
    kept = np.full(n, digits)
    if trim:
        kept -= sum((frac % 10 ** k == 0).astype(np.int64) for k in range(1, digits + 1))
        np.maximum(kept, 1, out=kept)
    end = dot + 1 + kept
    columns = np.arange(grid.shape[1])
    data = grid[(columns >= start[:, None]) & (columns < end[:, None]) & small[:, None]]
    offsets = np.zeros(n + 1, np.int32)
    np.cumsum(np.where(small, end - start, 0), out=offsets[1:])
    text = pa.Array.from_buffers(pa.string(), n, [pa.py_buffer(np.packbits(small, bitorder="little")),
                                                  pa.py_buffer(offsets), pa.py_buffer(data)])
    large = np.flatnonzero(finite & ~small)
    if len(large):
        quantum = Decimal(1).scaleb(-digits)
        texts = text.to_pylist()
        for i in large.tolist():
            x = float(values[i])
            texts[i] = repr(x) if trim else str(Decimal(repr(x)).quantize(quantum, rounding=ROUND_HALF_UP))
        text = pa.array(texts, pa.string())
    return text


def _decimal_texts(values: np.ndarray, digits: int) -> pa.Array:
    """``str(Decimal(repr(round(x, digits))).quantize(...))`` of every value (null where not finite)."""
    return fixed_texts(rounded_array(values, digits), digits)


def _failed_rules(ev: Evaluation) -> pa.Array:
    """Each row's failed gates joined by ';', in the rulebook's order (one join per distinct set)."""
    gates = [g.id for g in ev.book.gates]
    code = np.zeros(ev.n, np.int64)
    for bit, gid in enumerate(gates):
        code |= (~ev.gate_pass[gid]).astype(np.int64) << bit
    distinct, back = np.unique(code, return_inverse=True)
    texts = pa.array([";".join(g for b, g in enumerate(gates) if c >> b & 1) for c in distinct.tolist()], pa.string())
    return texts.take(pa.array(back.reshape(-1)))


def _scored(ev: Evaluation, rows: np.ndarray, ids: pa.Array, titles: pa.Array) -> dict[str, pa.Array]:
    f = ev.facts
    # Tonnes have no "not finite" in the per-row path; the same text comes out for every finite value.
    return {
        "row": pa.array(rows, pa.int64()), "id": ids, "title": titles,
        "decision": pa.array(ev.decision.astype(str), pa.string()),
        **{f"score_{k}": pa.array(np.asarray(v), pa.int64()) for k, v in ev.scores.items()},
        "npv": _decimal_texts(f["npv"], 2),
        **{k: pa.array(_floats(f[k], d), from_pandas=True) for k, d in FLOAT_DIGITS.items() if k in f},
        "co2e_avoided_t_per_year": _decimal_texts(f["co2e_avoided_t"], TONNE_DIGITS),
        "grant_rate": pa.array(_floats(f["grant_rate"], DIGITS["grant_rate"]), from_pandas=True),
        "grant_amount": _decimal_texts(f["grant_amount"], 2),
        "failed_rules": _failed_rules(ev), "errors": pa.repeat("", ev.n),
    }


def error_text(errors: dict[str, list[str]]) -> str:
    """A rejected row's problems on one line: ``field: message, message; field: ...``."""
    return "; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items())


_TYPES = {**{c: pa.int64() for c in ("row", *SCORES)}, **{c: pa.float64() for c in FLOAT_DIGITS}}


def result_table(ev: Evaluation | None, rows: np.ndarray, ids: pa.Array, titles: pa.Array,
                 errors: list[dict[str, Any]]) -> pa.Table:
    """One row per proposal, scored (from ``ev``, in the order of ``rows``) or rejected, sorted by row.

    Its columns are typed: the row and scores whole numbers, the ratios floats, money, tonnes and
    the texts strings; a rejected row has only its number, decision and errors (the rest null).
    """
    scored = _scored(ev, rows, ids, titles) if ev is not None and ev.n else {}
    m = ev.n if scored else 0
    numbers = np.concatenate([np.asarray(rows, np.int64)[:m], np.array([e["row"] for e in errors], np.int64)])
    # Output row k is input k of the scored rows then the rejected ones, taken in row order: a
    # scored column is gathered once (null at a rejected row), not joined to nulls and then sorted.
    order = np.argsort(numbers, kind="stable") if m and errors else None
    rejected = {"decision": pa.repeat("rejected", len(errors)),
                "errors": pa.array([error_text(e["errors"]) for e in errors], pa.string())}
    columns = {"row": pa.array(numbers if order is None else numbers[order], pa.int64())}
    for name in COLUMNS[1:]:
        kind = _TYPES.get(name, pa.string())
        if not m:
            columns[name] = rejected.get(name, pa.nulls(len(errors), kind))
        elif not errors:
            columns[name] = scored[name]
        elif name in rejected:
            columns[name] = pa.concat_arrays([scored[name], rejected[name]]).take(pa.array(order))
        else:
            columns[name] = scored[name].take(pa.array(order, mask=order >= m))
    return pa.Table.from_pydict(columns)


_FORMULA = "^[" + "".join(f"\\x{{{ord(c):x}}}" for c in FORMULA_STARTS) + "]"


def _cell_texts(name: str, column: pa.Array) -> pa.Array:
    """A column as CSV cells: null as '', floats as ``repr``, text that could start a formula quoted."""
    if name in FLOAT_DIGITS:
        return pc.fill_null(fixed_texts(column.to_numpy(zero_copy_only=False), FLOAT_DIGITS[name], True), "")
    if pa.types.is_integer(column.type):
        return pc.fill_null(pc.cast(column, pa.string()), "")
    text = pc.fill_null(column, "")
    if name in DECIMAL_TEXT:
        return text
    # Any other column holds text (or null): what a spreadsheet could run as a formula gets a "'",
    # and a cell holding a comma, a quote or a line feed is quoted, as pandas' CSV writer does.
    # One pass finds the few cells that need either; only they are rewritten.
    odd = pc.match_substring_regex(text, f'{_FORMULA}|[,"\\n]')
    if not pc.any(odd).as_py():
        return text
    return pc.replace_with_mask(text, odd, pa.array([_csv_cell(v) for v in pc.filter(text, odd).to_pylist()],
                                                    pa.string()))


def _csv_cell(text: str) -> str:
    text = "'" + text if text.startswith(FORMULA_STARTS) else text
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n') else text


def csv_bytes(table: pa.Table) -> bytes:
    """The table as UTF-8 CSV, cell for cell what ``exports.frame(table).to_csv(index=False)`` of the
    per-row results wrote."""
    return b"".join(_csv_parts(table))


def _csv_parts(table: pa.Table) -> Iterator[Any]:
    """The header, then the lines of each block of the table (``flask score``'s has one per chunk)."""
    yield (",".join(table.column_names) + "\n").encode()
    for block in table.to_batches():
        if block.num_rows:
            cells = [_cell_texts(name, column) for name, column in zip(block.schema.names, block.columns)]
            # Each line with its line feed: the lines' bytes, back to back in Arrow's buffer, are the body.
            data = pc.binary_join_element_wise(pc.binary_join_element_wise(*cells, ","), "\n", "")
            offsets = np.frombuffer(data.buffers()[1], dtype=np.int32)[data.offset:data.offset + len(data) + 1]
            yield memoryview(data.buffers()[2])[offsets[0]:offsets[-1]]


def write_csv(table: pa.Table, path: Any) -> None:
    """Write the result table as CSV (``path`` a file name or a binary or text stream)."""
    if isinstance(path, io.TextIOBase):
        path.write(csv_bytes(table).decode())
    elif hasattr(path, "write"):
        for part in _csv_parts(table):
            path.write(part)
    else:
        with open(path, "wb") as out:
            for part in _csv_parts(table):
                out.write(part)
