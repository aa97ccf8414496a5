"""An essay's or excerpt's blocks (course/blocks.py) as units to pack on slides (flow.py).

Two ways to show text. An essay is *summarised*: a prose paragraph becomes a
bullet of its opening sentence (its claim), and the whole paragraph goes to
the speaker notes. An excerpt is *quoted in full*: its sentences fill the
slides, paragraph by paragraph. In both, what is already terse or must not
be cut is shown whole: verse keeps its lines, lists keep their nesting and
numbers, a quotation keeps its attribution, a pipe table is a table. A
``###`` heading is a bold sub-heading on the slide; a figure ends the run of
text before it (it gets a slide of its own, in document order).

Each kind of block has its own function (block_runs picks it).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from typing import Any, Callable, Union

from ..course.blocks import (Block, Figure, Heading, ListBlock, Paragraph, Quote, Span,
                             TableBlock)
from .flow import ParaStyle, Part, TextPart, Unit
from .tables import Cell, Table, grids
from .textfit import Metrics

BULLETS = ("•", "–", "•", "–")
HANG = 27.0                 # the master's bullet indent: 0.375 in, points
QUOTE_MARGIN = 36.0         # a quotation's left margin, points
NESTED_SPACE = 0.2          # ems above a nested list item (0.5 above a top-level one)
Run = Union[Unit, Figure]    # what a flow of blocks yields: units, and figures between them


@dataclass
class Context:
    """How one item's text is shown: summary or full, the size, the column."""

    metrics: Metrics
    size: float
    summary: bool
    width: float                     # the column, points
    capacity: float                  # the slide's text height, points
    table_sizes: range
    keys: "itertools.count[int]"
    level: int = 0                   # list nesting
    margin: float = 0.0              # extra left margin (inside a quotation)
    italic: bool = False
    after_paragraph: bool = False    # the block before was a summarised paragraph

    def key(self) -> int:
        return next(self.keys)

    def style(self, **changes) -> ParaStyle:  # noqa: ANN003
        base = ParaStyle(self.size, margin=self.margin, space_before=self.size * 0.5,
                         italic=self.italic)
        return replace(base, **changes)


def units(blocks: list[Block], ctx: Context) -> list[Run]:
    out: list[Run] = []
    for block in blocks:
        out.extend(block_runs(block, ctx))
        ctx.after_paragraph = isinstance(block, Paragraph) and ctx.summary and \
            not block.verse
    return out


def paragraph(block: Paragraph, ctx: Context) -> list[Run]:
    if ctx.summary and not block.verse and ctx.level == 0 and not ctx.margin:
        return [_summary_bullet(block, ctx)]
    return _whole(block, ctx, ctx.style())


def _summary_bullet(block: Paragraph, ctx: Context) -> Unit:
    """A paragraph's opening sentence as a bullet; a paragraph that leads into what follows
    ("...two camps:") shows its last sentence too, and stays with what it introduces."""
    style = ctx.style(margin=HANG, hang=HANG, bullet=BULLETS[0])
    key = ctx.key()
    first = block.pieces[0]
    parts: list[Part] = [TextPart(key, style, first.spans, first.start, first.end,
                                  notes=block.text)]
    lead_in = block.text.rstrip().endswith(":")
    if lead_in and len(block.pieces) > 1:
        last = block.pieces[-1]
        parts.append(TextPart(key, style, (Span("…"), Span(" "), *last.spans), last.start,
                              last.end, notes="", first=False))
    return Unit(parts, keep_with_next=lead_in)


def _whole(block: Paragraph, ctx: Context, style: ParaStyle, number: int | None = None,
           bulleted: bool = False) -> list[Run]:
    """Every sentence (or line) of a paragraph, each a unit: the slide may end between them."""
    key = ctx.key()
    lead_in = not bulleted and block.text.rstrip().endswith(":")
    out: list[Run] = []
    for n, piece in enumerate(block.pieces):
        part = TextPart(key, style, piece.spans, piece.start, piece.end,
                        new_line=piece.new_line and n > 0, first=n == 0,
                        number=number if n == 0 else None)
        out.append(Unit([part], keep_with_next=lead_in and n == len(block.pieces) - 1))
    return out


