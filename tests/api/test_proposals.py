"""Drafting proposals: partial drafts, bad input named by field, nothing saved on rejection."""
import pytest
from sqlalchemy import func, select

from creditline.extensions import db
from creditline.proposals.models import Proposal

from ..factories import proposal_body


def count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Proposal))


def test_incomplete_draft_is_saved(client, token_for, ids):
    res = client.post("/api/v1/proposals", headers=token_for("sme"), json={
        "credit_line_id": ids["line"], "enterprise_id": ids["ent"], "title": "Heat recovery"})
    assert res.status_code == 201
    body = res.get_json()
    assert body["status"] == "draft" and body["currency"] == "USD"
    assert "submitted" in body["allowed_transitions"]


def test_full_draft_round_trips_money_as_strings(client, token_for, ids):
    res = client.post("/api/v1/proposals", headers=token_for("sme"), json=proposal_body(ids["line"], ids["ent"]))
    assert res.status_code == 201, res.get_json()
    got = client.get(f"/api/v1/proposals/{res.get_json()['id']}", headers=token_for("sme")).get_json()
    assert got["investment"] == "100000.00" and got["loan_amount"] == "80000.00"
    assert got["indicators"][0]["baseline_quantity"].startswith("100000")
    assert got["technology"]["class"] == "textile_dyeing_low_liquor_ratio"


@pytest.mark.parametrize("override,field,fragment", [
    ({"loan_amount": "120000.00"}, "loan_amount", "larger than the investment"),
    ({"investment": "0"}, "investment", "more than zero"),
    ({"cp_options": ["magic"]}, "cp_options", "unknown CP option type 'magic'"),
    ({"currency": "EUR"}, "currency", "lends in USD, not EUR"),
    ({"indicators": [{"stream": "unobtainium", "unit": "kg", "baseline_quantity": "1",
                      "baseline_output": "1", "projected_quantity": "1", "projected_output": "1"}]},
     "indicators", "unknown indicator stream"),
    ({"indicators": [{"stream": "water", "unit": "m3", "baseline_quantity": "-5",
                      "baseline_output": "10", "projected_quantity": "1", "projected_output": "10"}]},
     "indicators", "the baseline quantity must be more than zero"),
    ({"indicators": [{"stream": "water", "unit": "m3", "baseline_quantity": "5",
                      "baseline_output": "0", "projected_quantity": "1", "projected_output": "10"}]},
     "indicators", "production output must be more than zero"),
    ({"indicators": [{"stream": "water", "unit": "L", "baseline_quantity": "5",
                      "baseline_output": "1", "projected_quantity": "1", "projected_output": "10"}]},
     "indicators", "measured in m3, not L"),
])
def test_bad_input_is_422_naming_the_field_and_saves_nothing(app, client, token_for, ids, override, field, fragment):
    before = count(app)
    res = client.post("/api/v1/proposals", headers=token_for("sme"),
                      json=proposal_body(ids["line"], ids["ent"], **override))
    assert res.status_code == 422
    errors = res.get_json()["errors"]
    assert field in errors
    assert fragment in str(errors[field])
    assert count(app) == before


def test_closed_credit_line_refuses_new_proposals(client, token_for, ids, app):
    client.patch(f"/api/v1/credit-lines/{ids['line']}", json={"status": "closed"}, headers=token_for("fund_admin"))
    before = count(app)
    res = client.post("/api/v1/proposals", headers=token_for("sme"), json=proposal_body(ids["line"], ids["ent"]))
    assert res.status_code == 422
    assert "closed" in res.get_json()["errors"]["credit_line_id"][0]
    assert count(app) == before


def test_sme_cannot_draft_for_another_enterprise(client, token_for, ids):
    other = token_for("owner@rolling.example")
    res = client.post("/api/v1/proposals", headers=other, json=proposal_body(ids["line"], ids["ent"]))
    assert res.status_code == 422
    assert "not one of yours" in res.get_json()["errors"]["enterprise_id"][0]


def test_submission_lists_every_problem_at_once(client, token_for, ids):
    sme = token_for("sme")
    pid = client.post("/api/v1/proposals", headers=sme, json={
        "credit_line_id": ids["line"], "enterprise_id": ids["ent"], "title": "Heat recovery"}).get_json()["id"]
    res = client.post(f"/api/v1/proposals/{pid}/submit", headers=sme, json={})
    assert res.status_code == 422
    errors = res.get_json()["errors"]
    for field in ("investment", "loan_amount", "annual_savings", "indicators", "main_indicator",
                  "technology.supplier", "cp_options"):
        assert field in errors, field
    assert client.get(f"/api/v1/proposals/{pid}", headers=sme).get_json()["status"] == "draft"


