"""The few operations a kernel needs beyond arithmetic, for one value and for an array alike.

A finance kernel (:mod:`.metrics`) is written once, as ``fn(o, *numbers)`` (see :func:`.scalar_form.kernel`): arithmetic
and comparisons are already polymorphic, and whatever is not (a division that must give inf or
NaN instead of raising, a choice, a test over all rows) goes through ``o``. :data:`ARRAY` does it
with numpy over one value per proposal (the batch); :data:`SCALAR` with plain floats (the what-if,
where numpy's cost per call, about a microsecond an operation on arrays of one, would dominate;
:mod:`.scalar_form` compiles each kernel once more with these operations written inline).
Both follow numpy's semantics, so the one kernel gives the same bits either way; the property
tests in ``tests/unit/test_scalar_kernel.py`` hold it to that.

Python raises where numpy answers inf or NaN only for a division, ``**`` and a few ``math``
functions; ``+ - *`` and comparisons behave alike (an overflow is inf, NaN compares false), so
those stay plain operators in the kernels.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Protocol

import numpy as np

NAN = math.nan
_MAX = 1.7976931348623157e308


def _div(a: float, b: float) -> float:
    """numpy's division: a zero divisor gives ±inf, or NaN for 0/0 (Python would raise)."""
    if b == 0:
        return NAN if a == 0 or a != a else math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def _pow(base: float, exponent: float) -> float:
    try:
        out = base ** exponent
    except ZeroDivisionError:
        return math.inf
    except OverflowError:
        return math.inf
    return out if isinstance(out, float) else NAN  # a negative base to a fractional power


def _chain(k: int) -> Callable[[float], float]:
    """Repeated squaring for one exponent, unrolled: the multiplications of the loop

        result = 1.0
        while k:
            if k & 1: result *= base
            base *= base
            k >>= 1

    in the same order (so the same bits; the last squaring, which nothing reads, is left out), as
    straight-line code. A proposal's powers use a handful of exponents (its life, the years of its
    payback) a dozen times each, and the loop's own bookkeeping cost more than its multiplications.
    """
    steps, left = [], k
    while left:
        if left & 1:
            steps.append("r = r * b")
        left >>= 1
        if left:
            steps.append("b = b * b")
    source = "def chain(b):\n    r = 1.0\n" + "".join(f"    {s}\n" for s in steps) + "    return r\n"
    scope: dict[str, Any] = {}
    exec(compile(source, f"<squaring {k}>", "exec"), scope)  # noqa: S102 - built from an int's bits only
    chain: Callable[[float], float] = scope["chain"]
    return chain


_CHAINS: dict[int, Callable[[float], float]] = {}
_MAX_CHAIN = 1024  # metrics.MAX_SQUARING: lives and paybacks in years; each exponent is compiled once


def chain_for(k: int) -> Callable[[float], float]:
    """The straight-line squaring of exponent ``k`` (:func:`_chain`), compiled once and kept in
    :data:`_CHAINS`; past any life, the loop itself."""
    if 0 <= k <= _MAX_CHAIN:
        chain = _CHAINS[k] = _CHAINS.get(k) or _chain(k)
        return chain

    def loop(base: float) -> float:
        result, left = 1.0, k
        while left:
            if left & 1:
                result *= base
            base *= base
            left >>= 1
        return result
    return loop


