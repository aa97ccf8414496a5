"""Stage 3a: the course reader as PDF (Jinja2 HTML + CSS paged media, WeasyPrint).

Each body section (a part title page, an item, the Sources list) is laid out
as its own WeasyPrint document starting at its known page number; the cover
and contents are laid out last, numbered in roman, with the real page numbers
written in. So the body's numbering never depends on the contents' length,
and the expensive leaders of the contents never meet the body's footnotes.
The pages are then joined with ``Document.copy`` into one PDF, which keeps
internal links, one outline and one subset of each font.
"""

from __future__ import annotations

import datetime
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from urllib.parse import unquote, urlparse

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from .errors import CourseError, Location, Problem
from .model import Course, Item, Part, Table
from .paths import inside
from .theme import Theme, template_loader


@dataclass
class Chunk:
    """One independently laid-out run of pages in the body."""

    kind: str                      # 'part' | 'item' | 'sources'
    key: str                       # anchor of what it holds
    part: Part | None = None
    item: Item | None = None

    def section(self) -> dict[str, Any]:
        return {"kind": self.kind, "part": self.part, "item": self.item}


@dataclass
class PageMap:
    """Where everything landed: what the deck's "Reader p. N" and the tests read."""

    start: dict[str, int] = field(default_factory=dict)     # anchor -> first page number
    pages: dict[str, int] = field(default_factory=dict)     # anchor -> page count
    front_pages: int = 0
    body_pages: int = 0

    def range(self, anchor: str) -> tuple[int, int]:
        first = self.start[anchor]
        return first, first + self.pages[anchor] - 1


def body_chunks(course: Course) -> list[Chunk]:
    chunks: list[Chunk] = []
    for entry in course.entries:
        if isinstance(entry, Part):
            chunks.append(Chunk("part", entry.anchor, part=entry))
            chunks.extend(Chunk("item", i.anchor, item=i) for i in entry.items)
        else:
            chunks.append(Chunk("item", entry.anchor, item=entry))
    if course.excerpts:
        chunks.append(Chunk("sources", "sources"))
    return chunks


# --- containment ------------------------------------------------------------------

def make_fetcher(allowed: list[Path], root: Path):
    """A WeasyPrint URL fetcher that serves only files under ``allowed`` folders."""
    from weasyprint.urls import FatalURLFetchingError, URLFetcher

    class ContainedFetcher(URLFetcher):
        refused: list[str] = []

        def __init__(self) -> None:
            super().__init__(allowed_protocols={"file"}, allow_redirects=False,
                             fail_on_errors=True)
            self.refused = []

        def fetch(self, url: str, headers: Any = None):  # noqa: ANN201
            parsed = urlparse(url)
            if parsed.scheme != "file":
                self.refused.append(url)
                raise FatalURLFetchingError(f"refused to load {url}: only files inside the "
                                            "course folder may be used")
            path = Path(unquote(parsed.path))
            if not any(inside(folder, path) for folder in allowed):
                self.refused.append(url)
                raise FatalURLFetchingError(f"refused to load {path}: it is outside the "
                                            "course folder")
            return super().fetch(url, headers)

    return ContainedFetcher()


# --- HTML -------------------------------------------------------------------------

class HtmlBuilder:
    """Renders the Jinja templates (sandboxed, autoescaped) for any set of sections."""

    def __init__(self, course: Course, theme: Theme, charts: dict[str, str]):
        self.course = course
        self.theme = theme
        self.charts = charts
        self.env = SandboxedEnvironment(loader=template_loader(theme),
                                        autoescape=True, undefined=StrictUndefined)
        try:
            self.template = self.env.get_template("reader.html.j2")
        except TemplateError as exc:
            raise _template_error(exc, theme) from None
        self.theme_css = theme.css_variables()

    def render(self, sections: list[dict], *, front: bool = False,
               toc_pages: dict[str, str] | None = None, body_start: int | None = None,
               first_side: str = "right") -> str:
        try:
            return self.template.render(
                course=self.course, sections=sections, front=front, toc_pages=toc_pages,
                body_start=body_start, first_side=first_side, charts=self.charts,
                theme_css=self.theme_css)
        except TemplateError as exc:
            raise _template_error(exc, self.theme) from None


def _template_error(exc: TemplateError, theme: Theme) -> CourseError:
    name = getattr(exc, "filename", None) or getattr(exc, "name", None) or "reader.html.j2"
    line = getattr(exc, "lineno", None)
    return CourseError(Problem(Location(Path(name), line, None, theme.root),
                               f"template error: {exc.message or exc}; fix or remove this "
                               "template override"))


def reader_charts(course: Course, theme: Theme) -> dict[str, str]:
    tables = [i for i in course.items if isinstance(i, Table) and i.chart]
    if not tables:
        return {}
    from .charts import chart_svg

    return {t.anchor: chart_svg(t, theme.tokens) for t in tables}


# --- layout -----------------------------------------------------------------------

