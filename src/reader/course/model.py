"""Stage 2: the course model. One in-memory course that both renderers read.

Built from a validated :class:`~reader.manifest.Manifest` for one variant
(base course or a class, student or instructor edition). Numbering, labels
and titles are decided here, once, so the reader and the deck always agree.
"""

from __future__ import annotations

import csv
import datetime
import functools
import io
import math
import re
import unicodedata
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, TypedDict

from markupsafe import Markup, escape

from .documents import Original, crop, first_printed_page, has_original, load_original
from .licence import BASIS_NAMES, Licence, basis
from .markdown import Document, Image, has_image, parse_markdown_file, render_inline, typographic
from ..errors import CourseError, Location, Problem, Problems
from .manifest import DeckTemplate, ItemRef, Manifest, PartRef, Settings, language_tag
from ..core.files import CONTROL, read_text, resolve_in_course
from ..core.yamlsource import (Field, Invalid, YamlSource, YMap, check_mapping, choice,
                         describe, list_of, text)

from .numerals import roman, roman_value

LABELS = {"essay": "Essay", "excerpt": "Reading", "table": "Table", "questions": "Questions"}
def fold(text: str) -> str:
    """Names compared as a reader would: case, accents, apostrophes, quotes and spacing
    aside ("Stalin's Russia" = "STALIN’S  RUSSIA")."""
    text = re.sub(r"[’'ʼ`]", "", text)
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()
    return " ".join(re.findall(r"[a-z0-9]+", plain))


@dataclass(frozen=True)
class Source:
    """A published work that readings are taken from, with what a copy centre asks."""

    author: str | None
    title: str
    publisher: str | None = None
    year: str | None = None
    place: str | None = None
    edition: str | None = None
    isbn: str | None = None            # an ISBN or an ISSN, checked
    chapter: str | None = None         # the chapter or article the pages belong to
    work_pages: int | None = None      # pages in the whole work: the share used
    rights_holder: str | None = None

    @property
    def work(self) -> tuple[str, str]:
        """What "the same work" means everywhere: the same author and the same title."""
        return fold(self.author or ""), fold(self.title)

    def _imprint(self) -> str:
        """'Oxford: Oxford University Press, 1978' (the parts that are known)."""
        press = ": ".join(x for x in (self.place, self.publisher) if x)
        return ", ".join(x for x in (press, self.year) if x)

    def citation_html(self) -> str:
        """Bibliography form: Author. *Title*. Edition. Place: Publisher, Year."""
        parts = []
        if self.author:
            parts.append(f"{escape(typographic(self.author))}.")
        parts.append(f"<cite>{escape(typographic(self.title))}</cite>.")
        if self.edition:
            parts.append(f"{escape(self.edition)}.")
        if self._imprint():
            parts.append(f"{escape(self._imprint())}.")
        return " ".join(parts)

    def citation_text(self) -> str:
        head = f"{typographic(self.author)}. " if self.author else ""
        tail = " ".join(f"{x}." for x in (self.edition, self._imprint()) if x)
        return f"{head}{typographic(self.title)}." + (f" {tail}" if tail else "")


def merged_source(sources: list[Source]) -> Source:
    """One record of a work cited by several readings: each detail from the first reading
    that gives it (one gives the ISBN, another the place)."""
    values: dict[str, Any] = {   # each field's own type: read by name from a Source
        f.name: next((getattr(s, f.name) for s in sources if getattr(s, f.name)), None)
        for f in fields(Source)}
    values["title"] = sources[0].title
    return Source(**values)


def page_count(pages: str | None) -> int | None:
    """How many pages "23-25, 27-30" names (7); None when it cannot be counted ("passim").

    Roman folios count too ("xii-xiv, 3"). Bounded: a range may not run backwards or over
    100,000 pages."""
    if not pages:
        return None
    total = 0
    for part in re.split(r"\s*[,;]\s*|\s+and\s+", pages.strip().removeprefix("pp.")
                         .removeprefix("p.").strip()):
        match = re.fullmatch(r"([0-9]+|[ivxlcdm]+)(?:\s*[-–]\s*([0-9]+|[ivxlcdm]+))?", part,
                             re.I)
        if not match:
            return None
        first, last = (_folio(v) for v in (match.group(1), match.group(2) or match.group(1)))
        if first is None or last is None or not 0 < last - first + 1 <= 100_000:
            return None
        total += last - first + 1
    return total or None


def _folio(text: str) -> int | None:
    return int(text) if text.isdigit() else roman_value(text)


def pages_label(pages: str | None) -> str:
    """'39-40' -> 'pp. 39–40'; '44' -> 'p. 44'; text already starting with p stays."""
    if not pages:
        return ""
    pages = pages.strip()
    if re.match(r"^pp?\.", pages):
        return pages
    pages_dashed = re.sub(r"(?<=\d)\s*-\s*(?=\d)", "–", pages)
    plural = bool(re.search(r"[–,;]|\band\b", pages_dashed))
    return f"{'pp.' if plural else 'p.'} {pages_dashed}"


