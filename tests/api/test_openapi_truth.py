"""openapi.json says what the API really sends: decimal strings, nulls, UTC offsets, file types."""
from __future__ import annotations

import re

import pytest
from openapi_schema_validator import OAS30Validator

from .test_loans import approved, proposal_id  # noqa: F401  (fixtures)


@pytest.fixture
def spec(client) -> dict:
    return client.get("/api/v1/openapi.json").get_json()


def violations(spec: dict, component: str, body: dict) -> list[str]:
    """Every way ``body`` breaks the document's ``component`` schema (date-time formats checked)."""
    from openapi_schema_validator import oas30_format_checker

    validator = OAS30Validator({"$ref": f"#/components/schemas/{component}", "components": spec["components"]},
                               format_checker=oas30_format_checker)
    return [f"{list(e.absolute_path)}: {e.message[:160]}" for e in validator.iter_errors(body)]


def test_money_and_quantities_are_documented_as_the_decimal_strings_sent(spec, client, token_for):
    line = spec["components"]["schemas"]["CreditLine"]["properties"]["guarantee_capacity"]
    assert line["type"] == "string" and "minimum" not in line
    sent = client.get("/api/v1/credit-lines", headers=token_for("fund_admin")).get_json()["items"][0]
    assert sent["guarantee_capacity"] == "2000000.00"
    assert re.fullmatch(line["pattern"], sent["guarantee_capacity"])
    assert not re.fullmatch(line["pattern"], "-1.00") and not re.fullmatch(line["pattern"], "1E+6")
    quantity = spec["components"]["schemas"]["Indicator"]["properties"]["baseline_quantity"]
    assert quantity["type"] == "string" and re.fullmatch(quantity["pattern"], "1250.5")
    assert violations(spec, "CreditLine", sent) == []


def test_timestamps_carry_their_utc_offset_on_every_database(client, token_for):
    events = client.get("/api/v1/audit-events", headers=token_for("fund_admin")).get_json()["items"]
    assert events and all(e["occurred_at"].endswith("+00:00") for e in events)
    me = client.post("/api/v1/auth/token", json={"email": "owner@textile.example",
                                                  "password": "green-credit-demo"}).get_json()
    assert me["expires_at"].endswith("+00:00")


def test_a_naive_timestamp_as_sqlite_returns_it_is_sent_as_utc():
    from datetime import datetime

    from marshmallow import Schema

    from creditline.schemas import UtcDateTime

    class Stamp(Schema):
        at = UtcDateTime(allow_none=True)

    assert Stamp().dump({"at": datetime(2026, 11, 17, 9, 30)}) == {"at": "2026-11-17T09:30:00+00:00"}
    assert Stamp().dump({"at": None}) == {"at": None}


def test_a_draft_proposal_matches_its_schema_with_its_nulls(spec, client, token_for, ids):
    res = client.post("/api/v1/proposals", headers=token_for("sme"), json={
        "credit_line_id": ids["line"], "enterprise_id": ids["ent"], "title": "Boiler economiser"})
    assert res.status_code == 201
    draft = res.get_json()
    assert draft["submitted_at"] is None
    assert spec["components"]["schemas"]["Proposal"]["properties"]["submitted_at"].get("nullable") is True
    assert violations(spec, "Proposal", draft) == []
    listed = client.get("/api/v1/proposals", headers=token_for("sme")).get_json()
    assert violations(spec, "ProposalPage", listed) == []


@pytest.mark.parametrize("path, media_types", [
    ("/api/v1/verifications/{verification_id}/certificate.pdf", {"application/pdf"}),
    ("/api/v1/proposals/{proposal_id}/monitoring-reports/template.{fmt}",
     {"text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}),
    ("/api/v1/verifications/{verification_id}/evidence/{number}", {"*/*"}),
])
def test_file_downloads_document_their_media_types(spec, path, media_types):
    ok = spec["paths"][path]["get"]["responses"]["200"]
    assert set(ok["content"]) == media_types
    assert all(c["schema"] == {"type": "string", "format": "binary"} for c in ok["content"].values())


def test_the_certificate_is_served_as_the_pdf_the_document_promises(spec, app, demo, client, token_for):
    from creditline import clock
    from creditline.demo_story import seed_story
    from creditline.extensions import db

    with app.app_context():
        seed_story(clock.today())
        db.session.remove()
    confirmed = [v for v in client.get("/api/v1/verifications", headers=token_for("fund_admin")).get_json()["items"]
                 if v["status"] == "confirmed"]
    res = client.get(f"/api/v1/verifications/{confirmed[0]['id']}/certificate.pdf", headers=token_for("fund_admin"))
    assert res.status_code == 200 and res.mimetype == "application/pdf" and res.data.startswith(b"%PDF")
    assert res.mimetype in spec["paths"]["/api/v1/verifications/{verification_id}/certificate.pdf"]["get"][
        "responses"]["200"]["content"]


def test_a_recovery_without_reference_and_the_called_guarantee_match_their_schemas(
        spec, app, client, token_for, approved):  # noqa: F811
    from dateutil.relativedelta import relativedelta

    from .test_guarantees import default, disbursed, issue
    from .test_loans import START

    gid = issue(client, token_for, approved).get_json()["id"]
    disbursed(client, token_for, approved)
    assert default(app, approved) == "defaulted"
    called = client.post(f"/api/v1/guarantees/{gid}/call", headers=token_for("bank_officer")).get_json()
    assert violations(spec, "Guarantee", called) == []
    assert client.post(f"/api/v1/guarantees/{gid}/pay", headers=token_for("fund_admin")).status_code == 200
    res = client.post(f"/api/v1/guarantees/{gid}/recoveries", headers=token_for("bank_officer"),
                      json={"amount": "100.00", "value_date": (START + relativedelta(months=6)).isoformat()})
    assert res.status_code == 201 and res.get_json()["reference"] is None
    assert violations(spec, "Recovery", res.get_json()) == []
    loan = client.get(f"/api/v1/loans/{approved}", headers=token_for("bank_officer")).get_json()
    assert violations(spec, "Loan", loan) == []


def test_the_schedule_documents_its_csv_next_to_its_json(spec, client, token_for, approved):  # noqa: F811
    ok = spec["paths"]["/api/v1/loans/{loan_id}/schedule"]["get"]["responses"]["200"]
    assert set(ok["content"]) == {"application/json", "text/csv"}
    assert ok["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Schedule"}
    res = client.get(f"/api/v1/loans/{approved}/schedule?format=csv", headers=token_for("bank_officer"))
    assert res.status_code == 200 and res.mimetype == "text/csv"


def test_every_timestamp_field_of_the_api_sends_its_utc_offset(app):
    from marshmallow import class_registry, fields

    from creditline.schemas import UtcDateTime

    plain = []
    for classes in list(class_registry._registry.values()):  # every Schema class imported so far
        for cls in classes:
            if not cls.__module__.startswith("creditline."):
                continue
            for name, field in cls._declared_fields.items():
                inner = getattr(field, "inner", field)
                if isinstance(inner, fields.DateTime) and not isinstance(inner, UtcDateTime):
                    plain.append(f"{cls.__module__}.{cls.__name__}.{name}")
    assert plain == [], "use creditline.schemas.UtcDateTime: SQLite hands these back without an offset"
