"""Independent verifiers of reader's real output.

The project's rule: a claim about the output is checked on the output itself, by a tool
other than the one that made it. reader draws the PDF with WeasyPrint (and pikepdf for its
merging), and measures deck text with its own metrics (reader.textfit); so nothing here
imports reader. The verifiers read:

* the PDF's fonts and content streams with pikepdf + fontTools, against the original font
  files (``glyph_problems``): what a printer draws, glyph by glyph;
* pixels rendered by PDFium (``raster_differences``): what a reader sees, page by page;
* object positions extracted by pdfminer through pdfplumber (``outside_text_block``);
* a deck as rendered by a real client, LibreOffice (``deck_client_problems``).

Each returns plain strings (or small records) that read well in an assertion message.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import tempfile
import unicodedata
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import pikepdf

if TYPE_CHECKING:  # heavy imports, loaded by the verifier that needs them
    import numpy as np
    import pdfplumber
    from fontTools.ttLib import TTFont
    from pptx.shapes.base import BaseShape
    from pptx.shapes.graphfrm import GraphicFrame
    from pptx.shapes.group import GroupShape
    from pptx.slide import Slide

MM = 72 / 25.4
EMU_PER_PT = 12700

# --- 1. glyphs: what is drawn is what the original font has --------------------------------

SUBSET_TAG = re.compile(r"^[A-Z]{6}\+")
TEXT_OPERATORS = "Tf Tj TJ ' \" q Q Do Tr"


@dataclass(frozen=True)
class FontFace:
    """One original font file, with the names it can be recognised by."""

    path: Path
    number: int  # index in a collection (.ttc), else 0
    names: frozenset[str]
    rank: int = 0  # the position of its folder in font_dirs: earlier folders win


@dataclass
class DrawnFont:
    """A PDF font dictionary and what the pages draw with it: code -> 1-based page numbers."""

    font: pikepdf.Dictionary
    codes: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    pages: set[int] = field(default_factory=set)


@dataclass
class GlyphReport:
    """The result of ``glyph_report``.

    ``problems``: one line per (font, glyph) with the pages it is drawn on.
    ``unchecked``: fonts that could not be checked (no original found among the font
    folders, or a kind of font this check does not read), with their pages: a silent skip
    would let a new font slip by, so they are listed for the caller to judge.
    """

    problems: list[str]
    unchecked: list[str]
    glyphs_checked: int


def name_key(text: str) -> str:
    """Compare font names the way people write them: no case, spaces, hyphens."""
    return re.sub(r"[\s_\-]+", "", text).casefold()


def font_names(font: TTFont) -> set[str]:
    """The keys a font file answers to: PostScript name, full name, family + subfamily.

    Both the legacy (1, 2) and the typographic (16, 17) family/subfamily pairs count: a
    PDF may carry either, and the subfamily is what tells Carlito from Carlito-Bold.
    """
    if "name" not in font:
        return set()
    table = font["name"]

    def get(name_id: int) -> str | None:
        record = table.getDebugName(name_id)
        return str(record) if record else None

    keys = {get(6), get(4)}
    for family_id, sub_id in ((1, 2), (16, 17)):
        family, sub = get(family_id), get(sub_id)
        if family:
            keys.add(f"{family} {sub or 'Regular'}")
            if (sub or "regular").casefold() == "regular":
                keys.add(family)
    return {name_key(k) for k in keys if k}


def font_faces(font_dirs: Iterable[str | Path]) -> list[FontFace]:
    """Every TrueType/OpenType face under ``font_dirs``, by the names in its name table."""
    from fontTools.ttLib import TTCollection, TTFont

    faces: list[FontFace] = []
    for rank, folder in enumerate(font_dirs):
        for path in sorted(Path(folder).rglob("*")):
            suffix = path.suffix.lower()
            if suffix in {".ttf", ".otf"}:
                fonts = [TTFont(path, lazy=True)]
            elif suffix in {".ttc", ".otc"}:
                fonts = list(TTCollection(path, lazy=True))
            else:
                continue
            for number, font in enumerate(fonts):
                faces.append(FontFace(path, number, frozenset(font_names(font)), rank))
    return faces


def identify_original(candidates: Sequence[str], faces: Sequence[FontFace]) -> FontFace | None:
    """The one face that the first recognisable candidate name points to, else None.

    Candidates are tried in order of trust (the embedded font's own name table first,
    then the PDF's /BaseFont). Folders are in order of priority (the theme's fonts before
    the system's, which may hold another version of the same family); a name shared by
    two faces of the same folder is no identification.
    """
    for candidate in candidates:
        hits = [face for face in faces if name_key(candidate) in face.names]
        first = [face for face in hits if face.rank == min(f.rank for f in hits)]
        if len(first) == 1:
            return first[0]
    return None


def walk_drawn_text(pdf: pikepdf.Pdf) -> dict[tuple[int, int] | bytes, DrawnFont]:
    """Every string shown with every font, with the pages, as the content streams say.

    Follows Form XObjects (with their own resources, inheriting the caller's font, as the
    graphics state does) and annotation appearances. Text in render mode 3 or 7 is not
    painted and is left out.
    """
    drawn: dict[tuple[int, int] | bytes, DrawnFont] = {}
    for number, page in enumerate(pdf.pages, 1):
        resources = inherited(page.obj, "/Resources") or pikepdf.Dictionary()
        run_stream(page, resources, number, drawn, (None, 0), set())
        for annot in page.obj.get("/Annots", pikepdf.Array()):
            for stream in appearance_streams(annot):
                res = stream.get("/Resources", resources)
                run_stream(stream, res, number, drawn, (None, 0), {stream.objgen})
    return drawn


def inherited(node: pikepdf.Dictionary, key: str) -> pikepdf.Object | None:
    """A page attribute, from the page or the nearest page-tree node above that has it."""
    for _ in range(64):  # a page tree deeper than this is a loop
        if key in node:
            return node[key]
        if "/Parent" not in node:
            return None
        node = node.Parent
    return None


def appearance_streams(annot: pikepdf.Object) -> Iterator[pikepdf.Stream]:
    """The normal appearance stream(s) of an annotation: what a viewer paints for it."""
    ap = annot.get("/AP") if isinstance(annot, pikepdf.Dictionary) else None
    normal = ap.get("/N") if ap is not None else None
    if isinstance(normal, pikepdf.Stream):
        yield normal
    elif isinstance(normal, pikepdf.Dictionary):
        yield from (v for v in normal.values() if isinstance(v, pikepdf.Stream))


def font_key(font: pikepdf.Object) -> tuple[int, int] | bytes:
    """Fonts are told apart by object number; a direct dictionary by its content."""
    return font.objgen if font.objgen != (0, 0) else font.unparse()


def run_stream(stream: pikepdf.Object, resources: pikepdf.Object, page: int,
               drawn: dict, state: tuple, seen: set) -> None:
    """Interpret one content stream's text operators; ``state`` is (font, render mode)."""
    fonts = resources.get("/Font", pikepdf.Dictionary())
    xobjects = resources.get("/XObject", pikepdf.Dictionary())
    stack: list[tuple] = []
    for operands, operator in pikepdf.parse_content_stream(stream, TEXT_OPERATORS):
        op = str(operator)
        if op == "q":
            stack.append(state)
        elif op == "Q":
            state = stack.pop() if stack else state
        elif op == "Tf":
            state = (fonts.get(str(operands[0])), state[1])
        elif op == "Tr":
            state = (state[0], int(operands[0]))
        elif op == "Do":
            run_form(xobjects.get(str(operands[0])), resources, page, drawn, state, seen)
        elif state[0] is not None and state[1] not in (3, 7):
            record_strings(drawn, state[0], page, show_strings(op, operands))


def run_form(xobject: pikepdf.Object | None, resources: pikepdf.Object, page: int,
             drawn: dict, state: tuple, seen: set) -> None:
    """Descend into a Form XObject once per path (a form that draws itself is cut off)."""
    if not isinstance(xobject, pikepdf.Stream) or xobject.get("/Subtype") != "/Form":
        return
    if xobject.objgen in seen:
        return
    own = xobject.get("/Resources", resources)
    run_stream(xobject, own, page, drawn, state, seen | {xobject.objgen})


def show_strings(op: str, operands: Sequence) -> list[bytes]:
    """The byte strings a text-showing operator paints (Tj, TJ, ' and ")."""
    if op in ("Tj", "'") and operands:
        return [bytes(operands[0])]
    if op == '"' and len(operands) == 3:
        return [bytes(operands[2])]
    if op == "TJ" and operands:
        return [bytes(item) for item in operands[0] if isinstance(item, pikepdf.String)]
    return []


def record_strings(drawn: dict, font: pikepdf.Object, page: int,
                   strings: list[bytes]) -> None:
    """Note each character code shown; codes are 2 bytes for Identity-H, else 1."""
    entry = drawn.setdefault(font_key(font), DrawnFont(font))
    entry.pages.add(page)
    width = 2 if font.get("/Encoding") == "/Identity-H" else 1
    for data in strings:
        for i in range(0, len(data) - width + 1, width):
            entry.codes[int.from_bytes(data[i:i + width], "big")].add(page)


def parse_tounicode(data: bytes) -> dict[int, str]:
    """A ToUnicode CMap's bfchar and bfrange entries: code -> text."""
    tokens = re.findall(rb"<([0-9A-Fa-f\s]*)>|(\[)|(\])|(beginbf(?:char|range)|endbf"
                        rb"(?:char|range))", data)
    out: dict[int, str] = {}
    section, row, array = None, [], None
    for hexa, opening, closing, word in tokens:
        if word:
            section, row = (word.decode() if word.startswith(b"begin") else None), []
        elif opening:
            array = []
        elif closing:
            row.append(array)
            array = None
        elif array is not None:
            array.append(hexa)
        elif section:
            row.append(hexa)
        if section == "beginbfchar" and len(row) == 2:
            out[int(row[0], 16)] = utf16(row[1])
            row = []
        elif section == "beginbfrange" and len(row) == 3:
            add_bfrange(out, *row)
            row = []
    return out


def utf16(hexa: bytes) -> str:
    """A ToUnicode destination (UTF-16BE in hex) as text."""
    raw = bytes.fromhex(re.sub(rb"\s", b"", hexa).decode())
    return raw.decode("utf-16-be", errors="replace")


def add_bfrange(out: dict[int, str], lo: bytes, hi: bytes, dst: bytes | list) -> None:
    """A bfrange: consecutive codes to an array of strings, or to an incremented string."""
    first, last = int(lo, 16), int(hi, 16)
    if isinstance(dst, list):
        for offset, item in enumerate(dst[: last - first + 1]):
            out[first + offset] = utf16(item)
        return
    start = utf16(dst)
    if not start:
        return
    for offset in range(min(last - first, 0xFFFF) + 1):
        out[first + offset] = start[:-1] + chr(ord(start[-1]) + offset)


def parse_widths(cid_font: pikepdf.Dictionary) -> tuple[dict[int, float], float]:
    """The /W array of a CIDFont as cid -> width, and the /DW default."""
    widths: dict[int, float] = {}
    items = list(cid_font.get("/W", pikepdf.Array()))
    i = 0
    while i < len(items):
        first = int(items[i])
        if isinstance(items[i + 1], pikepdf.Array):
            for offset, width in enumerate(items[i + 1]):
                widths[first + offset] = float(width)
            i += 2
        else:
            last, width = int(items[i + 1]), float(items[i + 2])
            widths.update(dict.fromkeys(range(first, last + 1), width))
            i += 3
    return widths, float(cid_font.get("/DW", 1000))


def cid_to_gid(cid_font: pikepdf.Dictionary) -> Callable[[int], int]:
    """The CIDToGIDMap as a function: /Identity (the default) or a stream of 2-byte gids."""
    mapping = cid_font.get("/CIDToGIDMap")
    if isinstance(mapping, pikepdf.Stream):
        data = mapping.read_bytes()
        return lambda cid: int.from_bytes(data[2 * cid:2 * cid + 2], "big")
    return lambda cid: cid


class OriginalFont:
    """An original font file, loaded once, with cached outlines and alternate glyphs."""

    def __init__(self, face: FontFace) -> None:
        from fontTools.ttLib import TTFont

        self.face = face
        self.font = TTFont(face.path, fontNumber=face.number, lazy=True)
        self.glyph_set = self.font.getGlyphSet()
        self.order = self.font.getGlyphOrder()
        self.upem = self.font["head"].unitsPerEm
        self.cmap = self.font.getBestCmap() or {}
        self.outlines: dict[str, list] = {}
        self._alternates: dict[str, set[str]] | None = None

    def outline(self, name: str) -> list:
        if name not in self.outlines:
            self.outlines[name] = decomposed_outline(self.glyph_set, name)
        return self.outlines[name]

    def variants(self, name: str) -> set[str]:
        """``name`` and every glyph GSUB can put in its place (small caps, old-style
        figures...): such a glyph drawn for the character is a design choice, not a bug."""
        if self._alternates is None:
            self._alternates = single_substitutions(self.font)
        found, todo = {name}, [name]
        while todo:
            for other in self._alternates.get(todo.pop(), ()):
                if other not in found:
                    found.add(other)
                    todo.append(other)
        return found


def single_substitutions(font: TTFont) -> dict[str, set[str]]:
    """glyph -> glyphs that GSUB single/alternate substitutions (of any feature) give."""
    graph: dict[str, set[str]] = defaultdict(set)
    if "GSUB" not in font or not font["GSUB"].table.LookupList:
        return graph
    for lookup in font["GSUB"].table.LookupList.Lookup:
        for sub in lookup.SubTable:
            kind = lookup.LookupType
            if kind == 7:
                kind, sub = sub.ExtensionLookupType, sub.ExtSubTable
            if kind == 1:
                for src, dst in sub.mapping.items():
                    graph[src].add(dst)
            elif kind == 3:
                for src, dsts in sub.alternates.items():
                    graph[src].update(dsts)
    return graph


def decomposed_outline(glyph_set: Mapping, name: str) -> list:
    """A glyph's outline with components resolved: the drawing a rasteriser would get."""
    from fontTools.pens.recordingPen import DecomposingRecordingPen

    pen = DecomposingRecordingPen(glyph_set)
    glyph_set[name].draw(pen)
    return pen.value


@cache
def load_original(face: FontFace) -> OriginalFont:
    """Original fonts are shared by every subset of them in every PDF checked."""
    return OriginalFont(face)


def glyph_report(pdf_path: str | Path, font_dirs: Iterable[str | Path]) -> GlyphReport:
    """Check every glyph drawn in ``pdf_path`` against the original font files.

    For each Type0/Identity-H font with an embedded TrueType program (FontFile2), and each
    glyph the pages draw with it: (a) the embedded outline equals the original's outline
    of the same glyph (a subsetter copies outlines; it must not replace them); (b) the /W
    width equals the original advance (what the PDF spaces the text by); (c) where the
    text layer (ToUnicode) says one character, the glyph drawn is what the original font
    draws for that character or one of its GSUB variants. Glyph ids are kept by the
    subsetters that reader uses (retain_gids); a subset that renames glyphs is followed
    by its glyph names when it has real ones (post table format 2).
    """
    faces = font_faces(font_dirs)
    found: dict[tuple[str, int, str], GlyphFinding] = {}
    unchecked: list[str] = []
    checked = 0
    with pikepdf.open(pdf_path) as pdf:
        for entry in walk_drawn_text(pdf).values():
            why_not, findings = check_font(entry, faces)
            if why_not:
                unchecked.append(f"{pages_label(entry.pages)}: {font_label(entry.font)}: "
                                 f"{why_not}")
                continue
            checked += len(entry.codes)
            for finding in findings:
                key = (finding.font, finding.gid, finding.char)
                merged = found.setdefault(key, GlyphFinding(*key))
                merged.reasons += [r for r in finding.reasons if r not in merged.reasons]
                merged.pages |= finding.pages
    ordered = sorted(found.values(), key=lambda f: (min(f.pages), f.font, f.gid))
    return GlyphReport([str(f) for f in ordered], unchecked, checked)


@dataclass
class GlyphFinding:
    """What is wrong with one glyph of one font, and the pages that draw it."""

    font: str
    gid: int
    char: str
    reasons: list[str] = field(default_factory=list)
    pages: set[int] = field(default_factory=set)

    def __str__(self) -> str:
        char = f" ({self.char!r})" if self.char else ""
        return f"{pages_label(self.pages)}: {self.font} glyph {self.gid}{char}: " \
               f"{'; '.join(self.reasons)}"


def glyph_problems(pdf_path: str | Path, font_dirs: Iterable[str | Path],
                   strict_fonts: bool = False) -> list[str]:
    """The glyph check's problems; with ``strict_fonts`` an unchecked font is one too.

    By default a font without an original in ``font_dirs`` (a system fallback face, say)
    is skipped; ``glyph_report(...).unchecked`` lists them.
    """
    report = glyph_report(pdf_path, font_dirs)
    return report.problems + (report.unchecked if strict_fonts else [])


def pages_label(pages: Iterable[int]) -> str:
    """'page 4' or 'pages 1, 3-5, 9': a compact list of page numbers."""
    pages = sorted(pages)
    runs: list[list[int]] = []
    for page in pages:
        if runs and page == runs[-1][-1] + 1:
            runs[-1].append(page)
        else:
            runs.append([page])
    listed = ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)
    return f"{'page' if len(pages) == 1 else 'pages'} {listed}"