class _Scalar:
    """The operations over plain floats (bools for tests, ints for whole counts)."""

    div = staticmethod(_div)
    pow = staticmethod(_pow)

    @staticmethod
    def floats(*values: Any) -> tuple[float, ...]:
        return tuple(float(v) for v in values)

    @staticmethod
    def where(test: Any, yes: Any, no: Any) -> Any:
        return yes if test else no

    @staticmethod
    def isfinite(x: float) -> bool:
        return x - x == 0  # False for inf and NaN, without a call into math

    @staticmethod
    def sqrt(x: float) -> float:
        """Correctly rounded, as numpy's (IEEE 754 asks it of both); NaN below zero instead of raising."""
        return math.sqrt(x) if x >= 0 else NAN

    @staticmethod
    def is_whole(x: float) -> bool:
        return x - x == 0 and x == int(x)

    @staticmethod
    def whole(x: float) -> int:
        return int(x)

    @staticmethod
    def floor(x: float) -> float:
        return float(math.floor(x)) if x - x == 0 else x

    maximum = staticmethod(max)
    minimum = staticmethod(min)

    @staticmethod
    def rint(x: float) -> float:
        """Round half to even to a whole number, as ``np.rint`` (inf and NaN stay)."""
        return float(round(x)) if x - x == 0 else x

    @staticmethod
    def popcount(x: int) -> float:
        return float(bin(x).count("1"))

    @staticmethod
    def each_distinct(fn: Callable[[Any], Any], values: Any) -> Any:
        return fn(values)

    @staticmethod
    def interp(x: float, xs: Any, ys: Any) -> float:
        return float(np.interp(x, xs, ys))  # only the graded grant scale asks: numpy's own answer

    @staticmethod
    def integers(x: float) -> int:
        return int(x)

    @staticmethod
    def nan_to_num(x: float) -> float:
        if x != x:
            return 0.0
        return x if abs(x) != math.inf else math.copysign(_MAX, x)

    @staticmethod
    def clip(x: float, lo: float, hi: float) -> float:
        return x if x != x else lo if x < lo else hi if x > hi else x  # NaN stays NaN, as np.clip

    @staticmethod
    def full(like: Any, value: float) -> float:
        return value

    any = staticmethod(bool)
    all = staticmethod(bool)

    @staticmethod
    def not_(x: bool) -> bool:
        return not x

    @staticmethod
    def squared_power(base: float, k: int) -> float:
        """``base ** k`` for a whole ``k >= 0`` by repeated squaring (see :func:`.metrics.power`)."""
        chain = _CHAINS.get(k)
        return chain(base) if chain is not None else chain_for(k)(base)

    @staticmethod
    def rows(mask: bool, *values: float) -> tuple[float, ...]:
        """The values of the rows in ``mask`` (one value: itself; only asked when the mask holds)."""
        return values

    @staticmethod
    def put(out: float, mask: bool, values: float) -> float:
        return values if mask else out

    @staticmethod
    def once(fn: Callable[..., Any], *numbers: float) -> Any:
        """``fn(SCALAR, *numbers)``, remembered by its numbers: a figure of the rulebook's rate and a
        life (the annuity factor) is asked a dozen times per what-if and of few distinct numbers
        across all of them, so it is worked out once (the same kernel, the same bits)."""
        key = (fn, *numbers)
        value = _ONCE.get(key)
        if value is None:
            if len(_ONCE) >= _ONCE_MAX:
                _ONCE.clear()
            value = _ONCE[key] = fn(SCALAR, *numbers)
        return value


# What :meth:`_Scalar.once` remembers: a rulebook's discount and loan rates over lives of 1 to 50
# years are a few hundred keys; past the bound it starts afresh rather than grow.
_ONCE: dict[tuple[Any, ...], Any] = {}
_ONCE_MAX = 4096


