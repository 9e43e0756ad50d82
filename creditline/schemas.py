"""Field types shared by every schema: money as decimal strings, shares as 0-1 numbers, text a
person typed, and numbers and dates bounded to what a user would accept (and a column can hold).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from . import clock
from .database import as_utc
from .errors import MAX_DB_ID
from .safe_text import text_problem

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


class UtcDateTime(fields.AwareDateTime):
    """A timestamp that always carries its UTC offset ("2026-11-17T09:00:00+00:00").

    SQLite hands stored timestamps back naive; they were written in UTC, so they are read as UTC
    rather than sent without an offset, which RFC 3339 (OpenAPI's date-time) does not allow.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(default_timezone=timezone.utc, **kwargs)

    def _serialize(self, value: datetime | None, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return super()._serialize(as_utc(value), attr, obj, **kwargs)


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


# The longest free text a form accepts unless the field says otherwise.
MAX_TEXT = 5000


class Text(fields.String):
    """Text a person typed: no control characters, lone surrogates or direction overrides.

    One-line by default (names, labels, references); ``multiline=True`` keeps tab and line breaks
    (comments, reasons, descriptions). ``max_length`` bounds every field, so nothing unbounded
    reaches a column.
    """

    def __init__(self, *, multiline: bool = False, max_length: int = MAX_TEXT, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.multiline = multiline
        self.max_length = max_length

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if len(text) > self.max_length:
            raise ValidationError(f"is too long: at most {self.max_length:,} characters, got {len(text):,}")
        problem = text_problem(text, multiline=self.multiline)
        if problem:
            raise ValidationError(problem)
        return text


def Count(*, lo: int, hi: int, what: str = "", **kwargs: Any) -> fields.Integer:
    """A whole number between ``lo`` and ``hi`` (both allowed): every count has a bound."""
    unit = f" {what}" if what else ""
    return fields.Integer(strict=False, validate=validate.Range(
        min=lo, max=hi, error=f"must be from {lo:,} to {hi:,}{unit}"), **kwargs)


class Rate(fields.Decimal):
    """A yearly rate or share as a decimal from 0 to 1 (0.085 for 8.5%)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("validate", validate.Range(min=0, max=1, error="must be from 0 to 1 (0.085 for 8.5%)"))
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        # Refuse "1e999999" before Decimal arithmetic or a Numeric column sees it.
        if isinstance(value, str) and len(value.strip()) > 40:
            raise ValidationError("must be from 0 to 1 (0.085 for 8.5%)")
        return super()._deserialize(value, attr, data, **kwargs)


# The largest yearly quantity or output a Numeric(20, 4) column holds (larger is a typing error).
MAX_QUANTITY = Decimal("9999999999999999")


def Quantity(*, positive: bool, error: str, **kwargs: Any) -> fields.Decimal:
    """A quantity or output: zero or more (or more than zero), within its column."""
    return fields.Decimal(as_string=True, validate=[
        validate.Range(min=0, min_inclusive=not positive, error=error),
        validate.Range(max=MAX_QUANTITY, error="must be at most {max}")], **kwargs)


# No record of this system starts before this day (a factory founded in 1890 says 1900).
EARLIEST_DAY = date(1900, 1, 1)
# Plans reach at most this far ahead: a 30-year loan plus its grace and slack.
YEARS_AHEAD = 50


class Day(fields.Date):
    """A calendar day within a sane range; ``past_only`` for events (a payment, a recovery).

    ``days_ahead`` allows a short look ahead (a transfer booked before its value date). Without a
    bound, 9999-12-31 reaches date arithmetic and overflows it (a 500).
    """

    def __init__(self, *, past_only: bool = False, days_ahead: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.days_ahead = 0 if past_only else days_ahead if days_ahead is not None else 365 * YEARS_AHEAD

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        day = super()._deserialize(value, attr, data, **kwargs)
        today = clock.today()
        latest = today + timedelta(days=self.days_ahead)
        if day < EARLIEST_DAY:
            raise ValidationError(f"must be on or after {EARLIEST_DAY.isoformat()}")
        if day > latest:
            if self.days_ahead == 0:
                raise ValidationError(f"cannot be in the future (today is {today.isoformat()})")
            raise ValidationError(f"must be on or before {latest.isoformat()}, "
                                  f"{self.days_ahead:,} days from today")
        return day


class MessageSchema(Schema):
    message = fields.String()
