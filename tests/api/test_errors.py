"""Bad input always gets the JSON error of design §5, never a 500 or an HTML page."""
import pytest
from sqlalchemy import func, select

from creditline.enterprises.models import Enterprise
from creditline.extensions import db

GOOD_ENTERPRISE = {
    "legal_name": "Da Nang Seafood Processing JSC", "tax_id": "VN0401112223", "country": "VN",
    "isic_code": "C1020", "employees": 120, "annual_turnover": "2500000.00",
    "total_assets": "1800000.00", "domestic_ownership_share": 0.9, "operating_since": "2010-05-01",
}


def count_enterprises(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Enterprise))


def test_malformed_json_is_400_json(client, token_for, app):
    before = count_enterprises(app)
    res = client.post("/api/v1/enterprises", data="{not json", content_type="application/json",
                      headers=token_for("sme"))
    assert res.status_code == 400
    assert res.get_json()["message"] == "the request body is not valid JSON"
    assert count_enterprises(app) == before


def test_wrong_content_type_is_415(client, token_for):
    res = client.post("/api/v1/enterprises", data="legal_name=x", headers=token_for("sme"),
                      content_type="application/x-www-form-urlencoded")
    assert res.status_code == 415
    assert res.get_json()["code"] == "unsupported_media_type"


@pytest.mark.parametrize("content_type,body", [("text/csv", "legal_name\nx\n"),
                                               ("multipart/form-data; boundary=b", "--b--\r\n")])
def test_a_json_route_refuses_an_upload_type_with_415_and_changes_nothing(app, client, token_for, content_type, body):
    before = count_enterprises(app)
    res = client.post("/api/v1/enterprises", data=body, headers=token_for("sme"), content_type=content_type)
    assert res.status_code == 415 and "application/json" in res.get_json()["message"]
    assert count_enterprises(app) == before


def test_upload_routes_still_take_their_types(client, token_for):
    csv = "title,investment\nBoiler,1000.00\n"
    res = client.post("/api/v1/score/batch?rulebook=gctf-vn", data=csv, headers=token_for("bank_officer"),
                      content_type="text/csv")
    assert res.status_code == 200 and res.get_json()["rejected"] == 1


def test_oversized_body_is_413(app, client, token_for):
    big = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    res = client.post("/api/v1/enterprises", data=big, content_type="application/json",
                      headers=token_for("sme"))
    assert res.status_code == 413
    assert res.get_json()["code"] == "payload_too_large"


def test_unknown_and_invalid_fields_are_named(client, token_for, app):
    before = count_enterprises(app)
    body = dict(GOOD_ENTERPRISE, employees=-3, country="Vietnam", colour="green")
    res = client.post("/api/v1/enterprises", json=body, headers=token_for("sme"))
    assert res.status_code == 422
    errors = res.get_json()["errors"]
    assert set(errors) == {"employees", "country", "colour"}
    assert errors["colour"] == ["Unknown field."]
    assert count_enterprises(app) == before


def test_duplicate_tax_id_is_422_and_nothing_saved(client, token_for, app):
    assert client.post("/api/v1/enterprises", json=GOOD_ENTERPRISE, headers=token_for("sme")).status_code == 201
    before = count_enterprises(app)
    res = client.post("/api/v1/enterprises", json=GOOD_ENTERPRISE, headers=token_for("sme"))
    assert res.status_code == 422
    assert "already registered" in res.get_json()["errors"]["tax_id"][0]
    assert count_enterprises(app) == before


def test_unknown_route_and_method_are_json(client, token_for):
    res = client.get("/api/v1/nowhere", headers=token_for("sme"))
    assert res.status_code == 404 and res.get_json()["code"] == "not_found"
    res = client.delete("/api/v1/credit-lines", headers=token_for("fund_admin"))
    assert res.status_code == 405 and res.get_json()["code"] == "method_not_allowed"


