"""The platform's management API: organisations, users and credit lines, every change audited."""
from sqlalchemy import func, select

from creditline.audit.models import AuditEvent
from creditline.demo import DEMO_PASSWORD
from creditline.extensions import db


def event_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEvent))


def latest(client, headers, entity_type, entity_id, action=""):
    return client.get(f"/api/v1/audit-events?entity_type={entity_type}&entity_id={entity_id}"
                      + (f"&action={action}" if action else ""), headers=headers).get_json()["items"][0]


def org_id(client, admin, name):
    orgs = client.get("/api/v1/organisations?per_page=200", headers=admin).get_json()["items"]
    return next(o["id"] for o in orgs if o["name"] == name)


def user_id(client, admin, email):
    users = client.get("/api/v1/users?per_page=200", headers=admin).get_json()["items"]
    return next(u["id"] for u in users if u["email"] == email)


def test_organisations_filter_by_kind(client, token_for):
    admin = token_for("fund_admin")
    banks = client.get("/api/v1/organisations?kind=bank", headers=admin).get_json()
    assert [o["name"] for o in banks["items"]] == ["Mekong Partner Bank"] and banks["total"] == 1
    assert client.get("/api/v1/organisations?kind=club", headers=admin).status_code == 422


def test_patch_organisation_renames_and_is_audited(app, client, token_for):
    admin = token_for("fund_admin")
    bank = org_id(client, admin, "Mekong Partner Bank")
    res = client.patch(f"/api/v1/organisations/{bank}", headers=admin, json={"name": "Mekong Green Bank", "country": "KH"})
    assert res.status_code == 200
    assert res.get_json() == {"id": bank, "kind": "bank", "name": "Mekong Green Bank", "country": "KH"}
    event = latest(client, admin, "organisation", bank)
    assert event["action"] == "organisation.updated"
    assert event["before"] == {"name": "Mekong Partner Bank", "country": "VN"}
    assert event["after"] == {"name": "Mekong Green Bank", "country": "KH"}


def test_patch_organisation_rejects_a_taken_name_and_bad_fields(app, client, token_for):
    admin = token_for("fund_admin")
    bank = org_id(client, admin, "Mekong Partner Bank")
    before = event_count(app)
    res = client.patch(f"/api/v1/organisations/{bank}", headers=admin, json={"name": "Green Credit Trust Fund"})
    assert res.status_code == 422
    assert res.get_json()["errors"] == {"name": ["an organisation named 'Green Credit Trust Fund' already exists"]}
    res = client.patch(f"/api/v1/organisations/{bank}", headers=admin, json={"country": "Viet Nam", "kind": "fund"})
    assert res.status_code == 422 and set(res.get_json()["errors"]) == {"country", "kind"}
    assert client.patch("/api/v1/organisations/999999", headers=admin, json={"name": "Nobody"}).status_code == 404
    assert event_count(app) == before
    assert client.get(f"/api/v1/organisations/{bank}", headers=admin).get_json()["name"] == "Mekong Partner Bank"


def test_get_user_shows_roles_and_organisation(client, token_for):
    admin = token_for("fund_admin")
    officer = user_id(client, admin, "officer@bank.example")
    body = client.get(f"/api/v1/users/{officer}", headers=token_for("auditor")).get_json()
    assert body["email"] == "officer@bank.example" and body["roles"] == ["bank_officer"]
    assert body["organisation"]["name"] == "Mekong Partner Bank" and body["active"] is True
    assert "password" not in body and "password_hash" not in body
    assert client.get("/api/v1/users/999999", headers=admin).status_code == 404


