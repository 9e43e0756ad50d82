"""Marshmallow's nested errors as the flat field names the page forms show them under."""
from __future__ import annotations

from typing import Any


def flatten_errors(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """Flatten marshmallow's nested errors to dotted field names (indicators.0.unit)."""
    flat: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, (dict, list)) and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                flat.update(flatten_errors(value, name))
            else:
                flat[name] = value if isinstance(value, list) else [str(value)]
    elif isinstance(errors, list):
        flat[prefix or "_schema"] = [str(e) for e in errors]
    return flat
