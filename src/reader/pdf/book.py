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

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from ..core.dates import document_date, iso_date, pdf_date
from ..course.model import Course, Excerpt, Item, Part
from ..course.pagemap import PageMap
from ..course.theme import Theme
from ..core.store import Store
from ..core.tasks import InProcess, Runner
from .engine import chunk_css, pdf_options
from .furniture import Furniture, running_head, strings_html
from ..scans.pages import Originals
from .html import HtmlBuilder, chart_jobs, chart_placeholders, measure_html, probe_html
from .inserts import insert_pages
from .layout import LAYOUT_FIRST, EngineSpec, Layout, task_document

if TYPE_CHECKING:
    from .assemble import Geometry
    from .tables import Fit


@dataclass
class Chunk:
    """One independently laid-out run of pages in the body."""

    kind: str                      # 'part' | 'item' | 'sources'
    key: str                       # anchor of what it holds
    part: Part | None = None
    item: Item | None = None

    def section(self) -> dict[str, Any]:
        return {"kind": self.kind, "part": self.part, "item": self.item}


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


def table_fits(course: Course, theme: Theme, runner: Runner | None = None,
               store: Store | None = None) -> dict[str, "Fit"]:
    """How each data table is printed (pdf/tables.py), from one measuring layout of them
    all; cached by that document, so an edit elsewhere measures nothing."""
    import hashlib

    from .tables import fits_from

    html = measure_html(HtmlBuilder(course, theme, {}))
    if html is None:
        return {}
    cache = (store or Store(None)).shelf("tables", ".bin")
    key = hashlib.sha256((_base_fingerprint(course, theme) + html).encode()).hexdigest()
    hit = cache.get(key)
    measured = hit[1].get("measured") if hit is not None else None
    if not isinstance(measured, dict):
        measured = Layout(runner or InProcess(), engine_spec(course, theme)).measure(html)
        cache.put(key, b"", {"measured": measured})
    return fits_from(measured, course, theme.tokens)


def render_single(course: Course, theme: Theme, runner: Runner | None = None,
                  charts: dict[str, str] | None = None,
                  fits: dict[str, "Fit"] | None = None,
                  originals: Originals | None = None,
                  store: Store | None = None) -> tuple[bytes, PageMap]:
    """The whole reader as one WeasyPrint document: the reference the chunks must match,
    and the path for tagged PDFs (their structure tree stays whole).

    ``fits``: how its data tables are set (``table_fits``); measured here if not given.
    ``originals``: prepared pages of excerpts from PDFs or images; WeasyPrint cannot
    embed a PDF page, so here each is a picture, its text the picture's alternative
    text (what a screen reader reads). ``store``: where those pictures are kept
    (WeasyPrint reads them as files of the course); the course's cache if not given."""
    runner = runner or InProcess()
    store = store or Store(course.root / ".reader-cache")
    if fits is None:
        fits = table_fits(course, theme, runner, store)
    placeholders = chart_placeholders(course, theme, fits)
    pictures = _original_pictures(course, theme, runner, originals, store)
    builder = HtmlBuilder(course, theme, charts if charts is not None else placeholders, fits,
                          pictures)
    chunks = body_chunks(course)
    html = builder.render([c.section() for c in chunks], front=True, body_start=1)
    jobs = chart_jobs(course, placeholders, html, fits)
    data, count, found = runner.submit(task_document, engine_spec(course, theme), html,
                                       _metadata(course), jobs, priority=LAYOUT_FIRST).result()
    page_map = PageMap()
    body_first = found[chunks[0].key]
    page_map.front_pages = body_first
    keys = [c.key for c in chunks]
    for n, key in enumerate(keys):
        start = found[key]
        end = found[keys[n + 1]] if n + 1 < len(keys) else count
        page_map.start[key] = start - body_first + 1
        page_map.pages[key] = end - start
    page_map.anchors = {name: index - body_first + 1 for name, index in found.items()
                        if index >= body_first}
    page_map.body_pages = count - body_first
    for anchor, pages in pictures.items():
        for n in range(1, len(pages) + 1):
            if f"{anchor}-p{n}" in found:
                page_map.start[f"{anchor}-p{n}"] = found[f"{anchor}-p{n}"] - body_first + 1
                page_map.pages[f"{anchor}-p{n}"] = 1
    if course.settings.bleed or course.settings.crop_marks:
        from .press import with_print_marks

        data = with_print_marks(data, bleed_points(course), course.settings.crop_marks)
    return data, page_map


