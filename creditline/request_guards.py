"""Refuse hostile request input before any view or parser sees it.

Two checks every request passes, API or page:

- a JSON body nested deeper than any real body (a proposal is five levels) is refused before it
  is parsed: Python's parser recurses, and 100,000 levels raised RecursionError (a 500);
- a query-string or form value holding a NUL byte, another control character, a lone surrogate
  or a text-direction override is refused naming the parameter (PostgreSQL cannot store NUL,
  and a filter on it failed with a DataError). Form values may hold line breaks (text areas).

The schemas check each field more strictly (one-line fields, lengths); this is the net under
values a view reads without a schema.
"""
from __future__ import annotations

import re

import numpy as np
from flask import Flask, request

from .errors import ValidationFailed
from .safe_text import text_problem

MAX_JSON_DEPTH = 32

# An escape (\" or \\) is blanked out first, so every remaining quote opens or closes a string.
_ESCAPE = re.compile(rb"\\.", re.S)


def json_depth_exceeds(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Tell whether a JSON text nests arrays and objects more than ``limit`` deep, without parsing it.

    Vectorised: brackets inside strings (odd count of quotes before them) are ignored, each
    remaining opening bracket goes one level down and each closing one up, and the deepest point
    is the running sum's maximum. A 6 MB body takes a fraction of what parsing it does.
    """
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    if b"\\" in body:
        body = _ESCAPE.sub(b"__", body)  # same length, no quote left escaped
    raw = np.frombuffer(body, dtype=np.uint8)
    in_string = (np.cumsum(raw == ord('"'), dtype=np.int64) & 1).astype(bool)
    steps = ((raw == ord("[")) | (raw == ord("{"))).astype(np.int32)
    steps -= (raw == ord("]")) | (raw == ord("}"))
    steps[in_string] = 0
    return bool(np.cumsum(steps).max() > limit)


def _refuse_deep_json() -> None:
    if request.is_json and request.content_length != 0 and json_depth_exceeds(request.get_data(cache=True)):
        raise ValidationFailed("the JSON body is nested too deep",
                               {"body": [f"arrays and objects may nest at most {MAX_JSON_DEPTH} levels deep"]})


def _refuse_unsafe_parameters() -> None:
    errors: dict[str, list[str]] = {}
    sources = [(request.args, False)]
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        sources.append((request.form, True))
    for values, multiline in sources:
        for key, value in values.items(multi=True):
            if key is None:
                # A multipart part whose name werkzeug could not read (a line break inside it).
                errors.setdefault("(unnamed part)", []).append("a form part has no readable name")
                continue
            problem = text_problem(key) or text_problem(value, multiline=multiline)
            if problem:
                errors.setdefault(_printable(key), []).append(problem)
    if errors:
        # The message names each problem too: a page shows only the message (as a flash).
        raise ValidationFailed("nothing was changed: " + "; ".join(f"{k} {v[0]}" for k, v in sorted(errors.items())),
                               errors)


def _printable(key: str) -> str:
    # The parameter's name goes back in the answer: never echo the character refused.
    return key if text_problem(key) is None else repr(key.encode("utf-8", "backslashreplace"))[2:-1]


def init_app(app: Flask) -> None:
    """Register the guards (after authentication, so a stranger still gets 401 first)."""
    app.before_request(_refuse_deep_json)
    app.before_request(_refuse_unsafe_parameters)
