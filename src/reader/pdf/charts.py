"""Charts for the reader: matplotlib draws each table's chart as inline SVG (vector).

Imported only when a course has a chart, and matplotlib itself only inside ``chart_svg``
(it costs ~0.5 s to import). Text stays text in the SVG, in the reader's heading font, so
it is searchable and matches the page. The deck draws the same data as a native chart
with the same series order and the same colours (``Theme.series_colours``).

Category labels never overlap. ``plan_labels`` decides, from each label's measured
extent, the first of these that fits:

1. every label on one line under its category;
2. every label wrapped (up to three lines) to its category's width;
3. for bar charts whose categories are words (not years or other numbers): horizontal
   bars, each label wrapped beside its bar; the chart grows taller with the number of
   bars, up to what fits the text block;
4. thinned labels, in the orientation of 3 for bar charts of words and under the axis
   otherwise: every k-th category from the first is labelled, and the last; a regular
   label that would touch the last one is left out. k is the smallest of 1, 2, 5, 10,
   20, 25, 50, 100, ... that fits (the number of categories less one always fits).
   Unlabelled categories keep a small tick mark.

Rotated labels are never used: they are slow to read, and one of the above always fits.
A label longer than three lines is cut with an ellipsis (the table above gives it in
full). The drawn labels are then measured again: if the layout left the axis shorter than
planned, the plan is made again with the measured axis (a bounded number of times).
"""

from __future__ import annotations

import itertools
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

from ..course.model import Table, localised_number
from ..course.theme import Theme

STYLE = "charts-v3"          # part of each chart's cache key: change it when drawing changes

WIDTH_IN = 6.2               # the figure; CSS scales it to the text column (4.5-4.7 in),
                             # so its text is set at theme.toml's [charts] text / the scale
HEIGHT_IN = 2.9
MIN_HEIGHT_IN = 1.5          # horizontal bars: a few of them make a short chart
# The text block is at least 1.34 times as tall as it is wide (letter; A4 1.49), so a
# figure up to 1.2 times its width fits a page with its top margin to spare.
MAX_HEIGHT_IN = 1.2 * WIDTH_IN
GAP_PT = 6.0                 # the least space between two labels: three word spaces
MAX_LINES = 3                # a label wraps to at most this many lines
SIDE_LABEL_SHARE = 0.35      # labels beside horizontal bars take at most this share
THINNED_LABEL_PT = 108.0     # thinned labels under the axis wrap to at most 1.5 in
LABEL_CHARS = 200            # a label is cut here before measuring: 3 lines hold less
BAR_PITCH_PT = 18.0          # horizontal bars' comfortable spacing, when the page allows
BAR_GROUP_PT = 80.0          # one category's bars together are at most this wide
MARKER_SLOT_PT = 10.0        # a line chart marks its points while they are this far apart
ATTEMPTS = 4                 # plan -> draw -> measure rounds before the last resort
ELLIPSIS = "\u2026"
MINUS = "\u2212"


# --- the decision ------------------------------------------------------------------

@dataclass(frozen=True)
class LabelPlan:
    """How the category labels are drawn."""

    horizontal_bars: bool        # categories down the side (bars run left to right)
    texts: tuple[str, ...]       # one per category, lines joined by '\n'; '' = left out
    step: int                    # 1: every category labelled; k: thinned (module docstring)
    height_in: float             # the figure's height


class Measure:
    """Extents of label text in points, in the chart's font, as matplotlib will draw it."""

    def __init__(self, width: Callable[[str], float], line_pt: float,
                 linespacing: float = 1.2, font_pt: float | None = None):
        self._width = width
        self._cache: dict[str, float] = {}
        self.line_pt = line_pt           # height of one line, ascender to descender
        self.linespacing = linespacing
        self.font_pt = line_pt if font_pt is None else font_pt   # the type size measured

    def width(self, line: str) -> float:
        if line not in self._cache:
            self._cache[line] = self._width(line)
        return self._cache[line]

    def block(self, text: str) -> tuple[float, float]:
        """(width, height) of a label of one or more lines."""
        lines = text.split("\n")
        height = self.line_pt * (1 + self.linespacing * (len(lines) - 1))
        return max(self.width(line) for line in lines), height


