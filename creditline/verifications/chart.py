"""A small server-drawn SVG bar chart: baseline against reporting specific consumption per indicator."""
from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

ROW, BAR, LABEL_W, WIDTH = 46, 16, 150, 560


def specific_consumption_chart(result: dict[str, Any]) -> Markup:
    """Two bars per indicator, scaled per indicator so each pair compares like with like."""
    rows = [(name, float(f["baseline_specific"]), float(f["reporting_specific"]), f.get("unit", ""))
            for name, f in result.get("indicators", {}).items()
            if f.get("baseline_specific") is not None and f.get("reporting_specific") is not None]
    if not rows:
        return Markup("")
    out_unit = escape(result.get("output_unit", ""))
    height = ROW * len(rows) + 30
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {WIDTH + LABEL_W + 90} {height}" '
             f'aria-label="Specific consumption per {out_unit}: baseline against reporting period">']
    span = WIDTH
    for k, (name, base, now, unit) in enumerate(rows):
        top = 10 + k * ROW
        scale = span / max(base, now, 1e-12)
        parts.append(f'<text x="0" y="{top + BAR}" class="chart-label">{escape(name)} ({escape(unit)}/{out_unit})</text>')
        for j, (value, cls) in enumerate(((base, "baseline"), (now, "reporting"))):
            y = top + j * (BAR + 2)
            w = max(1.0, value * scale)
            parts.append(f'<rect x="{LABEL_W}" y="{y}" width="{w:.1f}" height="{BAR}" class="bar-{cls}">'
                         f'<title>{cls} {value:.4g}</title></rect>')
            parts.append(f'<text x="{LABEL_W + w + 4:.1f}" y="{y + BAR - 3}" class="chart-value">{value:.4g}</text>')
    parts.append(f'<g class="chart-legend"><rect x="{LABEL_W}" y="{height - 14}" width="10" height="10" class="bar-baseline"/>'
                 f'<text x="{LABEL_W + 14}" y="{height - 5}">baseline</text>'
                 f'<rect x="{LABEL_W + 90}" y="{height - 14}" width="10" height="10" class="bar-reporting"/>'
                 f'<text x="{LABEL_W + 104}" y="{height - 5}">reporting period</text></g></svg>')
    return Markup("".join(parts))
