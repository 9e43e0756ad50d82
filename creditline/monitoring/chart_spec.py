"""The Chart.js renderer of a ``line_chart.Chart``: the description static/line_charts.js draws.

The page carries it as JSON in the canvas's ``data-chart`` attribute (the CSP allows only the
app's own script files), next to a table of the same figures. The SVG renderer
in ``line_chart`` reads the same ``Chart``, so page and PDF cannot drift apart.
"""
from __future__ import annotations

import math
from typing import Any

from .line_chart import Chart


def _value(v: float | None) -> float | None:
    # JSON has no NaN or infinity; a gap is drawn where the figure cannot be.
    return float(v) if v is not None and math.isfinite(v) else None


def chart_spec(chart: Chart) -> dict[str, Any]:
    """Labels, series, horizontal thresholds, the shaded pair and the divider, as plain JSON."""
    return {"title": chart.title, "labels": list(chart.labels), "titles": list(chart.titles or chart.labels),
            "x_title": chart.x_title, "y_title": chart.unit,
            "series": [{"label": line.name, "data": [_value(v) for v in line.values], "colour": line.colour,
                        "points": line.points} for line in chart.lines],
            "thresholds": [{"label": name, "value": _value(value)} for name, value in chart.thresholds],
            "shade": list(chart.shade) if chart.shade is not None else None, "divider": chart.divider}