class Renderer:
    """Lays out HTML with WeasyPrint using one stylesheet parse and one font config."""

    def __init__(self, course: Course, theme: Theme):
        import weasyprint
        from weasyprint.text.fonts import FontConfiguration

        logging.getLogger("weasyprint").setLevel(logging.ERROR)
        logging.getLogger("fontTools").setLevel(logging.ERROR)
        self.weasyprint = weasyprint
        self.course = course
        self.theme = theme
        self.fetcher = make_fetcher([course.root, theme.builtin], course.root)
        self.font_config = FontConfiguration()
        self.stylesheets = [self._css(theme.find("fonts.css"))] + \
            [self._css(p) for p in theme.stylesheets()]

    def _css(self, path: Path):
        try:
            return self._guard(lambda: self.weasyprint.CSS(
                filename=str(path), url_fetcher=self.fetcher, font_config=self.font_config),
                path)
        except UnicodeDecodeError:
            raise CourseError(Problem(Location(path, None, None, self.course.root),
                                      "stylesheet is not UTF-8 text")) from None

    def _guard(self, action: Callable[[], Any], what: Path | None = None) -> Any:
        from weasyprint.urls import FatalURLFetchingError

        try:
            return action()
        except FatalURLFetchingError as exc:
            where = Location(what, None, None, self.course.root) if what else None
            raise CourseError(Problem(where, f"{exc}; reader only loads files from the "
                                             "course folder and its theme")) from None

    def layout(self, html: str):
        base = self.theme.builtin.as_uri() + "/"
        return self._guard(lambda: self.weasyprint.HTML(
            string=html, base_url=base, url_fetcher=self.fetcher).render(
                stylesheets=self.stylesheets, font_config=self.font_config,
                **self.options()))

    def options(self) -> dict[str, Any]:
        variant = self.course.settings.pdf_variant
        opts: dict[str, Any] = {"dpi": 300, "jpeg_quality": 90}
        if variant:
            opts["pdf_variant"] = variant
            if variant.startswith("pdf/ua"):
                opts["pdf_tags"] = True
        return opts


def anchors_by_page(document) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, page in enumerate(document.pages):
        for name in page.anchors:
            found.setdefault(name, index)
    return found


def render_chunked(course: Course, theme: Theme, charts: dict[str, str] | None = None,
                   renderer: Renderer | None = None) -> tuple[Any, PageMap]:
    """Lay out each body chunk on its own, then the front matter; join into one document."""
    renderer = renderer or Renderer(course, theme)
    builder = HtmlBuilder(course, theme, charts if charts is not None else
                          reader_charts(course, theme))
    page_map = PageMap()
    body_docs = []
    page = 1
    for chunk in body_chunks(course):
        html = builder.render([chunk.section()], body_start=page,
                              first_side="right" if page % 2 else "left")
        doc = renderer.layout(html)
        page_map.start[chunk.key] = page + anchors_by_page(doc).get(chunk.key, 0)
        page_map.pages[chunk.key] = len(doc.pages)
        body_docs.append(doc)
        page += len(doc.pages)
    page_map.body_pages = page - 1
    toc_pages = {key: str(number) for key, number in page_map.start.items()}
    front = renderer.layout(builder.render([], front=True, toc_pages=toc_pages))
    page_map.front_pages = len(front.pages)
    all_pages = list(front.pages) + [p for d in body_docs for p in d.pages]
    document = front.copy(all_pages)
    _set_metadata(document, course)
    return document, page_map


def render_single(course: Course, theme: Theme, charts: dict[str, str] | None = None,
                  renderer: Renderer | None = None) -> tuple[Any, PageMap]:
    """The whole reader as one WeasyPrint document: the reference the chunks must match."""
    renderer = renderer or Renderer(course, theme)
    builder = HtmlBuilder(course, theme, charts if charts is not None else
                          reader_charts(course, theme))
    sections = [c.section() for c in body_chunks(course)]
    document = renderer.layout(builder.render(sections, front=True, body_start=1))
    found = anchors_by_page(document)
    page_map = PageMap()
    body_first = found[body_chunks(course)[0].key]
    page_map.front_pages = body_first
    keys = [c.key for c in body_chunks(course)]
    for n, key in enumerate(keys):
        start = found[key]
        end = found[keys[n + 1]] if n + 1 < len(keys) else len(document.pages)
        page_map.start[key] = start - body_first + 1
        page_map.pages[key] = end - start
    page_map.body_pages = len(document.pages) - body_first
    _set_metadata(document, course)
    return document, page_map


def _set_metadata(document, course: Course) -> None:
    settings = course.settings
    meta = document.metadata
    meta.title = settings.title
    meta.authors = [settings.instructor] if settings.instructor else []
    meta.description = settings.subtitle
    meta.lang = settings.lang
    meta.generator = "reader"
    meta.keywords = [k for k in (settings.course, settings.term) if k]
    stamp = build_timestamp()
    meta.created = meta.modified = stamp


def build_timestamp() -> str | None:
    """Honour SOURCE_DATE_EPOCH; otherwise leave dates out so builds stay reproducible."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch or not epoch.strip().isdigit():
        return None
    moment = datetime.datetime.fromtimestamp(int(epoch), tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def write_pdf(document, course: Course, renderer_options: dict[str, Any]) -> bytes:
    return document.write_pdf(**renderer_options)


__all__ = ["Renderer", "render_chunked", "render_single", "PageMap", "body_chunks",
           "reader_charts", "write_pdf"]
