"""Score a batch of proposal rows: each row is checked by the what-if's own schema, then the engine's.

The same :class:`BatchRowSchema` (the ``POST /score`` body, loaded partially) reads JSON rows and
CSV rows alike, so the single and batch paths cannot drift apart. A bad row is reported by its
number (1 = the first row) and every field at fault; the other rows are scored.
"""
from __future__ import annotations

from typing import Any

from marshmallow import ValidationError

from ..proposals.forms import flatten_errors
from ..rules import engine
from ..rules.loader import Rulebook
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


def score_rows(book: Rulebook, rows: list[Any], explain: bool = False, first_row: int = 1) -> dict[str, Any]:
    """Validate and score rows; bad rows are listed by number and skipped, the rest are scored."""
    good: list[tuple[int, dict[str, Any]]] = []
    bad: list[dict[str, Any]] = []
    for n, raw in enumerate(rows, start=first_row):
        row, problems = row_problems(book, raw)
        if row is None:
            bad.append({"row": n, "errors": problems})
        else:
            good.append((n, row))
    results = engine.assess_batch(book, [r for _, r in good], explain=explain, with_sensitivity=False)
    out = [{"row": n, "id": row.get("id"), "title": row.get("title"), **res} for (n, row), res in zip(good, results)]
    return {"rulebook": book.ref, "scored": len(out), "rejected": len(bad), "results": out, "errors": bad}
