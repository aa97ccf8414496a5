"""The reader's HTML: Jinja2 templates (sandboxed, autoescaped) over the course model."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from ..course.model import Course, Table
from ..course.theme import Theme, template_loader
from ..errors import CourseError, Location, Problem
from .furniture import running_head
from .typeset import hyphenation_language

if TYPE_CHECKING:
    from .tables import Fit


class HtmlBuilder:
    """Renders the Jinja templates (sandboxed, autoescaped) for any set of sections."""

    def __init__(self, course: Course, theme: Theme, charts: dict[str, str],
                 fits: dict[str, "Fit"] | None = None,
                 originals: dict[str, list[dict]] | None = None):
        self.course = course
        self.theme = theme
        self.charts = charts
        self.originals = originals or {}    # pictures of original pages (single document)
        self.table_fits = {anchor: fit.template_data() for anchor, fit in (fits or {}).items()}
        self.env = SandboxedEnvironment(loader=template_loader(theme),
                                        autoescape=True, undefined=StrictUndefined)
        self.env.filters["running_head"] = running_head
        try:
            self.template = self.env.get_template("reader.html.j2")
        except TemplateError as exc:
            raise _template_error(exc, theme) from None
        self.theme_css = theme.css_variables()

    def render(self, sections: list[dict], *, front: bool = False,
               toc_pages: dict[str, str] | None = None, body_start: int | None = None,
               extra_css: str = "") -> str:
        try:
            return self.template.render(
                course=self.course, sections=sections, front=front, toc_pages=toc_pages,
                body_start=body_start, charts=self.charts, table_fits=self.table_fits,
                originals=self.originals,
                hyphenation_lang=hyphenation_language(self.course.settings.lang),
                theme_css=self.theme_css + "\n" + extra_css)
        except TemplateError as exc:
            raise _template_error(exc, self.theme) from None


def _template_error(exc: TemplateError, theme: Theme) -> CourseError:
    """A template's mistake, located: a syntax error carries its line; an error while the
    template runs (an undefined name, a refused call) is found in the traceback, whose
    frames Jinja2 maps back to the template's file and line."""
    name = getattr(exc, "filename", None) or getattr(exc, "name", None)
    line = getattr(exc, "lineno", None)
    if line is None:
        name, line = _template_frame(exc) or (name, None)
    return CourseError(Problem(Location(Path(name or "reader.html.j2"), line, None, theme.root),
                               f"template error: {exc.message or exc}; fix or remove this "
                               "template override"))


def _template_frame(exc: BaseException) -> tuple[str, int] | None:
    """The innermost traceback frame that runs a template (a .j2 file)."""
    found = None
    frame = exc.__traceback__
    while frame is not None:
        filename = frame.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            found = (filename, frame.tb_lineno)
        frame = frame.tb_next
    return found


def chart_placeholders(course: Course, theme: Theme) -> dict[str, str]:
    """Stand-ins for chart drawings, named by their data and what draws them, for computing
    cache keys."""
    import hashlib
    import json
    from importlib.metadata import version

    tables = [i for i in course.items if isinstance(i, Table) and i.chart]
    if not tables:
        return {}
    from .charts import STYLE

    drawer = f"{STYLE} matplotlib {version('matplotlib')}"
    marks = {}
    for table in tables:
        spec = json.dumps([drawer, table.columns, table.rows, vars(table.chart), theme.tokens],
                          sort_keys=True, default=str)
        marks[table.anchor] = f"<!--reader-chart {hashlib.sha256(spec.encode()).hexdigest()}-->"
    return marks


def chart_jobs(course: Course, placeholders: dict[str, str], html: str
               ) -> dict[str, Table]:
    """The charts a piece of HTML holds, by placeholder: drawn where it is laid out (a
    worker), so matplotlib never stands between the build and its first layout. The
    tables go without their part (plain data to pickle)."""
    import dataclasses

    by_anchor = {t.anchor: t for t in course.items if isinstance(t, Table) and t.chart}
    return {mark: dataclasses.replace(by_anchor[anchor], part=None)
            for anchor, mark in placeholders.items() if mark in html}


def draw_charts(html: str, jobs: dict[str, Table], theme: Theme) -> str:
    """The HTML with each chart placeholder replaced by its drawing (pdf/charts.py)."""
    if not jobs:
        return html
    from .charts import chart_svg

    for mark, table in jobs.items():
        html = html.replace(mark, chart_svg(table, theme))
    return html


def probe_html(builder: HtmlBuilder) -> str:
    """What the page geometry and the margin boxes are learnt from (furniture.py): an item
    whose header sets the running heads to marks, over three pages (right, left, right),
    then a landscape item over two (a wide table's: left, right)."""
    from .furniture import COURSE_MARK, ITEM_MARK

    page = '<p style="break-after: page">.</p>'
    return builder.render([], front=False).replace(
        "<body>", '<body><main class="body"><article class="item">'
                  f'<header class="item-header" data-title="{ITEM_MARK}" '
                  f'data-course="{COURSE_MARK}"><p>.</p></header>{page}{page}<p>.</p>'
                  f'</article><article class="item table landscape">{page}<p>.</p></article>'
                  '</main>', 1)


def measure_html(builder: HtmlBuilder) -> str | None:
    """The document pdf/tables.py measures every data table in (None: the course has none)."""
    from .tables import MEASURE_CSS

    tables = [i for i in builder.course.items if isinstance(i, Table)]
    if not tables:
        return None
    return builder.render([{"kind": "measure", "tables": tables, "part": None, "item": None}],
                          extra_css=MEASURE_CSS)
