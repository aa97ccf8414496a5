"""Filling slides: the text of an item as *units* that are never cut, packed evenly.

A unit is what must stay on one slide when it can: a sentence, a line of
verse, a list item with its children, a quotation with its attribution, a
table row. Units are made of parts: a piece of a paragraph (several parts may
form one paragraph, a slide can end between them) or a table row.

``pack`` puts them on as few slides as fit, and among those ways the one that
fills every slide to about the same depth: no slide is left holding one
sentence when it could be avoided.
Everything is measured with the theme's font metrics (textfit.py), before any
slide is made.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from typing import Protocol

from ..course.blocks import Spans, plain, slice_spans
from .textfit import LINE_HEIGHT, Flow, Metrics, Word

# Ends a slide whose last paragraph goes on to the next: an arrow, not an ellipsis, which
# in a quotation would say that words were left out.
CONTINUED = " →"


@dataclass(frozen=True)
class ParaStyle:
    """How a paragraph is set: what the writer needs and what its measure depends on."""

    size: float
    margin: float = 0.0           # left margin (marL), points
    hang: float = 0.0             # the bullet or number hangs this far left of the text
    level: int = 0                # outline level (a:pPr lvl)
    bullet: str | None = None     # a bullet character, or None
    numbered: bool = False        # an automatic number (buAutoNum), see TextPart.number
    space_before: float = 0.0
    bold: bool = False
    italic: bool = False
    colour: str = "ink"
    align: str = "left"


@dataclass
class TextPart:
    """A piece of one paragraph: a sentence, a line of verse, or a whole short paragraph."""

    para: int                     # the paragraph it belongs to (parts of one share it)
    style: ParaStyle
    spans: Spans
    start: str = ""               # the reader's anchor where it begins...
    end: str = ""                 # ... and where it ends
    notes: str | None = None      # its share of the speaker notes (None: its own text)
    new_line: bool = False        # a hard line break before it (verse)
    first: bool = True            # the paragraph's first part: it carries bullet or number
    number: int | None = None     # the list number shown before it (first parts only)
    _words: list[Word] | None = field(default=None, repr=False, compare=False)

    def words(self, metrics: Metrics) -> list[Word]:
        if self._words is None:
            style = self.style
            words = metrics.words((s.text, s.bold or style.bold, s.italic or style.italic)
                                  for s in self.spans)
            if words and not self.first:        # continuing its paragraph's line
                space = 0.0 if self.new_line else metrics.space(style.bold, style.italic)
                words[0] = words[0]._replace(space=space, newline=self.new_line)
            self._words = words
        return self._words

    @property
    def text(self) -> str:
        return plain(self.spans)

    @property
    def note_text(self) -> str:
        return self.text if self.notes is None else self.notes


@dataclass
class RowPart:
    """One row of a table (its header is repeated on every slide the table is on)."""

    table: "TableLike"
    row: int                      # index into the table's rows

    @property
    def start(self) -> str:
        return self.table.anchors[self.row]

    @property
    def end(self) -> str:
        return self.table.anchors[self.row]


class TableLike(Protocol):
    """What flow needs of a planned table (tables.Grid): its rows' heights and anchors."""

    header_height: float
    row_heights: list[float]
    anchors: list[str]
    gap: float


Part = TextPart | RowPart


@dataclass
class Unit:
    parts: list[Part]
    keep_with_next: bool = False  # a lead-in ("two camps:"), a sub-heading
    continues: bool = False       # its last paragraph goes on in the next unit
    keep_last: bool = False       # taken apart, its last part stays with the one before

    @property
    def start(self) -> str:
        return next((p.start for p in self.parts if p.start), "")

    @property
    def end(self) -> str:
        return next((p.end for p in reversed(self.parts) if p.end), "")


# --- measuring a slide as it fills -----------------------------------------------------------

@dataclass(frozen=True)
class State:
    closed: float = 0.0           # height of the finished blocks
    key: object = None            # the open block: a paragraph number or a table
    flow: Flow = Flow()
    style: ParaStyle | None = None
    table_height: float = 0.0
    blocks: int = 0

    def height(self) -> float:
        if self.style is not None:
            return self.closed + self.flow.lines * self.style.size * LINE_HEIGHT
        return self.closed + self.table_height


