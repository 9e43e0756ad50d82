"""The site's own files (styles, scripts, vendored libraries) under versioned URLs, kept a year.

Every page links app.css, lists.css, forms.css and layout.js, and many a script of their own.
Without a lifetime the browser asked for each of them again on every page: a 304 each time, but a
round trip each, four in five of the requests a walk through the pages made, on a phone's network
too. ``url_for('static', ...)`` now adds ``v=``, a hash of the file's content, and a request that
carries the file's current hash is answered as cacheable for a year and immutable: a changed file
gets a new URL, so no browser keeps an old style or script. A request without the hash, or with
an old one, is answered as before (revalidated every time).
"""
from __future__ import annotations

import hashlib
import os
from typing import Any

from flask import Flask, Response, current_app, request

YEAR = 365 * 24 * 3600

# (path, size, modification time) -> the content's hash: read once per version of a file, and read
# again when a file changes while the app runs (a developer editing a style).
_HASHES: dict[tuple[str, int, int], str] = {}


def version(filename: str) -> str | None:
    """A short hash of the static file's content (None if there is no such file)."""
    folder = current_app.static_folder
    if not folder:
        return None
    path = os.path.realpath(os.path.join(folder, filename))
    if not path.startswith(os.path.realpath(folder) + os.sep):
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    key = (path, stat.st_size, stat.st_mtime_ns)
    if key not in _HASHES:
        with open(path, "rb") as f:
            _HASHES[key] = hashlib.sha256(f.read()).hexdigest()[:12]
    return _HASHES[key]


def _add_version(endpoint: str, values: dict[str, Any]) -> None:
    if endpoint == "static" and "filename" in values and "v" not in values:
        stamp = version(values["filename"])
        if stamp:
            values["v"] = stamp


def _cache_versioned(response: Response) -> Response:
    if request.endpoint != "static" or response.status_code not in (200, 304):
        return response
    stamp = request.args.get("v")
    if stamp and stamp == version((request.view_args or {}).get("filename", "")):
        response.cache_control.no_cache = None
        response.cache_control.public = True
        response.cache_control.max_age = YEAR
        response.cache_control.immutable = True
    return response


def init_app(app: Flask) -> None:
    """Version the static URLs the pages link and let browsers keep what a version names."""
    app.url_defaults(_add_version)
    app.after_request(_cache_versioned)
