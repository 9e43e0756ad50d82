"""Security headers on every answer, and templates the Content-Security-Policy lets work."""
import re
from pathlib import Path

import pytest

from creditline.demo import DEMO_PASSWORD
from creditline.extensions import db

from ..conftest import make_app

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# What a policy without 'unsafe-inline' blocks: inline scripts and styles, style and on* attributes.
INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle\s*=|\son[a-z]+\s*=|javascript:", re.I)


def directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: " ".join(part.split()[1:]) for part in policy.split(";") if part.strip()}


@pytest.mark.parametrize("path, status", [
    ("/login", 200), ("/", 302), ("/api/v1/auth/me", 401), ("/no-such-page", 404),
    ("/api/v1/openapi.json", 200), ("/static/app.css", 200), ("/api/v1/docs", 200)])
def test_every_kind_of_answer_carries_the_security_headers(client, path, status):
    res = client.get(path)
    assert res.status_code == status
    csp = directives(res)
    assert csp["frame-ancestors"] == "'none'"
    assert csp["default-src"] == csp["script-src"] == csp["style-src"] == "'self'"
    assert csp["object-src"] == "'none'" and csp["base-uri"] == "'self'" and csp["form-action"] == "'self'"
    assert res.headers["X-Content-Type-Options"] == "nosniff"
    assert res.headers["Referrer-Policy"] == "same-origin"
    assert res.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in res.headers  # development is plain HTTP


def test_production_sends_hsts_and_secure_session_cookies(monkeypatch, tmp_path):
    monkeypatch.setenv("CREDITLINE_ENV", "production")
    app = make_app(f"sqlite:///{tmp_path / 'prod.db'}", SECRET_KEY="s" * 40)
    with app.app_context():
        db.create_all()
        from creditline.demo import seed_demo
        seed_demo()
    res = app.test_client().post("/login", data={"email": "officer@bank.example", "password": DEMO_PASSWORD},
                                 base_url="https://localhost")
    assert res.status_code == 302
    assert res.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    cookie = res.headers["Set-Cookie"]
    assert "; Secure" in cookie and "; HttpOnly" in cookie and "; SameSite=Lax" in cookie


def test_no_template_has_inline_script_style_or_event_handler():
    found = [f"{path.relative_to(TEMPLATES)}:{n}: {line.strip()[:80]}"
             for path in sorted(TEMPLATES.rglob("*.html"))
             for n, line in enumerate(path.read_text().splitlines(), 1) if INLINE.search(line)]
    assert found == []


def test_the_swagger_page_starts_from_a_file_not_an_inline_script(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert not INLINE.search(page)
    assert re.search(r'<script src="/static/swagger_start.js\?v=[0-9a-f]{12}">', page)
    assert 'data-spec-url="/api/v1/openapi.json"' in page
