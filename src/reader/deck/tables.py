"""Tables on slides: a type size, column widths, column groups and row heights.

One machinery for a table item (YAML or CSV) and a pipe table in an essay. A
table is set at the largest size (from the theme's body size down to its
``min_body``) at which it fits one slide; one that fits at none is set at
``min_body``, its rows spread over slides (flow.py) and, when it is wider
than the slide, its columns too: each group of columns repeats the first.
Every measure is bounded: a column is never narrower than one character, and
a row taller than a slide is cut into rows that fit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..course.blocks import Span, Spans, plain
from .flow import RowPart, Unit
from .textfit import LINE_HEIGHT, Metrics

PAD_X = 7.2        # a cell's left and right margins, points (0.1 in)
PAD_Y = 5.76       # top and bottom (0.08 in): LibreOffice sets a cell's first line higher than a
                   # frame's, so 0.05 in put 24 pt glyphs at the very top of the row
ROW_SLACK = 2.0    # points added to every row for renderer differences
EMU_PER_PT = 12700
FIRST_COLUMN_SHARE = 0.4   # the repeated first column takes at most this share when split


@dataclass
class Cell:
    spans: Spans
    align: str = "left"            # 'left' | 'right' | 'center'

    @property
    def text(self) -> str:
        return plain(self.spans)


@dataclass(eq=False)
class Grid:
    """A table as set on slides: one group of columns (all of them, when they fit)."""

    columns: list[int]             # the source columns shown
    widths: list[float]            # points, one per shown column
    header: list[Cell]
    rows: list[list[Cell]]
    anchors: list[str]             # each row's anchor in the reader
    size: float
    header_height: float = 0.0
    row_heights: list[float] = field(default_factory=list)
    gap: float = 0.0               # space above the table when text precedes it

    @property
    def widths_emu(self) -> list[int]:
        """Column widths as the slide has them: rounded up (and one more), never narrower
        than measured."""
        return [math.ceil(w * EMU_PER_PT) + 1 for w in self.widths]

    def units(self) -> list[Unit]:
        return [Unit([RowPart(self, n)]) for n in range(len(self.rows))]


@dataclass
class Table:
    """A table to set: its header, rows and alignment, whatever it came from."""

    header: list[Cell]
    rows: list[list[Cell]]
    anchors: list[str]


def grids(table: Table, metrics: Metrics, width: float, capacity: float,
          sizes: range) -> list[Grid]:
    """The table at the largest of ``sizes`` (descending) that fits one slide
    ``width`` x ``capacity`` points; else at the smallest, in as many grids as it
    needs columns groups."""
    for size in sizes:
        if (len(table.rows) + 1) * (size * LINE_HEIGHT + 2 * PAD_Y + ROW_SLACK) > capacity:
            continue                      # too many rows for one slide even on one line each
        groups = _grids_at(table, metrics, width, capacity, size)
        if len(groups) == 1 and groups[0].header_height + \
                sum(groups[0].row_heights) <= capacity:
            return groups
    return _grids_at(table, metrics, width, capacity, sizes[-1])


def _grids_at(table: Table, metrics: Metrics, width: float, capacity: float,
              size: float) -> list[Grid]:
    ncols = len(table.header)
    natural = [max(_line_width(metrics, row[c], size, bold=(n == 0))
                   for n, row in enumerate([table.header] + table.rows)) + 2 * PAD_X
               for c in range(ncols)]
    longest = [max(_longest_word(metrics, row[c], size, bold=(n == 0))
                   for n, row in enumerate([table.header] + table.rows)) + 2 * PAD_X
               for c in range(ncols)]
    out = []
    for columns in column_groups(natural, longest, width):
        widths = _widths([natural[c] for c in columns], [longest[c] for c in columns], width)
        out.append(_grid(table, metrics, columns, widths, size, capacity))
    return out


def column_groups(natural: list[float], longest: list[float], width: float) -> list[list[int]]:
    """All columns, when their longest words fit side by side; else groups of columns,
    each led by the first (the row's name), as many as fit each time."""
    n = len(natural)
    if n <= 1 or sum(longest) <= width:
        return [list(range(n))]
    first = min(natural[0], width * FIRST_COLUMN_SHARE)
    room = width - first
    want = [min(w, room) for w in natural]      # in groups, each column on one line
    return _even_groups(want, first, width)


def _even_groups(want: list[float], first: float, width: float) -> list[list[int]]:
    """Columns 1.. in groups behind column 0: as few groups as fit ``width``, and among
    those the most even (least sum of squared spare width), so no group is left with
    two columns. A column wider than the room alone makes a group of its own."""
    n = len(want)
    best: list[tuple[float, float]] = [(0, 0.0)] + [(math.inf, math.inf)] * (n - 1)
    back = [0] * n
    for i in range(1, n):              # best[j]: columns 1..j-1 grouped; groups start at i
        if best[i - 1][0] == math.inf:
            continue
        used = first
        for j in range(i, n):
            used += want[j]
            if used > width and j > i:
                break
            spare = max(width - used, 0.0)
            cost = (best[i - 1][0] + 1, best[i - 1][1] + spare * spare)
            if cost < best[j]:
                best[j], back[j] = cost, i - 1
    groups: list[list[int]] = []
    end = n - 1
    while end > 0:
        start = back[end]
        groups.append([0, *range(start + 1, end + 1)])
        end = start
    return groups[::-1]


def _widths(natural: list[float], longest: list[float], width: float) -> list[float]:
    """Natural widths when they fit; else each column's longest word, and the room left
    shared by how much each would grow; a column never narrower than its padding + 1 pt."""
    if sum(natural) <= width:
        return natural
    floor = [min(w, width) for w in longest]
    if sum(floor) > width:                           # squeezed: words break by characters
        scale = width / sum(floor)
        return [max(w * scale, 2 * PAD_X + 1) for w in floor]
    extra = [max(n - f, 0.0) for n, f in zip(natural, floor)]
    spare = width - sum(floor)
    if not sum(extra):
        return floor
    return [f + e * spare / sum(extra) for f, e in zip(floor, extra)]


def _grid(table: Table, metrics: Metrics, columns: list[int], widths: list[float],
          size: float, capacity: float) -> Grid:
    def pick(row: list[Cell]) -> list[Cell]:
        return [row[c] for c in columns]

    # the gap: half a line, plus a text frame's insets
    grid = Grid(columns, widths, pick(table.header), [], [], size, gap=size * 0.5 + 7.2)
    grid.header_height = row_height(metrics, grid.header, widths, size, bold=True)
    room = max(capacity - grid.header_height, size * LINE_HEIGHT + 2 * PAD_Y + ROW_SLACK)
    for row, anchor in zip(table.rows, table.anchors):
        cells = pick(row)
        height = row_height(metrics, cells, widths, size)
        pieces = [(cells, height)] if height <= room else \
            list(_cut_row(metrics, cells, widths, size, room))
        for piece, piece_height in pieces:
            grid.rows.append(piece)
            grid.row_heights.append(piece_height)
            grid.anchors.append(anchor)
    return grid


def row_height(metrics: Metrics, cells: list[Cell], widths: list[float], size: float,
               bold: bool = False) -> float:
    lines = max((_lines(metrics, cell, w, size, bold) for cell, w in zip(cells, widths)),
                default=1)
    return lines * size * LINE_HEIGHT + 2 * PAD_Y + ROW_SLACK


def _lines(metrics: Metrics, cell: Cell, width: float, size: float, bold: bool) -> int:
    runs = [(s.text, s.bold or bold, s.italic) for s in cell.spans] or [("", bold, False)]
    return metrics.line_count(runs, size, max(width - 2 * PAD_X, 1.0))


def _cut_row(metrics: Metrics, cells: list[Cell], widths: list[float], size: float,
             room: float):
    """A row taller than a slide, as rows that fit: each cell's lines in slices."""
    per_row = max(1, int((room - 2 * PAD_Y - ROW_SLACK) // (size * LINE_HEIGHT)))
    wrapped = [metrics.wrap(cell.text, size, max(w - 2 * PAD_X, 1.0)) for cell, w in
               zip(cells, widths)]
    count = max(math.ceil(len(lines) / per_row) for lines in wrapped)
    for k in range(count):
        piece = [Cell((Span(" ".join(lines[k * per_row:(k + 1) * per_row])),), cell.align)
                 for lines, cell in zip(wrapped, cells)]
        yield piece, row_height(metrics, piece, widths, size)


def _line_width(metrics: Metrics, cell: Cell, size: float, bold: bool) -> float:
    return sum(metrics.width(s.text, size, s.bold or bold, s.italic) for s in cell.spans)


def _longest_word(metrics: Metrics, cell: Cell, size: float, bold: bool) -> float:
    return max((metrics.width(word, size, bold or any(s.bold for s in cell.spans))
                for word in cell.text.split()), default=0.0)
