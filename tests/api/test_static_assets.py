"""The site's own files are linked by a hash of their content and kept by browsers for a year."""
import re

YEAR_IMMUTABLE = "max-age=31536000"


def test_pages_link_versioned_files_that_browsers_keep_and_others_still_revalidate(client):
    html = client.get("/login").get_data(as_text=True)
    linked = re.findall(r'(?:href|src)="(/static/[^"?]+)\?v=([0-9a-f]{12})"', html)
    assert {path for path, _ in linked} >= {"/static/app.css", "/static/layout.js"}, html
    for path, stamp in linked:
        kept = client.get(f"{path}?v={stamp}")
        assert kept.status_code == 200, path
        assert YEAR_IMMUTABLE in kept.headers["Cache-Control"] and "immutable" in kept.headers["Cache-Control"], path
    # Without the hash, or with one the file no longer has, the browser must ask again every time.
    for url in ("/static/app.css", "/static/app.css?v=000000000000"):
        answer = client.get(url)
        assert answer.status_code == 200 and "no-cache" in answer.headers["Cache-Control"], url
        assert YEAR_IMMUTABLE not in answer.headers["Cache-Control"], url


def test_a_changed_file_gets_a_new_url_and_the_old_one_is_no_longer_kept(app, client, monkeypatch, tmp_path):
    from flask import url_for

    monkeypatch.setattr(app, "static_folder", str(tmp_path))
    style = tmp_path / "site.css"
    style.write_text("body { color: black; }")
    with app.test_request_context():
        first = url_for("static", filename="site.css")
    style.write_text("body { color: darkgreen; }")
    with app.test_request_context():
        second = url_for("static", filename="site.css")
        missing = url_for("static", filename="no-such.css")
    assert first != second and second.startswith("/static/site.css?v=")
    assert missing == "/static/no-such.css"
    assert YEAR_IMMUTABLE in client.get(second).headers["Cache-Control"]
    assert YEAR_IMMUTABLE not in client.get(first).headers["Cache-Control"]
