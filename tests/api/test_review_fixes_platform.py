"""Review fixes: sessions end on a reset, rulebook currency, huge ids, form row counts, N+1, cost items."""
import time

import pytest
from sqlalchemy import event, select

from creditline.auth.models import User
from creditline.creditlines.models import CreditLine
from creditline.extensions import db

from ..factories import proposal_body
from .test_admin_pages import count, inline_errors, line_form, org, sign_in

HUGE = 99999999999999999999


def user_id(app, email: str) -> int:
    with app.app_context():
        return db.session.execute(select(User.id).where(User.email == email)).scalar_one()


def line_state(app) -> tuple:
    with app.app_context():
        line = db.session.execute(select(CreditLine).order_by(CreditLine.id)).scalars().first()
        return line.id, line.rulebook_id, line.rulebook_version, line.currency, line.ncpc_id


# 1. A password reset or a disable ends the user's web sessions, not only their tokens.

@pytest.mark.parametrize("change", ["reset", "disable"])
def test_a_reset_or_a_disable_signs_the_user_out_of_every_browser(app, client, token_for, session_for, change):
    verifier = session_for("verifier")
    assert verifier.get("/api/v1/auth/me").status_code == 200
    target = user_id(app, "verifier@ncpc.example")
    admin = token_for("fund_admin")
    if change == "reset":
        res = client.patch(f"/api/v1/users/{target}", headers=admin, json={"password": "a-brand-new-pass-123"})
    else:
        res = client.post(f"/api/v1/users/{target}/disable", headers=admin)
    assert res.status_code == 200, res.get_json()
    page = verifier.get("/proposals/reviews")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    assert verifier.get("/api/v1/auth/me").status_code == 401


def test_a_disable_then_enable_does_not_bring_the_old_session_back(app, session_for):
    from creditline.auth.services import set_user_active
    from creditline.auth.permissions import Actor

    verifier = session_for("verifier")
    with app.app_context():
        admin = db.session.execute(select(User).where(User.email == "admin@fund.example")).scalar_one()
        target = user_id(app, "verifier@ncpc.example")
        set_user_active(Actor.of(admin), target, False)
        set_user_active(Actor.of(admin), target, True)
        db.session.remove()
    assert verifier.get("/api/v1/auth/me").status_code == 401
    assert session_for("verifier").get("/api/v1/auth/me").status_code == 200  # signing in again works


def test_the_admin_page_reset_signs_the_user_out_but_keeps_the_admin_signed_in(app, session_for):
    verifier = session_for("verifier")
    admin = session_for("fund_admin")
    target = user_id(app, "verifier@ncpc.example")
    res = admin.post(f"/admin/users/{target}", data={"name": "Le Minh Chau", "password": "another-new-pass-1",
                                                     "roles": ["verifier"]})
    assert res.status_code == 302
    assert verifier.get("/api/v1/auth/me").status_code == 401
    me = user_id(app, "admin@fund.example")
    res = admin.post(f"/admin/users/{me}", data={"name": "Fund Admin", "password": "admin-new-pass-12",
                                                 "roles": ["fund_admin"]})
    assert res.status_code == 302 and admin.get("/api/v1/auth/me").status_code == 200


def test_other_changes_keep_the_session(app, client, token_for, session_for):
    verifier = session_for("verifier")
    target = user_id(app, "verifier@ncpc.example")
    res = client.patch(f"/api/v1/users/{target}", headers=token_for("fund_admin"), json={"name": "Le M. Chau"})
    assert res.status_code == 200
    assert verifier.get("/api/v1/auth/me").status_code == 200


# 2. A credit line's rulebook must lend in the line's currency.

def test_the_api_refuses_a_rulebook_in_another_currency(app, client, token_for):
    admin = token_for("fund_admin")
    before = line_state(app)
    res = client.patch(f"/api/v1/credit-lines/{before[0]}", headers=admin,
                       json={"rulebook_id": "ebrd-ee", "rulebook_version": "2024.1"})
    assert res.status_code == 422
    assert res.get_json()["errors"]["rulebook_id"] == [
        "rulebook ebrd-ee 2024.1 is written in EUR; the credit line lends in USD"]
    assert line_state(app) == before
    lines = count(app, CreditLine)
    body = {"name": "EBRD Cambodia", "country": "KH", "currency": "USD", "rulebook_id": "ebrd-ee",
            "rulebook_version": "2024.1", "ncpc_id": org(app, "Viet Nam Cleaner Production Centre"),
            "fund_id": org(app, "Green Credit Trust Fund"), "guarantee_capacity": "1.00", "grant_budget": "1.00"}
    res = client.post("/api/v1/credit-lines", headers=admin, json=body)
    assert res.status_code == 422 and list(res.get_json()["errors"]) == ["rulebook_id"]
    assert count(app, CreditLine) == lines
    res = client.post("/api/v1/credit-lines", headers=admin, json={**body, "currency": "EUR"})
    assert res.status_code == 201 and res.get_json()["currency"] == "EUR"