def _slug(name: str) -> str:
    """'sections/01-NEP.md' -> 'sections_01_nep': letters and digits, runs of anything else
    one underscore (never a hyphen: the ids made from an anchor add '-b3', '-note-1'...,
    so one item's anchor is never another's block id)."""
    stem = name.rsplit(".", 1)[0] if "." in name.rsplit("/", 1)[-1] else name
    plain = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode().lower()
    return "_".join(re.findall(r"[a-z0-9]+", plain)) or "x"


def item_anchors(names: list[str]) -> dict[str, str]:
    """The id of each item in the reader's HTML (and the prefix of its blocks' ids), by
    the item's name (its course-relative path): ``item-`` and a slug of the name.

    Made from the item's identity, never its position, so adding, removing or moving an
    item leaves every other item's ids (and its cached layout) as they were. Names whose
    slugs coincide ('a b.md', 'a-b.md', 'a.yaml') all take a digest of the exact name:
    unique, and still independent of order and of what else is in the course."""
    import hashlib

    slugs = {name: _slug(name) for name in names}
    for length in (10, 64):        # a slug written to look like another's digest: longer
        counts: dict[str, int] = {}
        for slug in slugs.values():
            counts[slug] = counts.get(slug, 0) + 1
        slugs = {name: slug if counts[slug] == 1 else
                 f"{_slug(name)}_{hashlib.sha256(name.encode()).hexdigest()[:length]}"
                 for name, slug in slugs.items()}
    return {name: f"item-{slug}" for name, slug in slugs.items()}


@dataclass
class Item:
    kind: str
    name: str            # course-relative path: the item's identity
    path: Path
    title: str
    number: int          # per kind: Reading 3, Table 2
    index: int           # position in the whole course, from 1
    part: "Part | None"
    location: Location
    anchor: str          # its id in the reader (item_anchors): from the name, not the index

    @property
    def label(self) -> str:
        return f"{LABELS[self.kind]} {self.number}"

    @property
    def title_html(self) -> str:
        return render_inline(self.title)

    @property
    def title_text(self) -> str:
        return typographic(self.title)

    def files(self) -> list[Path]:
        """Every file the item is made from: what a cache key over its content reads."""
        found = [self.path]
        doc = getattr(self, "doc", None)
        if doc is not None:
            found.extend(image.path for image in doc.images)
        data = getattr(self, "data_path", None)
        if data is not None:
            found.append(data)
        original = getattr(self, "original", None)
        if original is not None:
            found.extend(original.files)
        return found


@dataclass
class Prose(Item):
    """An item written in Markdown (essay or excerpt)."""

    doc: Document | None = None
    lang: str | None = None               # the text's language when not the course's
    decorative: bool | frozenset[Path] = frozenset()   # images that carry no information

    def is_decorative(self, image: Image) -> bool:
        """An image marked as decorative (``decorative:`` in the front matter): screen
        readers skip it, so it needs no alt text."""
        if self.decorative is True:
            return not image.alt.strip()
        return isinstance(self.decorative, frozenset) and image.path in self.decorative


@dataclass
class Essay(Prose):
    author: str | None = None
    slides: list[str] | None = None


@dataclass
class Excerpt(Prose):
    author: str | None = None
    source: Source | None = None
    pages: str | None = None
    headnote: str | None = None
    permission: str | None = None            # as printed in the Sources list
    licence: Licence | None = None           # the basis, reference and expiry behind it
    original: Original | None = None         # pages of a PDF or of images, not typed text
    original_words: int | None = None        # their words, once read (reader.scans)

    @property
    def pages_used(self) -> int | None:
        """Pages of the source this reading reproduces (from its page range)."""
        return page_count(self.pages)

    @property
    def attribution(self) -> str:
        """The line printed under the passage and on every quote slide."""
        assert self.source is not None
        bits = [b for b in (self.source.publisher, self.source.year) if b]
        text = ""
        if self.author:
            text += f"{self.author}, "
        text += self.source.title
        if bits:
            text += f" ({', '.join(bits)})"
        if self.pages:
            text += f", {pages_label(self.pages)}"
        return text

    @property
    def attribution_html(self) -> Markup:
        """The attribution as a citation: roman, with the work's title in italic."""
        assert self.source is not None
        bits = [b for b in (self.source.publisher, self.source.year) if b]
        html = escape(f"{self.author}, ") if self.author else Markup("")
        html += Markup("<cite>%s</cite>") % self.source.title
        if bits:
            html += escape(f" ({', '.join(bits)})")
        if self.pages:   # a page range is never broken over two lines (see the .pages style)
            html += Markup(', <span class="pages">%s</span>') % pages_label(self.pages)
        return html

    @property
    def word_count(self) -> int:
        if self.original is not None:
            return self.original_words or 0
        return self.doc.word_count if self.doc else 0

    @property
    def headnote_html(self) -> str:
        return render_inline(self.headnote) if self.headnote else ""

    @property
    def pages_label(self) -> str:
        return pages_label(self.pages)

    @property
    def original_intro(self) -> str:
        """What an excerpt from a PDF or images says before its pages."""
        if self.original is None:
            return ""
        count = len(self.original.pages)
        shown = pages_label(self.original.printed_pages)
        return (f"The following {'page reproduces' if count == 1 else f'{count} pages reproduce'}"
                f" {shown} of the original.")


@dataclass
class Question:
    text: str
    notes: str | None = None

    @property
    def text_html(self) -> str:
        return render_inline(self.text)

    @property
    def notes_html(self) -> str:
        return render_inline(self.notes) if self.notes else ""