PICTURE_DPI = 300     # pictures of original pages in the single document


def _original_pictures(course: Course, theme: Theme, runner: Runner,
                       originals: Originals | None, store: Store) -> dict[str, list[dict]]:
    """For the single document: each original page as a picture file in the course's
    cache (where the contained fetcher may read it), at the size the fast reader draws it,
    with its text as alternative text."""
    import hashlib

    from ..scans.pages import picture
    from .inserts import original_note, placement, text_block

    excerpts = [e for e in course.excerpts if e.original is not None]
    if not excerpts:
        return {}
    folder = store.folder or course.root / ".reader-cache"
    if originals is None:
        originals = prepare_originals(course, runner, store)
    builder = HtmlBuilder(course, theme, {})
    geometry, _ = _cached_geometry(Layout(runner, engine_spec(course, theme)), builder, store,
                                   _base_fingerprint(course, theme))
    x0, y0, x1, y1 = text_block(geometry)
    shelf = store.shelf("pictures", ".png")
    found: dict[str, list[dict]] = {}
    for excerpt in excerpts:
        assert excerpt.original is not None
        pages = originals.of(excerpt)
        window = placement(pages, (x1 - x0, y1 - y0), excerpt.original.crop == "auto")
        box = (window.left, window.top, window.right, window.bottom)
        entries = []
        for page in pages:
            key = hashlib.sha256(f"{page.key}|{box}|{PICTURE_DPI}".encode()).hexdigest()
            if shelf.get(key) is None:
                shelf.put(key, picture(page, PICTURE_DPI, box), {})
            text = " ".join(page.record.text.split())
            alt = f"Page {page.printed} of the original: {text}" if text else \
                f"Page {page.printed} of the original (no text could be read from it)"
            entries.append({"src": (folder / "pictures" / f"{key}.png").as_uri(), "alt": alt,
                            "width": round(window.width * window.scale, 2),
                            "height": round(window.height * window.scale, 2),
                            "note": original_note(page.printed)})
        found[excerpt.anchor] = entries
    return found


def engine_spec(course: Course, theme: Theme) -> EngineSpec:
    return EngineSpec(course.root, course.settings, theme)


def _metadata(course: Course) -> dict[str, Any]:
    """The single document's metadata (WeasyPrint's DocumentMetadata fields)."""
    settings = course.settings
    moment = document_date()
    return {"title": settings.title,
            "authors": [settings.instructor] if settings.instructor else [],
            "description": settings.subtitle, "lang": settings.lang, "generator": "reader",
            "keywords": [k for k in (settings.course, settings.term) if k],
            "created": iso_date(moment) if moment else None,
            "modified": iso_date(moment) if moment else None}


def _base_fingerprint(course: Course, theme: Theme) -> str:
    """What every cached layout depends on besides its own HTML: the tools, the theme's
    stylesheets, templates and fonts (its tokens reach a layout through the HTML), the
    PDF options."""
    import hashlib
    from importlib.metadata import version

    from .. import __version__
    from ..core.store import FORMAT

    return hashlib.sha256(
        f"{__version__}|{FORMAT}|{version('weasyprint')}|{theme.fingerprint(tokens=False)}|"
        f"{pdf_options(course)}".encode()).hexdigest()


