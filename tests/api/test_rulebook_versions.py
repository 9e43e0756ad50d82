"""Rulebook versions in the app: drafted by one fund admin, published by another, applied at the next scoring."""
import pytest
from sqlalchemy import select

from creditline import clock
from creditline.extensions import db
from creditline.rulebooks.models import RulebookVersion

from .races import race_calls
from .test_scoring import submitted

NEW_NOTE = ("notes:\n  - id: terms-2027\n    when: \"true\"\n    says: \"scored under the 2027 terms\"\n"
            "  - id: second-opinion")


@pytest.fixture
def vn_text(app):
    from creditline.rulebooks import registry

    with app.app_context():
        return registry().get("gctf-vn", "2007.1").text


def draft_of(text: str, version: str) -> str:
    assert "notes:\n  - id: second-opinion" in text
    return text.replace('version: "2007.1"', f'version: "{version}"').replace("notes:\n  - id: second-opinion", NEW_NOTE)


@pytest.fixture
def admins(app, demo, token_for):
    """Two more fund admins of the fund, so four eyes can be kept."""
    from creditline.auth.models import User
    from creditline.auth.services import create_user

    with app.app_context():
        fund = db.session.execute(select(User).where(User.email == "admin@fund.example")).scalar_one().organisation_id
        for email in ("second@fund.example", "third@fund.example"):
            create_user(None, email=email, name=email.split("@")[0].title(), password="green-credit-demo",
                        organisation_id=fund, roles=["fund_admin"])
        db.session.commit()
        db.session.remove()
    return token_for("second@fund.example"), token_for("third@fund.example")


def test_a_published_version_scores_the_next_proposal_without_a_restart(app, client, token_for, ids, admins, vn_text):
    admin, (second, _) = token_for("fund_admin"), admins
    before = submitted(client, token_for, ids)
    res = client.post("/api/v1/rulebook-versions", headers=admin, json={"rulebook_yaml": draft_of(vn_text, "2027.1")})
    assert res.status_code == 201, res.get_json()
    draft = res.get_json()
    assert draft["status"] == "draft" and draft["in_force"]["version"] == "2007.1" and draft["case_problems"] == []
    assert '+  - id: terms-2027' in draft["diff"]
    # The SME reads published rules only; a draft is the fund's until it is published.
    assert client.get("/api/v1/rulebook-versions", headers=token_for("sme")).get_json() == [] or all(
        v["status"] != "draft" for v in client.get("/api/v1/rulebook-versions", headers=token_for("sme")).get_json())
    assert client.get(f"/api/v1/rulebook-versions/{draft['id']}", headers=token_for("sme")).status_code == 404

    mine = client.post(f"/api/v1/rulebook-versions/{draft['id']}/publish", headers=admin, json={})
    assert mine.status_code == 403 and "four-eyes" in mine.get_json()["message"]
    past = client.post(f"/api/v1/rulebook-versions/{draft['id']}/publish", headers=second,
                       json={"effective_from": "2026-11-01"})
    assert past.status_code == 422 and "effective_from" in past.get_json()["errors"]
    res = client.post(f"/api/v1/rulebook-versions/{draft['id']}/publish", headers=second, json={})
    assert res.status_code == 200, res.get_json()
    assert res.get_json()["status"] == "published" and res.get_json()["effective_from"] == clock.today().isoformat()

    pid = submitted(client, token_for, ids)
    a = client.get(f"/api/v1/proposals/{pid}/assessment", headers=token_for("sme")).get_json()
    assert a["rulebook"]["version"] == "2027.1" and a["rulebook"]["hash"] == draft["hash"]
    assert any(t["rule"] == "terms-2027" for t in a["trace"])
    again = client.get(f"/api/v1/proposals/{pid}/assessments/{a['id']}/replay", headers=token_for("sme")).get_json()
    assert again["decision"] == a["decision"] and again["rulebook"] == a["rulebook"]
    # Grants, guarantees and monitoring follow the version that judged each proposal, not the newest.
    from creditline.proposals.models import Proposal
    from creditline.scoring.services import rulebook_for
    with app.app_context():
        assert rulebook_for(db.session.get(Proposal, before)).version == "2007.1"
        assert rulebook_for(db.session.get(Proposal, pid)).version == "2027.1"
    fixed = client.put(f"/api/v1/rulebook-versions/{draft['id']}", headers=admin, json={"rulebook_yaml": vn_text})
    assert fixed.status_code == 409
    with app.app_context():
        actions = [e for (e,) in db.session.execute(db.text(
            "SELECT action FROM audit_event WHERE entity_type = 'rulebook_version' ORDER BY seq")).all()]
    assert actions[-2:] == ["rulebook_version.drafted", "rulebook_version.published"]


