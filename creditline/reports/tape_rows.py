"""Reading a loan tape back: every cell of the whole file checked, column by column (pure pandas).

The file has the export's headers (:data:`creditline.reports.loan_tape.COLUMNS`; the currency in
an amount header may be any code) or the export's JSON keys. Each problem names the spreadsheet
row (the header is row 1), the column's header and the reason; a row is only returned for
creation when the whole file is clean. Figures the system derives (outstanding, overdue, days past
due, the DPD bucket, maturity, guarantee exposure) are not read: they are recomputed from the
terms, the tranche and the payments, and the import's round trip test compares them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd

from ..event_dates import order_problems
from ..finance import schedules as sched
from ..monitoring.tabular import RowError
from .loan_tape import COLUMNS
from .tape_grant_rows import BandsOn, check_grants

HEADERS = dict(COLUMNS)
REQUIRED = ("credit_line", "bank", "enterprise", "status", "currency", "principal", "annual_rate", "tenor_months",
            "frequency", "method", "decided_on")
# What an import can rebuild: a loan approved here and then paid out and repaid. A loan cancelled,
# defaulted, written off or with a guarantee call has steps this import does not replay.
IMPORTABLE_STATUSES = ("approved", "disbursed", "active", "in_arrears", "repaid")
NOT_CARRIED = ("cancelled", "claim", "recovered_fund")
_UNIT = re.compile(r"\((?:[A-Z]{3}|ccy|see Currency)\)$")
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class LineRef:
    """A credit line as the import checks it: currency, partner banks, guarantee and grant room left, its NCPC."""

    id: int
    currency: str
    bank_ids: frozenset[int]
    capacity_left: Decimal
    budget_left: Decimal = Decimal(0)
    ncpc: str = ""


@dataclass(frozen=True)
class References:
    lines: dict[str, LineRef]
    banks: dict[str, int]
    enterprises: dict[str, int]
    # The grant bands of a line on a day (None: the file's grants are not checked against bands).
    bands_on: BandsOn | None = None


@dataclass
class TapeRow:
    """One loan to create, with the spreadsheet row it came from."""

    row: int
    values: dict[str, Any]


@dataclass
class Checked:
    rows: list[TapeRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def column_of(header: str) -> str | None:
    """The tape column a header names (the export's header with any currency, or its key)."""
    text = str(header).strip().lstrip("'")
    if text in HEADERS:
        return text
    wanted = _UNIT.sub("(ccy)", text)
    return next((c for c, h in COLUMNS if h == wanted), None)


def _money(text: str) -> Decimal | None | str:
    """A cell as an amount in cents (None when blank; the reason as text when unreadable)."""
    if text == "":
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return f"must be an amount such as 1250.50, not {text!r}"
    if not value.is_finite():
        return f"must be an amount such as 1250.50, not {text!r}"
    if value < 0:
        return "must be zero or more"
    if value != value.quantize(_CENT):
        return f"has more than two decimals ({text}); amounts are in whole cents"
    return value.quantize(_CENT)


def _share(text: str) -> Decimal | None | str:
    if text == "":
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return f"must be a share from 0 to 1 such as 0.085, not {text!r}"
    return value if value.is_finite() and 0 <= value <= 1 else f"must be a share from 0 to 1, not {text!r}"


def _whole(text: str) -> int | None | str:
    if text == "":
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return f"must be a whole number, not {text!r}"
    if not value.is_finite() or value != value.to_integral_value() or value < 0:
        return f"must be a whole number, zero or more, not {text!r}"
    return int(value)


def _days(column: pd.Series) -> pd.Series:
    """Dates as written by the export (ISO) or read from a workbook (with a midnight time)."""
    parsed = pd.to_datetime(column.where(column != ""), format="ISO8601", errors="coerce")
    return pd.Series([None if pd.isna(d) else d.date() for d in parsed], index=column.index, dtype=object)


def check(frame: pd.DataFrame, refs: References, today: date) -> Checked:
    """Every problem of the file (all rows, all columns), and the rows when there is none."""
    out = Checked()
    named: dict[str, str] = {}
    for header in frame.columns:
        col = column_of(header)
        if col is not None and col not in named:
            named[col] = header
    missing = [HEADERS[c] for c in REQUIRED if c not in named]
    if missing:
        out.errors.append(RowError(0, "file", f"missing column(s): {', '.join(missing)}"))
        return out
    if frame.empty:
        out.errors.append(RowError(0, "file", "the file has a header but no loans"))
        return out
    cells = pd.DataFrame({c: frame[h].astype(str).str.strip().str.lstrip("'") for c, h in named.items()})
    for col in HEADERS:
        if col not in cells:
            cells[col] = ""
    parsed: dict[str, pd.Series] = {}
    readers = {"money": _money, "share": _share, "whole": _whole}
    kinds = {**{c: "money" for c in ("principal", "disbursed", "paid", "outstanding", "guarantee_covered",
                                      *NOT_CARRIED)},
             "annual_rate": "share", "coverage_share": "share", "tenor_months": "whole", "grace_months": "whole"}
    errors: list[RowError] = []

    def bad(mask: pd.Series, col: str, reason: Any) -> None:
        for i in mask[mask].index:
            errors.append(RowError(int(i) + 2, HEADERS[col], reason(i) if callable(reason) else reason))

    for col, kind in kinds.items():
        values = cells[col].map(readers[kind])
        wrong = values.map(lambda v: isinstance(v, str))
        bad(wrong, col, lambda i, v=values: v[i])
        parsed[col] = values.where(~wrong, None)
    for col in ("decided_on", "first_disbursed", "last_payment", "guarantee_issued_on"):
        parsed[col] = _days(cells[col])
        bad((cells[col] != "") & parsed[col].isna(), col, lambda i, c=col: f"must be a date (YYYY-MM-DD), not "
                                                                           f"{cells[c][i]!r}")
    for col in REQUIRED:
        blank = cells[col] == ""
        bad(blank, col, "is required")
    for col in ("credit_line", "bank", "enterprise", "status", "currency", "frequency", "method",
                "guarantee_status", "loan_id", "cp_options", "isic_code"):
        parsed[col] = cells[col]
    _check_references(cells, refs, bad)
    bad((cells["status"] != "") & ~cells["status"].isin(IMPORTABLE_STATUSES), "status",
        lambda i: f"a {cells['status'][i]} loan cannot be imported; importable: {', '.join(IMPORTABLE_STATUSES)}")
    bad((cells["frequency"] != "") & ~cells["frequency"].isin(tuple(sched.FREQUENCIES)), "frequency",
        f"must be one of {', '.join(sched.FREQUENCIES)}")
    bad((cells["method"] != "") & ~cells["method"].isin(tuple(sched.METHODS)), "method",
        f"must be one of {', '.join(sched.METHODS)}")
    ids = cells["loan_id"]
    bad((ids != "") & ids.duplicated(keep="first"), "loan_id", lambda i: f"loan {ids[i]} is on an earlier row too")
    for col in NOT_CARRIED:
        bad(parsed[col].map(lambda v: v is not None and v > 0), col,
            "is not imported: only loans without cancellations, guarantee calls or recoveries can be brought in")
    _check_amounts(parsed, bad)
    _check_dates(parsed, today, bad)
    _check_guarantees(cells, parsed, refs, bad)
    check_grants(cells, parsed, refs.lines, refs.bands_on, today, bad)
    out.errors = sorted(errors, key=lambda e: e.row)
    if not out.errors:
        for i in cells.index:
            out.rows.append(TapeRow(int(i) + 2, {c: _plain(parsed[c][i]) for c in parsed}))
    return out


def _plain(value: Any) -> Any:
    """A cell as a plain Python value (pandas hands numpy scalars back)."""
    return value.item() if hasattr(value, "item") and not isinstance(value, (Decimal, str)) else value


def _check_references(cells: pd.DataFrame, refs: References, bad: Any) -> None:
    line = cells["credit_line"].map(refs.lines.get)
    bank = cells["bank"].map(refs.banks.get)
    bad((cells["credit_line"] != "") & line.isna(), "credit_line",
        lambda i: f"no credit line is named {cells['credit_line'][i]!r}")
    bad((cells["bank"] != "") & bank.isna(), "bank", lambda i: f"no partner bank is named {cells['bank'][i]!r}")
    bad((cells["enterprise"] != "") & ~cells["enterprise"].isin(tuple(refs.enterprises)), "enterprise",
        lambda i: f"no registered enterprise is named {cells['enterprise'][i]!r}; register it first")
    known = line.notna() & bank.notna()
    bad(known & pd.Series([bool(ln and b is not None and b not in ln.bank_ids) for ln, b in zip(line, bank)],
                          index=cells.index), "bank",
        lambda i: f"{cells['bank'][i]} does not lend under {cells['credit_line'][i]}")
    bad(line.notna() & (cells["currency"] != "") &
        pd.Series([bool(ln and ln.currency != c) for ln, c in zip(line, cells["currency"])], index=cells.index),
        "currency", lambda i: f"the credit line lends in {line[i].currency}, not {cells['currency'][i]}")


def _check_amounts(p: dict[str, pd.Series], bad: Any) -> None:
    zero = Decimal(0)
    principal = p["principal"]
    disbursed = p["disbursed"].map(lambda v: v if v is not None else zero)
    paid = p["paid"].map(lambda v: v if v is not None else zero)
    bad(principal.map(lambda v: v is not None and v <= 0), "principal", "must be more than zero")
    bad(pd.Series([a is not None and d > a for d, a in zip(disbursed, principal)], index=principal.index),
        "disbursed", lambda i: f"{disbursed[i]} disbursed is more than the approved principal {principal[i]}")
    bad(paid > disbursed, "paid", lambda i: f"{paid[i]} paid is more than the {disbursed[i]} disbursed")
    bad((disbursed > 0) & p["first_disbursed"].isna(), "first_disbursed", "is required when money was disbursed")
    bad((paid > 0) & p["last_payment"].isna(), "last_payment", "is required when anything was paid")
    status = p["status"]
    bad(status.isin(("disbursed", "active", "in_arrears", "repaid")) & (disbursed == 0), "disbursed",
        lambda i: f"a {status[i]} loan has money disbursed")
    bad((status == "approved") & (disbursed > 0), "status", "an approved loan with money disbursed is disbursed")


def _check_dates(p: dict[str, pd.Series], today: date, bad: Any) -> None:
    order = (("decided_on", ()), ("guarantee_issued_on", (("decided_on", "the loan was approved"),)),
             ("first_disbursed", (("decided_on", "the loan was approved"),)),
             ("last_payment", (("first_disbursed", "the loan was first disbursed"),)))
    for col, earlier in order:
        reasons: dict[int, str] = {}
        for i, day in p[col].items():
            if day is None:
                continue
            problems = order_problems(col, day, today, [(p[e][i], what) for e, what in earlier])
            if problems:
                reasons[i] = problems[col][0]
        bad(pd.Series([i in reasons for i in p[col].index], index=p[col].index), col, lambda i, r=reasons: r[i])


def _check_guarantees(cells: pd.DataFrame, p: dict[str, pd.Series], refs: References, bad: Any) -> None:
    status = cells["guarantee_status"]
    has = status != ""
    bad(has & (status != "issued"), "guarantee_status",
        lambda i: f"only an issued guarantee can be imported, not {status[i]!r}")
    for col in ("coverage_share", "guarantee_issued_on", "guarantee_covered"):
        bad(has & p[col].isna(), col, "is required for a guaranteed loan")
    covered = p["guarantee_covered"]
    bad(pd.Series([c is not None and a is not None and c > a for c, a in zip(covered, p["principal"])],
                  index=covered.index), "guarantee_covered", "is more than the approved principal")
    # The cover of every guarantee of a line must fit in what is left of its capacity.
    used: dict[int, Decimal] = {}
    over = []
    for i in cells.index:
        line = refs.lines.get(cells["credit_line"][i])
        amount = covered[i] if has[i] and covered[i] is not None else None
        if line is None or amount is None:
            over.append(False)
            continue
        used[line.id] = used.get(line.id, Decimal(0)) + amount
        over.append(used[line.id] > line.capacity_left)
    bad(pd.Series(over, index=cells.index), "guarantee_covered",
        lambda i: f"the guarantees of this file exceed what is left of the line's guarantee capacity "
                  f"({refs.lines[cells['credit_line'][i]].capacity_left})")
