"""creditline: a green credit line system (proposals, loans and guarantees, verified grants)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from .config import ROOT, load_config


def _ensure_sqlite_folder(url: str) -> None:
    """Create the folder of a SQLite file (``instance/`` on a fresh clone): SQLite will not."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: config, extensions, blueprints, CLI and error handlers."""
    app = Flask(__name__, template_folder=str(ROOT / "templates"), instance_path=str(ROOT / "instance"))
    app.config.update(load_config(config))
    _ensure_sqlite_folder(app.config["SQLALCHEMY_DATABASE_URI"])
    if app.config["PROXY_HOPS"]:
        # Behind N trusted proxies the client's address and scheme come from X-Forwarded-*:
        # sign-in limits count per real client, not per proxy.
        from werkzeug.middleware.proxy_fix import ProxyFix
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    from .errors import BoundedIntegerConverter
    # Before any route is added: every <int:...> id then stops at what the database can hold.
    app.url_map.converters["int"] = BoundedIntegerConverter

    from . import models  # noqa: F401  (every table registered before migrations look)
    from .extensions import api, csrf, db, login_manager, migrate

    db.init_app(app)
    from . import sqlite_locking
    with app.app_context():
        for engine in db.engines.values():
            sqlite_locking.install(engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    csrf.init_app(app)
    api.init_app(app)

    from . import rulebooks
    from .auth import current
    rulebooks.init_app(app)
    current.init_app(app)
    from . import request_guards
    request_guards.init_app(app)  # after authentication: a stranger is told 401 first

    from .blueprints import register_blueprints
    register_blueprints(app)

    from . import wiring
    wiring.connect()

    from .errors import register_error_handlers
    register_error_handlers(app)  # after api.init_app, so ours answer HTTP errors too

    from .cli import register_cli
    register_cli(app)

    from .jobs import scheduler
    scheduler.init_app(app)

    from .templating import init_app as init_templating
    init_templating(app)

    from . import security_headers, static_assets
    from .auth import signin_limits
    security_headers.init_app(app)
    static_assets.init_app(app)
    signin_limits.init_app(app)
    return app
