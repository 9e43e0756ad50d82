"""Read batch input (a CSV or .xlsx table, or a JSON list); one flat table row per proposal.

CSV columns: the scalar proposal fields (``title``, ``investment``, ``loan_amount``, ...),
``cp_options`` separated by ``;``, ``technology_readiness`` / ``technology_class``, the
enterprise's ``employees``, ``annual_turnover``, ``total_assets``, ``domestic_ownership_share``,
``operating_since``, ``isic_code``, ``country``, and per stream four columns
``<stream>_baseline_quantity``, ``<stream>_baseline_output``, ``<stream>_projected_quantity``,
``<stream>_projected_output``. A table is read as an Arrow table of text cells (:func:`read_frame`), checked and
scored column by column (:mod:`.batch_frame`); :func:`flat_to_proposal` turns one of its rows into
the proposal dict the schema loads, for the rows the column checks leave to it.
"""
from __future__ import annotations

import csv
import io
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
from flask import Request

from ..errors import ValidationFailed
from ..files.tabular_limits import TableLimits, check_columns, check_csv_header, check_row_count, check_workbook
from ..vocabulary import STREAM_UNITS

ENTERPRISE_COLUMNS = ("employees", "annual_turnover", "total_assets", "domestic_ownership_share",
                      "operating_since", "isic_code", "country", "legal_name")
PROPOSAL_COLUMNS = ("id", "title", "currency", "investment", "eligible_cost", "loan_amount",
                    "own_contribution", "economic_life_years", "annual_savings",
                    "annual_extra_operating_cost", "implementation_months", "output_unit",
                    "main_indicator")
INDICATOR_PARTS = ("baseline_quantity", "baseline_output", "projected_quantity", "projected_output")
TECHNOLOGY_COLUMNS = tuple(f"technology_{k}" for k in ("readiness", "class", "description", "supplier"))
# Every column a proposal is read from (:func:`flat_to_proposal`); an upload's other columns are not read.
COLUMNS = frozenset((*PROPOSAL_COLUMNS, *ENTERPRISE_COLUMNS, *TECHNOLOGY_COLUMNS, "cp_options", "documents",
                     *(f"{s}_{p}" for s in STREAM_UNITS for p in INDICATOR_PARTS)))
# A portfolio scored over the web: the batch path is measured at 100,000 rows (bench/scoring.py).
WEB_LIMITS = TableLimits(max_rows=100_000)
INT_COLUMNS = {"economic_life_years", "implementation_months", "employees"}
TEXT = "string[pyarrow]"