def _margins(values: list) -> tuple[float, float, float, float]:
    """Top, right, bottom and left margins, as a cached geometry lists them."""
    top, right, bottom, left = map(float, values)
    return top, right, bottom, left


def _cached_geometry(layout, builder: HtmlBuilder, store: Store,  # noqa: ANN001
                     base: str) -> tuple["Geometry", Furniture]:
    """The page geometry and the margin boxes (furniture.py), probed once per theme and
    paper (a five-page layout otherwise)."""
    import hashlib

    from .assemble import Geometry

    cache = store.shelf("geometry", ".pdf")
    html = probe_html(builder)
    key = hashlib.sha256((base + html).encode()).hexdigest()
    hit = cache.get(key)
    if hit is not None:
        g = hit[1]["geometry"]
        return (Geometry(float(g[0]), float(g[1]), _margins(g[2]), _margins(g[3]),
                         _margins(g[4]) if g[4] else None),
                Furniture.from_json(hit[1]["furniture"]))
    geometry, furniture = layout.geometry(html)
    cache.put(key, b"", {"geometry": [geometry.width, geometry.height, list(geometry.right),
                                      list(geometry.left),
                                      list(geometry.wide) if geometry.wide else None],
                         "furniture": furniture.to_json()})
    return geometry, furniture


def _strings(layout: Layout, builder: HtmlBuilder, store: Store,
             base: str) -> Callable[[list[tuple[str, str]]], tuple[bytes, dict, list[dict]]]:
    """How assembly gets the running heads' and folios' strings laid out: one small
    document (furniture.py), cached by its HTML (an edit that moves no page reuses it)."""
    import hashlib

    def lay_out(strings: list[tuple[str, str]]) -> tuple[bytes, dict, list[dict]]:
        cache = store.shelf("furniture", ".pdf")
        html = strings_html(builder.render([], front=False), strings)
        key = hashlib.sha256((base + html).encode()).hexdigest()
        hit = cache.get(key)
        if hit is not None:
            positions = {int(k): tuple(v) for k, v in hit[1]["positions"].items()}
            return hit[0], positions, hit[1]["fonts"]
        data, positions, fonts = layout.strings(html)
        cache.put(key, data, {"positions": {str(k): list(v) for k, v in positions.items()},
                              "fonts": fonts})
        return data, positions, fonts

    return lay_out


