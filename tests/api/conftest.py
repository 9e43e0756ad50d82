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


@pytest.fixture
def story(app, layer) -> dict:
    """The demo story played to today (built once, copied back per test): its loans, verifications and grants."""
    import json

    from creditline import clock
    from creditline.demo_story import seed_story
    from creditline.extensions import db

    def play() -> dict:
        with app.app_context():
            ids = json.loads(json.dumps(seed_story(clock.today()), default=str))
            db.session.remove()
        return ids

    return layer("api-story", play)
