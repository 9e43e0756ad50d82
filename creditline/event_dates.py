"""Event dates: the day a decision, disbursement, payment or report happened, as the user enters it.

People record events after the fact (last week's disbursement, a loan that began years before
the fund used the system), so each event carries the day it happened next to the time it was
entered. An event day is optional (today by default), never after today, and never before the
event it follows (submitted <= approved <= disbursed <= paid; a period ends before its report).
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from . import clock
from .errors import ValidationFailed


def day_or_today(value: date | None) -> date:
    """The event's day as entered, or today when none was given."""
    return value if value is not None else clock.today()


def order_problems(field: str, day: date, today: date,
                   after: Iterable[tuple[date | None, str]] = ()) -> dict[str, list[str]]:
    """Why ``day`` cannot be the date of the event in ``field`` (empty when it can).

    ``after`` lists the earlier events as (their day or None, what they were): the event may not
    precede any of them.
    """
    if day > today:
        return {field: [f"{day} is in the future; an event cannot be dated after today ({today})"]}
    for earlier, what in after:
        if earlier is not None and day < earlier:
            return {field: [f"{what} on {earlier}; this cannot be dated {day}, before it"]}
    return {}


def check_event_day(field: str, value: date | None, after: Iterable[tuple[date | None, str]] = ()) -> date:
    """The event's day (today by default), or a 422 naming ``field`` when it is in the future or out of order."""
    day = day_or_today(value)
    problems = order_problems(field, day, clock.today(), after)
    if problems:
        raise ValidationFailed(f"the {field.replace('_', ' ')} is not valid", problems)
    return day


def form_day(form: Any, field: str) -> date | None:
    """A page form's date input (YYYY-MM-DD); empty means today, anything else unreadable is a 422."""
    text = (form.get(field) or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(f"the {field.replace('_', ' ')} is not a date",
                               {field: [f"give the date as YYYY-MM-DD, not {text!r}"]}) from None


def day_of(stamp: Any) -> date | None:
    """The day of a stored timestamp (None stays None)."""
    return None if stamp is None else stamp.date()