def font_label(font: pikepdf.Dictionary) -> str:
    """The font's /BaseFont without its subset tag: how a person names it."""
    return SUBSET_TAG.sub("", str(font.get("/BaseFont", "/?"))[1:])


def embedded_truetype(font: pikepdf.Dictionary) -> tuple[pikepdf.Dictionary | None, str]:
    """The descendant CIDFont of a checkable font, or None and the reason it is not one."""
    if font.get("/Subtype") != "/Type0":
        return None, f"a {str(font.get('/Subtype', '/?'))[1:]} font: not checked"
    if font.get("/Encoding") != "/Identity-H":
        return None, "a Type0 font without Identity-H encoding: not checked"
    cid_font = font.DescendantFonts[0]
    descriptor = cid_font.get("/FontDescriptor", pikepdf.Dictionary())
    if "/FontFile2" not in descriptor:
        return None, "no embedded TrueType program (FontFile2): not checked"
    return cid_font, ""


def check_font(entry: DrawnFont, faces: Sequence[FontFace]) -> tuple[str, list[GlyphFinding]]:
    """One PDF font's drawn glyphs: (reason it could not be checked, or problems found)."""
    from fontTools.ttLib import TTFont

    cid_font, why_not = embedded_truetype(entry.font)
    if cid_font is None:
        return why_not, []
    descriptor = cid_font.FontDescriptor
    embedded = TTFont(io.BytesIO(descriptor.FontFile2.read_bytes()), lazy=True)
    family = str(descriptor.get("/FontFamily", ""))
    own = [name for name in (embedded_name(embedded, 6), embedded_name(embedded, 4)) if name]
    candidates = [*own, *sorted(font_names(embedded)), font_label(entry.font),
                  f"{family} {embedded_name(embedded, 2) or 'Regular'}"]
    face = identify_original(candidates, faces)
    if face is None:
        shown = list(dict.fromkeys([*own, font_label(entry.font)]))
        return f"no original among the font folders for {shown}", []
    original = load_original(face)
    if embedded["head"].unitsPerEm != original.upem:
        why = (f"unitsPerEm {embedded['head'].unitsPerEm} differs from {face.path.name}'s "
               f"{original.upem}: not a subset of it")
        return why, []
    return "", FontCheck(entry, cid_font, embedded, original).problems()


