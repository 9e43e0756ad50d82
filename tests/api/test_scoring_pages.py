"""The verifier's review queue, the fund admin's rulebook pages and simulation, as served HTML."""
import pytest


@pytest.fixture
def signed_in(app, demo):
    def login(email):
        client = app.test_client()
        res = client.post("/login", data={"email": email, "password": "green-credit-demo"})
        assert res.status_code == 302
        return client
    return login


def test_verifier_sees_the_review_queue_and_reviews(signed_in):
    client = signed_in("verifier@ncpc.example")
    page = client.get("/proposals/reviews")
    assert page.status_code == 200
    assert "Low liquor ratio jet dyeing machines" in page.get_data(as_text=True)


def test_rulebook_pages_list_show_and_simulate(signed_in):
    admin = signed_in("admin@fund.example")
    listing = admin.get("/rulebooks").get_data(as_text=True)
    for name in ("gctf-vn", "gctf-co", "gctf-pe", "ebrd-ee"):
        assert name in listing
    detail = admin.get("/rulebooks/gctf-pe/2007.1").get_data(as_text=True)
    assert "graded" in detail and "sha256:" in detail
    text = admin.get("/rulebooks/simulate?from=gctf-vn@2007.1").get_data(as_text=True)
    assert "min-improvement" in text
    draft = open("rules/gctf-vn.yaml").read().replace("main_improvement >= 0.30", "main_improvement >= 0.60")
    res = admin.post("/rulebooks/simulate", data={"rulebook_yaml": draft})
    assert res.status_code == 200
    assert "eligible → ineligible" in res.get_data(as_text=True)
    bad = admin.post("/rulebooks/simulate", data={"rulebook_yaml": "id: x\n"})
    assert bad.status_code == 422 and "is required" in bad.get_data(as_text=True)


def test_smes_cannot_open_the_simulation(signed_in):
    assert signed_in("owner@textile.example").get("/rulebooks/simulate").status_code == 403