@dataclass
class Questions(Item):
    questions: list[Question] = field(default_factory=list)
    intro: str | None = None

    def question_anchor(self, n: int) -> str:
        """The id of question ``n`` (from 0) in the reader: the deck cites its page."""
        return f"{self.anchor}-q{n + 1}"


@dataclass
class Chart:
    type: str
    x: str
    y: list[str]
    alt: str | None = None     # the author's description; otherwise one made from the data

    def description(self, table: "Table") -> str:
        """What a screen reader says for the drawing: the author's alt text, or what it
        plots and where its numbers are (the table it is drawn from)."""
        if self.alt:
            return self.alt
        series = " and ".join(self.y)
        return (f"{'Bar' if self.type == 'bar' else 'Line'} chart of {series} by {self.x}, "
                f"drawn from the {len(table.rows)} rows of {table.label}; the values are in "
                "the table.")


@dataclass
class Table(Item):
    columns: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    source: str | None = None
    chart: Chart | None = None
    data_path: Path | None = None      # the CSV file, when the rows come from one
    lang: str = "en"                   # how its numbers are written (the course's language)

    def numeric_columns(self) -> list[bool]:
        return [all(isinstance(r[i], (int, float)) or r[i] in ("", None) for r in self.rows)
                and any(isinstance(r[i], (int, float)) for r in self.rows)
                for i in range(len(self.columns))]

    @property
    def unit(self) -> str | None:
        """What the values count, as the title says in parentheses at its end: 'millions'
        from 'Livestock in the USSR, 1928 and 1933 (millions)', 'per cent', '%',
        '1913 = 100'. Not a parenthesis of years ('(1928)', '(1929-33)', '(1920s)'): a date.
        The charts write it by their value axis."""
        found = UNIT.search(" ".join(self.title_text.split()))
        unit = found.group(1).strip() if found else ""
        return unit if unit and not DATES.fullmatch(unit) else None

    def cell_text(self, row: int, col: int) -> str:
        return format_cell(self.rows[row][col], self.columns[col], self.lang)

    def row_anchor(self, row: int) -> str:
        """The id of row ``row`` (from 0) in the reader: the deck cites its page."""
        return f"{self.anchor}-r{row + 1}"

    @property
    def chart_anchor(self) -> str:
        return f"{self.anchor}-chart"


# A parenthesis at the end of a title; and what, in one, is a date rather than a unit:
# numbers, ranges of them, decades ('(1928)', '(1929-33)', '(1920s)').
UNIT = re.compile(r"\(([^()]+)\)$")
DATES = re.compile(r"[\d\s.,/\u2013\u2014-]+s?")

# Year-like columns in the languages courses are written in: 1928 is a year, not 1,928.
YEAR_COLUMN = re.compile(r"year|date|\byr\b|jahr|ann[ée]e|año|\bano\b|\banno\b|jaar|\bår\b|"
                         r"\brok\b|год|\bdata\b|\bfecha\b|datum", re.I)


@functools.cache
def number_symbols(lang: str) -> tuple[str, str]:
    """The thousands separator and decimal sign of ``lang`` (CLDR's, through Babel): 1.234,5
    in German, 1 234,5 in French; English's when Babel does not know the language."""
    from babel import Locale, UnknownLocaleError
    from babel.numbers import get_decimal_symbol, get_group_symbol

    try:
        locale = Locale.parse(lang, sep="-")
    except (UnknownLocaleError, ValueError):
        return ",", "."
    return get_group_symbol(locale), get_decimal_symbol(locale)