def test_contribution_must_add_up(client, token_for, ids):
    sme = token_for("sme")
    pid = client.post("/api/v1/proposals", headers=sme, json=proposal_body(
        ids["line"], ids["ent"], own_contribution="10000.00")).get_json()["id"]
    res = client.post(f"/api/v1/proposals/{pid}/submit", headers=sme, json={})
    assert res.status_code == 422
    assert "must equal the investment" in res.get_json()["errors"]["own_contribution"][0]


def test_only_drafts_can_be_edited_and_other_smes_see_404(client, token_for, ids):
    sme = token_for("sme")
    pid = client.post("/api/v1/proposals", headers=sme, json=proposal_body(ids["line"], ids["ent"])).get_json()["id"]
    assert client.patch(f"/api/v1/proposals/{pid}", headers=sme, json={"title": "Jet dyeing"}).status_code == 200
    other = token_for("owner@rolling.example")
    assert client.get(f"/api/v1/proposals/{pid}", headers=other).status_code == 404
    assert client.patch(f"/api/v1/proposals/{pid}", headers=other, json={"title": "x y z"}).status_code == 404
    # Banks do not see drafts.
    assert client.get(f"/api/v1/proposals/{pid}", headers=token_for("bank_officer")).status_code == 404


def test_withdraw_needs_a_reason_and_is_final(client, token_for, ids):
    sme = token_for("sme")
    pid = client.post("/api/v1/proposals", headers=sme, json=proposal_body(ids["line"], ids["ent"])).get_json()["id"]
    assert client.post(f"/api/v1/proposals/{pid}/withdraw", headers=sme, json={}).status_code == 422
    res = client.post(f"/api/v1/proposals/{pid}/withdraw", headers=sme, json={"reason": "bought second-hand"})
    assert res.status_code == 200 and res.get_json()["status"] == "withdrawn"
    again = client.post(f"/api/v1/proposals/{pid}/withdraw", headers=sme, json={"reason": "again"})
    assert again.status_code == 409
    assert again.get_json()["current_state"] == "withdrawn" and again.get_json()["allowed"] == []


def _indicator(**values):
    row = {"stream": "water", "unit": "m3", "baseline_quantity": "100000", "baseline_output": "5000",
           "projected_quantity": "45000", "projected_output": "5000"}
    row.update(values)
    return [row]


# (override, the error path, a fragment of its message): refused by POST /proposals and POST /score alike.
REFUSED = [
    ({"indicators": _indicator(baseline_quantity="0")}, ("indicators", "0", "baseline_quantity"),
     "the baseline quantity must be more than zero"),
    ({"indicators": _indicator(projected_quantity="-1")}, ("indicators", "0", "projected_quantity"), "zero or more"),
    ({"indicators": _indicator(projected_output="0")}, ("indicators", "0", "projected_output"),
     "production output must be more than zero"),
    ({"investment": 1e400}, ("investment",), "nan or infinity"),
    ({"investment": "1e400"}, ("investment",), "not a valid amount: at most 99,999,999,999,999.99"),
    ({"investment": "NaN"}, ("investment",), "nan or infinity"),
    ({"investment": "Infinity"}, ("investment",), "nan or infinity"),
    ({"investment": "1e20"}, ("investment",), "not a valid amount: at most 99,999,999,999,999.99"),
    ({"investment": "100000.005"}, ("investment",), "whole number of cents"),
]


@pytest.mark.parametrize("path", ["/api/v1/proposals", "/api/v1/score"])
@pytest.mark.parametrize("override,where,fragment", REFUSED)
def test_impossible_figures_are_422_naming_the_field_and_save_nothing(app, client, token_for, ids, path,
                                                                     override, where, fragment):
    from .test_scoring import counts
    before = counts(app)
    res = client.post(path, headers=token_for("sme"), json=proposal_body(ids["line"], ids["ent"], **override))
    assert res.status_code == 422, res.get_json()
    errors = res.get_json()["errors"]
    for key in where:
        errors = errors[key]
    assert any(fragment in m for m in errors), errors
    assert counts(app) == before


def test_what_if_on_a_closed_credit_line_is_422_naming_the_line(app, client, token_for, ids):
    from .test_scoring import counts
    client.patch(f"/api/v1/credit-lines/{ids['line']}", json={"status": "closed"}, headers=token_for("fund_admin"))
    before = counts(app)
    res = client.post("/api/v1/score", headers=token_for("sme"), json=proposal_body(ids["line"], ids["ent"]))
    assert res.status_code == 422
    assert "closed" in res.get_json()["errors"]["credit_line_id"][0]
    assert counts(app) == before