def test_a_misspelt_draft_is_refused_at_its_line_and_a_broken_case_blocks_publishing(client, token_for, admins,
                                                                                       vn_text):
    admin, (second, _) = token_for("fund_admin"), admins
    typo = draft_of(vn_text, "2027.1").replace("\neligibility:\n", "\neligibilty:\n")
    res = client.post("/api/v1/rulebook-versions", headers=admin, json={"rulebook_yaml": typo})
    assert res.status_code == 422
    assert any("eligibilty (line 20): unknown key 'eligibilty'; did you mean 'eligibility'?" in p
               for p in res.get_json()["errors"]["rulebook_yaml"])
    taken = client.post("/api/v1/rulebook-versions", headers=admin, json={"rulebook_yaml": vn_text})
    assert taken.status_code == 422 and "already exists" in taken.get_json()["errors"]["rulebook_yaml"][0]

    stricter = draft_of(vn_text, "2027.1").replace("when: main_improvement >= 0.30", "when: main_improvement >= 0.35")
    draft = client.post("/api/v1/rulebook-versions", headers=admin, json={"rulebook_yaml": stricter}).get_json()
    assert any("Exactly 30% less water" in p for p in draft["case_problems"])
    res = client.post(f"/api/v1/rulebook-versions/{draft['id']}/publish", headers=second, json={})
    assert res.status_code == 422 and "decision is ineligible, expected eligible" in res.get_json()["errors"]["cases"][0]
    assert client.get(f"/api/v1/rulebook-versions/{draft['id']}", headers=admin).get_json()["status"] == "draft"


def test_two_admins_publishing_at_once_leave_exactly_one_version_in_force(app, client, token_for, admins, vn_text):
    admin, (second, third) = token_for("fund_admin"), admins
    drafts = [client.post("/api/v1/rulebook-versions", headers=admin,
                          json={"rulebook_yaml": draft_of(vn_text, v)}).get_json()["id"] for v in ("2027.1", "2027.2")]
    day = {"effective_from": "2026-12-01"}
    results = race_calls(app, [(f"/api/v1/rulebook-versions/{drafts[0]}/publish", second, day),
                               (f"/api/v1/rulebook-versions/{drafts[1]}/publish", third, day)])
    assert sorted(status for status, _ in results) == [200, 409], results
    with app.app_context():
        published = db.session.execute(select(RulebookVersion).where(
            RulebookVersion.rulebook_id == "gctf-vn", RulebookVersion.status == "published",
            RulebookVersion.effective_from == clock.today().replace(day=1, month=12))).scalars().all()
        assert len(published) == 1
    # The same draft published twice at once: one publish, one 409 with the state it is in.
    third_draft = client.post("/api/v1/rulebook-versions", headers=admin,
                              json={"rulebook_yaml": draft_of(vn_text, "2027.3")}).get_json()["id"]
    later = {"effective_from": "2026-12-15"}
    results = race_calls(app, [(f"/api/v1/rulebook-versions/{third_draft}/publish", second, later),
                               (f"/api/v1/rulebook-versions/{third_draft}/publish", third, later)])
    assert sorted(status for status, _ in results) == [200, 409], results


