"""The reader's HTML: Jinja2 templates (sandboxed, autoescaped) over the course model."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from ..course.model import Course, Table
from ..course.templating import PlainSandbox, render
from ..course.theme import Theme, template_loader
from ..course.view import course_view
from .furniture import running_head
from .typeset import hyphenation_language

if TYPE_CHECKING:
    from .tables import Fit


class HtmlBuilder:
    """The reader's HTML from the theme's templates, for any set of sections.

    The templates receive the course as plain data (course/view.py) and run in the plain
    sandbox (course/templating.py): a course's own templates can print the course and
    nothing else. The only markup that is not escaped is reader's own: the HTML the
    Markdown stage made, the charts' SVG, and the stylesheet reader writes from the
    theme's checked tokens.
    """

    def __init__(self, course: Course, theme: Theme, charts: dict[str, str],
                 fits: dict[str, "Fit"] | None = None,
                 originals: dict[str, list[dict]] | None = None):
        self.course = course
        self.theme = theme
        self.charts = {anchor: Markup(svg) for anchor, svg in charts.items()}
        self.table_fits = {anchor: fit.template_data() for anchor, fit in (fits or {}).items()}
        self.env = PlainSandbox(template_loader(theme))
        self.env.filters["running_head"] = running_head
        self.view = reader_view(course, originals or {})
        self.sections = _sections_by_anchor(self.view)
        self.theme_css = theme.css_variables()
        self._unseen: bool | None = None     # _heads_unseen: the stylesheets' part

    def render(self, sections: list[dict], *, front: bool = False,
               toc_pages: dict[str, str] | None = None, body_start: int | None = None,
               extra_css: str = "") -> str:
        return render(self.env, "reader.html.j2", self.theme.root,
                      course=self.view, sections=[self._plain(s) for s in sections],
                      front=front, toc_pages=toc_pages or {}, body_start=body_start or 0,
                      charts=self.charts, table_fits=self.table_fits,
                      hyphenation_lang=hyphenation_language(self.course.settings.lang),
                      style=Markup(self.theme_css + "\n" + extra_css))

    def render_bare(self, sections: list[dict], extra_css: str = "") -> str:
        """Body sections' HTML as a chunk (pdf/book.py), the page probe or the tables'
        measure is laid out and keyed: without the course's heads where they show nothing.

        The course's title, subtitle, course, instructor and term reach a chunk's HTML
        where its pages do not show them: the document's title and metadata (the book's
        are written at assembly) and ``data-course``, the running head's string (stamped
        at assembly). Blank there, they leave a chunk's HTML, and with it its cache key,
        as it was when they change. Anywhere else (a course's template that prints the
        title in an item) they stay, and the chunk's key changes with them. Blanking is
        safe only while the stylesheets read those places for nothing else
        (``_heads_unseen``); otherwise the HTML is laid out as rendered."""
        html = self.render(sections, extra_css=extra_css)
        blank = _without_heads(html)
        return blank if self._heads_unseen(blank) else html

    def _heads_unseen(self, html: str) -> bool:
        """Whether the stylesheets (the theme's, the course's, and any in ``html``) read
        ``data-course`` only as ``string-set: coursetitle attr(data-course)`` (a string
        chunks do not print) and never style the head, its title or its meta elements
        (which could show them)."""
        if self._unseen is None:
            self._unseen = _heads_unseen_by("".join(
                path.read_text(encoding="utf-8", errors="replace")
                for path in self.theme.stylesheets()))
        styles = "".join(re.findall(r"<style[^>]*>(.*?)</style>", html, re.S))
        return self._unseen and _heads_unseen_by(styles) and \
            "attr(data-course" not in html and "[data-course" not in html

    def _plain(self, section: dict) -> dict[str, Any]:
        """A section of the book (a part page, an item, the Sources, the tables to
        measure) as the view's plain data."""
        kind = section["kind"]
        if kind == "measure":
            return {"kind": kind, "tables": [self.sections[t.anchor] for t in section["tables"]]}
        if kind == "part":
            return {"kind": kind, "part": self.sections[section["part"].anchor]}
        if kind == "item":
            return {"kind": kind, "item": self.sections[section["item"].anchor]}
        return {"kind": kind}