def wrap(text: str, width: float, max_lines: int, measure: Measure) -> tuple[str, bool]:
    """``text`` broken into at most ``max_lines`` lines no wider than ``width`` points.

    Returns the lines joined by '\\n', and whether it is whole: no word was broken and
    nothing cut off (the last line then ends in an ellipsis).
    """
    lines: list[str] = []
    current = ""
    whole = True
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if measure.width(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        while measure.width(word) > width and len(word) > 1:   # a word wider than a line
            whole = False
            cut = _longest_prefix(word, width, measure)
            lines.append(word[:cut])
            word = word[cut:]
        current = word
        if len(lines) > max_lines:
            break
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        whole = False
        last = lines[max_lines - 1]
        while last and measure.width(last.rstrip() + ELLIPSIS) > width:
            last = last[:-1]
        lines = lines[:max_lines - 1] + [last.rstrip() + ELLIPSIS]
    return "\n".join(lines), whole


def _longest_prefix(word: str, width: float, measure: Measure) -> int:
    """How many leading characters of ``word`` fit ``width`` (at least one)."""
    lo, hi = 1, len(word)
    while lo < hi:                       # bisection: the word is at most LABEL_CHARS long
        mid = (lo + hi + 1) // 2
        if measure.width(word[:mid]) <= width:
            lo = mid
        else:
            hi = mid - 1
    return lo


class Wrapped(Sequence[str]):
    """Labels wrapped on demand: thinning a few thousand categories measures only the
    labels it looks at (a measurement costs about a millisecond)."""

    def __init__(self, names: Sequence[str], width: float, max_lines: int, measure: Measure):
        self._names, self._width, self._lines, self._measure = names, width, max_lines, measure
        self._done: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self._names)

    def __getitem__(self, index: int) -> str:  # type: ignore[override]  # no slices here
        if index not in self._done:
            self._done[index] = wrap(self._names[index], self._width, self._lines,
                                     self._measure)[0]
        return self._done[index]