def format_cell(value: Any, column: str, lang: str = "en") -> str:
    """Numbers as ``lang`` writes them, with thousands separators except in year-like
    columns (1,928 is wrong)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        if YEAR_COLUMN.search(column):
            return str(value)
        return localised_number(f"{value:,}", lang)
    if isinstance(value, float):
        if not math.isfinite(value) or abs(value) >= 10.0 ** MAX_DIGITS:
            return f"{value:.6g}"               # 1e+300, not three hundred digits
        text = repr(value)
        decimals = len(text.split(".")[1]) if "." in text and "e" not in text else 2
        return localised_number(f"{value:,.{min(decimals, 6)}f}", lang)
    return str(value)


def localised_number(english: str, lang: str) -> str:
    """A number written the English way ('1,234.5') as ``lang`` writes it ('1.234,5')."""
    group, decimal = number_symbols(lang)
    if (group, decimal) == (",", "."):
        return english
    return english.replace(",", "\0").replace(".", decimal).replace("\0", group)


@dataclass
class Part:
    title: str
    number: int
    items: list[Item]
    location: Location

    @property
    def label(self) -> str:
        return f"Part {roman(self.number)}"

    @property
    def anchor(self) -> str:
        return f"part-{self.number}"

    @property
    def title_text(self) -> str:
        return typographic(self.title)

    @property
    def title_html(self) -> str:
        return render_inline(self.title)


@dataclass
class SourceEntry:
    """One work in the Sources list, with every reading taken from it."""

    source: Source
    readings: list[Excerpt]
    permissions: list[str]


@dataclass
class Course:
    settings: Settings
    root: Path
    manifest_path: Path
    entries: list[Part | Item]
    templates: Path | None
    deck_template: DeckTemplate | None
    warnings: list[Problem] = field(default_factory=list)

    @property
    def instructor_edition(self) -> bool:
        return self.settings.edition == "instructor"

    @property
    def items(self) -> list[Item]:
        out: list[Item] = []
        for entry in self.entries:
            out.extend(entry.items if isinstance(entry, Part) else [entry])
        return out

    @property
    def parts(self) -> list[Part]:
        return [e for e in self.entries if isinstance(e, Part)]

    @property
    def excerpts(self) -> list[Excerpt]:
        return [i for i in self.items if isinstance(i, Excerpt)]

    def sources(self) -> list[SourceEntry]:
        """Each source work once (Source.work: the one rule for "the same work"), with every
        reading taken from it, in order of author and title."""
        works: dict[tuple[str, str], list[Excerpt]] = {}
        for excerpt in self.excerpts:
            assert excerpt.source is not None
            works.setdefault(excerpt.source.work, []).append(excerpt)
        entries = []
        for readings in works.values():
            source = merged_source([e.source for e in readings if e.source is not None])
            permissions = list(dict.fromkeys(e.permission for e in readings if e.permission))
            entries.append(SourceEntry(source, readings, permissions))

        def sort_key(e: SourceEntry) -> tuple:
            author = e.source.author or ""
            surname = author.split()[-1] if author else ""
            return (fold(surname), fold(author), fold(e.source.title))

        return sorted(entries, key=sort_key)


# --- building ----------------------------------------------------------------

def _decorative(value: Any) -> bool | list[str]:
    """``decorative: true`` (every image without alt text in this file) or a list of the
    image paths that are decorative."""
    if value is True:
        return True
    if isinstance(value, list):
        return list_of(text)(value)
    raise Invalid(f"expected true or a list of image paths, found {describe(value)}")


ESSAY_SCHEMA = {"title": Field(text, required=True), "author": Field(text),
                "slides": Field(list_of(text)), "lang": Field(language_tag),
                "decorative": Field(_decorative)}


def isbn(value: Any) -> str:
    """An ISBN-10, ISBN-13 or ISSN with a correct check digit, as written."""
    written = text(value)
    digits = re.sub(r"[\s-]", "", written).upper()
    if re.fullmatch(r"97[89]\d{10}", digits):
        ok = sum(int(d) * (1 if n % 2 == 0 else 3) for n, d in enumerate(digits)) % 10 == 0
    elif re.fullmatch(r"\d{9}[\dX]", digits):
        ok = sum((10 - n) * (10 if d == "X" else int(d)) for n, d in enumerate(digits)) % 11 == 0
    elif re.fullmatch(r"\d{7}[\dX]", digits):
        ok = sum((8 - n) * (10 if d == "X" else int(d)) for n, d in enumerate(digits)) % 11 == 0
    else:
        raise Invalid(f"expected an ISBN (10 or 13 digits) or an ISSN (8), found {written!r}")
    if not ok:
        raise Invalid(f"{written!r} has a wrong check digit; copy the ISBN or ISSN again")
    return written


def pages_of_work(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100_000:
        raise Invalid(f"expected the number of pages of the whole work, found "
                      f"{describe(value)}")
    return value


def expiry(value: Any) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    raise Invalid(f"expected a date written 2027-12-31, found {describe(value)}")


SOURCE_SCHEMA = {"title": Field(text, required=True), "publisher": Field(text),
                 "year": Field(text), "pages": Field(text), "author": Field(text),
                 "place": Field(text), "edition": Field(text), "isbn": Field(isbn),
                 "chapter": Field(text), "work_pages": Field(pages_of_work),
                 "rights_holder": Field(text)}
PERMISSION_SCHEMA = {"text": Field(text, required=True),
                     "basis": Field(choice(*BASIS_NAMES)), "reference": Field(text),
                     "expires": Field(expiry)}
EXCERPT_SCHEMA = {"title": Field(text, required=True), "author": Field(text),
                  "source": Field(lambda v: v, required=True), "headnote": Field(text),
                  "permission": Field(lambda v: v), "pages": Field(text),
                  "lang": Field(language_tag),
                  "decorative": Field(_decorative),
                  # pages of an existing document instead of typed text (documents.py)
                  "pdf": Field(text), "images": Field(lambda v: v),
                  "first_printed_page": Field(first_printed_page), "crop": Field(crop),
                  "password": Field(text), "slides": Field(list_of(text))}
QUESTIONS_SCHEMA = {"title": Field(text, required=True),
                    "questions": Field(lambda v: v, required=True), "intro": Field(text)}
QUESTION_SCHEMA = {"text": Field(text, required=True), "notes": Field(text)}
TABLE_SCHEMA = {"title": Field(text, required=True), "source": Field(text),
                "data": Field(text), "columns": Field(lambda v: v), "rows": Field(lambda v: v),
                "chart": Field(lambda v: v)}
CHART_SCHEMA = {"type": Field(choice("bar", "line"), required=True),
                "x": Field(text, required=True), "y": Field(lambda v: v, required=True),
                "title": Field(text), "alt": Field(text)}


def typographic_settings(settings: Settings) -> Settings:
    """The course's own words as printed: curly quotes and apostrophes, dashes. Done once
    here, so the reader, its metadata and the deck all print the same text."""
    from dataclasses import replace

    lang = settings.lang
    return replace(settings, title=typographic(settings.title, lang),
                   subtitle=_typographic(settings.subtitle, lang),
                   course=_typographic(settings.course, lang),
                   instructor=_typographic(settings.instructor, lang),
                   term=_typographic(settings.term, lang))


def build_course(manifest: Manifest, settings: Settings) -> Course:
    """Load every item file of one variant, report all problems at once, number the items."""
    settings = typographic_settings(settings)
    problems = Problems()
    warnings: list[Problem] = []
    counters = {kind: 0 for kind in LABELS}
    index = 0
    entries: list[Part | Item] = []
    part_number = 0
    # Over every item course.yaml names, skipped or not: a class's ids are the course's.
    anchors = item_anchors([ref.name for entry in manifest.contents
                            for ref in (entry.items if isinstance(entry, PartRef) else [entry])])

    def load(ref: ItemRef, part: Part | None) -> Item | None:
        nonlocal index
        if ref.name in settings.skip:
            return None
        index += 1
        counters[ref.kind] += 1
        try:
            return _load_item(ref, manifest.root, settings.lang, counters[ref.kind], index,
                              anchors[ref.name], part, problems, warnings)
        except CourseError as exc:
            problems.extend(exc)
            return None

    for entry in manifest.contents:
        if isinstance(entry, PartRef):
            part = Part(entry.title, 0, [], entry.location)
            part.items = [i for i in (load(ref, part) for ref in entry.items) if i is not None]
            if part.items:
                part_number += 1
                part.number = part_number
                entries.append(part)
        else:
            item = load(entry, None)
            if item is not None:
                entries.append(item)
    problems.raise_if_any()
    if not entries:
        raise CourseError(Problem(Location(manifest.path, None, None, manifest.root),
                                  "nothing to build: every item is skipped"))
    return Course(settings, manifest.root, manifest.path, entries, manifest.templates,
                  manifest.deck_template, warnings)


class ItemFields(TypedDict):
    """What every item has, whatever its kind: the keyword arguments of :class:`Item`
    but its title (each kind reads its own)."""

    kind: str
    name: str
    path: Path
    number: int
    index: int
    part: Part | None
    location: Location
    anchor: str


class ProseFields(TypedDict):
    """The keyword arguments of :class:`Prose` read from an essay's or excerpt's text."""

    doc: Document
    lang: str | None
    decorative: bool | frozenset[Path]


def _load_item(ref: ItemRef, root: Path, lang: str, number: int, index: int, anchor: str,
               part: Part | None, problems: Problems, warnings: list[Problem]) -> Item | None:
    try:
        raw = read_text(ref.path)
    except Invalid as exc:
        line = getattr(exc, "line", None)
        raise CourseError(Problem(Location(ref.path, line, None, root),
                                  f"{ref.kind} file {exc} (named at {ref.location})")) from None
    common = ItemFields(kind=ref.kind, name=ref.name, path=ref.path, number=number, index=index,
                        part=part, location=ref.location, anchor=anchor)
    if ref.kind in ("essay", "excerpt"):
        doc = parse_markdown_file(ref.path, root, raw, lang, anchor)
        warnings.extend(doc.warnings)
        from_pages = ref.kind == "excerpt" and isinstance(doc.front, dict) and \
            has_original(doc.front)
        has_text = bool(doc.paragraphs or doc.images or doc.sections)
        if not has_text and not from_pages:
            problems.add(Location(ref.path, 1, None, root),
                         f"this {ref.kind} has no text below its front matter")
        if has_text and from_pages:
            problems.add(Location(ref.path, _body_line(raw), None, root),
                         "an excerpt from a PDF or from images prints their pages, not "
                         "text typed below the front matter; delete the text (passages to "
                         "show on slides go in 'slides:')")
        if doc.front is None:
            problems.add(doc.front_location,
                         f"{ref.kind} needs front matter: a block between '---' lines at the "
                         "top with at least 'title:'")
            return None
        schema = ESSAY_SCHEMA if ref.kind == "essay" else EXCERPT_SCHEMA
        front = check_mapping(doc.front, schema, doc.front_src, problems,
                              f"the front matter of this {ref.kind}", where=doc.front_location)
        if front is None or "title" not in front:
            return None
        prose = _prose_options(front, doc, ref, root, lang, raw, problems, anchor)
        doc = prose["doc"]
        for key in ("title", "headnote"):
            _no_images(front.get(key), doc.front_src.value(doc.front, key), f"the {key}",
                       problems)
        if ref.kind == "essay":
            return Essay(title=front["title"], author=_typographic(front.get("author"), lang),
                         **prose,
                         slides=[typographic(s, lang) for s in front["slides"]]
                         if "slides" in front else None, **common)
        source = _source(doc.front, front, doc.front_src, problems, lang)
        if source is None:
            return None
        raw_source = doc.front["source"]
        pages = front.get("pages") or (isinstance(raw_source, dict) and raw_source.get("pages")
                                       and text(raw_source["pages"])) or None
        permission, licence = _permission(doc.front, doc.front_src, problems)
        original = None
        if from_pages:
            original = load_original(doc.front, front, doc.front_src, root, lang, problems,
                                     warnings)
            if original is None:
                return None
            pages = front.get("pages") or original.printed_pages
        elif any(key in front for key in ORIGINAL_ONLY):
            key = next(key for key in ORIGINAL_ONLY if key in front)
            problems.add(doc.front_src.key(doc.front, key),
                         f"'{key}' is for an excerpt from a PDF or images (with 'pdf:' or "
                         "'images:'); this excerpt is typed text")
        return Excerpt(title=front["title"],
                       author=_typographic(front.get("author"), lang) or source.author,
                       source=source, pages=pages, headnote=front.get("headnote"),
                       permission=permission, licence=licence, original=original, **prose,
                       **common)
    src = YamlSource(ref.path, root)
    data = src.load(raw)
    where = Location(ref.path, 1, 1, root)
    if data is None:
        problems.add(where, f"this {ref.kind} file is empty; it needs at least 'title:'")
        return None
    if ref.kind == "questions":
        return _questions(data, src, where, problems, common, lang)
    return _table(data, src, where, problems, common, root, lang)


ORIGINAL_ONLY = ("first_printed_page", "crop", "password", "slides")


def _body_line(raw: str) -> int:
    """The line of the first text below an item's front matter."""
    lines = raw.split("\n")
    closing = next((n for n, line in enumerate(lines[1:], 1) if line.strip() == "---"), 0) \
        if lines and lines[0].strip() == "---" else -1
    return next((n + 1 for n in range(closing + 1, len(lines)) if lines[n].strip()),
                closing + 2)


