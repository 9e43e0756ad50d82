"""Monitoring reports as a table (CSV or Excel): the template, and reading an upload back.

Long format, one row per period and indicator: ``period, production_output, stream, unit,
quantity``. Every cell is read as text so quantities keep their decimals. The whole file is
checked before anything is returned: each bad row comes back with its spreadsheet row number
(the header is row 1), the column and the reason.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd

from .. import exports
from ..files.tabular_limits import (TableLimits, check_columns, check_csv_header, check_row_count,
                                     check_workbook)

COLUMNS = ("period", "production_output", "stream", "unit", "quantity")
# Sixty periods of a dozen indicators is 720 rows; five thousand is no monitoring report.
LIMITS = TableLimits(max_rows=5_000)


@dataclass
class RowError:
    row: int
    column: str
    reason: str


@dataclass
class Parsed:
    """The periods read (as report items for the monitoring service) and every problem found."""

    items: list[dict[str, Any]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def template(periods: list[str], units: dict[str, str], output_unit: str, fmt: str = "csv") -> bytes:
    """A filled-in example: one row per open period and indicator, quantities left blank."""
    rows = [{"period": p, "production_output": "", "stream": s, "unit": u, "quantity": ""}
            for p in periods for s, u in units.items()]
    frame = exports.frame(pd.DataFrame(rows, columns=list(COLUMNS)))
    buf = io.BytesIO()
    if fmt == "xlsx":
        with pd.ExcelWriter(buf, engine="openpyxl") as xl:
            frame.to_excel(xl, index=False, sheet_name="report")
            exports.frame(pd.DataFrame({"note": [
                f"production_output in {output_unit}, the same on every row of a period",
                "quantity: what was consumed or emitted in the period, in the unit shown"]})
            ).to_excel(xl, index=False, sheet_name="how to fill")
    else:
        frame.to_csv(buf, index=False)
    return buf.getvalue()


def _frame(data: bytes, filename: str) -> pd.DataFrame:
    return read_table(data, filename, LIMITS)


def read_table(data: bytes, filename: str, limits: TableLimits) -> pd.DataFrame:
    """An uploaded CSV or .xlsx as text cells, within ``limits`` (413 over them, ValueError if unreadable)."""
    frame = _read(data, filename, limits)
    check_row_count(len(frame), limits, filename or "the file")
    check_columns(len(frame.columns), filename or "the file")
    return frame


def _read(data: bytes, filename: str, limits: TableLimits) -> pd.DataFrame:
    name = (filename or "").lower()
    # One row more than allowed is read, so a file over the limit is told so (not cut silently).
    nrows = limits.max_rows + 1
    if name.endswith((".xlsx", ".xlsm")):
        if not zipfile.is_zipfile(io.BytesIO(data)):
            raise ValueError(f"{filename} is not an Excel workbook (an .xlsx file is a zip archive)")
        check_workbook(data, limits, filename)
        try:
            return pd.read_excel(io.BytesIO(data), dtype=str, keep_default_na=False, engine="openpyxl",
                                 nrows=nrows)
        except Exception as exc:  # noqa: BLE001  openpyxl raises KeyError, BadZipFile, ValueError...
            # Any zip that openpyxl cannot read (a .docx, a zipped CSV) is simply not a workbook.
            raise ValueError(f"{filename} is not an Excel workbook that can be read "
                             f"({type(exc).__name__}); save it as .xlsx from Excel or upload a CSV") from None
    if name.endswith(".csv") or not name:
        check_csv_header(data, filename or "the file")
        try:
            return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, nrows=nrows)
        except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise ValueError(f"{filename or 'the file'} is not a readable CSV: {exc}") from None
    raise ValueError(f"{filename}: upload a .csv or .xlsx file")


def _number(text: str) -> Decimal | None:
    try:
        value = Decimal(str(text).strip())
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def parse(data: bytes, filename: str, units: dict[str, str], periods: dict[str, bool] | None = None) -> Parsed:
    """Read an upload into report items, reporting every problem in one pass.

    ``periods`` maps the plan's period labels to whether each is already reported; with it, a
    period outside the plan or reported before is named at the period's first row.
    """
    out = Parsed()
    try:
        frame = _frame(data, filename)
    except ValueError as exc:
        out.errors.append(RowError(0, "file", str(exc)))
        return out
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        out.errors.append(RowError(1, ", ".join(missing), "missing column(s); download the template"))
        return out
    if frame.empty:
        out.errors.append(RowError(2, "period", "the file has no rows"))
        return out
    by_period: dict[str, dict[str, Any]] = {}
    for i, rec in enumerate(frame.to_dict(orient="records"), start=2):
        period, stream = str(rec["period"]).strip(), str(rec["stream"]).strip()
        if not period:
            out.errors.append(RowError(i, "period", "required"))
            continue
        item = by_period.get(period)
        if item is None:
            item = by_period[period] = {"period": period, "production_output": None, "quantities": [], "_rows": {},
                                        "_last": i}
            if periods is not None and period not in periods:
                out.errors.append(RowError(i, "period", f"period {period!r} is not in the plan "
                                                        f"(periods: {', '.join(periods)})"))
            elif periods is not None and periods[period]:
                out.errors.append(RowError(i, "period", f"period {period} has already been reported"))
        item["_last"] = i
        output = _number(rec["production_output"])
        if output is None or output <= 0:
            out.errors.append(RowError(i, "production_output", f"must be a number more than zero, not {rec['production_output']!r}"))
        elif item["production_output"] is not None and output != item["production_output"]:
            out.errors.append(RowError(i, "production_output",
                                       f"period {period} has {item['production_output']} on another row"))
        else:
            item["production_output"] = output
        if stream not in units:
            out.errors.append(RowError(i, "stream", f"{stream!r} is not an indicator of the plan ({', '.join(units)})"))
            continue
        if stream in item["_rows"]:
            out.errors.append(RowError(i, "stream", f"{stream} for period {period} is already on row {item['_rows'][stream]}"))
            continue
        # The row stands for its indicator even when a cell is wrong, so the indicator is not
        # also reported missing: that cell is the one problem to fix.
        item["_rows"][stream] = i
        if str(rec["unit"]).strip() != units[stream]:
            out.errors.append(RowError(i, "unit", f"{stream} is reported in {units[stream]}, not {rec['unit']!r}"))
        quantity = _number(rec["quantity"])
        if quantity is None or quantity < 0:
            out.errors.append(RowError(i, "quantity", f"must be a number, zero or more, not {rec['quantity']!r}"))
            continue
        item["quantities"].append({"stream": stream, "unit": units[stream], "quantity": quantity})
    for period, item in by_period.items():
        absent = [s for s in units if s not in item["_rows"]]
        if absent:
            out.errors.append(RowError(item["_last"], "stream", f"period {period} has no row for {', '.join(absent)}"))
        item.pop("_last")
        item["rows"] = item.pop("_rows")
        out.items.append(item)
    out.errors.sort(key=lambda e: e.row)
    return out
