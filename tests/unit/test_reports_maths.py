"""Portfolio and impact maths on small hand-made tables, checked against figures worked out by hand."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from creditline.reports import flows, impact, portfolio

TODAY = dt.date(2026, 11, 17)
NAT = pd.NaT


def loans(*rows: dict) -> pd.DataFrame:
    base = {"loan_id": 1, "proposal_id": 1, "bank_id": 2, "bank": "Bank", "credit_line_id": 1, "status": "active",
            "currency": "USD", "principal_c": 10_000_000, "principal_outstanding_c": 0,
            "oldest_unpaid_due": NAT, "disbursed_c": 10_000_000, "paid_c": 0,
            "first_disbursed": pd.Timestamp("2026-01-05"), "decided_on": pd.Timestamp("2026-01-02"),
            "isic_code": "C1313", "cp_options": ["technology_change"], "enterprise": "E"}
    return pd.DataFrame([{**base, **r} for r in rows])


def frames(loan_rows: pd.DataFrame, guarantees: pd.DataFrame | None = None) -> SimpleNamespace:
    """The tables as the database groups them for the dashboard (here one group per loan)."""
    lines = pd.DataFrame([{"credit_line_id": 1, "line": "L", "currency": "USD", "capacity_c": 100_000_000,
                           "budget_c": 50_000_000}])
    # The proposals as the database counts them: one group of ``n``.
    proposals = pd.DataFrame([{"credit_line_id": 1, "bank": "Bank", "status": "technically_reviewed",
                               "cp_options": ["technology_change"], "month": "2025-12", "isic_code": "C1313",
                               "currency": "USD", "decision": "eligible", "lent": True, "n": len(loan_rows)}])
    pos = portfolio.loan_positions(loan_rows, TODAY)
    dims = ["loan_id", "credit_line_id", "bank", "isic_code", "cp_options", "currency"]
    loans_g = pos[dims[1:] + ["status", "bucket", "disbursed_c"]].assign(
        month="2026-01", n=1, outstanding_c=pos["principal_outstanding_c"], disbursed_n=(pos["disbursed_c"] > 0) * 1)
    g = guarantees if guarantees is not None else pd.DataFrame(
        columns=["loan_id", "credit_line_id", "status", "covered_c", "claim_c", "recovered_fund_c"])
    g = g.rename(columns={"credit_line_id": "guarantee_line_id"}).merge(
        pos[dims + ["status"]].rename(columns={"status": "loan_status"}), on="loan_id")
    g = g.assign(month="2026-01", loan_repaid=g["loan_status"] == "repaid")
    grants = pd.DataFrame(columns=["credit_line_id", "status", "month", "isic_code", "bank", "cp_options",
                                   "amount_c"])
    return SimpleNamespace(lines=lines, proposals=proposals, loans=loans_g, guarantees=g, grants=grants,
                           verified=0, grant_paid=0, today=TODAY)


def test_dpd_buckets_par_and_outstanding_follow_the_arrears_rule() -> None:
    table = loans(
        {"loan_id": 1, "proposal_id": 1, "principal_outstanding_c": 6_000_000,
         "oldest_unpaid_due": pd.Timestamp(TODAY)},                                                  # due today: on time
        {"loan_id": 2, "proposal_id": 2, "principal_outstanding_c": 3_000_000, "status": "in_arrears",
         "oldest_unpaid_due": pd.Timestamp("2026-10-17")},                                           # 31 days
        {"loan_id": 3, "proposal_id": 3, "principal_outstanding_c": 1_000_000, "status": "defaulted",
         "oldest_unpaid_due": pd.Timestamp("2026-08-17")},                                           # 92 days
        {"loan_id": 4, "proposal_id": 4, "principal_outstanding_c": 0, "status": "repaid",
         "oldest_unpaid_due": pd.Timestamp("2026-01-01")},                                           # not lent out
        {"loan_id": 5, "proposal_id": 5, "principal_outstanding_c": 500_000, "disbursed_c": 500_000,
         "status": "disbursed"})                                                                     # tranche, no schedule
    pos = portfolio.loan_positions(table, TODAY)
    assert list(pos["dpd"]) == [0, 31, 92, 0, 0]
    assert list(pos["bucket"]) == ["0", "31-60", "90+", "0", "0"]
    assert list(pos["outstanding_c"]) == [6_000_000, 3_000_000, 1_000_000, 0, 500_000]
    report = portfolio.portfolio(frames(table))
    (totals,) = report["totals"]
    assert totals["outstanding"] == "105000.00"
    assert totals["par30"] == round(40_000 / 105_000, 4) and totals["par90"] == round(10_000 / 105_000, 4)
    assert totals["approval_rate"] == 1.0


def test_guarantee_capacity_used_counts_live_cover_and_claims_less_recoveries() -> None:
    table = loans({"loan_id": 1, "proposal_id": 1, "principal_outstanding_c": 4_000_000},
                  {"loan_id": 2, "proposal_id": 2, "status": "written_off"},
                  {"loan_id": 3, "proposal_id": 3, "status": "repaid"})
    g = pd.DataFrame([
        {"guarantee_id": 1, "loan_id": 1, "credit_line_id": 1, "status": "issued", "coverage_share": 0.5,
         "cap_c": None, "covered_c": 5_000_000, "claim_c": None, "issued_on": pd.Timestamp("2026-01-03"),
         "recovered_fund_c": 0, "recovered_c": 0},
        {"guarantee_id": 2, "loan_id": 2, "credit_line_id": 1, "status": "recovered", "coverage_share": 0.5,
         "cap_c": None, "covered_c": 5_000_000, "claim_c": 2_000_000, "issued_on": pd.Timestamp("2026-01-03"),
         "recovered_fund_c": 300_000, "recovered_c": 600_000},
        {"guarantee_id": 3, "loan_id": 3, "credit_line_id": 1, "status": "issued", "coverage_share": 0.5,
         "cap_c": None, "covered_c": 5_000_000, "claim_c": None, "issued_on": pd.Timestamp("2026-01-03"),
         "recovered_fund_c": 0, "recovered_c": 0}])
    report = portfolio.portfolio(frames(table, g))
    (line,) = report["lines"]
    # 50,000 live cover + 20,000 claim paid - 3,000 recovered; the repaid loan's cover is free.
    assert line["guarantee_used"] == "67000.00" and line["guarantee_free"] == "933000.00"
    (totals,) = report["totals"]
    assert (totals["claims"], totals["claims_paid"], totals["recoveries"]) == ("20000.00", "20000.00", "3000.00")


def test_a_proposal_with_two_cp_options_counts_under_each() -> None:
    table = loans({"loan_id": 1, "proposal_id": 1, "principal_outstanding_c": 100,
                   "cp_options": ["technology_change", "good_housekeeping"]})
    rows = portfolio.portfolio(frames(table))["breakdowns"]["cp_option"]
    assert {r["key"]: r["outstanding"] for r in rows} == {"good_housekeeping": "1.00", "technology_change": "1.00"}


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10_000_000), st.integers(0, 400)), min_size=1, max_size=8))
def test_breakdowns_add_up_to_the_totals(data) -> None:
    table = loans(*[{"loan_id": i + 1, "proposal_id": i + 1, "principal_outstanding_c": owed,
                     "isic_code": f"C{10 + i % 3}00", "status": "in_arrears" if late else "active",
                     "oldest_unpaid_due": pd.Timestamp(TODAY) - pd.Timedelta(days=late) if late else NAT}
                    for i, (owed, late) in enumerate(data)])
    report = portfolio.portfolio(frames(table))
    (totals,) = report["totals"]
    by_sector = report["breakdowns"]["sector"]
    assert sum(int(r["outstanding"].replace(".", "")) for r in by_sector) == sum(o for o, _ in data)
    assert totals["outstanding"] == portfolio.money(sum(o for o, _ in data))
    par30 = sum(o for o, late in data if late > 30)
    assert totals["par30"] == portfolio.ratio(par30, sum(o for o, _ in data))


def test_verified_savings_and_co2e_use_the_annualised_reporting_output() -> None:
    indicators = pd.DataFrame([{"proposal_id": 1, "stream": "electricity", "unit": "kWh", "baseline_quantity": 900_000.0,
                                "baseline_output": 5000.0, "projected_quantity": 700_000.0, "projected_output": 5000.0}])
    verifications = pd.DataFrame([{"proposal_id": 1, "result": {
        "annual_output": "5000", "window": {"start": "2025-11-17"},
        "indicators": {"electricity": {"baseline_specific": "180", "reporting_specific": "150", "main": True,
                                       "improvement": 0.1667}}}}])
    proposals = pd.DataFrame([{"proposal_id": 1, "credit_line_id": 1, "isic_code": "C1313",
                               "main_indicator": "electricity", "currency": "USD"}])
    table = impact.stream_table(indicators, verifications, proposals, {1: {"electricity": 0.0005}})
    row = table.iloc[0]
    assert row["projected_saving"] == 200_000 and row["verified_saving"] == 150_000
    assert row["projected_co2e"] == 100 and row["verified_co2e"] == 75


def test_flows_compare_each_stream_with_its_own_baseline_at_the_same_output() -> None:
    items = flows.flows([{"stream": "fuel_oil", "unit": "L", "baseline_quantity": 1000, "baseline_output": 100,
                          "projected_quantity": 200, "projected_output": 200},
                         {"stream": "wastewater", "unit": "m3", "baseline_quantity": 50, "baseline_output": 100,
                          "projected_quantity": 50, "projected_output": 100}], None, {"fuel_oil": 0.003})
    fuel, water, co2 = items
    assert (fuel.before, fuel.after, fuel.side) == (1000, 100, "in")  # 200 L for 200 t is 100 L for the baseline's 100 t
    assert water.side == "out" and co2.stream == "CO2e from energy" and (co2.before, co2.after) == (3.0, 0.3)
    picture = flows.svg({"flows": items})
    assert picture.startswith("<svg") and "fuel oil: 1,000 L" in picture
