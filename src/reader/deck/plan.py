"""The slide plan: the course as a list of slides, before any PowerPoint object exists.

Like Pandoc's pptx writer, the deck is made in two steps: this module turns
the course model into abstract slides (a layout, a title, text frames of
paragraphs of styled runs, tables, charts, pictures, speaker notes, and the
reader anchors the slide cites), and slides.py turns them into python-pptx
objects. Everything here is measured with the theme's font metrics
(textfit.py), so what fits is decided here, and it can be tested without
python-pptx.

Each kind of item has its own function (plan_item); each kind of block in an
essay or excerpt too (content.block_runs).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Union

from ..core.store import Store
from ..course.blocks import Figure, Heading, Image, Span, plain
from ..course.markdown import inline_spans
from ..course.model import Course, Essay, Excerpt, Item, Part, Questions, Table
from ..course.theme import Theme
from . import content
from .cite import WIDEST, page_token
from .flow import (CONTINUED, Measure, ParaStyle, RowPart, State, TextPart, Unit, pack)
from .tables import Cell, Grid, Table as TableSource, grids
from .textfit import LINE_HEIGHT, Metrics, Para

if TYPE_CHECKING:
    from ..scans.pages import Originals, Prepared

EMU_PER_PT = 12700
EMU_PER_INCH = 914400
INSET_X, INSET_Y = 91440, 45720           # a text frame's margins: 0.1 in, 0.05 in


def inches(value: float) -> int:
    return round(value * EMU_PER_INCH)


@dataclass(frozen=True)
class Box:
    left: int
    top: int
    width: int
    height: int

    @property
    def text_width(self) -> float:
        """Points inside the frame's left and right margins."""
        return (self.width - 2 * INSET_X) / EMU_PER_PT

    @property
    def text_height(self) -> float:
        return (self.height - 2 * INSET_Y) / EMU_PER_PT

    @property
    def bottom(self) -> int:
        return self.top + self.height

    def rows(self, top: int, height: int) -> "Box":
        return Box(self.left, top, self.width, height)


@dataclass(frozen=True)
class Geometry:
    """Where things go on a 16:9 slide; a deck template's placeholders replace the title
    and body boxes (slides.template_geometry)."""

    width: int = inches(13.333)
    height: int = inches(7.5)
    custom: bool = False
    kicker: Box = Box(inches(0.6), inches(0.28), inches(12.13), inches(0.4))
    title: Box = Box(inches(0.6), inches(0.62), inches(12.13), inches(1.05))
    body: Box = Box(inches(0.6), inches(1.8), inches(12.13), inches(4.75))
    caption: Box = Box(inches(0.6), inches(5.95), inches(12.13), inches(0.8))
    footer: Box = Box(inches(8.9), inches(6.9), inches(3.83), inches(0.4))
    opener_title: Box = Box(inches(0.6), inches(2.2), inches(12.13), inches(2.2))
    byline: Box = Box(inches(0.6), inches(4.5), inches(12.13), inches(0.6))
    cover_title: Box = Box(inches(0.9), inches(2.0), inches(11.5), inches(1.9))
    cover_subtitle: Box = Box(inches(0.9), inches(4.1), inches(11.5), inches(2.2))
    section_title: Box = Box(inches(0.9), inches(3.2), inches(11.5), inches(1.8))
    section_label: Box = Box(inches(0.9), inches(2.4), inches(11.5), inches(0.7))

    @property
    def body_above_caption(self) -> Box:
        """The body, ending above the caption line (attribution, source)."""
        bottom = min(self.body.bottom, self.caption.top - inches(0.05))
        return Box(self.body.left, self.body.top, self.body.width, bottom - self.body.top)


# --- the plan's slides ---------------------------------------------------------------------

@dataclass
class Run:
    text: str                     # "\n" inside: a line break (a:br)
    size: float
    bold: bool = False
    italic: bool = False
    strike: bool = False
    colour: str = "ink"           # a theme colour's name


@dataclass
class Paragraph:
    runs: list[Run]
    level: int = 0
    margin: float = 0.0           # left margin, points (marL)
    hang: float = 0.0             # the bullet or number hangs this far left (indent)
    bullet: str | None = None
    number: int | None = None     # automatic numbering from this number (buAutoNum startAt)
    space_before: float = 0.0
    align: str = "left"

    @property
    def text(self) -> str:
        return "".join(r.text for r in self.runs)


@dataclass
class TextFrame:
    role: str                     # 'title' | 'body' | 'subtitle' | 'label' | 'kicker' | ...
    box: Box
    paragraphs: list[Paragraph]
    name: str
    anchor: str = "top"           # vertical: 'top' | 'middle' | 'bottom'

    @property
    def text(self) -> str:
        return "\n".join(p.text for p in self.paragraphs)


