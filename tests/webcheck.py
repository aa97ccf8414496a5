"""Reading the screen editions back: a test course with everything a screen reader meets,
and independent checks of the pages' structure (an HTML parser, not reader's code)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import yaml

from conftest import Course, essay, excerpt


def write_accessible_course(course: Course, outputs: list[str] | None = None) -> Course:
    """Tables, figures with and without alt text (one decorative), footnotes, a French
    excerpt, a chart, instructor notes, and a class variant."""
    from PIL import Image

    Image.new("RGB", (1200, 600), (40, 90, 140)).save(_mkdir(course.root / "s") / "map.png")
    Image.new("RGB", (1200, 40), (200, 190, 170)).save(course.root / "s" / "rule.png")
    course.write("s/intro.md", essay("Reading the sources", """
        Historians read sources against each other.[^1] The map below shows the regions.

        ![Map of the grain regions, 1928](map.png "The grain regions in 1928")

        ## What the figures say

        The figures are in the table.[^2]

        | Region | Farms | Share |
        |:-------|------:|------:|
        | Ukraine | 5,000 | 12.5 |
        | Siberia | 2,100 | 6.0 |

        #### A detail, written two levels down

        A deeper point, with a [link](https://example.org/page).

        ![](rule.png)

        [^1]: See the *Sources* list at the end.
        [^2]: Figures rounded.
        """, author="Course team", decorative=["rule.png"]))
    course.write("s/french.md", excerpt("Un témoignage", """
        « Nous sommes partis au printemps », écrit-il. Les villages étaient vides.

        Le second paragraphe du témoignage.
        """, author="Jean Dupont", source_title="Souvenirs", pages="3-4",
        lang="fr", permission="Public domain", headnote="A French witness, in the original."))
    course.write("s/grain.yaml", yaml.safe_dump({
        "title": "Grain procurement (million tonnes)", "source": "Statistical yearbook",
        "columns": ["Year", "Planned", "Collected"],
        "rows": [[1928, 10.5, 10.8], [1929, 16.0, 16.1], [1930, 22.1, 22.1]],
        "chart": {"type": "bar", "x": "Year", "y": ["Planned", "Collected"]}}))
    course.write("s/questions.yaml", yaml.safe_dump({
        "title": "Questions", "questions": [
            "Whose numbers are these?",
            {"text": "What changed in 1930?", "notes": "TEACHING-NOTE: the quotas."}]}))
    course.write("s/end.md", essay("Conclusion", "It ends here."))
    course.manifest({
        "title": "An Accessible Course", "course": "HIST 2", "instructor": "Dr Example",
        "term": "Spring 2027", "lang": "en", "outputs": outputs or ["pdf", "web", "epub"],
        "contents": [
            {"part": "Sources", "items": [{"essay": "s/intro.md"}, {"excerpt": "s/french.md"}]},
            {"part": "Numbers", "items": [{"table": "s/grain.yaml"},
                                          {"questions": "s/questions.yaml"}]},
            {"essay": "s/end.md"},
        ],
        "classes": {"seminar": {"edition": "instructor", "skip": ["s/end.md"]}}})
    return course


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class Page:
    """What one HTML page is made of, as an HTML parser sees it."""

    path: Path
    lang: str | None = None
    headings: list[int] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    links: list[dict[str, str]] = field(default_factory=list)       # every <a>
    resources: list[tuple[str, str]] = field(default_factory=list)  # (tag, url) loaded
    images: list[dict[str, str]] = field(default_factory=list)
    tables: int = 0
    captions: int = 0
    header_cells: list[dict[str, str]] = field(default_factory=list)
    scripts: int = 0
    metas: list[dict[str, str]] = field(default_factory=list)
    langs: list[tuple[str, str]] = field(default_factory=list)      # (tag, lang) inside
    styles: int = 0                                                 # inline style attributes
    text: str = ""


class _Reader(HTMLParser):
    def __init__(self, page: Page):
        super().__init__(convert_charrefs=True)
        self.page = page
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        page = self.page
        if "id" in a:
            page.ids.add(a["id"])
        if "style" in a:
            page.styles += 1
        if tag == "html":
            page.lang = a.get("lang")
        elif "lang" in a:
            page.langs.append((tag, a["lang"]))
        if re.fullmatch(r"h[1-6]", tag):
            page.headings.append(int(tag[1]))
        if tag == "a":
            page.links.append(a)
        if tag in ("img", "script", "iframe", "object", "embed", "audio", "video", "source"):
            if a.get("src"):
                page.resources.append((tag, a["src"]))
        if tag == "link" and a.get("href"):
            page.resources.append((tag, a["href"]))
        if tag == "img":
            page.images.append(a)
        if tag == "table":
            page.tables += 1
        if tag == "caption":
            page.captions += 1
        if tag == "th":
            page.header_cells.append(a)
        if tag == "script":
            page.scripts += 1
        if tag == "meta":
            page.metas.append(a)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        self.texts.append(data)


def read_page(path: Path) -> Page:
    page = Page(path)
    reader = _Reader(page)
    reader.feed(path.read_text(encoding="utf-8"))
    reader.close()
    page.text = re.sub(r"\s+", " ", " ".join(reader.texts))
    return page


def structure_problems(page: Page, folder: Path) -> list[str]:
    """Everything the issue promises of each page's markup that a parser can see."""
    name = page.path.relative_to(folder).as_posix()
    found = []
    if page.headings.count(1) != 1:
        found.append(f"{name}: {page.headings.count(1)} h1 elements")
    previous = 0
    for level in page.headings:
        if level > previous + 1:
            found.append(f"{name}: heading h{level} after h{previous}")
        previous = level
    if not page.lang:
        found.append(f"{name}: no lang on <html>")
    if page.scripts:
        found.append(f"{name}: {page.scripts} script elements")
    if page.styles:
        found.append(f"{name}: {page.styles} inline style attributes (the CSP refuses them)")
    csp = [m.get("content", "") for m in page.metas
           if m.get("http-equiv", "").lower() == "content-security-policy"]
    if not csp or "script-src 'none'" not in csp[0] or "default-src 'none'" not in csp[0]:
        found.append(f"{name}: no Content-Security-Policy forbidding scripts ({csp})")
    if page.tables != page.captions:
        found.append(f"{name}: {page.tables} tables but {page.captions} captions")
    for cell in page.header_cells:
        if cell.get("scope") not in ("col", "row"):
            found.append(f"{name}: a <th> without scope")
    for image in page.images:
        if "alt" not in image:
            found.append(f"{name}: an image without an alt attribute: {image.get('src')}")
    for tag, url in page.resources:
        if re.match(r"^[a-z][a-z0-9+.-]*:|^//", url, re.I):
            found.append(f"{name}: {tag} loads {url}: not a file of the edition")
    for link in page.links:
        href = link.get("href", "")
        if re.match(r"^(javascript|data|file|vbscript):", href, re.I):
            found.append(f"{name}: link to {href}")
        elif href and not re.match(r"^(https?|mailto):", href, re.I):
            target, _, fragment = href.partition("#")
            target_path = (page.path.parent / target) if target else page.path
            if not target_path.is_file():
                found.append(f"{name}: link to {href}: no such file")
            elif fragment and target_path.suffix == ".html" and \
                    fragment not in read_page(target_path).ids:
                found.append(f"{name}: link to {href}: no such id")
    return found


def note_problems(page: Page) -> list[str]:
    """Every note reference leads to its note, and every note leads back."""
    found = []
    by_href = {link.get("href", ""): link for link in page.links}
    for link in page.links:
        if "noteref" in link.get("class", ""):
            note = link["href"].lstrip("#")
            if note not in page.ids:
                found.append(f"{page.path.name}: note {note} is missing")
            back = by_href.get(f"#{link.get('id')}")
            if back is None or back.get("role") != "doc-backlink":
                found.append(f"{page.path.name}: note {note} has no link back to "
                             f"#{link.get('id')}")
    return found
