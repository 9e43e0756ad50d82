"""Sign-in throttling: how fast anyone may guess passwords, per client address and per account.

The login page and ``POST /api/v1/auth/token`` share two counters (Flask-Limiter): one per
address, so one client cannot try many accounts quickly, and one per account (the e-mail as
typed, normalised), so many clients together cannot try one account quickly. Every attempt
counts, right or wrong, so parallel requests cannot slip past the limit. A refusal is 429 with
``Retry-After``; the per-account window is short, so someone hammering an account they do not
own delays its owner by a minute or so, never locks them out for long.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_limiter.errors import RateLimitExceeded

from ..errors import is_api_request
from ..extensions import limiter

F = TypeVar("F", bound=Callable[..., Any])


def _address_key() -> str:
    return f"address:{request.remote_addr or 'unknown'}"


def _account_key() -> str:
    email = request.form.get("email")
    if email is None:
        body = request.get_json(silent=True)
        email = body.get("email") if isinstance(body, dict) else None
    # The same normalisation as authenticate(), so 'Officer@Bank.example ' is the same account.
    return "account:" + (email.strip().lower()[:254] if isinstance(email, str) else "")


_per_address = limiter.shared_limit(
    lambda: current_app.config["SIGNIN_LIMIT_PER_ADDRESS"], scope="sign-in-address",
    key_func=_address_key, methods=["POST"],
    error_message="too many sign-in attempts from this address")
_per_account = limiter.shared_limit(
    lambda: current_app.config["SIGNIN_LIMIT_PER_ACCOUNT"], scope="sign-in-account",
    key_func=_account_key, methods=["POST"],
    error_message="too many sign-in attempts for this account")


def signin_limited(view: F) -> F:
    """Apply both sign-in limits to a view (POST only)."""
    return _per_address(_per_account(view))


def _retry_after() -> int:
    current = limiter.current_limit
    reset_at = current.reset_at if current is not None else time.time() + 60
    return max(1, math.ceil(reset_at - time.time()))


def _too_many(exc: RateLimitExceeded) -> Response | tuple[Any, int]:
    seconds = _retry_after()
    message = f"{exc.description}; try again in {seconds} seconds"
    if is_api_request():
        response = jsonify({"code": "too_many_requests", "status": 429, "message": message, "errors": {}})
        response.status_code = 429
    elif request.endpoint == "auth.login":
        from .views import LoginForm  # the page again, with the e-mail kept and the reason shown

        form = LoginForm()
        form.password.errors = [message[:1].upper() + message[1:] + "."]
        response = Response(render_template("auth/login.html", form=form), 429)
    else:
        response = Response(render_template("error.html", status=429, message=message), 429)
    response.headers["Retry-After"] = str(seconds)
    return response


def init_app(app: Flask) -> None:
    """Bind the limiter to the app's storage and answer its refusals like any other error."""
    limiter.init_app(app)
    app.register_error_handler(429, _too_many)
