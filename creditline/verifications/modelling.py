"""The baseline model of each indicator a verification uses, as the verifier chose it.

Without monthly baseline readings every indicator is verified by specific consumption, as the
plan's annual baseline allows. With them, each indicator's model is checked: specific
consumption must not hide a large fixed load, and a regression must meet the rulebook's fit
thresholds; a model that fails is accepted only with the verifier's documented reason.
"""
from __future__ import annotations

from typing import Any

from ..errors import ValidationFailed
from ..monitoring.adjustments import confirmed_totals
from ..monitoring.baseline import months_of
from ..monitoring.models import MonitoringPlan, MonitoringReport
from ..measurement.baseline_model import METHODS, rulebook_settings, regression_model, specific_suitability


def settings_of(book: Any) -> dict[str, Any]:
    """The rulebook's baseline-model settings over Guideline 14's defaults."""
    return rulebook_settings(book.monitoring)


def _reporting_points(reports: list[MonitoringReport], stream: str) -> list[dict[str, Any]]:
    points = []
    for r in reports:
        quantity = next((q.quantity for q in r.quantities if q.stream == stream), None)
        points.append({"label": r.period.label, "quantity": None if quantity is None else str(quantity),
                       "output": str(r.production_output), **(r.drivers or {})})
    return points


def choose_models(plan: MonitoringPlan, reports: list[MonitoringReport], chosen: list[dict[str, Any]] | None,
                  settings: dict[str, Any], actor_id: int) -> dict[str, dict[str, Any]]:
    """Each indicator's model with its statistics; 422 naming the field when a choice cannot stand."""
    months = months_of(plan)
    by_indicator: dict[str, tuple[int, dict[str, Any]]] = {}
    errors: dict[str, list[str]] = {}
    for n, choice in enumerate(chosen or []):
        name = choice.get("indicator")
        if name not in plan.streams:
            errors[f"models.{n}.indicator"] = [f"one of the plan's indicators: {', '.join(plan.streams)}"]
        elif name in by_indicator:
            errors[f"models.{n}.indicator"] = [f"{name} is chosen twice"]
        elif choice.get("method", "specific") not in METHODS:
            errors[f"models.{n}.method"] = [f"one of {', '.join(METHODS)}"]
        else:
            by_indicator[name] = (n, choice)
    known = set().union(*(m.drivers for m in months)) if months else set()
    models: dict[str, dict[str, Any]] = {}
    for stream in plan.streams:
        n, choice = by_indicator.get(stream, (None, {}))
        at = f"models.{n}" if n is not None else "models"
        baseline = [m.point(stream) for m in months]
        if choice.get("method") == "regression":
            drivers = ["output", *[d for d in choice.get("drivers") or [] if d != "output"]]
            unknown = [d for d in drivers[1:] if d not in known]
            if not months:
                errors[f"{at}.method"] = ["a regression baseline needs the plan's monthly baseline readings first"]
                continue
            if unknown:
                errors[f"{at}.drivers"] = [f"not in the baseline readings: {', '.join(unknown)}"]
                continue
            missing = [r.period.label for r in reports if any(d not in (r.drivers or {}) for d in drivers[1:])]
            if missing:
                errors[f"{at}.drivers"] = [f"the reports of {', '.join(missing)} do not give {', '.join(drivers[1:])}"]
                continue
            model = regression_model(baseline, _reporting_points(reports, stream), drivers, settings,
                                     float(confirmed_totals(plan).get(stream, 0)))
        else:
            model = specific_suitability(baseline, settings)
        reason = str(choice.get("reason") or "").strip()
        if model["failures"] and len(reason) < 10:
            errors[f"{at}.reason" if n is not None else f"models.{stream}"] = [
                *model["failures"], "choose another model or document why this one stands (reason)"]
        models[stream] = {**model, "reason": reason or None, "chosen_by": actor_id}
    if errors:
        raise ValidationFailed("the baseline models cannot be used as chosen", errors)
    return models
