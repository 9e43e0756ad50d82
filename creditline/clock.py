"""The one clock: every "today" and "now" in the app is read here, so tests and demos can set it.

The clock can be shifted, not frozen: ``set_today(d)`` moves "now" to the start of day ``d``
and lets it run on from there, so timestamps keep their order (audit chain, token expiry)
while every date the app sees is the one chosen.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta, timezone

_offset = timedelta(0)


def _real_now() -> datetime:
    return datetime.now(timezone.utc)


def now() -> datetime:
    """Return the current time, timezone-aware in UTC, as the clock has been set."""
    return _real_now() + _offset


def today() -> date:
    """Return today's date (UTC) as the clock has been set."""
    return now().date()


def set_today(day: date | datetime | None) -> None:
    """Make ``day`` today from now on (``None`` goes back to the real date)."""
    global _offset
    if day is None:
        _offset = timedelta(0)
        return
    start = day if isinstance(day, datetime) else datetime.combine(day, time(9, 0), tzinfo=timezone.utc)
    if start.tzinfo is None:
        start = start.replace(tzinfo=timezone.utc)
    _offset = start - _real_now()


@contextmanager
def today_is(day: date | datetime) -> Iterator[None]:
    """Run a block as if ``day`` were today, then put the clock back as it was."""
    global _offset
    saved = _offset
    set_today(day)
    try:
        yield
    finally:
        _offset = saved
