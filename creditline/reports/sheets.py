"""Reports as spreadsheets: labelled tables (units and currency in every header), CSV or XLSX.

Every table goes through :func:`creditline.exports.frame`, so no text cell can start a formula.
Money is written as numbers (Decimal) so a spreadsheet sums it; rates as fractions.
"""
from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from .. import exports
from . import workbook

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# (key in the report row, header); "{cur}" becomes the currency, "{unit}" the row's unit.
MEASURES = [
    ("proposals", "Proposals"), ("submitted", "Proposals submitted"), ("eligible", "Proposals eligible"),
    ("loans", "Loans"), ("loans_decided", "Loan applications decided"), ("loans_approved", "Loans approved"),
    ("approval_rate", "Approval rate (share)"), ("disbursed", "Disbursed ({cur})"),
    ("outstanding", "Outstanding principal ({cur})"), ("par30", "PAR30 (share)"), ("par90", "PAR90 (share)"),
    ("guarantee_cover", "Guarantee cover live ({cur})"), ("guarantee_committed", "Guarantee capacity used ({cur})"),
    ("claims", "Guarantee calls ({cur})"), ("claims_paid", "Claims paid ({cur})"),
    ("recoveries", "Recoveries to the fund ({cur})"), ("grants_committed", "Grants committed ({cur})"),
    ("grants_paid", "Grants paid ({cur})"),
]
LINE_COLUMNS = [
    ("line", "Credit line"), ("currency", "Currency"), ("guarantee_capacity", "Guarantee capacity ({cur})"),
    ("guarantee_used", "Guarantee capacity used ({cur})"), ("guarantee_free", "Guarantee capacity free ({cur})"),
    ("grant_budget", "Grant budget ({cur})"), ("grants_committed", "Grants committed ({cur})"),
    ("grants_paid", "Grants paid ({cur})"), ("grant_budget_free", "Grant budget free ({cur})"),
]
DIMENSION_TITLES = {"credit_line": "Credit line", "sector": "Sector (ISIC division)", "cp_option": "CP option",
                    "bank": "Bank", "month": "Month"}


def currency_label(rows: list[dict[str, Any]]) -> str:
    """The currency to put in headers: the one currency of the rows, or a pointer to the column."""
    found = {r.get("currency") for r in rows if r.get("currency")}
    return found.pop() if len(found) == 1 else "see Currency"


def _value(value: Any, key: str) -> Any:
    if isinstance(value, str) and key not in ("key", "currency", "line", "status", "decision", "bucket",
                                              "stage") and _is_amount(value):
        return Decimal(value)
    return value


