"""One way to send a file: a safe type, an RFC 6266 name, and no content sniffing."""
from __future__ import annotations

from flask import Response

from .names import content_disposition, served_type


def download(data: bytes, name: str, content_type: str | None, disposition: str = "attachment") -> Response:
    """A response carrying ``data`` as ``name``; the type is allow-listed, never the uploader's HTML."""
    response = Response(data, mimetype=served_type(content_type))
    response.headers["Content-Disposition"] = content_disposition(name, disposition)
    # Browsers must not second-guess the type (a PNG holding HTML stays a PNG).
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