def test_patch_user_changes_name_and_roles_validated_against_the_organisation(app, client, token_for):
    admin = token_for("fund_admin")
    officer = user_id(client, admin, "officer@bank.example")
    before = event_count(app)
    bad = client.patch(f"/api/v1/users/{officer}", headers=admin, json={"roles": ["bank_officer", "verifier"]})
    assert bad.status_code == 422
    assert bad.get_json()["errors"] == {"roles": ["a bank organisation cannot hold the role 'verifier'"]}
    assert client.patch(f"/api/v1/users/{officer}", headers=admin, json={"roles": []}).status_code == 422
    assert client.patch(f"/api/v1/users/{officer}", headers=admin, json={"roles": ["boss"]}).status_code == 422
    assert event_count(app) == before
    ok = client.patch(f"/api/v1/users/{officer}", headers=admin,
                      json={"name": "Nguyen Van B", "roles": ["bank_officer", "credit_committee"]})
    assert ok.status_code == 200
    assert ok.get_json()["roles"] == ["bank_officer", "credit_committee"] and ok.get_json()["name"] == "Nguyen Van B"
    event = latest(client, admin, "user", officer)
    assert event["action"] == "user.updated"
    assert event["before"]["roles"] == ["bank_officer"]
    assert event["after"]["roles"] == ["bank_officer", "credit_committee"]
    assert event["after"]["name"] == "Nguyen Van B" and "password_reset" not in event["after"]


def test_password_reset_ends_old_tokens_and_the_old_password(app, client, token_for):
    admin = token_for("fund_admin")
    officer_headers = token_for("bank_officer")
    officer = user_id(client, admin, "officer@bank.example")
    short = client.patch(f"/api/v1/users/{officer}", headers=admin, json={"password": "short"})
    assert short.status_code == 422 and "password" in short.get_json()["errors"]
    res = client.patch(f"/api/v1/users/{officer}", headers=admin, json={"password": "a-brand-new-password"})
    assert res.status_code == 200
    assert client.get("/api/v1/auth/me", headers=officer_headers).status_code == 401
    login = lambda pw: client.post("/api/v1/auth/token", json={"email": "officer@bank.example", "password": pw})  # noqa: E731
    assert login(DEMO_PASSWORD).status_code == 401
    assert login("a-brand-new-password").status_code == 201
    event = latest(client, admin, "user", officer, "user.updated")
    assert event["after"]["password_reset"] is True
    assert "a-brand-new-password" not in str(event)


def test_an_admin_cannot_take_away_their_own_admin_role(client, token_for):
    admin = token_for("fund_admin")
    me = client.get("/api/v1/auth/me", headers=admin).get_json()["id"]
    res = client.patch(f"/api/v1/users/{me}", headers=admin, json={"roles": ["auditor"]})
    assert res.status_code == 422
    assert res.get_json()["errors"]["roles"] == ["you cannot take the fund_admin role from yourself"]


def test_disable_and_enable_are_audited(client, token_for):
    admin = token_for("fund_admin")
    officer = user_id(client, admin, "officer@bank.example")
    assert client.post(f"/api/v1/users/{officer}/disable", headers=admin).get_json()["active"] is False
    assert latest(client, admin, "user", officer)["action"] == "user.disabled"
    assert client.post(f"/api/v1/users/{officer}/enable", headers=admin).get_json()["active"] is True
    event = latest(client, admin, "user", officer)
    assert (event["action"], event["before"], event["after"]) == ("user.enabled", {"active": False}, {"active": True})


def test_credit_line_patch_changes_ncpc_banks_status_and_money(client, token_for, outsiders):
    admin = token_for("fund_admin")
    line = outsiders["line"]
    other_bank = org_id(client, admin, "Mekong Partner Bank")
    demo_ncpc = org_id(client, admin, "Viet Nam Cleaner Production Centre")
    res = client.patch(f"/api/v1/credit-lines/{line}", headers=admin, json={
        "ncpc_id": demo_ncpc, "bank_ids": [other_bank], "status": "closed", "currency": "EUR",
        # A currency change takes a rulebook written in the new currency with it.
        "rulebook_id": "ebrd-ee", "rulebook_version": "2024.1",
        "guarantee_capacity": "750000.50", "grant_budget": "250000.25"})
    assert res.status_code == 200, res.get_json()
    body = res.get_json()
    assert (body["ncpc_id"], body["status"], body["currency"]) == (demo_ncpc, "closed", "EUR")
    assert [b["id"] for b in body["banks"]] == [other_bank]
    assert (body["guarantee_capacity"], body["grant_budget"]) == ("750000.50", "250000.25")
    event = latest(client, admin, "credit_line", line)
    assert event["before"]["currency"] == "USD" and event["after"]["currency"] == "EUR"
    assert event["after"]["bank_ids"] == [other_bank] and event["after"]["grant_budget"] == "250000.25"


