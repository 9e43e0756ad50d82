"""Decimal money helpers shared by every module that touches amounts.

Money travels as ``Decimal`` end to end. Vectorised kernels may work in float64 or in integer
cents internally, but every amount they hand back passes through :func:`to_money` (or
:func:`cents_to_money`) so the scalar and batch paths round the same way.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

CENT = Decimal("0.01")


def to_decimal(value: Any) -> Decimal:
    """Convert a number or numeric string to Decimal without going through binary float text."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float) or hasattr(value, "dtype"):
        # numpy scalars print as "np.float64(...)" in numpy 2, so go through a plain float;
        # repr() of a float gives the shortest round-trip text, so 0.1 becomes Decimal("0.1").
        value = value.item() if hasattr(value, "item") else value
        if isinstance(value, int):
            return Decimal(value)
        return Decimal(repr(float(value)))
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"not a decimal number: {value!r}") from exc


def to_money(value: Any, quantum: Decimal = CENT) -> Decimal:
    """Round an amount half-up to the cent (or the given quantum)."""
    return to_decimal(value).quantize(quantum, rounding=ROUND_HALF_UP)


def cents_to_money(cents: int) -> Decimal:
    """Turn an integer number of cents into a Decimal amount."""
    return (Decimal(int(cents)) / 100).quantize(CENT)


def money_to_cents(value: Any) -> int:
    """Turn an amount into whole cents, rounding half-up."""
    return int(to_money(value) * 100)


def format_money(value: Any, currency: str = "") -> str:
    """Format an amount for people: ``USD 80,000`` or ``USD 80,000.50``."""
    amount = to_money(value)
    text = f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"
    return f"{currency} {text}".strip()
