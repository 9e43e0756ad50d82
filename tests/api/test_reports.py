"""Reports through the API on the demo story: figures against a from-scratch recomputation, scope, files."""
from __future__ import annotations

import csv
import io
from decimal import Decimal

import openpyxl
from sqlalchemy import select

from creditline import clock
from creditline.creditlines.models import CreditLine
from creditline.extensions import db
from creditline.finance.allocation import days_past_due
from creditline.grants.models import Grant
from creditline.guarantees.services import exposure
from creditline.loans.models import SERVICING_STATES, Loan
from creditline.verifications.models import Verification

from ..conftest import OTHER_SME

D = Decimal


def get(client, headers, path, **params):
    res = client.get(path, headers=headers, query_string=params)
    assert res.status_code == 200, res.get_data(as_text=True)[:500]
    return res


def recompute(today) -> dict:
    """The dashboard's totals the slow way: one loan at a time through the models."""
    loans = db.session.scalars(select(Loan)).all()
    outstanding, par30, par90 = D(0), D(0), D(0)
    buckets = {"0": 0, "1-30": 0, "31-60": 0, "61-90": 0, "90+": 0}
    for loan in loans:
        if loan.status not in SERVICING_STATES:
            continue
        owed = loan.outstanding_principal
        dpd = days_past_due([(i.due_date, i.unpaid) for i in loan.installments], today)
        outstanding += owed
        par30 += owed if dpd > 30 else 0
        par90 += owed if dpd > 90 else 0
        buckets["0" if dpd == 0 else "1-30" if dpd <= 30 else "31-60" if dpd <= 60 else "61-90" if dpd <= 90 else "90+"] += 1
    line = db.session.scalars(select(CreditLine)).one()
    grants = db.session.scalars(select(Grant)).all()
    return {"outstanding": outstanding, "par30": par30 / outstanding, "par90": par90 / outstanding,
            "disbursed": sum((loan.disbursed for loan in loans), D(0)),
            "guarantee_used": exposure(line)["committed"],
            "grants_paid": sum((g.amount for g in grants if g.status == "paid"), D(0)), "buckets": buckets}


def test_the_fund_sees_figures_that_agree_with_a_recomputation_in_json_csv_and_excel(app, client, token_for, story):
    admin = token_for("fund_admin")
    report = get(client, admin, "/api/v1/reports/portfolio").get_json()
    with app.app_context():
        expected = recompute(clock.today())
        db.session.remove()
    (totals,) = report["totals"]
    assert D(totals["outstanding"]) == expected["outstanding"] > 0
    assert totals["par30"] == round(float(expected["par30"]), 4) > 0  # the coconut mill is 47 days late
    assert totals["par90"] == 0.0
    assert D(totals["disbursed"]) == expected["disbursed"]
    assert D(totals["grants_paid"]) == expected["grants_paid"] == D("20000.00")
    (line,) = report["lines"]
    assert D(line["guarantee_used"]) == expected["guarantee_used"]
    assert D(line["guarantee_free"]) == D(line["guarantee_capacity"]) - expected["guarantee_used"]
    buckets = {b["bucket"]: b for b in report["dpd_buckets"]}
    assert {k: b["loans"] for k, b in buckets.items()} == expected["buckets"]
    assert buckets["31-60"]["loans"] == 1  # the coconut mill
    # The rice mill is verified, its grant not yet paid; the coconut mill is paid.
    assert [s["proposals"] for s in report["funnel"]] == [4, 3, 3, 3, 2, 1]

    # The workbook and the CSV carry the same figures, headers with their currency.
    book = openpyxl.load_workbook(io.BytesIO(get(client, admin, "/api/v1/reports/portfolio", format="xlsx").data))
    sheet = book["Totals"]
    header = [c.value for c in sheet[1]]
    row = dict(zip(header, [c.value for c in sheet[2]]))
    assert D(str(row["Outstanding principal (USD)"])) == expected["outstanding"]
    assert D(str(row["Grants paid (USD)"])) == D("20000.00")
    rows = list(csv.DictReader(io.StringIO(get(client, admin, "/api/v1/reports/portfolio", format="csv")
                                           .get_data(as_text=True))))
    sectors = {r["Group"]: r for r in rows if r["Breakdown"] == "By sector"}
    assert set(sectors) == {"ISIC C10", "ISIC C13", "ISIC C24"}
    assert sum(D(r["Outstanding principal (USD)"]) for r in sectors.values()) == expected["outstanding"]