COURSE_STRING = re.compile(r"string-set\s*:\s*coursetitle\s+attr\(\s*data-course\s*\)")
HEAD_SELECTOR = re.compile(r"(?<![-\w.#:\"'])(?:head|title|meta)(?![-\w])")
_HEAD_PLACES = (                    # where a chunk's HTML may hold them, value and all
    (re.compile(r"<title>[^<]*</title>"), "<title></title>"),
    (re.compile(r'<meta name="(?:author|description)" content="[^"]*">'), ""),
    (re.compile(r'(?<=\sdata-course=")[^"]*(?=")'), ""),
)


def _heads_unseen_by(css: str) -> bool:
    """No @import (what it brings is not read here), ``data-course`` only in the running
    head's string-set, no selector of head, title or meta (comments aside)."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    return "@import" not in css and not HEAD_SELECTOR.search(css) and \
        css.count("data-course") == len(COURSE_STRING.findall(css))


def _without_heads(html: str) -> str:
    """The HTML with the places the course's heads go blank (_HEAD_PLACES)."""
    for pattern, blank in _HEAD_PLACES:
        html = pattern.sub(blank, html)
    return html


def reader_view(course: Course, originals: dict[str, list[dict]] | None = None
                ) -> dict[str, Any]:
    """The course view (course/view.py) with what the printed reader adds: the duplex and
    bleed settings, each excerpt's attribution set as a citation, and for an excerpt from
    a PDF or images (single document) a picture of each page: ``originals``, by anchor,
    {src, alt, width, height, note} (pdf/book.py)."""
    view = course_view(course)
    settings = course.settings
    view.update(duplex=settings.duplex, bleed=settings.bleed or "")
    for item in view["items"]:
        item.setdefault("attribution_html", Markup(""))
        item["original_pages"] = (originals or {}).get(item["anchor"], [])
    return view


def _sections_by_anchor(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = {item["anchor"]: item for item in view["items"]}
    found.update({entry["anchor"]: entry for entry in view["entries"]
                  if entry["kind"] == "part"})
    return found


def chart_placeholders(course: Course, theme: Theme, fits: dict[str, "Fit"] | None = None
                       ) -> dict[str, str]:
    """Stand-ins for chart drawings, named by their data, the width they are printed at
    and what draws them, for computing cache keys."""
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
        spec = json.dumps([drawer, table.title, table.lang, table.columns, table.rows,
                           vars(table.chart),
                           theme.tokens, chart_width(fits, table.anchor)],
                          sort_keys=True, default=str)
        marks[table.anchor] = f"<!--reader-chart {hashlib.sha256(spec.encode()).hexdigest()}-->"
    return marks


def chart_width(fits: dict[str, "Fit"] | None, anchor: str) -> float | None:
    """The width a table's chart is printed at (its page's text block), in points; None
    when the table was not measured (the chart is then taken to print at its own size)."""
    fit = (fits or {}).get(anchor)
    return fit.block if fit is not None and fit.block > 0 else None


def chart_jobs(course: Course, placeholders: dict[str, str], html: str,
               fits: dict[str, "Fit"] | None = None
               ) -> dict[str, tuple[Table, float | None]]:
    """The charts a piece of HTML holds, by placeholder, each with the width it is printed
    at: drawn where it is laid out (a worker), so matplotlib never stands between the
    build and its first layout. The tables go without their part (plain data to pickle)."""
    import dataclasses

    by_anchor = {t.anchor: t for t in course.items if isinstance(t, Table) and t.chart}
    return {mark: (dataclasses.replace(by_anchor[anchor], part=None),
                   chart_width(fits, anchor))
            for anchor, mark in placeholders.items() if mark in html}


def draw_charts(html: str, jobs: dict[str, tuple[Table, float | None]], theme: Theme) -> str:
    """The HTML with each chart placeholder replaced by its drawing (pdf/charts.py)."""
    if not jobs:
        return html
    from .charts import chart_svg

    for mark, (table, width) in jobs.items():
        html = html.replace(mark, chart_svg(table, theme, width))
    return html


def probe_html(builder: HtmlBuilder) -> str:
    """What the page geometry and the margin boxes are learnt from (furniture.py): an item
    whose header sets the running heads to marks, over three pages (right, left, right),
    then a landscape item over two (a wide table's: left, right)."""
    from .furniture import COURSE_MARK, ITEM_MARK

    page = '<p style="break-after: page">.</p>'
    return builder.render_bare([]).replace(
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
    return builder.render_bare([{"kind": "measure", "tables": tables, "part": None,
                                 "item": None}], extra_css=MEASURE_CSS)
