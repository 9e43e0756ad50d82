"""A list as a spreadsheet (CSV or XLSX): headers carry units and currency, text is never a formula."""
from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pandas as pd
from flask import Response

from . import clock, exports
from .files.content import XLSX
from .files.disposition import download
from .listing import Column, ListSpec
from .vocabulary import label

HUNDRED = Decimal(100)


def header(column: Column, currencies: set[str]) -> str:
    """``Loan amount (USD)``, ``Coverage (%)``, ``Tenor (months)``: the unit is in the header, not the cells."""
    if column.kind == "money":
        unit = next(iter(currencies)) if len(currencies) == 1 else "see Currency"
        return f"{column.label} ({unit})" if currencies else column.label
    if column.kind == "percent":
        return f"{column.label} (%)"
    return f"{column.label} ({column.unit})" if column.unit else column.label


def cell_value(column: Column, row: Any) -> Any:
    """The value a spreadsheet gets: numbers stay numbers, percentages in %, codes as labels."""
    value = column.value(row)
    if value is None:
        return None
    if column.kind == "percent":
        return (Decimal(value) * HUNDRED).normalize() + 0  # 0.5 -> 50
    if column.kind == "code":
        return label(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")  # UTC, as the app stores it
    return value


def table(spec: ListSpec, rows: list[Any]) -> pd.DataFrame:
    """The rows as a frame with the spec's headers, plus a Currency column where amounts have one."""
    money = [c for c in spec.columns if c.kind == "money" and c.currency is not None]
    currencies = {cur for c in money for r in rows if (cur := c.currency(r))}  # type: ignore[misc]
    data: dict[str, list[Any]] = {header(c, currencies): [cell_value(c, r) for r in rows] for c in spec.columns}
    if money:
        currency_of = money[0].currency
        data["Currency"] = [currency_of(r) for r in rows]  # type: ignore[misc]
    return pd.DataFrame(data)


def response(spec: ListSpec, rows: list[Any], fmt: str) -> Response:
    """The download: every filtered row, in the spec's column order, formulas neutralised."""
    frame = exports.frame(table(spec, rows))
    stem = f"{spec.name}-{clock.today():%Y-%m-%d}"
    buf = io.BytesIO()
    if fmt == "xlsx":
        # Decimals go in as numbers; openpyxl writes dates as real dates.
        with pd.ExcelWriter(buf, engine="openpyxl") as xl:
            frame.to_excel(xl, index=False, sheet_name=spec.title[:31])
        return download(buf.getvalue(), f"{stem}.xlsx", XLSX)
    frame.to_csv(buf, index=False, date_format="%Y-%m-%d")
    return download(buf.getvalue(), f"{stem}.csv", "text/csv")


def as_date(value: Any) -> date | None:
    """A timestamp's day (lists show the day; the detail page the moment)."""
    return value.date() if isinstance(value, datetime) else value
