"""Charts for the reader: matplotlib draws each table's chart as inline SVG (vector).

Imported only when a course has a chart: matplotlib costs ~0.5 s to import.
The deck draws the same data as a native PowerPoint chart (see deck.py), with
the same series order and the same theme colours.
"""

from __future__ import annotations

import io
import re

from ..course.model import Table


def series_colours(tokens: dict) -> list[str]:
    colours = tokens["colours"]
    return [colours[k] for k in ("accent", "accent2", "accent3", "accent4") if k in colours]


def chart_svg(table: Table, tokens: dict, width_in: float = 6.2) -> str:
    """An SVG drawing (text kept as text, so it stays searchable and uses the reader's font)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    assert table.chart is not None
    chart = table.chart
    plt.rcParams.update({
        "svg.fonttype": "none", "svg.hashsalt": "reader", "font.family": "sans-serif",
        "font.sans-serif": [tokens["fonts"]["heading"], "DejaVu Sans"], "font.size": 9,
        "axes.spines.top": False, "axes.spines.right": False,
        "axes.edgecolor": tokens["colours"]["muted"], "axes.labelcolor": tokens["colours"]["ink"],
        "xtick.color": tokens["colours"]["ink"], "ytick.color": tokens["colours"]["ink"],
    })
    x_index = table.columns.index(chart.x)
    categories = [table.cell_text(r, x_index) for r in range(len(table.rows))]
    colours = series_colours(tokens)
    fig, ax = plt.subplots(figsize=(width_in, 2.9))
    count = len(chart.y)
    positions = range(len(categories))
    for n, column in enumerate(chart.y):
        col = table.columns.index(column)
        values = [table.rows[r][col] for r in range(len(table.rows))]
        colour = colours[n % len(colours)]
        if chart.type == "bar":
            width = 0.8 / count
            offsets = [p - 0.4 + width * (n + 0.5) for p in positions]
            ax.bar(offsets, values, width=width * 0.92, label=column, color=colour)
        else:
            ax.plot(list(positions), values, marker="o", label=column, color=colour, linewidth=2)
    ax.set_xticks(list(positions))
    ax.set_xticklabels(categories)
    ax.yaxis.grid(True, color=tokens["colours"]["rule"], linewidth=0.5)
    ax.set_axisbelow(True)
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"
                                                                 if v == int(v) else f"{v:,}"))
    if count > 1:
        ax.legend(frameon=False, ncols=min(count, 4), loc="upper center",
                  bbox_to_anchor=(0.5, 1.12))
    fig.tight_layout()
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]
    # An accessible name for the drawing, and no fixed size: CSS scales it to the column.
    title = f"<title>Chart: {_escape(table.title)}</title>"
    svg = re.sub(r"(<svg[^>]*>)", lambda m: m.group(1) + title, svg, count=1)
    return svg


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