def _is_amount(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return text.replace(".", "", 1).lstrip("-").isdigit()


def table(rows: list[dict[str, Any]], columns: list[tuple[str, str]], cur: str | None = None,
          unit: str = "") -> pd.DataFrame:
    """Rows of a report section as a DataFrame with human headers."""
    cur = cur or currency_label(rows)
    headers = [h.format(cur=cur, unit=unit) for _, h in columns]
    data = [[_value(r.get(k), k) for k, _ in columns] for r in rows]
    return pd.DataFrame(data, columns=headers)


def portfolio_tables(report: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """The dashboard as named tables, one sheet each (the CSV stacks the breakdowns)."""
    rows = report["totals"]
    cur = currency_label(rows)
    measures = [("currency", "Currency"), *MEASURES]
    out = {"Totals": table(rows, measures, cur)}
    if report["lines"]:
        out["Credit lines"] = table(report["lines"], LINE_COLUMNS, currency_label(report["lines"]))
    for dim, title in DIMENSION_TITLES.items():
        out[f"By {title.split(' (')[0].lower()}"] = table(report["breakdowns"][dim], [("key", title), *measures], cur)
    out["Days past due"] = table(report["dpd_buckets"], [("bucket", "Days past due"), ("currency", "Currency"),
                                                          ("loans", "Loans"), ("outstanding", "Outstanding principal ({cur})")],
                                 cur)
    out["Loans by status"] = table(report["loans_by_status"], [("status", "Loan status"), ("currency", "Currency"),
                                                                ("count", "Loans"),
                                                                ("outstanding", "Outstanding principal ({cur})")], cur)
    out["Proposals by status"] = table(report["proposals_by_status"], [("status", "Proposal status"),
                                                                        ("decision", "Latest scoring decision"),
                                                                        ("count", "Proposals")])
    out["Funnel"] = table(report["funnel"], [("stage", "Stage"), ("proposals", "Proposals")])
    return out


def stacked(tables: dict[str, pd.DataFrame], keep: tuple[str, ...]) -> pd.DataFrame:
    """The breakdown tables one under another, with the table's name in the first column."""
    parts = []
    for name in keep:
        frame = tables[name].copy()
        first = frame.columns[0]
        frame.insert(0, "Breakdown", name)
        parts.append(frame.rename(columns={first: "Group"}))
    return pd.concat(parts, ignore_index=True)


def formula_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`creditline.exports.frame`, column by column: a text column's distinct values are
    made safe once each (a tape column repeats a few banks and statuses); columns without text
    are left as they are, since only text can start a formula."""
    safe = {}
    for i in range(frame.shape[1]):
        column = frame.iloc[:, i]
        kind = pd.api.types.infer_dtype(column, skipna=True)
        if kind == "string":
            codes, uniques = pd.factorize(column)
            table = np.array([exports.cell(v) for v in uniques] + [None], dtype=object)
            column = pd.Series(table[codes], index=column.index, dtype=object)
        elif kind not in ("integer", "floating", "decimal", "boolean", "date", "datetime", "datetime64", "empty"):
            column = column.map(exports.cell)
        safe[i] = column
    out = pd.DataFrame(safe, index=frame.index) if safe else frame.copy()
    out.columns = [exports.cell(c) for c in frame.columns]
    return out


def to_csv(frame: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    formula_safe(frame).to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue().encode("utf-8")


def to_xlsx(tables: dict[str, pd.DataFrame], notes: list[str] | None = None) -> bytes:
    """The tables as one workbook, a sheet each (and the notes).

    Written column-wise by :mod:`.workbook` (a 50,000-row loan tape in seconds, where a writer
    making a cell object per value took a minute); text cells are formula-safe there too.
    """
    sheets = {**tables, **({"Notes": pd.DataFrame({"Note": notes})} if notes else {})}
    return workbook.workbook(sheets)


def portfolio_csv(report: dict[str, Any]) -> bytes:
    tables = portfolio_tables(report)
    keep = ("Totals", *(k for k in tables if k.startswith("By ")))
    totals = tables["Totals"].copy()
    totals.insert(0, "Group", "all")
    tables["Totals"] = totals
    return to_csv(stacked(tables, keep))


def impact_tables(report: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """The impact report as named tables (the CSV is the per-indicator table)."""
    summary = [{"what": what, "unit": unit, **report[key]} for key, what, unit in (
        ("co2e_t_per_year", "CO2e avoided", "t CO2e a year"), ("water_m3_per_year", "Water saved", "m3 a year"),
        ("wastewater_m3_per_year", "Wastewater avoided", "m3 a year"),
        ("waste_t_per_year", "Solid and hazardous waste avoided", "t a year"))]
    fe = report["financed_emissions"]
    return {
        "Summary": table(summary, [("what", "Figure"), ("unit", "Unit"), ("projected", "Projected (all proposals)"),
                                   ("projected_of_verified", "Projected (verified proposals)"),
                                   ("verified", "Verified"), ("verified_cumulative", "Verified cumulative (t CO2e)")]),
        "Indicators": table(report["indicators"], [
            ("stream", "Indicator"), ("unit", "Unit"), ("proposals", "Proposals"),
            ("projected_saving", "Projected saving (unit a year)"), ("verified_proposals", "Verified proposals"),
            ("projected_saving_of_verified", "Projected saving of verified proposals (unit a year)"),
            ("verified_saving", "Verified saving (unit a year)")]),
        "Sectors": table(report["sectors"], [
            ("sector", "Sector (ISIC division)"), ("proposals", "Proposals"), ("verified_proposals", "Verified proposals"),
            ("projected_co2e_t_per_year", "Projected CO2e avoided (t a year)"),
            ("projected_co2e_of_verified", "Projected CO2e of verified proposals (t a year)"),
            ("verified_co2e_t_per_year", "Verified CO2e avoided (t a year)"),
            ("delivery", "Delivered (verified / projected)")]),
        "Money saved": table(report["money"], [
            ("currency", "Currency"), ("projected_per_year", "Projected net savings ({cur} a year)"),
            ("projected_of_verified_per_year", "Projected net savings of verified proposals ({cur} a year)"),
            ("verified_estimate_per_year", "Verified net savings, estimated ({cur} a year)")]),
        "Cost per tonne": table(report["cost_per_tonne"], [
            ("currency", "Currency"), ("grants_paid", "Grants paid ({cur})"), ("guarantee_cover", "Guarantee cover ({cur})"),
            ("co2e_t_per_year", "Verified CO2e avoided (t a year)"),
            ("grant_per_t_co2e_per_year", "Grant per t CO2e a year ({cur})"),
            ("guarantee_per_t_co2e_per_year", "Guarantee cover per t CO2e a year ({cur})")]),
        "Financed emissions": table(fe["loans"], [
            ("loan_id", "Loan ID"), ("enterprise", "Borrower"), ("currency", "Currency"),
            ("outstanding", "Outstanding principal ({cur})"),
            ("enterprise_debt_and_equity", "Borrower debt and equity ({cur})"), ("attribution", "Attribution (share)"),
            ("enterprise_t_co2e_per_year", "Borrower emissions (t CO2e a year)"),
            ("financed_t_co2e_per_year", "Financed emissions (t CO2e a year)"),
            ("data_quality", "PCAF data quality (1 best, 5 worst)"),
            ("verified_avoided_t_co2e_per_year", "Verified avoided (t CO2e a year)")]),
    }
