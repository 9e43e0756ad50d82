"""Score a batch of proposal rows: each row is checked by the what-if's own schema, then the engine's.

The same :class:`BatchRowSchema` (the ``POST /score`` body, loaded partially) reads JSON rows and
CSV rows alike, so the single and batch paths cannot drift apart. A bad row is reported by its
number (1 = the first row) and every field at fault; the other rows are scored.

For speed, the rows the schema surely accepts are recognised column by column first (rows given
as objects by :mod:`.batch_fast`, an uploaded table by :mod:`.batch_frame`; each number's bounds
from :mod:`creditline.proposal_inputs`, the declaration the schema's fields are generated from);
only the others are loaded one by one through the schema, so every error message is still the
schema's or the engine's own.
"""
from __future__ import annotations

import gc
import time
from typing import Any, Callable

import numpy as np
import pyarrow as pa
from marshmallow import ValidationError

from ..form_errors import flatten as flatten_errors
from ..rules import engine
from ..rules.evaluation import evaluate
from ..rules.facts import columns
from ..rules.loader import Rulebook
from .batch_fast import FastBatch, fast_check
from .batch_frame import frame_check, raw_rows
from .batch_results import results_of
from .batch_table import result_table
from .schemas import BatchRowSchema

ROW_SCHEMA = BatchRowSchema(partial=True)


def _flat(messages: Any) -> dict[str, list[str]]:
    # {"indicators": {0: {"_schema": ["Invalid input type."]}}} names "indicators.0", not "._schema".
    out: dict[str, list[str]] = {}
    for key, value in flatten_errors(messages).items():
        name = key[: -len("._schema")] if key.endswith("._schema") else key
        out.setdefault(name, []).extend(value)
    return out


def row_problems(book: Rulebook, raw: Any) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
    """Load one row; return it ready for the engine, or None with every problem by field."""
    if not isinstance(raw, dict):
        return None, {"row": ["must be a proposal object"]}
    try:
        row = ROW_SCHEMA.load(raw)
    except ValidationError as exc:
        return None, _flat(exc.messages)
    if row.get("as_of") is not None:
        row["as_of"] = row["as_of"].isoformat()
    problems = engine.validate_proposal_row(row)
    for key, messages in engine.cost_problems(book, row).items():
        problems.setdefault(key, []).extend(messages)
    if row.get("currency") and row["currency"] != book.currency:
        problems.setdefault("currency", []).append(f"the rulebook lends in {book.currency}")
    return (None if problems else row), problems


