"""Headers for serving a stored file as a download: RFC 6266 names and a content type we chose."""
from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from flask import Response

from .names import served_type

def _ascii_fallback(filename: str) -> str:
    """A plain-ASCII stand-in for old clients: accents dropped, quotes and separators replaced."""
    plain = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    plain = re.sub(r'[^A-Za-z0-9._ -]', "_", plain).strip(" .")
    return plain or "download"


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """``attachment; filename="..."; filename*=UTF-8''...`` (RFC 6266 with RFC 5987 encoding)."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1] or "download"
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")  # no CR/LF header injection
    return f'{disposition}; filename="{_ascii_fallback(name)}"; filename*=UTF-8\'\'{quote(name, safe="")}'


def download(data: bytes, filename: str, content_type: str | None, disposition: str = "attachment") -> Response:
    """A response that makes the browser save the file rather than open it in the site's origin.

    The type is sent only if allow-listed (evidence carries the uploader's claim, which may be
    ``text/html``); anything else goes as bytes to save.
    """
    response = Response(data, mimetype=served_type(content_type))
    response.headers["Content-Disposition"] = content_disposition(filename, disposition)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
