"""Proposals, assessments and the NCPC review: every role, the other SME and outsiders, exact statuses.

``{p}`` is the textile SME's submitted (eligible) dyeing proposal, ``{a}`` its assessment. The other
demo SME (``other_sme``) and the ``outsiders`` of a second credit line must get 404 on every read, as
if the proposal did not exist; roles that may not act get 403.
"""
from __future__ import annotations

import pytest

from ..conftest import OTHER_SME, OUTSIDER_USERS, ROLE_USERS
from ..factories import proposal_body
from .conftest import demo_ids

ROLES = tuple(ROLE_USERS)
OUTSIDERS = tuple(f"outsider_{r}" for r in OUTSIDER_USERS)
EVERYONE = (*ROLES, "other_sme", *OUTSIDERS)


def expect(default: int, **per_role: int) -> dict[str, int]:
    table = {who: default for who in EVERYONE}
    table.update(per_role)
    return table


READ = expect(200, other_sme=404, **{o: 404 for o in OUTSIDERS})

API_ROWS = [
    # Only the owner reopens; everyone else lacks the role (403) or cannot see it (the other SME: 404).
    ("reopen", "POST", "/api/v1/proposals/{p}/reopen", expect(403, sme=200, other_sme=404)),
    ("read reviews", "GET", "/api/v1/proposals/{p}/technical-review", READ),
    ("read proposal", "GET", "/api/v1/proposals/{p}", READ),
    ("read assessment", "GET", "/api/v1/proposals/{p}/assessment", READ),
    ("replay assessment", "GET", "/api/v1/proposals/{p}/assessments/{a}/replay", READ),
    ("read documents", "GET", "/api/v1/proposals/{p}/documents", READ),
    ("review", "POST", "/api/v1/proposals/{p}/technical-review",
     expect(403, verifier=201, senior_verifier=201, outsider_verifier=404, outsider_senior_verifier=404)),
]

PAGE_ROWS = [
    # The HTML review form and queue are the NCPC's: SMEs and banks get 403, not a form they cannot use.
    ("review form", "/proposals/{p}/review", expect(403, verifier=200, senior_verifier=200,
                                                    outsider_verifier=404, outsider_senior_verifier=404)),
    ("review queue", "/proposals/reviews", expect(403, verifier=200, senior_verifier=200,
                                                  outsider_verifier=200, outsider_senior_verifier=200)),
    ("proposal page", "/proposals/{p}", READ),
    ("assessment page", "/proposals/{p}/assessment", READ),
]


@pytest.fixture
def objects(client, token_for, layer):
    # Requested before ``outsiders``: the first credit line listed is the demo's.
    def build() -> dict:
        ids = demo_ids(client, token_for)
        sme = token_for("sme")
        pid = client.post("/api/v1/proposals", headers=sme, json=proposal_body(ids["line"], ids["ent"])).get_json()["id"]
        assert client.post(f"/api/v1/proposals/{pid}/submit", headers=sme, json={}).status_code == 200
        aid = client.get(f"/api/v1/proposals/{pid}/assessment", headers=sme).get_json()["id"]
        return {"p": pid, "a": aid}

    return layer(__name__ + ".objects", build)


def headers_of(who: str, token_for, outsiders) -> dict[str, str]:
    if who.startswith("outsider_"):
        return outsiders["headers"][who.removeprefix("outsider_")]
    return token_for(OTHER_SME if who == "other_sme" else who)


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("name,method,path,table", API_ROWS, ids=[r[0] for r in API_ROWS])
def test_api(client, token_for, objects, outsiders, name, method, path, table, who):
    body = {"outcome": "confirmed", "comments": "Baseline checked on site"} if name == "review" else None
    res = client.open(path.format(**objects), method=method, headers=headers_of(who, token_for, outsiders), json=body)
    assert res.status_code == table[who], (name, who, res.get_json())


def login(app, who: str):
    client = app.test_client()
    if who.startswith("outsider_"):
        email, password = OUTSIDER_USERS[who.removeprefix("outsider_")], "outsider-pass"
    else:
        email, password = (OTHER_SME if who == "other_sme" else ROLE_USERS[who]), "green-credit-demo"
    assert client.post("/login", data={"email": email, "password": password}).status_code == 302
    return client


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("name,path,table", PAGE_ROWS, ids=[r[0] for r in PAGE_ROWS])
def test_pages(app, objects, outsiders, name, path, table, who):
    res = login(app, who).get(path.format(**objects))
    assert res.status_code == table[who], (name, who)


def test_the_review_queue_lists_only_the_ncpcs_own_line(app, objects, outsiders):
    mine = login(app, "verifier").get("/proposals/reviews").get_data(as_text=True)
    theirs = login(app, "outsider_verifier").get("/proposals/reviews").get_data(as_text=True)
    assert "Water-efficient dyeing machines" in mine
    assert "Water-efficient dyeing machines" not in theirs
