"""Stage 2a: item text. Markdown (CommonMark via markdown-it-py) to print HTML and plain text.

One parse serves both outputs: the reader gets HTML with footnotes placed
inline (WeasyPrint floats them to the foot of the page); the deck gets plain
paragraphs, ``##`` sections and sentences for splitting across slides.

Raw HTML policy: markdown-it runs with ``html=False``, so any HTML typed into
a course file is printed literally, never interpreted. Course files cannot
load scripts, frames, styles or remote images; images come only from
Markdown image syntax and must be files inside the course folder.
"""

from __future__ import annotations

import re
from functools import lru_cache
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from markupsafe import Markup
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

from ..errors import CourseError, Location, Problem, Problems
from ..core.files import MAX_BINARY_BYTES, resolve_in_course
from ..core.yamlsource import Invalid, YamlSource

_QUOTES = {"de": "„“‚‘", "fr": "«»‹›", "ru": "«»„“", "pl": "„”‚’", "it": "«»“”",
           "es": "«»“”", "nl": "‘’‚’", "sv": "””’’", "da": "»«›‹", "cs": "„“‚‘"}


@lru_cache(maxsize=16)
def _parser(lang: str, images: bool = True) -> MarkdownIt:
    """One configured parser per language (building one costs ~0.3 ms: titles are
    rendered hundreds of times). Whoever swaps a renderer rule puts it back
    (see _render_html)."""
    quotes = _QUOTES.get(lang.split("-")[0].lower(), "“”‘’")
    md = MarkdownIt("commonmark", {"typographer": True, "html": False, "quotes": quotes})
    md.enable(["table", "replacements", "smartquotes", "strikethrough"])
    md.use(footnote_plugin).use(front_matter_plugin)
    md.validateLink = lambda url: True  # we check every URL ourselves (see _check_links)
    if not images:
        md.disable("image")
    return md


@dataclass
class Image:
    path: Path
    alt: str
    location: Location


@dataclass
class Section:
    heading: str
    paragraphs: list[str]

    @property
    def first_sentence(self) -> str:
        for para in self.paragraphs:
            sentences = split_sentences(para)
            if sentences:
                return sentences[0]
        return ""


@dataclass
class Document:
    """A parsed Markdown item file."""

    front: Any
    front_src: YamlSource
    front_location: Location
    html: str
    paragraphs: list[str]
    sections: list[Section]
    images: list[Image] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)

    @property
    def word_count(self) -> int:
        return len(re.findall(r"\w+(?:['’-]\w+)*", self.text))


def parse_markdown_file(path: Path, root: Path, text: str, lang: str = "en") -> Document:
    """Parse one Markdown item file (front matter + body)."""
    md = _parser(lang)
    env: dict[str, Any] = {}
    tokens = md.parse(text, env)
    src = YamlSource(path, root, line_offset=1)
    front: Any = None
    front_loc = Location(path, 1, 1, root)
    if tokens and tokens[0].type == "front_matter":
        front = src.load(tokens[0].content) if tokens[0].content.strip() else None
        tokens = tokens[1:]
    problems = Problems()
    warnings: list[Problem] = []
    images = _check_images(tokens, path, root, problems, warnings)
    _check_links(tokens, path, root, problems)
    problems.raise_if_any()
    notes = _footnote_bodies(md, tokens, env)
    body = [t for t in _without_footnote_block(tokens)]
    html = _render_html(md, body, env, notes)
    paragraphs, sections = _plain(body)
    return Document(front, src, front_loc, html, paragraphs, sections, images, warnings)


@lru_cache(maxsize=4096)
def render_inline(text: str, lang: str = "en") -> Markup:
    """Markdown for one-line fields (titles, headnotes, questions, notes).

    Emphasis and links only: images are not interpreted in these fields (printed
    as typed), and links keep only web, mail and in-page targets.
    """
    md = _parser(lang, images=False)
    env: dict[str, Any] = {}
    tokens = md.parseInline(text, env)
    for child, _ in _walk_inline(tokens):
        _clean_link(child)
    return Markup(md.renderer.render(tokens, md.options, env))


@lru_cache(maxsize=4096)
def typographic(text: str, lang: str = "en") -> str:
    """Plain text with smart quotes and dashes, for slides (which take no HTML)."""
    md = _parser(lang)
    tokens = md.parseInline(text)
    return "".join(_inline_text(t.children or []) for t in tokens)