def clean(value: Any) -> Any:
    """A cell's text without surrounding spaces; None when empty."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def options_of(cell: Any) -> list[str]:
    """The cleaner-production option names of a ``cp_options`` cell (``;`` between them)."""
    options = clean(cell)
    return [o.strip() for o in options.split(";") if o.strip()] if options else []


def documents_of(cell: Any) -> list[str]:
    """The document kinds of a ``documents`` cell; an empty name is kept for the schema to refuse."""
    docs = clean(cell)
    return [d.strip() for d in docs.split(";")] if docs else []


def flat_to_proposal(row: dict[str, Any]) -> dict[str, Any]:
    """Turn one flat CSV row into the nested proposal dict the engine scores."""
    out: dict[str, Any] = {}
    for col in PROPOSAL_COLUMNS:
        value = clean(row.get(col))
        if value is not None:
            out[col] = _whole(value) if col in INT_COLUMNS else value
    out["cp_options"] = options_of(row.get("cp_options"))
    tech = {c.removeprefix("technology_"): clean(row.get(c)) for c in TECHNOLOGY_COLUMNS}
    out["technology"] = {k: v for k, v in tech.items() if v is not None}
    enterprise = {}
    for col in ENTERPRISE_COLUMNS:
        value = clean(row.get(col))
        if value is not None:
            enterprise[col] = _whole(value) if col in INT_COLUMNS else value
    out["enterprise"] = enterprise
    indicators = []
    for stream, unit in STREAM_UNITS.items():
        parts = {p: clean(row.get(f"{stream}_{p}")) for p in INDICATOR_PARTS}
        if any(v is not None for v in parts.values()):
            indicators.append({"stream": stream, "unit": unit, **parts})
    out["indicators"] = indicators
    out["documents"] = documents_of(row.get("documents"))
    return out


def _whole(value: str) -> Any:
    # Spreadsheets write 10 as "10.0"; anything else stays text for the schema to name.
    try:
        number = float(value)
    except ValueError:
        return value
    return int(number) if number.is_integer() else value


def read_frame(data: bytes, limits: TableLimits | None = None, excel: bool = False) -> pa.Table:
    """Every cell of a CSV or .xlsx as text ('' where empty), an Arrow table of the columns a proposal
    reads (:data:`COLUMNS`; the others are ignored), one chunk per column; ``limits`` bounds a web
    upload (413)."""
    if excel:
        names, table = _table_of(_read_excel(data, limits))
    else:
        if limits is not None:
            check_csv_header(data)
        try:
            names, table = _read_csv_arrow(data)
        except (ValueError, pa.ArrowException):
            names, table = _table_of(_read_csv_c(data, limits))
    if limits is not None:
        check_row_count(table.num_rows, limits)
        check_columns(len(names))
    if not table.num_rows or not names:
        raise ValidationFailed("the file has no rows", {"file": ["add one row per proposal below the header"]})
    return table


def _used(names: list[str]) -> list[str]:
    """The columns read: those a proposal uses, or all of them when none is (each row is then refused
    by the schema, as before)."""
    used = [n for n in names if n in COLUMNS]
    return used or names


def _read_csv_arrow(data: bytes) -> tuple[list[str], pa.Table]:
    """Arrow's reader (several times faster than pandas'), every used column as text.

    A file it reads otherwise than pandas' C reader would (a short row, a line break inside a
    cell, a repeated or odd header) raises, and is read by the C reader instead, so a table has
    the same cells whichever reader read it.
    """
    end = data.find(b"\n")
    line = (data if end < 0 else data[:end]).decode("utf-8").removeprefix("\ufeff").rstrip("\r")
    try:
        names = next(csv.reader([line]), [])
    except csv.Error as exc:  # a carriage return inside the first line (old Mac line ends): pandas reads it
        raise ValueError("a header this reader does not take") from exc
    if not names or len(set(names)) != len(names) or "" in names:
        raise ValueError("a header this reader does not take")
    used = _used(names)
    # One thread: on two shared cores the reader's threads saved little wall time and cost more CPU
    # (their blocks, joined below, are memory fresh to this thread), measured by bench/scoring.py (d).
    table = pa_csv.read_csv(io.BytesIO(data), read_options=pa_csv.ReadOptions(use_threads=False),
                            convert_options=pa_csv.ConvertOptions(
                                column_types={n: pa.string() for n in used}, include_columns=used,
                                strings_can_be_null=False, quoted_strings_can_be_null=False))
    if table.column_names != used or any(t != pa.string() for t in table.schema.types):
        raise ValueError("the header was read otherwise")
    # One chunk per column, so the column checks read each as one Arrow array without a copy.
    return names, table.combine_chunks()


def _table_of(frame: pd.DataFrame) -> tuple[list[str], pa.Table]:
    """A table read by pandas (text cells, '' where empty) as the Arrow reader gives it."""
    names = [str(c) for c in frame.columns]
    used = _used(names)
    columns = [pa.array(frame[n].to_numpy(dtype=object, na_value=""), pa.string()) for n in used]
    return names, pa.Table.from_arrays(columns, names=used)


def _read_csv_c(data: bytes, limits: TableLimits | None) -> pd.DataFrame:
    try:
        frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False,
                            nrows=limits.max_rows + 1 if limits else None)
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ValidationFailed("the file is not a readable CSV", {"file": [str(exc)[:300]]}) from exc
    return frame.astype(TEXT).fillna("")


def _read_excel(data: bytes, limits: TableLimits | None) -> pd.DataFrame:
    if limits is not None:
        check_workbook(data, limits)
    try:
        frame = pd.read_excel(io.BytesIO(data), dtype=str, keep_default_na=False, engine="openpyxl",
                              nrows=limits.max_rows + 1 if limits else None)
    except Exception as exc:  # openpyxl raises many kinds (zip, XML, key errors) for a broken file
        raise ValidationFailed("the file is not a readable .xlsx workbook", {"file": [str(exc)[:300]]}) from exc
    frame.columns = [str(c) for c in frame.columns]
    return frame.astype(TEXT).fillna("")


def rows_from_csv(data: bytes, limits: TableLimits | None = None, excel: bool = False) -> list[dict[str, Any]]:
    """The per-row reading of a table: one proposal dict per row (the columnar path is :mod:`.batch_frame`)."""
    return [flat_to_proposal(r) for r in read_frame(data, limits, excel).to_pylist()]


def is_workbook(data: bytes, filename: str | None = None) -> bool:
    """An .xlsx file (a zip archive) rather than CSV text."""
    return data[:4] == b"PK\x03\x04" or (filename or "").lower().endswith(".xlsx")


def batch_from_request(request: Request) -> pa.Table | list[Any]:
    """Read the batch: a CSV or .xlsx upload or a text/csv body as a table of text cells, or a JSON list."""
    if request.files:
        upload = next(iter(request.files.values()))
        data = upload.read()
        return read_frame(data, WEB_LIMITS, excel=is_workbook(data, upload.filename))
    if request.mimetype == "text/csv":
        return read_frame(request.get_data(), WEB_LIMITS)
    payload = request.get_json(silent=True)
    if isinstance(payload, dict) and isinstance(payload.get("proposals"), list):
        payload = payload["proposals"]
    if not isinstance(payload, list) or not payload:
        raise ValidationFailed("send a CSV file or a JSON list of proposals",
                               {"body": ["expected a non-empty JSON list or a CSV upload"]})
    check_row_count(len(payload), WEB_LIMITS, "the list of proposals")
    # An item that is not an object is reported by its row number with the others.
    return payload
