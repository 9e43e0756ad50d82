"""The column-wise report writers against the per-value code they replaced (small hand-made tables)."""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import numpy as np
import openpyxl
import pandas as pd

from creditline import exports
from creditline.reports import impact, sheets, workbook


def test_workbook_reads_back_as_written_numbers_dates_text_and_blanks():
    frame = pd.DataFrame({
        "Loan ID": [1, 2, 3],
        "Principal (USD)": [Decimal("24000.00"), None, Decimal("0.10")],
        "Rate": [0.1, np.nan, 1.0],
        "Approved on": [dt.date(2026, 1, 5), None, dt.date(1999, 12, 31)],
        "Borrower": ["=HYPERLINK(\"x\")", " Dệt & <Co> \x07", None],
        "Mixed": [True, "a", dt.datetime(2026, 3, 1, 12, 0)],
    })
    data = sheets.to_xlsx({"Loan tape": frame}, ["a note"])
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Loan tape", "Notes"]
    rows = list(book["Loan tape"].iter_rows(values_only=True))
    assert rows[0] == ("Loan ID", "Principal (USD)", "Rate", "Approved on", "Borrower", "Mixed")
    assert rows[1] == (1, 24000, 0.1, dt.datetime(2026, 1, 5), "'=HYPERLINK(\"x\")", True)
    assert rows[2] == (2, None, None, None, " Dệt & <Co> ", "a")
    assert rows[3] == (3, 0.1, 1, dt.datetime(1999, 12, 31), None, dt.datetime(2026, 3, 1, 12, 0))
    assert book["Loan tape"]["D2"].number_format == "yyyy-mm-dd"
    assert [r for r in book["Notes"].iter_rows(values_only=True)] == [("Note",), ("a note",)]


def test_column_letters_past_z():
    assert [workbook.column_letter(i) for i in (0, 25, 26, 51, 701, 702)] == ["A", "Z", "AA", "AZ", "ZZ", "AAA"]


def test_formula_safe_csv_equals_the_cell_by_cell_guard():
    frame = pd.DataFrame({"=Name": ["=1+1", "ok", None, "@x", "ok"], "Amount": [Decimal("1.00"), None,
                                                                             Decimal("2"), Decimal("1.0"), None],
                          "Mixed": ["-3", 4, None, "+x", 5.5], "Day": [dt.date(2026, 1, 1), None, None, None, None]})
    assert sheets.to_csv(frame) == exports.frame(frame).to_csv(index=False, lineterminator="\n").encode()
    assert b"'=1+1" in sheets.to_csv(frame) and b"'=Name" in sheets.to_csv(frame)


def _financed_by_loan(loans, proposals, streams):
    """The PCAF rows worked out one loan at a time (the code the column-wise version replaced)."""
    factored = streams[streams["factor"].notna()]
    verified = factored[factored["verified"]]
    v_emis = (verified["verified_quantity"] * verified["factor"]).groupby(verified["proposal_id"]).sum()
    b_emis = (factored["baseline_annual"] * factored["factor"]).groupby(factored["proposal_id"]).sum()
    avoided = verified["verified_co2e"].groupby(verified["proposal_id"]).sum()
    assets = dict(zip(proposals["proposal_id"], proposals["total_assets_c"]))
    rows, total = [], 0.0
    for rec in loans[loans["outstanding_c"] > 0].to_dict("records"):
        pid = rec["proposal_id"]
        emissions, score = ((float(v_emis[pid]), 1) if pid in v_emis.index else
                            (float(b_emis[pid]), 3) if pid in b_emis.index else (None, 5))
        ta = assets.get(pid)
        share = min(1.0, rec["outstanding_c"] / ta) if ta else None
        financed = emissions * share if emissions is not None and share is not None else None
        total += financed or 0.0
        rows.append({"loan_id": rec["loan_id"], "enterprise": rec["enterprise"], "currency": rec["currency"],
                     "outstanding": impact.money(rec["outstanding_c"]),
                     "enterprise_debt_and_equity": impact.money(ta) if ta else None,
                     "attribution": None if share is None else round(share, 4),
                     "enterprise_t_co2e_per_year": None if emissions is None else impact._q(emissions),
                     "financed_t_co2e_per_year": None if financed is None else impact._q(financed),
                     "data_quality": score,
                     "verified_avoided_t_co2e_per_year": impact._q(float(avoided.get(pid, 0.0)))})
    return rows, impact._q(total)


def test_financed_emissions_column_wise_equal_loan_by_loan():
    # Proposal 1 verified, 2 baseline only, 3 no factor (score 5), 4 no total assets, 5 outstanding > assets.
    loans = pd.DataFrame({"loan_id": [11, 12, 13, 14, 15, 16], "proposal_id": [1, 2, 3, 4, 5, 1],
                          "outstanding_c": [1_000_000, 2_500_000, 700_000, 900_000, 9_000_000, 0],
                          "enterprise": list("ABCDEF"), "currency": ["USD"] * 6})
    proposals = pd.DataFrame({"proposal_id": [1, 2, 3, 4, 5], "total_assets_c": [30_000_000, 7_000_000,
                                                                                  5_000_000, 0, 4_000_000]})
    streams = pd.DataFrame({
        "proposal_id": [1, 1, 2, 3, 4, 5],
        "factor": [0.0005, 0.0003, 0.0005, np.nan, 0.0005, 0.0005],
        "verified": [True, True, False, False, False, True],
        "verified_quantity": [170_000.0, 9_000.0, np.nan, np.nan, np.nan, 123_456.7],
        "baseline_annual": [900_000.0, 10_000.0, 333_333.3, 5.0, 1_000.0, 200_000.0],
        "verified_co2e": [5.0, 0.3, np.nan, np.nan, np.nan, 11.1]})
    got = impact.financed_emissions(loans, proposals, streams)
    rows, total = _financed_by_loan(loans, proposals, streams)
    assert got["loans"] == rows and got["financed_t_co2e_per_year"] == total
    assert [r["data_quality"] for r in rows] == [1, 3, 5, 3, 1]
    assert rows[4]["attribution"] == 1.0 and rows[3]["attribution"] is None
