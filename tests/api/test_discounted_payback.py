"""Discounted payback from the cash-flow table: null with the reason in the trace when the life never recovers it."""
from ..factories import proposal_body
from .test_scoring_pages import signed_in  # noqa: F401  (fixture)

SLOW = {"investment": "100000.00", "loan_amount": "80000.00", "own_contribution": "20000.00",
        "annual_savings": "12000.00", "annual_extra_operating_cost": "0", "economic_life_years": 10}
ENTERPRISE = {"employees": 180, "annual_turnover": "6500000", "total_assets": "4200000",
              "domestic_ownership_share": 1, "operating_since": "2001-03-01", "isic_code": "C1313", "country": "VN"}


def test_not_recovered_within_the_life_is_null_single_and_batch_with_the_reason_in_the_trace(client, token_for, ids):
    body = proposal_body(ids["line"], ids["ent"], **SLOW)
    single = client.post("/api/v1/score", headers=token_for("sme"), json=body)
    assert single.status_code == 200, single.get_json()
    single = single.get_json()
    assert single["metrics"]["discounted_payback_years"] is None
    assert single["metrics"]["simple_payback_years"] == 8.33
    (line,) = [t for t in single["trace"] if t["rule"] == "discounted-payback"]
    assert line["inputs"]["recovered_within_life"] is False
    assert "not recovered within the life" in line["message"] and "USD 73,734.81" in line["message"]

    rows = [{**proposal_body(ids["line"], ids["ent"], **SLOW), "enterprise": ENTERPRISE, "id": "slow"},
            {**proposal_body(ids["line"], ids["ent"]), "enterprise": ENTERPRISE, "id": "dyeing"}]
    batch = client.post("/api/v1/score/batch?rulebook=gctf-vn", headers=token_for("bank_officer"), json=rows)
    assert batch.status_code == 200, batch.get_json()
    got = {r["id"]: r["metrics"]["discounted_payback_years"] for r in batch.get_json()["results"]}
    assert got == {"slow": None, "dyeing": 7.28}


def test_the_assessment_page_says_not_recovered_within_the_life(client, token_for, ids, signed_in):  # noqa: F811
    sme = token_for("sme")
    res = client.post("/api/v1/proposals", headers=sme, json=proposal_body(ids["line"], ids["ent"], **SLOW))
    assert res.status_code == 201, res.get_json()
    pid = res.get_json()["id"]
    assert client.post(f"/api/v1/proposals/{pid}/submit", headers=sme, json={}).status_code == 200
    page = signed_in("owner@textile.example").get(f"/proposals/{pid}/assessment")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-testid="discounted-payback">not recovered within the life</td>' in html
    assert "discounted payback: not recovered within the life; the net savings discounted at 10%" in html
