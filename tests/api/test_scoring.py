"""Submission and scoring through the API: assessment, what-if, batch, rulebooks, simulation, review."""
import io

import pytest
from sqlalchemy import func, select

from creditline.audit.models import AuditEvent
from creditline.extensions import db
from creditline.proposals.models import Assessment, Proposal

from ..factories import proposal_body


def counts(app):
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (Proposal, Assessment, AuditEvent))


def submitted(client, token_for, ids, **overrides):
    sme = token_for("sme")
    pid = client.post("/api/v1/proposals", headers=sme, json=proposal_body(ids["line"], ids["ent"], **overrides)).get_json()["id"]
    res = client.post(f"/api/v1/proposals/{pid}/submit", headers=sme, json={})
    assert res.status_code == 200, res.get_json()
    return pid


def test_submission_scores_and_keeps_the_rulebook_identity(client, token_for, ids):
    pid = submitted(client, token_for, ids)
    assert client.get(f"/api/v1/proposals/{pid}", headers=token_for("sme")).get_json()["status"] == "eligible"
    a = client.get(f"/api/v1/proposals/{pid}/assessment", headers=token_for("sme")).get_json()
    assert a["decision"] == "eligible"
    assert a["rulebook"]["id"] == "gctf-vn" and a["rulebook"]["version"] == "2007.1"
    assert a["rulebook"]["hash"].startswith("sha256:")
    assert a["metrics"]["npv"] == "22891.34" and a["metrics"]["grant_band"]["amount"] == "20000.00"
    assert any(t["message"] == "simple payback 5.0 years is under the 5-year limit: +20" for t in a["trace"])
    assert len(a["sensitivity"]) == 6
    assert "quotation" in a["documents_missing"]


def test_an_ineligible_submission_says_why_and_what_would_pass(client, token_for, ids):
    weak = [{"stream": "water", "unit": "m3", "baseline_quantity": "100000", "baseline_output": "5000",
             "projected_quantity": "85000", "projected_output": "5000"}]
    pid = submitted(client, token_for, ids, indicators=weak)
    a = client.get(f"/api/v1/proposals/{pid}/assessment", headers=token_for("sme")).get_json()
    assert a["decision"] == "ineligible"
    assert any("70,000" in h for h in a["hints"])


def test_what_if_scores_without_saving_anything(app, client, token_for, ids):
    before = counts(app)
    body = proposal_body(ids["line"], ids["ent"], annual_savings="40000.00")
    res = client.post("/api/v1/score", headers=token_for("sme"), json=body)
    assert res.status_code == 200, res.get_json()
    assert res.get_json()["metrics"]["simple_payback_years"] == 2.86
    assert counts(app) == before


def test_what_if_accepts_an_enterprise_object_and_names_bad_fields(client, token_for, ids):
    body = proposal_body(ids["line"], ids["ent"])
    del body["enterprise_id"]
    body["enterprise"] = {"legal_name": "Prospect Co.", "tax_id": "0312345678", "country": "VN", "isic_code": "1313",
                          "employees": 40, "annual_turnover": "900000.00", "total_assets": "700000.00",
                          "domestic_ownership_share": 1, "operating_since": "2026-09-01"}
    res = client.post("/api/v1/score", headers=token_for("sme"), json=body).get_json()
    assert res["decision"] == "ineligible" and "operating-six-months" in [t["rule"] for t in res["trace"] if t["outcome"] == "fail"]
    bad = proposal_body(ids["line"], ids["ent"], loan_amount="150000.00")
    res = client.post("/api/v1/score", headers=token_for("sme"), json=bad)
    assert res.status_code == 422 and "loan_amount" in res.get_json()["errors"]


def _flat(**extra):
    row = {"id": "A1", "title": "Dyeing", "currency": "USD", "investment": "100000", "eligible_cost": "95000",
           "loan_amount": "80000", "own_contribution": "20000", "economic_life_years": "10",
           "annual_savings": "25000", "annual_extra_operating_cost": "5000", "implementation_months": "6",
           "cp_options": "technology_change", "technology_readiness": "commercial", "employees": "180",
           "domestic_ownership_share": "1", "operating_since": "2001-03-01", "total_assets": "4200000",
           "main_indicator": "water", "water_baseline_quantity": "100000", "water_baseline_output": "5000",
           "water_projected_quantity": "45000", "water_projected_output": "5000"}
    row.update(extra)
    return row


