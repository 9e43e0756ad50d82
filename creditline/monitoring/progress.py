"""Monitoring you can see (issue 13): each indicator's monthly specific consumption against its
baseline and projected target, the grant bands drawn as the specific consumption that reaches
them, and how far the enterprise is from the next band.

The monitoring page counts reports whatever their review (the SME sees its progress as it
reports); the verification page draws only the accepted reports it verified. The figures come
from ``band_progress`` (pure); this module reads them from the plan and builds the chart.
"""
from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal
from typing import Any

from .chart_spec import chart_spec
from .line_chart import Chart, Line
from .band_progress import MonthReading, band_progress
from .models import MonitoringPlan


def progress_chart(stream: str, unit: str, output_unit: str, progress: dict[str, Any]) -> Chart:
    """The one chart of an indicator's progress: reported months, baseline, target and bands."""
    rows = progress["rows"]
    thresholds = [("baseline", progress["baseline"])]
    if progress["target"] is not None:
        thresholds.append(("target (proposal)", progress["target"]))
    thresholds += [(t["label"], t["value"]) for t in progress["thresholds"]]
    return Chart(title=f"{stream} per {output_unit} by month against the baseline, the target and the grant bands",
                 labels=[r["month"] for r in rows], titles=[f"{r['period']}, {r['month']}" for r in rows],
                 unit=f"{unit} per {output_unit}",
                 lines=[Line("reported", [r["specific"] for r in rows], "reporting", colour="#2e7d32")],
                 thresholds=thresholds)


def indicator_progress(plan: MonitoringPlan, projected: dict[str, tuple[Any, Any]], bands: dict[str, Any],
                       basis: Decimal | None = None, periods: Collection[str] | None = None) -> list[dict[str, Any]]:
    """Per indicator: its monthly rows, the improvement so far, the bands, the next band and the chart.

    ``periods`` keeps only those periods' accepted reports (what a verification counted);
    without it every report that was not returned counts.
    """
    if periods is None:
        reported = [(q, q.report) for q in plan.periods if q.report is not None and q.report.status != "returned"]
    else:
        reported = [(q, q.accepted_report) for q in plan.periods if q.label in periods and q.accepted_report]
    out = []
    for ind in plan.indicators:
        stream = ind["stream"]
        readings = []
        for q, r in reported:
            qty = next((float(x.quantity) for x in r.quantities if x.stream == stream), None)
            if qty is not None:
                readings.append(MonthReading(q.label, q.start, r.status, qty, float(r.production_output)))
        main = stream == plan.main_indicator
        figures = band_progress((ind["baseline_quantity"], ind["baseline_output"]), projected.get(stream),
                                readings, bands if main else None, basis)
        chart = progress_chart(stream, ind["unit"], plan.output_unit, figures)
        out.append({"stream": stream, "unit": ind["unit"], "main": main, **figures,
                    "chart": chart_spec(chart) if figures["rows"] else None})
    return out
