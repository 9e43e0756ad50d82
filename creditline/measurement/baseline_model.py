"""The baseline model of each indicator, as the verifier chose it: settings, batch and single path.

Rulebook settings (``monitoring.verification.baseline_model``), each optional::

    min_r2: 0.75                     # Guideline 14 defaults for monthly data
    max_cv_rmse: 0.15
    max_abs_nmbe: 0.005
    min_abs_t: 2.0
    max_fixed_share_for_specific: 0.10   # a larger fixed load makes specific consumption unsuitable
    min_baseline_months: 12
    band_basis: estimate             # or lower_bound: bands read on the improvement less its
                                     # 90% uncertainty
    source: "ASHRAE Guideline 14-2014 ..."

The batch path takes long tables (one row per group and month) and fits every group that
shares a set of drivers in one pass; :func:`regression_model` is a batch of one.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from creditline.measurement import benefits
from creditline.measurement.results import fixed_text, share, significant_text

METHODS = ("specific", "regression")
BAND_BASES = ("estimate", "lower_bound")
DEFAULTS: dict[str, Any] = {**benefits.DEFAULT_THRESHOLDS, "max_fixed_share_for_specific": 0.10,
                            "min_baseline_months": 12, "band_basis": "estimate",
                            "source": benefits.SOURCE}


def model_settings(raw: Mapping[str, Any] | None) -> dict[str, Any]:
    """Merge the rulebook's baseline-model settings over the defaults; raise on a bad one."""
    merged = {**DEFAULTS, **(raw or {})}
    unknown = sorted(set(merged) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"unknown baseline_model setting(s): {', '.join(unknown)}")
    for key in ("min_r2", "max_cv_rmse", "max_abs_nmbe", "min_abs_t", "max_fixed_share_for_specific"):
        value = merged[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100:
            raise ValueError(f"baseline_model.{key} must be a number from 0 to 100, not {value!r}")
        merged[key] = float(value)
    months = merged["min_baseline_months"]
    if isinstance(months, bool) or not isinstance(months, int) or not 3 <= months <= 120:
        raise ValueError(f"baseline_model.min_baseline_months must be a whole number from 3 to 120, not {months!r}")
    if merged["band_basis"] not in BAND_BASES:
        raise ValueError(f"baseline_model.band_basis must be one of {', '.join(BAND_BASES)}")
    merged["source"] = str(merged["source"])
    return merged


def rulebook_settings(monitoring: Mapping[str, Any]) -> dict[str, Any]:
    """The settings from a rulebook's ``monitoring`` section."""
    verification = monitoring.get("verification") or {}
    return model_settings(verification.get("baseline_model") if isinstance(verification, Mapping) else None)


def regression_batch(baseline: pd.DataFrame, reporting: pd.DataFrame, drivers: Sequence[str],
                     adjustments: Mapping[Any, float] | None = None) -> pd.DataFrame:
    """Fit and apply the model of every group; one row per group, in first-appearance order.

    ``baseline`` and ``reporting`` have columns ``group``, ``quantity`` and one per driver.
    """
    codes, groups = pd.factorize(baseline["group"], sort=False)
    n_groups = len(groups)
    fits = benefits.fit_groups(baseline["quantity"].to_numpy(np.float64),
                               baseline[list(drivers)].to_numpy(np.float64), codes, n_groups)
    rep_codes = pd.Index(groups).get_indexer(reporting["group"].to_numpy())
    keep = rep_codes >= 0
    extra = np.zeros(n_groups)
    for key, amount in (adjustments or {}).items():
        position = pd.Index(groups).get_indexer([key])[0]
        if position >= 0:
            extra[position] += float(amount)
    saved = benefits.savings(fits, reporting["quantity"].to_numpy(np.float64)[keep],
                             reporting[list(drivers)].to_numpy(np.float64)[keep], rep_codes[keep], extra)
    frame = pd.DataFrame({"group": np.asarray(groups), "n": fits.n, "r2": fits.r2,
                          "cv_rmse": fits.cv_rmse, "nmbe": fits.nmbe,
                          "fixed_share": benefits.fixed_share(fits), "m": saved.m,
                          "adjustments": extra, "adjusted_baseline": saved.adjusted_baseline,
                          "actual": saved.actual, "avoided": saved.avoided,
                          "improvement": saved.improvement, "uncertainty": saved.uncertainty,
                          "lower_bound": saved.lower_bound})
    for j, name in enumerate(["intercept", *drivers]):
        frame[f"coef_{name}"] = fits.coefficients[:, j]
        frame[f"t_{name}"] = fits.t_stats[:, j]
    return frame


def _float(value: Any) -> float:
    try:
        return float(value) if value is not None and value != "" else math.nan
    except (TypeError, ValueError):
        return math.nan


def _rows(points: Sequence[Mapping[str, Any]], drivers: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame({"group": [0] * len(points), "label": [str(p.get("label", i + 1)) for i, p in enumerate(points)],
                         "quantity": [_float(p.get("quantity")) for p in points],
                         **{d: [_float(p.get(d)) for p in points] for d in drivers}},
                        columns=["group", "label", "quantity", *drivers])


def regression_model(baseline: Sequence[Mapping[str, Any]], reporting: Sequence[Mapping[str, Any]],
                     drivers: Sequence[str], settings: Mapping[str, Any],
                     adjustment: float = 0.0) -> dict[str, Any]:
    """One indicator's regression baseline: the fit, its checks and the savings, JSON-ready.

    Points are dicts with ``quantity`` and each driver (``output`` among them); blank points are
    dropped, so the counts shown are the points used.
    """
    base = _rows(baseline, drivers).dropna()
    rep = _rows(reporting, drivers).dropna()
    row = regression_batch(base, rep, drivers, {0: adjustment}).iloc[0] if len(base) else None
    failures: list[str] = []
    if len(base) < settings["min_baseline_months"]:
        failures.append(f"{len(base)} baseline months; at least {settings['min_baseline_months']} are needed")
    if row is None:
        return {"method": "regression", "drivers": list(drivers), "accepted": False, "failures": failures}
    fits = benefits.Fits(coefficients=np.array([[row[f"coef_{d}"] for d in ["intercept", *drivers]]]),
                         t_stats=np.array([[row[f"t_{d}"] for d in ["intercept", *drivers]]]),
                         n=np.array([row["n"]]), r2=np.array([row["r2"]]), cv_rmse=np.array([row["cv_rmse"]]),
                         nmbe=np.array([row["nmbe"]]), mean_y=np.array([math.nan]))
    failures += benefits.fit_failures(fits, settings, list(drivers))[0]
    if row["m"] == 0:
        failures.append("no reporting period has every driver of the model")
    estimate, lower = share(row["improvement"]), share(row["lower_bound"])

    def series(frame: pd.DataFrame, model_key: str) -> list[dict[str, Any]]:
        model = benefits.predict(fits, frame[list(drivers)].to_numpy(np.float64), np.zeros(len(frame), np.int64))
        return [{"label": label, "actual": _round(y, 3), model_key: _round(m, 3)}
                for label, y, m in zip(frame["label"], frame["quantity"], model)]
    return {
        "method": "regression", "drivers": list(drivers), "accepted": not failures, "failures": failures,
        "equation": " + ".join([significant_text(row["coef_intercept"]) or "?",
                                *(f"{significant_text(row[f'coef_{d}'])}·{d}" for d in drivers)]),
        "coefficients": {d: significant_text(row[f"coef_{d}"]) for d in ["intercept", *drivers]},
        "t_stats": {d: _round(row[f"t_{d}"], 2) for d in ["intercept", *drivers]},
        "r2": _round(row["r2"], 4), "cv_rmse": _round(row["cv_rmse"], 4), "nmbe": _round(row["nmbe"], 6),
        "n": int(row["n"]), "m": int(row["m"]), "fixed_share": share(row["fixed_share"]),
        "adjustments": fixed_text(row["adjustments"]),
        "adjusted_baseline": fixed_text(row["adjusted_baseline"]), "actual": fixed_text(row["actual"]),
        "avoided": fixed_text(row["avoided"]), "improvement": estimate,
        "uncertainty_90": _round(row["uncertainty"], 4), "lower_bound": lower,
        "thresholds": {k: settings[k] for k in benefits.DEFAULT_THRESHOLDS}, "source": settings["source"],
        "series": {"baseline": series(base, "model"), "reporting": series(rep, "adjusted")},
    }


def specific_suitability(baseline: Sequence[Mapping[str, Any]], settings: Mapping[str, Any]) -> dict[str, Any]:
    """Whether specific consumption suits the indicator: its fixed load, from a fit on output."""
    base = _rows(baseline, ["output"]).dropna()
    if len(base) < 3:
        return {"method": "specific", "fixed_share": None, "suitable": None,
                "failures": [], "note": "no monthly baseline to judge the fixed load by"}
    row = regression_batch(base, base.iloc[0:0], ["output"]).iloc[0]
    fixed = float(row["fixed_share"])
    significant = abs(float(row["t_intercept"])) >= settings["min_abs_t"]
    limit = settings["max_fixed_share_for_specific"]
    suitable = not (significant and math.isfinite(fixed) and abs(fixed) > limit)
    failures = [] if suitable else [
        f"specific consumption is not suitable: a fixed load of {fixed:.0%} of the baseline "
        f"(over {limit:.0%}); choose the regression baseline or document why"]
    return {"method": "specific", "fixed_share": share(fixed), "suitable": suitable, "failures": failures}


def _round(value: Any, digits: int) -> float | None:
    v = _float(value)
    return round(v, digits) + 0.0 if math.isfinite(v) else None
