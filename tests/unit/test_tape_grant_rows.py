"""A loan tape's verification and grant cells (pure): read back as written, checked against the bands and budget."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd

from creditline.reports.tape_rows import LineRef, References, check
from creditline.reports.tape_verification import parse_indicators, verification_cells

from .test_tape_rows import GOOD, TODAY

BANDS = {"basis": "loan_amount", "bands": [{"over": 0.2, "rate": 0.15}, {"over": 0.3, "rate": 0.25}]}
SEEN: list[tuple[int, date]] = []


def _bands_on(line_id: int, day: date) -> tuple[str, dict]:
    SEEN.append((line_id, day))
    return "rulebook vn 2", BANDS


REFS = References(lines={"GCTF": LineRef(1, "USD", frozenset({7}), Decimal("500000.00"), Decimal("30000.00"),
                                         "Viet Nam NCPC")},
                  banks={"Bank A": 7}, enterprises={"Textile Co": 3}, bands_on=_bands_on)
VERIFIED = {"Verified indicators (unit)": "water (m3); electricity (kWh)", "Output unit": "t",
            "Baseline per output unit": "20.0000; 180.000", "Achieved per output unit": "8.99881; 139.836",
            "Annual output": "5010.273", "Verified period start": "2026-04-01", "Verified period end": "2026-09-30",
            "Verified improvement (share)": "0.5501", "Verified on": "2026-10-20", "Verifier": "Viet Nam NCPC",
            "Grant status": "paid", "Grant rate (share)": "0.25", "Grant amount (USD)": "20000.00",
            "Grant paid as": "enterprise", "Grant approved on": "2026-10-25", "Grant paid on": "2026-11-02",
            "Grant payment reference": "GR-1"}


def _check(*rows: dict):
    return check(pd.DataFrame([{**GOOD, **VERIFIED, **r} for r in rows], dtype=str), REFS, TODAY)


def test_a_verified_result_reads_back_as_it_was_written():
    result = {"output_unit": "t", "annual_output": 5010.273, "window": {"start": "2026-04-01", "end": "2026-09-30"},
              "indicators": {"electricity": {"unit": "kWh", "main": False, "baseline_specific": "180.000",
                                             "reporting_specific": "139.836"},
                             "water": {"unit": "m3", "main": True, "baseline_specific": "20.0000",
                                       "reporting_specific": "8.99881"}}}
    cells = verification_cells(result)
    assert cells["verified_indicators"] == "water (m3); electricity (kWh)"  # the main indicator first
    (water, power) = parse_indicators(cells["verified_indicators"], cells["verified_baseline"],
                                      cells["verified_achieved"])
    assert (water.stream, water.unit, water.baseline, water.achieved, water.improvement) == \
           ("water", "m3", "20.0000", "8.99881", 0.5501)
    assert power.baseline == "180.000" and verification_cells(None) == {}
    assert parse_indicators("water", "1", "1").startswith("write each indicator as 'stream (unit)'")
    assert parse_indicators("water (m3)", "0", "1") == "a baseline of zero per unit of output cannot be improved on"


def test_a_clean_grant_row_is_read_with_the_bands_of_the_verification_day():
    SEEN.clear()
    out = _check({})
    assert out.errors == []
    v = out.rows[0].values
    assert [i.stream for i in v["indicators"]] == ["water", "electricity"] and v["verified_on"] == date(2026, 10, 20)
    assert (v["grant_status"], v["grant_amount"], v["grant_paid_as"]) == ("paid", Decimal("20000.00"), "enterprise")
    assert SEEN == [(1, date(2026, 10, 20))]


def test_each_grant_problem_names_its_row_and_column():
    out = _check({"Grant rate (share)": "0.15"}, {"Loan ID": "A2"},
                 {"Loan ID": "A3", "Grant paid as": "principal_reduction"},
                 {"Loan ID": "A4", "Verified improvement (share)": "0.1"},
                 {"Loan ID": "A5", "Grant status": "calculated"},
                 {"Loan ID": "A6", "Verified period end": "2026-10-20"})
    problems = {(e.row, e.column): e.reason for e in out.errors}
    assert problems == {
        (2, "Grant rate (share)"): "rulebook vn 2 in force on 2026-10-20 gives 0.25 for an improvement of 0.5501",
        # Row 3 commits 20,000 of the 30,000 left; row 4 would pass it.
        (4, "Grant amount (ccy)"): "a grant paid off the principal is one of the loan's payments: 20000.00 is more "
                                   "than the 1000.00 paid",
        (5, "Verified improvement (share)"): "0.1 earns no grant under rulebook vn 2 in force on 2026-10-20: only a "
                                             "grant that is due can be imported",
        (6, "Grant approved on"): "a calculated grant has not been approved",
        (6, "Grant paid on"): "a calculated grant has not been paid",
        (7, "Verified on"): "a verification is confirmed after the period it covers ended (2026-10-20)",
    }
    over = _check({}, {"Loan ID": "A2"})
    assert [(e.row, e.column) for e in over.errors] == [(3, "Grant amount (ccy)")]
    assert "grant budget (30000.00)" in over.errors[0].reason
