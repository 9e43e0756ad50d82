"""Field types shared by every schema: money as decimal strings, shares as 0-1 numbers."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from .errors import MAX_DB_ID

COUNTRY = validate.Regexp(r"^[A-Z]{2}$", error="use an ISO 3166 alpha-2 code such as VN")
CURRENCY = validate.Regexp(r"^[A-Z]{3}$", error="use an ISO 4217 code such as USD")


CENT = Decimal("0.01")
# The largest amount the widest money column (Numeric(16, 2)) holds; narrower columns pass theirs.
MAX_MONEY = Decimal("99999999999999.99")


class Cents(fields.Decimal):
    """A decimal amount in whole cents: "100.005" is refused (422 naming the field), never rounded."""

    def __init__(self, *, max_abs: Decimal = MAX_MONEY, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_abs = max_abs

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        try:
            raw = Decimal(str(value).strip()) if not isinstance(value, (bool, dict, list)) else None
        except (InvalidOperation, ValueError):
            raw = None
        if raw is not None and raw.is_finite():
            # Bound first: quantizing "1e28" to the cent overflows the decimal context.
            if abs(raw) > self.max_abs:
                raise ValidationError(f"not a valid amount: at most {self.max_abs:,} can be stored, got {value}")
            try:
                whole_cents = raw == raw.quantize(CENT)
            except InvalidOperation:
                raise ValidationError(f"not a valid amount, got {value}") from None
            if not whole_cents:
                raise ValidationError(f"must be a whole number of cents (at most two decimal places), got {value}")
        return super()._deserialize(value, attr, data, **kwargs)


def Money(*, required: bool = False, allow_zero: bool = True, **kwargs: Any) -> fields.Decimal:
    """A non-negative amount in whole cents that travels as a decimal string such as "80000.00"."""
    rng = validate.Range(min=0, min_inclusive=allow_zero,
                         error="must be zero or more" if allow_zero else "must be more than zero")
    return Cents(as_string=True, places=2, required=required, validate=rng, **kwargs)


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
