"""The drivers of a regression baseline besides output (degree days, operating hours...): their names
and their values in a report."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from ..schemas import MAX_QUANTITY

DRIVER_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


def driver_problems(item: dict[str, Any], prefix: str) -> dict[str, list[str]]:
    """Check a report's ``drivers`` in place (values become decimal text); the problems by field."""
    errors: dict[str, list[str]] = {}
    drivers = item.get("drivers") or {}
    if not isinstance(drivers, dict):
        return {f"{prefix}drivers": ["an object of driver name to number"]}
    for name, value in drivers.items():
        if not DRIVER_NAME.match(str(name)) or name == "output":
            errors[f"{prefix}drivers.{name}"] = ["a driver is named in lower case letters, digits and _ "
                                                 "(output is production_output)"]
            continue
        try:
            number = Decimal(str(value).strip())
            if not number.is_finite() or abs(number) > MAX_QUANTITY:
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            errors[f"{prefix}drivers.{name}"] = [f"not a number: {value!r}"]
            continue
        drivers[name] = str(number)
    return errors