def test_batch_csv_reports_bad_rows_by_number_and_scores_the_rest(client, token_for):
    rows = [_flat(), _flat(id="A2", water_projected_output="0"), _flat(id="A3", loan_amount="120000")]
    header = list(rows[0])
    text = ",".join(header) + "\n" + "\n".join(",".join(r[h] for h in header) for r in rows) + "\n"
    res = client.post("/api/v1/score/batch?rulebook=gctf-vn", headers=token_for("bank_officer"),
                      data={"file": (io.BytesIO(text.encode()), "batch.csv")}, content_type="multipart/form-data")
    body = res.get_json()
    assert res.status_code == 200, body
    assert body["scored"] == 1 and body["rejected"] == 2
    assert body["results"][0]["decision"] == "eligible" and body["results"][0]["id"] == "A1"
    assert body["errors"][0] == {"row": 2, "errors": {"indicators.0.projected_output": ["production output must be more than zero"]}}
    assert "loan_amount" in body["errors"][1]["errors"]


def test_batch_json_and_sme_is_refused(client, token_for):
    rows = [{**proposal_body(1, 1), "enterprise": {"employees": 100, "domestic_ownership_share": "1",
                                                   "operating_since": "2000-01-01"}}]
    res = client.post("/api/v1/score/batch?rulebook=gctf-co", headers=token_for("fund_admin"), json=rows)
    assert res.status_code == 200 and res.get_json()["rulebook"]["id"] == "gctf-co"
    assert client.post("/api/v1/score/batch?rulebook=gctf-vn", headers=token_for("sme"), json=rows).status_code == 403
    res = client.post("/api/v1/score/batch?rulebook=nope", headers=token_for("fund_admin"), json=rows)
    assert res.status_code == 422 and "rulebook" in res.get_json()["errors"]


def test_rulebooks_are_listed_and_shown(client, token_for):
    books = client.get("/api/v1/rulebooks", headers=token_for("sme")).get_json()
    assert {b["id"] for b in books} == {"gctf-vn", "gctf-co", "gctf-pe", "ebrd-ee"}
    vn = client.get("/api/v1/rulebooks/gctf-vn/2007.1", headers=token_for("sme")).get_json()
    assert vn["grant_bands"]["cap"] == 200000 and any(r["id"] == "loan-bounds" for r in vn["rules"])
    assert client.get("/api/v1/rulebooks/gctf-vn/1999", headers=token_for("sme")).status_code == 404


def test_simulation_shows_changed_decisions_for_fund_admins_only(client, token_for, ids):
    submitted(client, token_for, ids)
    text = client.get("/api/v1/rulebooks/gctf-vn/2007.1", headers=token_for("fund_admin")).get_json()["text"]
    draft = text.replace("main_improvement >= 0.30", "main_improvement >= 0.60").replace('"2007.1"', '"2027.1"')
    res = client.post("/api/v1/rulebooks/simulate", headers=token_for("fund_admin"), json={"rulebook_yaml": draft})
    body = res.get_json()
    assert res.status_code == 200, body
    # The demo's two proposals and this one; both dyeing proposals cut water 55%, under 60%.
    assert body["compared"] == 3 and body["decision_changes"] == {"eligible → ineligible": 2}
    assert {c["decision_after"] for c in body["changes"]} == {"ineligible"}
    assert client.post("/api/v1/rulebooks/simulate", headers=token_for("sme"), json={"rulebook_yaml": draft}).status_code == 403
    broken = client.post("/api/v1/rulebooks/simulate", headers=token_for("fund_admin"),
                         json={"rulebook_yaml": draft.replace("worse_count == 0", "worse_count == ")})
    assert broken.status_code == 422 and "no-side-effects" in str(broken.get_json()["errors"])


def test_ncpc_review_confirms_or_corrects_and_the_sme_sees_it(client, token_for, ids):
    pid = submitted(client, token_for, ids)
    fix = {"outcome": "corrected", "comments": "Metered baseline is lower than claimed",
           "corrections": [{"stream": "water", "baseline_quantity": "60000"}]}
    res = client.post(f"/api/v1/proposals/{pid}/technical-review", headers=token_for("verifier"), json=fix)
    assert res.status_code in (200, 201), res.get_json()
    p = client.get(f"/api/v1/proposals/{pid}", headers=token_for("sme")).get_json()
    assert p["status"] == "ineligible"  # 60,000 → 45,000 m3 is a 25% cut, under the 30% threshold
    reviews = client.get(f"/api/v1/proposals/{pid}/technical-review", headers=token_for("sme")).get_json()
    assert "Metered baseline" in str(reviews)
    assert client.post(f"/api/v1/proposals/{pid}/technical-review", headers=token_for("sme"), json=fix).status_code == 403


