"""Reading a loan tape's verification and grant columns: every cell checked, row by row (pure).

A verified project comes in with its grant: the NCPC's confirmed result (indicators, baseline and
achieved consumption per unit of output, the annual output, the period verified, the improvement
the bands are read at, the day it was confirmed and the line's NCPC) and the grant it earned. The
grant's rate and amount must be what the line's rulebook bands in force on the verification day
give for that improvement on the loan's principal; an approved or paid grant needs its days and
how it was paid; a grant paid off the principal is one of the loan's payments, so the tape's
total paid includes it. The committed grants of the file must fit the line's grant budget left.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd

from ..rules.grants import grant_for
from .tape_verification import Indicator, parse_indicators

GRANT_STATUSES = ("calculated", "approved", "paid")
PAID_AS = ("principal_reduction", "enterprise")
VERIFICATION = ("verified_indicators", "output_unit", "verified_baseline", "verified_achieved", "verified_output",
                "verified_from", "verified_to", "improvement", "verified_on", "verifier")
GRANT = ("grant_status", "grant_rate", "grant_amount", "grant_paid_as", "grant_approved_on", "grant_paid_on",
         "grant_reference")
DAYS = ("verified_from", "verified_to", "verified_on", "grant_approved_on", "grant_paid_on")
# A line's grant bands on a day: (rulebook name and version, the ``grant_bands`` section).
BandsOn = Callable[[int, date], tuple[str, dict[str, Any]]]


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def check_grants(cells: pd.DataFrame, parsed: dict[str, pd.Series], lines: dict[str, Any], bands_on: BandsOn | None,
                 today: date, bad: Callable[[pd.Series, str, Any], None]) -> None:
    """Check the verification and grant cells of every row; the read values go into ``parsed``."""
    reasons: dict[str, dict[Any, str]] = {c: {} for c in (*VERIFICATION, *GRANT)}
    values: dict[str, dict[Any, Any]] = {c: {} for c in (*VERIFICATION, *GRANT, "indicators")}
    committed: dict[int, Decimal] = {}
    for i in cells.index:
        row = {c: cells[c][i] for c in (*VERIFICATION, *GRANT)}
        problems = _check_row(row, {c: parsed[c][i] for c in parsed}, lines.get(cells["credit_line"][i]),
                              bands_on, today, values, i)
        for col, reason in problems.items():
            reasons[col].setdefault(i, reason)
        line = lines.get(cells["credit_line"][i])
        amount = values["grant_amount"].get(i)
        if not problems and line is not None and row["grant_status"] in ("approved", "paid") and amount is not None:
            committed[line.id] = committed.get(line.id, Decimal(0)) + amount
            if committed[line.id] > line.budget_left:
                reasons["grant_amount"][i] = (f"the committed grants of this file exceed what is left of the line's "
                                              f"grant budget ({line.budget_left})")
    for col, by_row in reasons.items():
        bad(pd.Series([i in by_row for i in cells.index], index=cells.index), col, lambda i, r=by_row: r[i])
    for col, by_row in values.items():
        parsed[col] = pd.Series([by_row.get(i) for i in cells.index], index=cells.index, dtype=object)


def _check_row(row: dict[str, str], loan: dict[str, Any], line: Any, bands_on: BandsOn | None, today: date,
               values: dict[str, dict[Any, Any]], i: Any) -> dict[str, str]:
    """The problems of one row's verification and grant cells, by column; read values go to ``values``."""
    if not any(row[c] for c in (*VERIFICATION, *GRANT)):
        return {}
    out: dict[str, str] = {}
    for col in (*VERIFICATION, "grant_status"):
        if not row[col]:
            out[col] = ("is required: a verified project comes in with its grant" if col == "grant_status" else
                        "is required for a verified project")
    days = {c: pd.to_datetime(row[c], format="ISO8601", errors="coerce") if row[c] else None for c in DAYS}
    for col, day in days.items():
        if row[col] and pd.isna(day):
            out[col] = f"must be a date (YYYY-MM-DD), not {row[col]!r}"
        elif day is not None and not pd.isna(day):
            values[col][i] = day.date()
            if day.date() > today:
                out[col] = f"{day.date()} is in the future; an event cannot be dated after today ({today})"
    d = values
    indicators = (parse_indicators(row["verified_indicators"], row["verified_baseline"], row["verified_achieved"])
                  if row["verified_indicators"] and row["verified_baseline"] and row["verified_achieved"] else [])
    if isinstance(indicators, str):
        out["verified_indicators"] = indicators
    else:
        d["indicators"][i] = indicators
    numbers = {c: _decimal(row[c]) for c in ("verified_output", "improvement", "grant_rate", "grant_amount")}
    if row["verified_output"] and (numbers["verified_output"] is None or numbers["verified_output"] <= 0):
        out["verified_output"] = f"must be an annual output of more than zero, not {row['verified_output']!r}"
    if row["improvement"] and (numbers["improvement"] is None or not -1 <= numbers["improvement"] <= 1):
        out["improvement"] = f"must be a share such as 0.32, not {row['improvement']!r}"
    if row["grant_rate"] and (numbers["grant_rate"] is None or not 0 <= numbers["grant_rate"] <= 1):
        out["grant_rate"] = f"must be a share from 0 to 1 such as 0.15, not {row['grant_rate']!r}"
    amount = numbers["grant_amount"]
    if row["grant_amount"] and (amount is None or amount < 0 or amount != amount.quantize(Decimal("0.01"))):
        out["grant_amount"] = f"must be an amount in whole cents such as 13500.00, not {row['grant_amount']!r}"
    for col in ("verified_output", "improvement", "grant_rate", "grant_amount"):
        if col not in out and numbers[col] is not None:
            d[col][i] = numbers[col]
    for col in ("output_unit", "verifier", "grant_status", "grant_paid_as", "grant_reference"):
        d[col][i] = row[col] or None
    if line is not None and row["verifier"] and row["verifier"] != line.ncpc:
        out.setdefault("verifier", f"the line's verifications are the NCPC's: {line.ncpc}, not {row['verifier']!r}")
    out.update(_check_days(row, loan, d, i, out))
    out.update(_check_grant(row, loan, line, bands_on, d, i, out))
    return out


