"""The fund admin's pages (credit lines, organisations, users, audit trail) through the test client."""
import html as htmllib
import re

import pytest
from sqlalchemy import func, select

from creditline.auth.models import Organisation, User
from creditline.creditlines.models import CreditLine
from creditline.demo import DEMO_PASSWORD
from creditline.extensions import db


def sign_in(client, email):
    res = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
    assert res.status_code == 302, res.data


@pytest.fixture
def admin(client, demo):
    sign_in(client, "admin@fund.example")
    return client


def inline_errors(res) -> list[str]:
    found = re.findall(r'<small class="error"[^>]*>([^<]*)</small>', res.get_data(as_text=True))
    return [htmllib.unescape(e) for e in found]


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def org(app, name) -> int:
    with app.app_context():
        return db.session.execute(select(Organisation.id).where(Organisation.name == name)).scalar_one()


def line_form(app, **overrides):
    form = {"name": "GCTF Cambodia", "country": "KH", "currency": "USD", "rulebook": "gctf-vn@2007.1",
            "ncpc_id": org(app, "Viet Nam Cleaner Production Centre"), "fund_id": org(app, "Green Credit Trust Fund"),
            "bank_ids": [org(app, "Mekong Partner Bank")], "guarantee_capacity": "500000.00",
            "grant_budget": "200000.00", "status": "open", "opened_on": "2026-01-01"}
    form.update(overrides)
    return form


def test_fund_admin_nav_and_home_lead_to_the_management_pages(admin):
    html = admin.get("/").get_data(as_text=True)
    for href in ('href="/credit-lines"', 'href="/admin/users"', 'href="/audit"'):
        assert href in html
    assert "Manage credit lines" in html


def test_credit_line_list_shows_status_currency_capacity_and_budget(admin):
    res = admin.get("/credit-lines")
    html = res.get_data(as_text=True)
    assert res.status_code == 200
    assert "GCTF Viet Nam" in html and "badge-open" in html and "USD" in html
    assert "USD 3,000,000" in html  # the demo's grant budget
    assert "Mekong Partner Bank" in html
    closed = admin.get("/credit-lines?status=closed").get_data(as_text=True)
    assert "GCTF Viet Nam" not in closed and "No credit line is closed" in closed


def test_credit_line_form_creates_a_line(app, admin):
    res = admin.post("/credit-lines/new", data=line_form(app))
    assert res.status_code == 302 and res.headers["Location"] == "/credit-lines"
    with app.app_context():
        line = db.session.execute(select(CreditLine).where(CreditLine.name == "GCTF Cambodia")).scalar_one()
        assert (line.country, str(line.grant_budget), [b.name for b in line.banks]) == (
            "KH", "200000.00", ["Mekong Partner Bank"])
    assert "GCTF Cambodia" in admin.get("/credit-lines").get_data(as_text=True)


def test_credit_line_form_shows_every_problem_inline_and_saves_nothing(app, admin):
    before = count(app, CreditLine)
    res = admin.post("/credit-lines/new", data=line_form(
        app, name="GCTF Viet Nam", currency="dollars", grant_budget="-5", rulebook="gctf-vn@1999.9"))
    assert res.status_code == 422
    errors = inline_errors(res)
    assert "use an ISO 4217 code such as USD" in errors and "must be zero or more" in errors
    assert count(app, CreditLine) == before
    # Once the schema passes, the service's checks show inline too.
    res = admin.post("/credit-lines/new", data=line_form(app, name="GCTF Viet Nam", rulebook="gctf-vn@1999.9",
                                                         ncpc_id=org(app, "Mekong Partner Bank")))
    assert res.status_code == 422
    errors = inline_errors(res)
    assert "a credit line named 'GCTF Viet Nam' already exists" in errors
    assert "no rulebook gctf-vn version 1999.9 in rules/" in errors
    assert any("is a bank, not a ncpc" in e for e in errors)
    assert 'value="GCTF Viet Nam"' in res.get_data(as_text=True)  # the form keeps what was typed
    assert count(app, CreditLine) == before


def test_credit_line_edit_form_changes_banks_and_status(app, admin):
    with app.app_context():
        line = db.session.execute(select(CreditLine)).scalars().first().id
    page = admin.get(f"/credit-lines/{line}/edit").get_data(as_text=True)
    assert 'value="GCTF Viet Nam"' in page and "checked" in page
    form = line_form(app, name="GCTF Viet Nam", status="closed", bank_ids=[])
    for key in ("country", "fund_id", "opened_on"):
        form.pop(key)
    res = admin.post(f"/credit-lines/{line}/edit", data=form)
    assert res.status_code == 302
    with app.app_context():
        saved = db.session.get(CreditLine, line)
        assert (saved.status, saved.banks, str(saved.guarantee_capacity)) == ("closed", [], "500000.00")
    res = admin.post(f"/credit-lines/{line}/edit", data=dict(form, currency="EUR"))
    assert res.status_code == 422
    assert "proposals already use USD; the currency can no longer change" in inline_errors(res)