def thinning_steps(count: int) -> list[int]:
    """1, 2, 5, 10, 20, 25, 50, 100, ... below ``count``, then ``count - 1``.

    Round steps: thinned years read 1961, 1966, 1971 rather than 1961, 1964, 1967.
    """
    steps = [1, 2, 5]
    scale = 10
    while scale < count:
        steps += [scale, 2 * scale, 5 * scale // 2, 5 * scale]
        scale *= 10
    return sorted({s for s in steps if s < count - 1} | {max(count - 1, 1)})


def labelled(count: int, step: int, clear: Callable[[int, int], bool]) -> list[int] | None:
    """The categories labelled when thinning by ``step`` (module docstring, rule 4).

    ``clear(a, b)`` says whether the labels of categories a < b keep their distance;
    None if two neighbouring labels would still touch.
    """
    shown = list(range(0, count, step))
    if shown[-1] != count - 1:
        if len(shown) > 1 and not clear(shown[-1], count - 1):
            shown.pop()
        shown.append(count - 1)
    for a, b in itertools.pairwise(shown):
        if not clear(a, b):
            return None
    return shown


def plan_labels(names: Sequence[str], *, bars: bool, words: bool, measure: Measure,
                across_pt: float, spare_pt: float, min_step: int = 1) -> LabelPlan:
    """Choose how to label ``names`` (see the module docstring for the order of choices).

    ``across_pt``: the length of the category axis when categories run along the bottom;
    ``spare_pt``: the figure height the axes do not take, when they run down the side;
    ``min_step``: thin at least this much (a second attempt after a failed one).
    """
    count = len(names)
    slot = across_pt / count
    height = HEIGHT_IN

    def along(texts: Sequence[str], pitch: float, size: int) -> Callable[[int, int], bool]:
        def clear(a: int, b: int) -> bool:
            return (measure.block(texts[a])[size] + measure.block(texts[b])[size]) / 2 \
                + GAP_PT <= (b - a) * pitch
        return clear

    def every(texts: Sequence[str], pitch: float, size: int) -> bool:
        clear = along(texts, pitch, size)
        return all(clear(i, i + 1) for i in range(count - 1))

    if min_step == 1:
        if every(names, slot, 0) and all(measure.width(n) <= across_pt for n in names):
            return LabelPlan(False, tuple(names), 1, height)
        if slot - GAP_PT >= 3 * measure.font_pt and \
                all(wrap(n, slot - GAP_PT, MAX_LINES, measure)[1] for n in names):
            wrapped = Wrapped(names, slot - GAP_PT, MAX_LINES, measure)
            return LabelPlan(False, tuple(wrapped), 1, height)
    side = SIDE_LABEL_SHARE * WIDTH_IN * 72
    room = MAX_HEIGHT_IN * 72 - spare_pt       # the longest the side axis may be
    if bars and words:
        if min_step == 1 and count * (measure.line_pt + GAP_PT) <= room:
            for lines in (MAX_LINES, 1):
                texts = [wrap(n, side, lines, measure)[0] for n in names]
                heights = [measure.block(t)[1] for t in texts]
                need = max([heights[0]] + [(a + b) / 2 + GAP_PT
                                           for a, b in itertools.pairwise(heights)])
                if count * need <= room:
                    pitch = max(need, min(BAR_PITCH_PT, room / count))
                    return LabelPlan(True, tuple(texts), 1,
                                     max(MIN_HEIGHT_IN, (spare_pt + count * pitch) / 72))
        return _thinned(Wrapped(names, side, 1, measure), room / count, 1, min_step, along,
                        horizontal=True, height=MAX_HEIGHT_IN)
    limit = max(3 * measure.font_pt, min(THINNED_LABEL_PT, across_pt / 2 - GAP_PT))
    return _thinned(Wrapped(names, limit, MAX_LINES, measure), slot, 0, min_step, along,
                    horizontal=False, height=height)


def _thinned(texts: Wrapped, pitch: float, size: int, min_step: int,
             along: Callable, *, horizontal: bool, height: float) -> LabelPlan:
    count = len(texts)
    clear = along(texts, pitch, size)
    for step in thinning_steps(count):
        if step < min_step:
            continue
        shown = labelled(count, step, clear)
        if shown is not None:
            keep = set(shown)
            return LabelPlan(horizontal, tuple(texts[i] if i in keep else ""
                                               for i in range(count)), step, height)
    # Only the first and last, which even then touch: only the first.
    return LabelPlan(horizontal, (texts[0],) + ("",) * (count - 1), max(count - 1, 1), height)


# --- value axis ----------------------------------------------------------------------

def value_decimals(ticks: Sequence[float]) -> int | None:
    """The fewest decimals (up to 6) that print the value axis's ticks exactly; None if
    they need more (0.0000001)."""
    for decimals in range(7):
        if all(abs(round(t, decimals) - t) <= 1e-9 * max(1.0, abs(t)) for t in ticks):
            return decimals
    return None


def format_value(value: float, ticks: Sequence[float], lang: str = "en") -> str:
    """A tick label of the value axis: 1,200 and 0.25 as the table prints them (1.200 and
    0,25 in German: course.model.localised_number); a true
    minus sign; beyond a thousand million million, 1.5e+18 (no 19-digit labels), and below
    a millionth, 2e-09."""
    decimals = value_decimals(ticks)
    if max([abs(t) for t in ticks] + [abs(value)]) >= 1e15 or decimals is None:
        text = f"{value:.3g}"
    else:
        text = localised_number(f"{value:,.{decimals}f}", lang)
    if text.startswith("-") and re.fullmatch(r"-0(\.0*)?", text):
        text = text[1:]
    return text.replace("-", MINUS)


# --- drawing -------------------------------------------------------------------------

@dataclass(frozen=True)
class ChartData:
    kind: str                               # 'bar' | 'line'
    names: tuple[str, ...]                  # category labels, as the table prints them
    words: bool                             # categories are words, not numbers (years)
    series: tuple[tuple[str, tuple[float, ...]], ...]
    unit: str | None = None                 # what the values count, from the table's title
    lang: str = "en"                        # how its numbers are written

    @classmethod
    def of(cls, table: Table) -> ChartData:
        assert table.chart is not None
        chart = table.chart
        x = table.columns.index(chart.x)
        names = tuple(_cut(table.cell_text(r, x)) for r in range(len(table.rows)))
        series = tuple((y, tuple(float(row[table.columns.index(y)]) for row in table.rows))
                       for y in chart.y)
        unit = table.unit
        return cls(chart.type, names, not table.numeric_columns()[x], series,
                   _cut(unit) if unit else None, table.lang)



def _literal(text: str) -> str:
    """Text matplotlib prints as it is: '$5 to $10' would otherwise be read as mathematics."""
    return text.replace("$", r"\$")


def _cut(label: str) -> str:
    """One line of text, no longer than LABEL_CHARS (three lines hold less than that)."""
    label = " ".join(label.split())
    return label if len(label) <= LABEL_CHARS else label[:LABEL_CHARS - 1] + ELLIPSIS


_FONTS_ADDED: set[str] = set()


def text_size(theme: Theme, printed_width_pt: float | None) -> float:
    """The chart's type size in the figure's points, so that it prints at theme.toml's
    ``[charts] text`` once CSS scales the figure to ``printed_width_pt`` (the text block;
    None: the figure prints at its own size)."""
    scale = printed_width_pt / (WIDTH_IN * 72) if printed_width_pt else 1.0
    return round(float(theme.tokens["charts"]["text"]) / scale, 3)


def chart_svg(table: Table, theme: Theme, printed_width_pt: float | None = None) -> str:
    """An SVG drawing of ``table``'s chart whose labels do not overlap (module docstring),
    for printing ``printed_width_pt`` wide (see ``text_size``)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager

    tokens = theme.tokens
    heading = tokens["fonts"]["heading"]
    font = theme.font_file(heading)
    if font is not None and str(font) not in _FONTS_ADDED:   # measure in the font printed
        font_manager.fontManager.addfont(str(font))
        _FONTS_ADDED.add(str(font))
    colours = tokens["colours"]
    style = {
        "svg.fonttype": "none", "svg.hashsalt": "reader", "font.family": "sans-serif",
        "font.sans-serif": [heading, "DejaVu Sans"],
        "font.size": text_size(theme, printed_width_pt),
        "axes.spines.top": False, "axes.spines.right": False,
        "axes.edgecolor": colours["muted"], "axes.labelcolor": colours["ink"],
        "xtick.color": colours["ink"], "ytick.color": colours["ink"],
        "text.color": colours["ink"], "legend.labelcolor": colours["ink"],
        "axes.unicode_minus": True,
    }
    data = ChartData.of(table)
    with matplotlib.rc_context(cast(Any, style)), warnings.catch_warnings():
        warnings.simplefilter("ignore")      # tight_layout's and numpy's notes are not news
        fig = _laid_out(data, theme.series_colours(), colours)
        svg = _svg(fig)
    # An accessible name, and no fixed size: the viewBox keeps the proportions and CSS
    # sets the width (the text column), so the chart is as wide as the text on any paper.
    title = f"<title>Chart: {_escape(table.title)}</title>"
    return re.sub(r"<svg([^>]*)>", lambda m: "<svg" + _unsized(m.group(1)) + ">" + title, svg,
                  count=1)


def _laid_out(data: ChartData, palette: list[str], colours: dict):
    """The figure, after planning, labelling and checking its labels (bounded rounds).

    The data is drawn once with categories along the bottom and no labels, which gives
    the room the labels have; it is drawn again only if the plan turns the bars sideways.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN))
    canvas = FigureCanvasAgg(fig)
    measure = _measure(fig, canvas.get_renderer())
    sideways = False
    ax = _draw(fig, data, sideways, palette, colours, measure)
    fig.tight_layout()
    across, spare = _axes_room(fig, ax, canvas.get_renderer())
    spare += measure.line_pt + 7              # value labels under side-bars: one line + pad
    min_step = 1
    for attempt in range(ATTEMPTS):
        plan = plan_labels(data.names, bars=data.kind == "bar", words=data.words,
                           measure=measure, across_pt=across, spare_pt=spare,
                           min_step=min_step)
        fig.set_size_inches(WIDTH_IN, plan.height_in)
        if plan.horizontal_bars != sideways:
            sideways = plan.horizontal_bars
            ax = _draw(fig, data, sideways, palette, colours, measure)
        _label(ax, plan)
        fig.tight_layout()
        _spread_values(ax, plan, fig, data)
        renderer = canvas.get_renderer()
        if not _touching(_category_labels(ax, plan), renderer, plan.horizontal_bars):
            return fig
        # The layout left less room than planned: plan again in the room measured, and
        # from the second time on, thin more than last time.
        measured_across, measured_spare = _axes_room(fig, ax, renderer)
        across = min(across - 1, measured_across)
        spare = max(spare + 1, measured_spare)
        if attempt > 0:
            min_step = plan.step + 1
    # Last resort (not reached by any case we know): keep the labels that keep apart.
    _drop_touching(_category_labels(ax, plan), renderer, plan.horizontal_bars)
    return fig