@dataclass
class TableShape:
    box: Box
    grid: Grid
    rows: list[int]               # which of the grid's rows
    name: str


@dataclass
class ChartShape:
    box: Box
    kind: str                     # 'column' | 'bar' (horizontal) | 'line'
    categories: list[str]
    series: list[tuple[str, list[float]]]
    font_size: float
    label_skip: int               # show every n-th category label (c:tickLblSkip)
    legend: bool
    descr: str                    # alt text
    name: str


@dataclass
class PictureShape:
    box: Box
    path: Path
    descr: str                    # alt text
    name: str


Shape = Union[TextFrame, TableShape, ChartShape, PictureShape]


@dataclass
class Slide:
    segment: str                  # the cache group it belongs to: an item's anchor, 'agenda'
    layout: str                   # 'cover' | 'section' | 'content' | 'title_only'
    title: TextFrame
    shapes: list[Shape] = field(default_factory=list)   # in reading order, after the title
    notes: str = ""
    cite: tuple[str, str, str] | None = None            # (first, last, fallback) anchors
    background: str | None = None                       # a theme colour

    def frames(self, role: str) -> list[TextFrame]:
        return [s for s in self.shapes if isinstance(s, TextFrame) and s.role == role]

    @property
    def body_text(self) -> str:
        return "\n".join(f.text for f in self.frames("body"))


@dataclass
class Segment:
    name: str                     # 'title', 'agenda', a part's or item's anchor, 'sources'
    slides: list[Slide]


# --- planning -------------------------------------------------------------------------------

