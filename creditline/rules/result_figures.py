"""How an assessment shows its figures: the decimals of each fact, shared by every result shaper.

Two shapers build the same result dict: :func:`creditline.rules.engine.result_of` for one
proposal (the what-if, the stored assessment; plain floats, one row of an evaluation) and
:func:`creditline.scoring.batch_results.results_of` column by column for a batch (and
:mod:`creditline.scoring.batch_table` for ``flask score``'s flat table). They stay two because
each is the fast one on its side: the columnar rounding costs numpy calls that would dominate a
batch of one, and a per-row shaper over 100,000 rows would dominate a batch. They read the
decimals from here, so a figure cannot be rounded one way in the what-if and another in a batch.
"""
from __future__ import annotations

from decimal import Decimal

# Decimals of each float fact shown (Python's ``round``; NaN and infinities show as null).
DIGITS: dict[str, int] = {
    "irr": 4, "irr_with_grant": 4, "simple_payback_years": 2, "simple_payback_with_grant": 2,
    "discounted_payback_years": 2, "benefit_cost_ratio": 3, "dscr": 2, "main_improvement": 4, "grant_rate": 4,
}
# Money (npv, npv_with_grant, grant_amount) is shown to the cent, half-up, null where not finite.
# tCO2e avoided a year, to the kilogram.
TONNE = Decimal("0.001")
TONNE_DIGITS = 3
# Per indicator: specific consumption before and after, and the improvement.
SPECIFIC_DIGITS = 6
IMPROVEMENT_DIGITS = 4
