"""A loan tape brings verified projects in with their grants: round trip into an empty line, the grant as the
app's own (reports, pages, paid once), grant cells checked as a whole, and two imports at once store it once."""
from __future__ import annotations

import io
import threading

from sqlalchemy import func, select

from creditline.creditlines.models import CreditLine
from creditline.extensions import db
from creditline.grants.models import Grant
from creditline.verifications.models import Verification

from .test_loan_tape_import import URL, _counts, _csv, _export, _post, _rows
from .test_reports import get

LINE = "Imported book"
NOT_CARRIED = {"Loan ID", "Credit line"}


def _empty_line(app) -> int:
    """A second credit line like the demo's, with nothing on it yet."""
    with app.app_context():
        demo = db.session.scalar(select(CreditLine).order_by(CreditLine.id).limit(1))
        line = CreditLine(name=LINE, country=demo.country, currency=demo.currency, rulebook_id=demo.rulebook_id,
                          rulebook_version=demo.rulebook_version, ncpc_id=demo.ncpc_id, fund_id=demo.fund_id,
                          guarantee_capacity=demo.guarantee_capacity, grant_budget=demo.grant_budget,
                          opened_on=demo.opened_on, banks=list(demo.banks))
        db.session.add(line)
        db.session.commit()
        line_id = line.id
        db.session.remove()
    return line_id


def _grants(app) -> int:
    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(Grant))
        db.session.remove()
    return n


def test_the_demo_book_exported_imported_into_an_empty_line_and_exported_again_is_identical(
        app, client, token_for, session_for, story):  # noqa: F811
    admin = token_for("fund_admin")
    line_id = _empty_line(app)
    original = _rows(_export(client, admin))
    assert {r["Grant status"] for r in original} == {"paid", "calculated", ""}
    res = _post(client, admin, _csv([dict(r, **{"Credit line": LINE}) for r in original]), "book.csv")
    assert res.status_code == 201, res.get_json()
    summary = res.get_json()
    assert (summary["created"]["verifications"], summary["created"]["grants"]) == (2, 2)
    again = _rows(get(client, admin, "/api/v1/reports/loan-tape", credit_line_id=line_id).get_data(as_text=True))
    assert [{k: v for k, v in r.items() if k not in NOT_CARRIED} for r in again] == \
           [{k: v for k, v in r.items() if k not in NOT_CARRIED} for r in original]
    # The reports read the imported grants and verifications as the demo's own.
    budget = {ln["line"]: ln for ln in get(client, admin, "/api/v1/reports/portfolio").get_json()["lines"]}
    assert (budget[LINE]["grants_paid"], budget[LINE]["grants_committed"]) == ("20000.00", "20000.00")
    impact = {n: get(client, admin, "/api/v1/reports/impact", credit_line_id=i).get_json()["co2e_t_per_year"]
              for n, i in (("demo", 1), ("imported", line_id))}
    assert impact["imported"]["verified"] == impact["demo"]["verified"] != "0.000"
    paid = next(m for m in summary["loans"] if m["grant_status"] == "paid")
    # Paid exactly once: a second payment is refused, and the loan shows the reduction.
    again_paid = client.post(f"/api/v1/grants/{paid['grant_id']}/pay", headers=admin, json={})
    assert again_paid.status_code == 409 and again_paid.get_json()["current_state"] == "paid"
    page = session_for("fund_admin")
    reference = f"GR-{paid['grant_id']:06d}"
    assert f"grant {reference}" in page.get(f"/loans/{paid['loan_id']}").get_data(as_text=True)
    assert reference in page.get("/grants?status=paid").get_data(as_text=True)
    verification = page.get(f"/verifications/{paid['verification_id']}")
    assert verification.status_code == 200 and "imported from loan tape book.csv" in verification.get_data(as_text=True)
    calculated = next(m for m in summary["loans"] if m["grant_status"] == "calculated")
    approve = client.post(f"/api/v1/grants/{calculated['grant_id']}/approve", headers=admin, json={})
    assert approve.status_code == 200 and approve.get_json()["status"] == "approved"


def test_grant_cells_are_checked_as_a_whole_by_row_and_column_and_nothing_is_stored(
        app, client, token_for, story):  # noqa: F811
    admin = token_for("fund_admin")
    rows = _rows(_export(client, admin))
    paid = next(r for r in rows if r["Grant status"] == "paid")
    calculated = next(r for r in rows if r["Grant status"] == "calculated")
    tape = [dict(paid, **{"Loan ID": "T1", "Grant amount (USD)": "24000.00"}),
            dict(calculated, **{"Loan ID": "T2", "Verifier": "Mekong Partner Bank"}),
            dict(paid, **{"Loan ID": "T3", "Grant approved on": "2026-10-19"}),
            dict(calculated, **{"Loan ID": "T4", "Baseline per output unit": "90; 12"}),
            dict(calculated, **{"Loan ID": "T5", "Grant status": "blocked"})]
    counts, grants = _counts(app), _grants(app)
    res = _post(client, admin, _csv(tape))
    assert res.status_code == 422
    assert res.get_json()["errors"] == {
        "row 2: Grant amount (ccy)": ["rulebook gctf-vn 2007.1 in force on 2026-10-20 gives 20000.00 (0.25 of the "
                                      "principal 80000.00)"],
        "row 3: Verifier": ["the line's verifications are the NCPC's: Viet Nam Cleaner Production Centre, not "
                            "'Mekong Partner Bank'"],
        "row 4: Grant approved on": ["a grant is approved after the verification was confirmed (2026-10-20)"],
        "row 5: Verified indicators (unit)": ["1 indicator(s) need as many baseline and achieved figures, separated "
                                              "by ';' (found 2 and 1)"],
        "row 6: Grant status": ["only a calculated, approved or paid grant can be imported, not 'blocked'"]}
    assert (_counts(app), _grants(app)) == (counts, grants)


def test_two_imports_of_one_tape_at_once_store_it_once(app, client, token_for, story):  # noqa: F811
    admin = token_for("fund_admin")
    body = _export(client, admin).encode()
    grants = _grants(app)
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def one() -> None:
        mine = app.test_client()
        barrier.wait()
        res = mine.post(URL, headers=admin, data={"file": (io.BytesIO(body), "book.csv")},
                        content_type="multipart/form-data")
        statuses.append(res.status_code)
    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [201, 409]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Verification)) == 4
        db.session.remove()
    assert _grants(app) == grants + 2
