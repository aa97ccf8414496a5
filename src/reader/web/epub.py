"""dist/reader.epub: an EPUB 3 of the screen edition's pages, written as a zip by hand.

Why not ebooklib: the package is a few templates and a zip, and writing it here keeps
what matters in our hands: the same bytes for the same course (fixed member dates from
SOURCE_DATE_EPOCH, a fixed member order; ebooklib stamps the current time), a
``page-list`` that maps to the printed reader's pages (ebooklib's navigation has none),
the schema.org accessibility metadata, and XHTML from the very templates of the web pages.
"""

from __future__ import annotations

import datetime
import io
import re
import uuid
import zipfile
from typing import TYPE_CHECKING, Any

from ..core.dates import zip_date
from ..course.model import Course
from ..course.pagemap import PageMap
from ..course.theme import Theme
from .site import Edition, Templates, page_list, prepare

if TYPE_CHECKING:
    from ..scans.pages import Originals

MEDIA_TYPES = {".xhtml": "application/xhtml+xml", ".css": "text/css", ".ttf": "font/ttf",
               ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
               ".gif": "image/gif", ".webp": "image/webp", ".svg": "image/svg+xml"}

CONTAINER = """<?xml version="1.0" encoding="UTF-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles>
    <rootfile full-path="EPUB/package.opf" media-type="application/oebps-package+xml"/>
  </rootfiles>
</container>
"""


def epub_edition(course: Course, theme: Theme, page_map: PageMap | None,
                 originals: Originals | None = None) -> bytes:
    """The whole EPUB file (``originals``: as for web_edition)."""
    edition = prepare(course, theme, page_map, epub=True, originals=originals)
    templates = Templates(theme)
    documents: dict[str, bytes] = {}
    svg_documents = set()
    for page in edition.pages:
        page = _xhtml_page(page)
        name = page["file"]
        documents[name] = templates.render("epub-page.xhtml.j2", site=edition.site, page=page,
                                           epub=True, ext=".xhtml").encode("utf-8")
        if page.get("chart"):
            svg_documents.add(name)
    pages = page_list(edition, ".xhtml")
    documents["nav.xhtml"] = templates.render("epub-nav.xhtml.j2", site=edition.site,
                                              page_list=pages, epub=True,
                                              ext=".xhtml").encode("utf-8")
    others: dict[str, bytes] = {"style.css": edition.stylesheet.encode("utf-8"),
                                **edition.fonts, **edition.images}
    package = _package(edition, documents, others, svg_documents)
    opf = templates.render("epub-package.opf.j2", site=edition.site, package=package,
                           epub=True, ext=".xhtml")
    return _zip(opf.encode("utf-8"), {**documents, **others})


def _xhtml_page(page: dict[str, Any]) -> dict[str, Any]:
    page = dict(page)
    page["file"] = page["file"] + ".xhtml"
    return page


def _package(edition: Edition, documents: dict[str, bytes], others: dict[str, bytes],
             svg_documents: set[str]) -> dict[str, Any]:
    site = edition.site
    manifest = []
    for href in [*documents, *others]:
        suffix = re.search(r"\.[A-Za-z0-9]+$", href)
        properties = []
        if href == "nav.xhtml":
            properties.append("nav")
        if href in svg_documents:
            properties.append("svg")
        manifest.append({"id": _id(href), "href": href,
                         "type": MEDIA_TYPES[suffix.group().lower() if suffix else ""],
                         "properties": " ".join(properties)})
    spine = [_id(page["file"] + ".xhtml") for page in edition.pages]
    has_images = any(item["images"] for item in site["items"])
    has_charts = any(item.get("table") and item["table"]["chart"] for item in site["items"])
    features = ["structuralNavigation", "tableOfContents", "readingOrder",
                "displayTransformability"]
    if has_images:
        features.append("alternativeText")
    if has_charts:
        features.append("longDescription")
    if site["printed"]:
        features += ["pageBreakMarkers", "pageNavigation"]
    return {
        "identifier": _identifier(site), "modified": _modified(),
        "source": f"{site['title']}, course reader (print edition, PDF)",
        "access_modes": ["textual", "visual"] if has_images or has_charts else ["textual"],
        "features": features, "summary": _summary(site, has_images, has_charts),
        "manifest": manifest, "spine": spine,
    }


def _summary(site: dict[str, Any], images: bool, charts: bool) -> str:
    parts = ["The contents are a navigable table of contents, and headings follow the "
             "structure of the reader.",
             "The language of the text, and of passages in other languages, is marked."]
    if images:
        parts.append("Every image has a text alternative, or is marked as decorative.")
    if charts:
        parts.append("Each chart has a text description, and its values are in the table "
                     "it is drawn from.")
    if site["printed"]:
        parts.append("Page markers and a page list give the page numbers of the printed "
                     "reader, so that it can be cited by page.")
    parts.append("Footnotes are linked notes with a link back to the text. Text can be "
                 "enlarged and reflows.")
    return " ".join(parts)


def _id(href: str) -> str:
    return "f-" + re.sub(r"[^A-Za-z0-9_-]", "_", href)


def _identifier(site: dict[str, Any]) -> str:
    """Stable across builds of one variant: the same book keeps its identity."""
    key = "|".join(str(site[k]) for k in ("title", "course", "term", "class_name", "edition"))
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'reader:' + key)}"


def _modified() -> str:
    stamp = datetime.datetime(*zip_date(), tzinfo=datetime.timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


def _zip(opf: bytes, files: dict[str, bytes]) -> bytes:
    """The OCF container: ``mimetype`` first and stored, then everything else, in a fixed
    order with fixed dates (the same course gives the same bytes)."""
    buffer = io.BytesIO()
    date = zip_date()
    with zipfile.ZipFile(buffer, "w") as archive:
        def add(name: str, data: bytes, method: int = zipfile.ZIP_DEFLATED) -> None:
            info = zipfile.ZipInfo(name, date_time=date)
            info.compress_type = method
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)

        add("mimetype", b"application/epub+zip", zipfile.ZIP_STORED)
        add("META-INF/container.xml", CONTAINER.encode("utf-8"))
        add("EPUB/package.opf", opf)
        for name in files:
            add(f"EPUB/{name}", files[name])
    return buffer.getvalue()