def _measure(fig, renderer) -> Measure:
    """Label extents at the chart's type size (the style's font.size: ``text_size``)."""
    import matplotlib
    from matplotlib.font_manager import FontProperties

    size = float(matplotlib.rcParams["font.size"])
    prop = FontProperties(size=size)
    to_pt = 72 / fig.dpi

    def width(line: str) -> float:
        w, _, _ = renderer.get_text_width_height_descent(line, prop, ismath=False)
        return w * to_pt

    _, h, _ = renderer.get_text_width_height_descent("lp", prop, ismath=False)
    return Measure(width, h * to_pt, font_pt=size)


def _axes_room(fig, ax, renderer) -> tuple[float, float]:
    """(width of the axes, figure height outside the axes), in points, as laid out."""
    box = ax.get_window_extent(renderer)
    to_pt = 72 / fig.dpi
    return box.width * to_pt, fig.get_figheight() * 72 - box.height * to_pt


def _draw(fig, data: ChartData, sideways: bool, palette: list[str], colours: dict,
          measure: Measure):
    """Draw the data, value axis and legend on a cleared ``fig``; returns the axes.

    ``sideways``: horizontal bars, the categories down the side. No category labels yet.
    """
    from matplotlib.ticker import Formatter

    fig.clear()
    ax = fig.add_subplot()
    count = len(data.names)
    positions = range(count)
    box = ax.get_window_extent()
    slot = (box.height if sideways else box.width) * 72 / fig.dpi / count
    group = min(0.8, BAR_GROUP_PT / slot)      # one wide bar is a slab, not a bar
    width = group / len(data.series)
    for n, (name, values) in enumerate(data.series):
        colour = palette[n % len(palette)]
        offsets = [p - group / 2 + width * (n + 0.5) for p in positions]
        if data.kind == "bar" and sideways:
            ax.barh(offsets, values, height=width * 0.92, label=name, color=colour)
        elif data.kind == "bar":
            ax.bar(offsets, values, width=width * 0.92, label=name, color=colour)
        else:
            ax.plot(list(positions), values, label=name, color=colour, linewidth=2,
                    marker="o" if slot >= MARKER_SLOT_PT else None, markersize=4.5)
    values_axis = ax.xaxis if sideways else ax.yaxis
    if sideways:
        ax.set_ylim(count - 0.5, -0.5)         # the table's first row at the top
    else:
        ax.set_xlim(-0.5, count - 0.5)
    values_axis.grid(True, color=colours["rule"], linewidth=0.5)
    ax.set_axisbelow(True)
    if min(min(v) for _, v in data.series) < 0:
        line = ax.axvline if sideways else ax.axhline
        line(0, color=colours["muted"], linewidth=0.8)

    class Values(Formatter):
        def __call__(self, x: float, pos: int | None = None) -> str:
            return format_value(x, list(self.locs), data.lang)

    values_axis.set_major_formatter(Values())
    _end_at_ticks(ax, sideways, data, "auto")
    above = _unit(ax, data.unit, sideways, measure)
    if len(data.series) > 1:
        from matplotlib.transforms import offset_copy

        columns = min(len(data.series), 4)
        room = WIDTH_IN * 72 * 0.9 / columns - 30
        labels = [_literal(wrap(_cut(name), room, 2, measure)[0]) for name, _ in data.series]
        handles, _ = ax.get_legend_handles_labels()
        ax.legend(handles, labels, frameon=False, ncols=columns, loc="lower center",
                  bbox_to_anchor=(0.5, 1.0),
                  bbox_transform=offset_copy(ax.transAxes, fig=fig, y=above, units="points"))
    categories = ax.yaxis if sideways else ax.xaxis
    categories.set_ticks([])
    return ax


