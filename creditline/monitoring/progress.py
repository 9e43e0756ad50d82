"""Monitoring you can see (issue 13): each indicator's monthly specific consumption against its
baseline and projected target, the grant bands drawn as the specific consumption that reaches
them, and how far the enterprise is from the next band, from the reports received so far.

Reports count whatever their review (the SME sees its progress as it reports); only accepted
ones count in a verification, which says so. Figures come from the one benefits module.
"""
from __future__ import annotations

from typing import Any

from markupsafe import Markup

from ..measurement.benefits import improvement, specific_consumption
from ..verifications.line_chart import Chart, Line, svg
from .models import MonitoringPlan


def _float(value: Any) -> float | None:
    return float(value) if value is not None else None


def indicator_progress(plan: MonitoringPlan, projected: dict[str, tuple[Any, Any]],
                       bands: dict[str, Any]) -> list[dict[str, Any]]:
    """Per indicator: its monthly rows, the cumulative improvement so far, the bands and a chart."""
    reported = [(q, q.report) for q in plan.periods if q.report is not None and q.report.status != "returned"]
    out = []
    for ind in plan.indicators:
        stream = ind["stream"]
        base = float(specific_consumption(float(ind["baseline_quantity"]), float(ind["baseline_output"])))
        target = float(specific_consumption(*map(float, projected[stream]))) if stream in projected else None
        rows, q_sum, o_sum = [], 0.0, 0.0
        for q, r in reported:
            qty = next((float(x.quantity) for x in r.quantities if x.stream == stream), None)
            if qty is None:
                continue
            out_t = float(r.production_output)
            q_sum, o_sum = q_sum + qty, o_sum + out_t
            value = float(specific_consumption(qty, out_t))
            rows.append({"period": q.label, "status": r.status, "specific": value,
                         "improvement": float(improvement(base, value))})
        so_far = float(improvement(base, specific_consumption(q_sum, o_sum))) if o_sum > 0 else None
        main = stream == plan.main_indicator
        levels = sorted(bands.get("bands", []), key=lambda b: b["over"]) if main else []
        band_lines = [(f"{b['over']:.0%} band: {b['rate']:.0%} grant", base * (1 - b["over"])) for b in levels]
        next_band = next((b for b in levels if so_far is None or so_far <= b["over"]), None)
        gap = None
        if next_band is not None and so_far is not None:
            gap = {"band": next_band["over"], "rate": next_band["rate"],
                   "cut": max(0.0, float(specific_consumption(q_sum, o_sum)) - base * (1 - next_band["over"])),
                   "inclusive": bool(bands.get("inclusive"))}
        chart = svg(Chart(
            title=f"{stream} per {plan.output_unit} by month against the baseline, the target and the grant bands",
            labels=[r["period"] for r in rows], unit=f"{ind['unit']}/{plan.output_unit}",
            lines=[Line("reported", [r["specific"] for r in rows], "reporting", colour="#2e7d32")],
            thresholds=[("baseline", base), *([("target", target)] if target is not None else []), *band_lines]))
        out.append({"stream": stream, "unit": ind["unit"], "main": main, "baseline": base, "target": target,
                    "rows": rows, "so_far": so_far, "bands": band_lines, "next_band": gap,
                    "chart": chart if rows else Markup("")})
    return out
