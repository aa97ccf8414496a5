"""Stage 3c: the screen editions. ``web_edition`` makes dist/web/ (a static site),
``epub.py`` the EPUB, both from the same pages.

Everything a page shows comes from the course view (course.view: plain data) and is
printed by sandboxed, autoescaped Jinja templates from web/templates/, which a course can
override in its templates/ folder like the PDF's. Pages link to each other relatively, so
the edition works opened from the file system and from any web server; it loads nothing
from elsewhere, and a Content-Security-Policy forbids every script.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from ..course.model import Course
from ..course.pagemap import PageMap
from ..course.theme import Theme, template_loader
from ..course.templating import PlainSandbox, render
from ..course.pagetext import PageText
from ..course.view import OriginalText, course_view
from .body import Image, screen_body
from .chart import chart_svg

if TYPE_CHECKING:
    from ..scans.pages import Originals

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"

# No script from anywhere; styles, images and fonts only from the edition itself.
CSP = ("default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self'; "
       "font-src 'self'; base-uri 'none'; form-action 'none'")

FACES = ((False, False), (True, False), (False, True), (True, True))


@dataclass
class Edition:
    """What the two screen editions share: the view, the pages and their files."""

    course: Course
    theme: Theme
    site: dict[str, Any]
    pages: list[dict[str, Any]]
    images: dict[str, bytes] = field(default_factory=dict)     # edition path -> bytes
    fonts: dict[str, bytes] = field(default_factory=dict)
    stylesheet: str = ""


def image_name(path: Path) -> str:
    """An image's file in the edition: named by its content, so an edit makes a new one."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    safe = re.sub(r"[^A-Za-z0-9._-]", "-", path.name)
    return f"images/{digest}-{safe}"


def prepare(course: Course, theme: Theme, page_map: PageMap | None, *,
            epub: bool, originals: Originals | None = None) -> Edition:
    """The view, each page's plain data, and the files the pages use. ``originals``: the
    prepared pages of excerpts taken from PDFs or images, whose text the editions give."""
    names: dict[Path, str] = {}

    def image_src(path: Path) -> str:
        if path not in names:
            names[path] = image_name(path)
        return names[path]

    site = course_view(course, page_map, image_src=image_src,
                       original_text=original_text(course, originals))
    edition = Edition(course, theme, site, [])
    colours = theme.series_colours()
    edition.pages = _pages(site, colours, epub)
    edition.images = {name: path.read_bytes() for path, name in names.items()}
    edition.fonts = _fonts(theme)
    edition.stylesheet = (theme.css_variables() + "\n" + _font_faces(edition.fonts) + "\n" +
                          theme.find("web.css", HERE).read_text(encoding="utf-8"))
    return edition


def original_text(course: Course, originals: Originals | None) -> OriginalText:
    """What was read on each original page (its own text layer, or OCR's), by excerpt."""
    if originals is None:
        return {}
    return {excerpt.name: [PageText(page.record.text, page.record.ocr)
                           for page in originals.of(excerpt)]
            for excerpt in course.excerpts if excerpt.original is not None}


def _pages(site: dict[str, Any], colours: list[str], epub: bool) -> list[dict[str, Any]]:
    """Every page in reading order: title page, parts and items, Sources, permissions."""
    pages: list[dict[str, Any]] = [{"kind": "index", "file": "index", "title": site["title"],
                                    "trail": []}]
    for entry in site["entries"]:
        if entry["kind"] == "part":
            pages.append({"kind": "part", "file": entry["anchor"], "part": entry,
                          "title": f"{entry['label']}: {entry['title_text']}",
                          "trail": [{"file": "index", "text": "Contents"},
                                    {"file": "", "text": entry["label"]}]})
            pages.extend(_item_page(item, colours, epub) for item in entry["items"])
        else:
            pages.append(_item_page(entry, colours, epub))
    if site["sources"]:
        for name, title in (("sources", "Sources"), ("permissions", "Copyright and permissions")):
            pages.append({"kind": name, "file": name, "title": title,
                          "trail": [{"file": "index", "text": "Contents"},
                                    {"file": "", "text": title}]})
    for n, page in enumerate(pages):
        page["prev"] = _link(pages[n - 1]) if n > 0 else None
        page["next"] = _link(pages[n + 1]) if n + 1 < len(pages) else None
    return pages


def _link(page: dict[str, Any]) -> dict[str, str]:
    return {"file": page["file"], "text": "Contents" if page["kind"] == "index" else
            page["title"]}


def _item_page(item: dict[str, Any], colours: list[str], epub: bool) -> dict[str, Any]:
    images = {image["uri"]: Image(image["src"], image["alt"], image["decorative"])
              for image in item["images"]}
    body = screen_body(item["html"], prefix=item["anchor"], images=images,
                       block_pages=item["block_pages"], first_page=item["page"], epub=epub)
    chart = None
    table = item.get("table")
    if table and table["chart"]:
        chart = chart_svg(table["chart"], item["title_text"], f"{item['anchor']}-chart",
                          colours)
    trail = [{"file": "index", "text": "Contents"}]
    if item["part_anchor"]:
        trail.append({"file": item["part_anchor"], "text": item["part_label"]})
    trail.append({"file": "", "text": item["label"]})
    originals, marked = _original_markers(item)
    return {"kind": "item", "file": item["anchor"], "item": item,
            "title": f"{item['label']}: {item['title_text']}", "trail": trail,
            "body_html": body.html, "notes": body.notes,
            "marked_pages": body.pages + marked, "chart": chart, "originals": originals}


