"""Stage 3a: the course reader as PDF (Jinja2 HTML + CSS paged media, WeasyPrint).

Two ways to the same book. ``render_assembled`` (the default) lays out each
body section (a part title page, an item, the Sources list) as its own
WeasyPrint document, cached and in parallel, and has assemble.py join them
behind the front matter, which is laid out last with the real page numbers.
So the body's numbering never depends on the contents' length, and the
expensive leaders of the contents never meet the body's footnotes.
``render_single`` lays out the whole book as one document: the reference the
assembled reader is tested against, and the path for tagged PDFs.
"""

from __future__ import annotations

import datetime
import logging
import os
import re
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
               extra_css: str = "") -> str:
        try:
            return self.template.render(
                course=self.course, sections=sections, front=front, toc_pages=toc_pages,
                body_start=body_start, charts=self.charts,
                theme_css=self.theme_css + "\n" + extra_css)
        except TemplateError as exc:
            raise _template_error(exc, self.theme) from None


def _template_error(exc: TemplateError, theme: Theme) -> CourseError:
    name = getattr(exc, "filename", None) or getattr(exc, "name", None) or "reader.html.j2"
    line = getattr(exc, "lineno", None)
    return CourseError(Problem(Location(Path(name), line, None, theme.root),
                               f"template error: {exc.message or exc}; fix or remove this "
                               "template override"))


def chart_placeholders(course: Course, theme: Theme) -> dict[str, str]:
    """Stand-ins for chart drawings, named by their data, for computing cache keys."""
    import hashlib
    import json

    marks = {}
    for table in course.items:
        if isinstance(table, Table) and table.chart:
            spec = json.dumps([table.columns, table.rows, vars(table.chart), theme.tokens],
                              sort_keys=True, default=str)
            marks[table.anchor] = f"<!--reader-chart {hashlib.sha256(spec.encode()).hexdigest()}-->"
    return marks


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
        weasyprint = import_weasyprint()
        from weasyprint.text.fonts import FontConfiguration

        logging.getLogger("weasyprint").setLevel(logging.ERROR)
        logging.getLogger("fontTools").setLevel(logging.ERROR)
        _parse_array_types_once()
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
        return pdf_options(self.course)


def pdf_options(course: Course) -> dict[str, Any]:
    variant = course.settings.pdf_variant
    opts: dict[str, Any] = {"dpi": 300, "jpeg_quality": 90}
    if variant:
        opts["pdf_variant"] = variant
        if variant.startswith("pdf/ua"):
            opts["pdf_tags"] = True
    return opts


def import_weasyprint():  # noqa: ANN201
    """``import weasyprint``, without the 50 subprocesses of its library search (0.15 s).

    WeasyPrint tries names such as 'libgobject-2.0-0' before 'libgobject-2.0.so.0';
    cffi hands each miss to ctypes.util.find_library, which on Linux runs
    ldconfig, gcc and ld to look for it. Every list also holds the library's
    soname, which dlopen finds by itself, so during the import a miss is
    answered at once. If the libraries cannot be loaded that way, the import
    is retried with the real search.
    """
    import sys

    if "weasyprint" in sys.modules or not sys.platform.startswith("linux"):
        import weasyprint

        return weasyprint
    import ctypes.util

    search = ctypes.util.find_library
    ctypes.util.find_library = lambda name: None
    try:
        import weasyprint
    except OSError:
        for name in [m for m in sys.modules if m == "weasyprint" or m.startswith("weasyprint.")]:
            del sys.modules[name]
        ctypes.util.find_library = search
        import weasyprint
    finally:
        ctypes.util.find_library = search
    return weasyprint


_ARRAY_TYPE = re.compile(r"^\s*([A-Za-z_][\w ]*?)\s*\[\s*(\d+)\s*\]\s*$")