def value_ticks(low: float, high: float, locator: Any) -> list[float]:
    """Round ticks from the first at or below ``low`` to the first at or above ``high``:
    the value axis ends at a labelled value, so no bar or point runs past the last label.

    ``locator`` is a matplotlib MaxNLocator (round steps: 1, 2, 2.5, 5, 10 times a power
    of ten); its ticks are extended by whole steps if they fall short (a bounded loop:
    they are at most one step short).
    """
    if low == high == 0:                      # nothing to scale by: zero to one
        high = 1.0
    low, high = locator.nonsingular(low, high)
    ticks = [float(t) for t in locator.tick_values(low, high)]
    step = ticks[1] - ticks[0] if len(ticks) > 1 else max(abs(high - low), 1.0)
    while ticks[0] > low + step * 1e-9:
        ticks.insert(0, ticks[0] - step)
    while ticks[-1] < high - step * 1e-9:
        ticks.append(ticks[-1] + step)
    # matplotlib may give a tick beyond each end: keep none past the first that covers.
    first = max(i for i, t in enumerate(ticks) if t <= low + step * 1e-9)
    last = min(i for i, t in enumerate(ticks) if t >= high - step * 1e-9)
    return ticks[first:last + 1]


def _end_at_ticks(ax, sideways: bool, data: ChartData, nbins: int | Literal["auto"]
                  ) -> None:
    """Value ticks covering the data (bars from zero), and the axis ending at them."""
    from matplotlib.ticker import FixedLocator, MaxNLocator

    values = [v for _, series in data.series for v in series]
    low, high = min(values), max(values)
    if data.kind == "bar":                   # a bar is measured from zero
        low, high = min(low, 0.0), max(high, 0.0)
    axis = ax.xaxis if sideways else ax.yaxis
    locator = MaxNLocator(nbins=nbins, steps=[1, 2, 2.5, 5, 10])
    locator.set_axis(axis)
    ticks = value_ticks(low, high, locator)
    axis.set_major_locator(FixedLocator(ticks))
    (ax.set_xlim if sideways else ax.set_ylim)(ticks[0], ticks[-1])


