"""A saved draft can be edited again and again: indicator, cost and incentive rows come and go."""
from decimal import Decimal

from sqlalchemy import func, select

from creditline.audit.models import AuditEvent
from creditline.extensions import db
from creditline.proposals.models import ProposalIndicator

from ..factories import proposal_body

WATER = {"stream": "water", "unit": "m3", "baseline_quantity": "100000", "baseline_output": "5000",
         "projected_quantity": "40000", "projected_output": "5000"}
STEAM_COAL = {"stream": "coal", "unit": "t", "baseline_quantity": "1200", "baseline_output": "5000",
              "projected_quantity": "720", "projected_output": "5000"}
ITEMS = [{"category": "equipment", "description": "two jet dyeing machines", "amount": "85000.00"},
         {"category": "installation", "description": "piping", "amount": "10000.00"}]


def _draft(client, sme, ids):
    res = client.post("/api/v1/proposals", headers=sme, json=proposal_body(ids["line"], ids["ent"]))
    assert res.status_code == 201, res.get_json()
    return res.get_json()


def _streams(body):
    return {i["stream"]: Decimal(i["projected_quantity"]) for i in body["indicators"]}


def test_a_draft_saved_with_its_own_indicators_is_edited_twice(app, client, token_for, ids):
    sme = token_for("sme")
    p = _draft(client, sme, ids)
    for title in ("Jet dyeing, revised", "Jet dyeing, revised again"):
        res = client.patch(f"/api/v1/proposals/{p['id']}", headers=sme,
                           json={"title": title, "indicators": p["indicators"]})
        assert res.status_code == 200, res.get_json()
        assert res.get_json()["title"] == title
    got = client.get(f"/api/v1/proposals/{p['id']}", headers=sme).get_json()
    assert got["title"] == "Jet dyeing, revised again"
    assert _streams(got) == _streams(p)
    with app.app_context():
        updates = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "proposal.updated", AuditEvent.entity_id == p["id"]))
        assert updates == 2


def test_indicator_cost_and_incentive_rows_are_added_changed_and_removed(app, client, token_for, ids):
    sme = token_for("sme")
    p = _draft(client, sme, ids)
    url = f"/api/v1/proposals/{p['id']}"
    # Change water, drop electricity, add coal; list the budget; declare an incentive.
    res = client.patch(url, headers=sme, json={
        "indicators": [WATER, STEAM_COAL], "cost_items": ITEMS, "eligible_cost": None,
        "other_incentives": [{"source": "Provincial energy-saving fund", "amount": "3000.00"}]})
    assert res.status_code == 200, res.get_json()
    body = res.get_json()
    assert _streams(body) == {"water": 40000, "coal": 720}
    assert body["eligible_cost"] == "95000.00" and len(body["cost_items"]) == 2
    assert body["other_incentives"][0]["source"] == "Provincial energy-saving fund"
    # Bring electricity back, drop a cost line and the incentive.
    electricity = proposal_body(ids["line"], ids["ent"])["indicators"][1]
    res = client.patch(url, headers=sme, json={
        "indicators": [STEAM_COAL, electricity], "main_indicator": "coal",
        "cost_items": ITEMS[:1], "other_incentives": []})
    assert res.status_code == 200, res.get_json()
    body = res.get_json()
    assert set(_streams(body)) == {"coal", "electricity"}
    assert body["eligible_cost"] == "85000.00" and body["other_incentives"] == []
    # Remove every indicator.
    res = client.patch(url, headers=sme, json={"indicators": []})
    assert res.status_code == 200, res.get_json()
    assert res.get_json()["indicators"] == []
    with app.app_context():
        left = db.session.scalar(select(func.count()).select_from(ProposalIndicator)
                                 .where(ProposalIndicator.proposal_id == p["id"]))
        assert left == 0


def test_a_bad_edit_is_422_and_keeps_the_saved_indicators(client, token_for, ids):
    sme = token_for("sme")
    p = _draft(client, sme, ids)
    bad = dict(WATER, baseline_output="0")
    res = client.patch(f"/api/v1/proposals/{p['id']}", headers=sme, json={"indicators": [bad, STEAM_COAL]})
    assert res.status_code == 422
    assert "indicators" in res.get_json()["errors"]
    got = client.get(f"/api/v1/proposals/{p['id']}", headers=sme).get_json()
    assert _streams(got) == _streams(p)