class _Array:
    """The same operations with numpy, one value per proposal (errors silenced: inf and NaN answer)."""

    @staticmethod
    def div(a: Any, b: Any) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.divide(a, b)

    @staticmethod
    def pow(base: np.ndarray, exponent: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.power(base, exponent)

    @staticmethod
    def floats(*values: Any) -> tuple[np.ndarray, ...]:
        return tuple(np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in values)))

    where = staticmethod(np.where)
    isfinite = staticmethod(np.isfinite)

    @staticmethod
    def sqrt(x: Any) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.sqrt(x)

    @staticmethod
    def is_whole(x: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.isfinite(x) & (x == np.floor(x))

    @staticmethod
    def whole(x: np.ndarray) -> np.ndarray:
        return x.astype(np.int64)

    floor = staticmethod(np.floor)
    maximum = staticmethod(np.maximum)
    minimum = staticmethod(np.minimum)
    rint = staticmethod(np.rint)
    interp = staticmethod(np.interp)

    @staticmethod
    def popcount(x: np.ndarray) -> np.ndarray:
        return np.bitwise_count(np.asarray(x).astype(np.uint64)).astype(float)

    @staticmethod
    def each_distinct(fn: Callable[[Any], Any], values: np.ndarray) -> np.ndarray:
        """``fn`` of every value, called once per distinct value (texts repeat across a batch)."""
        if not len(values):
            return np.array([], dtype=object)
        distinct, back = np.unique(values, return_inverse=True)
        return np.array([fn(v) for v in distinct.tolist()], dtype=object)[back.reshape(-1)]

    @staticmethod
    def integers(x: np.ndarray) -> np.ndarray:
        return np.asarray(x).astype(np.int64)

    nan_to_num = staticmethod(np.nan_to_num)
    clip = staticmethod(np.clip)

    @staticmethod
    def full(like: np.ndarray, value: float) -> np.ndarray:
        return np.full(np.shape(like), value)

    any = staticmethod(np.any)
    all = staticmethod(np.all)
    not_ = staticmethod(np.logical_not)

    @staticmethod
    def squared_power(base: np.ndarray, k: np.ndarray) -> np.ndarray:
        """:meth:`_Scalar.squared_power` row by row: the same multiplications in the same order."""
        result, b, k = np.ones(np.shape(base)), np.array(base, dtype=float), np.array(k, dtype=np.int64)
        with np.errstate(all="ignore"):
            while k.any():
                np.multiply(result, b, out=result, where=(k & 1).astype(bool))
                b *= b
                k >>= 1
        return result

    @staticmethod
    def rows(mask: np.ndarray, *values: np.ndarray) -> tuple[np.ndarray, ...]:
        return tuple(v[mask] for v in values)

    @staticmethod
    def put(out: np.ndarray, mask: np.ndarray, values: np.ndarray) -> np.ndarray:
        out = out.copy()
        out[mask] = values
        return out

    @staticmethod
    def once(fn: Callable[..., Any], *numbers: np.ndarray) -> Any:
        return fn(ARRAY, *numbers)  # a batch works each out once already, over its columns


class Ops(Protocol):
    """What a kernel may ask of ``o`` (numbers are floats or arrays, tests bools or bool arrays)."""

    def div(self, a: Any, b: Any) -> Any: ...
    def pow(self, base: Any, exponent: Any) -> Any: ...
    def floats(self, *values: Any) -> tuple[Any, ...]: ...
    def where(self, test: Any, yes: Any, no: Any) -> Any: ...
    def isfinite(self, x: Any) -> Any: ...
    def sqrt(self, x: Any) -> Any: ...
    def is_whole(self, x: Any) -> Any: ...
    def whole(self, x: Any) -> Any: ...
    def nan_to_num(self, x: Any) -> Any: ...
    def floor(self, x: Any) -> Any: ...
    def maximum(self, a: Any, b: Any) -> Any: ...
    def minimum(self, a: Any, b: Any) -> Any: ...
    def rint(self, x: Any) -> Any: ...
    def popcount(self, x: Any) -> Any: ...
    def each_distinct(self, fn: Callable[[Any], Any], values: Any) -> Any: ...
    def interp(self, x: Any, xs: Any, ys: Any) -> Any: ...
    def integers(self, x: Any) -> Any: ...
    def clip(self, x: Any, lo: float, hi: float) -> Any: ...
    def full(self, like: Any, value: Any) -> Any: ...
    def any(self, x: Any) -> Any: ...
    def all(self, x: Any) -> Any: ...
    def not_(self, x: Any) -> Any: ...
    def squared_power(self, base: Any, k: Any) -> Any: ...
    def rows(self, mask: Any, *values: Any) -> tuple[Any, ...]: ...
    def put(self, out: Any, mask: Any, values: Any) -> Any: ...
    def once(self, fn: Callable[..., Any], *numbers: Any) -> Any: ...


SCALAR: Ops = _Scalar()
ARRAY: Ops = _Array()
