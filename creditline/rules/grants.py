"""Grant bands: the rate an improvement earns and the amount it gives, for one or many.

Two scales are supported. ``steps`` (Viet Nam, Colombia): the rate of the highest band whose
threshold the improvement passes. ``graded`` (our reading of Peru): the rate grows linearly
between the listed points, flat after the last, rounded down to the rulebook's rate step.
Thresholds are exclusive by default ("over 30%"): a rulebook sets ``inclusive: true`` to
count a result exactly on the threshold.

Amounts are computed in integer cents with the rate in basis points, rounding half-up like
:mod:`creditline.finance.money`. :func:`rate_of` and :func:`cents_of` are written once against
:mod:`creditline.finance.array_ops`, for one proposal (the what-if) and for a batch alike.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np

from ..finance.array_ops import ARRAY, Ops

# The conditions a rulebook may list under ``grant_bands.conditions``; the grants service holds
# one check per name (creditline.grants), and a test keeps the two lists equal.
GRANT_CONDITIONS = ("loan_outstanding", "no_other_grant")


def rate_of(o: Ops, x: Any, bands: dict[str, Any]) -> Any:
    """The grant rate of each improvement ``x`` (0 where no band is reached or it is unknown)."""
    points = bands["bands"]
    inclusive = bool(bands.get("inclusive", False))
    if bands.get("scale", "steps") == "steps":
        rate = o.full(x, 0.0)
        for band in sorted(points, key=lambda b: b["over"]):
            rate = o.where(x >= band["over"] if inclusive else x > band["over"], float(band["rate"]), rate)
    else:
        xs = np.array([b["over"] for b in points], dtype=float)
        ys = np.array([b["rate"] for b in points], dtype=float)
        step = float(bands.get("rate_step", 0.01))
        # Round down to the step, with a hair of tolerance so 0.2 is not read as 0.19999.
        graded = o.floor(o.interp(x, xs, ys) / step + 1e-9) * step
        first = float(xs[0])
        rate = o.where(x >= first if inclusive else x > first, graded, 0.0)
    rate = o.where(o.isfinite(x), rate, 0.0)
    return o.rint(rate * 1e6) / 1e6  # np.round(rate, 6): scale, round half-even, unscale


def cents_of(o: Ops, basis: Any, rate: Any, cap: Any = None) -> Any:
    """Whole cents: basis × rate (in basis points), half-up, at most the cap (NaN basis gives 0)."""
    basis_cents = o.integers(o.where(o.isfinite(basis), o.rint(basis * 100), 0.0))
    cents = (basis_cents * o.integers(o.rint(rate * 10000)) + 5000) // 10000
    if cap is not None:
        cents = o.minimum(cents, int(round(float(cap) * 100)))
    return o.maximum(cents, 0)


def grant_rate(improvement: Any, bands: dict[str, Any]) -> np.ndarray:
    """:func:`rate_of` of one improvement or many, as an array."""
    return rate_of(ARRAY, np.atleast_1d(np.asarray(improvement, dtype=float)), bands)


def grant_amount_cents(basis: Any, rate: Any, cap: Any = None) -> np.ndarray:
    """:func:`cents_of` of one basis or many, as an array of whole cents."""
    b, r = np.broadcast_arrays(np.atleast_1d(np.asarray(basis, dtype=float)),
                               np.atleast_1d(np.asarray(rate, dtype=float)))
    return cents_of(ARRAY, b, r, cap)


def grant_for(improvement: float, basis: Decimal, bands: dict[str, Any]) -> tuple[float, Decimal]:
    """The (rate, amount) of one grant, the amount as Decimal."""
    rate = float(grant_rate(improvement, bands)[0])
    cents = int(grant_amount_cents(float(basis), rate, bands.get("cap"))[0])
    return rate, (Decimal(cents) / 100).quantize(Decimal("0.01"))
