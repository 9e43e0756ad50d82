"""Batch scoring: every bad row is named by number and field, the other rows are scored (API and CLI)."""
import io

import pandas as pd
import pytest

from ..factories import proposal_body
from .test_scoring import _flat

ENTERPRISE = {"employees": 100, "domestic_ownership_share": "1", "operating_since": "2000-01-01"}


def json_row(**overrides):
    row = {**proposal_body(1, 1), "enterprise": dict(ENTERPRISE)}
    row.update(overrides)
    return row


def csv_text(rows):
    header = list(rows[0])
    return ",".join(header) + "\n" + "\n".join(",".join(r[h] for h in header) for r in rows) + "\n"


# (row override, the field named, a fragment of its message): each used to fail the whole batch with a 500.
JSON_TRIGGERS = [
    ({"enterprise": {**ENTERPRISE, "operating_since": "2001-02-30"}}, "enterprise.operating_since", "Not a valid date"),
    ({"indicators": "x"}, "indicators", "Not a valid list"),
    ({"indicators": [1]}, "indicators.0", "Invalid input type"),
    ({"enterprise": "x"}, "enterprise", "Invalid input type"),
    ({"technology": "x"}, "technology", "Invalid input type"),
    ({"other_incentives": 5}, "other_incentives", "Not a valid list"),
    ({"investment": "NaN"}, "investment", "nan or infinity"),
]


@pytest.mark.parametrize("override,field,fragment", JSON_TRIGGERS)
def test_a_malformed_json_row_is_reported_and_the_others_scored(client, token_for, override, field, fragment):
    rows = [json_row(), json_row(**override), json_row(title="Third")]
    res = client.post("/api/v1/score/batch?rulebook=gctf-vn", headers=token_for("bank_officer"), json=rows)
    body = res.get_json()
    assert res.status_code == 200, body
    assert body["scored"] == 2 and body["rejected"] == 1
    assert [r["row"] for r in body["results"]] == [1, 3]
    assert body["results"][1]["title"] == "Third" and body["results"][1]["decision"] == "eligible"
    assert body["errors"][0]["row"] == 2
    assert fragment in " ".join(body["errors"][0]["errors"][field]), body["errors"]


def test_a_json_item_that_is_not_an_object_is_one_bad_row(client, token_for):
    res = client.post("/api/v1/score/batch?rulebook=gctf-vn", headers=token_for("bank_officer"), json=[json_row(), 7])
    body = res.get_json()
    assert res.status_code == 200 and body["scored"] == 1
    assert body["errors"] == [{"row": 2, "errors": {"row": ["must be a proposal object"]}}]


def test_a_bad_date_in_a_csv_row_is_reported_by_row_and_field(client, token_for):
    text = csv_text([_flat(), _flat(id="A2", operating_since="2001-13-01"), _flat(id="A3", technology_readiness="magic")])
    res = client.post("/api/v1/score/batch?rulebook=gctf-vn", headers=token_for("bank_officer"),
                      data=text.encode(), content_type="text/csv")
    body = res.get_json()
    assert res.status_code == 200, body
    assert body["scored"] == 1 and body["results"][0]["id"] == "A1"
    assert body["errors"][0] == {"row": 2, "errors": {"enterprise.operating_since": ["Not a valid date."]}}
    assert body["errors"][1]["row"] == 3 and "technology.readiness" in body["errors"][1]["errors"]


def test_batch_and_single_scores_agree_to_the_cent(client, token_for, ids):
    single = client.post("/api/v1/score", headers=token_for("sme"), json=proposal_body(ids["line"], ids["ent"])).get_json()
    rows = [{**proposal_body(ids["line"], ids["ent"]), "enterprise": {
        "employees": 180, "annual_turnover": "6500000", "total_assets": "4200000",
        "domestic_ownership_share": 1, "operating_since": "2001-03-01", "isic_code": "C1313", "country": "VN"}}]
    batch = client.post("/api/v1/score/batch?rulebook=gctf-vn", headers=token_for("bank_officer"), json=rows).get_json()
    got = batch["results"][0]
    assert got["decision"] == single["decision"] == "eligible"
    assert got["scores"] == single["scores"]
    assert got["metrics"]["npv"] == single["metrics"]["npv"] == "22891.34"


