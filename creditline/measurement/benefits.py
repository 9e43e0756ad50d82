"""The benefit of an investment, one place for every module: specific consumption and the
regression baseline (IPMVP options B and C).

Specific consumption (quantity per unit of output) is right only for a purely variable load.
A plant with a fixed load (lighting, idling compressors, boilers kept warm) needs a baseline
model, quantity = a + b * output (+ c * driver ...), fitted by least squares on the baseline
months; the avoided quantity is then the model at the reporting period's conditions (the
adjusted baseline) less what was actually used.

Fit statistics follow ASHRAE Guideline 14-2014 (Measurement of Energy, Demand and Water
Savings), with p the number of model parameters:

- R^2 = 1 - SSE / SST;
- CV(RMSE) = sqrt(SSE / (n - p)) / mean(y);
- NMBE = sum(y - y_hat) / ((n - p) * mean(y));
- t of each coefficient = coefficient / its standard error;
- fractional savings uncertainty at 90% confidence (monthly data, no autocorrelation)
  dU/U = t * 1.26 * CV * sqrt((n / m) * (1 + 2 / n)) / F, with t the Student value at 90%
  (two-sided) and n - p degrees of freedom, m reporting points and F the savings fraction.

The fit runs on many groups at once (one per loan and indicator); a single fit is a batch of
one, so the portfolio and the one-plant paths give the same figures by construction.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from collections.abc import Mapping
from typing import Any

import numpy as np

SOURCE = "ASHRAE Guideline 14-2014, Measurement of Energy, Demand and Water Savings"
# Guideline 14's calibration and acceptance defaults for monthly data.
DEFAULT_THRESHOLDS: dict[str, float] = {
    "min_r2": 0.75, "max_cv_rmse": 0.15, "max_abs_nmbe": 0.005, "min_abs_t": 2.0}
UNCERTAINTY_CONFIDENCE = 0.90
# Student t at 90% two-sided (the 0.95 quantile) by degrees of freedom; between rows the
# smaller df is read, which gives the larger (safer) t.
_T90 = ((1, 6.314), (2, 2.920), (3, 2.353), (4, 2.132), (5, 2.015), (6, 1.943), (7, 1.895),
        (8, 1.860), (9, 1.833), (10, 1.812), (11, 1.796), (12, 1.782), (13, 1.771), (14, 1.761),
        (15, 1.753), (16, 1.746), (17, 1.740), (18, 1.734), (19, 1.729), (20, 1.725),
        (21, 1.721), (22, 1.717), (23, 1.714), (24, 1.711), (25, 1.708), (26, 1.706),
        (27, 1.703), (28, 1.701), (29, 1.699), (30, 1.697), (40, 1.684), (60, 1.671),
        (120, 1.658))
_T90_INFINITE = 1.645


def specific_consumption(quantity: Any, output: Any) -> np.ndarray:
    """Quantity per unit of output, elementwise, in plain float64 division.

    A zero output gives inf (or NaN for 0/0), as IEEE division does: each caller masks what
    its own rules call invalid (the verification kernel a missing baseline, scoring a blank
    stream), so every module computes the same figure the same way.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(quantity, dtype=np.float64) / np.asarray(output, dtype=np.float64)


def improvement(baseline: Any, reporting: Any) -> np.ndarray:
    """1 - reporting / baseline, elementwise, in plain float64 division (see above)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return 1.0 - np.asarray(reporting, dtype=np.float64) / np.asarray(baseline, dtype=np.float64)


def t_value_90(degrees_of_freedom: int) -> float:
    """Student t at 90% confidence, two-sided, for the given degrees of freedom."""
    if degrees_of_freedom < 1:
        return math.nan
    value = _T90[0][1]
    for df, t in _T90:
        if df > degrees_of_freedom:
            return value
        value = t
    return value if degrees_of_freedom < 1000 else _T90_INFINITE


def savings_uncertainty(cv_rmse: float, n: int, m: int, fraction: float, t: float) -> float:
    """Guideline 14's fractional savings uncertainty dU/U; NaN when the savings are nil."""
    if n <= 0 or m <= 0 or not fraction or not math.isfinite(fraction):
        return math.nan
    return t * 1.26 * cv_rmse * math.sqrt((n / m) * (1.0 + 2.0 / n)) / abs(fraction)


