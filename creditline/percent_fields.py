"""Shares entered as people write them: a form's "30" or "30 %" is the service's 0.3.

Only the page forms convert; the API keeps its fractions (``"annual_rate": 0.1``).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

PERCENT_HINT = "a percentage from 0 to 100, e.g. 80 for 80 %"


def fraction(text: str) -> str:
    """``"30"``, ``"30 %"``, ``"12.5%"`` as ``"0.3"``, ``"0.125"``; anything else unchanged (the schema names it)."""
    cleaned = text.strip().removesuffix("%").strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return text
    if not value.is_finite() or len(cleaned) > 20:
        return text
    return format((value / 100).normalize(), "f")


def percent_text(value: Any) -> str:
    """A stored fraction as the form shows it: 0.8 is ``"80"``."""
    if value is None or value == "":
        return ""
    return format((Decimal(str(value)) * 100).normalize(), "f")


def to_fractions(form: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """A copy of ``form`` with each named percentage turned into the fraction the services take."""
    body = dict(form)
    for name in names:
        if isinstance(body.get(name), str) and body[name].strip():
            body[name] = fraction(body[name])
    return body


def to_percents(body: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """A copy of a stored ``body`` with each named fraction shown as a percentage."""
    shown = dict(body)
    for name in names:
        if name in shown:
            shown[name] = percent_text(shown[name])
    return shown


def percent_errors(errors: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """Say a percentage's range in percent (the schema speaks of 0 to 1); other messages stay as they are,
    nested ones (a tranche's date) included."""
    fixed = dict(errors)
    for name in names:
        if name in fixed:
            fixed[name] = [f"enter {PERCENT_HINT}"]
    return fixed
