"""A table's chart for screens: a small, scalable SVG drawn from the view's plain data.

Drawn here rather than by matplotlib (the PDF's charts): the web edition must build in a
fraction of the PDF's time, and matplotlib alone takes half a second to import. The
drawing scales with the page (a viewBox and no fixed size), its text is text, and it is
one image to assistive technology (``role="img"`` named by its title and described by
the chart's description); the numbers themselves are in the table it is drawn from.
"""

from __future__ import annotations

import math
from typing import Any

from markupsafe import Markup, escape

from ..course.model import localised_number

WIDTH, HEIGHT = 480, 300     # small: its text stays legible when a phone scales it down
LEFT, RIGHT, TOP, BOTTOM = 60, 8, 34, 40
UNIT_LINE = 18               # the unit's line, between the legend and the plot


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high] (0 included), about ``count`` of them."""
    low, high = min(low, 0.0), max(high, 0.0)
    if high == low:
        high = low + 1
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks: list[float] = []
    value = first
    while value < high + step * 0.999 and len(ticks) < 50:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _number(value: float, lang: str) -> str:
    english = f"{value:,.0f}" if value == int(value) else f"{value:,}"
    return localised_number(english, lang)


def chart_svg(chart: dict[str, Any], title: str, ident: str, colours: list[str]) -> Markup:
    """The chart of one table as inline SVG; ``ident`` makes its ids unique on the page."""
    categories: list[str] = chart["categories"]
    series: list[dict[str, Any]] = chart["series"]
    values = [v for s in series for v in s["values"]] or [0.0]
    ticks = nice_ticks(min(values), max(values))
    low, high = ticks[0], ticks[-1]
    unit = chart.get("unit")
    plot_top = TOP + (UNIT_LINE if unit and len(series) > 1 else 0)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - plot_top - BOTTOM

    def y_of(value: float) -> float:
        return plot_top + plot_h * (high - value) / (high - low)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-drawing" '
             f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{ident}-title" '
             f'aria-describedby="{ident}-desc">',
             f'<title id="{ident}-title">Chart: {escape(title)}</title>',
             f'<desc id="{ident}-desc">{escape(chart["description"])}</desc>']
    for tick in ticks:
        y = y_of(tick)
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" '
                     f'y2="{y:.1f}" />')
        parts.append(f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" '
                     f'text-anchor="end">{escape(_number(tick, chart.get("lang", "en")))}</text>')
    slot = plot_w / max(len(categories), 1)
    label_size = 14 if len(categories) <= 6 else 11 if len(categories) <= 12 else 9
    for n, name in enumerate(categories):
        x = LEFT + slot * (n + 0.5)
        parts.append(f'<text class="category" x="{x:.1f}" y="{HEIGHT - BOTTOM + 18}" '
                     f'text-anchor="middle" font-size="{label_size}">{escape(name)}</text>')
    zero = y_of(0.0)
    for s_index, entry in enumerate(series):
        colour = colours[s_index % len(colours)]
        if chart["type"] == "bar":
            width = slot * 0.8 / len(series)
            for n, value in enumerate(entry["values"]):
                x = LEFT + slot * n + slot * 0.1 + width * s_index
                top, bottom = sorted((y_of(value), zero))
                parts.append(f'<rect x="{x + width * 0.04:.1f}" y="{top:.1f}" '
                             f'width="{width * 0.92:.1f}" height="{bottom - top:.1f}" '
                             f'fill="{colour}" />')
        else:
            points = [(LEFT + slot * (n + 0.5), y_of(v)) for n, v in enumerate(entry["values"])]
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" '
                         f'stroke-width="2.5" />')
            parts.extend(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}" />'
                         for x, y in points)
    parts.append(f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{zero:.1f}" '
                 f'y2="{zero:.1f}" />')
    if unit:       # what the values count (the title's parenthesis), over the top tick
        parts.append(f'<text class="unit" x="{LEFT}" y="{plot_top - 8}">{escape(unit)}</text>')
    if len(series) > 1:
        x = LEFT
        for s_index, entry in enumerate(series):
            colour = colours[s_index % len(colours)]
            parts.append(f'<rect x="{x}" y="8" width="14" height="14" fill="{colour}" />')
            parts.append(f'<text class="legend" x="{x + 20}" y="20">{escape(entry["name"])}'
                         '</text>')
            x += 40 + 8 * len(entry["name"])
    parts.append("</svg>")
    return Markup("".join(parts))
