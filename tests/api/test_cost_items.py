"""Eligible cost from the budget items: derived under the line's rulebook, explained, checked."""
from ..factories import proposal_body
from .test_scoring import counts

ITEMS = [
    {"category": "equipment", "description": "two jet dyeing machines", "amount": "80000.00"},
    {"category": "installation", "description": "", "amount": "12000.50"},
    {"category": "land", "description": "plot for the effluent tank", "amount": "5000.00"},
    {"category": "vehicles", "description": "forklift", "amount": "2999.50"},
]


def test_the_eligible_cost_is_the_sum_of_the_eligible_items_and_the_trace_says_what_was_left_out(client, token_for, ids):
    sme = token_for("sme")
    body = proposal_body(ids["line"], ids["ent"], cost_items=ITEMS)
    del body["eligible_cost"]
    res = client.post("/api/v1/proposals", headers=sme, json=body)
    assert res.status_code == 201, res.get_json()
    p = res.get_json()
    assert p["eligible_cost"] == "92000.50"
    assert p["cost_items"][2] == {"category": "land", "description": "plot for the effluent tank", "amount": "5000.00"}
    assert client.post(f"/api/v1/proposals/{p['id']}/submit", headers=sme, json={}).status_code == 200
    a = client.get(f"/api/v1/proposals/{p['id']}/assessment", headers=sme).get_json()
    assert a["eligible_costs"]["total"] == "92000.50"
    assert [x["category"] for x in a["eligible_costs"]["excluded"]] == ["land", "vehicles"]
    line = next(t for t in a["trace"] if t["rule"] == "eligible-costs")
    assert line["outcome"] == "info"
    assert line["message"] == (
        "eligible cost USD 92,000.50: the sum of 2 eligible item(s); left out: land (plot for the effluent tank) "
        "USD 5,000, because land is not an eligible cost under gctf-vn 2007.1; vehicles (forklift) USD 2,999.50, "
        "because vehicles is not an eligible cost under gctf-vn 2007.1")


def test_a_stated_eligible_cost_that_contradicts_the_items_is_422_and_saves_nothing(app, client, token_for, ids):
    sme = token_for("sme")
    before = counts(app)
    res = client.post("/api/v1/proposals", headers=sme,
                      json=proposal_body(ids["line"], ids["ent"], cost_items=ITEMS, eligible_cost="95000.00"))
    assert res.status_code == 422
    assert "add up to 92000.50" in res.get_json()["errors"]["eligible_cost"][0]
    assert counts(app) == before
    agree = client.post("/api/v1/proposals", headers=sme,
                        json=proposal_body(ids["line"], ids["ent"], cost_items=ITEMS, eligible_cost="92000.50"))
    assert agree.status_code == 201


def test_bad_items_are_named_by_row_and_field(client, token_for, ids):
    items = [{"category": "caviar", "amount": "10.00"}, {"category": "equipment", "amount": "-1"}]
    res = client.post("/api/v1/proposals", headers=token_for("sme"),
                      json=proposal_body(ids["line"], ids["ent"], cost_items=items))
    assert res.status_code == 422
    errors = res.get_json()["errors"]["cost_items"]
    assert "unknown cost category 'caviar'" in errors["0"]["category"][0]
    assert errors["1"]["amount"] == ["must be zero or more"]


def test_what_if_derives_and_checks_too_and_old_bodies_still_work(client, token_for, ids):
    sme = token_for("sme")
    body = proposal_body(ids["line"], ids["ent"], cost_items=ITEMS)
    del body["eligible_cost"]
    res = client.post("/api/v1/score", headers=sme, json=body).get_json()
    assert res["eligible_costs"]["total"] == "92000.50" and res["trace"][0]["rule"] == "eligible-costs"
    bad = client.post("/api/v1/score", headers=sme, json={**body, "eligible_cost": "1.00"})
    assert bad.status_code == 422 and "eligible_cost" in bad.get_json()["errors"]
    plain = client.post("/api/v1/score", headers=sme, json=proposal_body(ids["line"], ids["ent"])).get_json()
    assert "eligible_costs" not in plain and all(t["rule"] != "eligible-costs" for t in plain["trace"])


def test_editing_items_re_derives_the_eligible_cost(client, token_for, ids):
    sme = token_for("sme")
    body = proposal_body(ids["line"], ids["ent"], cost_items=ITEMS)
    del body["eligible_cost"]
    pid = client.post("/api/v1/proposals", headers=sme, json=body).get_json()["id"]
    res = client.patch(f"/api/v1/proposals/{pid}", headers=sme, json={"cost_items": ITEMS[:1]})
    assert res.status_code == 200 and res.get_json()["eligible_cost"] == "80000.00"
    stale = client.patch(f"/api/v1/proposals/{pid}", headers=sme, json={"eligible_cost": "95000.00"})
    assert stale.status_code == 422 and "add up to 80000.00" in stale.get_json()["errors"]["eligible_cost"][0]


def test_the_proposal_form_takes_budget_items(app, client, token_for, ids):
    page = app.test_client()
    page.post("/login", data={"email": "owner@textile.example", "password": "green-credit-demo"})
    form = {"title": "Jet dyeing", "credit_line_id": ids["line"], "enterprise_id": ids["ent"], "investment": "100000",
            "eligible_cost": "1", "cost_rows": "3",
            "cost_items.0.category": "equipment", "cost_items.0.description": "machines", "cost_items.0.amount": "90000",
            "cost_items.1.category": "land", "cost_items.1.description": "plot", "cost_items.1.amount": "10000",
            "cost_items.2.category": "equipment", "cost_items.2.description": "", "cost_items.2.amount": ""}
    res = page.post("/proposals/new", data=form)
    assert res.status_code == 302, res.get_data(as_text=True)
    pid = int(res.headers["Location"].rstrip("/").split("/")[-1])
    p = client.get(f"/api/v1/proposals/{pid}", headers=token_for("sme")).get_json()
    assert p["eligible_cost"] == "90000.00" and len(p["cost_items"]) == 2
    edit = page.get(f"/proposals/{pid}/edit").get_data(as_text=True)
    assert 'name="cost_items.1.description"' in edit and 'value="plot"' in edit
    bad = page.post("/proposals/new", data={**form, "cost_items.1.category": "caviar"})
    assert bad.status_code == 422 and "unknown cost category" in bad.get_data(as_text=True)
