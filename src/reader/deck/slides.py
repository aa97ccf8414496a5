"""The slide plan (plan.py) as a python-pptx Presentation: layouts, frames, tables,
charts, pictures and notes, exactly as planned. Nothing is measured here; every
private-API workaround is in pptx_compat.py.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE
from pptx.util import Emu, Pt

from ..core.files import CONTROL
from ..course.manifest import DeckTemplate
from ..course.model import Course
from ..errors import CourseError, Problem
from ..course.theme import Theme
from . import pptx_compat as compat
from .plan import (EMU_PER_PT, INSET_X, INSET_Y, Box, ChartShape, Geometry, PictureShape,
                   Segment, Slide, TableShape, TextFrame)
from .tables import PAD_X, PAD_Y

if TYPE_CHECKING:   # pptx.Presentation is the function that opens one; this is its class
    from pptx.presentation import Presentation as PptxPresentation

# plan layout -> (names a template may give it, index in the default template)
LAYOUTS = {"cover": (("Title Slide",), 0), "content": (("Title and Content",), 1),
           "section": (("Section Header",), 2), "title_only": (("Title Only",), 5)}
# frames that go into the layout's second placeholder (idx 1) when it has one
PLACEHOLDER_ROLES = {"body", "subtitle", "label"}
ANCHORS = {"top": MSO_ANCHOR.TOP, "middle": MSO_ANCHOR.MIDDLE, "bottom": MSO_ANCHOR.BOTTOM}
CHART_TYPES = {"column": XL_CHART_TYPE.COLUMN_CLUSTERED, "bar": XL_CHART_TYPE.BAR_CLUSTERED,
               "line": XL_CHART_TYPE.LINE_MARKERS}

def open_template(template: DeckTemplate):  # noqa: ANN201 (python-pptx's Presentation)
    """The course's template, opened with its slides removed.

    The manifest's check (well-formed parts, a master, a layout) passes files that
    python-pptx still cannot read (a part of the wrong type, a broken relationship):
    whatever python-pptx raises on a user's file is that file's problem, located where
    course.yaml names it, never a traceback."""
    try:
        prs = Presentation(str(template.path))
        compat.clear_slides(prs)
        if not len(prs.slide_layouts):
            raise ValueError("no slide layout")
    except Exception as exc:  # noqa: BLE001 - any failure to read a user's file
        raise CourseError(Problem(template.where, (
            f"'deck_template': '{template.path.name}' cannot be opened as a presentation "
            f"({type(exc).__name__}: {str(exc)[:80]}); save it again as .pptx in PowerPoint "
            "or LibreOffice"))) from None
    return prs


class DeckWriter:
    """One Presentation: the course's template (or the default, made 16:9), and slides."""

    def __init__(self, course: Course, theme: Theme):
        tokens = theme.tokens
        self.colours = {k: RGBColor.from_string(v.lstrip("#"))
                        for k, v in tokens["colours"].items()}
        self.font = tokens["fonts"]["deck"]
        self.series = [RGBColor.from_string(v.lstrip("#")) for v in theme.series_colours()]
        if course.deck_template is not None:
            self.prs = open_template(course.deck_template)
            self.custom = True
        else:
            self.prs = Presentation()
            self._widen_default_template()
            self.custom = False
        self.layouts = {layout.name: layout for layout in self.prs.slide_layouts}
        compat.remember_partnames(self.prs)
        self.runs = compat.Runs(self.font, course.settings.lang, self.colours.__getitem__)
        self.cells = compat.Cells()

    # --- the template ----------------------------------------------------------------------

    def _widen_default_template(self) -> None:
        """The built-in template is 4:3: stretch its master and layouts to 16:9."""
        geometry = Geometry()
        factor = geometry.width / self.prs.slide_width
        self.prs.slide_width, self.prs.slide_height = geometry.width, geometry.height
        for holder in [self.prs.slide_master, *self.prs.slide_layouts]:
            for shape in holder.shapes:
                if shape.left is not None and shape.width is not None:
                    shape.left = int(shape.left * factor)
                    shape.width = int(shape.width * factor)

    def layout(self, kind: str):  # noqa: ANN201
        names, index = LAYOUTS[kind]
        for name in names:
            if name in self.layouts:
                return self.layouts[name]
        layouts = self.prs.slide_layouts
        return layouts[min(index, len(layouts) - 1)]

    @property
    def geometry(self) -> Geometry:
        """The default boxes, or a template's own placeholders' boxes."""
        default = Geometry()
        if not self.custom:
            return default

        def box(kind: str, idx: int, fallback: Box) -> Box:
            for shape in self.layout(kind).placeholders:
                if shape.placeholder_format.idx == idx and shape.width:
                    return Box(shape.left, shape.top, shape.width, shape.height)
            return fallback

        return Geometry(
            width=self.prs.slide_width, height=self.prs.slide_height, custom=True,
            title=box("content", 0, default.title), body=box("content", 1, default.body),
            opener_title=box("title_only", 0, default.opener_title),
            cover_title=box("cover", 0, default.cover_title),
            cover_subtitle=box("cover", 1, default.cover_subtitle),
            section_title=box("section", 0, default.section_title),
            section_label=box("section", 1, default.section_label))

    # --- slides ----------------------------------------------------------------------------

    def write(self, segments: list[Segment]
              ) -> tuple[PptxPresentation, list[tuple[str, int, int]]]:
        """All the segments' slides; and (name, first slide, count) for each segment."""
        spans = []
        for segment in segments:
            first = len(self.prs.slides)
            for planned in segment.slides:
                self.slide(planned)
            spans.append((segment.name, first, len(self.prs.slides) - first))
        return self.prs, spans

    def slide(self, planned: Slide) -> None:
        slide = self.prs.slides.add_slide(self.layout(planned.layout))
        slide.name = planned.segment
        if planned.background and not self.custom:
            fill = slide.background.fill
            fill.solid()
            fill.fore_color.rgb = self.colours[planned.background]
        self.title(slide, planned.title)
        second = next((s for s in slide.placeholders if s.placeholder_format.idx == 1), None)
        for shape in planned.shapes:
            if isinstance(shape, TextFrame) and shape.role in PLACEHOLDER_ROLES and \
                    second is not None:
                self.text(slide, shape, second)
                second = None
            else:
                WRITERS[type(shape)](self, slide, shape)
        slide.notes_slide.notes_text_frame.text = CONTROL.sub("", planned.notes)
        compat.drop_empty_placeholders(slide)

    def title(self, slide, frame: TextFrame) -> None:  # noqa: ANN001
        b = frame.box
        shape = slide.shapes.title
        if shape is None:
            shape = compat.add_title_placeholder(slide, b.left, b.top, b.width, b.height)
        self.text(slide, frame, shape)
        compat.first_in_reading_order(shape)

    def text(self, slide, frame: TextFrame, shape=None) -> None:  # noqa: ANN001
        b = frame.box
        if shape is None:
            shape = slide.shapes.add_textbox(b.left, b.top, b.width, b.height)
        else:
            shape.left, shape.top, shape.width, shape.height = b.left, b.top, b.width, b.height
        shape.name = frame.name
        tf = shape.text_frame
        tf.clear()
        tf.word_wrap = True
        tf.auto_size = MSO_AUTO_SIZE.NONE
        tf.margin_left = tf.margin_right = INSET_X
        tf.margin_top = tf.margin_bottom = INSET_Y
        tf.vertical_anchor = ANCHORS[frame.anchor]
        for n, para in enumerate(frame.paragraphs):
            paragraph = tf.paragraphs[0] if n == 0 else tf.add_paragraph()
            compat.set_paragraph(paragraph, level=para.level,
                                 margin_emu=round(para.margin * EMU_PER_PT),
                                 indent_emu=-round(para.hang * EMU_PER_PT),
                                 bullet=para.bullet, number=para.number,
                                 space_before=para.space_before, align=para.align)
            for run in para.runs:
                self.runs.add(paragraph, run.text, run.size, run.bold, run.italic, run.strike,
                              run.colour)

    def table(self, slide, planned: TableShape) -> None:  # noqa: ANN001
        grid = planned.grid
        b = planned.box
        heights = [grid.header_height] + [grid.row_heights[r] for r in planned.rows]
        widths = grid.widths_emu
        frame = slide.shapes.add_table(len(heights), len(widths), b.left, b.top,
                                       sum(widths), b.height)
        frame.name = planned.name
        table = frame.table
        table.first_row = True
        for c, width in enumerate(widths):
            table.columns[c].width = Emu(width)
        rows = [grid.header] + [grid.rows[r] for r in planned.rows]
        for r, (cells, height) in enumerate(zip(rows, heights)):
            table.rows[r].height = Emu(round(height * EMU_PER_PT))
            fill = "accent" if r == 0 else ("tint" if r % 2 == 0 else "paper")
            colour = "paper" if r == 0 else "ink"
            for c, cell in enumerate(cells):
                self.cell(table.cell(r, c), cell, grid.size, r == 0, fill, colour)

    def cell(self, cell, planned, size: float, header: bool, fill: str,  # noqa: ANN001
             colour: str) -> None:
        def format_cell(target) -> None:  # noqa: ANN001
            target.margin_left = target.margin_right = Emu(round(PAD_X * EMU_PER_PT))
            target.margin_top = target.margin_bottom = Emu(round(PAD_Y * EMU_PER_PT))
            target.fill.solid()
            target.fill.fore_color.rgb = self.colours[fill]
            tf = target.text_frame
            tf.clear()
            tf.word_wrap = True
            compat.set_paragraph(tf.paragraphs[0], level=0, margin_emu=0, indent_emu=0,
                                 bullet=None, number=None, space_before=0,
                                 align=planned.align)

        target = self.cells.replace(cell, (fill, planned.align), format_cell)
        paragraph = target.text_frame.paragraphs[0]
        for span in planned.spans:
            self.runs.add(paragraph, span.text, size, span.bold or header, span.italic,
                          span.strike, colour)

    def chart(self, slide, planned: ChartShape) -> None:  # noqa: ANN001
        data = CategoryChartData()
        data.categories = planned.categories
        for name, values in planned.series:
            data.add_series(name, values)
        b = planned.box
        frame = slide.shapes.add_chart(CHART_TYPES[planned.kind], b.left, b.top, b.width,
                                       b.height, data)
        frame.name = planned.name
        compat.set_alt_text(frame, planned.descr)
        chart = frame.chart
        chart.font.size = Pt(planned.font_size)
        chart.font.name = self.font
        chart.has_title = False             # the slide's title is the chart's
        chart.has_legend = planned.legend
        if planned.legend:
            chart.legend.position = XL_LEGEND_POSITION.TOP
            chart.legend.include_in_layout = False
        if planned.kind == "bar":            # horizontal: the first category on top
            chart.category_axis.reverse_order = True
        compat.thin_category_labels(chart, planned.label_skip)
        for n, series in enumerate(chart.plots[0].series):
            colour = self.series[n % len(self.series)]
            if planned.kind == "line":
                series.format.line.color.rgb = colour
                series.marker.format.fill.solid()
                series.marker.format.fill.fore_color.rgb = colour
            else:
                series.format.fill.solid()
                series.format.fill.fore_color.rgb = colour

    def picture(self, slide, planned: PictureShape) -> None:  # noqa: ANN001
        b = planned.box
        shape = slide.shapes.add_picture(upright_image(planned.path), b.left, b.top,
                                         b.width, b.height)
        shape.name = planned.name
        compat.set_alt_text(shape, planned.descr)


def upright_image(path: Path) -> io.BytesIO | str:
    """The picture as the slide must show it: EXIF orientation applied (PowerPoint and
    LibreOffice ignore the tag), in a format PowerPoint takes (PNG, JPEG, GIF)."""
    from PIL import Image as PILImage, ImageOps

    with PILImage.open(path) as img:
        orientation = img.getexif().get(0x0112, 1)
        if img.format in ("PNG", "JPEG", "GIF") and orientation == 1:
            return str(path)
        upright = ImageOps.exif_transpose(img)
        buffer = io.BytesIO()
        if img.format == "JPEG":
            upright.save(buffer, "JPEG", quality=95)
        else:
            upright.convert("RGBA").save(buffer, "PNG")
        buffer.seek(0)
        return buffer


WRITERS: dict[type, Callable] = {TextFrame: DeckWriter.text, TableShape: DeckWriter.table,
                                 ChartShape: DeckWriter.chart,
                                 PictureShape: DeckWriter.picture}


def set_core_properties(prs: PptxPresentation, course: Course) -> None:
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
