"""Stage 3b: the lecture deck (python-pptx, 16:9), from the same course model as the reader.

Every text frame is measured with real font metrics (textfit.py) and split
across slides before it could overflow; titles shrink, then wrap, within
their placeholder. Each item's slides carry "Reader p. N", taken from the
PDF's actual layout (the PageMap), so the two outputs always agree.
"""

from __future__ import annotations

import math
from copy import deepcopy
from dataclasses import dataclass
from typing import Callable

from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.util import Inches, Pt

from ..course.markdown import split_sentences
from ..core.files import CONTROL
from ..course.model import Course, Essay, Excerpt, Item, Part, Questions, Table
from ..course.pagemap import PageMap
from .textfit import LINE_HEIGHT, Metrics, Para, split_to_fit
from ..course.theme import Theme

SLIDE_W, SLIDE_H = Inches(13.333), Inches(7.5)
INSET_X, INSET_Y = Inches(0.1), Inches(0.05)
BULLET_INDENT = 0.375 * 72  # the master's level-1 bullet hanging indent, in points


def pt(emu: int) -> float:
    return emu / 12700


@dataclass(frozen=True)
class Box:
    left: int
    top: int
    width: int
    height: int

    @property
    def text_width(self) -> float:
        return pt(self.width - 2 * INSET_X)

    @property
    def text_height(self) -> float:
        return pt(self.height - 2 * INSET_Y)


# The default geometry (16:9), in the order a slide reads.
KICKER = Box(Inches(0.6), Inches(0.28), Inches(12.13), Inches(0.4))
TITLE = Box(Inches(0.6), Inches(0.62), Inches(12.13), Inches(1.05))
ORIGINAL_DPI = 110      # the picture of an original's first page on its slide


@dataclass(frozen=True)
class _Cited:
    """A place in the reader a slide cites: an anchor of the page map."""

    anchor: str


def typographic_quote(text: str) -> str:
    """A passage as a quotation: in quotation marks, unless it has them."""
    text = " ".join(text.split())
    return text if text[:1] in "“\"‘'" else f"“{text}”"


BODY = Box(Inches(0.6), Inches(1.8), Inches(12.13), Inches(4.75))
BODY_WITH_CAPTION = Box(Inches(0.6), Inches(1.8), Inches(12.13), Inches(4.1))
CAPTION = Box(Inches(0.6), Inches(5.95), Inches(12.13), Inches(0.8))
FOOTER = Box(Inches(8.9), Inches(6.9), Inches(3.83), Inches(0.4))


