"""An SME's material and energy flows before and after the investment (the classic CP diagram).

Drawn from the proposal's indicator table (and the confirmed verification, when there is one) as
a Sankey-style SVG made here on the server: inputs flow into the process, wastes and emissions flow
out, each band as thick as the stream's share of its own baseline (streams have different units,
so each is compared with itself). Every stream is at the baseline's production output, so a band
that narrows is a saving, not a drop in production.
"""
from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

from ..vocabulary import ENERGY_STREAMS

OUTPUT_STREAMS = ("wastewater", "solid_waste", "hazardous_waste")
BAND = 34.0           # the thickness of a stream at its baseline, in SVG units
GAP = 14.0
PANEL_W = 420.0


@dataclass(frozen=True)
class Flow:
    stream: str
    unit: str
    before: float
    after: float
    verified: float | None
    side: str  # "in" or "out"

    @property
    def change(self) -> float | None:
        base = self.verified if self.verified is not None else self.after
        return None if not self.before else base / self.before - 1


def flows(indicators: list[dict[str, Any]], result: dict[str, Any] | None,
          factors: dict[str, float]) -> list[Flow]:
    """Each stream a year at the baseline's output: before, projected after, verified after."""
    verified = (result or {}).get("indicators") or {}
    out: list[Flow] = []
    co2 = [0.0, 0.0, 0.0]
    has_verified = bool(verified)
    for ind in indicators:
        b_out = float(ind["baseline_output"]) or 1.0
        before = float(ind["baseline_quantity"])
        p_out = float(ind["projected_output"]) or 1.0
        after = float(ind["projected_quantity"]) / p_out * b_out
        v = verified.get(ind["stream"])
        after_v = float(v["reporting_specific"]) * b_out if v and v.get("reporting_specific") is not None else None
        side = "out" if ind["stream"] in OUTPUT_STREAMS else "in"
        out.append(Flow(ind["stream"], ind["unit"], before, after, after_v, side))
        factor = factors.get(ind["stream"])
        if factor and ind["stream"] in ENERGY_STREAMS:
            co2[0] += before * factor
            co2[1] += after * factor
            co2[2] += (after_v if after_v is not None else after) * factor
    if co2[0]:
        out.append(Flow("CO2e from energy", "t", co2[0], co2[1], co2[2] if has_verified else None, "out"))
    return out


def _band(x0: float, y0: float, x1: float, y1: float, h: float, cls: str, title: str) -> str:
    mid = (x0 + x1) / 2
    d = (f"M{x0:.1f},{y0:.1f} C{mid:.1f},{y0:.1f} {mid:.1f},{y1:.1f} {x1:.1f},{y1:.1f} "
         f"L{x1:.1f},{y1 + h:.1f} C{mid:.1f},{y1 + h:.1f} {mid:.1f},{y0 + h:.1f} {x0:.1f},{y0 + h:.1f} Z")
    return f'<path class="{cls}" d="{d}"><title>{escape(title)}</title></path>'


def _panel(items: list[Flow], which: str, x: float, title: str) -> list[str]:
    ins = [f for f in items if f.side == "in"]
    outs = [f for f in items if f.side == "out"]

    def size(f: Flow) -> float:
        value = f.before if which == "before" else (f.verified if f.verified is not None and which == "verified"
                                                     else f.after)
        return max(2.0, BAND * value / f.before) if f.before else 2.0

    def amount(f: Flow) -> float:
        if which == "before":
            return f.before
        return f.verified if which == "verified" and f.verified is not None else f.after

    parts = [f'<text class="panel-title" x="{x + PANEL_W / 2:.0f}" y="18" text-anchor="middle">{escape(title)}</text>']
    box_x, box_w = x + 150, 120
    total_in = sum(size(f) for f in ins) + GAP * max(0, len(ins) - 1)
    total_out = sum(size(f) for f in outs) + GAP * max(0, len(outs) - 1)
    height = max(total_in, total_out, 60)
    top = 40.0
    parts.append(f'<rect class="process" x="{box_x}" y="{top}" width="{box_w}" height="{height:.1f}" rx="6">'
                 f'<title>the process</title></rect>')
    parts.append(f'<text class="process-label" x="{box_x + box_w / 2}" y="{top + height / 2:.1f}" '
                 f'text-anchor="middle">process</text>')
    for side, group in (("in", ins), ("out", outs)):
        y_edge, y_box = top, top
        for f in group:
            h = size(f)
            label = f"{f.stream.replace('_', ' ')}: {amount(f):,.0f} {f.unit}"
            if side == "in":
                parts.append(_band(x, y_edge, box_x, y_box, h, "band in", label))
                parts.append(f'<text class="band-label" x="{x}" y="{y_edge - 3:.1f}">{escape(label)}</text>')
            else:
                parts.append(_band(box_x + box_w, y_box, x + PANEL_W - 10, y_edge, h, "band out", label))
                parts.append(f'<text class="band-label" x="{x + PANEL_W - 10}" y="{y_edge - 3:.1f}" '
                             f'text-anchor="end">{escape(label)}</text>')
            y_edge += h + GAP
            y_box += h + 2  # the bands meet the process box packed together
    return parts


def svg(items: dict[str, Any]) -> str:
    """The before / after picture as one SVG (empty when the proposal has no indicator)."""
    streams: list[Flow] = items["flows"]
    if not streams:
        return ""
    after = "verified" if any(f.verified is not None for f in streams) else "after"
    n = max(len([f for f in streams if f.side == "in"]), len([f for f in streams if f.side == "out"]))
    height = 80 + n * (BAND + GAP) + 40
    parts = [f'<svg class="flows" viewBox="0 0 {2 * PANEL_W + 40:.0f} {height:.0f}" role="img" '
             f'aria-labelledby="flows-title" xmlns="http://www.w3.org/2000/svg">',
             '<title id="flows-title">Material and energy flows before and after the investment</title>']
    parts += _panel(streams, "before", 0, "Before (baseline)")
    parts += _panel(streams, after, PANEL_W + 40, "After (verified)" if after == "verified" else "After (projected)")
    parts.append("</svg>")
    return "".join(parts)