def test_organisations_page_filters_by_kind_and_creates(app, admin):
    html = admin.get("/admin/organisations?kind=bank").get_data(as_text=True)
    assert "Mekong Partner Bank" in html and "Viet Nam Cleaner Production Centre" not in html
    before = count(app, Organisation)
    res = admin.post("/admin/organisations", data={"kind": "bank", "name": "Mekong Partner Bank", "country": "vn1"})
    assert res.status_code == 422
    assert set(inline_errors(res)) >= {"use an ISO 3166 alpha-2 code such as VN"}
    res = admin.post("/admin/organisations", data={"kind": "bank", "name": "Mekong Partner Bank", "country": "VN"})
    assert res.status_code == 422 and "an organisation named 'Mekong Partner Bank' already exists" in inline_errors(res)
    assert count(app, Organisation) == before
    res = admin.post("/admin/organisations", data={"kind": "ncpc", "name": "Cambodia CP Centre", "country": "KH"})
    assert res.status_code == 302 and res.headers["Location"] == "/admin/organisations?kind=ncpc"
    assert count(app, Organisation) == before + 1


def test_users_page_paginates_and_filters(app, admin):
    with app.app_context():
        bank = db.session.execute(select(Organisation).where(Organisation.kind == "bank")).scalar_one()
        from creditline.auth.services import create_user
        for n in range(30):
            create_user(None, email=f"teller{n:02d}@bank.example", name=f"Teller {n}", password="long-enough-pw",
                        organisation_id=bank.id, roles=["bank_officer"])
        bank_id = bank.id
    first = admin.get("/admin/users").get_data(as_text=True)
    assert "Page 1 of 2" in first and "Next" in first
    officers = admin.get(f"/admin/users?organisation_id={bank_id}&role=bank_officer").get_data(as_text=True)
    assert "officer@bank.example" in officers and "committee@bank.example" not in officers
    assert "verifier@ncpc.example" not in officers
    none = admin.get("/admin/users?role=sme&organisation_id=999999").get_data(as_text=True)
    assert "Nothing matches these filters." in none


def test_new_user_form_validates_roles_against_the_organisation(app, admin):
    bank = org(app, "Mekong Partner Bank")
    before = count(app, User)
    res = admin.post("/admin/users/new", data={"email": "not-an-email", "name": "A", "password": "short",
                                              "organisation_id": bank, "roles": []})
    assert res.status_code == 422
    errors = inline_errors(res)
    assert "Enter an e-mail address such as name@example.org." in errors and "Length must be between 10 and 200." in errors
    res = admin.post("/admin/users/new", data={"email": "new@bank.example", "name": "New Officer",
                                              "password": "long-enough-pw", "organisation_id": bank,
                                              "roles": ["verifier"]})
    assert res.status_code == 422 and "a bank organisation cannot hold the role 'verifier'" in inline_errors(res)
    assert "long-enough-pw" not in res.get_data(as_text=True)
    assert count(app, User) == before
    res = admin.post("/admin/users/new", data={"email": "new@bank.example", "name": "New Officer",
                                              "password": "long-enough-pw", "organisation_id": bank,
                                              "roles": ["bank_officer", "credit_committee"]})
    assert res.status_code == 302
    with app.app_context():
        user = db.session.execute(select(User).where(User.email == "new@bank.example")).scalar_one()
        assert user.roles == {"bank_officer", "credit_committee"}


def test_user_page_changes_roles_resets_password_and_disables(app, admin, client):
    with app.app_context():
        officer = db.session.execute(select(User.id).where(User.email == "officer@bank.example")).scalar_one()
    res = admin.post(f"/admin/users/{officer}", data={"name": "Officer", "roles": ["senior_verifier"]})
    assert res.status_code == 422 and "a bank organisation cannot hold the role 'senior_verifier'" in inline_errors(res)
    res = admin.post(f"/admin/users/{officer}", data={"name": "Officer Two", "roles": ["bank_officer", "credit_committee"],
                                                      "password": "a-brand-new-password"})
    assert res.status_code == 302
    with app.app_context():
        user = db.session.get(User, officer)
        assert user.name == "Officer Two" and user.roles == {"bank_officer", "credit_committee"}
        assert user.check_password("a-brand-new-password")
    res = admin.post(f"/admin/users/{officer}/active", data={"active": "0"}, follow_redirects=True)
    assert "is disabled" in res.get_data(as_text=True) and "Enable account" in res.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, officer).active is False


def test_audit_page_filters_and_shows_before_and_after(app, admin):
    with app.app_context():
        line = db.session.execute(select(CreditLine)).scalars().first().id
    form = line_form(app, name="GCTF Viet Nam", grant_budget="2500000.00")
    for key in ("country", "fund_id", "opened_on"):
        form.pop(key)
    assert admin.post(f"/credit-lines/{line}/edit", data=form).status_code == 302
    html = admin.get(f"/audit?entity_type=credit_line&entity_id={line}").get_data(as_text=True)
    assert "Credit line: updated" in html and "admin@fund.example" in html  # events and fields as labels
    assert re.search(r"<strong>Grant budget</strong>:\s*3000000.00 → 2500000.00", html)
    mine = admin.get("/audit?actor_email=admin@fund.example").get_data(as_text=True)
    assert "Credit line: updated" in mine and "Organisation: created" not in mine
    assert "Nothing matches these filters." in admin.get("/audit?entity_type=loan&entity_id=424242").get_data(as_text=True)


@pytest.mark.parametrize("path", ["/credit-lines", "/credit-lines/new", "/admin/users", "/admin/organisations",
                                  "/admin/users/new"])
def test_other_roles_get_403_on_management_pages(client, demo, path):
    sign_in(client, "officer@bank.example")
    assert client.get(path).status_code == 403
    assert client.post(path, data={"name": "x"}).status_code in (403, 405)