def embedded_name(font: TTFont, name_id: int) -> str:
    """One entry of the embedded font's name table ('' when it has none)."""
    record = font["name"].getDebugName(name_id) if "name" in font else None
    return str(record or "")


class FontCheck:
    """The three comparisons for one PDF font against its original."""

    def __init__(self, entry: DrawnFont, cid_font: pikepdf.Dictionary, embedded: TTFont,
                 original: OriginalFont) -> None:
        self.entry, self.original = entry, original
        self.label = font_label(entry.font)
        if self.label != original.face.path.stem:  # a CSS family name, say: name the file
            self.label += f" ({original.face.path.name})"
        self.glyph_set = embedded.getGlyphSet()
        self.order = embedded.getGlyphOrder()
        self.real_names = "post" in embedded and embedded["post"].formatType == 2
        self.gid_of = cid_to_gid(cid_font)
        self.widths, self.default_width = parse_widths(cid_font)
        to_unicode = entry.font.get("/ToUnicode")
        self.text = parse_tounicode(to_unicode.read_bytes()) \
            if isinstance(to_unicode, pikepdf.Stream) else {}

    def problems(self) -> list[GlyphFinding]:
        out = []
        for code, pages in sorted(self.entry.codes.items()):
            gid = self.gid_of(code)
            reasons = self.glyph_reasons(code, gid)
            if reasons:
                text = self.text.get(code, "").replace("\uffff", "")
                out.append(GlyphFinding(self.label, gid, text, reasons, set(pages)))
        return out

    def original_name(self, gid: int) -> str | None:
        """The original's glyph for embedded glyph ``gid``: same id, or same real name."""
        name = self.order[gid]
        if self.real_names and name in self.original.glyph_set:
            return name
        return self.original.order[gid] if gid < len(self.original.order) else None

    def glyph_reasons(self, code: int, gid: int) -> list[str]:
        if gid >= len(self.order):
            return [f"glyph id beyond the embedded font's {len(self.order)} glyphs"]
        reasons = ["draws .notdef (the missing-glyph box)"] if gid == 0 else []
        name = self.original_name(gid)
        if name is None:
            return [*reasons, f"glyph id beyond {self.original.face.path.name}'s glyphs"]
        drawn = decomposed_outline(self.glyph_set, self.order[gid])
        want = self.original.outline(name)
        if drawn != want:
            detail = f"{len(drawn)} ops vs {len(want)}" if len(drawn) != len(want) \
                else f"same {len(drawn)} ops, other coordinates"
            reasons.append(f"drawn outline differs from the original font ({detail})")
        reasons += self.width_reason(code, name)
        reasons += self.text_reason(code, name, drawn)
        return reasons

    def width_reason(self, code: int, name: str) -> list[str]:
        advance = self.original.font["hmtx"][name][0] * 1000 / self.original.upem
        width = self.widths.get(code, self.default_width)
        if abs(width - advance) > 1:
            return [f"width {width:g} in /W, the original's advance is {advance:.1f}"]
        return []

    def text_reason(self, code: int, name: str, drawn: list) -> list[str]:
        text = self.text.get(code, "")
        if len(text) != 1 or ord(text) not in self.original.cmap:
            return []
        expected = self.original.cmap[ord(text)]
        if name in self.original.variants(expected) or drawn == self.original.outline(expected):
            return []
        why = (f"the text layer says {text!r} but the glyph drawn is not the original's "
               f"{expected!r} nor a variant of it")
        return [why]