def _merge(parts: list[tuple[np.ndarray, dict[str, np.ndarray]]]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Join column sets of disjoint row positions back into input order."""
    parts = [(pos, cols) for pos, cols in parts if len(pos)]
    if len(parts) <= 1:
        return parts[0] if parts else (np.zeros(0, np.int64), {})
    positions = np.concatenate([pos for pos, _ in parts])
    order = np.argsort(positions, kind="stable")
    keys = parts[0][1].keys()
    return positions[order], {k: np.concatenate([cols[k] for _, cols in parts])[order] for k in keys}


def score_rows(book: Rulebook, rows: list[Any], explain: bool = False, first_row: int = 1,
               timings: dict[str, float] | None = None, table: bool = False) -> dict[str, Any]:
    """Validate and score rows; bad rows are listed by number and skipped, the rest are scored.

    ``timings``, when given, receives the seconds spent in each stage (for ``bench/scoring.py``);
    with ``table``, the results come as the flat table of :func:`score_frame`.
    """
    return _paused(lambda: _score(book, lambda: fast_check(book, rows), lambda pos: [rows[i] for i in pos],
                                  explain, first_row, timings, table, None))


def score_frame(book: Rulebook, frame: pa.Table, explain: bool = False, first_row: int = 1,
                timings: dict[str, float] | None = None, table: bool = False,
                cpu: dict[str, float] | None = None) -> dict[str, Any]:
    """:func:`score_rows` of a table read by :func:`.batch_io.read_frame`, checked column by column.

    With ``table``, the results come as one flat :class:`pyarrow.Table` under ``"table"`` (the
    rejected rows included, as ``flask score`` writes it) instead of one object per row. ``cpu``,
    when given, receives the CPU seconds of each stage (all threads), as ``timings`` the wall seconds.
    """
    return _paused(lambda: _score(book, lambda: frame_check(book, frame), lambda pos: raw_rows(frame, pos),
                                  explain, first_row, timings, table, cpu))


# Rows scored at once into a result table: a large file's progress moves, and each block's working
# memory is reused by the next (fresh memory costs more than the scoring; bench/score_file.py measures it).
CHUNK = 25_000


def score_table(book: Rulebook, frame: pa.Table, chunk: int | None = None, progress: Callable[[int], Any] | None = None,
                timings: dict[str, float] | None = None, cpu: dict[str, float] | None = None) -> dict[str, Any]:
    """``flask score``'s batch: :func:`score_frame` of ``chunk`` rows (:data:`CHUNK`) at a time, the flat result
    tables one after the other (rows numbered across the file), ``progress`` told each block's size."""
    tables, errors, scored = [], [], 0
    chunk = chunk or CHUNK
    for start in range(0, frame.num_rows, chunk):
        part = score_frame(book, frame.slice(start, chunk), first_row=start + 1, timings=timings, table=True, cpu=cpu)
        tables.append(part["table"])
        errors += part["errors"]
        scored += part["scored"]
        if progress is not None:
            progress(min(chunk, frame.num_rows - start))
    return {"rulebook": book.ref, "scored": scored, "rejected": len(errors), "errors": errors,
            "table": pa.concat_tables(tables) if len(tables) > 1 else tables[0]}


def _paused(run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    # Scoring 100k rows creates millions of small objects while the input rows stay alive; the
    # cyclic collector would rescan them all many times over (about a second), and nothing here
    # makes cycles, so it is paused for the duration.
    paused = gc.isenabled()
    gc.disable()
    try:
        return run()
    finally:
        if paused:
            gc.enable()


def _score(book: Rulebook, check: Callable[[], FastBatch], raw_of: Callable[[list[int]], list[Any]], explain: bool,
           first_row: int, timings: dict[str, float] | None, table: bool,
           cpu: dict[str, float] | None) -> dict[str, Any]:
    clock = [(time.perf_counter(), time.process_time())]

    def lap(stage: str) -> None:
        clock.append((time.perf_counter(), time.process_time()))
        for spent, k in ((timings, 0), (cpu, 1)):
            if spent is not None:
                spent[stage] = spent.get(stage, 0.0) + clock[-1][k] - clock[-2][k]

    fast = check()
    bad: list[dict[str, Any]] = []
    slow: list[tuple[int, dict[str, Any]]] = []
    left = np.flatnonzero(~fast.ok).tolist()
    for i, raw in zip(left, raw_of(left)):
        row, problems = row_problems(book, raw)
        if row is None:
            bad.append({"row": i + first_row, "errors": problems})
        else:
            slow.append((i, row))
    lap("validation (incl. the fast rows' columns)")
    prepared = [engine.with_cost_items(book, r) for _, r in slow]
    parts = [(np.flatnonzero(fast.ok), fast.cols)]
    if slow:
        parts.append((np.array([i for i, _ in slow], dtype=np.int64), columns([r for r, _ in prepared])))
    positions, cols = _merge(parts)
    lap("columns (schema rows, merge)")
    done = {"rulebook": book.ref, "rejected": len(bad), "errors": bad}
    if not len(positions):
        lap("evaluation")
        none = pa.array([], pa.string())
        return {**done, "scored": 0,
                **({"table": result_table(None, np.zeros(0, np.int64), none, none, bad)} if table else {"results": []})}
    ev = evaluate(book, cols)
    lap("evaluation")
    ids, titles = _labels(fast, slow, positions)
    numbers = positions + first_row
    if table:
        frame = result_table(ev, numbers, pa.array(ids, pa.string()) if isinstance(ids, list) else ids,
                             pa.array(titles, pa.string()) if isinstance(titles, list) else titles, bad)
        lap("result table")
        return {**done, "scored": len(positions), "table": frame}
    ids, titles = (v.to_pylist() if isinstance(v, pa.Array) else v for v in (ids, titles))
    rows = numbers.tolist()
    if explain:
        out = [{"row": rows[k], "id": ids[k], "title": titles[k], **engine.result_of(ev, k, True)}
               for k in range(len(rows))]
    else:
        out = results_of(ev, rows, ids, titles)
    splits = {i: split for (i, _), (_, split) in zip(slow, prepared)}
    if splits:
        for r, i in zip(out, positions.tolist()):
            split = splits.get(i)
            if split is not None:
                r["eligible_costs"] = {"total": split.eligible_total, "counted": split.counted,
                                       "excluded": split.excluded}
                if explain:
                    r["trace"].insert(0, engine._cost_trace(book, split))
    lap("result rows")
    return {**done, "scored": len(out), "results": out}


def _labels(fast: FastBatch, slow: list[tuple[int, dict[str, Any]]],
            positions: np.ndarray) -> tuple[pa.Array | list[Any], pa.Array | list[Any]]:
    """The ids and titles of the scored rows in ``positions`` order: the fast rows' (a list, or Arrow
    text from a table), then the schema rows' merged in."""
    if not slow:
        return fast.ids, fast.titles
    if isinstance(fast.ids, pa.Array):
        fast_ids, fast_titles = fast.ids.to_pylist(), fast.titles.to_pylist()
    else:
        fast_ids, fast_titles = fast.ids, fast.titles
    at = dict(zip(np.flatnonzero(fast.ok).tolist(), zip(fast_ids, fast_titles)))
    at.update((i, (row.get("id"), row.get("title"))) for i, row in slow)
    pairs = [at[i] for i in positions.tolist()]
    return [p[0] for p in pairs], [p[1] for p in pairs]
