"""A line chart's series (``Chart``), one builder per chart, and the server-drawn SVG renderer.

A chart is built once as data; the pages draw it with Chart.js (``chart_spec``), while the
certificate's print page and PDF keep this SVG, because a PDF runs no script (fpdf2 renders the
SVG) and a printed page should not depend on one. Both renderers read the same ``Chart``, so the
page and the PDF show the same series; every chart sits next to a table of the same figures.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

from .band_progress import month_text

W, H, LEFT, RIGHT, TOP, BOTTOM = 640, 260, 70, 16, 12, 58


@dataclass
class Line:
    name: str
    values: list[float | None]       # one per x label; None leaves a gap
    css: str                          # chart-line-<css> / chart-point-<css>
    points: bool = False              # markers only, no line
    colour: str = "#1f5fa8"           # for renderers without the stylesheet (the PDF)


@dataclass
class Chart:
    title: str
    labels: list[str]
    unit: str
    lines: list[Line]
    thresholds: list[tuple[str, float]] = field(default_factory=list)
    shade: tuple[int, int] | None = None   # fill between lines[i] and lines[j]
    divider: int | None = None             # a vertical rule before this x (baseline | reporting)
    x_title: str = "Month"
    titles: list[str] | None = None        # a fuller name of each x for tooltips ("M01, Jan 2026")


def _fmt(value: float) -> str:
    return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"


def svg(chart: Chart) -> Markup:
    """Render the chart; empty markup when there is nothing to draw."""
    values = [v for line in chart.lines for v in line.values if v is not None and math.isfinite(v)]
    values += [v for _, v in chart.thresholds]
    if not values or not chart.labels:
        return Markup("")
    lo, hi = min(0.0, min(values)), max(values) * 1.08 or 1.0
    n = len(chart.labels)
    step = (W - LEFT - RIGHT) / max(n - 1, 1)

    def x(i: int) -> float:
        return LEFT + i * step

    def y(v: float) -> float:
        return TOP + (H - TOP - BOTTOM) * (1 - (v - lo) / (hi - lo))

    out = [f'<svg class="chart line-chart" role="img" viewBox="0 0 {W} {H}" xmlns="http://www.w3.org/2000/svg" '
           f'aria-label="{escape(chart.title)}">',
           f'<line x1="{LEFT}" y1="{y(lo):.1f}" x2="{W - RIGHT}" y2="{y(lo):.1f}" stroke="#555"/>',
           f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{y(lo):.1f}" stroke="#555"/>']
    for tick in (lo, (lo + hi) / 2, hi):
        out.append(f'<text x="{LEFT - 4}" y="{y(tick) + 4:.1f}" text-anchor="end" class="chart-value" '
                   f'font-size="10">{_fmt(tick)}</text>')
    out.append(f'<text x="4" y="{TOP + 8}" class="chart-label" font-size="10">{escape(chart.unit)}</text>')
    every = max(1, math.ceil(n / 12))
    for i, label in enumerate(chart.labels):
        if i % every == 0 or i == n - 1:
            out.append(f'<text x="{x(i):.1f}" y="{H - BOTTOM + 14}" text-anchor="middle" class="chart-value" '
                       f'font-size="9">{escape(label)}</text>')
    if chart.divider is not None and 0 < chart.divider < n:
        dx = (x(chart.divider - 1) + x(chart.divider)) / 2
        out.append(f'<line x1="{dx:.1f}" y1="{TOP}" x2="{dx:.1f}" y2="{y(lo):.1f}" stroke="#999" '
                   f'stroke-dasharray="4 3" class="chart-divider"/>')
    if chart.shade is not None:
        upper, lower = (chart.lines[k].values for k in chart.shade)
        idx = [i for i in range(n) if upper[i] is not None and lower[i] is not None]
        if idx:
            ring = [(x(i), y(upper[i])) for i in idx] + [(x(i), y(lower[i])) for i in reversed(idx)]  # type: ignore[arg-type]
            out.append('<polygon class="chart-shade" fill="#7fbf7f" fill-opacity="0.35" points="'
                       + " ".join(f"{a:.1f},{b:.1f}" for a, b in ring) + '"><title>avoided</title></polygon>')
    for name, value in chart.thresholds:
        out.append(f'<line x1="{LEFT}" y1="{y(value):.1f}" x2="{W - RIGHT}" y2="{y(value):.1f}" stroke="#b85c00" '
                   f'stroke-dasharray="2 3" class="chart-threshold"><title>{escape(name)}: {_fmt(value)}</title></line>')
        out.append(f'<text x="{W - RIGHT}" y="{y(value) - 3:.1f}" text-anchor="end" font-size="9" '
                   f'class="chart-value">{escape(name)}</text>')
    for line in chart.lines:
        pts = [(x(i), y(v), v, chart.labels[i]) for i, v in enumerate(line.values) if v is not None and math.isfinite(v)]
        if not line.points and len(pts) > 1:
            out.append(f'<polyline class="chart-line-{line.css}" fill="none" stroke="{line.colour}" stroke-width="2" '
                       'points="' + " ".join(f"{a:.1f},{b:.1f}" for a, b, _, _ in pts) + '"/>')
        for a, b, v, label in pts:
            r = 3.5 if line.points else 2
            out.append(f'<circle class="chart-point-{line.css}" cx="{a:.1f}" cy="{b:.1f}" r="{r}" fill="{line.colour}">'
                       f'<title>{escape(line.name)} {escape(label)}: {_fmt(v)}</title></circle>')
    lx = LEFT
    for line in chart.lines:
        out.append(f'<circle cx="{lx + 5}" cy="{H - 18}" r="4" fill="{line.colour}"/>'
                   f'<text x="{lx + 12}" y="{H - 14}" font-size="10" class="chart-legend">{escape(line.name)}</text>')
        lx += 16 + 6 * len(line.name)
    out.append("</svg>")
    return Markup("".join(out))


def fit_chart_data(model: dict[str, Any], indicator: str, unit: str) -> Chart | None:
    """A regression baseline: baseline months and the fit, reporting periods and the adjusted baseline,
    the avoided quantity shaded between them (None without baseline months)."""
    series = model.get("series") or {}
    base, rep = series.get("baseline") or [], series.get("reporting") or []
    if not base:
        return None
    nb = len(base)
    pad: list[float | None] = [None] * len(rep)
    lines = [Line("baseline, measured", [p["actual"] for p in base] + pad, "baseline", points=True, colour="#1f5fa8"),
             Line("baseline model", [p["model"] for p in base] + pad, "model", colour="#6b8fbf"),
             Line("adjusted baseline", [None] * nb + [p["adjusted"] for p in rep], "adjusted", colour="#b85c00"),
             Line("reporting, measured", [None] * nb + [p["actual"] for p in rep], "reporting", points=True,
                  colour="#2e7d32")]
    return Chart(title=f"{indicator}: baseline model and adjusted baseline; the shaded area is avoided",
                 labels=[month_text(str(p["label"])) for p in base + rep], unit=unit, lines=lines,
                 shade=(2, 3), divider=nb, x_title="Baseline months, then reporting periods")


def fit_chart_series(result: dict[str, Any]) -> dict[str, Chart]:
    """The fit chart of every indicator verified by regression, by indicator: the one source of both renderers."""
    charts = {name: fit_chart_data(m, name, result["indicators"].get(name, {}).get("unit", ""))
              for name, m in (result.get("models") or {}).items() if m.get("method") == "regression"}
    return {name: c for name, c in charts.items() if c is not None}


def fit_charts(result: dict[str, Any]) -> dict[str, Markup]:
    """The fit charts as SVG: only for the certificate's print page and PDF, which run no script."""
    return {name: svg(c) for name, c in fit_chart_series(result).items()}