def test_credit_line_patch_refuses_bad_references_and_a_currency_change_once_proposals_exist(app, client, token_for):
    admin = token_for("fund_admin")
    line = client.get("/api/v1/credit-lines", headers=admin).get_json()["items"][0]
    bank = org_id(client, admin, "Mekong Partner Bank")
    before = event_count(app)
    res = client.patch(f"/api/v1/credit-lines/{line['id']}", headers=admin, json={
        "currency": "EUR", "ncpc_id": bank, "bank_ids": [999999], "grant_budget": "-1.00", "status": "paused"})
    assert res.status_code == 422
    assert set(res.get_json()["errors"]) == {"grant_budget", "status"}  # the schema answers first
    res = client.patch(f"/api/v1/credit-lines/{line['id']}", headers=admin, json={
        "currency": "EUR", "ncpc_id": bank, "bank_ids": [999999]})
    assert res.status_code == 422
    errors = res.get_json()["errors"]
    assert errors["currency"] == ["proposals already use USD; the currency can no longer change"]
    assert errors["ncpc_id"] == [f"organisation {bank} is a bank, not a ncpc"]
    assert errors["bank_ids"] == ["organisation 999999 does not exist"]
    assert event_count(app) == before
    after = client.get(f"/api/v1/credit-lines/{line['id']}", headers=admin).get_json()
    assert (after["currency"], after["ncpc_id"], [b["id"] for b in after["banks"]]) == ("USD", line["ncpc_id"], [bank])


def test_credit_line_money_never_falls_below_what_is_committed(app, client, story, token_for):
    # The story's fund has issued USD 160,000 of cover (40,000 + 75,000 + 45,000) and paid the dyeing
    # grant of USD 20,000: a capacity or budget under that would leave "remaining" negative.
    admin = token_for("fund_admin")
    line = client.get("/api/v1/credit-lines", headers=admin).get_json()["items"][0]
    before = event_count(app)
    res = client.patch(f"/api/v1/credit-lines/{line['id']}", headers=admin,
                       json={"guarantee_capacity": "159999.99", "grant_budget": "19999.99"})
    assert res.status_code == 422, res.get_json()
    errors = res.get_json()["errors"]
    assert errors["guarantee_capacity"] == ["the fund has committed USD 160,000.00 of guarantees on this line; "
                                            "the capacity cannot be less"]
    assert errors["grant_budget"] == ["grants of USD 20,000.00 are approved or paid on this line; "
                                      "the budget cannot be less"]
    assert event_count(app) == before
    after = client.get(f"/api/v1/credit-lines/{line['id']}", headers=admin).get_json()
    assert (after["guarantee_capacity"], after["grant_budget"]) == (line["guarantee_capacity"], line["grant_budget"])
    # Exactly what is committed is allowed: nothing is left, nothing is over-committed.
    res = client.patch(f"/api/v1/credit-lines/{line['id']}", headers=admin,
                       json={"guarantee_capacity": "160000.00", "grant_budget": "20000.00"})
    assert res.status_code == 200, res.get_json()
    exposure = client.get(f"/api/v1/credit-lines/{line['id']}/exposure", headers=admin).get_json()
    assert (exposure["committed"], exposure["remaining_capacity"]) == ("160000.00", "0.00")