def _check_days(row: dict[str, str], loan: dict[str, Any], d: dict[str, dict[Any, Any]], i: Any,
                out: dict[str, str]) -> dict[str, str]:
    """The verified period ends before the confirmation; approval and payment follow in order."""
    problems: dict[str, str] = {}
    start, end, on = (d[c].get(i) for c in ("verified_from", "verified_to", "verified_on"))
    if start and end and start > end:
        problems["verified_to"] = f"the period verified ends ({end}) before it starts ({start})"
    if end and on and on <= end:
        problems["verified_on"] = f"a verification is confirmed after the period it covers ended ({end})"
    if on and loan.get("first_disbursed") and on < loan["first_disbursed"]:
        problems.setdefault("verified_on", f"the project was verified before the loan financed it "
                                           f"(first disbursed {loan['first_disbursed']})")
    approved, paid = d["grant_approved_on"].get(i), d["grant_paid_on"].get(i)
    if approved and on and approved < on:
        problems["grant_approved_on"] = f"a grant is approved after the verification was confirmed ({on})"
    if paid and approved and paid < approved:
        problems["grant_paid_on"] = f"a grant is paid after it was approved ({approved})"
    return {c: r for c, r in problems.items() if c not in out}


def _check_grant(row: dict[str, str], loan: dict[str, Any], line: Any, bands_on: BandsOn | None,
                 d: dict[str, dict[Any, Any]], i: Any, out: dict[str, str]) -> dict[str, str]:
    problems: dict[str, str] = {}
    status = row["grant_status"]
    if status and status not in GRANT_STATUSES:
        return {"grant_status": f"only a calculated, approved or paid grant can be imported, not {status!r}"}
    for col in ("grant_rate", "grant_amount"):
        if status and not row[col]:
            problems[col] = "is required for a grant"
    committed = status in ("approved", "paid")
    if committed and not row["grant_approved_on"]:
        problems["grant_approved_on"] = f"is required for an {status} grant"
    if not committed and row["grant_approved_on"]:
        problems["grant_approved_on"] = f"a {status or 'missing'} grant has not been approved"
    if committed and row["grant_paid_as"] not in PAID_AS:
        problems["grant_paid_as"] = f"must be one of {', '.join(PAID_AS)}"
    if status == "paid" and not row["grant_paid_on"]:
        problems["grant_paid_on"] = "is required for a paid grant"
    if status != "paid" and (row["grant_paid_on"] or row["grant_reference"]):
        problems["grant_paid_on" if row["grant_paid_on"] else "grant_reference"] = \
            f"a {status or 'missing'} grant has not been paid"
    amount, paid_on = d["grant_amount"].get(i), d["grant_paid_on"].get(i)
    if status == "paid" and row["grant_paid_as"] == "principal_reduction" and amount is not None and paid_on:
        # The reduction is booked as a payment on the loan, so the tape's payments include it.
        total, last = loan.get("paid") or Decimal(0), loan.get("last_payment")
        if amount > total:
            problems["grant_amount"] = f"a grant paid off the principal is one of the loan's payments: " \
                                       f"{amount} is more than the {total} paid"
        elif last is None or paid_on > last:
            problems["grant_paid_on"] = "a grant paid off the principal is one of the loan's payments: " \
                                        "it cannot be after the last payment"
    problems = {c: r for c, r in problems.items() if c not in out}
    if not problems and not out and line is not None and bands_on is not None and status:
        problems.update(_check_band(line, bands_on, loan, d, i))
    return problems


def _check_band(line: Any, bands_on: BandsOn, loan: dict[str, Any], d: dict[str, dict[Any, Any]],
                i: Any) -> dict[str, str]:
    """The grant is what the line's bands in force on the verification day give."""
    on, improvement = d["verified_on"][i], d["improvement"][i]
    book, bands = bands_on(line.id, on)
    if bands.get("basis", "loan_amount") != "loan_amount":
        return {"grant_rate": f"{book} sizes grants on the {bands['basis'].replace('_', ' ')}, which a loan tape "
                              "does not carry"}
    rate, amount = grant_for(float(improvement), loan["principal"], bands)
    if rate == 0:
        return {"improvement": f"{improvement} earns no grant under {book} in force on {on}: "
                               "only a grant that is due can be imported"}
    expected = Decimal(str(rate)).normalize()
    problems = {}
    if d["grant_rate"][i].normalize() != expected:
        problems["grant_rate"] = f"{book} in force on {on} gives {expected} for an improvement of {improvement}"
    if d["grant_amount"][i] != amount:
        problems["grant_amount"] = (f"{book} in force on {on} gives {amount} ({expected} of the principal "
                                    f"{loan['principal']})")
    return problems


def indicators_of(values: dict[str, Any]) -> list[Indicator]:
    """The verified indicators of a checked row (main first)."""
    return list(values.get("indicators") or [])