def has_image(text: str) -> bool:
    """True when one-line Markdown (a title, headnote, question) contains an image."""
    md = _parser("en")
    tokens = md.parseInline(text, {})
    return any(child.type == "image" for child, _ in _walk_inline(tokens))


# --- images and links --------------------------------------------------------

def _walk_inline(tokens: list[Token]):
    line = None
    for token in tokens:
        if token.map:
            line = token.map[0] + 1
        for child in token.children or []:
            yield child, line


def _check_images(tokens: list[Token], path: Path, root: Path, problems: Problems,
                  warnings: list[Problem]) -> list[Image]:
    images: list[Image] = []
    for child, line in _walk_inline(tokens):
        if child.type != "image":
            continue
        src = str(child.attrGet("src") or "")
        loc = Location(path, line, None, root)
        try:
            resolved = resolve_in_course(root, path.parent, _unquote(src))
            _check_image_file(resolved)
        except Invalid as exc:
            problems.add(loc, f"image {exc}")
            continue
        child.attrSet("src", resolved.as_uri())
        alt = "".join(c.content for c in child.children or [])
        # A missing alt text is judged in course.checks, which knows the decorative images
        # and whether the build makes a screen edition (where it is an error).
        images.append(Image(resolved, alt, loc))
    return images


def _unquote(src: str) -> str:
    from urllib.parse import unquote

    return unquote(src)


def _check_image_file(path: Path) -> None:
    size = path.stat().st_size
    if size > MAX_BINARY_BYTES:
        raise Invalid(f"'{path.name}' is {size / 2**20:.1f} MiB; images up to "
                      f"{MAX_BINARY_BYTES / 2**20:.0f} MiB are accepted; export it smaller")
    if path.suffix.lower() == ".svg":
        head = path.read_bytes()[:2048].lower()
        if b"<svg" not in head:
            raise Invalid(f"'{path.name}' is not an SVG image")
        return
    import warnings

    from PIL import Image as PILImage, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PILImage.DecompressionBombWarning)
            with PILImage.open(path) as img:
                width, height = img.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise Invalid(f"'{path.name}' is {width:,} x {height:,} pixels; images up "
                                  f"to {MAX_IMAGE_PIXELS // 10**6} megapixels are accepted "
                                  "(300 dpi over a whole page is 9); export it smaller")
                img.verify()
                if img.format not in ("PNG", "JPEG", "GIF", "WEBP"):
                    raise Invalid(f"'{path.name}' is a {img.format} image; use PNG, JPEG, "
                                  "GIF, WebP or SVG")
    except PILImage.DecompressionBombError:
        raise Invalid(f"'{path.name}' has far too many pixels to print; images up to "
                      f"{MAX_IMAGE_PIXELS // 10**6} megapixels are accepted") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise Invalid(f"'{path.name}' is not an image reader can print (PNG, JPEG, GIF, "
                      "WebP or SVG)") from None


MAX_IMAGE_PIXELS = 60_000_000

_SAFE_LINK = re.compile(r"^(https?:|mailto:|#)", re.I)


def _check_links(tokens: list[Token], path: Path, root: Path, problems: Problems) -> None:
    """Links are printed, not fetched; still, only web, mail and in-page links are kept."""
    for child, _ in _walk_inline(tokens):
        _clean_link(child)


def _clean_link(child: Token) -> None:
    if child.type == "link_open":
        href = str(child.attrGet("href") or "")
        if not _SAFE_LINK.match(href):
            child.attrs.pop("href", None)  # kept as plain text; never a file: or data: link


# --- footnotes ----------------------------------------------------------------

def _footnote_bodies(md: MarkdownIt, tokens: list[Token], env: dict) -> dict[int, str]:
    bodies: dict[int, str] = {}
    current: int | None = None
    collected: list[Token] = []
    for token in tokens:
        if token.type == "footnote_open":
            current, collected = token.meta["id"], []
        elif token.type == "footnote_close" and current is not None:
            inner = [t for t in collected if t.type not in (
                "paragraph_open", "paragraph_close", "footnote_anchor")]
            bodies[current] = md.renderer.render(inner, md.options, env).strip()
            current = None
        elif current is not None:
            collected.append(token)
    return bodies


def _without_footnote_block(tokens: list[Token]):
    inside = False
    for token in tokens:
        if token.type == "footnote_block_open":
            inside = True
        elif token.type == "footnote_block_close":
            inside = False
        elif not inside:
            yield token