# --- 2. pixels: two PDFs look the same ------------------------------------------------------

# Thresholds, measured with PDFium on the sample course's reader (36 letter pages, 100 dpi):
# * the same PDF twice, or wrapped in an identity "q ... Q": 0 pixels differ on every page;
#   the fast path's body text against the single-document (--tagged) path's: 0 as well.
# * PDFium puts glyph origins on the pixel grid, so moving text at all moves whole glyphs:
#   shifting every page by 0.0001-0.0002 pt gives at most 4 pixels over 64/255 on a page,
#   0.0005 pt at most 13, 0.001 pt up to 572, 0.01 pt up to 1,884. Displacement is not
#   anti-aliasing and is not tolerated beyond the float-rounding level.
# * a real defect: the bold "6" emptied from the sample's Carlito-Bold (as the fast path's
#   merged subset does) is 55 pixels on the page of question 6, 39 on those of the
#   "ESSAY 6" and "READING 6" labels.
# So a pixel differs when a channel moves by more than a quarter of full contrast (edge
# coverage and colour rounding stay below), and a page fails beyond 8 such pixels.
RASTER_DPI = 100
RASTER_THRESHOLD = 64
RASTER_MAX_PIXELS = 8


@dataclass(frozen=True)
class PageDiff:
    """How one page of two PDFs differs when rendered by PDFium.

    ``differing``: pixels whose difference in some channel exceeds the threshold;
    ``share``: that count over the page's pixels;
    ``max_difference``: the largest channel difference anywhere on the page (0-255);
    ``note``: why the page could not be compared pixel by pixel (missing, other size).
    """

    page: int
    differing: int
    share: float
    max_difference: int
    failed: bool
    note: str = ""

    def __str__(self) -> str:
        if self.note:
            return f"page {self.page}: {self.note}"
        return (f"page {self.page}: {self.differing} pixels ({self.share:.4%}) differ, "
                f"max difference {self.max_difference}/255")


