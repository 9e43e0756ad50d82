"""Bounds on an uploaded table (CSV or Excel), checked before pandas or openpyxl reads it.

An .xlsx file is a zip: 816 KB of it unpacked to 210 MB and a million rows, and parsing that
took 144 s of CPU and 600 MB. So the zip's directory (the uncompressed size of each member, which
costs nothing to read) and each sheet's declared dimension are checked first; the row count is
then bounded again while reading, in case the dimension lies or is missing.
"""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from typing import IO

from ..errors import PayloadTooLarge

# A real workbook of this system (a year of monthly reports, a portfolio of proposals) unpacks
# to a few megabytes; 50 MB leaves room without letting a bomb through.
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_MEMBERS = 500
MAX_COLUMNS = 200
# The most problems an answer lists; the total is always given.
MAX_ERRORS_SHOWN = 100

_ROW = re.compile(rb"<(?:\w+:)?row[\s/>]")
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]{1,3})?(\d+)?(?::([A-Z]{1,3})(\d+))?"')


@dataclass(frozen=True)
class TableLimits:
    """The most data rows (below the header) and bytes one upload may hold."""

    max_rows: int


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def check_workbook(data: bytes, limits: TableLimits, filename: str = "the workbook") -> None:
    """Refuse (413) a workbook that would unpack too large or declares too many rows or columns.

    A file that is not a zip is left for the reader to report as unreadable.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        return
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise PayloadTooLarge(f"{filename} has {len(members):,} parts; a workbook has far fewer",
                                  {"file": [f"at most {MAX_MEMBERS} parts in the .xlsx archive"]})
        unpacked = sum(m.file_size for m in members)
        if unpacked > MAX_UNPACKED_BYTES:
            raise PayloadTooLarge(
                f"{filename} unpacks to {unpacked / 2**20:,.0f} MB; at most {MAX_UNPACKED_BYTES // 2**20} MB "
                f"is read", {"file": [f"the workbook unpacks to {unpacked:,} bytes (at most {MAX_UNPACKED_BYTES:,}); "
                                      f"split it or upload a CSV"]})
        for member in members:
            if member.filename.startswith("xl/worksheets/") and member.filename.endswith(".xml"):
                with archive.open(member) as sheet:
                    head = sheet.read(4096)  # the dimension comes before the data
                    _check_dimension(head, limits, filename)
                    # The dimension may be missing or lie: count the rows too, streaming (a
                    # million empty rows took openpyxl seconds per megabyte to skip).
                    _count_rows(head, sheet, limits, filename)


def _count_rows(head: bytes, sheet: IO[bytes], limits: TableLimits, filename: str) -> None:
    rows, tail, chunk = 0, b"", head
    while chunk:
        window = tail + chunk
        # A tag cut by the chunk boundary is counted once, in the window where it ends.
        rows += sum(1 for m in _ROW.finditer(window) if m.end() > len(tail))
        if rows - 1 > limits.max_rows:
            raise PayloadTooLarge(f"{filename} has more than {limits.max_rows:,} rows",
                                  {"file": [f"at most {limits.max_rows:,} rows below the header; split the file"]})
        tail, chunk = window[-16:], sheet.read(1 << 20)


def _check_dimension(head: bytes, limits: TableLimits, filename: str) -> None:
    found = _DIMENSION.search(head)
    if found is None:
        return
    first_col, first_row, last_col, last_row = found.groups()
    rows = int(last_row or first_row or 1)
    cols = _column_number((last_col or first_col or "A").decode())
    if rows - 1 > limits.max_rows:
        raise PayloadTooLarge(f"{filename} has {rows - 1:,} rows; at most {limits.max_rows:,} are read",
                              {"file": [f"at most {limits.max_rows:,} rows below the header, this sheet "
                                        f"declares {rows - 1:,}"]})
    if cols > MAX_COLUMNS:
        raise PayloadTooLarge(f"{filename} has {cols:,} columns; at most {MAX_COLUMNS} are read",
                              {"file": [f"at most {MAX_COLUMNS} columns, this sheet declares {cols:,}"]})


def check_csv_header(data: bytes, filename: str = "the file") -> None:
    """Refuse (413) a CSV whose header line alone is wider than any table this system reads."""
    end = data.find(b"\n")
    header = data if end < 0 else data[:end]
    check_columns(header.count(b",") + 1, filename)


def check_row_count(rows: int, limits: TableLimits, filename: str = "the file") -> None:
    """Refuse (413) a table read with more rows than allowed (read with ``nrows=max_rows + 1``)."""
    if rows > limits.max_rows:
        raise PayloadTooLarge(f"{filename} has more than {limits.max_rows:,} rows",
                              {"file": [f"at most {limits.max_rows:,} rows below the header; split the file"]})


def check_columns(columns: int, filename: str = "the file") -> None:
    """Refuse (413) a table wider than any this system reads."""
    if columns > MAX_COLUMNS:
        raise PayloadTooLarge(f"{filename} has {columns:,} columns; at most {MAX_COLUMNS} are read",
                              {"file": [f"at most {MAX_COLUMNS} columns"]})


def capped(errors: dict[str, list[str]]) -> tuple[dict[str, list[str]], int]:
    """The first problems (at most ``MAX_ERRORS_SHOWN`` messages) and the total count."""
    total = sum(len(v) for v in errors.values())
    shown: dict[str, list[str]] = {}
    left = MAX_ERRORS_SHOWN
    for key, messages in errors.items():
        if left <= 0:
            break
        shown[key] = messages[:left]
        left -= len(shown[key])
    return shown, total