def test_the_pages_refuse_a_rulebook_in_another_currency(app, client, demo):
    sign_in(client, "admin@fund.example")
    before = line_state(app)
    res = client.post(f"/credit-lines/{before[0]}/edit",
                      data={"name": "GCTF Viet Nam", "rulebook": "ebrd-ee@2024.1", "status": "open"})
    assert res.status_code == 422
    assert "rulebook ebrd-ee 2024.1 is written in EUR; the credit line lends in USD" in inline_errors(res)
    assert line_state(app) == before
    lines = count(app, CreditLine)
    res = client.post("/credit-lines/new", data=line_form(app, rulebook="ebrd-ee@2024.1"))
    assert res.status_code == 422 and count(app, CreditLine) == lines


# 3. Ids and page numbers no database column can hold answer 422 or 404, never 500.

API_CASES = [
    ("get", f"/api/v1/audit-events?entity_id={HUGE}", None, "entity_id"),
    ("get", f"/api/v1/audit-events?actor_id={HUGE}", None, "actor_id"),
    ("get", f"/api/v1/users?organisation_id={HUGE}", None, "organisation_id"),
    ("get", f"/api/v1/users?page={HUGE}", None, "page"),
    ("get", f"/api/v1/audit-events?page={HUGE}", None, "page"),
    ("patch", "/api/v1/credit-lines/{line}", {"ncpc_id": HUGE}, "ncpc_id"),
    ("patch", "/api/v1/credit-lines/{line}", {"bank_ids": [HUGE]}, "bank_ids"),
    ("patch", "/api/v1/credit-lines/{line}", {"ncpc_id": 0}, "ncpc_id"),
    ("post", "/api/v1/users", {"email": "a@b.example", "name": "abc", "password": "x" * 12,
                               "organisation_id": HUGE, "roles": ["sme"]}, "organisation_id"),
    ("post", "/api/v1/enterprises", {"organisation_id": HUGE}, "organisation_id"),
]


@pytest.mark.parametrize("method,url,body,field", API_CASES)
def test_huge_ids_in_the_api_are_422_naming_the_field(app, client, token_for, method, url, body, field):
    before = line_state(app)
    res = getattr(client, method)(url.format(line=before[0]), headers=token_for("fund_admin"), json=body)
    assert res.status_code == 422, res.get_json()
    assert field in res.get_json()["errors"]
    assert line_state(app) == before


def test_huge_ids_in_proposal_bodies_are_422(client, token_for, ids):
    res = client.post("/api/v1/proposals", headers=token_for("sme"), json=proposal_body(ids["line"], HUGE))
    assert res.status_code == 422 and "enterprise_id" in res.get_json()["errors"]
    res = client.post("/api/v1/score", headers=token_for("sme"), json=proposal_body(HUGE, ids["ent"]))
    assert res.status_code == 422 and "credit_line_id" in res.get_json()["errors"]


PAGE_CASES = [
    ("post", "/credit-lines/{line}/edit", {"name": "GCTF Viet Nam", "ncpc_id": str(HUGE), "status": "open"}, 422),
    ("post", "/admin/users/new", {"email": "a@b.example", "name": "abc", "password": "x" * 12,
                                  "organisation_id": str(HUGE), "roles": ["sme"]}, 422),
    ("get", f"/audit?entity_type=user&page={HUGE}", None, 200),
    ("get", f"/audit?entity_id={HUGE}&actor_id=-3&page=abc", None, 200),
    ("get", f"/admin/users?page={HUGE}&organisation_id={HUGE}", None, 200),
    ("get", f"/admin/organisations?page={HUGE}", None, 200),
    ("get", f"/credit-lines?page={HUGE}", None, 200),
    ("get", "/credit-lines?page=" + "9" * 5000, None, 200),
]