def render_pages(pdf_path: str | Path, dpi: int) -> Iterator:
    """Each page as an RGB numpy array, drawn by PDFium (not the renderer under test)."""
    import numpy as np
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(pdf_path))
    try:
        for page in document:
            bitmap = page.render(scale=dpi / 72)
            yield np.asarray(bitmap.to_pil().convert("RGB"))
    finally:
        document.close()


def pixel_difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per pixel, the largest difference over the three channels (0-255)."""
    import numpy as np

    return np.abs(a.astype(np.int16) - b.astype(np.int16)).max(axis=2)


def raster_differences(pdf_a: str | Path, pdf_b: str | Path, dpi: int = RASTER_DPI,
                       threshold: int = RASTER_THRESHOLD,
                       max_pixels: int = RASTER_MAX_PIXELS) -> list[PageDiff]:
    """Render both PDFs with PDFium and compare them page by page; one PageDiff a page.

    A pixel differs when some channel differs by more than ``threshold`` (of 255); a page
    fails when more than ``max_pixels`` pixels differ, when it has another size, or when
    it exists in one PDF only. The defaults tolerate anti-aliasing and nothing else (see
    the measurements above RASTER_DPI): the two PDFs must place the same things at the
    same coordinates.
    """
    from itertools import zip_longest

    out: list[PageDiff] = []
    pages = zip_longest(render_pages(pdf_a, dpi), render_pages(pdf_b, dpi))
    for number, (a, b) in enumerate(pages, 1):
        if a is None or b is None:
            which = "first" if b is None else "second"
            out.append(PageDiff(number, 0, 0.0, 255, True, f"only in the {which} PDF"))
        elif a.shape != b.shape:
            out.append(PageDiff(number, 0, 0.0, 255, True, f"page size differs: "
                                f"{a.shape[1]}x{a.shape[0]} vs {b.shape[1]}x{b.shape[0]} px"))
        else:
            plain = pixel_difference(a, b)
            differing = int((plain > threshold).sum())
            out.append(PageDiff(number, differing, differing / plain.size, int(plain.max()),
                                differing > max_pixels))
    return out


def save_diff_image(pdf_a: str | Path, pdf_b: str | Path, page: int, out_png: str | Path,
                    dpi: int = RASTER_DPI, threshold: int = RASTER_THRESHOLD) -> Path:
    """Save page ``page`` (1-based) of both PDFs side by side with a third panel in which
    the differing pixels are red over a faded copy of the first: where to look."""
    import numpy as np
    from PIL import Image

    a = render_page(pdf_a, page, dpi)
    b = render_page(pdf_b, page, dpi)
    h, w = max(a.shape[0], b.shape[0]), max(a.shape[1], b.shape[1])
    a, b = pad_to(a, h, w), pad_to(b, h, w)
    plain = pixel_difference(a, b)
    marked = (255 - (255 - a) // 4).astype(np.uint8)
    marked[plain > threshold] = (220, 0, 0)
    canvas = Image.new("RGB", (3 * w + 20, h), "grey")
    for i, panel in enumerate((a, b, marked)):
        canvas.paste(Image.fromarray(panel), (i * (w + 10), 0))
    canvas.save(out_png)
    return Path(out_png)


def save_failures(diffs: Iterable[PageDiff], pdf_a: str | Path, pdf_b: str | Path,
                  folder: str | Path, dpi: int = RASTER_DPI) -> list[Path]:
    """A diff image for every failed page that exists in both PDFs: for a CI artefact."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    return [save_diff_image(pdf_a, pdf_b, d.page, Path(folder) / f"page-{d.page:03d}.png", dpi)
            for d in diffs if d.failed and not d.note.startswith("only")]


def render_page(pdf_path: str | Path, page: int, dpi: int) -> np.ndarray:
    """One page (1-based) rendered by PDFium, or a small white image where there is none."""
    import numpy as np
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(pdf_path))
    try:
        if not 1 <= page <= len(document):
            return np.full((10, 10, 3), 255, dtype=np.uint8)
        return np.asarray(document[page - 1].render(scale=dpi / 72).to_pil().convert("RGB"))
    finally:
        document.close()


def pad_to(pixels: np.ndarray, h: int, w: int) -> np.ndarray:
    """White-pad an image to h x w so pages of other sizes can sit side by side."""
    import numpy as np

    out = np.full((h, w, 3), 255, dtype=np.uint8)
    out[: pixels.shape[0], : pixels.shape[1]] = pixels
    return out


# --- 3. geometry: everything on a page lies where the design allows --------------------------

@dataclass(frozen=True)
class Box:
    """A rectangle in PDF points, measured from the top-left corner as pdfplumber does."""

    x0: float
    top: float
    x1: float
    bottom: float
    name: str = "text block"

    def holds(self, obj: dict, tolerance: float) -> bool:
        return (obj["x0"] >= self.x0 - tolerance and obj["x1"] <= self.x1 + tolerance
                and obj["top"] >= self.top - tolerance
                and obj["bottom"] <= self.bottom + tolerance)

    def center_in(self, obj: dict) -> bool:
        x, y = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
        return self.x0 <= x <= self.x1 and self.top <= y <= self.bottom


# (page index, page width, page height) -> the boxes where things may be drawn
Allowed = Callable[[int, float, float], Sequence[Box]]


