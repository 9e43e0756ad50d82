"""The loan tape: one row per loan with its terms, balances, days past due, guarantee and grant.

The columns are those a bank's risk team reads (identifiers, borrower and sector, terms, event
dates, balances as of the tape's day, arrears, credit enhancement); amounts in the loan's
currency, named in the ``currency`` column and in every amount header's unit.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from .portfolio import guarantee_positions, loan_positions
from .tape_verification import band_improvement, verification_cells

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
    # The NCPC's verified result (see tape_verification) and the incentive grant it earned.
    ("verified_indicators", "Verified indicators (unit)"), ("output_unit", "Output unit"),
    ("verified_baseline", "Baseline per output unit"), ("verified_achieved", "Achieved per output unit"),
    ("verified_output", "Annual output"), ("verified_from", "Verified period start"),
    ("verified_to", "Verified period end"), ("improvement", "Verified improvement (share)"),
    ("verified_on", "Verified on"), ("verifier", "Verifier"),
    ("grant_status", "Grant status"), ("grant_rate", "Grant rate (share)"), ("grant_amount", "Grant amount (ccy)"),
    ("grant_paid_as", "Grant paid as"), ("grant_approved_on", "Grant approved on"), ("grant_paid_on", "Grant paid on"),
    ("grant_reference", "Grant payment reference"),
]
AMOUNT_COLUMNS = ("principal", "disbursed", "cancelled", "paid", "outstanding", "overdue", "guarantee_covered",
                  "guarantee_exposure", "claim", "recovered_fund", "grant_amount")


def _money_col(cents: pd.Series) -> pd.Series:
    """Cents as Decimal amounts (None where missing): each distinct value converted once."""
    values = cents.astype("Int64")
    unique = {int(v): (Decimal(int(v)) / 100).quantize(Decimal("0.01")) for v in values.dropna().unique()}
    return values.map(lambda v: None if pd.isna(v) else unique[int(v)]).astype(object)


def _day_col(days: pd.Series) -> pd.Series:
    # A tape has few distinct days: each becomes a date once (missing ones, code -1, become None).
    codes, uniques = pd.factorize(pd.to_datetime(days, errors="coerce"))
    table = np.array([d.date() for d in uniques] + [None], dtype=object)
    return pd.Series(table[codes], index=days.index, dtype=object)


def _share_col(values: pd.Series) -> pd.Series:
    return values.map(lambda v: None if v is None or pd.isna(v) else Decimal(str(v)).normalize()).astype(object)


def tape(frames: Any) -> pd.DataFrame:
    """The loan tape as of ``frames.today``: one row per loan in view (pure pandas, column-wise)."""
    loans = loan_positions(frames.loans, frames.today)
    guarantees = guarantee_positions(frames.guarantees, loans).drop_duplicates("loan_id")
    lines = dict(zip(frames.lines["credit_line_id"], frames.lines["line"]))
    grants = frames.grants
    # The grant in force: a paid one first, then approved, then the latest calculated.
    rank = grants["status"].map({"paid": 0, "approved": 1, "calculated": 2}).fillna(3)
    grants = (grants.assign(rank=rank).sort_values(["rank", "grant_id"], ascending=[True, False])
              .drop_duplicates("proposal_id"))
    g = loans[["loan_id"]].merge(guarantees, on="loan_id", how="left")
    gr = loans[["proposal_id"]].merge(grants, on="proposal_id", how="left")
    has_g = g["status"].notna()
    out = pd.DataFrame({
        "loan_id": loans["loan_id"].astype(int), "credit_line": loans["credit_line_id"].map(lines).fillna(""),
        "bank": loans["bank"], "enterprise": loans["enterprise"], "isic_code": loans["isic_code"],
        "cp_options": loans["cp_options"].map(" ".join), "status": loans["status"], "currency": loans["currency"],
        "principal": _money_col(loans["principal_c"]), "annual_rate": _share_col(loans["annual_rate"]),
        "tenor_months": loans["tenor_months"].astype(int), "grace_months": loans["grace_months"].fillna(0).astype(int),
        "frequency": loans["frequency"], "method": loans["method"], "decided_on": _day_col(loans["decided_on"]),
        "first_disbursed": _day_col(loans["first_disbursed"]), "maturity": _day_col(loans["maturity"]),
        "disbursed": _money_col(loans["disbursed_c"]), "cancelled": _money_col(loans["cancelled_c"]),
        "paid": _money_col(loans["paid_c"]), "last_payment": _day_col(loans["last_payment"]),
        "outstanding": _money_col(loans["outstanding_c"]), "overdue": _money_col(loans["overdue_c"]),
        "dpd": loans["dpd"].astype(int), "dpd_bucket": loans["bucket"],
    })
    columns = {"guarantee_status": g["status"].astype(object), "coverage_share": _share_col(g["coverage_share"]),
               "guarantee_covered": _money_col(g["covered_c"]), "guarantee_issued_on": _day_col(g["issued_on"]),
               "guarantee_exposure": _money_col(g["exposure_c"]), "claim": _money_col(g["claim_c"].fillna(0)),
               "recovered_fund": _money_col(g["recoveries_c"])}
    for name, values in columns.items():
        out[name] = values.where(has_g.to_numpy(), None).to_numpy()
    for name, values in _verification_columns(frames, loans, gr).items():
        out[name] = values
    return out[[c for c, _ in COLUMNS]]


def _text(values: pd.Series) -> Any:
    return values.astype(object).where(values.notna(), None).to_numpy()


def _verification_columns(frames: Any, loans: pd.DataFrame, gr: pd.DataFrame) -> dict[str, Any]:
    """The verification in force of each loan's proposal and the grant in force ``gr`` (row-aligned)."""
    ver = frames.verifications
    if "result" not in ver:
        ver = ver.assign(result=None)
    v = loans[["proposal_id", "credit_line_id"]].merge(ver, on="proposal_id", how="left")
    cells = pd.DataFrame([verification_cells(r) for r in v["result"]], index=v.index,
                         columns=["verified_indicators", "output_unit", "verified_baseline", "verified_achieved",
                                  "verified_output", "verified_from", "verified_to"])
    verified = v["verification_id"].notna()
    # The grant's own improvement where there is a grant (what its band was read at), else the result's.
    micro = gr["improvement_e6"] if "improvement_e6" in gr else pd.Series(index=gr.index, dtype=object)
    improvement = [(Decimal(int(m)) / 1_000_000).normalize() if pd.notna(m) else
                   (Decimal(str(band_improvement(r))).normalize() if ok and band_improvement(r) is not None else None)
                   for m, r, ok in zip(micro, v["result"], verified)]
    ncpc = dict(zip(frames.lines["credit_line_id"], frames.lines["ncpc"])) if "ncpc" in frames.lines else {}
    rate = gr["rate_bp"] if "rate_bp" in gr else pd.Series(index=gr.index, dtype=object)
    return {
        **{c: _text(cells[c].where(verified)) for c in cells},
        "improvement": improvement,
        "verified_on": _day_col(v["confirmed_on"]).to_numpy(),
        "verifier": _text(v["credit_line_id"].map(ncpc).where(verified)),
        "grant_status": _text(gr["status"]),
        "grant_rate": [(Decimal(int(b)) / 10_000).normalize() if pd.notna(b) else None for b in rate],
        "grant_amount": _money_col(gr["amount_c"]).to_numpy(),
        "grant_paid_as": _text(gr["paid_as"].where(gr["status"].isin(("approved", "paid")))),
        "grant_approved_on": _day_col(gr["approved_on"]).to_numpy(),
        "grant_paid_on": _day_col(gr["paid_on"]).to_numpy(),
        "grant_reference": _text(gr["payment_reference"]) if "payment_reference" in gr else None,
    }


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
