"""The referral desk: every role, the other SME and outsiders against each route, exact statuses.

``{t}`` is the NCPC's offset task of the demo's referred rolling mill, ``{rp}`` that proposal. Its
owner is the *other* demo SME (``other_sme``), so here the textile SME (``sme``) is the one out of
scope; outsiders of a second credit line get 404 on everything, as if the task did not exist.
"""
from __future__ import annotations

import pytest

from .test_authz_proposals import EVERYONE, OUTSIDERS, expect, headers_of, login

OUT = {"sme": 404, **{o: 404 for o in OUTSIDERS}}
READ = expect(200, **OUT)

API_ROWS = [
    # A list is scoped, never refused: outsiders get an empty page.
    ("list referrals", "GET", "/api/v1/referrals", None, expect(200)),
    ("read referral", "GET", "/api/v1/referrals/{t}", None, READ),
    ("proposal's referrals", "GET", "/api/v1/proposals/{rp}/referrals", None, READ),
    # Only the NCPC of the line decides an offset; the rolling mill's owner reads it but may not decide.
    ("decide offset", "POST", "/api/v1/referrals/{t}/decision",
     {"decision": "clear", "offset_method": "deduct_worse", "comment": "electricity loss is small against the acid"},
     expect(403, verifier=200, senior_verifier=200, **OUT)),
]

PAGE_ROWS = [
    ("referral desk", "/referrals", expect(200)),
    ("referral page", "/referrals/{t}", READ),
]


@pytest.fixture
def objects(client, token_for, layer):
    # A layer (though it only reads) so that ``outsiders`` after it is built once, not per test.
    def build() -> dict:
        admin = token_for("fund_admin")
        items = client.get("/api/v1/referrals?reason=worse_indicator", headers=token_for("verifier")).get_json()["items"]
        (task,) = items
        assert client.get(f"/api/v1/referrals/{task['id']}", headers=admin).status_code == 200
        return {"t": task["id"], "rp": task["proposal_id"]}

    return layer(__name__ + ".objects", build)


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("name,method,path,body,table", API_ROWS, ids=[r[0] for r in API_ROWS])
def test_api(client, token_for, objects, outsiders, name, method, path, body, table, who):
    res = client.open(path.format(**objects), method=method, headers=headers_of(who, token_for, outsiders), json=body)
    assert res.status_code == table[who], (name, who, res.get_json())


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("name,path,table", PAGE_ROWS, ids=[r[0] for r in PAGE_ROWS])
def test_pages(app, objects, outsiders, name, path, table, who):
    res = login(app, who).get(path.format(**objects))
    assert res.status_code == table[who], (name, who)


def test_outsiders_list_nothing_of_the_demo_line(client, token_for, objects, outsiders):
    for headers in outsiders["headers"].values():
        assert client.get("/api/v1/referrals?status=&all_owners=true", headers=headers).get_json()["total"] == 0
