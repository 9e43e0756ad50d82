"""Checking a loan tape as a whole (pure pandas): every problem by row and column, rows only when clean."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd

from creditline.reports.tape_rows import LineRef, References, check, column_of

TODAY = date(2026, 11, 17)
REFS = References(lines={"GCTF": LineRef(1, "USD", frozenset({7}), Decimal("50000.00"))},
                  banks={"Bank A": 7, "Bank B": 8}, enterprises={"Textile Co": 3})
GOOD = {"Loan ID": "A1", "Credit line": "GCTF", "Bank": "Bank A", "Borrower": "Textile Co", "Loan status": "active",
        "Currency": "USD", "Approved principal (EUR)": "80000.00", "Annual interest rate (share)": "0.1",
        "Tenor (months)": "36", "Grace (months)": "6", "Repayment frequency": "monthly",
        "Amortisation method": "annuity", "Approved on": "2025-06-20", "First disbursement": "2025-07-01",
        "Disbursed (EUR)": "80000.00", "Total paid (EUR)": "1000.00", "Last payment": "2025-08-01",
        "Guarantee status": "issued", "Guarantee coverage (share)": "0.5",
        "Guarantee covered amount (EUR)": "40000.00", "Guarantee issued on": "2025-06-25"}


def _problems(*rows: dict) -> list[tuple[int, str, str]]:
    frame = pd.DataFrame([{**GOOD, **r} for r in rows], dtype=str)
    return [(e.row, e.column, e.reason) for e in check(frame, REFS, TODAY).errors]


def test_headers_are_read_in_any_currency_or_as_keys():
    assert column_of("Approved principal (USD)") == column_of("principal") == "principal"
    assert column_of("Disbursed (see Currency)") == "disbursed" and column_of("Nonsense") is None


def test_a_clean_file_gives_plain_typed_rows():
    out = check(pd.DataFrame([GOOD], dtype=str), REFS, TODAY)
    assert out.errors == []
    (row,) = out.rows
    assert row.row == 2 and row.values["principal"] == Decimal("80000.00") and row.values["tenor_months"] == 36
    assert type(row.values["tenor_months"]) is int and row.values["decided_on"] == date(2025, 6, 20)


def test_every_problem_of_every_row_is_listed():
    problems = _problems({}, {"Total paid (EUR)": "90000.00", "Loan ID": "A2"},
                         {"Last payment": "2026-12-01", "Loan ID": "A1"},
                         {"Bank": "Bank B", "Credit line": "Other", "Loan ID": "A4"},
                         {"Disbursed (EUR)": "1.005", "Loan status": "written_off", "Loan ID": "A5"})
    assert (3, "Total paid (ccy)", "90000.00 paid is more than the 80000.00 disbursed") in problems
    assert (4, "Last payment", "2026-12-01 is in the future; an event cannot be dated after today (2026-11-17)") \
        in problems
    assert (4, "Loan ID", "loan A1 is on an earlier row too") in problems
    assert (5, "Credit line", "no credit line is named 'Other'") in problems
    assert any(r == 6 and c == "Disbursed (ccy)" and "two decimals" in m for r, c, m in problems)
    assert any(r == 6 and c == "Loan status" and "cannot be imported" in m for r, c, m in problems)
    assert not any(r == 2 for r, _, _ in problems)


def test_the_guarantees_of_a_file_must_fit_the_line_s_capacity_and_the_bank_its_partners():
    problems = _problems({}, {"Loan ID": "A2", "Bank": "Bank B"})
    assert (3, "Bank", "Bank B does not lend under GCTF") in problems
    assert any(r == 3 and c == "Guarantee covered amount (ccy)" and "capacity" in m for r, c, m in problems)


def test_a_tape_without_a_required_column_is_refused_as_a_whole():
    frame = pd.DataFrame([GOOD], dtype=str).drop(columns=["Borrower", "Approved on"])
    (error,) = check(frame, REFS, TODAY).errors
    assert (error.row, error.column, error.reason) == (0, "file", "missing column(s): Borrower, Approved on")