def _parse_array_types_once() -> None:
    """Stop WeasyPrint's font subsetting from re-parsing a C type for every array length.

    WeasyPrint 70 allocates glyph-id arrays as ``ffi.new(f"hb_codepoint_t[{n}]", ...)``.
    cffi caches parsed types by their spelling, so every new length is parsed
    again with pycparser (about 6 ms): a worker laying out hundreds of chunks
    spent 10-20 % of its PDF writing there. ``T[]`` with the same initialiser
    gives the same array and is parsed once. Only that exact form is rewritten.
    """
    from weasyprint.text.ffi import ffi

    if getattr(ffi.new, "_reader_patched", False):
        return
    original = ffi.new

    def new(cdecl, init=None):  # noqa: ANN001, ANN202
        if init is not None and isinstance(cdecl, str):
            match = _ARRAY_TYPE.match(cdecl)
            if match and hasattr(init, "__len__") and len(init) == int(match.group(2)):
                return original(match.group(1) + "[]", init)
        return original(cdecl, init)

    new._reader_patched = True  # type: ignore[attr-defined]
    ffi.new = new


def anchors_by_page(document) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, page in enumerate(document.pages):
        for name in page.anchors:
            found.setdefault(name, index)
    return found


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


__all__ = ["Renderer", "render_assembled", "render_single", "PageMap", "body_chunks",
           "reader_charts"]


# --- the fast path: cached chunks, rendered in parallel, assembled with pikepdf -------------

_WORKER: "Renderer | None" = None


def _render_chunk(html: str) -> tuple[bytes, int, dict]:
    """In a worker (or in process): lay out and write one chunk."""
    assert _WORKER is not None
    document = _WORKER.layout(html)
    anchors: dict[str, tuple[int, float, float]] = {}
    for index, page in enumerate(document.pages):  # an element split over pages: its start
        for name, box in page.anchors.items():
            anchors.setdefault(name, (index, box[0], box[1]))
    return document.write_pdf(**_WORKER.options()), len(document.pages), anchors


def probe_html(builder: HtmlBuilder) -> str:
    """Two empty pages with the theme's CSS: what the page geometry is learnt from."""
    return builder.render([], front=False).replace(
        "<body>", '<body><main class="body"><p style="break-after: page">.</p><p>.</p></main>')


def probe_geometry(renderer: Renderer, html: str):
    """Lay out the probe's two pages to learn right and left margins."""
    from .assemble import PX, Geometry

    document = renderer.layout(html)
    right, left = (p._page_box for p in document.pages[:2])

    def margins(box) -> tuple[float, float, float, float]:  # noqa: ANN001
        return (box.margin_top * PX, box.margin_right * PX, box.margin_bottom * PX,
                box.margin_left * PX)

    first = document.pages[0]
    return Geometry(first.width * PX, first.height * PX, margins(right), margins(left))


def chunk_css(geometry) -> str:  # noqa: ANN001
    """Chunks: no heads or folios (stamped later), every page with right-page margins."""
    top, right, bottom, left = geometry.right
    return ("@page { @top-left { content: none } @top-right { content: none } "
            "@bottom-left { content: none } @bottom-right { content: none } "
            "@bottom-center { content: none } @top-center { content: none } }\n"
            f"@page :left {{ margin: {top}pt {right}pt {bottom}pt {left}pt }}\n"
            f"@page :right {{ margin: {top}pt {right}pt {bottom}pt {left}pt }}")


def _base_fingerprint(course: Course, theme: Theme) -> str:
    """What every cached layout depends on besides its own HTML."""
    import hashlib
    from importlib.metadata import version

    from . import __version__
    from .cache import FORMAT

    return hashlib.sha256(
        f"{__version__}|{FORMAT}|{version('weasyprint')}|{theme.fingerprint()}|"
        f"{pdf_options(course)}".encode()).hexdigest()


def _cached_geometry(layout, builder: HtmlBuilder, folder: Path | None,  # noqa: ANN001
                     base: str):
    """The page geometry, probed once per theme and paper (a 2-page layout otherwise)."""
    import hashlib

    from .assemble import Geometry
    from .cache import ChunkCache

    cache = ChunkCache(folder, "geometry")
    html = probe_html(builder)
    key = hashlib.sha256((base + html).encode()).hexdigest()
    hit = cache.get(key)
    if hit is not None:
        try:
            g = hit[1]["geometry"]
            return Geometry(float(g[0]), float(g[1]), tuple(map(float, g[2])),
                            tuple(map(float, g[3])))
        except (KeyError, TypeError, ValueError, IndexError):
            pass
    geometry = layout.geometry(html)
    cache.put(key, b"", {"geometry": [geometry.width, geometry.height, list(geometry.right),
                                      list(geometry.left)]})
    return geometry