def test_flask_score_reports_bad_dates_and_writes_whole_scores(app, tmp_path):
    src = tmp_path / "in.csv"
    src.write_text(csv_text([_flat(), _flat(id="A2", operating_since="yesterday"), _flat(id="A3")]))
    out = tmp_path / "out.csv"
    result = app.test_cli_runner().invoke(args=["score", str(src), "--rulebook", "gctf-vn", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 scored, 1 rejected" in result.output
    assert "row 2: enterprise.operating_since: Not a valid date." in result.output
    table = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert table["decision"].tolist() == ["eligible", "rejected", "eligible"]
    # Scores are whole numbers, even with a rejected row (no score) in the same column.
    assert table.loc[0, "score_total"] == table.loc[2, "score_total"] and "." not in table.loc[0, "score_total"]
    assert table.loc[1, "score_total"] == ""


def test_flask_score_rows_are_numbered_across_chunks(app, tmp_path, monkeypatch):
    from creditline.scoring import batch
    monkeypatch.setattr(batch, "CHUNK", 2)
    src = tmp_path / "in.csv"
    src.write_text(csv_text([_flat(), _flat(), _flat(id="A3", water_baseline_quantity="0"), _flat()]))
    out = tmp_path / "out.csv"
    result = app.test_cli_runner().invoke(args=["score", str(src), "--rulebook", "gctf-vn", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "row 3: indicators.0.baseline_quantity: the baseline quantity must be more than zero" in result.output
    table = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert table["row"].tolist() == ["1", "2", "3", "4"] and table.loc[2, "decision"] == "rejected"


def test_a_csv_upload_is_answered_as_the_results_file_flask_score_writes(app, client, token_for, tmp_path):
    rows = [_flat(), _flat(id="A2", operating_since="yesterday"), _flat(id="A3", water_baseline_quantity="0"), _flat(id="A4")]
    src = tmp_path / "in.csv"
    src.write_text(csv_text(rows))
    out = tmp_path / "out.csv"
    assert app.test_cli_runner().invoke(args=["score", str(src), "--rulebook", "gctf-vn", "--out", str(out)]).exit_code == 0
    url = "/api/v1/score/batch?rulebook=gctf-vn&format=csv"
    res = client.post(url, headers=token_for("bank_officer"),
                      data={"file": (io.BytesIO(src.read_bytes()), "in.csv")}, content_type="multipart/form-data")
    assert res.status_code == 200 and res.mimetype == "text/csv"
    assert (res.headers["X-Scored"], res.headers["X-Rejected"]) == ("2", "2")
    assert "attachment" in res.headers["Content-Disposition"]
    assert res.get_data() == out.read_bytes()
    # Without format=csv the same upload is answered one object per row, with the same counts.
    objects = client.post("/api/v1/score/batch?rulebook=gctf-vn", headers=token_for("bank_officer"),
                          data=src.read_bytes(), content_type="text/csv").get_json()
    assert objects["scored"] == 2 and [e["row"] for e in objects["errors"]] == [2, 3]
    refused = client.post("/api/v1/score/batch?rulebook=gctf-vn&format=xml", headers=token_for("bank_officer"),
                          data=src.read_bytes(), content_type="text/csv")
    assert refused.status_code == 422 and "format" in str(refused.get_json())


def test_openapi_documents_the_batch_body(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    body = spec["paths"]["/api/v1/score/batch"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/json", "multipart/form-data", "text/csv"}
    assert body["application/json"]["schema"]["type"] == "array"
    answers = spec["paths"]["/api/v1/score/batch"]["post"]["responses"]["200"]["content"]
    assert set(answers) == {"application/json", "text/csv"}  # format=csv answers the results file
    assert "operating_since" in body["multipart/form-data"]["schema"]["properties"]["file"]["description"]
    sensitivity = spec["components"]["schemas"]["SensitivityRow"]["properties"]
    assert {"irr", "simple_payback_years", "total"} <= set(sensitivity)


def test_an_excel_upload_scores_as_the_same_csv(client, token_for, tmp_path):
    rows = [_flat(), _flat(id="A2", operating_since="2001-13-01"), _flat(id="A3", loan_amount="120000")]
    book = tmp_path / "batch.xlsx"
    pd.DataFrame(rows).to_excel(book, index=False)
    url, headers = "/api/v1/score/batch?rulebook=gctf-vn", token_for("bank_officer")
    excel = client.post(url, headers=headers, content_type="multipart/form-data",
                        data={"file": (io.BytesIO(book.read_bytes()), "batch.xlsx")})
    text = client.post(url, headers=headers, data=csv_text(rows).encode(), content_type="text/csv")
    assert excel.status_code == 200, excel.get_json()
    assert excel.get_json() == text.get_json()
    assert excel.get_json()["scored"] == 1 and [e["row"] for e in excel.get_json()["errors"]] == [2, 3]


def test_flask_score_reads_an_excel_file(app, tmp_path):
    src, out = tmp_path / "in.xlsx", tmp_path / "out.csv"
    pd.DataFrame([_flat(), _flat(id="=A2", employees="0")]).to_excel(src, index=False)
    result = app.test_cli_runner().invoke(args=["score", str(src), "--rulebook", "gctf-vn", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "row 2: enterprise.employees: must be from 1 to 5,000,000 people" in result.output
    table = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert table["decision"].tolist() == ["eligible", "rejected"] and table.loc[0, "id"] == "A1"