def test_flask_score_writes_one_row_per_proposal(app, tmp_path):
    rows = [_flat(), _flat(id="A2", cp_options="teleportation")]
    header = list(rows[0])
    src = tmp_path / "in.csv"
    src.write_text(",".join(header) + "\n" + "\n".join(",".join(r[h] for h in header) for r in rows) + "\n")
    out = tmp_path / "out.csv"
    result = app.test_cli_runner().invoke(args=["score", str(src), "--rulebook", "gctf-vn", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "1 scored, 1 rejected" in result.output
    import pandas as pd
    table = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert table["decision"].tolist() == ["eligible", "rejected"]
    assert table.loc[0, "npv"] == "22891.34" and "cp_options" in table.loc[1, "errors"]


def test_flask_rules_check_names_every_problem(app, tmp_path):
    ok = app.test_cli_runner().invoke(args=["rules", "check"])
    assert ok.exit_code == 0 and ok.output.count("ok ") == 4
    bad = tmp_path / "bad.yaml"
    bad.write_text(open(app.config["RULES_DIR"] + "/gctf-vn.yaml").read().replace("points: 40", "points: 45"))
    res = app.test_cli_runner().invoke(args=["rules", "check", str(bad)])
    assert res.exit_code == 1
    assert "scoring.technical" in res.output and "add up to 105" in res.output


def test_uploaded_documents_leave_the_checklist(client, token_for, ids):
    sme = token_for("sme")
    pid = client.post("/api/v1/proposals", headers=sme, json=proposal_body(ids["line"], ids["ent"])).get_json()["id"]
    res = client.post(f"/api/v1/proposals/{pid}/documents", headers=sme, content_type="multipart/form-data",
                      data={"kind": "quotation", "file": (io.BytesIO(b"%PDF-1.4 Thies quotation 2026-11"), "quote.pdf")})
    assert res.status_code == 201, res.get_json()
    assert len(res.get_json()["sha256"]) == 64
    bad = client.post(f"/api/v1/proposals/{pid}/documents", headers=sme, content_type="multipart/form-data",
                      data={"kind": "horoscope", "file": (io.BytesIO(b"x"), "x.pdf")})
    assert bad.status_code == 422 and "kind" in bad.get_json()["errors"]
    other = client.post(f"/api/v1/proposals/{pid}/documents", headers=token_for("owner@rolling.example"),
                        content_type="multipart/form-data", data={"kind": "quotation", "file": (io.BytesIO(b"x"), "x.pdf")})
    assert other.status_code == 404
    client.post(f"/api/v1/proposals/{pid}/submit", headers=sme, json={})
    a = client.get(f"/api/v1/proposals/{pid}/assessment", headers=sme).get_json()
    assert "quotation" not in a["documents_missing"] and "technical_datasheet" in a["documents_missing"]


@pytest.mark.parametrize("review,field", [
    ({"corrections": [{"stream": "water", "baseline_quantity": "60000"}]}, "corrections"),
    ({"main_indicator": "electricity"}, "main_indicator"),
])
def test_a_confirmation_cannot_change_the_baseline_silently(app, client, token_for, ids, review, field):
    pid = submitted(client, token_for, ids)
    verifier = token_for("verifier")
    before = counts(app)
    body = {"outcome": "confirmed", "comments": "Visited the plant", **review}
    res = client.post(f"/api/v1/proposals/{pid}/technical-review", headers=verifier, json=body)
    assert res.status_code == 422
    assert "corrected" in res.get_json()["errors"][field][0]
    assert counts(app) == before
    p = client.get(f"/api/v1/proposals/{pid}", headers=token_for("sme")).get_json()
    assert p["status"] == "eligible" and p["main_indicator"] == "water"
    assert p["indicators"][0]["baseline_quantity"].startswith("100000")
    ok = client.post(f"/api/v1/proposals/{pid}/technical-review", headers=token_for("verifier"),
                     json={"outcome": "confirmed", "comments": "Visited the plant"})
    assert ok.status_code == 201
    assert client.get(f"/api/v1/proposals/{pid}", headers=token_for("sme")).get_json()["status"] == "technically_reviewed"


def test_assessment_shows_specific_consumption_what_gets_worse_and_full_sensitivity(client, token_for, ids):
    indicators = [
        {"stream": "water", "unit": "m3", "baseline_quantity": "100000", "baseline_output": "5000",
         "projected_quantity": "45000", "projected_output": "5000"},
        {"stream": "electricity", "unit": "kWh", "baseline_quantity": "900000", "baseline_output": "5000",
         "projected_quantity": "990000", "projected_output": "5000"},
    ]
    pid = submitted(client, token_for, ids, indicators=indicators)
    a = client.get(f"/api/v1/proposals/{pid}/assessment", headers=token_for("sme")).get_json()
    m = a["metrics"]
    assert m["worse"] == ["electricity"]
    assert m["improvement"] == {"water": 0.55, "electricity": -0.1}
    assert m["specific_consumption"]["water"] == {"baseline": 20.0, "projected": 9.0}
    assert m["specific_consumption"]["electricity"] == {"baseline": 180.0, "projected": 198.0}
    assert a["decision"] == "referred"  # the side-effects gate refers it to the NCPC
    savings_down = next(s for s in a["sensitivity"] if s["factor"] == "annual_savings" and s["change"] == -0.2)
    # Savings 20,000 less 5,000 extra cost over 10 years at 10%: NPV -7,831.49, payback 6.67 years.
    assert savings_down["npv"] == "-7831.49" and savings_down["simple_payback_years"] == 6.67
    assert savings_down["irr"] == 0.0814 and isinstance(savings_down["total"], int)


def test_assessment_page_shows_specific_consumption_and_the_sensitivity_table(app, client, token_for, ids):
    pid = submitted(client, token_for, ids)
    page = app.test_client()
    assert page.post("/login", data={"email": "owner@textile.example", "password": "green-credit-demo"}).status_code == 302
    html = page.get(f"/proposals/{pid}/assessment").get_data(as_text=True)
    table = html.split('data-testid="specific-consumption"')[1].split("</table>")[0]
    assert ">20<" in table and ">9<" in table and ">180<" in table and ">140<" in table
    sensitivity = html.split('data-testid="sensitivity"')[1].split("</table>")[0]
    assert "IRR" in sensitivity and "Simple payback" in sensitivity and "Total score" in sensitivity
    assert "-20%" in sensitivity and "6.67 y" in sensitivity


def test_submission_says_which_documents_are_still_missing(app, client, token_for, ids):
    sme = token_for("sme")
    pid = client.post("/api/v1/proposals", headers=sme, json=proposal_body(ids["line"], ids["ent"])).get_json()["id"]
    client.post(f"/api/v1/proposals/{pid}/documents", headers=sme, content_type="multipart/form-data",
                data={"kind": "quotation", "file": (io.BytesIO(b"%PDF-1.4 quote"), "quote.pdf")})
    res = client.post(f"/api/v1/proposals/{pid}/submit", headers=sme, json={})
    assert res.status_code == 200
    assert res.get_json()["status"] == "eligible"  # missing documents never block
    assert res.get_json()["documents_missing"] == ["technical_datasheet", "financial_statements",
                                                    "business_registration", "ownership_declaration"]


def test_the_page_after_submitting_lists_the_missing_documents(app, client, token_for, ids):
    sme = token_for("sme")
    pid = client.post("/api/v1/proposals", headers=sme, json=proposal_body(ids["line"], ids["ent"])).get_json()["id"]
    page = app.test_client()
    page.post("/login", data={"email": "owner@textile.example", "password": "green-credit-demo"})
    res = page.post(f"/proposals/{pid}/submit", follow_redirects=True)
    html = res.get_data(as_text=True)
    assert res.status_code == 200
    assert "Still missing from the checklist (not blocking): quotation, technical datasheet" in html
    detail = page.get(f"/proposals/{pid}").get_data(as_text=True)
    missing = detail.split('data-testid="documents-missing"')[1].split("</div>")[0]
    assert "supplier quotations for the equipment" in missing and "declaration of ownership" in missing


def test_a_correction_after_the_loan_is_approved_is_refused(app, client, token_for, story):
    # The dyeing loan is being repaid and its grant was paid on these figures: a corrected baseline
    # now would re-score the proposal (even to ineligible) under a loan that rests on it.
    verifier = token_for("verifier")
    pid = client.get(f"/api/v1/loans/{story['textile']['loan_id']}", headers=verifier).get_json()["proposal_id"]
    before, was = counts(app), client.get(f"/api/v1/proposals/{pid}", headers=verifier).get_json()
    res = client.post(f"/api/v1/proposals/{pid}/technical-review", headers=verifier, json={
        "outcome": "corrected", "comments": "Metered baseline is lower than claimed",
        "corrections": [{"stream": "water", "baseline_quantity": "60000"}]})
    assert res.status_code == 409, res.get_json()
    assert res.get_json()["message"] == (f"loan L{story['textile']['loan_id']} on this proposal is active: a "
                                         "proposal whose loan is approved cannot be corrected")
    assert counts(app) == before
    now = client.get(f"/api/v1/proposals/{pid}", headers=verifier).get_json()
    assert (now["status"], now["indicators"]) == (was["status"], was["indicators"])
    assert client.get(f"/api/v1/proposals/{pid}/technical-review", headers=verifier).get_json() == []