def render_assembled(course: Course, theme: Theme, runner: Runner | None = None,
                     store: Store | None = None,
                     progress: Callable[[int, int, str], None] | None = None,
                     fits: dict[str, "Fit"] | None = None,
                     originals: Originals | None = None):
    """The reader as independently laid-out, cached chunks; returns (pdf, PageMap, stats).

    Every layout is a task for ``runner`` (in this process when none is given).
    ``fits``: how its data tables are set (``table_fits``); measured here if not given.
    ``originals``: the prepared pages of excerpts from PDFs or images (reader.scans),
    prepared here if not given.
    """
    import hashlib

    store = store or Store(None)
    if originals is None:
        originals = prepare_originals(course, runner, store)
    layout = Layout(runner or InProcess(), engine_spec(course, theme))
    if fits is None:
        fits = table_fits(course, theme, runner, store)
    placeholders = chart_placeholders(course, theme, fits)
    builder = HtmlBuilder(course, theme, placeholders, fits)
    base = _base_fingerprint(course, theme)
    geometry, furniture = _cached_geometry(layout, builder, store, base)
    extra = chunk_css(geometry)
    fingerprint = hashlib.sha256(f"{base}|{extra}".encode()).hexdigest()
    cache = store.shelf("chunks", ".pdf")
    chunks = body_chunks(course)
    htmls = [builder.render_bare([c.section()], extra_css=extra) for c in chunks]
    keys = [hashlib.sha256((fingerprint + html + _inserted(c, originals)).encode()).hexdigest()
            for c, html in zip(chunks, htmls)]
    cache.stats.names.update((key, chunk.key) for key, chunk in zip(keys, chunks))
    results: dict[str, tuple[bytes, int, dict, list[dict]]] = {}
    notes: dict[str, dict[int, str]] = {}       # chunk key -> margin notes of its pages
    missing = []
    for key in dict.fromkeys(keys):
        hit = cache.get(key)
        if hit is None:
            missing.append(key)
        else:
            data, meta = hit
            anchors = {k: tuple(v) for k, v in meta["anchors"].items()}
            results[key] = (data, meta["pages"], anchors, meta.get("fonts", []))
            notes[key] = {int(k): v for k, v in meta.get("notes", {}).items()}
            cache.stats.reused.append(key)
    chunk_by_key = dict(zip(keys, chunks))
    html_by_key = dict(zip(keys, htmls))
    todo = [html_by_key[k] for k in missing]
    rendered = layout.chunks([(html, chart_jobs(course, placeholders, html, fits))
                              for html in todo],
                             progress) if todo else []
    for key, (data, pages, anchors, fonts) in zip(missing, rendered):
        item = chunk_by_key[key].item
        notes[key] = {}
        if isinstance(item, Excerpt) and item.original is not None:
            data, pages, notes[key] = insert_pages(data, originals.of(item), geometry,
                                                   item.original.crop == "auto")
        results[key] = (data, pages, anchors, fonts)
        cache.put(key, data, {"pages": pages, "anchors": anchors, "fonts": fonts,
                              "notes": {str(k): v for k, v in notes[key].items()}})
        cache.stats.rendered.append(key)
    page_map, pieces, duplex = _place(course, chunks, keys, results, notes)
    front_pdf, front_meta = _front_matter(layout, builder, store, fingerprint, page_map)
    page_map.front_pages = front_meta["pages"] + front_meta["pages"] % 2   # assemble: a blank
    font_shelf = store.shelf("fonts", ".ttf")
    strings = _strings(layout, builder, store, base)
    return _assemble(course, theme, front_pdf, front_meta, pieces, geometry, furniture, strings,
                     duplex, page_map, font_shelf), page_map, cache.stats


def _inserted(chunk: Chunk, originals: Originals) -> str:
    """What a chunk's pages depend on besides its HTML: the original pages it sets."""
    if not isinstance(chunk.item, Excerpt) or chunk.item.original is None:
        return ""
    return "|originals:" + " ".join(page.key for page in originals.of(chunk.item))


def _place(course: Course, chunks: list[Chunk], keys: list[str],
           results: dict[str, tuple[bytes, int, dict, list[dict]]],
           notes: dict[str, dict[int, str]] | None = None):
    """Page numbers, now that every chunk's length is known (duplex parts on odd pages)."""
    from .assemble import ChunkPdf

    page_map = PageMap()
    duplex = {c.key for c in chunks if c.kind == "part"} if course.settings.duplex else set()
    folio = 1
    pieces = []
    for chunk, key in zip(chunks, keys):
        data, pages, anchors, fonts = results[key]
        if chunk.key in duplex and folio % 2 == 0:
            folio += 1
        page_map.start[chunk.key] = folio
        page_map.pages[chunk.key] = pages
        for name, place in anchors.items():      # place: (page index in the chunk, x, y)
            page_map.anchors[name] = folio + place[0]
        folio += pages
        head = running_head("Sources" if chunk.kind == "sources" else
                            (chunk.item.title_text if chunk.item else ""))
        chunk_notes = (notes or {}).get(key, {})
        pieces.append(ChunkPdf(chunk.key, data, pages, anchors, head, fonts, chunk_notes))
        _original_anchors(chunk, page_map, sorted(chunk_notes))
    page_map.body_pages = folio - 1
    return page_map, pieces, duplex


