"""Stage 2a: item text. Markdown (CommonMark via markdown-it-py) to print HTML and plain text.

One parse serves both outputs: the reader gets HTML with footnotes placed
inline (WeasyPrint floats them to the foot of the page); the deck gets the
same text as blocks (course/blocks.py: paragraphs cut into sentences and
lines, headings, lists, tables, quotes, figures). Every block the deck may
show has an id, printed in the HTML, so the laid-out reader says on which
page each block, and each sentence of it, is printed (pdf/positions.py).

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
from typing import Any, cast

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markupsafe import Markup
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

from ..errors import CourseError, Location, Problem, Problems
from .blocks import (Block, Figure, Heading, Image, ListBlock, ListItem, Paragraph, Piece,
                     Quote, Span, Spans, TableBlock, TableRow, is_attribution, letter_count,
                     piece_bounds, place, slice_spans, split_sentences)
from ..core.files import MAX_BINARY_BYTES, resolve_in_course
from ..core.yamlsource import Invalid, YamlSource

# Quotation marks by language: opening and closing, double then single. French sets its
# guillemets off with a no-break space (the body face has U+00A0, not the narrow U+202F).
_QUOTES: dict[str, str | list[str]] = {
    "de": "„“‚‘", "fr": ["«\u00a0", "\u00a0»", "“", "”"], "ru": "«»„“", "pl": "„”‚’",
    "it": "«»“”", "es": "«»“”", "nl": "‘’‚’", "sv": "””’’", "da": "»«›‹", "cs": "„“‚‘"}


class _Parser(MarkdownIt):
    """markdown-it with its link check off: links are checked by _strip_unsafe_links."""

    def validateLink(self, url: str) -> bool:
        return True


@lru_cache(maxsize=16)
def _parser(lang: str, images: bool = True) -> MarkdownIt:
    """One configured parser per language (building one costs ~0.3 ms: titles are
    rendered hundreds of times). Whoever swaps a renderer rule puts it back
    (see _render_html)."""
    quotes = _QUOTES.get(lang.split("-")[0].lower(), "“”‘’")
    md = _Parser("commonmark", {"typographer": True, "html": False, "quotes": quotes})
    md.enable(["table", "replacements", "smartquotes", "strikethrough"])
    md.use(footnote_plugin).use(front_matter_plugin)
    if not images:
        md.disable("image")
    return md


@dataclass
class Section:
    heading: str
    paragraphs: list[str]


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
    blocks: list[Block] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)

    @property
    def word_count(self) -> int:
        return len(re.findall(r"\w+(?:['’-]\w+)*", self.text))


def parse_markdown_file(path: Path, root: Path, text: str, lang: str = "en",
                        anchor: str = "") -> Document:
    """Parse one Markdown item file (front matter + body).

    ``anchor``: the item's anchor; the ids of its blocks are ``ANCHOR-bN``, numbered
    in the order of the file, so they do not move when other items change.
    """
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
    images = _check_images(tokens, path, root, problems, warnings, text.splitlines())
    _strip_unsafe_links(tokens)
    problems.raise_if_any()
    notes = _footnote_bodies(md, tokens, env)
    body = [t for t in _without_footnote_block(tokens)]
    paragraphs, sections = _plain(body)
    blocks = _BlockReader(body, anchor).read()   # gives the tokens their ids too
    html = _render_html(md, body, env, notes)
    return Document(front, src, front_loc, html, paragraphs, sections, images, warnings,
                    blocks)


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
def inline_spans(text: str, lang: str = "en") -> Spans:
    """One-line Markdown (a question, a bullet of ``slides:``) as styled spans."""
    md = _parser(lang, images=False)
    tokens = md.parseInline(text, {})
    return _spans(tokens[0].children or [] if tokens else [])


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


IMAGE_START = re.compile(r"(?<!\\)!\[")


def _image_places(tokens: list[Token], lines: list[str]) -> list[tuple[int | None, int | None]]:
    """(line, column) of every image, in the order ``_walk_inline`` meets them.

    markdown-it keeps only the lines of a block, not where inline tokens start. The k-th
    image of a block is the k-th ``![`` in the block's lines when both counts agree;
    when they do not (a ``![`` in a code span), the block's first line is all we claim."""
    places: list[tuple[int | None, int | None]] = []
    span: tuple[int, int] | None = None
    for token in tokens:
        if token.map:
            span = (token.map[0], token.map[1])
        found = [child for child in token.children or [] if child.type == "image"]
        if not found:
            continue
        if span is None:
            places.extend((None, None) for _ in found)
            continue
        first = span[0]
        starts = [(first + n + 1, m.start() + 1)
                  for n, row in enumerate(lines[first:span[1]])
                  for m in IMAGE_START.finditer(row)]
        if len(starts) == len(found) and token.map:
            places.extend(starts)
        else:
            places.extend((first + 1, None) for _ in found)
    return places


def _check_images(tokens: list[Token], path: Path, root: Path, problems: Problems,
                  warnings: list[Problem], lines: list[str]) -> list[Image]:
    images: list[Image] = []
    places = iter(_image_places(tokens, lines))
    for child, _ in _walk_inline(tokens):
        if child.type != "image":
            continue
        src = str(child.attrGet("src") or "")
        line, col = next(places)
        loc = Location(path, line, col, root)
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
        child.meta["image"] = images[-1]
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


def _strip_unsafe_links(tokens: list[Token]) -> None:
    """Links are printed, not fetched; still, only web, mail and in-page links stay links
    (a file: or data: link would reach outside the course in a reader's PDF viewer)."""
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
    # markdown-it types md.renderer as a protocol without .rules; ours is its RendererHTML
    renderer = cast(RendererHTML, md.renderer)

    def footnote_ref(self, toks, idx, options, env):  # noqa: ANN001
        body = notes.get(toks[idx].meta["id"], "")
        return f'<span class="footnote">{body}</span>'

    levels: list[int] = [2]     # the item's title is the h2; no heading skips a level

    def heading_open(self, toks, idx, options, env):  # noqa: ANN001
        level = min(max(3, int(toks[idx].tag[1]) + 1), levels[-1] + 1, 6)
        levels.append(level)
        return f"<h{level}{self.renderAttrs(toks[idx])}>"

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
    # Runs of breaking white space become one space; a no-break space stays what it is.
    return re.sub(r"[ \t\r\n\f\v]+", " ", "".join(out)).strip(" ")


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


# --- blocks for the deck, and their anchors in the HTML ----------------------------

def _spans(children: list[Token]) -> Spans:
    """Styled spans of inline tokens (a soft break is a space, a hard break "\\n";
    footnote calls and images are not text)."""
    spans: list[Span] = []
    bold = italic = strike = False
    for child in children:
        text = ""
        if child.type == "text":
            text = child.content
        elif child.type == "code_inline":
            text = child.content
        elif child.type == "softbreak":
            text = " "
        elif child.type == "hardbreak":
            text = "\n"
        elif child.type in ("strong_open", "strong_close"):
            bold = child.type == "strong_open"
        elif child.type in ("em_open", "em_close"):
            italic = child.type == "em_open"
        elif child.type in ("s_open", "s_close"):
            strike = child.type == "s_open"
        if text:
            span = Span(text, bold, italic, strike, child.type == "code_inline")
            if spans and spans[-1].restyled(span.text) == span:
                spans[-1] = span.restyled(spans[-1].text + text)
            else:
                spans.append(span)
    return tuple(spans)


class _BlockReader:
    """Walks a document's block tokens once: builds the blocks, and gives the tokens the
    ids (``id`` attributes) that the reader prints. A sentence's place is its block's
    id and the letters before it (blocks.place): pdf/positions.py finds it on the page."""

    def __init__(self, tokens: list[Token], anchor: str):
        self.tokens = tokens
        self.i = 0
        self.prefix = f"{anchor}-b" if anchor else "b"
        self.count = 0
        self.item: Token | None = None   # the list item being read (tight lists: its id)

    def new_id(self) -> str:
        self.count += 1
        return f"{self.prefix}{self.count}"

    def read(self) -> list[Block]:
        return self.sequence(None)

    def sequence(self, close: str | None) -> list[Block]:
        out: list[Block] = []
        while self.i < len(self.tokens):
            token = self.tokens[self.i]
            if token.type == close:
                self.i += 1
                break
            out.extend(self.block())
        return _attach_attributions(out)

    def block(self) -> list[Block]:
        token = self.tokens[self.i]
        kind = token.type
        if kind == "paragraph_open":
            return self.paragraph()
        if kind == "heading_open":
            token.attrSet("id", self.new_id())
            spans = _spans(self.tokens[self.i + 1].children or [])
            self.i += 3
            return [Heading(str(token.attrGet("id")), int(token.tag[1]), spans)]
        if kind in ("bullet_list_open", "ordered_list_open"):
            return [self.list_block(kind)]
        if kind == "blockquote_open":
            self.i += 1
            inner = self.sequence("blockquote_close")
            last = inner[-1] if len(inner) > 1 else None
            attribution = last if isinstance(last, Paragraph) and is_attribution(last) else None
            if attribution is not None:
                inner.pop()
            return [Quote(inner, attribution)]
        if kind == "table_open":
            return [self.table()]
        if kind in ("fence", "code_block"):
            self.i += 1
            return [self.code(token)]
        self.i += 1
        return []

    def paragraph(self) -> list[Block]:
        opening, inline = self.tokens[self.i], self.tokens[self.i + 1]
        self.i += 3
        pid = self.new_id()
        if not opening.hidden:
            opening.attrSet("id", pid)
            where, counted = pid, True
        elif self.item is not None and self.item.attrGet("id") is None:
            self.item.attrSet("id", pid)   # a tight list prints no <p>: the item has the id
            where, counted = pid, True
        else:                              # a later paragraph of a tight item: its start
            where, counted = str(self.item.attrGet("id")) if self.item else pid, False
        children = inline.children or []
        figures: list[Block] = []
        for child in children:
            image = child.meta.get("image") if child.type == "image" else None
            if image is not None:      # cited by its paragraph's id (an <img> keeps none)
                image.id = where
                figures.append(Figure(image))
        spans = _spans(children)
        text = "".join(s.text for s in spans)
        pieces = []
        for start, end, new_line in piece_bounds(text):
            first = letter_count(text[:start]) if counted else 0
            last = max(letter_count(text[:end]) - 1, first) if counted else 0
            pieces.append(Piece(slice_spans(spans, start, end), place(where, first),
                                place(where, last), new_line))
        if not pieces:
            return figures
        return [Paragraph(pid, pieces), *figures]

    def list_block(self, kind: str) -> ListBlock:
        opening = self.tokens[self.i]
        close = kind.replace("_open", "_close")
        self.i += 1
        items = []
        outer = self.item
        while self.i < len(self.tokens) and self.tokens[self.i].type != close:
            if self.tokens[self.i].type == "list_item_open":
                self.item = self.tokens[self.i]
                self.i += 1
                items.append(ListItem(self.sequence("list_item_close")))
            else:
                self.i += 1
        self.item = outer
        self.i += 1
        start = opening.attrGet("start") if kind == "ordered_list_open" else None
        return ListBlock(kind == "ordered_list_open", int(start or 1), items)

    def table(self) -> TableBlock:
        rows: list[TableRow] = []
        align: list[str] = []
        self.i += 1
        while self.i < len(self.tokens) and self.tokens[self.i].type != "table_close":
            token = self.tokens[self.i]
            if token.type == "tr_open":
                token.attrSet("id", self.new_id())
                rows.append(TableRow(str(token.attrGet("id")), []))
            elif token.type in ("th_open", "td_open") and rows:
                style = str(token.attrGet("style") or "")
                if token.type == "th_open":
                    align.append("right" if "right" in style else
                                 "center" if "center" in style else "left")
                rows[-1].cells.append(_spans(self.tokens[self.i + 1].children or []))
            self.i += 1
        self.i += 1
        header, body = (rows[0], rows[1:]) if rows else (TableRow("", []), [])
        return TableBlock(header, body, align)

    def code(self, token: Token) -> Paragraph:
        pid = self.new_id()
        token.attrSet("id", pid)
        lines = token.content.rstrip("\n").split("\n")
        pieces = [Piece((Span(line, code=True),), pid, pid, n > 0)
                  for n, line in enumerate(lines) if line.strip() or n]
        return Paragraph(pid, pieces or [Piece((Span(" ", code=True),), pid, pid, False)])


def _attach_attributions(blocks: list[Block]) -> list[Block]:
    """A "— Author, Work" paragraph right after a quotation belongs to it."""
    out: list[Block] = []
    for block in blocks:
        if isinstance(block, Paragraph) and is_attribution(block) and out and \
                isinstance(out[-1], Quote) and out[-1].attribution is None:
            out[-1].attribution = block
        else:
            out.append(block)
    return out

__all__ = ["Document", "Section", "Image", "parse_markdown_file", "render_inline",
           "inline_spans", "split_sentences", "typographic", "CourseError"]
