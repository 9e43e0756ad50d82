"""Put the verifier's chosen baseline models into a verification result.

With ``weighted_co2e`` the energy streams are pooled by their specific consumption (rounded to
6 digits), so a regression indicator enters that pool by its specific figures.

The result of :func:`creditline.measurement.calc.verify` is by specific consumption. Each
indicator the verifier models by regression takes the model's improvement instead (avoided /
adjusted baseline); the main and net improvements and the worse list follow, and
``band_improvement`` is what grant bands are read on: the net improvement, or with
``band_basis: lower_bound`` the net improvement less the main model's 90% uncertainty.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from creditline.measurement.offsets import OffsetInputs, net_basis, net_improvement
from creditline.measurement.results import share


def apply_models(result: dict[str, Any], models: Mapping[str, dict[str, Any]],
                 emission_factors: Mapping[str, float] | None, band_basis: str) -> dict[str, Any]:
    """Return a copy of ``result`` with the models recorded and the regression improvements used."""
    out = {**result, "indicators": {k: dict(v) for k, v in result["indicators"].items()},
           "models": {k: dict(v) for k, v in models.items()}, "band_basis": band_basis}
    for name, model in models.items():
        row = out["indicators"].get(name)
        if row is None:
            continue
        row["method"] = model["method"]
        if model["method"] == "regression":
            row["specific_improvement"] = row["improvement"]
            row["improvement"] = model.get("improvement")
    main = out["main_indicator"]
    # With specific consumption alone the kernel's figures stand untouched.
    if any(m["method"] == "regression" for m in models.values()):
        out["improvement"] = {k: v["improvement"] for k, v in out["indicators"].items()}
        out["main_improvement"] = out["indicators"][main]["improvement"]
        out["worse"] = _worse(out, result)
        out["net_improvement"] = _net(out, emission_factors or {})
        names = list(out["indicators"])
        energy = [n for n in names if n in (emission_factors or {})]
        out["net_basis"] = net_basis(out["offset_method"], main, main in energy, energy,
                                     [w["indicator"] for w in out["worse"]])
    band = out["net_improvement"]
    main_model = models.get(main, {})
    if band_basis == "lower_bound" and main_model.get("method") == "regression" and band is not None:
        spread = (main_model.get("improvement") or 0.0) - (main_model.get("lower_bound") or 0.0)
        band = share(band - spread)
    out["band_improvement"] = band
    return out


def _worse(out: dict[str, Any], before: dict[str, Any]) -> list[dict[str, Any]]:
    kept = [w for w in before.get("worse", [])
            if out["indicators"][w["indicator"]].get("method") != "regression"]
    for name, row in out["indicators"].items():
        if row.get("method") == "regression" and row["improvement"] is not None and row["improvement"] < 0:
            kept.append({"indicator": name, "improvement": row["improvement"], "new_stream": False,
                         "message": f"{name} rose {-row['improvement']:.1%} against its adjusted baseline "
                                    "(regression)"})
    return kept


def _net(out: dict[str, Any], factors: Mapping[str, float]) -> float | None:
    names = list(out["indicators"])
    rows = [out["indicators"][n] for n in names]
    new = {w["indicator"] for w in out["worse"] if w.get("new_stream")}

    def floats(key: str) -> np.ndarray:
        return np.array([float(r[key]) if r.get(key) is not None else np.nan for r in rows])

    net = net_improvement(OffsetInputs(
        method=out["offset_method"], loan_start=np.array([0]),
        main_row=np.array([names.index(out["main_indicator"])]),
        is_main=np.array([n == out["main_indicator"] for n in names]), improvement=floats("improvement"),
        new_stream=np.array([n in new for n in names]), baseline_specific=floats("baseline_specific"),
        reporting_specific=floats("reporting_specific"),
        factor=np.array([factors.get(n, np.nan) for n in names], dtype=np.float64)))
    return share(float(net[0]))
