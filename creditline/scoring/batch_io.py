"""Read batch input (CSV or a JSON list) into proposal dicts; one flat CSV row per proposal.

CSV columns: the scalar proposal fields (``title``, ``investment``, ``loan_amount``, ...),
``cp_options`` separated by ``;``, ``technology_readiness`` / ``technology_class``, the
enterprise's ``employees``, ``annual_turnover``, ``total_assets``, ``domestic_ownership_share``,
``operating_since``, ``isic_code``, ``country``, and per stream four columns
``<stream>_baseline_quantity``, ``<stream>_baseline_output``, ``<stream>_projected_quantity``,
``<stream>_projected_output``. The same converter serves the API and ``flask score``.
"""
from __future__ import annotations

import io
from typing import Any

import pandas as pd
from flask import Request

from ..errors import ValidationFailed
from ..files.tabular_limits import TableLimits, check_columns, check_csv_header, check_row_count
from ..vocabulary import STREAM_UNITS

ENTERPRISE_COLUMNS = ("employees", "annual_turnover", "total_assets", "domestic_ownership_share",
                      "operating_since", "isic_code", "country", "legal_name")
PROPOSAL_COLUMNS = ("id", "title", "currency", "investment", "eligible_cost", "loan_amount",
                    "own_contribution", "economic_life_years", "annual_savings",
                    "annual_extra_operating_cost", "implementation_months", "output_unit",
                    "main_indicator")
INDICATOR_PARTS = ("baseline_quantity", "baseline_output", "projected_quantity", "projected_output")
# A portfolio scored over the web: the batch path is measured at 100,000 rows (bench/scoring.py).
WEB_LIMITS = TableLimits(max_rows=100_000)
INT_COLUMNS = {"economic_life_years", "implementation_months", "employees"}


def _clean(value: Any) -> Any:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def flat_to_proposal(row: dict[str, Any]) -> dict[str, Any]:
    """Turn one flat CSV row into the nested proposal dict the engine scores."""
    out: dict[str, Any] = {}
    for col in PROPOSAL_COLUMNS:
        value = _clean(row.get(col))
        if value is not None:
            out[col] = _whole(value) if col in INT_COLUMNS else value
    options = _clean(row.get("cp_options"))
    out["cp_options"] = [o.strip() for o in options.split(";") if o.strip()] if options else []
    tech = {k: _clean(row.get(f"technology_{k}")) for k in ("readiness", "class", "description", "supplier")}
    out["technology"] = {k: v for k, v in tech.items() if v is not None}
    enterprise = {}
    for col in ENTERPRISE_COLUMNS:
        value = _clean(row.get(col))
        if value is not None:
            enterprise[col] = _whole(value) if col in INT_COLUMNS else value
    out["enterprise"] = enterprise
    indicators = []
    for stream, unit in STREAM_UNITS.items():
        parts = {p: _clean(row.get(f"{stream}_{p}")) for p in INDICATOR_PARTS}
        if any(v is not None for v in parts.values()):
            indicators.append({"stream": stream, "unit": unit, **parts})
    out["indicators"] = indicators
    docs = _clean(row.get("documents"))
    out["documents"] = [d.strip() for d in docs.split(";")] if docs else []
    return out


def _whole(value: str) -> Any:
    # Spreadsheets write 10 as "10.0"; anything else stays text for the schema to name.
    try:
        number = float(value)
    except ValueError:
        return value
    return int(number) if number.is_integer() else value


def rows_from_csv(data: bytes, limits: TableLimits | None = None) -> list[dict[str, Any]]:
    """Parse CSV bytes (every cell as text, so amounts keep their decimals) into proposals.

    ``limits`` bounds an upload from the web (413 over it); the CLI reads its own file whole.
    """
    if limits is not None:
        check_csv_header(data)
    try:
        frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False,
                            nrows=limits.max_rows + 1 if limits else None)
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ValidationFailed("the file is not a readable CSV", {"file": [str(exc)[:300]]}) from exc
    if limits is not None:
        check_row_count(len(frame), limits)
        check_columns(len(frame.columns))
    if frame.empty:
        raise ValidationFailed("the CSV has no rows", {"file": ["add one row per proposal below the header"]})
    return [flat_to_proposal(r) for r in frame.to_dict(orient="records")]


def rows_from_request(request: Request) -> list[Any]:
    """Read the batch from a CSV upload, a text/csv body, or a JSON list."""
    if request.files:
        upload = next(iter(request.files.values()))
        return rows_from_csv(upload.read(), WEB_LIMITS)
    if request.mimetype == "text/csv":
        return rows_from_csv(request.get_data(), WEB_LIMITS)
    payload = request.get_json(silent=True)
    if isinstance(payload, dict) and isinstance(payload.get("proposals"), list):
        payload = payload["proposals"]
    if not isinstance(payload, list) or not payload:
        raise ValidationFailed("send a CSV file or a JSON list of proposals",
                               {"body": ["expected a non-empty JSON list or a CSV upload"]})
    check_row_count(len(payload), WEB_LIMITS, "the list of proposals")
    # An item that is not an object is reported by its row number with the others.
    return payload