class DeckBuilder:
    def __init__(self, course: Course, theme: Theme, page_map: PageMap | None):
        self.course = course
        self.theme = theme
        self.page_map = page_map
        tokens = theme.tokens
        self.sizes = tokens["deck"]
        self.colours = {k: RGBColor.from_string(v.lstrip("#")) for k, v in
                        tokens["colours"].items()}
        self.font_name = tokens["fonts"]["deck"]
        family = tokens["fonts"]["deck_metrics"]
        self.metrics = Metrics({(b, i): theme.font_file(family, b, i)
                                for b in (False, True) for i in (False, True)
                                if theme.font_file(family, b, i)})
        self.lang = course.settings.lang
        self._run_protos: dict[tuple, object] = {}
        self._originals = None
        self._cell_protos: dict[tuple, object] = {}
        if course.deck_template is not None:
            self.prs = Presentation(str(course.deck_template))
            self._clear_slides()
            self.custom = True
        else:
            self.prs = Presentation()
            self._widen_default_template()
            self.custom = False
        self.layouts = {layout.name: layout for layout in self.prs.slide_layouts}
        _remember_partnames(self.prs)

    # --- template ------------------------------------------------------------------

    def _widen_default_template(self) -> None:
        """The built-in template is 4:3: stretch its master and layouts to 16:9."""
        factor = SLIDE_W / self.prs.slide_width
        self.prs.slide_width, self.prs.slide_height = SLIDE_W, SLIDE_H
        masters = [self.prs.slide_master, *self.prs.slide_layouts]
        for holder in masters:
            for shape in holder.shapes:
                if shape.left is not None and shape.width is not None:
                    shape.left = int(shape.left * factor)
                    shape.width = int(shape.width * factor)

    def _clear_slides(self) -> None:
        """A deck template may ship example slides; its masters and layouts are what we use."""
        slide_ids = self.prs.slides._sldIdLst
        for slide_id in list(slide_ids):
            self.prs.part.drop_rel(slide_id.rId)
            slide_ids.remove(slide_id)

    def _layout(self, *names: str, index: int):
        for name in names:
            if name in self.layouts:
                return self.layouts[name]
        layouts = self.prs.slide_layouts
        return layouts[min(index, len(layouts) - 1)]

    # --- text helpers ----------------------------------------------------------------

    def _run(self, paragraph, text: str, size: float, *, bold: bool = False,
             italic: bool = False, colour: str | None = "ink") -> None:
        """A formatted run. python-pptx takes ~0.3 ms to format one, so each style is
        formatted once and its run element copied (the same XML, a fraction of the time)."""
        key = (size, bold, italic, colour)
        proto = self._run_protos.get(key)
        if proto is None:
            run = paragraph.add_run()
            font = run.font
            font.size = Pt(size)
            font.bold = bold
            font.italic = italic
            font.name = self.font_name
            if colour:
                font.color.rgb = self.colours[colour]
            run._r.get_or_add_rPr().set("lang", self.lang)
            proto = self._run_protos[key] = deepcopy(run._r)
            element = run._r
        else:
            element = deepcopy(proto)
            paragraph._p._insert_r(element)
        # XML cannot carry control characters; inputs reject them anyway
        element.find(qn("a:t")).text = CONTROL.sub("", text)

    def _frame(self, shape, box: Box | None = None):
        if box is not None and not self.custom:
            shape.left, shape.top, shape.width, shape.height = (box.left, box.top,
                                                                box.width, box.height)
        frame = shape.text_frame
        frame.clear()
        frame.word_wrap = True
        frame.auto_size = MSO_AUTO_SIZE.NONE
        frame.margin_left = frame.margin_right = INSET_X
        frame.margin_top = frame.margin_bottom = INSET_Y
        return frame

    def _box_of(self, shape, default: Box) -> Box:
        if not self.custom:
            return default
        return Box(shape.left, shape.top, shape.width, shape.height)

    def _textbox(self, slide, box: Box, text: str, size: float, *, colour: str = "muted",
                 bold: bool = False, italic: bool = False, align=PP_ALIGN.LEFT,
                 anchor=MSO_ANCHOR.TOP, name: str | None = None) -> None:
        shape = slide.shapes.add_textbox(box.left, box.top, box.width, box.height)
        if name:
            shape.name = name
        frame = self._frame(shape)
        frame.vertical_anchor = anchor
        size = self._fit_size([text], box, size, max(size - 4, 10), bold=bold, italic=italic)
        paragraph = frame.paragraphs[0]
        paragraph.alignment = align
        self._run(paragraph, text, size, bold=bold, italic=italic, colour=colour)

    def _fit_size(self, texts: list[str], box: Box, start: float, floor: float,
                  bold: bool = False, italic: bool = False) -> float:
        size = start
        while size > floor:
            paras = [Para(t, size, bold, italic) for t in texts]
            if self.metrics.fits(paras, box.text_width, box.text_height):
                return size
            size -= 1
        return floor

    def _title(self, slide, text: str, box: Box = TITLE, colour: str = "ink",
               start: float | None = None) -> None:
        shape = slide.shapes.title
        if shape is None:
            shape = slide.shapes.add_textbox(box.left, box.top, box.width, box.height)
        box = self._box_of(shape, box)
        frame = self._frame(shape, box)
        frame.vertical_anchor = MSO_ANCHOR.BOTTOM if box is TITLE else MSO_ANCHOR.MIDDLE
        start = start or self.sizes["heading"]
        size = self._fit_size([text], box, start, 18, bold=True)
        if not self.metrics.fits([Para(text, size, True)], box.text_width, box.text_height):
            text = self._ellipsize(text, size, box)
        paragraph = frame.paragraphs[0]
        paragraph.alignment = PP_ALIGN.LEFT
        self._run(paragraph, text, size, bold=True, colour=colour)

    def _ellipsize(self, text: str, size: float, box: Box) -> str:
        words = text.split()
        while words and not self.metrics.fits([Para(" ".join(words) + "…", size, True)],
                                              box.text_width, box.text_height):
            words.pop()
        return " ".join(words) + "…"

    def _notes(self, slide, text: str) -> None:
        slide.notes_slide.notes_text_frame.text = CONTROL.sub("", text)

    def _reader_page(self, item_or_part) -> str:
        """"Reader p. N"; without a page map yet, a token the build fills in later."""
        if self.page_map is None:
            return f"Reader p. [[reader-page:{item_or_part.anchor}]]"
        if item_or_part.anchor not in self.page_map.start:
            return ""
        return f"Reader p. {self.page_map.start[item_or_part.anchor]}"

    def _chrome(self, slide, item: Item, kicker: str | None = None,
                cited: "_Cited | None" = None) -> None:
        """The small label above the title and "Reader p. N" at the foot (of the page
        ``cited``, when not the item's first)."""
        text = (kicker or item.label).upper()
        if not self.metrics.fits([Para(text, 14, True)], KICKER.text_width, KICKER.text_height):
            text = self._ellipsize(text, 14, KICKER)
        self._textbox(slide, KICKER, text, 14, colour="accent", bold=True, name="Kicker")
        page = self._reader_page(cited or item)
        if page:
            self._textbox(slide, FOOTER, page, 14, colour="muted", align=PP_ALIGN.RIGHT,
                          name="Reader page")

    def _new_slide(self, layout, name: str):
        slide = self.prs.slides.add_slide(layout)
        slide.name = name
        return slide

    # --- body text that splits across slides ------------------------------------------

    def _paged_text(self, units: list[str], box: Box, size: float, *, bullets: bool,
                    numbered_from: int | None = None, joined: bool = False) -> list[list[str]]:
        """Pack units into slides at ``size``; a unit too long for one slide is cut.

        ``joined``: the units (sentences) are shown run together as one paragraph,
        so they are measured that way.
        """
        indent = BULLET_INDENT if bullets or numbered_from is not None else 0.0
        gap = size * 0.5

        def make(chunk: list[str]) -> list[Para]:
            if joined:
                return [Para(" ".join(chunk), size, indent=indent)]
            return [Para(u, size, indent=indent, space_before=gap if n else 0)
                    for n, u in enumerate(chunk)]

        def fits(paras: list[Para]) -> bool:
            return self.metrics.fits(paras, box.text_width, box.text_height)

        pieces: list[str] = []
        for unit in units:
            if fits(make([unit])):
                pieces.append(unit)
            else:
                pieces.extend(self._cut(unit, lambda t: fits(make([t]))))
        return split_to_fit(pieces, make, fits)

    def _cut(self, text: str, fits: Callable[[str], bool]) -> list[str]:
        """Break one over-long sentence at word boundaries into pieces that fit."""
        words, pieces, current = text.split(), [], []
        for word in words:
            if current and not fits(" ".join(current + [word])):
                pieces.append(" ".join(current))
                current = []
            current.append(word)
        if current:
            pieces.append(" ".join(current))
        return pieces

    def _fill_body(self, shape, box: Box, units: list[str], size: float, *, bullets: bool,
                   italic: bool = False, numbers: list[int] | None = None) -> None:
        frame = self._frame(shape, box)
        for n, unit in enumerate(units):
            paragraph = frame.paragraphs[0] if n == 0 else frame.add_paragraph()
            paragraph.alignment = PP_ALIGN.LEFT
            if n:
                paragraph.space_before = Pt(size * 0.5)
            p_pr = paragraph._p.get_or_add_pPr()
            if numbers is not None:
                p_pr.set("marL", str(int(BULLET_INDENT * 12700)))
                p_pr.set("indent", str(int(-BULLET_INDENT * 12700)))
                auto = p_pr.makeelement(qn("a:buAutoNum"), {"type": "arabicPeriod",
                                                            "startAt": str(numbers[n])})
                self._set_bullet(p_pr, auto)
            elif not bullets:
                p_pr.set("marL", "0")
                p_pr.set("indent", "0")
                self._set_bullet(p_pr, p_pr.makeelement(qn("a:buNone"), {}))
            self._run(paragraph, unit, size, italic=italic)

    @staticmethod
    def _set_bullet(p_pr, element) -> None:
        for tag in ("a:buNone", "a:buAutoNum", "a:buChar"):
            for old in p_pr.findall(qn(tag)):
                p_pr.remove(old)
        p_pr.append(element)

    def _body_shape(self, slide, box: Box):
        for shape in slide.placeholders:
            if shape.placeholder_format.idx == 1:
                return shape, self._box_of(shape, box)
        shape = slide.shapes.add_textbox(box.left, box.top, box.width, box.height)
        return shape, box

    # --- slides ---------------------------------------------------------------------------

    def build(self, only: set[str] | None = None) -> Presentation:
        """All slides, or only the named segments (see deck_assembly.segment_names).

        ``self.segments`` records which slides each segment made, so that the
        deck can be cut into per-item groups and cached.
        """
        self.segments: list[tuple[str, int, int]] = []

        def segment(name: str, make: Callable[[], None]) -> None:
            if only is None or name in only:
                first = len(self.prs.slides)
                make()
                self.segments.append((name, first, len(self.prs.slides) - first))

        segment("title", self.title_slide)
        if self.course.parts:
            segment("agenda", self.agenda)
        for entry in self.course.entries:
            if isinstance(entry, Part):
                segment(entry.anchor, lambda part=entry: self.divider(part))
                for item in entry.items:
                    segment(item.anchor, lambda item=item: self.item(item))
            else:
                segment(entry.anchor, lambda item=entry: self.item(item))
        if self.course.excerpts:
            segment("sources", self.sources)
        self._drop_unused_placeholders()
        return self.prs

    def title_slide(self) -> None:
        s = self.course.settings
        slide = self._new_slide(self._layout("Title Slide", index=0), "title")
        box = Box(Inches(0.9), Inches(2.0), Inches(11.5), Inches(1.9))
        self._title(slide, s.title, box, colour="accent", start=self.sizes["title"])
        lines = [x for x in (s.subtitle, s.course, " · ".join(y for y in (s.instructor, s.term)
                                                              if y)) if x]
        if self.course.instructor_edition:
            lines.append("Instructor edition")
        sub_box = Box(Inches(0.9), Inches(4.1), Inches(11.5), Inches(2.2))
        shape, sub_box = self._body_shape(slide, sub_box)
        if lines:
            size = self._fit_size(lines, sub_box, 24, 18)
            self._fill_body(shape, sub_box, lines, size, bullets=False)
        else:
            shape.element.getparent().remove(shape.element)
        self._notes(slide, f"{s.title}\n{s.subtitle or ''}\nReader: {len(self.course.items)} "
                           "items.")

    def agenda(self) -> None:
        lines = [f"{p.label}: {p.title_text}" for p in self.course.parts]
        layout = self._layout("Title and Content", index=1)
        pages = self._paged_text(lines, BODY, self.sizes["body"], bullets=True)
        for n, chunk in enumerate(pages, 1):
            slide = self._new_slide(layout, "agenda")
            suffix = f" ({n}/{len(pages)})" if len(pages) > 1 else ""
            self._title(slide, "Agenda" + suffix)
            shape, box = self._body_shape(slide, BODY)
            self._fill_body(shape, box, chunk, self.sizes["body"], bullets=True)
            self._notes(slide, "Parts of this course:\n" + "\n".join(chunk))

    def divider(self, part: Part) -> None:
        slide = self._new_slide(self._layout("Section Header", index=2), part.anchor)
        if not self.custom:
            fill = slide.background.fill
            fill.solid()
            fill.fore_color.rgb = self.colours["accent"]
        box = Box(Inches(0.9), Inches(3.2), Inches(11.5), Inches(1.8))
        self._title(slide, part.title_text, box,
                    colour="paper" if not self.custom else "ink", start=self.sizes["title"])
        label_box = Box(Inches(0.9), Inches(2.4), Inches(11.5), Inches(0.7))
        shape, label_box = self._body_shape(slide, label_box)
        frame = self._frame(shape, label_box)
        paragraph = frame.paragraphs[0]
        self._run(paragraph, part.label.upper(), 20, bold=True,
                  colour="paper" if not self.custom else "accent")
        page = self._reader_page(part)
        items = "\n".join(f"{i.label}: {i.title_text}" for i in part.items)
        self._notes(slide, f"{part.label}: {part.title_text}\n{page}\n\n{items}")

    def item(self, item: Item) -> None:
        if isinstance(item, Essay):
            self.essay(item)
        elif isinstance(item, Excerpt):
            self.excerpt(item)
        elif isinstance(item, Questions):
            self.questions(item)
        elif isinstance(item, Table):
            self.table(item)

    def _counted(self, title: str, n: int, total: int) -> str:
        return f"{title} ({n}/{total})" if total > 1 else title

    def essay(self, essay: Essay) -> None:
        doc = essay.doc
        assert doc is not None
        opener = self._new_slide(self._layout("Title Only", index=5), essay.anchor)
        self._chrome(opener, essay)
        box = Box(Inches(0.6), Inches(2.2), Inches(12.13), Inches(2.2))
        self._title(opener, essay.title_text, box, start=self.sizes["title"])
        byline = essay.author
        if byline:
            self._textbox(opener, Box(Inches(0.6), Inches(4.5), Inches(12.13), Inches(0.6)),
                          byline, 20, colour="muted")
        self._notes(opener, f"{essay.label}: {essay.title_text}\n\n{doc.text}")
        layout = self._layout("Title and Content", index=1)
        size = self.sizes["body"]
        if essay.slides:
            self._pictures(essay)
            pages = self._paged_text(essay.slides, BODY, size, bullets=True)
            for n, chunk in enumerate(pages, 1):
                slide = self._new_slide(layout, essay.anchor)
                self._chrome(slide, essay, f"{essay.label} · {essay.title_text}")
                self._title(slide, self._counted(essay.title_text, n, len(pages)))
                shape, box = self._body_shape(slide, BODY)
                self._fill_body(shape, box, chunk, size, bullets=True)
                self._notes(slide, doc.text)
            return
        self._pictures(essay)
        sections = [(s.heading, _first_sentences(s.paragraphs), "\n\n".join(s.paragraphs))
                    for s in doc.sections]
        if not sections:
            sections = [(essay.title_text, _first_sentences(doc.paragraphs), doc.text)]
        for heading, points, notes in sections:
            pages = self._paged_text(points or [heading], BODY, size, bullets=True)
            for n, chunk in enumerate(pages, 1):
                slide = self._new_slide(layout, essay.anchor)
                self._chrome(slide, essay, f"{essay.label} · {essay.title_text}")
                self._title(slide, self._counted(heading, n, len(pages)))
                shape, box = self._body_shape(slide, BODY)
                self._fill_body(shape, box, chunk, size, bullets=True)
                self._notes(slide, f"{heading}\n\n{notes}")

    def _pictures(self, essay: Essay) -> None:
        """Each image of an essay on a slide of its own, scaled to fit, with its alt text."""
        from PIL import Image as PILImage

        layout = self._layout("Title Only", index=5)
        for image in essay.doc.images:
            if image.path.suffix.lower() == ".svg":
                continue  # PowerPoint needs a raster here; the reader prints the SVG
            with PILImage.open(image.path) as img:
                width, height = img.size
                data = None
                if img.format not in ("PNG", "JPEG", "GIF"):
                    import io

                    buffer = io.BytesIO()
                    img.convert("RGBA").save(buffer, "PNG")
                    data = buffer
            slide = self._new_slide(layout, essay.anchor)
            self._chrome(slide, essay, f"{essay.label} · {essay.title_text}")
            self._title(slide, image.alt or "Figure")
            scale = min(BODY.width / width, BODY.height / height)
            w, h = int(width * scale), int(height * scale)
            left = BODY.left + (BODY.width - w) // 2
            picture = slide.shapes.add_picture(data or str(image.path), left, BODY.top, w, h)
            picture.name = "Figure"
            picture._element.nvPicPr.cNvPr.set("descr", image.alt or "")
            self._notes(slide, f"Figure in {essay.label}: {image.alt or image.path.name}")

    def excerpt(self, excerpt: Excerpt) -> None:
        if excerpt.original is not None:
            self.original_excerpt(excerpt)
            return
        doc = excerpt.doc
        assert doc is not None
        attribution = excerpt.attribution
        sentences = [s for p in doc.paragraphs for s in split_sentences(p)]
        size = self.sizes["quote"]
        pages = self._paged_text(sentences, BODY_WITH_CAPTION, size, bullets=False,
                                 joined=True)
        layout = self._layout("Title and Content", index=1)
        notes = f"{doc.text}\n\nSource: {attribution}"
        if excerpt.headnote:
            notes = f"{excerpt.headnote}\n\n{notes}"
        for n, chunk in enumerate(pages, 1):
            slide = self._new_slide(layout, excerpt.anchor)
            self._chrome(slide, excerpt)
            self._title(slide, self._counted(excerpt.title_text, n, len(pages)))
            shape, box = self._body_shape(slide, BODY_WITH_CAPTION)
            self._fill_body(shape, box, [" ".join(chunk)], size, bullets=False)
            self._textbox(slide, CAPTION, f"— {attribution}", 16, colour="muted", italic=True,
                          name="Attribution")
            self._notes(slide, notes)

    def original_excerpt(self, excerpt: Excerpt) -> None:
        """An excerpt from a PDF or images: a slide with a picture of its first page and
        where it is in the reader ("Reader pp. 41-47"); then each passage of ``slides:``
        as a quotation, cited to the reader page it falls on (found in the page's text)."""
        import io

        from ..scans.pages import page_of_passage, picture

        assert excerpt.original is not None
        pages = self._original_pages().of(excerpt)
        attribution = excerpt.attribution
        slide = self._new_slide(self._layout("Title Only", index=5), excerpt.anchor)
        self._chrome(slide, excerpt)
        self._title(slide, excerpt.title_text)
        if pages:
            record = pages[0].record
            height = BODY.height
            width = int(height * record.width / record.height)
            shot = slide.shapes.add_picture(io.BytesIO(picture(pages[0], ORIGINAL_DPI)),
                                            BODY.left, BODY.top, width, height)
            shot.name = "First page"
            shot.line.color.rgb = self.colours["muted"]
            shot.line.width = Pt(0.75)
            shot._element.nvPicPr.cNvPr.set(
                "descr", f"The first page of {excerpt.title_text} (p. {pages[0].printed} of "
                         "the original)")
            right = BODY.left + width + Inches(0.4)
        else:
            right = BODY.left
        box = Box(right, BODY.top, BODY.left + BODY.width - right, Inches(1.0))
        span = f"[[reader-page:{excerpt.anchor}]]–[[reader-page:{excerpt.anchor}-p{len(pages)}]]"
        self._textbox(slide, box, f"Reader pp. {span}", 28, colour="ink", bold=True,
                      name="Reader pages")
        lower = Box(right, BODY.top + Inches(1.1), box.width, BODY.height - Inches(1.1))
        self._textbox(slide, lower, f"{excerpt.original_intro} {attribution}.", 18,
                      colour="muted", name="Attribution")
        notes = f"{excerpt.label}: {excerpt.title_text}\n\nSource: {attribution}"
        self._notes(slide, f"{excerpt.headnote}\n\n{notes}" if excerpt.headnote else notes)
        layout = self._layout("Title and Content", index=1)
        size = self.sizes["quote"]
        for quote in excerpt.original.quotes:
            found = page_of_passage(quote, pages)
            at = _Cited(f"{excerpt.anchor}-p{found + 1}" if found is not None
                        else excerpt.anchor)
            slide = self._new_slide(layout, excerpt.anchor)
            self._chrome(slide, excerpt, cited=at)
            self._title(slide, excerpt.title_text)
            shape, box = self._body_shape(slide, BODY_WITH_CAPTION)
            text = typographic_quote(quote)
            chunk = self._paged_text([text], BODY_WITH_CAPTION, size, bullets=False,
                                     joined=True)[0]
            self._fill_body(shape, box, [" ".join(chunk)], size, bullets=False)
            work = attribution.removesuffix(f", {excerpt.pages_label}") \
                if excerpt.pages_label else attribution
            cite = f"{work}, p. {pages[found].printed}" if found is not None else attribution
            self._textbox(slide, CAPTION, f"— {cite}", 16, colour="muted", italic=True,
                          name="Attribution")
            self._notes(slide, notes)

    def _original_pages(self):  # noqa: ANN202
        """The course's prepared original pages (reader.scans): from the cache, where the
        build put them before the deck was started."""
        if self._originals is None:
            from ..core.tasks import InProcess
            from ..scans.pages import prepare

            self._originals = prepare(self.course, InProcess(),
                                      self.course.root / ".reader-cache")
        return self._originals

    def questions(self, item: Questions) -> None:
        size = self.sizes["body"]
        texts = [self._plain(q.text) for q in item.questions]
        numbered = {t: n for n, t in enumerate(texts, 1)}
        pages = self._paged_text(texts, BODY, size, bullets=False, numbered_from=1)
        layout = self._layout("Title and Content", index=1)
        start = 1
        for n, chunk in enumerate(pages, 1):
            slide = self._new_slide(layout, item.anchor)
            self._chrome(slide, item)
            self._title(slide, self._counted(item.title_text, n, len(pages)))
            shape, box = self._body_shape(slide, BODY)
            numbers = []
            for unit in chunk:  # a question cut over two slides keeps its number
                numbers.append(numbered.get(unit, numbers[-1] if numbers else start))
            self._fill_body(shape, box, chunk, size, bullets=False, numbers=numbers)
            start = numbers[-1] if numbers else start
            lines = []
            for unit, number in zip(chunk, numbers):
                question = item.questions[number - 1]
                lines.append(f"{number}. {unit}")
                if self.course.instructor_edition and question.notes:
                    lines.append(f"   Instructor note: {self._plain(question.notes)}")
            self._notes(slide, "\n".join(lines))

    def _plain(self, text: str) -> str:
        from ..course.markdown import typographic

        return typographic(text, self.lang)

    # --- tables and charts -------------------------------------------------------------------

    def table(self, table: Table) -> None:
        numeric = table.numeric_columns()
        header = [str(c) for c in table.columns]
        rows = [[table.cell_text(r, c) for c in range(len(header))]
                for r in range(len(table.rows))]
        box = BODY_WITH_CAPTION if table.source else BODY
        size, widths = self._table_geometry(header, rows, box)
        heights = [self._row_height(cells, widths, size, bold=(n == 0))
                   for n, cells in enumerate([header] + rows)]
        pages: list[list[int]] = []
        current: list[int] = []
        used = heights[0]
        for r in range(len(rows)):
            if current and used + heights[r + 1] > box.height:
                pages.append(current)
                current, used = [], heights[0]
            current.append(r)
            used += heights[r + 1]
        if current:
            pages.append(current)
        layout = self._layout("Title Only", index=5)
        for n, chunk in enumerate(pages, 1):
            slide = self._new_slide(layout, table.anchor)
            self._chrome(slide, table)
            self._title(slide, self._counted(table.title_text, n, len(pages)))
            left = box.left + max(0, (box.width - sum(widths)) // 2)
            shape = slide.shapes.add_table(len(chunk) + 1, len(header), left, box.top,
                                           sum(widths), sum(heights[i + 1] for i in chunk)
                                           + heights[0])
            shape.name = f"{table.label} table"
            grid = shape.table
            grid.first_row = True
            for c, width in enumerate(widths):
                grid.columns[c].width = width
            grid.rows[0].height = heights[0]
            for c, text in enumerate(header):
                self._cell(grid.cell(0, c), text, size, bold=True, numeric=numeric[c],
                           fill="accent", colour="paper")
            for out_row, r in enumerate(chunk, 1):
                grid.rows[out_row].height = heights[r + 1]
                for c, text in enumerate(rows[r]):
                    self._cell(grid.cell(out_row, c), text, size, numeric=numeric[c],
                               fill="tint" if out_row % 2 == 0 else "paper")
            if table.source:
                self._textbox(slide, CAPTION, f"Source: {table.source}", 16, colour="muted",
                              name="Source")
            lines = ["\t".join(header)] + ["\t".join(rows[r]) for r in chunk]
            self._notes(slide, f"{table.label}: {table.title_text}\n" + "\n".join(lines) +
                        (f"\nSource: {table.source}" if table.source else ""))
        if table.chart:
            self.chart(table)

    def _table_geometry(self, header: list[str], rows: list[list[str]],
                        box: Box) -> tuple[float, list[int]]:
        """Pick a cell size (18 pt, smaller only for very wide tables) and column widths."""
        margin = 2 * pt(INSET_X)
        for size in (18, 16, 14):
            natural = [max(self.metrics.width(cells[c], size, bold=(n == 0)) + margin
                           for n, cells in enumerate([header] + rows))
                       for c in range(len(header))]
            longest_word = [max(self.metrics.width(w, size, bold=True) + margin
                                for cells in [header] + rows for w in cells[c].split() or [""])
                            for c in range(len(header))]
            total = pt(box.width)
            if sum(natural) <= total:
                widths = natural
            else:
                spare = total - sum(longest_word)
                if spare < 0 and size > 14:
                    continue
                extra = [max(n - w, 0) for n, w in zip(natural, longest_word)]
                scale = max(spare, 0) / sum(extra) if sum(extra) else 0
                widths = [w + e * scale for w, e in zip(longest_word, extra)]
            widths_emu = [math.ceil(w * 12700) + 1 for w in widths]
            if sum(widths_emu) > box.width:
                widths_emu = [int(w * box.width / sum(widths_emu)) for w in widths_emu]
            return size, widths_emu
        return 14, [int(box.width / len(header))] * len(header)

    def _row_height(self, cells: list[str], widths: list[int], size: float, bold: bool) -> int:
        lines = max(len(self.metrics.wrap(text, size, pt(w) - 2 * pt(INSET_X), bold=bold))
                    for text, w in zip(cells, widths))
        return int((lines * size * LINE_HEIGHT + 2 * pt(INSET_Y) + 2) * 12700)

    def _cell(self, cell, text: str, size: float, *, bold: bool = False, numeric: bool,
              fill: str, colour: str = "ink") -> None:
        """A formatted table cell; as with runs, each style is formatted once and copied."""
        key = (size, bold, numeric, fill, colour)
        proto = self._cell_protos.get(key)
        if proto is None:
            cell.margin_left = cell.margin_right = INSET_X
            cell.margin_top = cell.margin_bottom = INSET_Y
            cell.fill.solid()
            cell.fill.fore_color.rgb = self.colours[fill]
            frame = cell.text_frame
            frame.clear()
            frame.word_wrap = True
            paragraph = frame.paragraphs[0]
            paragraph.alignment = PP_ALIGN.RIGHT if numeric else PP_ALIGN.LEFT
            self._run(paragraph, "", size, bold=bold, colour=colour)
            proto = self._cell_protos[key] = deepcopy(cell._tc)
        element = deepcopy(proto)
        element.find(".//" + qn("a:t")).text = CONTROL.sub("", text)
        cell._tc.getparent().replace(cell._tc, element)

    def chart(self, table: Table) -> None:
        chart = table.chart
        assert chart is not None
        x = table.columns.index(chart.x)
        data = CategoryChartData()
        data.categories = [table.cell_text(r, x) for r in range(len(table.rows))]
        for column in chart.y:
            col = table.columns.index(column)
            data.add_series(column, [table.rows[r][col] for r in range(len(table.rows))])
        slide = self._new_slide(self._layout("Title Only", index=5), table.anchor)
        self._chrome(slide, table)
        self._title(slide, f"{table.title_text} (chart)")
        kind = XL_CHART_TYPE.COLUMN_CLUSTERED if chart.type == "bar" else \
            XL_CHART_TYPE.LINE_MARKERS
        frame = slide.shapes.add_chart(kind, BODY.left, BODY.top, BODY.width, BODY.height, data)
        frame.name = f"{table.label} chart"
        description = (f"{chart.type} chart of {', '.join(chart.y)} by {chart.x}: " +
                       "; ".join(f"{table.cell_text(r, x)} " + ", ".join(
                           table.cell_text(r, table.columns.index(y)) for y in chart.y)
                           for r in range(len(table.rows))))
        frame._element.nvGraphicFramePr.cNvPr.set("descr", description)
        graph = frame.chart
        graph.font.size = Pt(16)
        graph.font.name = self.font_name
        graph.has_legend = len(chart.y) > 1
        if graph.has_legend:
            graph.legend.position = XL_LEGEND_POSITION.TOP
            graph.legend.include_in_layout = False
        palette = [self.colours[k] for k in ("accent", "accent2", "accent3", "accent4")]
        for n, series in enumerate(graph.plots[0].series):
            colour = palette[n % len(palette)]
            if chart.type == "bar":
                series.format.fill.solid()
                series.format.fill.fore_color.rgb = colour
            else:
                series.format.line.color.rgb = colour
                series.marker.format.fill.solid()
                series.marker.format.fill.fore_color.rgb = colour
        self._notes(slide, f"{table.label}: {table.title_text}\n{description}")

    # --- sources -----------------------------------------------------------------------

    def sources(self) -> None:
        lines = source_lines(self.course)
        size = 20
        pages = self._paged_text(lines, BODY, size, bullets=True)
        layout = self._layout("Title and Content", index=1)
        for n, chunk in enumerate(pages, 1):
            slide = self._new_slide(layout, "sources")
            self._title(slide, self._counted("Sources", n, len(pages)))
            shape, box = self._body_shape(slide, BODY)
            self._fill_body(shape, box, chunk, size, bullets=True)
            self._notes(slide, "\n".join(chunk))

    def _drop_unused_placeholders(self) -> None:
        """Empty placeholders show "Click to add text" in PowerPoint: remove them."""
        for slide in self.prs.slides:
            for shape in list(slide.placeholders):
                if shape.has_text_frame and not shape.text_frame.text.strip():
                    shape.element.getparent().remove(shape.element)


def _remember_partnames(prs: Presentation) -> None:
    """python-pptx walks every part to name each new notes slide or chart, which makes
    a deck quadratic in its slides (1,000 slides: 9.4 s). Remember the names used."""
    from pptx.opc.packuri import PackURI

    package = prs.part.package
    used: dict[str, set[str]] = {}

    def next_partname(tmpl: str) -> PackURI:
        prefix = tmpl[: (tmpl % 42).find("42")]
        if prefix not in used:
            used[prefix] = {str(p.partname) for p in package.iter_parts()
                            if p.partname.startswith(prefix)}
        names = used[prefix]
        n = len(names) + 1
        while tmpl % n in names:
            n += 1
        names.add(tmpl % n)
        return PackURI(tmpl % n)

    package.next_partname = next_partname


def _first_sentences(paragraphs: list[str]) -> list[str]:
    """One point per paragraph: its opening sentence, which carries its claim."""
    return [split_sentences(p)[0] for p in paragraphs if split_sentences(p)]


def set_core_properties(prs: Presentation, course: Course) -> None:
    """Title, author and language in the file's properties. Dates are set when the package
    is finished (join.normalise_zip), from core.dates."""
    s = course.settings
    props = prs.core_properties
    props.title = s.title
    props.author = s.instructor or ""
    props.subject = s.course or ""
    props.language = s.lang
    props.keywords = ", ".join(k for k in (s.course, s.term) if k)
    props.last_modified_by = "reader"
    props.revision = 1


def source_lines(course: Course) -> list[str]:
    """The Sources slides' lines: each work, then the readings taken from it."""
    lines = []
    for entry in course.sources():
        used = "; ".join(r.label + (f" ({r.pages_label})" if r.pages else "")
                         for r in entry.readings)
        lines.append(f"{entry.source.citation_text()} {used}.")
    return lines