class Planner:
    """Plans the slides of one course with one theme on one slide geometry."""

    def __init__(self, course: Course, theme: Theme, geometry: Geometry = Geometry(),
                 store: Store | None = None):
        self.course = course
        self.geometry = geometry
        # pictures of original pages are files the writer reads: a folder even uncached
        self.store = store or Store(course.root / ".reader-cache")
        tokens = theme.tokens
        self.sizes = tokens["deck"]
        self.small = float(self.sizes["small"])
        self.min_body = float(self.sizes["min_body"])
        self.lang = course.settings.lang
        self.cites_reader = course.settings.printed   # "Reader p. 14" on slides
        family = tokens["fonts"]["deck_metrics"]
        self.metrics = Metrics({(b, i): path
                                for b in (False, True) for i in (False, True)
                                if (path := theme.font_file(family, b, i))})
        self.keys = itertools.count(1)      # paragraph identities, unique in the plan
        self.originals: "Originals | None" = None   # prepared pages, read when first needed

    def key(self) -> int:
        return next(self.keys)

    # --- the course --------------------------------------------------------------------------

    def segments(self, only: set[str] | None = None) -> list[Segment]:
        """Every segment's slides in deck order; ``only``: just the named segments."""
        out: list[Segment] = []

        def segment(name: str, make: Callable[[], list[Slide]]) -> None:
            if only is None or name in only:
                out.append(Segment(name, make()))

        segment("title", self.cover)
        if self.course.parts:
            segment("agenda", self.agenda)
        for entry in self.course.entries:
            if isinstance(entry, Part):
                segment(entry.anchor, partial(self.divider, entry))
                for item in entry.items:
                    segment(item.anchor, partial(self.item, item))
            else:
                segment(entry.anchor, partial(self.item, entry))
        if self.course.excerpts:
            segment("sources", self.sources)
        return out

    def item(self, item: Item) -> list[Slide]:
        return plan_item(self, item)

    # --- frames --------------------------------------------------------------------------------

    def title(self, text: str, box: Box | None = None, start: float | None = None,
              colour: str = "ink", anchor: str = "bottom", suffix: str = "") -> TextFrame:
        """A title at the largest size from ``start`` down to min_body that fits its box;
        then cut at a word with "…" (the counter ``suffix`` is always kept)."""
        box = box or self.geometry.title
        start = start or self.sizes["heading"]
        metrics = self.metrics
        size = metrics.fit_size(text + suffix, box.text_width, box.text_height, start,
                                self.min_body, bold=True)
        full = text + suffix
        if not metrics.fits([Para(full, size, True)], box.text_width, box.text_height):
            room = box.text_width - metrics.width(suffix, size, True)
            full = metrics.ellipsize(text, size, room, box.text_height, bold=True) + suffix
        return TextFrame("title", box, [Paragraph([Run(full, size, bold=True, colour=colour)])],
                         "Title", anchor)

    def line(self, role: str, name: str, text: str, box: Box, size: float, *,
             colour: str = "muted", bold: bool = False, italic: bool = False,
             align: str = "left", anchor: str = "top", measure: str | None = None) -> TextFrame:
        """One line of chrome (kicker, footer, attribution...): shrunk to the theme's
        ``small`` size at most, then cut with "…"."""
        metrics = self.metrics
        probe = measure or text
        fitted = metrics.fit_size(probe, box.text_width, box.text_height, size,
                                  min(size, self.small), bold, italic)
        if not metrics.fits([Para(probe, fitted, bold, italic)], box.text_width,
                            box.text_height):
            text = metrics.ellipsize(text, fitted, box.text_width, box.text_height, bold)
        run = Run(text, fitted, bold=bold, italic=italic, colour=colour)
        return TextFrame(role, box, [Paragraph([run], align=align)], name, anchor)

    def chrome(self, item: Item, kicker: str | None = None) -> list[TextFrame]:
        """The small label above the title; "Reader p. N" goes on with the slide's cite."""
        g = self.geometry
        return [self.line("kicker", "Kicker", (kicker or item.label).upper(), g.kicker,
                          self.small, colour="accent", bold=True)]

    def footer(self, cite: tuple[str, str, str]) -> TextFrame:
        g = self.geometry
        return self.line("footer", "Reader page", "Reader " + page_token(*cite), g.footer,
                         self.small, align="right", measure="Reader " + WIDEST)

    def item_slide(self, item: Item, layout: str, title: TextFrame, shapes: list[Shape],
                   notes: str, cite: tuple[str, str] | None, kicker: str | None = None
                   ) -> Slide:
        first, last = cite or (item.anchor, item.anchor)
        full = (first or item.anchor, last or first or item.anchor, item.anchor)
        if not self.cites_reader:      # no printed reader is made: nothing to cite
            return Slide(item.anchor, layout, title, [*shapes, *self.chrome(item, kicker)],
                         notes)
        return Slide(item.anchor, layout, title,
                     [*shapes, *self.chrome(item, kicker), self.footer(full)], notes, full)

    # --- text that fills slides ----------------------------------------------------------

    def context(self, size: float, summary: bool, box: Box) -> content.Context:
        return content.Context(self.metrics, size, summary, box.text_width, box.text_height,
                               self.table_sizes(), self.keys)

    def table_sizes(self) -> range:
        return range(int(self.sizes["body"]), int(self.min_body) - 1, -1)

    def fill(self, units: list[Unit], box: Box) -> list[list[Unit]]:
        return pack(units, Measure(self.metrics, box.text_width), box.text_height)

    def compose(self, units: list[Unit], box: Box, name: str) -> tuple[list[Shape], str]:
        """One slide's units as text frames and tables stacked in ``box``, and its notes."""
        measure = Measure(self.metrics, box.text_width)
        groups: list[tuple[str, list]] = []       # ('text', [parts]) | ('table', [RowPart])
        for unit in units:
            for part in unit.parts:
                kind = "table" if isinstance(part, RowPart) else "text"
                same = groups and groups[-1][0] == kind and (
                    not isinstance(part, RowPart) or groups[-1][1][-1].table is part.table)
                if same:
                    groups[-1][1].append(part)
                else:
                    groups.append((kind, [part]))
        shapes: list[Shape] = []
        top = box.top
        for n, (kind, parts) in enumerate(groups):
            last = n == len(groups) - 1
            if kind == "table":
                grid = parts[0].table
                if n:
                    top += round(grid.gap * EMU_PER_PT)
                height = round((grid.header_height + sum(grid.row_heights[p.row]
                                                          for p in parts)) * EMU_PER_PT)
                width = sum(grid.widths_emu)
                left = box.left + max(0, (box.width - width) // 2)
                shapes.append(TableShape(Box(left, top, width, height), grid,
                                         [p.row for p in parts], f"{name} table"))
                top += height
                continue
            paragraphs = self.paragraphs(parts, continued=last and units[-1].continues)
            state = State()
            for part in parts:
                state = measure.add_part(state, part)
            used = measure.height(state, continued=last and units[-1].continues)
            if n and groups[n - 1][0] == "table":
                top += round(parts[0].style.space_before * EMU_PER_PT)
            height = box.bottom - top if last else \
                round(used * EMU_PER_PT) + 2 * INSET_Y + EMU_PER_PT
            shapes.append(TextFrame("body", box.rows(top, max(height, 2 * INSET_Y)),
                                    paragraphs, "Body" if not n else f"Body {n + 1}"))
            top += height
        return shapes, notes_of(units)

    def paragraphs(self, parts: list[TextPart], continued: bool) -> list[Paragraph]:
        out: list[Paragraph] = []
        key = None
        for part in parts:
            style = part.style
            runs = [Run(s.text, style.size, s.bold or style.bold, s.italic or style.italic,
                        s.strike, style.colour) for s in part.spans]
            if part.para == key and out:
                joiner = "\n" if part.new_line else " "
                out[-1].runs.append(Run(joiner, style.size, colour=style.colour))
                out[-1].runs.extend(runs)
                continue
            key = part.para
            marked = part.first and (style.bullet or (style.numbered and part.number))
            out.append(Paragraph(runs, style.level, style.margin,
                                 style.hang if marked else 0.0,
                                 style.bullet if part.first else None,
                                 part.number if part.first and style.numbered else None,
                                 style.space_before if out else 0.0, style.align))
        if continued and out:
            out[-1].runs.append(Run(CONTINUED, out[-1].runs[-1].size, colour="muted"))
        return out

    def text_slides(self, item: Item, runs: list[content.Run], box: Box, title: str,
                    kicker: str | None, extra: Callable[[], list[Shape]] = lambda: [],
                    notes_head: str = "", layout: str = "content") -> list[Slide]:
        """Text runs packed into slides titled ``title`` (n/N); a figure between runs gets
        a slide of its own, titled the same, in its place."""
        planned: list[Union[list[Unit], Figure]] = []
        pending: list[Unit] = []
        for run in runs + [None]:
            if isinstance(run, Unit):
                pending.append(run)
                continue
            if pending:
                planned.extend(self.fill(pending, box))
                pending = []
            if run is not None:
                planned.append(run)
        if not planned:
            planned.append([])          # a heading with nothing under it: its title alone
        total = sum(1 for p in planned if not isinstance(p, Figure))
        slides: list[Slide] = []
        count = 0
        for entry in planned:
            if isinstance(entry, Figure):
                slides.extend(self.picture(item, entry.image, title, kicker))
                continue
            count += 1
            suffix = f" ({count}/{total})" if total > 1 else ""
            shapes, notes = self.compose(entry, box, item.label)
            head = notes_head if count == 1 and notes_head else ""
            slides.append(self.item_slide(
                item, layout, self.title(title, suffix=suffix), [*shapes, *extra()],
                "\n\n".join(x for x in (head, notes) if x),
                (entry[0].start, entry[-1].end) if entry else None, kicker))
        return slides

    # --- pictures ---------------------------------------------------------------------------

    def picture(self, item: Item, image: Image, title: str, kicker: str | None) -> list[Slide]:
        """A figure on a slide of its own: titled like the text around it, its alt text as
        the picture's description, as the caption (when it fits) and in the notes."""
        size = upright_size(image.path)
        if size is None:
            return []           # PowerPoint needs a raster here; the reader prints the SVG
        g = self.geometry
        alt = " ".join(image.alt.split())
        shapes: list[Shape] = []
        area = g.body
        if alt:
            caption = self.line("caption", "Caption", alt, g.caption, self.min_body,
                                italic=True)
            if caption.paragraphs[0].runs[0].text == alt:
                shapes.append(caption)
                area = g.body_above_caption
        width, height = size
        scale = min(area.width / width, area.height / height)
        w, h = int(width * scale), int(height * scale)
        box = Box(area.left + (area.width - w) // 2, area.top, w, h)
        picture = PictureShape(box, image.path, alt, "Figure")
        notes = f"Figure in {item.label}: {alt or image.path.name}"
        return [self.item_slide(item, "title_only", self.title(title), [picture, *shapes],
                                notes, (image.id, image.id), kicker)]

    # --- the course's own slides ---------------------------------------------------------

    def cover(self) -> list[Slide]:
        s = self.course.settings
        g = self.geometry
        title = self.title(s.title, g.cover_title, self.sizes["title"], colour="accent",
                           anchor="middle")
        lines = [x for x in (s.subtitle, s.course,
                             " · ".join(y for y in (s.instructor, s.term) if y)) if x]
        if self.course.instructor_edition:
            lines.append("Instructor edition")
        shapes: list[Shape] = []
        if lines:
            box = g.cover_subtitle
            size = self.metrics.fit_size("\n".join(lines), box.text_width, box.text_height,
                                         24, self.min_body)
            shapes.append(TextFrame("subtitle", box, [
                Paragraph([Run(line, size, colour="ink")], space_before=size * 0.5 if n
                          else 0.0) for n, line in enumerate(lines)], "Subtitle"))
        notes = f"{s.title}\n{s.subtitle or ''}\nReader: {len(self.course.items)} items."
        return [Slide("title", "cover", title, shapes, notes)]

    def bullets(self, name: str, title: str, lines: list[str], size: float,
                notes_head: str = "") -> list[Slide]:
        """Plain bullets (the agenda, the Sources): no kicker, no page."""
        box = self.geometry.body
        style = ParaStyle(size, margin=content.HANG, hang=content.HANG,
                          bullet=content.BULLETS[0], space_before=size * 0.5)
        units = [Unit([TextPart(self.key(), style, (Span(line),))]) for line in lines]
        slides = []
        pages = self.fill(units, box)
        for n, chunk in enumerate(pages, 1):
            suffix = f" ({n}/{len(pages)})" if len(pages) > 1 else ""
            shapes, notes = self.compose(chunk, box, name)
            slides.append(Slide(name, "content", self.title(title, suffix=suffix), shapes,
                                f"{notes_head}{notes}"))
        return slides

    def agenda(self) -> list[Slide]:
        """The course's contents at the top level: its parts, and the items outside any
        part (a closing essay) where they stand."""
        lines = [f"{e.label}: {e.title_text}" for e in self.course.entries]
        return self.bullets("agenda", "Agenda", lines, self.sizes["body"],
                            "The course, in order:\n")

    def sources(self) -> list[Slide]:
        return self.bullets("sources", "Sources", source_lines(self.course), self.min_body + 2)

    def divider(self, part: Part) -> list[Slide]:
        g = self.geometry
        colour = "paper" if not g.custom else "ink"
        title = self.title(part.title_text, g.section_title, self.sizes["title"],
                           colour=colour, anchor="middle")
        label = TextFrame("label", g.section_label, [Paragraph([Run(
            part.label.upper(), 20, bold=True, colour="paper" if not g.custom else "accent")])],
            "Label")
        items = "\n".join(f"{i.label}: {i.title_text}" for i in part.items)
        notes = f"{part.label}: {part.title_text}\nReader {page_token(part.anchor)}\n\n{items}"
        return [Slide(part.anchor, "section", title, [label], notes,
                      (part.anchor, part.anchor, part.anchor),
                      background=None if g.custom else "accent")]


# --- the kinds of item ---------------------------------------------------------------------

def plan_essay(p: Planner, essay: Essay) -> list[Slide]:
    """An opening slide, then each ``##`` section: its paragraphs' opening sentences,
    lists, tables, quotations and figures, in order. Consecutive short sections share a
    slide, each under its heading."""
    doc = essay.doc
    assert doc is not None
    slides = [opener(p, essay)]
    kicker = f"{essay.label} · {essay.title_text}"
    if essay.slides is not None:
        return slides + essay_bullets(p, essay, kicker)
    box = p.geometry.body
    sections = split_sections(doc.blocks, essay.title_text)
    planned = [(title, content.units(blocks, p.context(p.sizes["body"], True, box)))
               for title, blocks in sections]
    for group in merge_short(p, planned, box):
        if len(group) == 1:
            title, runs = group[0]
            slides.extend(p.text_slides(essay, runs, box, title, kicker))
            continue
        runs = []
        for title, section in group:
            if title != essay.title_text:   # the lead's heading would repeat the slide's
                runs.append(_subheading(p, title))
            runs.extend(section)
        slides.extend(p.text_slides(essay, runs, box, essay.title_text, kicker))
    return slides


def opener(p: Planner, essay: Essay) -> Slide:
    g = p.geometry
    shapes: list[Shape] = []
    if essay.author:
        shapes.append(p.line("byline", "Byline", essay.author, g.byline, 20))
    notes = f"{essay.label}: {essay.title_text}" + (f"\nBy {essay.author}" if essay.author
                                                    else "")
    title = p.title(essay.title_text, g.opener_title, p.sizes["title"], anchor="middle")
    return p.item_slide(essay, "title_only", title, shapes, notes, None)


def essay_bullets(p: Planner, essay: Essay, kicker: str) -> list[Slide]:
    """The lecturer's own bullets (``slides:``); the essay's figures after them. Each
    slide's notes hold its share of the essay's paragraphs, in order."""
    assert essay.doc is not None and essay.slides is not None
    box = p.geometry.body
    size = p.sizes["body"]
    style = ParaStyle(size, margin=content.HANG, hang=content.HANG,
                      bullet=content.BULLETS[0], space_before=size * 0.5)
    units = [Unit([TextPart(p.key(), style, inline_spans(text, p.lang), notes="")])
             for text in essay.slides]
    pages = p.fill(units, box)
    paragraphs = essay.doc.paragraphs
    slides = []
    for n, chunk in enumerate(pages):
        share = paragraphs[len(paragraphs) * n // len(pages):
                           len(paragraphs) * (n + 1) // len(pages)]
        suffix = f" ({n + 1}/{len(pages)})" if len(pages) > 1 else ""
        shapes, _ = p.compose(chunk, box, essay.label)
        slides.append(p.item_slide(essay, "content", p.title(essay.title_text, suffix=suffix),
                                   shapes, "\n\n".join(share), None, kicker))
    for image in essay.doc.images:
        slides.extend(p.picture(essay, image, essay.title_text, kicker))
    return slides


def split_sections(blocks: list, title: str) -> list[tuple[str, list]]:
    """``#`` and ``##`` headings start a section (a slide); text before the first one is
    a section titled with the item's title."""
    sections: list[tuple[str, list]] = [(title, [])]
    for block in blocks:
        if isinstance(block, Heading) and block.level <= 2:
            sections.append((block.text, []))
        else:
            sections[-1][1].append(block)
    if not sections[0][1] and len(sections) > 1:
        sections.pop(0)
    return sections


SHORT = 1 / 2     # a section shorter than this share of a slide may share one


def merge_short(p: Planner, sections: list[tuple[str, list[content.Run]]], box: Box
                ) -> list[list[tuple[str, list[content.Run]]]]:
    """Consecutive short sections (one slide, at most half full, no figure), grouped to share
    a slide while together they fit one; any other section stands alone."""
    measure = Measure(p.metrics, box.text_width)
    groups: list[list[tuple[str, list[content.Run]]]] = []
    open_group = False
    for title, runs in sections:
        short = all(isinstance(r, Unit) for r in runs) and \
            measure.height(_added(measure, [_subheading(p, title), *runs])) <= \
            box.text_height * SHORT
        if short and open_group:
            trial = [u for t, rs in groups[-1] + [(title, runs)]
                     for u in [_subheading(p, t), *rs]]
            if measure.height(_added(measure, trial)) <= box.text_height:
                groups[-1].append((title, runs))
                continue
        groups.append([(title, runs)])
        open_group = short
    return groups


def _added(measure: Measure, units: list) -> State:
    state = State()
    for unit in units:
        state = measure.add(state, unit)
    return state


def _subheading(p: Planner, title: str) -> Unit:
    size = p.sizes["body"]
    style = ParaStyle(size, space_before=size * 0.5, bold=True, colour="accent")
    return Unit([TextPart(p.key(), style, (Span(title),), notes=title)],
                keep_with_next=True)


def plan_excerpt(p: Planner, excerpt: Excerpt) -> list[Slide]:
    """The passage in full, at the quote size, its paragraphs and lines kept; the
    attribution on every slide. An excerpt from a PDF or images: ``plan_original``."""
    if excerpt.original is not None:
        return plan_original(p, excerpt)
    doc = excerpt.doc
    assert doc is not None
    g = p.geometry
    box = g.body_above_caption
    runs = content.units(doc.blocks, p.context(p.sizes["quote"], False, box))
    attribution = f"— {excerpt.attribution}"

    def caption() -> list[Shape]:
        return [p.line("attribution", "Attribution", attribution, g.caption, 16,
                       italic=True)]

    head = "\n\n".join(x for x in (excerpt.headnote and _plain_inline(p, excerpt.headnote),
                                   f"Source: {excerpt.attribution}") if x)
    return p.text_slides(excerpt, runs, box, excerpt.title_text, None, caption, head)


ORIGINAL_DPI = 110      # the picture of an original's first page on its slide


def plan_original(p: Planner, excerpt: Excerpt) -> list[Slide]:
    """An excerpt from a PDF or images: a slide with a picture of its first page, its
    title and "Reader pp. 31–34"; then each passage of ``slides:`` as a quotation, cited to
    the reader page it is on (found in the page's own text, or OCR's), with the original's
    page in the attribution."""
    from ..scans.pages import page_of_passage

    assert excerpt.original is not None
    pages = _original_pages(p, excerpt)
    g = p.geometry
    attribution = excerpt.attribution
    head = "\n\n".join(x for x in (excerpt.headnote and _plain_inline(p, excerpt.headnote),
                                   f"Source: {attribution}") if x)
    shapes: list[Shape] = []
    right = g.body.left
    if pages:
        page, path = pages[0]
        height = g.body.height
        width = int(height * page.record.width / page.record.height)
        shapes.append(PictureShape(Box(g.body.left, g.body.top, width, height), path,
                                   f"The first page of {excerpt.title_text} (p. "
                                   f"{page.printed} of the original)", "First page"))
        right = g.body.left + width + inches(0.4)
    # Where the pages are in the reader is the footer's "Reader pp. 12–14", as on every
    # item's slides; beside the picture, what they are.
    about = Box(right, g.body.top, g.body.left + g.body.width - right, g.body.height)
    text = f"Reproduced in the reader from the original: {attribution}."
    size = p.metrics.fit_size(text, about.text_width, about.text_height, 18, p.min_body)
    shapes.append(TextFrame("attribution", about, [Paragraph([Run(text, size,
                                                                   colour="muted")])],
                            "Attribution"))
    last = f"{excerpt.anchor}-p{len(pages)}" if pages else excerpt.anchor
    slides = [p.item_slide(excerpt, "title_only", p.title(excerpt.title_text), shapes, head,
                           (excerpt.anchor, last))]
    work = attribution.removesuffix(f", {excerpt.pages_label}") if excerpt.pages_label \
        else attribution
    box = g.body_above_caption
    size = float(p.sizes["quote"])
    for quote in excerpt.original.quotes:
        found = page_of_passage(quote, [page for page, _ in pages])
        cite = f"{excerpt.anchor}-p{found + 1}" if found is not None else excerpt.anchor
        where = f"{work}, p. {pages[found][0].printed}" if found is not None else attribution
        shown = " ".join(quote.split())
        shown = shown if shown[:1] in "“\"‘'" else f"“{shown}”"
        fitted = p.metrics.fit_size(shown, box.text_width, box.text_height, size, p.min_body)
        if not p.metrics.fits([Para(shown, fitted)], box.text_width, box.text_height):
            shown = p.metrics.ellipsize(shown, fitted, box.text_width, box.text_height)
        body = TextFrame("body", box, [Paragraph([Run(shown, fitted)])], "Quotation")
        caption = p.line("attribution", "Attribution", f"— {where}", g.caption, 16,
                         italic=True)
        slides.append(p.item_slide(excerpt, "content", p.title(excerpt.title_text),
                                   [body, caption], head, (cite, cite)))
    return slides


def _original_pages(p: Planner, excerpt: Excerpt) -> list[tuple["Prepared", Path]]:
    """The excerpt's prepared pages (reader.scans, from the cache where the build put them
    before the deck was started), each with a picture file of it for the first slide."""
    import hashlib

    from ..core.tasks import InProcess
    from ..scans.pages import picture, prepare

    folder = p.store.folder or p.course.root / ".reader-cache"
    if p.originals is None:
        p.originals = prepare(p.course, InProcess(), p.store)
    shelf = p.store.shelf("pictures", ".png")
    found = []
    for n, page in enumerate(p.originals.of(excerpt)):
        key = hashlib.sha256(f"{page.key}|deck|{ORIGINAL_DPI}".encode()).hexdigest()
        path = folder / "pictures" / f"{key}.png"
        if n == 0 and shelf.get(key) is None:
            shelf.put(key, picture(page, ORIGINAL_DPI), {})
        found.append((page, path))
    return found


def _plain_inline(p: Planner, text: str) -> str:
    return plain(inline_spans(text, p.lang))


def plan_questions(p: Planner, item: Questions) -> list[Slide]:
    """Numbered questions (a question never loses its number); instructor notes only in
    the instructor edition's speaker notes."""
    box = p.geometry.body
    size = p.sizes["body"]
    units: list[content.Run] = []
    if item.intro:
        style = ParaStyle(size, space_before=size * 0.5, italic=True)
        units.append(Unit([TextPart(p.key(), style, inline_spans(item.intro, p.lang))]))
    widest = f"{len(item.questions)}."
    hang = max(content.HANG, p.metrics.width(widest, size) + size * 0.4)
    style = ParaStyle(size, margin=hang, hang=hang, numbered=True, space_before=size * 0.5)
    for n, question in enumerate(item.questions, 1):
        spans = inline_spans(question.text, p.lang)
        notes = f"{n}. {plain(spans)}"
        if p.course.instructor_edition and question.notes:
            notes += f"\n   Instructor note: {_plain_inline(p, question.notes)}"
        anchor = item.question_anchor(n - 1)
        units.append(Unit([TextPart(p.key(), style, spans, anchor, anchor, notes, number=n)]))
    return p.text_slides(item, units, box, item.title_text, None)


def plan_table(p: Planner, table: Table) -> list[Slide]:
    """A native table at the largest size that fits a slide; a long one over several
    slides (header on each), a wide one in groups of columns (the first on each); then
    its chart."""
    g = p.geometry
    box = g.body_above_caption if table.source else g.body
    numeric = table.numeric_columns()
    aligns = ["right" if n else "left" for n in numeric]
    header = [Cell((Span(str(c)),), a) for c, a in zip(table.columns, aligns)]
    rows = [[Cell((Span(table.cell_text(r, c)),) if table.cell_text(r, c) else (), a)
             for c, a in enumerate(aligns)] for r in range(len(table.rows))]
    source = TableSource(header, rows, [table.row_anchor(r) for r in range(len(rows))])
    source_line = f"Source: {table.source}" if table.source else ""

    def caption() -> list[Shape]:
        if not source_line:
            return []
        return [p.line("source", "Source", source_line, g.caption, 16)]

    pages: list[tuple[Grid, list[Unit]]] = []
    for grid in grids(source, p.metrics, box.text_width, box.text_height, p.table_sizes()):
        pages.extend((grid, chunk) for chunk in p.fill(grid.units(), box))
    slides = []
    for n, (grid, chunk) in enumerate(pages, 1):
        suffix = f" ({n}/{len(pages)})" if len(pages) > 1 else ""
        shapes, _ = p.compose(chunk, box, table.label)
        shown = [r.row for u in chunk for r in u.parts if isinstance(r, RowPart)]
        lines = ["\t".join(c.text for c in grid.header)] + \
            ["\t".join(c.text for c in grid.rows[r]) for r in shown]
        notes = f"{table.label}: {table.title_text}\n" + "\n".join(lines) + \
            (f"\n{source_line}" if source_line else "")
        slides.append(p.item_slide(table, "title_only",
                                   p.title(table.title_text, suffix=suffix),
                                   [*shapes, *caption()], notes,
                                   (chunk[0].start, chunk[-1].end)))
    if table.chart is not None:
        slides.append(chart_slide(p, table))
    return slides


# --- charts ---------------------------------------------------------------------------------

CHART_PLOT_SHARE = 0.8     # of the chart's width left to the plot by axis and margins
LABEL_GAP = 0.6            # ems between two category labels


def chart_slide(p: Planner, table: Table) -> Slide:
    """A native chart of the table, titled as the table (the chart is the content).
    Category labels never collide: long names turn the bars horizontal, and labels are
    thinned (every n-th shown) until each has room."""
    chart = table.chart
    assert chart is not None
    g = p.geometry
    x = table.columns.index(chart.x)
    categories = [table.cell_text(r, x) for r in range(len(table.rows))]
    series = [(column, [table.rows[r][table.columns.index(column)]
                        for r in range(len(table.rows))]) for column in chart.y]
    size = p.min_body
    box = g.body
    kind, skip = chart_labels(p.metrics, chart.type, categories, size, box)
    description = (f"{chart.type} chart of {', '.join(chart.y)} by {chart.x}: " +
                   "; ".join(f"{categories[r]} " + ", ".join(
                       table.cell_text(r, table.columns.index(y)) for y in chart.y)
                       for r in range(len(table.rows))))
    shape = ChartShape(box, kind, categories, series, size, skip, len(chart.y) > 1,
                       description, f"{table.label} chart")
    notes = f"{table.label}: {table.title_text}\n{description}"
    anchor = table.chart_anchor
    return p.item_slide(table, "title_only", p.title(table.title_text), [shape], notes,
                        (anchor, anchor))


def chart_labels(metrics: Metrics, kind: str, labels: list[str], size: float,
                 box: Box) -> tuple[str, int]:
    """The chart's type and how many categories each label stands for (1: all shown)."""
    if not labels:
        return ("column" if kind == "bar" else "line"), 1
    widest = max(metrics.width(label, size) for label in labels) + size * LABEL_GAP
    across = box.width / EMU_PER_PT * CHART_PLOT_SHARE / len(labels)
    line = size * LINE_HEIGHT * 1.3
    if kind == "bar" and widest > across and widest <= box.width / EMU_PER_PT * 0.4:
        down = box.height / EMU_PER_PT * CHART_PLOT_SHARE / len(labels)
        return "bar", max(1, math.ceil(line / down))
    if kind == "bar" and widest > across:      # too long even beside the bars: thinned
        return "column", max(1, math.ceil(widest / across))
    return ("column" if kind == "bar" else "line"), max(1, math.ceil(widest / across))


# --- helpers ---------------------------------------------------------------------------------

def notes_of(units: list[Unit]) -> str:
    """Speaker notes for these units: their own text (a summarised paragraph: all of it),
    plain, paragraphs apart."""
    out = ""
    key = None
    table = None
    for unit in units:
        for part in unit.parts:
            if isinstance(part, RowPart):
                grid = part.table
                assert isinstance(grid, Grid)    # a RowPart is one of tables.Grid.units
                if grid is not table:
                    table = grid
                    out += ("\n\n" if out else "") + "\t".join(c.text for c in table.header)
                out += "\n" + "\t".join(c.text for c in grid.rows[part.row])
                key = None
                continue
            table = None
            text = part.note_text
            if not text:
                continue
            if part.para == key:
                out += ("\n" if part.new_line else " ") + text
            else:
                out += ("\n\n" if out else "") + text
            key = part.para
    return out


def upright_size(path: Path) -> tuple[int, int] | None:
    """Pixel size of a picture as it should be shown (EXIF orientation applied); None
    for a vector image."""
    if path.suffix.lower() == ".svg":
        return None
    from PIL import Image as PILImage

    with PILImage.open(path) as img:
        width, height = img.size
        orientation = img.getexif().get(0x0112, 1)
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def source_lines(course: Course) -> list[str]:
    """The Sources slides' lines: each work, then the readings taken from it."""
    lines = []
    for entry in course.sources():
        used = "; ".join(r.label + (f" ({r.pages_label})" if r.pages else "")
                         for r in entry.readings)
        lines.append(f"{entry.source.citation_text()} {used}.")
    return lines


# Each kind of item has its own planner (Any: each takes its own kind, which KINDS pairs).
KINDS: dict[type[Item], Callable[[Planner, Any], list[Slide]]] = {
    Essay: plan_essay, Excerpt: plan_excerpt, Questions: plan_questions, Table: plan_table}


def plan_item(p: Planner, item: Item) -> list[Slide]:
    return KINDS[type(item)](p, item)