def _prose_options(front: dict, doc: Document, ref: ItemRef, root: Path, lang: str, raw: str,
                   problems: Problems, anchor: str) -> ProseFields:
    """An essay's or excerpt's own language and decorative images, from its front matter.

    A text in another language than the course is parsed again with that language's
    quotation marks, and is marked with its language for screen readers and hyphenation.
    ``anchor``: the item's, which its blocks' ids begin with (as in the first parse).
    """
    options: ProseFields = {"doc": doc, "lang": None, "decorative": frozenset()}
    own = front.get("lang")
    if own and own.lower() != lang.lower():
        options["lang"] = own
        options["doc"] = doc = parse_markdown_file(ref.path, root, raw, own, anchor)
    marked = front.get("decorative")
    if marked is True:
        options["decorative"] = True
    elif marked:
        where = doc.front_src.value(doc.front, "decorative")
        paths = set()
        for raw_path in marked:
            try:
                paths.add(resolve_in_course(root, ref.path.parent, raw_path))
            except Invalid as exc:
                problems.add(where, f"decorative: {exc}")
        unused = paths - {image.path for image in doc.images}
        for path in sorted(unused):
            problems.add(where, f"decorative: '{path.name}' is not an image of this "
                                f"{ref.kind}; name images as in their ![](path)")
        options["decorative"] = frozenset(paths)
    return options


