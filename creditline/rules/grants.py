"""Grant bands: the rate an improvement earns and the amount it gives, for one or many.

Two scales are supported. ``steps`` (Viet Nam, Colombia): the rate of the highest band whose
threshold the improvement passes. ``graded`` (our reading of Peru): the rate grows linearly
between the listed points, flat after the last, rounded down to the rulebook's rate step.
Thresholds are exclusive by default ("over 30%"): a rulebook sets ``inclusive: true`` to
count a result exactly on the threshold.

Amounts are computed in integer cents with the rate in basis points, so the scalar and batch
paths agree to the cent and round half-up like :mod:`creditline.finance.money`.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np

# The conditions a rulebook may list under ``grant_bands.conditions``; the grants service holds
# one check per name (creditline.grants), and a test keeps the two lists equal.
GRANT_CONDITIONS = ("loan_outstanding", "no_other_grant")


def grant_rate(improvement: Any, bands: dict[str, Any]) -> np.ndarray:
    """The grant rate for each improvement (0 where no band is reached or it is unknown)."""
    x = np.atleast_1d(np.asarray(improvement, dtype=float))
    points = bands["bands"]
    inclusive = bool(bands.get("inclusive", False))
    reached = (lambda t: x >= t) if inclusive else (lambda t: x > t)
    rate = np.zeros(x.shape)
    if bands.get("scale", "steps") == "steps":
        for band in sorted(points, key=lambda b: b["over"]):
            rate = np.where(reached(band["over"]), band["rate"], rate)
    else:
        xs = np.array([b["over"] for b in points], dtype=float)
        ys = np.array([b["rate"] for b in points], dtype=float)
        graded = np.interp(x, xs, ys)
        step = float(bands.get("rate_step", 0.01))
        # Round down to the step, with a hair of tolerance so 0.2 is not read as 0.19999.
        graded = np.floor(graded / step + 1e-9) * step
        rate = np.where(reached(xs[0]), graded, 0.0)
    rate = np.where(np.isfinite(x), rate, 0.0)
    return np.round(rate, 6)


def grant_amount_cents(basis: Any, rate: Any, cap: Any = None) -> np.ndarray:
    """Whole cents: basis × rate, half-up, at most the cap (NaN basis gives 0)."""
    b = np.atleast_1d(np.asarray(basis, dtype=float))
    basis_cents = np.where(np.isfinite(b), np.round(b * 100), 0).astype(np.int64)
    bp = np.round(np.atleast_1d(np.asarray(rate, dtype=float)) * 10000).astype(np.int64)
    cents = (basis_cents * bp + 5000) // 10000
    if cap is not None:
        cents = np.minimum(cents, int(round(float(cap) * 100)))
    return np.maximum(cents, 0)


def grant_for(improvement: float, basis: Decimal, bands: dict[str, Any]) -> tuple[float, Decimal]:
    """The (rate, amount) of one grant, the amount as Decimal."""
    rate = float(grant_rate(improvement, bands)[0])
    cents = int(grant_amount_cents(float(basis), rate, bands.get("cap"))[0])
    return rate, (Decimal(cents) / 100).quantize(Decimal("0.01"))
