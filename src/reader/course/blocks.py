"""The structure of an essay or excerpt as the deck shows it: blocks of styled text.

One parse (markdown.py) gives both the reader's HTML and these blocks. Every
place where the deck may cut a block (a sentence, a line of verse, a table
row) carries the id of an anchor in that HTML, so the deck can cite the page
on which the reader prints it (course/pagemap.py).

Nothing here knows about slides: the deck decides what to show.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Union

from ..errors import Location


@dataclass(frozen=True)
class Span:
    """A run of text in one style. ``"\\n"`` inside is a hard line break."""

    text: str
    bold: bool = False
    italic: bool = False
    strike: bool = False
    code: bool = False

    def restyled(self, text: str) -> "Span":
        return Span(text, self.bold, self.italic, self.strike, self.code)


Spans = tuple[Span, ...]


def letter_count(text: str) -> int:
    """Letters and digits: how a place in a block's text is counted, here and in the
    laid-out reader (pdf/positions.py), where spaces, hyphens and quotes may differ."""
    return sum(ch.isalnum() for ch in text)


def place(block_id: str, letters: int) -> str:
    """The anchor of a place in a block: its id, and the letters and digits before it."""
    return f"{block_id}@{letters}" if letters else block_id


def plain(spans: Spans) -> str:
    return "".join(s.text for s in spans)


def slice_spans(spans: Spans, start: int, end: int) -> Spans:
    """The spans covering characters ``start:end`` of their joined text."""
    out: list[Span] = []
    pos = 0
    for span in spans:
        lo, hi = max(start, pos), min(end, pos + len(span.text))
        if lo < hi:
            out.append(span.restyled(span.text[lo - pos:hi - pos]))
        pos += len(span.text)
    return tuple(out)


@dataclass(frozen=True)
class Piece:
    """A sentence, or a line of verse: the places where the deck may cut a paragraph."""

    spans: Spans
    start: str          # id of the reader's anchor where it begins
    end: str            # ... and where it ends
    new_line: bool      # begins a new line (a hard break before it), not the same line

    @property
    def text(self) -> str:
        return plain(self.spans)


@dataclass
class Paragraph:
    id: str
    pieces: list[Piece]

    @property
    def verse(self) -> bool:
        """Lines kept as written (a poem, an address, code): shown whole, never summarised."""
        return any(p.new_line for p in self.pieces[1:])

    @property
    def text(self) -> str:
        out = ""
        for n, piece in enumerate(self.pieces):
            if n:
                out += "\n" if piece.new_line else " "
            out += piece.text
        return out


@dataclass
class Heading:
    id: str
    level: int          # as written: 2 for ``##``
    spans: Spans

    @property
    def text(self) -> str:
        return plain(self.spans)


@dataclass
class ListItem:
    blocks: list["Block"]


@dataclass
class ListBlock:
    ordered: bool
    start: int
    items: list[ListItem]


@dataclass
class TableRow:
    id: str
    cells: list[Spans]


@dataclass
class TableBlock:
    header: TableRow
    rows: list[TableRow]
    align: list[str]    # 'left' | 'right' | 'center', per column


@dataclass
class Quote:
    blocks: list["Block"]
    attribution: Paragraph | None = None


@dataclass
class Image:
    path: Path
    alt: str
    location: Location
    id: str = ""


@dataclass
class Figure:
    image: Image

    @property
    def id(self) -> str:
        return self.image.id


Block = Union[Paragraph, Heading, ListBlock, TableBlock, Quote, Figure]


# --- sentences -------------------------------------------------------------------------

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "st", "vol", "vols", "pp", "p", "ed", "eds", "trans",
    "cf", "e.g", "i.e", "etc", "vs", "no", "nos", "ch", "fig", "c", "ca", "jan", "feb", "mar",
    "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "gen", "col", "lt", "rev",
    "ibid", "op", "cit", "al", "approx", "dept", "univ", "jr", "sr",
}
_BOUNDARY = re.compile(r"(?<=[.!?…])([”’\"')\]]*)[ \t]+(?=[“‘\"'(\[«„]?[A-Z0-9À-ÖØ-ÞА-Я])")
_LAST_WORD = re.compile(r"(\S+)[.!?…][”’\"')\]]*$")


def sentence_bounds(line: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of one line, without the spaces around it.

    Abbreviations ("pp. 39", "E. H. Carr") are not sentence ends. Hand-written on
    purpose: the maintained splitters need downloaded models (nltk punkt) or are
    slow (pysbd); slides only need boundaries that never cut a citation or an initial.
    """
    bounds: list[tuple[int, int]] = []
    start = len(line) - len(line.lstrip())
    for match in _BOUNDARY.finditer(line):
        end = match.start(1) + len(match.group(1))
        last = _LAST_WORD.search(line, start, end)
        if last:
            word = last.group(1).lower().lstrip("(“‘\"'[")
            if word in _ABBREVIATIONS or re.fullmatch(r"[a-z]", word) or \
                    re.fullmatch(r"(?:[a-z]\.)+[a-z]", word):
                continue
        if end > start:
            bounds.append((start, end))
        start = match.end()
    end = len(line.rstrip())
    if end > start:
        bounds.append((start, end))
    return bounds


def split_sentences(text: str) -> list[str]:
    """Prose split at sentence ends (whitespace collapsed first)."""
    text = re.sub(r"\s+", " ", text).strip()
    return [text[a:b] for a, b in sentence_bounds(text)]


def piece_bounds(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, new_line) of every sentence of every line of a paragraph's text."""
    out: list[tuple[int, int, bool]] = []
    offset = 0
    for n, line in enumerate(text.split("\n")):
        first = True
        for a, b in sentence_bounds(line):
            out.append((offset + a, offset + b, n > 0 and first))
            first = False
        offset += len(line) + 1
    return out


_ATTRIBUTION = re.compile(r"^\s*[—―–]\s*\S")


def is_attribution(paragraph: Paragraph) -> bool:
    """A line such as "— Author, Work" that credits the quotation above it."""
    return bool(paragraph.pieces) and bool(_ATTRIBUTION.match(paragraph.pieces[0].text))


def walk(blocks: list[Block]):
    """Every block, depth first, in document order."""
    for block in blocks:
        yield block
        if isinstance(block, ListBlock):
            for item in block.items:
                yield from walk(item.blocks)
        elif isinstance(block, Quote):
            yield from walk(block.blocks)
            if block.attribution is not None:
                yield block.attribution
