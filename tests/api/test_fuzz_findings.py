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

