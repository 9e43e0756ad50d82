"""The batch result table's number texts are Python's own: ``repr`` of a rounded float, the text of its Decimal."""
from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from creditline.scoring.batch_results import rounded_array
from creditline.scoring.batch_table import fixed_texts

# Figures as the engine gives them: ordinary ones, ones near a half, huge, tiny, signed zeros, not finite.
FIGURES = st.one_of(st.floats(min_value=-1e7, max_value=1e7), st.floats(allow_nan=True, allow_infinity=True),
                    st.integers(-10**13, 10**13).map(lambda k: k / 1000 + 0.0005), st.sampled_from(
                        [0.0, -0.0, 1e11, -1e11, 99999999999.995, 1e16, 1e-5, 0.00005, 2.675, -2.675, 1e306, -1.7e308]))


@settings(max_examples=150, deadline=None)
@given(values=st.lists(FIGURES, min_size=1, max_size=40), digits=st.sampled_from([2, 3, 4]))
def test_rounded_figures_are_written_as_python_writes_them(values, digits):
    x = np.array(values, dtype=float)
    got = rounded_array(x, digits)
    assert [repr(v) for v in got.tolist()] == [repr(round(v, digits)) for v in values]
    # Money and tonnes (held below 1e15, the schema's bounds) as the text of their Decimal.
    money = got[~(np.abs(got) >= 1e15)]
    quantum = Decimal(1).scaleb(-digits)
    plain = [str(Decimal(repr(v)).quantize(quantum, rounding=ROUND_HALF_UP)) if math.isfinite(v) else None
             for v in money.tolist()]
    assert fixed_texts(money, digits).to_pylist() == plain
    trimmed = [repr(v) if math.isfinite(v) else None for v in got.tolist()]
    assert fixed_texts(got, digits, trim=True).to_pylist() == trimmed
