"""The portfolio dashboard's figures: pure pandas over the report tables (no Flask, no database).

Amounts are whole cents (int64) inside, Decimal at the edge. Every figure is grouped by currency
as well: two credit lines in different currencies are never added together.

Definitions (shown on the dashboard page too):
- outstanding principal: the unpaid principal of the schedule of a loan being repaid (disbursed,
  active, in arrears, defaulted), the same rule as ``Loan.outstanding_principal``, as stored on
  the loan by its operations (``loans.balances``);
- days past due: from the oldest due date with a cent or more unpaid, as of the report's day
  (the daily job's rule), from the oldest unpaid due date stored on the loan;
- PAR30 / PAR90: outstanding principal of loans more than 30 / 90 days past due, over all
  outstanding principal;
- approval rate: loan applications approved over those decided (approved or declined);
- guarantee capacity used: what the fund has committed, as on the guarantees page (live cover,
  claims called or paid, less the fund's share of recoveries).
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd


SERVICING = ("disbursed", "active", "in_arrears", "defaulted")
APPROVED = ("approved", "disbursed", "active", "in_arrears", "defaulted", "written_off", "repaid")
DECIDED = APPROVED + ("declined",)
ELIGIBLE = ("eligible", "technically_reviewed")
BUCKETS = ("0", "1-30", "31-60", "61-90", "90+")
DIMENSIONS = ("credit_line", "sector", "cp_option", "bank", "month")
CLAIMED = ("called", "paid", "recovered")
CLAIM_PAID = ("paid", "recovered")
COMMITTED_GRANTS = ("approved", "paid")
# The measures of a breakdown row, in column order; money ones end in ``_c`` (cents) inside.
COUNTS = ("proposals", "submitted", "eligible", "loans", "loans_decided", "loans_approved")
MONEY = ("disbursed_c", "outstanding_c", "par30_c", "par90_c", "guarantee_cover_c", "guarantee_committed_c",
         "claims_c", "claims_paid_c", "recoveries_c", "grants_committed_c", "grants_paid_c")


def money(value_c: Any) -> str:
    """Cents as a decimal string in whole cents ("80000.00")."""
    return str((Decimal(int(value_c)) / 100).quantize(Decimal("0.01")))


def ratio(part: float, whole: float) -> float | None:
    return None if not whole else round(float(part) / float(whole), 4)


def loan_positions(loans: pd.DataFrame, today: date) -> pd.DataFrame:
    """Each loan's outstanding principal, days past due and bucket as of ``today``.

    Both come from the balances stored on the loan: days past due is ``today`` less the oldest
    unpaid due date, when that is before ``today`` (the daily job's rule), for every loan at once.
    """
    out = loans.copy()
    servicing = out["status"].isin(SERVICING).to_numpy()
    out["outstanding_c"] = np.where(servicing, out["principal_outstanding_c"].to_numpy(), 0).astype("int64")
    oldest = pd.to_datetime(out["oldest_unpaid_due"], errors="coerce").to_numpy().astype("datetime64[D]")
    late = ~np.isnat(oldest) & servicing
    days = (np.datetime64(today, "D") - oldest[late]).astype("int64")
    dpd = np.zeros(len(out), dtype="int64")
    dpd[late] = np.maximum(days, 0)
    out["dpd"] = dpd
    out["bucket"] = np.select([dpd == 0, dpd <= 30, dpd <= 60, dpd <= 90], list(BUCKETS[:4]), BUCKETS[4])
    if "overdue_c" in out:
        out["overdue_c"] = np.where(servicing, out["overdue_c"], 0).astype("int64")
    return out


def guarantee_positions(guarantees: pd.DataFrame, loans: pd.DataFrame) -> pd.DataFrame:
    """Each guarantee's live cover, exposure and what it commits of the fund's capacity."""
    g = guarantees.merge(loans[["loan_id", "status", "outstanding_c", "currency"]].rename(
        columns={"status": "loan_status"}), on="loan_id", how="left")
    live = (g["status"] == "issued") & (g["loan_status"] != "repaid")
    claim = g["claim_c"].fillna(0).astype("int64")
    g["cover_c"] = np.where(live, g["covered_c"], 0).astype("int64")
    exposure = (g["coverage_share"].astype(float) * g["outstanding_c"].fillna(0)).round()
    g["exposure_c"] = np.where(live, np.minimum(exposure, g["cap_c"].fillna(np.inf)), 0).astype("int64")
    g["claims_c"] = np.where(g["status"].isin(CLAIMED), claim, 0).astype("int64")
    g["claims_paid_c"] = np.where(g["status"].isin(CLAIM_PAID), claim, 0).astype("int64")
    g["recoveries_c"] = g["recovered_fund_c"].astype("int64")
    g["committed_c"] = g["cover_c"] + g["claims_c"] - g["recoveries_c"]
    return g


def _division(isic: pd.Series) -> pd.Series:
    # Codes carry the section letter and four digits ("C1313"): the division is "C13".
    return "ISIC " + isic.fillna("").astype(str).str[:3]


def _month(*columns: pd.Series) -> pd.Series:
    """The month ("YYYY-MM") of the first date present, else "undated", for every row at once."""
    # An empty or all-missing column comes back from the database as object, not datetime.
    day = pd.to_datetime(columns[0], errors="coerce")
    for other in columns[1:]:
        day = day.fillna(pd.to_datetime(other, errors="coerce"))
    months = np.datetime_as_string(day.to_numpy().astype("datetime64[M]"), unit="M")
    return pd.Series(np.where(months == "NaT", "undated", months), index=day.index)


def _dims(frame: pd.DataFrame, lines: pd.DataFrame, month: pd.Series) -> pd.DataFrame:
    out = frame.copy()
    names = dict(zip(lines["credit_line_id"], lines["line"]))
    out["credit_line"] = out["credit_line_id"].map(names).fillna("other line")
    out["sector"] = _division(out["isic_code"])
    out["bank"] = out["bank"].fillna("no bank yet") if "bank" in out else "no bank yet"
    out["month"] = month.to_numpy()
    return out


def _tables(frames: Any) -> tuple[pd.DataFrame, ...]:
    """Proposals, loans, guarantees and grants as the database grouped them (``n`` rows each), with
    their dimensions and measures in cents."""
    lines = frames.lines
    p = _dims(frames.proposals, lines, frames.proposals["month"].fillna("undated"))
    l_ = _dims(frames.loans, lines, frames.loans["month"].fillna("undated"))
    servicing = l_["status"].isin(SERVICING)
    l_["outstanding_c"] = l_["outstanding_c"].where(servicing, 0).astype("int64")
    # A loan not being repaid is not late: its bucket is "0" (as in loan_positions).
    l_["bucket"] = l_["bucket"].where(servicing, BUCKETS[0])
    g = _dims(frames.guarantees, lines, frames.guarantees["month"].fillna("undated"))
    live = (g["status"] == "issued") & ~g["loan_repaid"].astype(bool)
    claim = g["claim_c"].fillna(0).astype("int64")
    g["cover_c"] = g["covered_c"].where(live, 0).astype("int64")
    g["claims_c"] = claim.where(g["status"].isin(CLAIMED), 0)
    g["claims_paid_c"] = claim.where(g["status"].isin(CLAIM_PAID), 0)
    g["recoveries_c"] = g["recovered_fund_c"].fillna(0).astype("int64")
    g["committed_c"] = g["cover_c"] + g["claims_c"] - g["recoveries_c"]
    currency = dict(zip(lines["credit_line_id"], lines["currency"]))
    gr = _dims(frames.grants, lines, frames.grants["month"].fillna("undated"))
    gr["currency"] = gr["credit_line_id"].map(currency)
    return p, l_, g, gr


KEYS = ("credit_line", "sector", "bank", "month", "currency")


def _facts(frame: pd.DataFrame, sums: dict[str, Any]) -> pd.DataFrame:
    """One row per source row: its dimensions and its measures (the other measures are zero)."""
    out = pd.DataFrame({k: frame[k].to_numpy() for k in KEYS}, index=frame.index)
    out["cp_options"] = frame["cp_options"].to_numpy() if "cp_options" in frame else None
    for name, values in sums.items():
        out[name] = np.asarray(values, dtype="int64") if not np.isscalar(values) else values
    return out


def facts(p: pd.DataFrame, l_: pd.DataFrame, g: pd.DataFrame, gr: pd.DataFrame) -> pd.DataFrame:
    """Every measure of the proposals, loans, guarantees and grants summed by all the keys at once.

    Each breakdown then sums this short table again by its own key: the measures are sums, so
    summing in two steps gives the same figures as summing every source row for each breakdown.
    """
    s, ln = l_["status"], l_["n"].to_numpy()
    n = p["n"].to_numpy()
    parts = [
        _facts(p, {"proposals": n, "submitted": n * p["status"].ne("draft").to_numpy(),
                   "eligible": n * p["status"].isin(ELIGIBLE).to_numpy()}),
        _facts(l_, {"loans": ln, "loans_decided": ln * s.isin(DECIDED).to_numpy(),
                    "loans_approved": ln * s.isin(APPROVED).to_numpy(),
                    "disbursed_c": l_["disbursed_c"], "outstanding_c": l_["outstanding_c"],
                    "par30_c": l_["outstanding_c"].where(l_["bucket"].isin(BUCKETS[2:]), 0),
                    "par90_c": l_["outstanding_c"].where(l_["bucket"] == BUCKETS[4], 0)}),
        _facts(g, {"guarantee_cover_c": g["cover_c"], "guarantee_committed_c": g["committed_c"],
                   "claims_c": g["claims_c"], "claims_paid_c": g["claims_paid_c"], "recoveries_c": g["recoveries_c"]}),
        _facts(gr, {"grants_committed_c": gr["amount_c"].where(gr["status"].isin(COMMITTED_GRANTS), 0),
                    "grants_paid_c": gr["amount_c"].where(gr["status"] == "paid", 0)}),
    ]
    table = pd.concat([x for x in parts if not x.empty], ignore_index=True) if any(
        not x.empty for x in parts) else pd.DataFrame(columns=[*KEYS, "cp_options"])
    for col in (*COUNTS, *MONEY):
        table[col] = table[col].fillna(0).astype("int64") if col in table else 0
    for key in KEYS:
        table[key] = table[key].astype(str)
    table["cp_options"] = table["cp_options"].map(lambda o: " ".join(o) if isinstance(o, list) else "")
    return table.groupby([*KEYS, "cp_options"], as_index=False, sort=False)[list((*COUNTS, *MONEY))].sum()


def breakdown(table: pd.DataFrame, dim: str) -> pd.DataFrame:
    """Every measure by ``dim`` (and currency), one row per value, from :func:`facts`."""
    if dim == "cp_option":
        # A proposal with two CP options counts under each.
        table = table.assign(cp_option=table["cp_options"].str.split()).explode("cp_option")
        table["cp_option"] = table["cp_option"].fillna("none")
    grouped = table.groupby([dim, "currency"], as_index=False, observed=True)[list((*COUNTS, *MONEY))].sum()
    grouped["approval_rate"] = [ratio(a, d) for a, d in zip(grouped["loans_approved"], grouped["loans_decided"])]
    grouped["par30"] = [ratio(a, o) for a, o in zip(grouped["par30_c"], grouped["outstanding_c"])]
    grouped["par90"] = [ratio(a, o) for a, o in zip(grouped["par90_c"], grouped["outstanding_c"])]
    return grouped


def _rows(table: pd.DataFrame, key: str | None) -> list[dict[str, Any]]:
    out = []
    for rec in table.to_dict("records"):
        row: dict[str, Any] = {} if key is None else {"key": str(rec[key])}
        row["currency"] = rec["currency"]
        for col in COUNTS:
            row[col] = int(rec[col])
        for col in MONEY:
            row[col[:-2]] = money(rec[col])
        for col in ("approval_rate", "par30", "par90"):
            row[col] = None if pd.isna(rec[col]) else float(rec[col])
        out.append(row)
    return out


def _line_positions(lines: pd.DataFrame, g: pd.DataFrame, gr: pd.DataFrame) -> list[dict[str, Any]]:
    committed = g.groupby("guarantee_line_id")["committed_c"].sum()
    grants = gr[gr["status"].isin(COMMITTED_GRANTS)].groupby("credit_line_id")["amount_c"].sum()
    paid = gr[gr["status"] == "paid"].groupby("credit_line_id")["amount_c"].sum()
    out = []
    for rec in lines.to_dict("records"):
        lid = rec["credit_line_id"]
        used, budget_used = int(committed.get(lid, 0)), int(grants.get(lid, 0))
        out.append({"credit_line_id": int(lid), "line": rec["line"], "currency": rec["currency"],
                    "guarantee_capacity": money(rec["capacity_c"]), "guarantee_used": money(used),
                    "guarantee_free": money(rec["capacity_c"] - used),
                    "guarantee_used_share": ratio(used, rec["capacity_c"]),
                    "grant_budget": money(rec["budget_c"]), "grants_committed": money(budget_used),
                    "grants_paid": money(int(paid.get(lid, 0))), "grant_budget_free": money(rec["budget_c"] - budget_used)})
    return out


def _counted(frame: pd.DataFrame, keys: list[str], money_col: str | None = None,
             weight: str | None = None) -> list[dict[str, Any]]:
    if frame.empty:
        return []
    agg = frame.groupby(keys, dropna=False).agg(count=(weight, "sum") if weight else (keys[0], "size"), **(
        {"amount": (money_col, "sum")} if money_col else {})).reset_index()
    out = []
    for rec in agg.to_dict("records"):
        row = {k: (None if pd.isna(rec[k]) else rec[k]) for k in keys}
        row["count"] = int(rec["count"])
        if money_col:
            row["outstanding"] = money(rec["amount"])
        out.append(row)
    return out


def funnel(p: pd.DataFrame, l_: pd.DataFrame, verified: int, grant_paid: int) -> list[dict[str, Any]]:
    """From proposal to paid grant: how many proposals reached each stage (one loan per proposal)."""
    n = p["n"]
    stages = [("submitted", int(n[p["status"].ne("draft")].sum())),
              ("eligible", int(n[p["status"].isin(ELIGIBLE) | p["lent"]].sum())),
              ("loan approved", int(l_.loc[l_["status"].isin(APPROVED), "n"].sum())),
              ("disbursed", int(l_["disbursed_n"].sum())),
              ("verified", int(verified)), ("grant paid", int(grant_paid))]
    return [{"stage": s, "proposals": n} for s, n in stages]


def portfolio(frames: Any, *, show_lines: bool = True) -> dict[str, Any]:
    """The whole dashboard: positions per line, statuses, DPD buckets, breakdowns and the funnel."""
    p, l_, g, gr = _tables(frames)
    table = facts(p, l_, g, gr)
    totals = breakdown(table.assign(all=pd.Categorical(["all"] * len(table))), "all")
    return {
        "as_of": frames.today,
        "lines": _line_positions(frames.lines, g, gr) if show_lines else [],
        "totals": _rows(totals, None),
        "proposals_by_status": _counted(p, ["status", "decision"], weight="n"),
        "loans_by_status": _counted(l_, ["status", "currency"], "outstanding_c", weight="n"),
        "dpd_buckets": _bucket_rows(l_),
        "breakdowns": {dim: _rows(breakdown(table, dim), dim) for dim in DIMENSIONS},
        "funnel": funnel(p, l_, frames.verified, frames.grant_paid),
    }


def _bucket_rows(l_: pd.DataFrame) -> list[dict[str, Any]]:
    lent = l_[l_["status"].isin(SERVICING)]
    sums = lent.groupby(["currency", "bucket"])[["n", "outstanding_c"]].sum()
    out = []
    for currency in sorted(lent["currency"].unique()):
        for bucket in BUCKETS:
            n, owed = sums.loc[(currency, bucket)] if (currency, bucket) in sums.index else (0, 0)
            out.append({"bucket": bucket, "currency": currency, "loans": int(n), "outstanding": money(owed)})
    return out