def _no_images(value: str | None, where: Location, what: str, problems: Problems) -> None:
    """One-line fields print Markdown emphasis and links, never images."""
    if value and "![" in value and has_image(value):
        problems.add(where, f"an image in {what}: images are not allowed here; put the image "
                            "in the body of an essay or excerpt")


def _typographic(value: str | None, lang: str) -> str | None:
    return typographic(value, lang) if value else value


def _source(data: YMap, front: dict, src: YamlSource, problems: Problems,
            lang: str) -> Source | None:
    raw = data.get("source")
    if raw is None:
        return None
    if isinstance(raw, str):
        return Source(_typographic(front.get("author"), lang), typographic(raw.strip(), lang))
    clean = check_mapping(raw, SOURCE_SCHEMA, src, problems, "'source'",
                          where=src.value(data, "source"))
    if not clean or "title" not in clean:
        return None
    details = {k: clean[k] for k in ("publisher", "year", "place", "edition", "isbn", "chapter",
                                     "work_pages", "rights_holder") if k in clean}
    for key in ("publisher", "place", "edition", "chapter"):
        if key in details:
            details[key] = typographic(details[key], lang)
    return Source(_typographic(clean.get("author") or front.get("author"), lang),
                  typographic(clean["title"], lang), **details)


def _permission(data: YMap, src: YamlSource, problems: Problems
                ) -> tuple[str | None, Licence | None]:
    """`permission:` as text (its basis read from it) or as {text, basis, reference,
    expires}: the printed text, and the licence when one is stated."""
    raw = data.get("permission")
    if raw is None:
        return None, None
    where = src.value(data, "permission")
    if not isinstance(raw, dict):
        try:
            return text(raw), None
        except Invalid as exc:
            problems.add(where, f"'permission': {exc}; write the text, or text: with basis:, "
                                "reference:, expires:")
            return None, None
    clean = check_mapping(raw, PERMISSION_SCHEMA, src, problems, "'permission'", where)
    if not clean or "text" not in clean:
        return None, None
    kind = BASIS_NAMES[clean["basis"]] if "basis" in clean else basis(clean["text"])
    return clean["text"], Licence(kind, clean.get("reference"), clean.get("expires"))