def test_filters_narrow_every_figure_and_bad_ones_are_refused(client, token_for, story, outsiders):
    admin = token_for("fund_admin")
    dyeing = get(client, admin, "/api/v1/reports/portfolio", isic="C13").get_json()
    assert [(t["loans"], t["grants_paid"]) for t in dyeing["totals"]] == [(1, "20000.00")]
    coconut = get(client, admin, "/api/v1/reports/portfolio", cp_option="useful_by_products").get_json()
    assert [(t["loans"], t["par30"]) for t in coconut["totals"]] == [(1, 1.0)]
    res = client.get("/api/v1/reports/portfolio?isic=13%3D&cp_option=magic", headers=admin)
    assert res.status_code == 422 and set(res.get_json()["errors"]) == {"isic", "cp_option"}
    # Another line's bank cannot name the demo line, and sees none of its loans.
    demo_line = get(client, admin, "/api/v1/reports/portfolio").get_json()["lines"][0]["credit_line_id"]
    other_bank = outsiders["headers"]["bank_officer"]
    assert client.get(f"/api/v1/reports/portfolio?credit_line_id={demo_line}", headers=other_bank).status_code == 404
    theirs = get(client, other_bank, "/api/v1/reports/portfolio").get_json()
    assert theirs["totals"] == [] and theirs["lines"] == []
    assert get(client, other_bank, "/api/v1/reports/loan-tape", format="json").get_json()["items"] == []


def test_a_bank_and_an_sme_see_only_their_own(client, token_for, story):
    bank = get(client, token_for("bank_officer"), "/api/v1/reports/portfolio").get_json()
    assert bank["lines"] == []  # the fund's capacity is the fund's business
    assert bank["totals"][0]["loans"] == 3  # textile, coconut and rice mills, all lent by the demo bank
    mine = get(client, token_for("sme"), "/api/v1/reports/portfolio").get_json()
    assert [(t["proposals"], t["loans"], t["outstanding"] != "0.00") for t in mine["totals"]] == [(1, 1, True)]
    other = get(client, token_for(OTHER_SME), "/api/v1/reports/portfolio").get_json()
    assert [(t["proposals"], t["loans"]) for t in other["totals"]] == [(1, 0)]
    tape = get(client, token_for(OTHER_SME), "/api/v1/reports/loan-tape", format="json").get_json()
    assert tape["items"] == []


def test_the_loan_tape_has_one_row_per_loan_with_balances_dpd_guarantee_and_grant(app, client, token_for, story):
    items = get(client, token_for("fund_admin"), "/api/v1/reports/loan-tape", format="json").get_json()["items"]
    with app.app_context():
        for row in items:
            loan = db.session.get(Loan, row["loan_id"])
            assert D(row["outstanding"]) == loan.outstanding_principal
            assert row["dpd"] == days_past_due([(i.due_date, i.unpaid) for i in loan.installments], clock.today())
            assert D(row["disbursed"]) == loan.disbursed and D(row["principal"]) == loan.principal
            assert row["guarantee_status"] == "issued"
        db.session.remove()
    (paid,) = [r for r in items if r["grant_status"] == "paid"]  # the textile mill's; the rice mill's waits
    assert paid["status"] == "active" and paid["grant_amount"] == "20000.00"
    (late,) = [r for r in items if r["status"] == "in_arrears"]
    assert late["dpd_bucket"] == "31-60" and D(late["overdue"]) > 0
    text = get(client, token_for("fund_admin"), "/api/v1/reports/loan-tape").get_data(as_text=True)
    assert text.splitlines()[0].startswith("Loan ID,Credit line,Bank,Borrower")
    assert "Outstanding principal (USD)" in text.splitlines()[0]