def test_unexpected_error_is_500_json_without_trace(app, client, token_for, monkeypatch):
    from creditline.enterprises import services

    def boom(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(services, "enterprises_query", boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        res = client.get("/api/v1/enterprises", headers=token_for("sme"))
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None
    assert res.status_code == 500
    assert "secret internals" not in res.get_data(as_text=True)
    assert res.get_json()["code"] == "internal_error"


def test_openapi_document_lists_the_routes(client):
    res = client.get("/api/v1/openapi.json")
    assert res.status_code == 200
    paths = res.get_json()["paths"]
    assert "/api/v1/auth/token" in paths and "/api/v1/enterprises/{ent_id}" in paths
    assert client.get("/api/v1/docs").status_code == 200


def test_the_openapi_document_is_valid_openapi_3(client):
    from openapi_spec_validator import OpenAPIV30SpecValidator
    spec = client.get("/api/v1/openapi.json").get_json()
    problems = [f"{list(e.absolute_path)}: {e.message[:200]}" for e in OpenAPIV30SpecValidator(spec).iter_errors()]
    assert problems == []


def test_interactive_docs_load_their_files_from_the_app_not_a_cdn(client):
    html = client.get("/api/v1/docs").get_data(as_text=True)
    assert "http" not in html.split("<script>")[0], "the docs page must not load anything from outside"
    for name in ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"):
        assert f"/api/v1/docs/assets/{name}" in html
        res = client.get(f"/api/v1/docs/assets/{name}")
        assert res.status_code == 200 and len(res.data) > 10_000
    missing = client.get("/api/v1/docs/assets/nothing.js")
    assert missing.status_code == 404 and missing.get_json()["code"] == "not_found"


def credit_lines(app):
    from creditline.creditlines.models import CreditLine
    with app.app_context():
        return {line.id: (line.name, line.grant_budget) for line in db.session.execute(select(CreditLine)).scalars()}


def test_renaming_a_credit_line_to_a_taken_name_is_422(app, client, token_for, outsiders):
    admin = token_for("fund_admin")
    demo_line = client.get("/api/v1/credit-lines?country=VN", headers=admin).get_json()["items"][0]
    before = credit_lines(app)
    res = client.patch(f"/api/v1/credit-lines/{demo_line['id']}", headers=admin,
                       json={"name": "GCTF Colombia", "grant_budget": "1.00"})
    assert res.status_code == 422
    assert res.get_json()["errors"] == {"name": ["a credit line named 'GCTF Colombia' already exists"]}
    assert credit_lines(app) == before
    # Keeping its own name is no clash.
    res = client.patch(f"/api/v1/credit-lines/{demo_line['id']}", headers=admin, json={"name": demo_line["name"]})
    assert res.status_code == 200


def test_a_unique_constraint_the_service_missed_is_409_json(app, client, token_for, outsiders, monkeypatch):
    from creditline.creditlines import services

    monkeypatch.setattr(services, "_name_taken", lambda name, other_than=None: False)  # as in a race
    admin = token_for("fund_admin")
    demo_line = client.get("/api/v1/credit-lines?country=VN", headers=admin).get_json()["items"][0]
    before = credit_lines(app)
    res = client.patch(f"/api/v1/credit-lines/{demo_line['id']}", headers=admin,
                       json={"name": "GCTF Colombia", "grant_budget": "1.00"})
    assert res.status_code == 409
    body = res.get_json()
    assert body["code"] == "conflict" and body["errors"] == {} and "nothing was changed" in body["message"]
    assert credit_lines(app) == before


def test_an_id_too_large_for_the_database_is_404(client, token_for):
    admin = token_for("fund_admin")
    for path in ("/api/v1/credit-lines/99999999999999999999999", "/api/v1/credit-lines/2147483648",
                 "/api/v1/users/99999999999999999999999", "/api/v1/enterprises/99999999999999999999999"):
        res = client.get(path, headers=admin)
        assert res.status_code == 404, path
        assert res.get_json()["code"] == "not_found"
    res = client.patch("/api/v1/credit-lines/99999999999999999999999", headers=admin, json={"name": "Xyz"})
    assert res.status_code == 404
    # The largest id a column holds is still a normal, missing id.
    res = client.get("/api/v1/credit-lines/2147483647", headers=admin)
    assert res.status_code == 404 and res.get_json()["message"] == "credit line 2147483647 not found"


def test_openapi_documents_the_error_body_the_app_sends(client, token_for):
    spec = client.get("/api/v1/openapi.json").get_json()
    error = spec["components"]["schemas"]["Error"]
    assert {k: v["type"] for k, v in error["properties"].items()} == {
        "code": "string", "status": "integer", "message": "string", "errors": "object"}
    sent = client.get("/api/v1/credit-lines/999999", headers=token_for("fund_admin")).get_json()
    assert set(sent) == set(error["properties"]) and sent["errors"] == {}
    assert isinstance(sent["code"], str) and sent["status"] == 404
    # Both ApproveSchema classes (loans and grants) are documented, under distinct names.
    names = spec["components"]["schemas"]
    assert {n for n in names if n.endswith("Approve")} in ({"Approve", "GrantsApprove"}, {"Approve", "LoansApprove"})


def test_the_app_starts_without_schema_name_warnings(tmp_path):
    import warnings

    from ..conftest import make_app

    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        app = make_app(f"sqlite:///{tmp_path / 'w.db'}")
        assert app.test_client().get("/api/v1/openapi.json").status_code == 200
