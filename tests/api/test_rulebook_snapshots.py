"""An old assessment stays explainable after its rulebook file changes: the text is kept by hash."""
import shutil

import pytest
from sqlalchemy import select

from creditline.extensions import db
from creditline.proposals.models import RulebookSnapshot
from creditline.rulebooks import RulebookRegistry

from ..factories import proposal_body
from .test_scoring import submitted


@pytest.fixture
def rules_dir(app, tmp_path):
    """Serve the rulebooks from a copy the test may edit; the real registry comes back afterwards."""
    directory = tmp_path / "rules"
    shutil.copytree(app.config["RULES_DIR"], directory)
    real = app.extensions["rulebooks"]
    app.extensions["rulebooks"] = RulebookRegistry(directory)
    yield directory
    app.extensions["rulebooks"] = real


def edit_and_restart(app, directory):
    """Change gctf-vn 2007.1 in place (a stricter threshold) and load it in a fresh registry."""
    path = directory / "gctf-vn.yaml"
    path.write_text(path.read_text().replace("main_improvement >= 0.30", "main_improvement >= 0.60")
                    .replace("under the 30% threshold", "under the 60% threshold"))
    # A fresh registry has never seen the old text: only the database snapshot can explain.
    app.extensions["rulebooks"] = RulebookRegistry(directory)


def test_an_old_assessment_is_re_explained_identically_after_the_file_changes(app, client, token_for, ids, rules_dir):
    sme = token_for("sme")
    pid = submitted(client, token_for, ids)
    stored = client.get(f"/api/v1/proposals/{pid}/assessment", headers=sme).get_json()
    old_hash = stored["rulebook"]["hash"]
    with app.app_context():
        snap = db.session.get(RulebookSnapshot, old_hash)
        assert (snap.rulebook_id, snap.version) == ("gctf-vn", "2007.1")
        assert "main_improvement >= 0.30" in snap.text
    edit_and_restart(app, rules_dir)

    again = client.get(f"/api/v1/proposals/{pid}/assessments/{stored['id']}/replay", headers=sme)
    assert again.status_code == 200, again.get_json()
    again = again.get_json()
    for key in ("decision", "rulebook", "scores", "metrics", "trace", "hints", "sensitivity", "documents_missing"):
        assert again[key] == stored[key], key
    assert again["decision"] == "eligible"  # under the edited file, 55% would now fail

    book = client.get(f"/api/v1/rulebooks/gctf-vn/2007.1?hash={old_hash}", headers=sme).get_json()
    assert book["hash"] == old_hash and book["source"] == "snapshot" and "main_improvement >= 0.30" in book["text"]
    # Without a hash the id and version still mean the text that made decisions, not the edited file.
    plain = client.get("/api/v1/rulebooks/gctf-vn/2007.1", headers=sme).get_json()
    assert plain["hash"] == old_hash and plain["source"] == "snapshot"
    assert client.get("/api/v1/rulebooks/gctf-vn/2007.1?hash=sha256:nope", headers=sme).status_code == 404
    other = token_for("owner@rolling.example")
    assert client.get(f"/api/v1/proposals/{pid}/assessments/{stored['id']}/replay", headers=other).status_code == 404


def test_a_changed_rulebook_under_a_used_version_is_flagged_and_refused(app, client, token_for, ids, rules_dir):
    submitted(client, token_for, ids)
    edit_and_restart(app, rules_dir)
    check = app.test_cli_runner().invoke(args=["rules", "check", str(rules_dir / "gctf-vn.yaml")])
    assert check.exit_code == 1
    assert "gctf-vn 2007.1 scored proposals as sha256:" in check.output and "new version" in check.output

    sme = token_for("sme")
    pid = client.post("/api/v1/proposals", headers=sme, json=proposal_body(ids["line"], ids["ent"])).get_json()["id"]
    res = client.post(f"/api/v1/proposals/{pid}/submit", headers=sme, json={})
    assert res.status_code == 409 and "publish changes under a new version" in res.get_json()["message"]
    assert client.get(f"/api/v1/proposals/{pid}", headers=sme).get_json()["status"] == "draft"
    with app.app_context():
        assert len(db.session.execute(select(RulebookSnapshot).where(
            RulebookSnapshot.rulebook_id == "gctf-vn")).scalars().all()) == 1
