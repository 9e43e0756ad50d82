"""The one list of API and page blueprints the app serves."""
from __future__ import annotations

from flask import Flask

from .extensions import api, csrf


def register_blueprints(app: Flask) -> None:
    """Register the REST blueprints (CSRF-exempt: they use bearer tokens) and the pages."""
    from .audit.api import blp as audit_api
    from .auth.api import blp as auth_api
    from .creditlines.api import blp as creditlines_api
    from .enterprises.api import blp as enterprises_api

    for blp in (auth_api, creditlines_api, enterprises_api, audit_api):
        # Cookie-authenticated API calls are CSRF-checked in auth.current instead.
        csrf.exempt(blp)
        api.register_blueprint(blp)

    from .auth.views import bp as auth_pages
    from .home import bp as home_pages

    app.register_blueprint(auth_pages)
    app.register_blueprint(home_pages)