def book_regions(top_mm: float, bottom_mm: float, inner_mm: float, outer_mm: float,
                 head_mm: float = 12, foot_mm: float = 14, first_is_right: bool = True,
                 anything_on: Iterable[int] = ()) -> Allowed:
    """The allowed regions of a book's pages from its margins, in millimetres.

    Right-hand pages have the inner (binding) margin on the left, left-hand pages on the
    right; with ``first_is_right`` the first page (index 0) is a right-hand page. Each
    page gets its text block, a band of ``head_mm`` above it for the running head, and one
    of ``foot_mm`` below it for the folio, both as wide as the text block. Pages in
    ``anything_on`` (indexes: a full-bleed cover) may be drawn on anywhere on the paper.
    """
    free = set(anything_on)

    def regions(index: int, width: float, height: float) -> list[Box]:
        if index in free:
            return [Box(0, 0, width, height, "paper")]
        right = (index % 2 == 0) == first_is_right
        left_mm, right_mm = (inner_mm, outer_mm) if right else (outer_mm, inner_mm)
        x0, x1 = left_mm * MM, width - right_mm * MM
        top, bottom = top_mm * MM, height - bottom_mm * MM
        return [Box(x0, top, x1, bottom),
                Box(x0, top - head_mm * MM, x1, top, "running-head band"),
                Box(x0, bottom, x1, bottom + foot_mm * MM, "folio band")]

    return regions


def reader_regions(anything_on: Iterable[int] = (0,)) -> Allowed:
    """reader's theme (reader.css): 22/24 mm top/bottom, 24 mm inner, 72 mm outer (room to
    write in); the cover (page index 0) is full-bleed."""
    return book_regions(22, 24, 24, 72, anything_on=anything_on)


OBJECT_KINDS = ("char", "rect", "line", "curve", "image")


def outside_text_block(pdf_path: str | Path, allowed: Allowed | Sequence[Sequence[Box]],
                       tolerance: float = 0.5, per_page: int = 5) -> list[str]:
    """Every char, rect, line, curve and image that is not wholly inside an allowed box.

    Read by pdfminer (through pdfplumber), not by the renderer. A char's box is its
    advance times the font's ascent-descent, as pdfminer computes it. ``tolerance`` (pt)
    is rounding slack, not a design allowance: on the sample course, justified lines end
    up to 1.4 pt past the measure and are reported at the default 0.5. Reports are
    grouped: one line per line of text (with its words) or per kind of drawing and edge
    crossed, at most ``per_page`` a page and then a count, so a runaway table stays
    readable. Whitespace characters are skipped: they put no ink on the paper.
    """
    import pdfplumber

    regions = allowed if callable(allowed) else (lambda i, _w, _h: allowed[i])
    out: list[str] = []
    with pdfplumber.open(str(pdf_path)) as pdf:
        for index, page in enumerate(pdf.pages):
            boxes = list(regions(index, float(page.width), float(page.height)))
            lines = page_outside(page, boxes, tolerance)
            page.close()  # pdfplumber caches every object of a page: free them
            out += [f"page {index + 1}: {line}" for line in lines[:per_page]]
            if len(lines) > per_page:
                out.append(f"page {index + 1}: ... and {len(lines) - per_page} more groups "
                           "of objects outside")
    return out


def page_outside(page: pdfplumber.page.Page, boxes: Sequence[Box],
                 tolerance: float) -> list[str]:
    """The grouped reports for one pdfplumber page."""
    width, height = float(page.width), float(page.height)
    out: list[str] = []
    for kind in OBJECT_KINDS:
        objs = [o for o in page.objects.get(kind, [])
                if not (kind == "char" and not o["text"].strip())]
        stray = [o for o in objs if not any(b.holds(o, tolerance) for b in boxes)]
        if kind == "char":
            out += [char_report(group, page.chars, boxes, width, height, tolerance)
                    for group in by_line(stray)]
        else:
            groups: dict[str, list[dict]] = defaultdict(list)
            for obj in stray:
                groups[where(obj, boxes, width, height, tolerance)].append(obj)
            out += [f"{len(group)} {kind}{'s' if len(group) > 1 else ''} "
                    f"({group[0]['x0']:.1f},{group[0]['top']:.1f})-"
                    f"({group[0]['x1']:.1f},{group[0]['bottom']:.1f}){' ...' * (len(group) > 1)}"
                    f" {side}" for side, group in groups.items()]
    return out


def by_line(chars: list[dict]) -> list[list[dict]]:
    """Chars grouped by the line they sit on (their baseline, to a tenth of a point)."""
    lines: dict[float, list[dict]] = defaultdict(list)
    for ch in chars:
        lines[round(ch["matrix"][5], 1)].append(ch)
    return [sorted(group, key=lambda c: c["x0"])
            for _, group in sorted(lines.items(), reverse=True)]  # PDF y grows upwards


def char_report(group: list[dict], all_chars: list[dict], boxes: Sequence[Box],
                width: float, height: float, tolerance: float) -> str:
    """'char 'U' of 'Upper middle class' at x=612.3 beyond the right edge of ...'."""
    first = group[0]
    more = f" (and {len(group) - 1} more chars on this line)" if len(group) > 1 else ""
    side = where(first, boxes, width, height, tolerance)
    return f"char {first['text']!r} of {words_around(first, all_chars)!r} {side}{more}"


def words_around(char: dict, all_chars: list[dict], words: int = 3) -> str:
    """The word the char belongs to and the next ones on its line: enough to find it."""
    line = sorted((c for c in all_chars if round(c["matrix"][5], 1) ==
                   round(char["matrix"][5], 1)), key=lambda c: c["x0"])
    text, at = "", 0
    for i, c in enumerate(line):
        if i and c["x0"] - line[i - 1]["x1"] > 0.15 * c["size"] and not text.endswith(" "):
            text += " "
        if c is char:
            at = len(text)
        text += c["text"]
    start = text.rfind(" ", 0, at) + 1
    return " ".join(text[start:].split()[:words])


def where(obj: dict, boxes: Sequence[Box], width: float, height: float,
          tolerance: float) -> str:
    """Which edges the object crosses: of the paper first, else of the box it is nearest
    (the one holding its centre, or the text block)."""
    paper = Box(0, 0, width, height, "paper")
    if not paper.holds(obj, tolerance):
        edges = [f"{edge} paper edge ({coordinate})"
                 for edge, coordinate in crossed(obj, paper, tolerance)]
        return "clipped at the " + " and the ".join(edges)
    ref = next((b for b in boxes if b.center_in(obj)), boxes[0] if boxes else paper)
    places = {"right": "beyond the right edge", "left": "beyond the left edge",
              "bottom": "below the bottom", "top": "above the top"}
    return " and ".join(f"at {coordinate.split(' ')[0]} {places[edge]} of the {ref.name} "
                        f"({coordinate.split(' ')[-1]})"
                        for edge, coordinate in crossed(obj, ref, tolerance)) or "outside"