def _original_markers(item: dict[str, Any]) -> tuple[list[dict[str, Any]], list[int]]:
    """The pages of an excerpt taken from a PDF or images, each with the printed reader's
    page ``marker`` where that page begins with it (0 elsewhere: a marker is never
    repeated), and the pages marked."""
    last = item["page"]
    pages, marked = [], []
    for page in item.get("original_text", []):
        marker = page["page"] if page["page"] > last else 0
        if marker:
            marked.append(marker)
            last = marker
        pages.append({**page, "marker": marker})
    return pages, marked


def page_list(edition: Edition, ext: str) -> list[dict[str, Any]]:
    """Each printed page that has a marker in the edition, and where: the EPUB's page-list."""
    found: dict[int, str] = {}
    site = edition.site
    for page in edition.pages:
        starts = []
        if page["kind"] == "part":
            starts = [page["part"]["page"]]
        elif page["kind"] == "item":
            starts = [page["item"]["page"], *page["marked_pages"]]
        elif page["kind"] == "sources":
            starts = [site["sources_pages"]["page"]]
        for number in starts:
            if number and number not in found:
                found[number] = f"{page['file']}{ext}#page-{number}"
    return [{"page": n, "href": found[n]} for n in sorted(found)]


def _fonts(theme: Theme) -> dict[str, bytes]:
    """The theme's body and heading faces (all four styles of each that exist)."""
    fonts: dict[str, bytes] = {}
    for role in ("body", "heading"):
        family = theme.tokens["fonts"][role]
        for bold, italic in FACES:
            path = theme.font_file(family, bold, italic)
            if path is not None:
                fonts[f"fonts/{path.name}"] = path.read_bytes()
    return fonts


def _font_faces(fonts: dict[str, bytes]) -> str:
    rules = []
    for name in fonts:
        match = re.fullmatch(r"fonts/([A-Za-z0-9 _-]+)-(Regular|Bold|Italic|BoldItalic)\.ttf",
                             name)
        if match is None:
            continue
        family, style = match.groups()
        weight = "bold" if "Bold" in style else "normal"
        slant = "italic" if "Italic" in style else "normal"
        rules.append(f'@font-face {{ font-family: "{family}"; font-weight: {weight}; '
                     f'font-style: {slant}; src: url("{name}") format("truetype"); }}')
    return "\n".join(rules)


class Templates:
    """The screen editions' templates: plain data, the plain sandbox (course/templating.py),
    overridable by the course."""

    def __init__(self, theme: Theme):
        self.theme = theme
        self.env = PlainSandbox(template_loader(theme, TEMPLATES))

    def render(self, name: str, **context: Any) -> str:
        return render(self.env, name, self.theme.root, **context)


def web_edition(course: Course, theme: Theme, page_map: PageMap | None,
                downloads: dict[str, bytes] | None = None,
                originals: Originals | None = None) -> dict[str, bytes]:
    """dist/web/: every file of the static web edition, by its path inside web/.

    ``downloads`` are the build's other outputs (reader.pdf, deck.pptx, reader.epub),
    copied into web/downloads/ so that the folder is complete on its own; ``originals``
    the prepared pages whose text stands for excerpts taken from PDFs or images.
    """
    edition = prepare(course, theme, page_map, epub=False, originals=originals)
    templates = Templates(theme)
    files: dict[str, bytes] = {"style.css": edition.stylesheet.encode("utf-8"),
                               "favicon.svg": _favicon(theme)}
    files.update(edition.fonts)
    files.update(edition.images)
    links = []
    for name, data in (downloads or {}).items():
        files[f"downloads/{name}"] = data
        links.append(_download(name, len(data)))
    for page in edition.pages:
        page = _with_extension(page, ".html")
        html = templates.render("web-page.html.j2", site=edition.site, page=page,
                                downloads=links, csp=Markup(CSP), epub=False, ext=".html")
        files[f"{page['file']}"] = html.encode("utf-8")
    return files


def _favicon(theme: Theme) -> bytes:
    """A square of the theme's accent colour: browsers ask for an icon, and one from the
    edition itself keeps them from asking a server for /favicon.ico."""
    accent = theme.tokens["colours"]["accent"]
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
            f'<rect width="16" height="16" rx="3" fill="{accent}"/></svg>').encode()


DOWNLOADS = {"reader.pdf": ("The printed reader", "PDF", "Printed reader (PDF)"),
             "deck.pptx": ("The lecture slides", "PowerPoint", "Slides (PowerPoint)"),
             "reader.epub": ("The reader as an e-book", "EPUB", "E-book (EPUB)")}


def _download(name: str, size: int) -> dict[str, str]:
    text, kind, short = DOWNLOADS.get(name, (name, "file", name))
    shown = f"{size / 2**20:.1f} MB" if size >= 2**20 else f"{max(1, size // 1024)} KB"
    return {"file": f"downloads/{name}", "text": text, "kind": kind, "short": short,
            "size": shown}


def _with_extension(page: dict[str, Any], ext: str) -> dict[str, Any]:
    """The page with its own file name and its links ending in ``ext``."""
    page = dict(page)
    page["file"] = page["file"] + ext
    page["trail"] = [{**step, "file": step["file"] + ext if step["file"] else ""}
                     for step in page["trail"]]
    for key in ("prev", "next"):
        if page[key]:
            page[key] = {**page[key], "file": page[key]["file"] + ext}
    return page
