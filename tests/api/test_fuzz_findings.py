"""What the schemathesis fuzz found, pinned as plain tests: each answered 500 or broke its schema."""
from __future__ import annotations

import pytest

from .test_errors import GOOD_ENTERPRISE

TOO_MANY = 20967722997542446165850587136  # the head count the fuzzer sent


@pytest.mark.parametrize("employees", [TOO_MANY, 2**31, 10_000_001])
def test_an_impossible_head_count_is_422_naming_the_field_and_changes_nothing(client, token_for, employees):
    admin = token_for("fund_admin")
    ent = client.get("/api/v1/enterprises", headers=admin).get_json()["items"][0]
    res = client.patch(f"/api/v1/enterprises/{ent['id']}", headers=admin, json={"employees": employees})
    assert res.status_code == 422, res.get_json()
    assert set(res.get_json()["errors"]) == {"employees"}
    assert client.get(f"/api/v1/enterprises/{ent['id']}", headers=admin).get_json()["employees"] == ent["employees"]
    created = client.post("/api/v1/enterprises", headers=token_for("sme"), json=dict(GOOD_ENTERPRISE, employees=employees))
    assert created.status_code == 422 and set(created.get_json()["errors"]) == {"employees"}




def test_a_form_part_whose_name_cannot_be_read_is_refused_not_a_500(client, token_for):
    # The fuzz sent a part named "$l\r": the bare CR ends the header line, so werkzeug has no name.
    body = b'--B\r\nContent-Disposition: form-data; name="$l\r"\r\n\r\n1\r\n--B--\r\n'
    res = client.put("/api/v1/proposals/1/documents/1", headers=token_for("sme"), data=body,
                     content_type="multipart/form-data; boundary=B")
    assert res.status_code == 422, res.get_data(as_text=True)
    assert "a form part has no readable name" in res.get_json()["message"]