def _questions(data: Any, src: YamlSource, where: Location, problems: Problems,
               common: ItemFields, lang: str) -> Questions | None:
    clean = check_mapping(data, QUESTIONS_SCHEMA, src, problems, "a questions file", where)
    if not clean or "questions" not in clean or "title" not in clean:
        return None
    raw = data["questions"]
    if not isinstance(raw, list) or not raw:
        problems.add(src.value(data, "questions"),
                     f"'questions' must be a non-empty list, found {describe(raw)}")
        return None
    questions = []
    for i, entry in enumerate(raw):
        loc = src.item(raw, i)
        if isinstance(entry, dict):
            q = check_mapping(entry, QUESTION_SCHEMA, src, problems, "a question", loc)
            if q and "text" in q:
                _no_images(q["text"], loc, "a question", problems)
                _no_images(q.get("notes"), loc, "a question's notes", problems)
                questions.append(Question(q["text"], q.get("notes")))
        else:
            try:
                questions.append(Question(text(entry)))
                _no_images(questions[-1].text, loc, "a question", problems)
            except Invalid as exc:
                problems.add(loc, f"question {i + 1}: {exc}; write the question as text or "
                                  "as 'text:' with optional 'notes:'")
    return Questions(title=clean["title"], questions=questions,
                     intro=_typographic(clean.get("intro"), lang), **common)


SPACES = " \u00a0\u202f"   # a space, a no-break space, a narrow one: one group separator


@functools.cache
def _number_pattern(group: str, decimal: str) -> re.Pattern[str]:
    separators = re.escape(SPACES if group in SPACES else group)
    return re.compile(rf"^[-−]?(\d{{1,3}}([{separators}]\d{{3}})+|\d+)({re.escape(decimal)}\d+)?$")
MAX_DIGITS = 30   # a longer run of digits is an identifier or a slip, not a quantity


def parse_number(value: Any, lang: str = "en") -> Any:
    """CSV cells are text; '1,331' and '7.5' become numbers so they align and chart, read
    as ``lang`` writes numbers ('1.331' and '7,5' in German), else as English does.

    A number of more than MAX_DIGITS digits stays text, as written: no measurement has
    so many, a chart would round it anyway, and Python refuses to convert a few thousand.
    """
    if isinstance(value, int) and not isinstance(value, bool) and \
            abs(value) >= 10 ** MAX_DIGITS:
        return str(value)
    if isinstance(value, str):
        stripped = value.strip()
        if len(stripped) > 2 * MAX_DIGITS or sum(c.isdigit() for c in stripped) > MAX_DIGITS:
            return stripped
        for group, decimal in dict.fromkeys([number_symbols(lang), (",", ".")]):
            if _number_pattern(group, decimal).match(stripped):
                plain = "".join(c for c in stripped if c not in (SPACES + group))
                plain = plain.replace(decimal, ".").replace("−", "-")
                return float(plain) if "." in plain else int(plain)
        return stripped
    return value


def _table(data: Any, src: YamlSource, where: Location, problems: Problems, common: ItemFields,
           root: Path, lang: str) -> Table | None:
    clean = check_mapping(data, TABLE_SCHEMA, src, problems, "a table file", where)
    if clean is None or "title" not in clean:
        return None
    count_before = len(problems.items)
    if "data" in clean:
        if "columns" in data or "rows" in data:
            problems.add(src.key(data, "data"), "give either 'data:' (a CSV file) or "
                                                "'columns:' and 'rows:', not both")
            return None
        columns, rows, data_path, lines = _csv(data, clean["data"], src, problems, root, lang)

        def cell(row: int, col: int) -> Location:
            assert data_path is not None      # a chart is read only from a table that loaded
            return Location(data_path, lines[row], None, root)
    elif "columns" in data and "rows" in data:
        columns, rows = _inline_rows(data, src, problems, lang)
        data_path = None

        def cell(row: int, col: int) -> Location:
            return src.item(data["rows"][row], col)
    else:
        problems.add(where, "a table needs 'data: FILE.csv', or 'columns:' and 'rows:'")
        return None
    if len(problems.items) > count_before or columns is None:
        return None
    table = Table(title=clean["title"], columns=columns, rows=rows,
                  source=_typographic(clean.get("source"), lang), data_path=data_path, lang=lang,
                  **common)
    if "chart" in data:
        table.chart = _chart(data, table, src, problems, cell)
    return table


