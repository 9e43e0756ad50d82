"""Importing a loan tape: round trip with the export, whole-file validation, permissions, dry run, no double import."""
from __future__ import annotations

import csv
import io
from decimal import Decimal

from sqlalchemy import func, select

from creditline.audit.models import AuditEvent
from creditline.audit.services import verify_chain
from creditline.extensions import db
from creditline.guarantees.models import Guarantee
from creditline.loans.models import Disbursement, Installment, Loan, Payment
from creditline.notifications.models import Notification
from creditline.proposals.models import Proposal

from .test_reports import get

URL = "/api/v1/reports/loan-tape/import"
# What the import does not carry: the source's own id.
NOT_CARRIED = {"loan_id"}
TABLES = (Proposal, Loan, Installment, Disbursement, Payment, Guarantee, AuditEvent)


def _export(client, headers) -> str:
    return get(client, headers, "/api/v1/reports/loan-tape").get_data(as_text=True)


def _post(client, headers, body: str | bytes, name: str = "tape.csv", **query):
    data = body.encode() if isinstance(body, str) else body
    return client.post(URL, headers=headers, query_string=query,
                       data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def _counts(app) -> dict[str, int]:
    with app.app_context():
        counts = {m.__name__: db.session.scalar(select(func.count()).select_from(m)) for m in TABLES}
        db.session.remove()
    return counts


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _csv(rows: list[dict[str, str]], header: list[str] | None = None) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, header or list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def test_an_exported_tape_imports_to_loans_with_the_same_figures(app, client, token_for, story):  # noqa: F811
    admin = token_for("fund_admin")
    before = get(client, admin, "/api/v1/reports/loan-tape", format="json").get_json()["items"]
    res = _post(client, admin, _export(client, admin), "book.csv")
    assert res.status_code == 201, res.get_json()
    summary = res.get_json()
    assert summary["rows"] == len(before) >= 2
    assert summary["created"]["guarantees"] == sum(1 for r in before if r["guarantee_status"])
    after = get(client, admin, "/api/v1/reports/loan-tape", format="json").get_json()["items"]
    imported = {r["loan_id"]: r for r in after if r["loan_id"] in {x["loan_id"] for x in summary["loans"]}}
    for original, made in zip(before, summary["loans"]):
        row = imported[made["loan_id"]]
        assert {k: v for k, v in row.items() if k not in NOT_CARRIED} == \
               {k: v for k, v in original.items() if k not in NOT_CARRIED}
    # Each object says where it came from, once, and the import itself once more.
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action.endswith(".import"))).all()
        kinds = sorted(e.entity_type for e in events)
        n = len(before)
        assert kinds.count("loan") == n and kinds.count("proposal") == n and kinds.count("loan_tape") == 1
        assert all("imported from loan tape book.csv (sha256 " + summary["sha256"] in e.after["note"]
                   for e in events)
        # The file's events, chained together at its end, verify; their hand-offs were told in order
        # (an imported loan already paid out asks nobody to disburse it).
        assert verify_chain().ok
        paid_out = [m["loan_id"] for m in summary["loans"] if m["disbursement_id"]]
        asks = db.session.scalars(select(Notification).where(Notification.kind == "loan_to_disburse",
                                                             Notification.entity_id.in_(paid_out))).all()
        assert paid_out and asks and all(n.resolved_at is not None for n in asks)
        db.session.remove()


def test_one_bad_cell_names_its_row_and_column_and_stores_nothing(app, client, token_for, story):  # noqa: F811
    admin = token_for("fund_admin")
    rows = _rows(_export(client, admin))
    header = list(rows[0])
    # Rows 2 to 7 of the sheet: the story's two loans three times over, row 7 with a bad rate.
    tape = [dict(rows[n % 2], **{"Loan ID": f"T{n}"}) for n in range(6)]
    tape[5]["Annual interest rate (share)"] = "eight percent"
    counts = _counts(app)
    res = _post(client, admin, _csv(tape, header))
    assert res.status_code == 422
    assert res.get_json()["errors"] == {"row 7: Annual interest rate (share)": [
        "must be a share from 0 to 1 such as 0.085, not 'eight percent'"]}
    assert _counts(app) == counts


def test_only_a_fund_admin_imports_and_a_dry_run_stores_nothing(app, client, token_for, story):  # noqa: F811
    admin = token_for("fund_admin")
    text = _export(client, admin)
    for who in ("bank_officer", "sme"):
        assert _post(client, token_for(who), text).status_code == 403
    counts = _counts(app)
    dry = _post(client, admin, text, dry_run=1)
    loans = len(_rows(text))
    assert dry.status_code == 200 and dry.get_json()["dry_run"] is True and dry.get_json()["rows"] == loans
    # A rule only the loan service knows (a rate below 1) still names the row and the column.
    rows = _rows(text)
    rows[1]["Annual interest rate (share)"] = "1"
    refused = _post(client, admin, _csv(rows), dry_run=1)
    assert refused.status_code == 422 and list(refused.get_json()["errors"]) == ["row 3: Annual interest rate (share)"]
    # A tape whose payments do not rebuild its balance is refused with the system's figure.
    rows = _rows(text)
    rows[0]["Total paid (USD)"] = str(Decimal(rows[0]["Total paid (USD)"]) - 100)
    differs = _post(client, admin, _csv(rows), dry_run=1).get_json()["errors"]
    assert "leave" in differs["row 2: Outstanding principal (ccy)"][0]
    workbook = get(client, admin, "/api/v1/reports/loan-tape", format="xlsx").get_data()
    dry_xlsx = _post(client, admin, workbook, "book.xlsx", dry_run="true")
    assert dry_xlsx.status_code == 200 and dry_xlsx.get_json()["rows"] == loans
    assert _counts(app) == counts
    assert _post(client, admin, text).status_code == 201
    twice = _post(client, admin, text, "renamed.csv")
    assert twice.status_code == 409 and "already imported" in twice.get_json()["message"]


def test_the_import_page_lists_problems_by_row_and_column_then_imports(app, client, token_for, session_for, story):  # noqa: F811
    text = _export(client, token_for("fund_admin"))
    assert session_for("bank_officer").get("/reports/loan-tape/import").status_code == 403
    page = session_for("fund_admin")
    bad = text.replace("Borrower", "Borower", 1)
    res = page.post("/reports/loan-tape/import", data={"file": (io.BytesIO(bad.encode()), "bad.csv"),
                                                       "action": "import"}, content_type="multipart/form-data")
    html = res.get_data(as_text=True)
    assert res.status_code == 200 and "missing column(s): Borrower" in html and "Imported" not in html
    res = page.post("/reports/loan-tape/import", data={"file": (io.BytesIO(text.encode()), "book.csv"),
                                                       "action": "import"}, content_type="multipart/form-data")
    html = res.get_data(as_text=True)
    loans = len(_rows(text))
    assert f"Imported {loans} loan(s) from book.csv" in html and html.count('href="/loans/') == loans
    # Its proposal shows it was imported, in place of a rulebook's score.
    with app.app_context():
        newest = db.session.scalar(select(func.max(Proposal.id)))
        db.session.remove()
    html = page.get(f"/proposals/{newest}").get_data(as_text=True)
    assert 'data-testid="imported-proposal"' in html and "imported from loan tape book.csv" in html