@pytest.mark.parametrize("method,url,form,status", PAGE_CASES)
def test_huge_ids_and_pages_in_the_pages_never_give_500(app, client, demo, method, url, form, status):
    sign_in(client, "admin@fund.example")
    users = count(app, User)
    before = line_state(app)
    res = getattr(client, method)(url.format(line=before[0]), data=form)
    assert res.status_code == status
    assert count(app, User) == users and line_state(app) == before


def test_page_lists_of_other_areas_survive_huge_pages_too(client, demo):
    sign_in(client, "owner@textile.example")
    assert client.get(f"/proposals?page={HUGE}").status_code == 200


# 4. The proposal form's row counts are parsed safely and bounded.

@pytest.mark.parametrize("rows", ["abc", "-5", "1e9", "3000000", "9" * 5000])
def test_garbage_or_huge_row_counts_neither_fail_nor_spin(client, demo, ids, rows):
    sign_in(client, "owner@textile.example")
    form = {"credit_line_id": ids["line"], "enterprise_id": ids["ent"], "title": "Kiln heat recovery",
            "currency": "USD"}
    started = time.monotonic()
    res = client.post("/proposals/new", data={**form, "cost_rows": rows, "indicator_rows": rows})
    assert res.status_code == 302
    assert time.monotonic() - started < 2


def test_row_count_is_clamped():
    from werkzeug.datastructures import MultiDict

    from creditline.proposals.forms import MAX_FORM_ROWS, row_count

    assert [row_count(MultiDict({"n": v}), "n") for v in ("", "abc", "-1", "7", "101", "3000000")] == \
        [0, 0, 0, 7, MAX_FORM_ROWS, MAX_FORM_ROWS]


# 5. The credit line list loads each line's NCPC in one query, not one per line.

def test_the_credit_line_list_does_not_query_per_line(app, client, token_for):
    admin = token_for("fund_admin")
    for i in range(6):
        ncpc = client.post("/api/v1/organisations", headers=admin,
                           json={"kind": "ncpc", "name": f"NCPC {i}", "country": "VN"}).get_json()["id"]
        res = client.post("/api/v1/credit-lines", headers=admin, json={
            "name": f"Line {i}", "country": "VN", "currency": "USD", "rulebook_id": "gctf-vn",
            "rulebook_version": "2007.1", "ncpc_id": ncpc, "fund_id": org(app, "Green Credit Trust Fund"),
            "guarantee_capacity": "1.00", "grant_budget": "1.00"})
        assert res.status_code == 201
    sign_in(client, "admin@fund.example")
    queries = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args, **kwargs: queries.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        res = client.get("/credit-lines")
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert res.status_code == 200 and "NCPC 5" in res.get_data(as_text=True)
    assert len([q for q in queries if "FROM organisation" in q]) <= 3, queries


# 6. Eligible cost items above the investment are refused when scoring, as when submitting.

OVER = [{"category": "equipment", "description": "kiln", "amount": "90000.00"},
        {"category": "installation", "description": "", "amount": "20000.00"}]


def test_what_if_refuses_eligible_items_above_the_investment(client, token_for, ids):
    body = proposal_body(ids["line"], ids["ent"], cost_items=OVER)
    del body["eligible_cost"]
    res = client.post("/api/v1/score", headers=token_for("sme"), json=body)
    assert res.status_code == 422
    assert res.get_json()["errors"]["cost_items"] == [
        "the eligible cost items add up to 110000.00, more than the investment 100000.00"]
    ok = client.post("/api/v1/score", headers=token_for("sme"), json={**body, "cost_items": OVER[:1]})
    assert ok.status_code == 200 and ok.get_json()["eligible_costs"]["total"] == "90000.00"


def test_submission_refuses_them_naming_cost_items(client, token_for, ids):
    sme = token_for("sme")
    body = proposal_body(ids["line"], ids["ent"], cost_items=OVER)
    del body["eligible_cost"]
    res = client.post("/api/v1/proposals", headers=sme, json=body)
    assert res.status_code == 201 and res.get_json()["eligible_cost"] == "110000.00"
    pid = res.get_json()["id"]
    res = client.post(f"/api/v1/proposals/{pid}/submit", headers=sme, json={})
    assert res.status_code == 422 and "cost_items" in res.get_json()["errors"]
    assert client.get(f"/api/v1/proposals/{pid}", headers=sme).get_json()["status"] == "draft"