def render_assembled(course: Course, theme: Theme, cache_folder: Path | None = None,
                     jobs: int | None = None, renderer: Renderer | None = None,
                     progress: Callable[[int, int, str], None] | None = None,
                     placed: Callable[[PageMap], None] | None = None, layout=None):  # noqa: ANN001
    """The reader as independently laid-out, cached chunks; returns (pdf, PageMap, stats).

    ``placed`` hears the body's page numbers as soon as they are known, before
    the front matter and the assembly (the deck fills in its page references
    meanwhile). ``layout`` is where WeasyPrint runs (layout.py): in this
    process by default.
    """
    import hashlib

    from .cache import ChunkCache
    from .layout import Layout

    layout = layout or Layout(course, theme, renderer)
    placeholders = chart_placeholders(course, theme)
    builder = HtmlBuilder(course, theme, placeholders)
    base = _base_fingerprint(course, theme)
    geometry = _cached_geometry(layout, builder, cache_folder, base)
    extra = chunk_css(geometry)
    fingerprint = hashlib.sha256(f"{base}|{extra}".encode()).hexdigest()
    cache = ChunkCache(cache_folder)
    chunks = body_chunks(course)
    htmls = [builder.render([c.section()], extra_css=extra) for c in chunks]
    keys = [hashlib.sha256((fingerprint + html).encode()).hexdigest() for html in htmls]
    results: dict[str, tuple[bytes, int, dict]] = {}
    missing = []
    for key in dict.fromkeys(keys):
        hit = cache.get(key)
        if hit is None:
            missing.append(key)
        else:
            data, meta = hit
            anchors = {k: tuple(v) for k, v in meta["anchors"].items()}
            results[key] = (data, meta["pages"], anchors)
            cache.stats.reused.append(key)
    html_by_key = dict(zip(keys, htmls))
    todo = [html_by_key[k] for k in missing]
    if placeholders and any(p in html for html in todo for p in placeholders.values()):
        svgs = reader_charts(course, theme)  # matplotlib only when a chart is laid out
        for anchor, mark in placeholders.items():
            todo = [html.replace(mark, svgs[anchor]) for html in todo]
    rendered = layout.chunks(todo, jobs or os.cpu_count() or 1, progress) if todo else []
    for key, (data, pages, anchors) in zip(missing, rendered):
        results[key] = (data, pages, anchors)
        cache.put(key, data, {"pages": pages, "anchors": anchors})
        cache.stats.rendered.append(key)
    page_map, pieces, duplex = _place(course, chunks, keys, results)
    if placed is not None:
        placed(page_map)
    front_pdf, front_meta = _front_matter(layout, builder, cache_folder, fingerprint, page_map)
    page_map.front_pages = front_meta["pages"]
    fonts = ChunkCache(cache_folder, "fonts", suffix=".ttf")
    return _assemble(course, theme, front_pdf, front_meta, pieces, geometry, duplex,
                     page_map, fonts), page_map, cache.stats


def _place(course: Course, chunks: list[Chunk], keys: list[str],
           results: dict[str, tuple[bytes, int, dict]]):
    """Page numbers, now that every chunk's length is known (duplex parts on odd pages)."""
    from .assemble import ChunkPdf

    page_map = PageMap()
    duplex = {c.key for c in chunks if c.kind == "part"} if course.settings.duplex else set()
    folio = 1
    pieces = []
    for chunk, key in zip(chunks, keys):
        data, pages, anchors = results[key]
        if chunk.key in duplex and folio % 2 == 0:
            folio += 1
        page_map.start[chunk.key] = folio
        page_map.pages[chunk.key] = pages
        folio += pages
        head = "Sources" if chunk.kind == "sources" else \
            (chunk.item.title_text if chunk.item else "")
        pieces.append(ChunkPdf(chunk.key, data, pages, anchors, head))
    page_map.body_pages = folio - 1
    return page_map, pieces, duplex