def test_impact_reports_verified_beside_projected_and_pcaf_financed_emissions(app, client, token_for, story):
    report = get(client, token_for("auditor"), "/api/v1/reports/impact").get_json()
    with app.app_context():
        confirmed = db.session.scalars(select(Verification).where(Verification.status == "confirmed")
                                       .order_by(Verification.id)).all()
        verified_co2e = sum((D(c.result["co2e_avoided_t_per_year"]) for c in confirmed), D(0))
        v = confirmed[0]  # the textile dyeing house (the rice mill is the other)
        dyeing = db.session.scalars(select(Loan).where(Loan.proposal_id == v.proposal_id)).one()
        owed, assets = dyeing.outstanding_principal, dyeing.proposal.enterprise.total_assets
        db.session.remove()
    assert D(report["co2e_t_per_year"]["verified"]) == verified_co2e
    assert D(report["co2e_t_per_year"]["projected"]) > D(report["co2e_t_per_year"]["projected_of_verified"])
    water = {i["stream"]: i for i in report["indicators"]}["water"]
    assert D(water["verified_saving"]) > 0 and water["verified_proposals"] == 1
    loans = {r["loan_id"]: r for r in report["financed_emissions"]["loans"]}
    mine = loans[dyeing.id]
    assert mine["data_quality"] == 1 and mine["attribution"] == round(float(owed / assets), 4)
    attributed = D(mine["enterprise_t_co2e_per_year"]) * owed / assets
    assert abs(D(mine["financed_t_co2e_per_year"]) - attributed) <= D("0.001")
    # Verified plants report quality 1; the coconut mill, measured but not yet verified, quality 3.
    assert sorted(r["data_quality"] for r in loans.values() if r["loan_id"] != dyeing.id) == [1, 3]
    assert get(client, token_for("auditor"), "/api/v1/reports/impact", format="xlsx").data[:2] == b"PK"


def test_the_sme_sees_its_own_flows_and_nobody_elses(client, story):
    client.post("/login", data={"email": OTHER_SME, "password": "green-credit-demo"})
    assert client.get("/reports/proposals/1/flows").status_code == 404
    client.post("/logout")
    client.post("/login", data={"email": "owner@textile.example", "password": "green-credit-demo"})
    page = client.get("/reports/proposals/1/flows").get_data(as_text=True)
    assert "<svg" in page and "as verified by the NCPC" in page and "water: 100,000 m3" in page


def test_the_pages_show_the_fund_its_capacity_and_a_bank_only_its_loans(client, story):
    client.post("/login", data={"email": "admin@fund.example", "password": "green-credit-demo"})
    page = client.get("/reports?cp_option=useful_by_products").get_data(as_text=True)
    assert "Guarantee capacity and grant budget" in page and "ISIC C10" in page and "ISIC C13" not in page
    assert 'href="/api/v1/reports/portfolio?cp_option=useful_by_products&amp;format=xlsx"' in page
    page = client.get("/reports?isic=%3D1").get_data(as_text=True)
    assert "showing everything instead" in page and '<a href="#f-isic">Sector</a>:' in page  # by label, not "isic"
    impact = client.get("/reports/impact").get_data(as_text=True)
    assert "Financed emissions (PCAF)" in impact and "136.154" in impact
    client.post("/logout")
    client.post("/login", data={"email": "officer@bank.example", "password": "green-credit-demo"})
    page = client.get("/reports").get_data(as_text=True)
    assert "Your bank's proposals and loans only" in page and "Guarantee capacity and grant budget" not in page