class Measure:
    """Heights of slides' contents in a column ``width`` points wide."""

    def __init__(self, metrics: Metrics, width: float):
        self.metrics = metrics
        self.width = width
        self._mark = metrics.words([("x" + CONTINUED, False, False)])[1:]

    def add(self, state: State, unit: Unit) -> State:
        for part in unit.parts:
            state = self.add_part(state, part)
        return state

    def add_part(self, state: State, part: Part) -> State:
        if isinstance(part, RowPart):
            table = part.table
            row = table.row_heights[part.row]
            if state.key is table:
                return replace(state, table_height=state.table_height + row)
            gap = table.gap if state.blocks else 0.0
            return State(state.height() + gap, table, Flow(), None,
                         table.header_height + row, state.blocks + 1)
        style = part.style
        width = self.width - style.margin
        if state.key == part.para and state.style is not None:
            flow = self.metrics.flow(part.words(self.metrics), style.size, width, state.flow)
            return replace(state, flow=flow)
        gap = style.space_before if state.blocks else 0.0
        words = part.words(self.metrics)
        if not part.first and words:            # a paragraph continued: a new paragraph here
            words = [words[0]._replace(space=0.0, newline=False), *words[1:]]
        flow = self.metrics.flow(words, style.size, width)
        return State(state.height() + gap, part.para, flow, style, 0.0, state.blocks + 1)

    def height(self, state: State, continued: bool = False) -> float:
        """The slide's height; ``continued``: with the mark that its last paragraph goes on."""
        if continued and state.style is not None:
            flow = self.metrics.flow(self._mark, state.style.size,
                                     self.width - state.style.margin, state.flow)
            return state.closed + flow.lines * state.style.size * LINE_HEIGHT
        return state.height()

    def unit_height(self, unit: Unit) -> float:
        return self.height(self.add(State(), unit), unit.continues)


# --- packing ---------------------------------------------------------------------------------

def pack(units: list[Unit], measure: Measure, capacity: float) -> list[list[Unit]]:
    """Units in as few slides as fit ``capacity`` points, filled as evenly as possible.

    Among the ways to cut the units into the fewest slides, the one with the least
    sum of squared empty heights: a slide holding one sentence while the others are
    full costs far more than every slide a little less full. One pass over the units
    (dynamic programming); each slide's candidates end where it overflows.
    """
    units = prepare(units, measure, capacity)
    best: list[tuple[float, float]] = [(0, 0.0)] + [(math.inf, math.inf)] * len(units)
    back = [0] * (len(units) + 1)
    for i in range(len(units)):
        if best[i][0] == math.inf:
            continue
        state = State()
        for j in range(i, len(units)):
            state = measure.add(state, units[j])
            height = measure.height(state, units[j].continues)
            if height > capacity and j > i:
                break
            empty = max(capacity - height, 0.0)
            cost = (best[i][0] + 1, best[i][1] + empty * empty)
            if cost < best[j + 1]:
                best[j + 1], back[j + 1] = cost, i
    slides: list[list[Unit]] = []
    end = len(units)
    while end > 0:
        slides.append(units[back[end]:end])
        end = back[end]
    return slides[::-1]


def greedy(units: list[Unit], measure: Measure, capacity: float) -> list[list[Unit]]:
    """Each slide takes units while they fit (a unit taller than ``capacity`` goes alone)."""
    slides: list[list[Unit]] = []
    current: list[Unit] = []
    state = State()
    for unit in units:
        grown = measure.add(state, unit)
        if current and measure.height(grown, unit.continues) > capacity:
            slides.append(current)
            current, state = [unit], measure.add(State(), unit)
        else:
            current.append(unit)
            state = grown
    if current:
        slides.append(current)
    return slides


def prepare(units: list[Unit], measure: Measure, capacity: float) -> list[Unit]:
    """Glue lead-ins to what they introduce, and cut what no slide can hold.

    Gluing is dropped where the pair would not fit a slide; a unit too tall alone is
    taken apart into its parts, and a part too tall alone is cut between words.
    """
    keep_lines_together(units, measure)
    glued: list[Unit] = []
    for unit in units:
        if glued and glued[-1].keep_with_next:
            both = join_units(glued[-1], unit)
            if measure.unit_height(both) <= capacity:
                glued[-1] = both
                continue
        glued.append(unit)
    out: list[Unit] = []
    for unit in glued:
        if measure.unit_height(unit) <= capacity:
            out.append(unit)
            continue
        pieces: list[Unit] = []
        for part in unit.parts:
            if isinstance(part, RowPart) or measure.unit_height(Unit([part])) <= capacity:
                pieces.append(Unit([part]))
            else:
                pieces.extend(Unit([piece]) for piece in cut_part(part, measure, capacity))
        if unit.keep_last and len(pieces) > 1:     # an attribution with the quotation's end
            both = join_units(pieces[-2], pieces[-1])
            if measure.unit_height(both) <= capacity:
                pieces[-2:] = [both]
        out.extend(pieces)
    mark_continuations(out)
    return out


