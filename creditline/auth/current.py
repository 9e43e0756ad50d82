"""Who is calling: a bearer token for API clients, the session cookie for people."""
from __future__ import annotations

import hmac

from flask import Flask, current_app, g, request, session
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError

from ..errors import MAX_DB_ID, Unauthorized
from ..extensions import csrf, db, login_manager
from .models import User
from .permissions import Actor
from . import sessions
from .services import resolve_token

# The key in the signed cookie that holds the random id of the server-side session.
SESSION_ID = "sid"

# API paths that answer without a signed-in caller.
PUBLIC_API_PATHS = ("/api/v1/auth/token", "/api/v1/openapi.json", "/api/v1/docs")
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
API_BODY_TYPES = {"application/json", "multipart/form-data", "text/csv",
                  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@login_manager.user_loader
def _load_user(session_id: str) -> User | None:
    """Load the signed-in user unless their password or access changed since they signed in."""
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not 0 < int(user_id) <= MAX_DB_ID:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active:
        return None
    # Sessions from before a reset or a disable carry another version: they end here.
    if not hmac.compare_digest(version, user.session_key):
        return None
    # A signed cookie alone is not enough: its server-side session must still be live.
    return user if sessions.check_session(session.get(SESSION_ID), user.id) else None


def sign_in(user: User) -> None:
    """Sign ``user`` in on this browser with a new server-side session."""
    session.clear()  # nothing planted in the cookie before sign-in carries over
    session[SESSION_ID] = sessions.start_session(user)
    login_user(user)


def sign_out() -> None:
    """End this browser's session (only this one) and forget the cookie's contents."""
    if current_user.is_authenticated:
        sessions.end_session(session.get(SESSION_ID), current_user._get_current_object())
    logout_user()
    session.clear()


def _load_session_first() -> None:
    # Checking the session may write (last seen, expiry): do it before any view opens a
    # transaction of its own, never lazily in the middle of one.
    if request.endpoint != "static":
        _ = current_user.is_authenticated


def bearer_token() -> str | None:
    """Return the bearer token of the current request, if any."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def current_actor() -> Actor:
    """Return the actor of the current request or raise Unauthorized."""
    actor = g.get("actor")
    if actor is None:
        if current_user.is_authenticated:
            actor = Actor.of(current_user)
            g.actor = actor
        else:
            raise Unauthorized("sign in first: send 'Authorization: Bearer <token>'")
    return actor


def _reads_json_body() -> bool:
    """Tell whether the route's view declares a JSON body (flask-smorest's ``arguments``)."""
    view = current_app.view_functions.get(request.endpoint or "")
    cls = getattr(view, "view_class", None)
    method = getattr(cls, request.method.lower(), None) if cls is not None else view
    params = getattr(method, "_apidoc", {}).get("arguments", {}).get("parameters", [])
    return any(p.get("in") == "json" for p in params)


def _check_body_type() -> None:
    """Refuse (415) a body the route cannot read, rather than report its fields missing (422)."""
    if request.method not in UNSAFE_METHODS or not request.content_length:
        return
    json_only = _reads_json_body()
    if request.mimetype != "application/json" and (json_only or request.mimetype not in API_BODY_TYPES):
        from werkzeug.exceptions import UnsupportedMediaType
        accepted = "application/json" if json_only else ", ".join(sorted(API_BODY_TYPES))
        raise UnsupportedMediaType(f"send the body as {accepted} (got '{request.mimetype or 'no type'}')")


def _authenticate_api_request() -> None:
    if not request.path.startswith("/api/"):
        return
    _check_body_type()
    token = bearer_token()
    if token:
        g.actor = resolve_token(token)
        return
    if current_user.is_authenticated:
        # Cookie-authenticated calls come from our own pages: they must carry the CSRF token.
        if request.method in UNSAFE_METHODS:
            try:
                csrf.protect()
            except CSRFError as exc:
                raise Unauthorized(f"missing or invalid CSRF token: {exc.description}") from exc
        g.actor = Actor.of(current_user)
        return
    if request.path.startswith(PUBLIC_API_PATHS):
        return
    raise Unauthorized("sign in first: send 'Authorization: Bearer <token>'")


def init_app(app: Flask) -> None:
    """Check the web session, then authenticate every API request, before any view runs."""
    app.before_request(_load_session_first)
    app.before_request(_authenticate_api_request)