def test_the_what_if_follows_a_publish_and_a_retirement_at_the_next_request(app, client, token_for, ids, admins,
                                                                           vn_text):
    from sqlalchemy import event

    from ..factories import proposal_body

    sme, (second, third) = token_for("sme"), admins
    body = proposal_body(ids["line"], ids["ent"])

    def version_scored() -> str:
        res = client.post("/api/v1/score", headers=sme, json=body)
        assert res.status_code == 200, res.get_json()
        return res.get_json()["rulebook"]["version"]

    assert version_scored() == "2007.1"  # the version in force is now kept in this process
    read = []
    with app.app_context():
        engine = db.engine
    watch = lambda conn, cursor, sql, *rest: read.append(sql)  # noqa: E731
    event.listen(engine, "before_cursor_execute", watch)
    try:
        assert version_scored() == "2007.1"
    finally:
        event.remove(engine, "before_cursor_execute", watch)
    # A score asks only whether the published set changed; it reads no rulebook text.
    assert read and not any("rulebook_version.text" in sql for sql in read)

    draft = client.post("/api/v1/rulebook-versions", headers=second,
                        json={"rulebook_yaml": draft_of(vn_text, "2027.1")}).get_json()
    assert version_scored() == "2007.1"  # a draft changes nothing
    assert client.post(f"/api/v1/rulebook-versions/{draft['id']}/publish", headers=third, json={}).status_code == 200
    assert version_scored() == "2027.1"
    # Retired straight in the database (no timestamp touched): the next score still notices.
    with app.app_context():
        db.session.execute(db.text("UPDATE rulebook_version SET status = 'retired' WHERE id = :id"), {"id": draft["id"]})
        db.session.commit()
    assert version_scored() == "2007.1"


def test_a_version_looked_up_per_row_is_read_once_and_a_retirement_or_rollback_is_seen_next(app, client, admins,
                                                                                           vn_text):
    from sqlalchemy import event

    from creditline.rulebooks import registry
    from creditline.rules.loader import content_hash

    second, third = admins
    draft = client.post("/api/v1/rulebook-versions", headers=second,
                        json={"rulebook_yaml": draft_of(vn_text, "2027.1")}).get_json()
    assert client.post(f"/api/v1/rulebook-versions/{draft['id']}/publish", headers=third, json={}).status_code == 200
    read: list[str] = []
    watch = lambda conn, cursor, sql, *rest: read.append(sql)  # noqa: E731
    with app.app_context():
        assert registry().get("gctf-vn", "2027.1").hash == draft["hash"]  # a database-only version
        event.listen(db.engine, "before_cursor_execute", watch)
        try:
            # What the tape import asks for each row: the line's version, the newest version.
            for _ in range(3):
                assert registry().get("gctf-vn", "2027.1").version == "2027.1"
                assert registry().latest("gctf-vn").version == "2027.1"
        finally:
            event.remove(db.engine, "before_cursor_execute", watch)
        assert read and not any("rulebook_version.text" in sql for sql in read)

        # A publish that is rolled back is seen inside its transaction and gone after it.
        text = draft_of(vn_text, "2027.9")
        db.session.add(RulebookVersion(rulebook_id="gctf-vn", version="2027.9", text=text, hash=content_hash(text),
                                       status="published", effective_from=clock.today().replace(month=12)))
        db.session.flush()
        assert registry().latest("gctf-vn").version == "2027.9"
        db.session.rollback()
        assert registry().get("gctf-vn", "2027.9") is None and registry().latest("gctf-vn").version == "2027.1"

        # Retired straight in the database (no timestamp touched): the next lookup no longer finds it.
        db.session.execute(db.text("UPDATE rulebook_version SET status = 'retired' WHERE id = :id"),
                           {"id": draft["id"]})
        db.session.commit()
        assert registry().get("gctf-vn", "2027.1") is None and registry().latest("gctf-vn").version == "2007.1"
