"""Field types shared by every schema: money as decimal strings, shares as 0-1 numbers."""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from .errors import MAX_DB_ID

COUNTRY = validate.Regexp(r"^[A-Z]{2}$", error="use an ISO 3166 alpha-2 code such as VN")
CURRENCY = validate.Regexp(r"^[A-Z]{3}$", error="use an ISO 4217 code such as USD")


def Money(*, required: bool = False, allow_zero: bool = True, **kwargs: Any) -> fields.Decimal:
    """A non-negative amount that travels as a decimal string such as "80000.00"."""
    rng = validate.Range(min=0, min_inclusive=allow_zero,
                         error="must be zero or more" if allow_zero else "must be more than zero")
    return fields.Decimal(as_string=True, places=2, required=required, validate=rng, **kwargs)


class Id(fields.Integer):
    """A database id: a whole number from 1 to the largest an INTEGER column holds."""

    def __init__(self, **kwargs: Any) -> None:
        # A larger number could never name a row; refused here it cannot overflow the driver.
        kwargs.setdefault("validate", validate.Range(min=1, max=MAX_DB_ID,
                                                     error=f"must be an id from 1 to {MAX_DB_ID}"))
        super().__init__(**kwargs)


def Share(*, required: bool = False, **kwargs: Any) -> fields.Float:
    """A share or rate between 0 and 1."""
    return fields.Float(required=required, validate=validate.Range(min=0, max=1), **kwargs)


class MessageSchema(Schema):
    message = fields.String()