def heading(block: Heading, ctx: Context) -> list[Run]:
    """Headings below the slide's own (``###``...) are bold sub-headings on the slide."""
    style = ctx.style(bold=True, colour="accent")
    return [Unit([TextPart(ctx.key(), style, block.spans, block.id, block.id)],
                 keep_with_next=True)]


def list_block(block: ListBlock, ctx: Context) -> list[Run]:
    """Each item with its children is one unit; numbers are kept (startAt on each item)."""
    under = ctx.after_paragraph and ctx.level == 0     # sub-points of the bullet above
    level = ctx.level + (1 if under else 0)
    hang = HANG
    if block.ordered:
        widest = str(block.start + len(block.items) - 1) + "."
        hang = max(HANG, ctx.metrics.width(widest, ctx.size) + ctx.size * 0.4)
    margin = ctx.margin + (HANG if under else 0.0) + hang
    inner = replace(ctx, level=level + 1, margin=margin, after_paragraph=False)
    out: list[Run] = []
    for n, item in enumerate(block.items):
        style = ctx.style(margin=margin, hang=hang, level=level,
                          bullet=None if block.ordered else BULLETS[level % len(BULLETS)],
                          numbered=block.ordered,
                          space_before=ctx.size * (0.5 if level == 0 else NESTED_SPACE))
        parts: list[Part] = []
        first_paragraph = True
        for child in item.blocks:
            if isinstance(child, Paragraph) and first_paragraph:
                runs = _whole(child, ctx, style, number=block.start + n if block.ordered
                              else None, bulleted=True)
                first_paragraph = False
            elif isinstance(child, Paragraph):
                runs = _whole(child, ctx, replace(style, bullet=None, numbered=False,
                                                  space_before=ctx.size * NESTED_SPACE))
            else:
                runs = block_runs(child, inner)
            parts.extend(p for run in runs if isinstance(run, Unit) for p in run.parts)
        if parts:
            out.append(Unit(parts))
    return out


def quote(block: Quote, ctx: Context) -> list[Run]:
    """A quotation indented, whole with its attribution when a slide can hold them."""
    inner = replace(ctx, margin=ctx.margin + QUOTE_MARGIN, summary=False, level=0)
    body = units(block.blocks, inner)
    if block.attribution is not None:
        style = inner.style(italic=True, colour="muted", space_before=ctx.size * 0.25)
        body.extend(_whole(block.attribution, inner, style))
    text_units = [u for u in body if isinstance(u, Unit)]
    if len(text_units) == len(body) and text_units:
        return [Unit([p for u in text_units for p in u.parts],
                     keep_last=block.attribution is not None)]
    return body


def table(block: TableBlock, ctx: Context) -> list[Run]:
    """A pipe table: a native table (tables.py), its rows the units."""
    width = len(block.header.cells)
    if not width:
        return []
    aligns = (block.align + ["left"] * width)[:width]
    header = [Cell(c, a) for c, a in zip(block.header.cells, aligns)]
    rows = [[Cell(c, a) for c, a in zip((row.cells + [()] * width)[:width], aligns)]
            for row in block.rows]
    source = Table(header, rows, [row.id for row in block.rows])
    out: list[Run] = []
    for grid in grids(source, ctx.metrics, ctx.width - ctx.margin, ctx.capacity,
                      ctx.table_sizes):
        out.extend(grid.units())
    return out


def figure(block: Figure, ctx: Context) -> list[Run]:
    return [block]


# Each kind of block has its own function (Any: each takes its own kind, which BLOCKS pairs;
# tests/test_deck_plan.py checks that every kind of Block has one).
BLOCKS: dict[type, Callable[[Any, Context], list[Run]]] = {
    Paragraph: paragraph, Heading: heading, ListBlock: list_block, Quote: quote,
    TableBlock: table, Figure: figure}


def block_runs(block: Block, ctx: Context) -> list[Run]:
    return BLOCKS[type(block)](block, ctx)