@dataclass
class Fits:
    """Least-squares fits of many groups, all with the same drivers.

    ``coefficients`` is (groups, 1 + drivers): the intercept first. Statistics are NaN where a
    group has too few points (n <= p) or its drivers do not vary.
    """

    coefficients: np.ndarray
    t_stats: np.ndarray
    n: np.ndarray
    r2: np.ndarray
    cv_rmse: np.ndarray
    nmbe: np.ndarray
    mean_y: np.ndarray

    @property
    def parameters(self) -> int:
        return int(self.coefficients.shape[1])


def _group_sums(values: np.ndarray, group: np.ndarray, groups: int) -> np.ndarray:
    """Sum rows of ``values`` (any trailing shape) per group code."""
    # bincount per column: an order of magnitude faster than np.add.at on large batches.
    flat = values.reshape(len(values), int(np.prod(values.shape[1:])))
    out = np.empty((groups, flat.shape[1]), dtype=np.float64)
    for j in range(flat.shape[1]):
        out[:, j] = np.bincount(group, weights=flat[:, j], minlength=groups)
    return out.reshape((groups, *values.shape[1:]))


def fit_groups(y: Any, drivers: Any, group: Any, groups: int) -> Fits:
    """Fit y = a + drivers @ b per group by ordinary least squares, all groups at once.

    Drivers are centred on their group mean before solving, which keeps the normal equations
    well conditioned when outputs are large numbers of similar size.
    """
    y = np.asarray(y, dtype=np.float64)
    x = np.asarray(drivers, dtype=np.float64).reshape(len(y), -1)
    g = np.asarray(group, dtype=np.int64)
    k = x.shape[1]
    p = k + 1
    n = np.bincount(g, minlength=groups).astype(np.float64)
    safe_n = np.where(n > 0, n, 1.0)
    mean_y = _group_sums(y, g, groups) / safe_n
    mean_x = _group_sums(x, g, groups) / safe_n[:, None]
    xc = x - mean_x[g]
    yc = y - mean_y[g]
    xtx = _group_sums(xc[:, :, None] * xc[:, None, :], g, groups)
    xty = _group_sums(xc * yc[:, None], g, groups)
    # A singular system (a driver that never varies, too few points) gives NaN, not an error.
    det_ok = np.abs(np.linalg.det(xtx)) > 1e-12 * np.maximum(np.prod(np.diagonal(xtx, axis1=1, axis2=2), axis=1), 1e-300)
    eye = np.broadcast_to(np.eye(k), xtx.shape)
    inverse = np.linalg.inv(np.where(det_ok[:, None, None], xtx, eye))
    slopes = np.einsum("gij,gj->gi", inverse, xty)
    intercept = mean_y - np.einsum("gi,gi->g", slopes, mean_x)
    residual = y - intercept[g] - np.einsum("ri,ri->r", x, slopes[g])
    sse = _group_sums(residual ** 2, g, groups)
    sst = _group_sums(yc ** 2, g, groups)
    dof = n - p
    valid = det_ok & (dof > 0) & (mean_y != 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        s2 = np.where(dof > 0, sse / np.where(dof > 0, dof, 1.0), np.nan)
        var_slopes = s2[:, None] * np.diagonal(inverse, axis1=1, axis2=2)
        var_intercept = s2 * (1.0 / safe_n + np.einsum("gi,gij,gj->g", mean_x, inverse, mean_x))
        se = np.sqrt(np.column_stack([var_intercept, var_slopes]))
        coefficients = np.column_stack([intercept, slopes])
        t_stats = np.where(se > 0, coefficients / np.where(se > 0, se, 1.0), np.inf)
        r2 = np.where(sst > 0, 1.0 - sse / np.where(sst > 0, sst, 1.0), np.nan)
        cv = np.sqrt(s2) / mean_y
        nmbe = _group_sums(residual, g, groups) / (dof * mean_y)
    nan = np.full(groups, np.nan)
    return Fits(coefficients=np.where(valid[:, None], coefficients, np.nan),
                t_stats=np.where(valid[:, None], t_stats, np.nan), n=n,
                r2=np.where(valid, r2, nan), cv_rmse=np.where(valid, cv, nan),
                nmbe=np.where(valid, nmbe, nan), mean_y=mean_y)


def predict(fits: Fits, drivers: Any, group: Any) -> np.ndarray:
    """The fitted model of each row's group at that row's drivers."""
    x = np.asarray(drivers, dtype=np.float64)
    g = np.asarray(group, dtype=np.int64)
    x = x.reshape(len(g), fits.parameters - 1)
    c = fits.coefficients[g]
    return c[:, 0] + np.einsum("ri,ri->r", x, c[:, 1:])


def fit_failures(fits: Fits, thresholds: Mapping[str, float], names: list[str]) -> list[list[str]]:
    """Per group, each threshold the fit misses, in words (an empty list: accepted)."""
    out: list[list[str]] = []
    for i in range(len(fits.n)):
        reasons: list[str] = []
        r2, cv, nmbe = fits.r2[i], fits.cv_rmse[i], fits.nmbe[i]
        if not math.isfinite(r2):
            out.append([f"no fit: {int(fits.n[i])} baseline points for {fits.parameters} "
                        "parameters, or a driver that does not vary"])
            continue
        if r2 < thresholds["min_r2"]:
            reasons.append(f"R² {r2:.3f} is below {thresholds['min_r2']}")
        if cv > thresholds["max_cv_rmse"]:
            reasons.append(f"CV(RMSE) {cv:.1%} is over {thresholds['max_cv_rmse']:.1%}")
        if abs(nmbe) > thresholds["max_abs_nmbe"]:
            reasons.append(f"NMBE {nmbe:.2%} is outside ±{thresholds['max_abs_nmbe']:.1%}")
        for name, t in zip(["intercept", *names], fits.t_stats[i]):
            if abs(t) < thresholds["min_abs_t"]:
                reasons.append(f"|t| of {name} is {abs(t):.2f}, below {thresholds['min_abs_t']}")
        out.append(reasons)
    return out


@dataclass
class Savings:
    """Per group: the adjusted baseline over the reporting points, actual use, avoided, and how sure."""

    adjusted_baseline: np.ndarray
    actual: np.ndarray
    avoided: np.ndarray
    improvement: np.ndarray
    uncertainty: np.ndarray      # dU/U, the fractional savings uncertainty at 90%
    lower_bound: np.ndarray      # the improvement less its uncertainty
    m: np.ndarray


def savings(fits: Fits, reporting_y: Any, reporting_drivers: Any, reporting_group: Any,
            adjustments: Any = None) -> Savings:
    """Avoided = adjusted baseline (+ non-routine adjustments) - actual, per group."""
    g = np.asarray(reporting_group, dtype=np.int64)
    groups = len(fits.n)
    predicted = predict(fits, reporting_drivers, g)
    adjusted = _group_sums(predicted, g, groups)
    if adjustments is not None:
        adjusted = adjusted + np.asarray(adjustments, dtype=np.float64)
    actual = _group_sums(np.asarray(reporting_y, dtype=np.float64), g, groups)
    m = np.bincount(g, minlength=groups).astype(np.float64)
    avoided = adjusted - actual
    fraction = np.where(adjusted > 0, improvement(np.where(adjusted > 0, adjusted, 1.0), actual), np.nan)
    t = np.array([t_value_90(int(n - fits.parameters)) if math.isfinite(n) else math.nan
                  for n in fits.n])
    with np.errstate(invalid="ignore", divide="ignore"):
        n = fits.n
        spread = t * 1.26 * fits.cv_rmse * np.sqrt((n / np.where(m > 0, m, np.nan)) * (1.0 + 2.0 / n))
        uncertainty = np.where(fraction != 0, spread / np.abs(fraction), np.nan)
    # The lower bound is F - t*1.26*CV*sqrt(...): defined even when the savings are nil.
    return Savings(adjusted_baseline=adjusted, actual=actual, avoided=avoided,
                   improvement=fraction, uncertainty=uncertainty, lower_bound=fraction - spread, m=m)


def fixed_share(fits: Fits) -> np.ndarray:
    """The intercept's share of the mean baseline quantity: the load that does not follow output."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(fits.mean_y > 0, fits.coefficients[:, 0] / np.where(fits.mean_y > 0, fits.mean_y, 1.0), np.nan)
