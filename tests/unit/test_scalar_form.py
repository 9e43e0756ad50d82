"""A kernel's scalar form (``creditline.finance.scalar_form``) computes what the kernel computes on SCALAR.

The compiled form writes ``o``'s operations inline; these tests hold every inlined operation to
``_Scalar``'s own method on the values where they could part (zero divisors of both signs, NaN,
infinities, whole and fractional numbers), and check the compiler's promises: a kernel calling
another runs the other's scalar form, an operation inside a lambda or comprehension still gives
the same answer, and a traceback points at the kernel's own line.
"""
from __future__ import annotations

import math
import traceback
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from creditline.finance import metrics
from creditline.finance.array_ops import SCALAR, Ops
from creditline.finance.scalar_form import kernel, scalar_form
from creditline.rules import derivation, grants


def _every_operation(o: Ops, a: Any, b: Any, t: Any, k: Any) -> tuple[Any, ...]:
    return (
        o.where(t, a, b), o.where(a > b, a - b, b - a),
        o.div(a, b), o.div(a * 1.0, b - 0.0), o.div(1.0, o.div(a, b)),
        o.isfinite(a), o.isfinite(a * b), o.is_whole(a), o.is_whole(a + 0.5),
        o.any(t), o.all(a > b), o.not_(t), o.full(a, b), o.put(a, t, b),
        o.whole(k * 1.0), o.squared_power(a, k), o.squared_power(b * 0.5, k + 3), o.squared_power(a, 2000 + k),
        o.rows(t, a, b), o.clip(a, -1.0, 1.0), o.maximum(a, b), o.minimum(a * 1.0, b), o.maximum(0, a), o.rint(a),
        o.nan_to_num(b),
        o.once(_twice, a),
        # Inside a comprehension and a lambda an argument cannot be kept in a local: called instead.
        [o.div(x * 1.0, b * 1.0) for x in (a, b)], (lambda y: o.isfinite(y * 1.0))(a),
    )


def _twice(o: Ops, x: Any) -> Any:
    return o.div(x, 2.0) + o.where(x > 0, x, 0.0)


def _calls_another(o: Ops, x: Any) -> Any:
    return _twice(o, x)


def _raises(o: Ops, x: Any) -> Any:
    y = o.div(x, 2.0)
    return [y][int(x)]  # the line a traceback must name


def same(a: Any, b: Any) -> bool:
    if isinstance(a, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    return type(a) is type(b) and a == b


number = st.one_of(st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.5, 3.0, 1e308, -1e308, math.inf, -math.inf, math.nan]),
                   st.floats(allow_nan=True, allow_infinity=True))


@settings(max_examples=400, deadline=None)
@given(a=number, b=number, t=st.booleans(), k=st.integers(min_value=0, max_value=40))
def test_every_inlined_operation_answers_as_the_scalar_operation_does(a, b, t, k):
    assert same(scalar_form(_every_operation)(SCALAR, a, b, t, k), _every_operation(SCALAR, a, b, t, k))


def test_a_kernel_calling_another_runs_its_scalar_form():
    form = scalar_form(_calls_another)
    assert form is not _calls_another and form.__globals__["_twice"] is scalar_form(_twice)
    assert form(SCALAR, 3.0) == _calls_another(SCALAR, 3.0) == 4.5
    # Across modules too: the derivation's economics call the grants' scalar forms.
    assert scalar_form(derivation._economics).__globals__["rate_of"] is scalar_form(grants.rate_of)


def test_a_traceback_names_the_kernels_own_line():
    try:
        scalar_form(_raises)(SCALAR, 5.0)
    except IndexError as error:
        frame = traceback.extract_tb(error.__traceback__)[-1]
    assert frame.filename == __file__ and frame.line.endswith("# the line a traceback must name")


def test_a_public_kernel_runs_its_scalar_form_on_plain_numbers():
    doubled = kernel(_twice)
    assert doubled(3.0) == 4.5 and list(doubled([3.0, -2.0])) == [4.5, -1.0]
    assert metrics.level_irr(1000.0, 300.0, 5.0) == metrics._level_irr(SCALAR, 1000.0, 300.0, 5.0)
    # Once used, the scalar face is the compiled form itself, with SCALAR bound.
    assert metrics.level_irr.scalar.func is scalar_form(metrics._level_irr)
