"""Browser harness: the app served on localhost, driven by Playwright in Debian's Chromium.

The live server always runs on its own SQLite file seeded with the demo data, so the
database-wiping fixtures of the API tests never pull rows from under a page.
"""
from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from creditline.extensions import db

from ..conftest import make_app
from ..db_state import fast_sqlite
from ..workers import worker_database

# Debian's chromium-headless-shell (the old headless mode, without the desktop browser's UI
# machinery) walks the same pages for about 40% less CPU than the full chromium in headless mode
# (bench/browser_pages.py; the whole of tests/pages went from 268 to 164 CPU seconds); the full
# browser is the fallback where only it is installed.
SHELL, FULL = "/usr/bin/chromium-headless-shell", "/usr/bin/chromium"
CHROMIUM = os.environ.get("CREDITLINE_CHROMIUM") or (SHELL if os.path.exists(SHELL) else FULL)
# Flags that keep Chromium off this machine's closed network and out of the sandbox it lacks.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/pages" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            if item.fspath.basename.startswith("test_journey"):
                item.add_marker(pytest.mark.journey)


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    """The app behind the live server, for tests that prepare data through the services."""
    # CI replays the journeys on PostgreSQL with a database of their own (never the API tests', which
    # are wiped after every test); locally and by default the live server has its own SQLite file.
    url = worker_database(os.environ.get("CREDITLINE_LIVE_DATABASE_URL")) or f"sqlite:///{tmp_path_factory.mktemp('live') / 'live.db'}"
    app = make_app(url, UPLOAD_DIR=str(tmp_path_factory.mktemp("uploads")))
    with app.app_context():
        for engine in db.engines.values():
            fast_sqlite(engine)
        db.drop_all()
        db.create_all()
        from creditline.demo import seed_demo
        seed_demo()
        db.session.remove()
    return app


@pytest.fixture(scope="session")
def live_server(live_app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        if os.environ.get("CREDITLINE_REQUIRE_BROWSER"):
            pytest.fail(f"Chromium not found at {CHROMIUM}; install Debian's chromium-headless-shell package")
        pytest.skip(f"Chromium not found at {CHROMIUM} (CI installs it; set CREDITLINE_CHROMIUM)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server)
    tab = context.new_page()
    tab.set_default_timeout(15000)
    _SERVER_OF[tab] = live_server
    yield tab
    _SERVER_OF.pop(tab, None)
    context.close()


# A signed-in session's cookies per (live server, e-mail, password), kept from the first sign-in
# through the form: later tests put them in their fresh context instead of filling the form again.
_SESSIONS: dict[tuple[str, str, str], list] = {}
_SERVER_OF: dict[object, str] = {}  # the live server a ``page`` fixture's tab was opened on


def sign_in(page, email: str, password: str = "green-credit-demo", *, through_form: bool = False) -> None:
    """Sign in and land on the home page: through the login form the first time (or when asked),
    then by putting back that session's cookies, as long as the server still takes them (a
    session signed out, timed out or ended by a reset is signed in through the form again)."""
    server = _SERVER_OF.get(page)
    key = (server or "", email, password)
    if server and not through_form and key in _SESSIONS:
        page.context.clear_cookies()
        page.context.add_cookies(_SESSIONS[key])
        page.goto("/")
        if urlsplit(page.url).path == "/":
            return
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
    if server and not through_form:
        _SESSIONS[key] = page.context.cookies()


def go_to(page, name: str) -> None:
    """Open a page from the main navigation, through its menu when a long navigation is folded."""
    nav = page.get_by_role("navigation", name="Main")
    link = nav.get_by_role("link", name=name, exact=True, include_hidden=True)
    if not link.is_visible():
        menu = page.get_by_role("link", name=name, exact=True, include_hidden=True)
        nav.locator(".nav-group").filter(has=menu).get_by_role("button").click()
    link.click()