def _render_html(md: MarkdownIt, tokens: list[Token], env: dict, notes: dict[int, str]) -> str:
    renderer = md.renderer

    def footnote_ref(self, toks, idx, options, env):  # noqa: ANN001
        body = notes.get(toks[idx].meta["id"], "")
        return f'<span class="footnote">{body}</span>'

    levels: list[int] = [2]     # the item's title is the h2; no heading skips a level

    def heading_open(self, toks, idx, options, env):  # noqa: ANN001
        level = min(max(3, int(toks[idx].tag[1]) + 1), levels[-1] + 1, 6)
        levels.append(level)
        return f"<h{level}>"

    def heading_close(self, toks, idx, options, env):  # noqa: ANN001
        return f"</h{levels[-1]}>\n"

    def paragraph_open(self, toks, idx, options, env):  # noqa: ANN001
        # Lines ending in hard breaks are verse: the stylesheet keeps its stanzas apart
        # by a blank line instead of indenting them as prose paragraphs.
        following = toks[idx + 1].children if idx + 1 < len(toks) else None
        if any(child.type == "hardbreak" for child in following or ()):
            toks[idx].attrSet("class", "verse")
        return self.renderToken(toks, idx, options, env)

    saved = {name: renderer.rules.get(name) for name in
             ("footnote_ref", "heading_open", "heading_close", "paragraph_open")}
    renderer.rules["footnote_ref"] = footnote_ref.__get__(renderer)
    renderer.rules["heading_open"] = heading_open.__get__(renderer)
    renderer.rules["heading_close"] = heading_close.__get__(renderer)
    renderer.rules["paragraph_open"] = paragraph_open.__get__(renderer)
    try:
        return renderer.render(tokens, md.options, env)
    finally:
        for name, rule in saved.items():
            if rule is None:
                renderer.rules.pop(name, None)
            else:
                renderer.rules[name] = rule


# --- plain text for the deck ----------------------------------------------------

def _inline_text(children: list[Token]) -> str:
    out = []
    for child in children:
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif child.type == "image":
            out.append("")
    return re.sub(r"\s+", " ", "".join(out)).strip()


def _plain(tokens: list[Token]) -> tuple[list[str], list[Section]]:
    paragraphs: list[str] = []
    sections: list[Section] = []
    heading_next = False
    in_table = False
    for token in tokens:
        if token.type == "table_open":
            in_table = True
        elif token.type == "table_close":
            in_table = False
        elif token.type == "heading_open":
            heading_next = True
        elif token.type == "inline":
            text = _inline_text(token.children or [])
            if heading_next:
                sections.append(Section(text, []))
                heading_next = False
            elif text and not in_table:
                paragraphs.append(text)
                if sections:
                    sections[-1].paragraphs.append(text)
    return paragraphs, sections


_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "st", "vol", "vols", "pp", "p", "ed", "eds", "trans",
    "cf", "e.g", "i.e", "etc", "vs", "no", "nos", "ch", "fig", "c", "ca", "jan", "feb", "mar",
    "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "gen", "col", "lt", "rev",
    "ibid", "op", "cit", "al", "approx", "dept", "univ", "jr", "sr",
}
_BOUNDARY = re.compile(r"(?<=[.!?…])([”’\"')\]]*)\s+(?=[“‘\"'(\[]?[A-Z0-9À-ÖØ-ÞА-Я])")


def split_sentences(text: str) -> list[str]:
    """Split prose at sentence ends, keeping abbreviations ("pp. 39", "E. H. Carr") whole.

    Hand-written on purpose: the maintained splitters need downloaded models
    (nltk punkt) or are unmaintained and slow (pysbd); slides only need
    boundaries that never cut a citation or an initial.
    """
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        return []
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.start(1) + len(match.group(1))
        candidate = text[start:end]
        last_word = re.search(r"(\S+)[.!?…][”’\"')\]]*$", candidate)
        if last_word:
            word = last_word.group(1).lower().lstrip("(“‘\"'[")
            if word in _ABBREVIATIONS or re.fullmatch(r"[a-z]", word) or \
                    re.fullmatch(r"(?:[a-z]\.)+[a-z]", word):
                continue
        sentences.append(candidate.strip())
        start = match.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


__all__ = ["Document", "Section", "Image", "parse_markdown_file", "render_inline",
           "split_sentences", "typographic", "CourseError"]