def keep_lines_together(units: list[Unit], measure: Measure) -> None:
    """No paragraph's first line alone at the foot of a slide, nor its last line alone at
    the top of the next: a one-line piece at either end of a paragraph stays with its
    neighbour (as a unit's keep_with_next, dropped where the pair is too tall)."""
    def para(part: Part) -> object:
        return part.para if isinstance(part, TextPart) else part

    def one_line(unit: Unit) -> bool:
        state = measure.add(State(), unit)
        return state.style is not None and state.blocks == 1 and state.flow.lines <= 1

    for k, unit in enumerate(units):
        before = k > 0 and para(units[k - 1].parts[-1]) == para(unit.parts[0])
        after = k + 1 < len(units) and para(unit.parts[-1]) == para(units[k + 1].parts[0])
        if before == after or not one_line(unit):
            continue
        if after:                       # the paragraph's first piece
            unit.keep_with_next = True
        else:                           # its last piece
            units[k - 1].keep_with_next = True


def join_units(a: Unit, b: Unit) -> Unit:
    return Unit(a.parts + b.parts, b.keep_with_next, b.continues)


def mark_continuations(units: list[Unit]) -> None:
    for unit, following in zip(units, units[1:]):
        last, first = unit.parts[-1], following.parts[0]
        unit.continues = isinstance(last, TextPart) and isinstance(first, TextPart) and \
            last.para == first.para
    if units:
        units[-1].continues = False


_WORD = re.compile(r"[^ \n]+")      # words as textfit.Metrics.words makes them
BALANCE_STEPS = 10                  # halvings of the height when evening out cut pieces


def cut_part(part: TextPart, measure: Measure, capacity: float) -> list[TextPart]:
    """A paragraph piece too tall for a slide, cut between words into pieces that fit,
    as few as fit and as even as can be (the last is not left with a few words)."""
    pieces = _cut(part, measure, capacity)
    if len(pieces) > 1:
        lo, hi = capacity / len(pieces), capacity
        for _ in range(BALANCE_STEPS):
            mid = (lo + hi) / 2
            if len(_cut(part, measure, mid)) <= len(pieces):
                hi = mid
            else:
                lo = mid
        pieces = _cut(part, measure, hi)
    return pieces


def _cut(part: TextPart, measure: Measure, capacity: float) -> list[TextPart]:
    """Greedy: each piece takes words while it fits (with its "…"), at least one word."""
    metrics, style = measure.metrics, part.style
    words = part.words(metrics)
    offsets = [(m.start(), m.end()) for m in _WORD.finditer(part.text)]
    if len(words) != len(offsets) or not words:
        return [part]
    width = measure.width - style.margin
    line = style.size * LINE_HEIGHT
    pieces: list[TextPart] = []
    start, flow = 0, Flow()
    for i, word in enumerate(words):
        if i == start:
            flow = metrics.flow([word._replace(space=0.0, newline=False)], style.size, width)
            continue
        grown = metrics.flow([word], style.size, width, flow)
        marked = metrics.flow(measure._mark, style.size, width, grown)
        if marked.lines * line > capacity:
            pieces.append(_slice(part, offsets[start][0], offsets[i - 1][1], start == 0))
            start = i
            flow = metrics.flow([word._replace(space=0.0, newline=False)], style.size, width)
        else:
            flow = grown
    pieces.append(_slice(part, offsets[start][0], offsets[-1][1], start == 0))
    return pieces


def _slice(part: TextPart, a: int, b: int, at_start: bool) -> TextPart:
    """Characters ``a:b`` of a part; the whole part's notes go with its first slice."""
    spans = slice_spans(part.spans, a, b)
    notes = part.notes if at_start else ("" if part.notes is not None else None)
    first = part.first and at_start
    return TextPart(part.para, part.style, spans, part.start, part.end, notes,
                    part.new_line and at_start, first, part.number if first else None)

