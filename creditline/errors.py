"""Domain errors, and their mapping to HTTP status codes in one place.

Services raise these; the API answers them as JSON ``{"code", "message", "errors"}`` and the
pages as a flash message or an error page. No stack trace ever reaches a client.
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, flash, jsonify, redirect, render_template, request
from marshmallow import INCLUDE, Schema, fields
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

log = logging.getLogger(__name__)


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, errors: dict[str, Any] | None = None, **extra: Any):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}
        self.extra = extra

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "status": self.status, "message": self.message,
                                "errors": self.errors}
        body.update(self.extra)
        return body


class ValidationFailed(DomainError):
    """Input that breaks a domain rule; ``errors`` names every field (or row) at fault."""

    status = 422
    code = "validation_error"


class NotFound(DomainError):
    """The object does not exist, or the caller may not know that it does."""

    status = 404
    code = "not_found"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class FourEyesViolation(Forbidden):
    """The person who proposed something tries to confirm it too."""

    code = "four_eyes"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class PayloadTooLarge(DomainError):
    """An upload over a size limit (the file, or what a workbook unpacks to); ``errors`` names the file."""

    status = 413
    code = "payload_too_large"


class InvalidTransition(Conflict):
    """A state change the lifecycle table does not allow."""

    code = "invalid_transition"

    def __init__(self, entity: str, current: str, target: str, allowed: list[str]):
        super().__init__(
            f"{entity} cannot go from '{current}' to '{target}'"
            + (f"; allowed next: {', '.join(allowed)}" if allowed else "; it is final"),
            current_state=current, allowed=allowed,
        )


class ErrorSchema(Schema):
    """The JSON error every API failure answers with (design §5)."""

    class Meta:
        # Some errors add context, e.g. a refused transition's current_state and allowed.
        unknown = INCLUDE

    code = fields.String(required=True, metadata={"description": "Machine-readable error code",
                                                  "example": "validation_error"})
    status = fields.Integer(required=True, metadata={"description": "HTTP status code", "example": 422})
    message = fields.String(required=True, metadata={"description": "What went wrong, for people"})
    errors = fields.Dict(keys=fields.String(), required=True,
                         metadata={"description": "Per field (or row): the list of problems; {} if none"})


# PostgreSQL's INTEGER columns stop here; a larger path id could never name a row.
MAX_DB_ID = 2**31 - 1


def require_id(value: int | None, field: str) -> None:
    """Refuse an id no row can have (pages read some ids without a schema)."""
    if value is not None and not 0 < value <= MAX_DB_ID:
        raise ValidationFailed(f"invalid {field}", {field: [f"must be an id from 1 to {MAX_DB_ID}"]})


class BoundedIntegerConverter(IntegerConverter):
    """The ``<int:...>`` converter, limited to ids a database column can hold.

    An out-of-range id then fails to match the route (404) instead of overflowing the driver.
    """

    def __init__(self, map: Any, fixed_digits: int = 0, min: int | None = None,  # noqa: A002
                 max: int | None = MAX_DB_ID, signed: bool = False) -> None:  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 409: "conflict", 413: "payload_too_large",
              415: "unsupported_media_type", 422: "validation_error", 429: "too_many_requests"}


def is_api_request() -> bool:
    """Tell whether the current request belongs to the JSON API."""
    return request.path.startswith("/api/")


def flatten_webargs_errors(messages: Any) -> dict[str, Any]:
    """Drop the location level webargs adds ({"json": {"field": [...]}} -> {"field": [...]})."""
    if not isinstance(messages, dict):
        return {"_schema": messages if isinstance(messages, list) else [str(messages)]}
    flat: dict[str, Any] = {}
    for location, errs in messages.items():
        if isinstance(errs, dict) and location in {"json", "query", "form", "files", "headers",
                                                   "view_args", "json_or_form"}:
            flat.update(errs)
        else:
            flat[location] = errs
    return flat


def http_error_body(exc: HTTPException) -> tuple[dict[str, Any], int]:
    """Turn a werkzeug/flask-smorest HTTP exception into the design's JSON error."""
    status = exc.code or 500
    body: dict[str, Any] = {"code": HTTP_CODES.get(status, "error"), "status": status,
                            "message": exc.description or exc.name, "errors": {}}
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages")
    if messages is not None:
        body["errors"] = flatten_webargs_errors(messages)
        if status == 422:
            names = ", ".join(sorted(body["errors"]))
            body["message"] = f"invalid input: {names}"
    if status == 400 and "json" in f"{exc.description} {messages}".lower():
        body["message"] = "the request body is not valid JSON"
    message = data.get("message")
    if message:
        body["message"] = message
    if data.get("errors") and not body["errors"]:
        body["errors"] = data["errors"]
    return body, status


def register_error_handlers(app: Flask) -> None:
    """Map domain and HTTP errors to JSON for the API and to pages for people."""

    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):  # type: ignore[no-untyped-def]
        if is_api_request():
            return jsonify(exc.to_dict()), exc.status
        if exc.status in (404, 403):
            return render_template("error.html", status=exc.status, message=exc.message), exc.status
        flash(exc.message, "error")
        return redirect(request.referrer or "/")

    @app.errorhandler(IntegrityError)
    def _integrity(exc: IntegrityError):  # type: ignore[no-untyped-def]
        # A safety net: services check uniqueness first, so this means a race or a missed check.
        from .extensions import db

        db.session.rollback()
        log.warning("integrity error on %s %s: %s", request.method, request.path, exc.orig)
        message = "this conflicts with existing data (a duplicate or a missing reference); nothing was changed"
        if is_api_request():
            return jsonify({"code": "conflict", "status": 409, "message": message, "errors": {}}), 409
        flash(message[:1].upper() + message[1:] + ".", "error")
        return redirect(request.referrer or "/")

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):  # type: ignore[no-untyped-def]
        if isinstance(exc, HTTPException):
            return app.extensions["creditline.http_error"](exc)
        log.exception("unhandled error on %s %s", request.method, request.path)
        if is_api_request():
            return jsonify({"code": "internal_error", "status": 500, "errors": {},
                            "message": "something went wrong on our side; nothing was changed"}), 500
        return render_template("error.html", status=500,
                               message="Something went wrong on our side; nothing was changed."), 500

    def _http(exc: HTTPException):  # type: ignore[no-untyped-def]
        if is_api_request():
            body, status = http_error_body(exc)
            response = jsonify(body)
            response.status_code = status
            return response
        return render_template("error.html", status=exc.code,
                               message=exc.description or exc.name), exc.code or 500

    app.extensions["creditline.http_error"] = _http
    app.register_error_handler(HTTPException, _http)
