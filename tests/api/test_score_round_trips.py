"""The what-if is the busiest route: it asks the database only what it needs, once."""
from sqlalchemy import event

from creditline.extensions import db

from ..factories import proposal_body


def test_a_what_if_with_a_bearer_token_takes_four_queries(app, client, token_for, ids):
    headers = token_for("sme")
    body = proposal_body(ids["line"], ids["ent"])
    assert client.post("/api/v1/score", headers=headers, json=body).status_code == 200
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        res = client.post("/api/v1/score", headers=headers, json=body)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert res.status_code == 200 and res.get_json()["decision"]
    # The token with its user, roles and organisation (one join), the credit line (not its partner
    # banks, which play no part in a score), the enterprise, and the rulebook version in force (asked
    # each time, so that a version published by another worker applies at once): four. Loading the
    # user, roles and organisation one by one made it eight; the line's banks, five.
    assert len(statements) == 4, statements
    assert not any("credit_line_bank" in s for s in statements)
    assert "api_token" in statements[0] and "user_role" in statements[0] and "organisation" in statements[0]
