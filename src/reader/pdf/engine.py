"""WeasyPrint, contained: the URL fetcher, the renderer, and the chunk worker's task."""

from __future__ import annotations

import functools
import logging
import re
from pathlib import Path
from typing import Any, Callable, Protocol
from urllib.parse import unquote, urlparse

from ..core.files import inside
from ..course.manifest import Settings
from ..course.theme import Theme
from ..errors import CourseError, Location, Problem
from . import typeset
from .positions import page_breaks


class Variant(Protocol):
    """What WeasyPrint's setup reads of a course variant: its folder and its settings. A
    Course has them, and so has the plain, picklable EngineSpec a worker is given."""

    @property
    def root(self) -> Path: ...

    @property
    def settings(self) -> Settings: ...


def make_fetcher(allowed: list[Path], root: Path):
    """A WeasyPrint URL fetcher that serves only files under ``allowed`` folders."""
    from weasyprint.urls import FatalURLFetchingError, URLFetcher

    class ContainedFetcher(URLFetcher):
        refused: list[str] = []
        loaded: dict[Path, None] = {}  # every file served: the fonts among them are originals

        def __init__(self) -> None:
            super().__init__(allowed_protocols={"file"}, allow_redirects=False,
                             fail_on_errors=True)
            self.refused = []
            self.loaded = {}

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
            response = super().fetch(url, headers)
            self.loaded[path] = None
            return response

    return ContainedFetcher()


class Renderer:
    """Lays out HTML with WeasyPrint using one stylesheet parse and one font config."""

    def __init__(self, course: Variant, theme: Theme):
        weasyprint = import_weasyprint()
        from weasyprint.text.fonts import FontConfiguration

        logging.getLogger("weasyprint").setLevel(logging.ERROR)
        logging.getLogger("fontTools").setLevel(logging.ERROR)
        _parse_array_types_once()
        typeset.install()
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

    def font_records(self, pdf_data: bytes) -> list[dict]:
        """Which font file each font program in ``pdf_data`` was cut from, proved."""
        from .fonts import font_records

        return font_records(pdf_data, self.fetcher.loaded)


def pdf_options(course: Variant) -> dict[str, Any]:
    variant = course.settings.pdf_variant
    opts: dict[str, Any] = {"dpi": 300, "jpeg_quality": 90}
    if variant:
        opts["pdf_variant"] = variant
        if variant.startswith("pdf/ua"):
            opts["pdf_tags"] = True
    return opts


SUBSETTER_MISSING = (
    "fonts are being subset with fontTools, because HarfBuzz's subsetter (the system "
    "library libharfbuzz-subset0, HarfBuzz 4.1 or later) is missing: laying out the reader "
    "takes about 4 times longer. Install it: apt install libharfbuzz-subset0")

_SUBSETTER_NAMES = ("libharfbuzz-subset.so.0", "libharfbuzz-subset.0.dylib",
                    "libharfbuzz-subset-0.dll", "libharfbuzz-subset-0", "harfbuzz-subset")


@functools.cache
def harfbuzz_subsetter_available() -> bool:
    """Whether WeasyPrint will subset fonts with HarfBuzz, by its own test: the library
    libharfbuzz-subset loads (under one of the names WeasyPrint tries) and HarfBuzz is
    4.1 or later. Otherwise it uses fontTools, several times slower (bench/RESULTS.md),
    which the build says once."""
    import ctypes

    for name in _SUBSETTER_NAMES:
        try:
            library = ctypes.CDLL(name)
        except OSError:
            continue
        try:  # dlsym on the handle searches libharfbuzz too, which it links
            return hasattr(library, "hb_subset_or_fail") and \
                bool(library.hb_version_atleast(4, 1, 0))
        except AttributeError:
            return False
    return False


def subsetter_warning() -> str | None:
    """The one warning a build gives when WeasyPrint's fast font subsetting is missing."""
    return None if harfbuzz_subsetter_available() else SUBSETTER_MISSING


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
    """Each anchor's page index; and where blocks run onto later pages (positions.py)."""
    found: dict[str, int] = {}
    for index, page in enumerate(document.pages):
        for name in page.anchors:
            found.setdefault(name, index)
    found.update({name: place[0] for name, place in page_breaks(document.pages).items()})
    return found


WORKER: "Renderer | None" = None  # the renderer of a layout process (see layout.py)


def render_chunk(html: str) -> tuple[bytes, int, dict, list[dict]]:
    """In a worker (or in process): lay out and write one chunk.

    Returns its PDF, page count, anchors, and its fonts' proven originals (fonts.py):
    what lets the assembly cut each face once from the original.
    """
    assert WORKER is not None
    document = WORKER.layout(html)
    anchors: dict[str, tuple[int, float, float]] = {}
    for index, page in enumerate(document.pages):  # an element split over pages: its start
        for name, box in page.anchors.items():
            anchors.setdefault(name, (index, box[0], box[1]))
    anchors.update(page_breaks(document.pages))    # and where it goes on (the deck cites it)
    data = document.write_pdf(**WORKER.options())
    return data, len(document.pages), anchors, WORKER.font_records(data)


def probe_geometry(renderer: Renderer, html: str):  # noqa: ANN201
    """Lay out the probe (html.probe_html) to learn the right, left and landscape pages'
    margins, and what the margin boxes of each kind of page hold (furniture.py)."""
    from .assemble import PX, Geometry
    from .furniture import read_slots

    document = renderer.layout(html)
    pages = document.pages

    def margins(box) -> tuple[float, float, float, float]:  # noqa: ANN001
        return (box.margin_top * PX, box.margin_right * PX, box.margin_bottom * PX,
                box.margin_left * PX)

    wide = pages[3] if len(pages) > 3 and pages[3].width > pages[3].height else None
    geometry = Geometry(pages[0].width * PX, pages[0].height * PX, margins(pages[0]._page_box),
                        margins(pages[1]._page_box),
                        margins(wide._page_box) if wide is not None else None)
    return geometry, read_slots(document)


def chunk_css(geometry) -> str:  # noqa: ANN001
    """Chunks: no heads or folios (stamped later), every page with right-page margins."""
    top, right, bottom, left = geometry.right
    css = ("@page { @top-left { content: none } @top-right { content: none } "
           "@bottom-left { content: none } @bottom-right { content: none } "
           "@bottom-center { content: none } @top-center { content: none } }\n"
           f"@page :left {{ margin: {top}pt {right}pt {bottom}pt {left}pt }}\n"
           f"@page :right {{ margin: {top}pt {right}pt {bottom}pt {left}pt }}")
    if geometry.wide:  # the rules above would win over the stylesheet's (a user sheet's)
        top, right, bottom, left = geometry.wide
        css += f"\n@page wide {{ margin: {top}pt {right}pt {bottom}pt {left}pt }}"
    return css


def merged_links(document) -> list[tuple[int, str, tuple]]:  # noqa: ANN001
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
