"""How indicators that got worse offset the main indicator's gain (the NCPC fixes the method).

Each method gives the *net improvement* a grant band is read against:

- ``main_only``: the main indicator's improvement; the others are reported, never offset.
- ``min_of_all``: the worst of the main improvement and every indicator that got worse, so any
  worsening forfeits the band (strict: no trade-offs). A new stream (zero baseline, consumed
  now) makes the net undefined.
- ``deduct_worse``: the main improvement plus each other indicator's (negative) improvement,
  unweighted: water -55% with electricity +10% per unit nets 45%. A new stream makes the net
  undefined.
- ``weighted_co2e``: when the main indicator is an energy stream (it has an emission factor),
  the energy streams are pooled by their tCO2e: net = 1 - sum(factor x reporting specific) /
  sum(factor x baseline specific). A fuel switch (diesel down, natural gas up from zero)
  therefore nets the CO2e it really saves. Streams without a factor do not enter. When the
  main indicator has no factor the net is the main improvement (units cannot be pooled).

Offsets use the improvements as rounded for display (4 decimals), so a reader can redo the sum
from the figures shown; ``weighted_co2e`` uses the unrounded specific consumption.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class OffsetInputs:
    """Per-plan-row figures, plan rows contiguous per loan starting at ``loan_start``."""

    method: str
    loan_start: np.ndarray
    main_row: np.ndarray
    is_main: np.ndarray
    improvement: np.ndarray
    new_stream: np.ndarray
    baseline_specific: np.ndarray
    reporting_specific: np.ndarray
    factor: np.ndarray


def worse_mask(improvement: np.ndarray, new_stream: np.ndarray) -> np.ndarray:
    """Tell which plan rows got worse: a negative improvement or a new stream."""
    with np.errstate(invalid="ignore"):
        return (improvement < 0) | new_stream


def net_improvement(x: OffsetInputs) -> np.ndarray:
    """Return each loan's net improvement by the offset method (NaN when undefined)."""
    main = x.improvement[x.main_row]
    if x.improvement.size == 0:
        return main
    worse = worse_mask(x.improvement, x.new_stream)
    with np.errstate(invalid="ignore", divide="ignore"):
        if x.method == "main_only":
            net = main
        elif x.method == "min_of_all":
            candidate = np.where(worse, np.where(x.new_stream, -np.inf, x.improvement), np.inf)
            net = np.minimum(main, np.minimum.reduceat(candidate, x.loan_start))
            net = np.where(np.isneginf(net), np.nan, net)
        elif x.method == "deduct_worse":
            loss = np.where(worse & ~x.is_main,
                            np.where(x.new_stream, np.nan, x.improvement), 0.0)
            net = main + np.add.reduceat(loss, x.loan_start)
        elif x.method == "weighted_co2e":
            energy = np.isfinite(x.factor)
            base = np.add.reduceat(np.where(energy, x.factor * x.baseline_specific, 0.0),
                                   x.loan_start)
            now = np.add.reduceat(np.where(energy, x.factor * x.reporting_specific, 0.0),
                                  x.loan_start)
            pooled = np.where(base > 0, 1.0 - now / np.where(base > 0, base, 1.0), np.nan)
            net = np.where(energy[x.main_row], pooled, main)
        else:
            raise ValueError(f"unknown offset method {x.method!r}")
    return np.round(net, 4) + 0.0


def net_basis(method: str, main: str, main_has_factor: bool, energy: list[str],
              worse: list[str]) -> str:
    """Say in plain words how the net improvement was reached."""
    if method == "main_only":
        return f"main indicator {main} only; other indicators do not offset"
    if method == "min_of_all":
        if not worse:
            return f"main indicator {main}; no indicator got worse"
        return f"worst of {main} and the indicators that got worse ({', '.join(worse)})"
    if method == "deduct_worse":
        others = [w for w in worse if w != main]
        if not others:
            return f"main indicator {main}; no other indicator got worse"
        return f"{main} less the worsening of {', '.join(others)}"
    if main_has_factor:
        return f"energy streams pooled by tCO2e ({', '.join(energy)})"
    return f"main indicator {main} has no emission factor, so it stands alone"