def _csv(data: YMap, raw: str, src: YamlSource, problems: Problems, root: Path,
         lang: str) -> tuple[list[str] | None, list, Path | None, list[int]]:
    """The CSV's header, rows, path, and the line of each row."""
    loc = src.value(data, "data")
    try:
        path = resolve_in_course(root, src.path.parent, raw)
    except Invalid as exc:
        problems.add(loc, f"'data': {exc}")
        return None, [], None, []
    try:
        body = read_text(path)
    except Invalid as exc:
        problems.add(Location(path, getattr(exc, "line", None), None, root),
                     f"the CSV file {exc}")
        return None, [], None, []
    csv_loc = lambda line: Location(path, line, None, root)  # noqa: E731
    try:
        dialect = csv.Sniffer().sniff(body[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    records = [(n, row) for n, row in enumerate(csv.reader(io.StringIO(body), dialect), 1)
               if any(cell.strip() for cell in row)]
    if not records:
        problems.add(csv_loc(1), "the CSV file is empty; it needs a header row and data rows")
        return None, [], None, []
    header_line, header = records[0]
    header = [h.strip() for h in header]
    if any(not h for h in header) or all(isinstance(parse_number(h), (int, float)) and
                                         not re.fullmatch(r"(1[5-9]|20)\d\d", h)
                                         for h in header):
        problems.add(csv_loc(header_line), "the first row must be a header naming every "
                                           "column (found an empty or numeric header)")
        return None, [], None, []
    rows = []
    lines = []
    for line, row in records[1:]:
        if len(row) != len(header):
            problems.add(csv_loc(line), f"row has {len(row)} cells but the header has "
                                        f"{len(header)}; every row needs one cell per column")
            continue
        rows.append([parse_number(c, lang) for c in row])
        lines.append(line)
    if not rows and len(records) == 1:
        problems.add(csv_loc(header_line), "the table has a header but no data rows")
    return header, rows, path, lines


def _inline_rows(data: YMap, src: YamlSource, problems: Problems, lang: str
                 ) -> tuple[list[str] | None, list]:
    columns, rows = data["columns"], data["rows"]
    if not isinstance(columns, list) or not columns:
        problems.add(src.value(data, "columns"),
                     f"'columns' must be a non-empty list of column names, found "
                     f"{describe(columns)}")
        return None, []
    try:
        names = [text(c) for c in columns]
    except Invalid as exc:
        problems.add(src.value(data, "columns"), f"'columns': {exc}")
        return None, []
    if not isinstance(rows, list) or not rows:
        problems.add(src.value(data, "rows"),
                     f"'rows' must be a non-empty list of rows, found {describe(rows)}; an "
                     "empty table cannot be printed")
        return None, []
    out = []
    for i, row in enumerate(rows):
        loc = src.item(rows, i)
        if not isinstance(row, list):
            problems.add(loc, f"row {i + 1} must be a list like [a, b], found {describe(row)}")
            continue
        if len(row) != len(names):
            problems.add(loc, f"row {i + 1} has {len(row)} cells but there are {len(names)} "
                              "columns")
            continue
        bad = [c for c in row if isinstance(c, (list, dict)) or
               (isinstance(c, str) and CONTROL.search(c))]
        if bad:
            problems.add(loc, f"row {i + 1}: cells must be text or numbers (without control "
                              f"characters), found {describe(bad[0])}")
            continue
        out.append([parse_number(c, lang) for c in row])
    return names, out


def _chart(data: YMap, table: Table, src: YamlSource, problems: Problems,
           cell: Callable[[int, int], Location]) -> Chart | None:
    raw = data["chart"]
    loc = src.value(data, "chart")
    clean = check_mapping(raw, CHART_SCHEMA, src, problems, "'chart'", loc)
    if not clean or not {"type", "x", "y"} <= clean.keys():
        return None
    ys = raw["y"]
    ys = [ys] if isinstance(ys, (str, int, float)) else ys
    if not isinstance(ys, list) or not ys:
        problems.add(src.value(raw, "y"), f"'y' must name one or more columns, found "
                                          f"{describe(raw['y'])}")
        return None
    ys = [str(y) for y in ys]
    for name, key in [(clean["x"], "x")] + [(y, "y") for y in ys]:
        if name not in table.columns:
            close = [c for c in table.columns if c.lower() == name.lower()]
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            problems.add(src.value(raw, key), f"chart {key}: no column '{name}'{hint}; the "
                                              f"columns are {', '.join(table.columns)}")
            return None
    for y in ys:
        col = table.columns.index(y)
        values = [row[col] for row in table.rows]
        if all(isinstance(v, str) and not _number_text(v) for v in values):
            problems.add(src.value(raw, "y"), f"chart y: column '{y}' must hold numbers "
                                              f"only, found {describe(values[0])}")
            return None                              # the wrong column: point at 'y:'
        for r, value in enumerate(values):           # a bad cell: point at it
            if not _chartable(value):
                problems.add(cell(r, col), f"chart y: column '{y}' must hold numbers only; "
                                           f"row {r + 1} has {_what(value)}")
                return None
    return Chart(clean["type"], clean["x"], ys, clean.get("alt"))


def _chartable(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and \
        math.isfinite(value)


def _number_text(value: str) -> str | None:
    """Why text that looks like a number was not read as one, or None."""
    plain = value.strip()
    digits = sum(c.isdigit() for c in plain)
    if digits > MAX_DIGITS and re.fullmatch(r"[-−+]?[\d,]*\.?\d*", plain):
        return f"a number of {digits} digits ({plain[:12]}...); a number has at most " \
               f"{MAX_DIGITS} digits"
    if re.fullmatch(r"[-−+]?\d[\d,]*\.?\d*[eE][-+]?\d+", plain):
        if math.isinf(float(plain.replace(",", "").replace("−", "-"))):
            return f"'{plain[:40]}', beyond the largest number a chart can draw"
        return f"'{plain[:40]}', a number with an exponent, which is read as text; " \
               "write the number out in full"
    return None


def _what(value: Any) -> str:
    """A value a chart cannot draw, named so the author can find and fix it."""
    if isinstance(value, float) and math.isnan(value):
        return "NaN ('not a number'); give a number, or leave the row out of the table"
    if isinstance(value, float) and math.isinf(value):
        return "an infinite number; give a number"
    if isinstance(value, str):
        return _number_text(value) or describe(value)
    return describe(value)
