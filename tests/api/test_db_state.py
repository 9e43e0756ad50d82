"""The suite's clean-up between tests: only written tables are put back, layers are built once."""
from __future__ import annotations

from sqlalchemy import func, select, text

from creditline.extensions import db
from creditline.proposals.models import Proposal

from ..db_state import TABLES
from ..factories import proposal_body
from .conftest import demo_ids


def _count(app, model) -> int:
    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(model))
        db.session.remove()
        return n


def test_a_write_marks_its_tables_and_going_back_restores_the_demo(app, demo, client, token_for):
    before = _count(app, Proposal)
    ids = demo_ids(client, token_for)
    assert TABLES.dirty == {"api_token", "audit_event", "audit_head"}  # issuing a token is a write
    res = client.post("/api/v1/proposals", headers=token_for("sme"), json=proposal_body(ids["line"], ids["ent"]))
    assert res.status_code == 201
    assert {"proposal", "audit_event"} <= TABLES.dirty and "loan" not in TABLES.dirty
    assert _count(app, Proposal) == before + 1
    TABLES.go(app, TABLES.holds)
    assert _count(app, Proposal) == before and not TABLES.dirty


def test_an_unknown_statement_puts_back_every_table(app, demo):
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("CREATE TABLE scratch_note (id INTEGER PRIMARY KEY)"))
            conn.execute(text("DROP TABLE scratch_note"))
        db.session.remove()
    assert TABLES.everything


def test_a_layer_is_built_once_and_copied_back_with_its_rows(app, demo, client, token_for, layer):
    built = []

    def build() -> dict:
        built.append(1)
        ids = demo_ids(client, token_for)
        res = client.post("/api/v1/proposals", headers=token_for("sme"), json=proposal_body(ids["line"], ids["ent"]))
        return {"p": res.get_json()["id"]}

    first = layer("test_db_state.one_draft", build)
    count = _count(app, Proposal)
    TABLES.demo(app, TABLES.holds[0])  # back to the demo under it, as the next test's fixtures would
    assert _count(app, Proposal) == count - 1
    again = layer("test_db_state.one_draft", build)
    assert built == [1] and again == first
    assert _count(app, Proposal) == count
    with app.app_context():
        assert db.session.get(Proposal, first["p"]) is not None
        db.session.remove()