def _original_anchors(chunk: Chunk, page_map: PageMap, inserted: list[int]) -> None:
    """Each inserted page of an excerpt gets an anchor of its own, ANCHOR-p1, -p2...: what
    the deck cites ("Reader p. 43") for a passage on that page of the original."""
    if not inserted:
        return
    for n, index in enumerate(inserted, 1):
        page_map.start[f"{chunk.key}-p{n}"] = page_map.start[chunk.key] + index
        page_map.pages[f"{chunk.key}-p{n}"] = 1


def prepare_originals(course: Course, runner: Runner | None, store: Store) -> Originals:
    from ..scans.pages import prepare

    return prepare(course, runner, store)


def _front_matter(layout, builder: HtmlBuilder, store: Store,  # noqa: ANN001
                  fingerprint: str, page_map: PageMap) -> tuple[bytes, dict]:
    """Cover and contents, laid out last with the real page numbers; cached by their HTML,
    so an edit that moves no page number reuses them."""
    import hashlib

    toc_pages = {key: str(number) for key, number in page_map.start.items()}
    html = builder.render([], front=True, toc_pages=toc_pages)
    key = hashlib.sha256((fingerprint + "|front|" + html).encode()).hexdigest()
    cache = store.shelf("front", ".pdf")
    hit = cache.get(key)
    if hit is not None and isinstance(hit[1].get("links"), list) and \
            isinstance(hit[1].get("fonts"), list):
        return hit
    data, meta = layout.front(html)
    cache.put(key, data, meta)
    return data, meta


def _assemble(course: Course, theme: Theme, front_pdf: bytes, front_meta: dict, pieces: list,
              geometry, furniture: Furniture, strings, duplex: set[str],  # noqa: ANN001
              page_map: PageMap, fonts) -> bytes:  # noqa: ANN001
    from importlib.metadata import version

    from .. import __version__
    from .assemble import assemble

    settings = course.settings
    outline = _outline_entries(course, page_map, front_meta["contents_page"])
    links = [(n, target, tuple(rect)) for n, target, rect in front_meta["links"]]
    data, _ = assemble(
        front_pdf, links, pieces, geometry=geometry, furniture=furniture, strings=strings,
        course_title=running_head(settings.title), duplex_breaks=duplex, outline=outline,
        metadata={"Title": settings.title, "Author": settings.instructor or "",
                  "Subject": settings.subtitle or "",
                  "Keywords": ", ".join(k for k in (settings.course, settings.term) if k),
                  "Creator": "reader", "Producer": f"reader {__version__} (WeasyPrint "
                                                    f"{version('weasyprint')}, pikepdf)",
                  **_dates()},
        lang=settings.lang, font_cache=fonts, front_fonts=front_meta.get("fonts", []),
        font_folders=[course.root, theme.builtin], bleed=bleed_points(course),
        crop_marks=settings.crop_marks)
    return data


def bleed_points(course: Course) -> float:
    from ..course.manifest import length_points

    return length_points(course.settings.bleed) if course.settings.bleed else 0.0



def _dates() -> dict[str, str]:
    moment = document_date()
    if moment is None:
        return {}
    return {"CreationDate": pdf_date(moment), "ModDate": pdf_date(moment)}


def _outline_entries(course: Course, page_map: PageMap, toc_page: int) -> list:
    """Contents, parts with their items, loose items, Sources: as the single document has."""
    from .assemble import Outline

    offset = page_map.front_pages - 1
    entries = [Outline("Contents", toc_page)]
    for entry in course.entries:
        if isinstance(entry, Part):
            node = Outline(f"{entry.label}. {entry.title_text}",
                           offset + page_map.start[entry.anchor])
            node.children = [Outline(f"{i.label}. {i.title_text}",
                                     offset + page_map.start[i.anchor]) for i in entry.items]
            entries.append(node)
        else:
            entries.append(Outline(f"{entry.label}. {entry.title_text}",
                                   offset + page_map.start[entry.anchor]))
    if "sources" in page_map.start:
        entries.append(Outline("Sources", offset + page_map.start["sources"]))
    return entries
