"""The loan tape: one row per loan with its terms, balances, days past due, guarantee and grant.

The columns are those a bank's risk team reads (identifiers, borrower and sector, terms, event
dates, balances as of the tape's day, arrears, credit enhancement); amounts in the loan's
currency, named in the ``currency`` column and in every amount header's unit.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pandas as pd

from .portfolio import guarantee_positions, loan_positions

# (column, header): the header carries the unit. The import reads the same headers.
COLUMNS: list[tuple[str, str]] = [
    ("loan_id", "Loan ID"), ("credit_line", "Credit line"), ("bank", "Bank"), ("enterprise", "Borrower"),
    ("isic_code", "ISIC code"), ("cp_options", "CP options"), ("status", "Loan status"), ("currency", "Currency"),
    ("principal", "Approved principal (ccy)"), ("annual_rate", "Annual interest rate (share)"),
    ("tenor_months", "Tenor (months)"), ("grace_months", "Grace (months)"), ("frequency", "Repayment frequency"),
    ("method", "Amortisation method"), ("decided_on", "Approved on"), ("first_disbursed", "First disbursement"),
    ("maturity", "Maturity date"), ("disbursed", "Disbursed (ccy)"), ("cancelled", "Cancelled undisbursed (ccy)"),
    ("paid", "Total paid (ccy)"), ("last_payment", "Last payment"),
    ("outstanding", "Outstanding principal (ccy)"), ("overdue", "Overdue amount (ccy)"), ("dpd", "Days past due"),
    ("dpd_bucket", "DPD bucket"), ("guarantee_status", "Guarantee status"),
    ("coverage_share", "Guarantee coverage (share)"), ("guarantee_covered", "Guarantee covered amount (ccy)"),
    ("guarantee_issued_on", "Guarantee issued on"), ("guarantee_exposure", "Guarantee exposure (ccy)"),
    ("claim", "Guarantee claim (ccy)"), ("recovered_fund", "Recoveries to the fund (ccy)"),
    ("grant_status", "Grant status"), ("grant_amount", "Grant amount (ccy)"), ("grant_paid_on", "Grant paid on"),
]
AMOUNT_COLUMNS = ("principal", "disbursed", "cancelled", "paid", "outstanding", "overdue", "guarantee_covered",
                  "guarantee_exposure", "claim", "recovered_fund", "grant_amount")


def _cents(value: Any) -> Decimal | None:
    if value is None or pd.isna(value):
        return None
    return (Decimal(int(value)) / 100).quantize(Decimal("0.01"))


def _day(value: Any) -> date | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def tape(frames: Any) -> pd.DataFrame:
    """The loan tape as of ``frames.today``: one row per loan in view (pure pandas)."""
    loans = loan_positions(frames.loans, frames.today)
    guarantees = guarantee_positions(frames.guarantees, loans).set_index("loan_id")
    lines = dict(zip(frames.lines["credit_line_id"], frames.lines["line"]))
    grants = frames.grants
    # The grant in force: a committed one first, else the latest calculated.
    if not grants.empty:
        rank = grants["status"].map({"paid": 0, "approved": 1, "calculated": 2}).fillna(3)
        grants = grants.assign(rank=rank).sort_values(["rank", "grant_id"], ascending=[True, False])
        grants = grants.drop_duplicates("proposal_id").set_index("proposal_id")
    rows = []
    for rec in loans.to_dict("records"):
        g = guarantees.loc[rec["loan_id"]] if rec["loan_id"] in guarantees.index else None
        gr = grants.loc[rec["proposal_id"]] if not grants.empty and rec["proposal_id"] in grants.index else None
        rows.append({
            "loan_id": int(rec["loan_id"]), "credit_line": lines.get(rec["credit_line_id"], ""), "bank": rec["bank"],
            "enterprise": rec["enterprise"], "isic_code": rec["isic_code"], "cp_options": " ".join(rec["cp_options"]),
            "status": rec["status"], "currency": rec["currency"], "principal": _cents(rec["principal_c"]),
            "annual_rate": Decimal(str(rec["annual_rate"])).normalize() if rec["annual_rate"] is not None else None,
            "tenor_months": int(rec["tenor_months"]), "grace_months": int(rec["grace_months"] or 0),
            "frequency": rec["frequency"], "method": rec["method"], "decided_on": _day(rec["decided_on"]),
            "first_disbursed": _day(rec["first_disbursed"]), "maturity": _day(rec["maturity"]),
            "disbursed": _cents(rec["disbursed_c"]), "cancelled": _cents(rec["cancelled_c"]),
            "paid": _cents(rec["paid_c"]), "last_payment": _day(rec["last_payment"]),
            "outstanding": _cents(rec["outstanding_c"]), "overdue": _cents(rec["overdue_c"]), "dpd": int(rec["dpd"]),
            "dpd_bucket": rec["bucket"],
            "guarantee_status": None if g is None else g["status"],
            "coverage_share": None if g is None else Decimal(str(g["coverage_share"])).normalize(),
            "guarantee_covered": None if g is None else _cents(g["covered_c"]),
            "guarantee_issued_on": None if g is None else _day(g["issued_on"]),
            "guarantee_exposure": None if g is None else _cents(g["exposure_c"]),
            "claim": None if g is None else _cents(g["claim_c"]),
            "recovered_fund": None if g is None else _cents(g["recoveries_c"]),
            "grant_status": None if gr is None else gr["status"],
            "grant_amount": None if gr is None else _cents(gr["amount_c"]),
            "grant_paid_on": None if gr is None else _day(gr["paid_on"]),
        })
    return pd.DataFrame(rows, columns=[c for c, _ in COLUMNS])


def labelled(frame: pd.DataFrame) -> pd.DataFrame:
    """The tape with its human headers (what the CSV and the workbook carry)."""
    currencies = set(frame["currency"].dropna())
    ccy = currencies.pop() if len(currencies) == 1 else "ccy"
    return frame.rename(columns={c: h.replace("(ccy)", f"({ccy})") for c, h in COLUMNS})


def to_json_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for rec in frame.to_dict("records"):
        row = {}
        for key, value in rec.items():
            if value is None or (not isinstance(value, (str, list)) and pd.isna(value)):
                row[key] = None
            elif isinstance(value, (Decimal, date)):
                row[key] = str(value) if isinstance(value, Decimal) else value.isoformat()
            else:
                row[key] = value
        out.append(row)
    return out