def _front_matter(layout, builder: HtmlBuilder, folder: Path | None,  # noqa: ANN001
                  fingerprint: str, page_map: PageMap) -> tuple[bytes, dict]:
    """Cover and contents, laid out last with the real page numbers; cached by their HTML,
    so an edit that moves no page number reuses them."""
    import hashlib

    from .cache import ChunkCache

    toc_pages = {key: str(number) for key, number in page_map.start.items()}
    html = builder.render([], front=True, toc_pages=toc_pages)
    key = hashlib.sha256((fingerprint + "|front|" + html).encode()).hexdigest()
    cache = ChunkCache(folder, "front")
    hit = cache.get(key)
    if hit is not None and isinstance(hit[1].get("links"), list):
        return hit
    data, meta = layout.front(html)
    cache.put(key, data, meta)
    return data, meta


def _assemble(course: Course, theme: Theme, front_pdf: bytes, front_meta: dict, pieces: list,
              geometry, duplex: set[str], page_map: PageMap,  # noqa: ANN001
              fonts) -> bytes:  # noqa: ANN001
    from importlib.metadata import version

    from . import __version__
    from .assemble import Furniture, assemble

    settings = course.settings
    font = theme.font_file(theme.tokens["fonts"]["heading"]) or \
        theme.font_file("Carlito")
    outline = _outline_entries(course, page_map, front_meta["contents_page"])
    links = [(n, target, tuple(rect)) for n, target, rect in front_meta["links"]]
    data, _ = assemble(
        front_pdf, links, pieces, geometry=geometry, furniture=Furniture(font),
        course_title=settings.title, duplex_breaks=duplex, outline=outline,
        metadata={"Title": settings.title, "Author": settings.instructor or "",
                  "Subject": settings.subtitle or "",
                  "Keywords": ", ".join(k for k in (settings.course, settings.term) if k),
                  "Creator": "reader", "Producer": f"reader {__version__} (WeasyPrint "
                                                    f"{version('weasyprint')}, pikepdf)",
                  **_dates()},
        lang=settings.lang, font_cache=fonts)
    return data


def _merged_links(document) -> list[tuple[int, str, tuple]]:  # noqa: ANN001
    """One link area per contents entry: the union of its boxes (label, title, leader)."""
    areas: dict[tuple[int, str], list[float]] = {}
    for n, page in enumerate(document.pages):
        for kind, target, rect, _ in page.links:
            if kind != "internal":
                continue
            key = (n, target)
            x0, y0, x1, y1 = rect
            if key in areas:
                a = areas[key]
                areas[key] = [min(a[0], x0), min(a[1], y0), max(a[2], x1), max(a[3], y1)]
            else:
                areas[key] = [x0, y0, x1, y1]
    return [(n, target, tuple(rect)) for (n, target), rect in areas.items()]


def _dates() -> dict[str, str]:
    stamp = build_timestamp()
    if not stamp:
        return {}
    pdf_date = "D:" + stamp.replace("-", "").replace(":", "").replace("T", "").rstrip("Z") + "Z"
    return {"CreationDate": pdf_date, "ModDate": pdf_date}


def _outline_entries(course: Course, page_map: PageMap, toc_page: int) -> list:
    """Contents, parts with their items, loose items, Sources: as the single document has."""
    from .assemble import Outline

    offset = page_map.front_pages - 1
    entries = [Outline("Contents", toc_page)]
    for entry in course.entries:
        if isinstance(entry, Part):
            node = Outline(f"{entry.label}. {entry.title_text}",
                           offset + page_map.start[entry.anchor])
            node.children = [Outline(f"{i.label}. {i.title_text}", offset + page_map.start[i.anchor])
                             for i in entry.items]
            entries.append(node)
        else:
            entries.append(Outline(f"{entry.label}. {entry.title_text}",
                                   offset + page_map.start[entry.anchor]))
    if "sources" in page_map.start:
        entries.append(Outline("Sources", offset + page_map.start["sources"]))
    return entries
