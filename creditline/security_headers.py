"""Security headers on every response: a strict Content-Security-Policy and its companions.

The pages carry no inline script, style or event handler (scripts live in creditline/static),
so the policy allows only this site's own files; injected markup cannot run.
"""
from __future__ import annotations

from flask import Flask, Response, current_app

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    # Swagger UI draws its icons from data: URIs.
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def _add_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    # For browsers older than CSP's frame-ancestors.
    headers.setdefault("X-Frame-Options", "DENY")
    # Loan and proposal ids in our URLs never leave the site in a Referer.
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    seconds = current_app.config.get("HSTS_SECONDS") or 0
    if seconds:
        headers.setdefault("Strict-Transport-Security", f"max-age={seconds}; includeSubDomains")
    return response


def init_app(app: Flask) -> None:
    """Add the headers to every response, pages, API, files and errors alike."""
    app.after_request(_add_headers)
