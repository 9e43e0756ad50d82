"""API test fixtures shared by the proposal and scoring tests."""
import pytest


def demo_ids(client, token_for) -> dict[str, int]:
    """The textile SME's enterprise id and the demo credit line id."""
    sme = token_for("sme")
    ent = client.get("/api/v1/enterprises", headers=sme).get_json()["items"][0]["id"]
    line = client.get("/api/v1/credit-lines", headers=sme).get_json()["items"][0]["id"]
    return {"ent": ent, "line": line}


@pytest.fixture
def ids(client, token_for):
    """The textile SME's enterprise id and the demo credit line id."""
    return demo_ids(client, token_for)