def _unit(ax, unit: str | None, sideways: bool, measure: Measure) -> float:
    """Say what the values count, horizontally: above the value axis's top, from its
    line, or under the values of side-bars. Returns the height taken above the axes (pt),
    where the legend goes above it."""
    pad = 0.5 * measure.font_pt
    if unit is None:
        return pad
    if sideways:
        ax.set_xlabel(_literal(unit))
        return pad
    ax.annotate(_literal(unit), xy=(0, 1), xycoords="axes fraction", xytext=(0, pad),
                textcoords="offset points", ha="left", va="bottom")
    return 2 * pad + measure.line_pt


def _label(ax, plan: LabelPlan) -> None:
    """Put the plan's labels on the category axis; thinned ones keep a small tick."""
    categories = ax.yaxis if plan.horizontal_bars else ax.xaxis
    count = len(plan.texts)
    shown = [i for i, t in enumerate(plan.texts) if t]
    categories.set_ticks(shown, labels=[_literal(plan.texts[i]) for i in shown])
    box = ax.get_window_extent()
    slot = (box.height if plan.horizontal_bars else box.width) * 72 / ax.figure.dpi / count
    thinned = plan.step > 1 and slot >= 2
    categories.set_ticks(list(range(count)) if thinned else [], minor=True)


def _spread_values(ax, plan: LabelPlan, fig, data: ChartData) -> None:
    """Fewer value ticks while their labels come closer than GAP_PT (long numbers across a
    short axis: '1,000 1,500 2,000' would read as one number)."""
    axis = ax.xaxis if plan.horizontal_bars else ax.yaxis
    for _ in range(ATTEMPTS):
        renderer = fig.canvas.get_renderer()
        labels = [t for t in axis.get_ticklabels() if t.get_text()]
        if not _crowded(labels, renderer, not plan.horizontal_bars, GAP_PT * fig.dpi / 72):
            return
        _end_at_ticks(ax, plan.horizontal_bars, data, max(1, len(labels) // 2))
        fig.tight_layout()


def _category_labels(ax, plan: LabelPlan) -> list:
    axis = ax.yaxis if plan.horizontal_bars else ax.xaxis
    return [t for t in axis.get_ticklabels() if t.get_text()]


def _touching(labels: list, renderer, stacked: bool) -> bool:
    """Whether two neighbouring labels (in axis order) overlap as drawn."""
    boxes = sorted((t.get_window_extent(renderer) for t in labels),
                   key=lambda b: b.y0 if stacked else b.x0)
    return any(a.overlaps(b) for a, b in itertools.pairwise(boxes))


def _crowded(labels: list, renderer, stacked: bool, gap: float) -> bool:
    """Whether two neighbouring labels of one axis are closer than ``gap`` (pixels) along
    it, as drawn."""
    boxes = sorted((t.get_window_extent(renderer) for t in labels),
                   key=lambda b: b.y0 if stacked else b.x0)
    return any((b.y0 - a.y1 if stacked else b.x0 - a.x1) < gap
               for a, b in itertools.pairwise(boxes))


def _drop_touching(labels: list, renderer, stacked: bool) -> None:
    kept = None
    for label in sorted(labels, key=lambda t: (t.get_window_extent(renderer).y0 if stacked
                                               else t.get_window_extent(renderer).x0)):
        box = label.get_window_extent(renderer)
        if kept is not None and kept.overlaps(box):
            label.set_visible(False)
        else:
            kept = box


def _svg(fig) -> str:
    import io

    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    svg = buffer.getvalue()
    return svg[svg.index("<svg"):]


def _unsized(attributes: str) -> str:
    return re.sub(r'\s(width|height)="[^"]*"', "", attributes)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