def crossed(obj: dict, box: Box, tolerance: float) -> list[tuple[str, str]]:
    """The edges of ``box`` that ``obj`` goes past: (edge, 'x=612.3 > x1=559.2')."""
    sides = []
    if obj["x1"] > box.x1 + tolerance:
        sides.append(("right", f"x={obj['x1']:.1f} > x1={box.x1:.1f}"))
    if obj["x0"] < box.x0 - tolerance:
        sides.append(("left", f"x={obj['x0']:.1f} < x0={box.x0:.1f}"))
    if obj["bottom"] > box.bottom + tolerance:
        sides.append(("bottom", f"y={obj['bottom']:.1f} > bottom={box.bottom:.1f}"))
    if obj["top"] < box.top - tolerance:
        sides.append(("top", f"y={obj['top']:.1f} < top={box.top:.1f}"))
    return sides


# --- 4. the deck in a real client: LibreOffice draws every text where its shape is ----------

@dataclass(frozen=True)
class ShapeText:
    """A piece of slide text and the box it must stay in, in slide points."""

    name: str
    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    check_box: bool = True  # False for rotated shapes: their box is not axis-aligned
    box_name: str = "box"


def render_deck(pptx_path: str | Path, out_dir: str | Path | None = None,
                timeout: float = 240) -> Path:
    """The deck as LibreOffice renders it (PDF), in one headless run with a fresh profile.

    A private profile means no clash with another LibreOffice on the machine; the process
    group is killed on timeout, as soffice leaves a soffice.bin child behind.
    """
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise RuntimeError("LibreOffice (soffice) is not installed")
    out = Path(out_dir or tempfile.mkdtemp(prefix="deck-render-"))
    profile = Path(tempfile.gettempdir()) / f"lo-profile-{uuid.uuid4().hex}"
    proc = subprocess.Popen([soffice, f"-env:UserInstallation={profile.as_uri()}",
                             "--headless", "--convert-to", "pdf", "--outdir", str(out),
                             str(pptx_path)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.communicate()
        raise RuntimeError(f"LibreOffice took more than {timeout:g} s on {pptx_path}") from None
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    pdf = out / (Path(pptx_path).stem + ".pdf")
    if proc.returncode != 0 or not pdf.is_file():
        raise RuntimeError(f"LibreOffice failed on {pptx_path}: {err.decode(errors='replace')}")
    return pdf


def deck_client_problems(pptx_path: str | Path, rendered_pdf: str | Path | None = None,
                         tolerance: float = 2.0, timeout: float = 240) -> list[str]:
    """Every text of every slide, found whole on LibreOffice's rendering, inside its box.

    For each shape with text (text frames, table cells; inside groups too): all its
    words in order, allowing any line wrapping, must be on the rendered page, and every
    character of them within ``tolerance`` points of the shape's box (a table cell: its
    column, and its table's frame vertically, since rows grow to fit). Positions are read
    from the rendered PDF by pdfplumber; reader's own text metrics are never used.
    ``rendered_pdf`` reuses a rendering (one LibreOffice run for several checks).
    """
    import pdfplumber
    from pptx import Presentation

    prs = Presentation(str(pptx_path))
    slides = [s for s in prs.slides if s._element.get("show") not in ("0", "false")]
    pdf_path = Path(rendered_pdf) if rendered_pdf else render_deck(pptx_path, timeout=timeout)
    problems: list[str] = []
    with pdfplumber.open(str(pdf_path)) as pdf:
        if len(pdf.pages) != len(slides):
            problems.append(f"the deck has {len(slides)} shown slides, LibreOffice rendered "
                            f"{len(pdf.pages)} pages")
        for number, (slide, page) in enumerate(zip(slides, pdf.pages), 1):
            scale = float(page.width) / (prs.slide_width / EMU_PER_PT)
            label = f"slide {number} {slide_title(slide)!r}"
            problems += [f"{label}: {line}"
                         for line in slide_problems(list(slide_texts(slide)), page.chars,
                                                    scale, tolerance)]
            page.close()
    return problems


def slide_title(slide: Slide) -> str:
    """The title placeholder's text, shortened: how a person finds the slide."""
    title = slide.shapes.title
    text = " ".join(title.text_frame.text.split()) if title is not None else ""
    return text if len(text) <= 30 else text[:29] + "…"


def slide_texts(slide: Slide) -> Iterator[ShapeText]:
    """The texts of a slide's shapes, with their boxes in slide points."""
    yield from shape_texts(slide.shapes, identity)


def identity(x: float, y: float) -> tuple[float, float]:
    return x, y


def shape_texts(shapes: Iterable[BaseShape], to_slide: Callable) -> Iterator[ShapeText]:
    """Texts of ``shapes``, whose coordinates ``to_slide`` maps to slide EMU."""
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    for shape in shapes:
        if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
            yield from shape_texts(shape.shapes, group_transform(shape, to_slide))
            continue
        if shape.left is None or shape.width is None:
            continue
        x0, top = to_slide(shape.left, shape.top)
        x1, bottom = to_slide(shape.left + shape.width, shape.top + shape.height)
        upright = not shape.rotation
        if shape.has_text_frame and shape.text_frame.text.strip():
            yield ShapeText(shape.name, shape.text_frame.text, *points(x0, top, x1, bottom),
                            upright)
        if getattr(shape, "has_table", False) and shape.has_table:
            yield from cell_texts(shape, (x0, top, x1, bottom), to_slide, upright)


def points(*emu: float) -> tuple[float, ...]:
    return tuple(v / EMU_PER_PT for v in emu)


def group_transform(group: GroupShape, outer: Callable) -> Callable:
    """Child coordinates of a group (its chOff/chExt space) to slide EMU."""
    from pptx.oxml.ns import qn

    xfrm = group._element.grpSpPr.find(qn("a:xfrm"))
    off, ext = xfrm.find(qn("a:off")), xfrm.find(qn("a:ext"))
    ch_off, ch_ext = xfrm.find(qn("a:chOff")), xfrm.find(qn("a:chExt"))
    ox, oy, cx, cy = (int(off.get("x")), int(off.get("y")), int(ext.get("cx")),
                      int(ext.get("cy")))
    kx, ky = int(ch_off.get("x")), int(ch_off.get("y"))
    sx = cx / int(ch_ext.get("cx")) if int(ch_ext.get("cx")) else 1.0
    sy = cy / int(ch_ext.get("cy")) if int(ch_ext.get("cy")) else 1.0
    return lambda x, y: outer(ox + (x - kx) * sx, oy + (y - ky) * sy)


def cell_texts(frame: GraphicFrame, box: tuple, to_slide: Callable,
               upright: bool) -> Iterator[ShapeText]:
    """A table's cells: each in its column(s), and in the frame's height (rows grow)."""
    table = frame.table
    lefts = [frame.left]
    for column in table.columns:
        lefts.append(lefts[-1] + column.width)
    _, top, _, bottom = box
    for r, row in enumerate(table.rows):
        for c, cell in enumerate(row.cells):
            if cell.is_spanned or not cell.text.strip():
                continue
            x0, _ = to_slide(lefts[c], frame.top)
            x1, _ = to_slide(lefts[min(c + cell.span_width, len(lefts) - 1)], frame.top)
            yield ShapeText(f"{frame.name} cell ({r + 1}, {c + 1})", cell.text,
                            *points(x0, top, x1, bottom), upright, "table frame")


def text_key(text: str) -> str:
    """Letters and digits only, case-folded: what must survive any client's rendering
    (bullets, quotes, hyphens and spacing are the client's business)."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold()
                   if ch.isalnum())


def page_key(chars: list[dict]) -> tuple[str, list[dict]]:
    """The page's key string in drawing order, with the char each key letter came from."""
    key, owners = [], []
    for ch in chars:
        for letter in text_key(ch["text"]):
            key.append(letter)
            owners.append(ch)
    return "".join(key), owners


def slide_problems(texts: list[ShapeText], chars: list[dict], scale: float,
                   tolerance: float) -> list[str]:
    """Find each shape's text on the page (longest first, each letter used once)."""
    key, owners = page_key(chars)
    claimed: set[int] = set()
    found: dict[int, list[str]] = {}
    order = sorted(range(len(texts)), key=lambda i: -len(text_key(texts[i].text)))
    for i in order:
        shape = texts[i]
        words = [w for w in (text_key(w) for w in shape.text.split()) if w]
        if not words:
            continue
        box = tuple(v * scale for v in (shape.x0, shape.top, shape.x1, shape.bottom))
        match = best_match(words, key, claimed, owners, box)
        if match is None:
            found[i] = [f"shape {shape.name!r}: {missing_words(words, key, claimed)}"]
            continue
        claimed.update(match)
        if shape.check_box:
            found[i] = [f"shape {shape.name!r}: {line}" for line in
                        overflow([owners[j] for j in match], box, tolerance, shape.box_name)]
    return [line for i in sorted(found) for line in found[i]]


MAX_GAP = 4  # letters a client may put between two words: an automatic number, say


def word_chain(words: list[str], key: str, start: int, claimed: set[int]) -> list[int]:
    """Letters of ``key`` spelling ``words`` in order from ``start``, each next word at
    most MAX_GAP letters after the last; as far as it goes."""
    at = list(range(start, start + len(words[0])))
    pos = at[-1] + 1
    for word in words[1:]:
        nxt = key.find(word, pos, pos + MAX_GAP + len(word))
        span = range(nxt, nxt + len(word))
        if nxt < 0 or claimed.intersection(span):
            break
        at += span
        pos = nxt + len(word)
    return at


def starts(word: str, key: str, claimed: set[int]) -> Iterator[int]:
    """Unclaimed places where ``word`` begins in ``key``."""
    pos = key.find(word)
    while pos >= 0:
        if not claimed.intersection(range(pos, pos + len(word))):
            yield pos
        pos = key.find(word, pos + 1)


def best_match(words: list[str], key: str, claimed: set[int], owners: list[dict],
               box: tuple) -> list[int] | None:
    """The complete match with most letters inside the box, or None."""
    need = sum(len(w) for w in words)
    best, score = None, -1
    for start in starts(words[0], key, claimed):
        chain = word_chain(words, key, start, claimed)
        if len(chain) != need:
            continue
        inside = sum(1 for j in chain if center_inside(owners[j], box))
        if inside > score:
            best, score = chain, inside
    return best


def center_inside(ch: dict, box: tuple) -> bool:
    x, y = (ch["x0"] + ch["x1"]) / 2, (ch["top"] + ch["bottom"]) / 2
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def missing_words(words: list[str], key: str, claimed: set[int]) -> str:
    """Why a text was not found: the words absent from the page, or where the order
    breaks in the longest run found."""
    absent = [w for w in words if w not in key]
    if absent:
        shown = " ".join(absent[:8]) + (" …" if len(absent) > 8 else "")
        return f"words {shown!r} missing ({len(absent)} of {len(words)})"
    longest: list[int] = []
    for start in starts(words[0], key, claimed):
        chain = word_chain(words, key, start, claimed)
        longest = max(longest, chain, key=len)
    done, letters = 0, 0
    while done < len(words) and letters + len(words[done]) <= len(longest):
        letters += len(words[done])
        done += 1
    after = repr(words[done - 1]) if done else "the start"
    nxt = words[done] if done < len(words) else ""
    return f"text not found whole and in order: breaks after {after} (next {nxt!r})"


def overflow(chars: list[dict], box: tuple, tolerance: float, box_name: str) -> list[str]:
    """'text overflows the bottom of its box by 14 pt', for each edge passed."""
    x0, top, x1, bottom = box
    inked = [c for c in chars if c["text"].strip()]
    if not inked:
        return []
    excess = {"left": x0 - min(c["x0"] for c in inked),
              "right": max(c["x1"] for c in inked) - x1,
              "top": top - min(c["top"] for c in inked),
              "bottom": max(c["bottom"] for c in inked) - bottom}
    return [f"text overflows the {edge} of its {box_name} by {amount:.0f} pt"
            for edge, amount in excess.items() if amount > tolerance]
