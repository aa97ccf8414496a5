"""Assembling the reader from independently rendered chunks (pikepdf).

Chunks (part pages, items, Sources) are laid out by WeasyPrint as right-hand
pages without running heads or folios, so their layout never depends on where
they land; that is what lets them be cached and rendered in parallel. Here
they are joined behind the front matter, and everything that does depend on
position is added: the left-page shift of the mirrored margins, the running
heads and folios ("furniture"), duplex blank pages, contents links, the
outline, page labels (i, ii, 1, 2...) and metadata. Each face is embedded once,
cut from its original file over the glyphs of every chunk (fonts.py), so the
file stays close to a single-document render's size.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
from fontTools.ttLib import TTFont

from .fonts import FontCache, cached_subset, merge_font_dictionaries, share_programs, to_unicode

PX = 0.75  # CSS px to PDF points


@dataclass
class ChunkPdf:
    """What a rendered chunk brings: its PDF and where its anchors stand."""

    key: str                    # anchor of the part/item ('sources' for the Sources)
    pdf: bytes
    pages: int
    anchors: dict[str, tuple[int, float, float]]  # name -> (page, x px, y px)
    head: str                   # right-page running head for its later pages
    fonts: list[dict] = field(default_factory=list)  # its fonts' proven originals (fonts.py)


@dataclass
class Geometry:
    """Page size and the margins of right and left pages, in points (from a probe)."""

    width: float
    height: float
    right: tuple[float, float, float, float]  # top, right, bottom, left
    left: tuple[float, float, float, float]
    wide: tuple[float, float, float, float] | None = None  # a landscape page's (pdf/tables.py)

    @property
    def left_shift(self) -> float:
        return self.left[3] - self.right[3]

    def of_page(self, page: pikepdf.Page) -> "Geometry":
        """This geometry, or the landscape one for a landscape page (a wide table's): its
        margins are the same on both sides, so it is never shifted."""
        box = page.mediabox
        if self.wide is None or float(box[2]) - float(box[0]) <= float(box[3]) - float(box[1]):
            return self
        return Geometry(self.height, self.width, self.wide, self.wide)


@dataclass
class Furniture:
    font_path: Path
    head_size: float = 9.0
    folio_size: float = 10.0
    head_tracking: float = 0.02  # em, as reader.css's letter-spacing
    head_colour: tuple[float, float, float] = (0.37, 0.35, 0.33)
    folio_colour: tuple[float, float, float] = (0.12, 0.12, 0.12)


@dataclass
class Outline:
    title: str
    page: int                  # index in the final PDF
    children: list["Outline"] = field(default_factory=list)


def assemble(front_pdf: bytes, front_links: list[tuple[int, str, tuple]], chunks: list[ChunkPdf],
             *, geometry: Geometry, furniture: Furniture, course_title: str,
             duplex_breaks: set[str], outline: list[Outline] | None = None,
             metadata: dict[str, str], lang: str,
             font_cache: FontCache | None = None, front_fonts: list[dict] | None = None,
             font_folders: list[Path] | None = None, bleed: float = 0.0,
             crop_marks: bool = False) -> tuple[bytes, dict[str, int]]:
    """Join front matter and chunks; return the PDF and each chunk's first folio.

    ``front_fonts`` and each chunk's ``fonts``: the proven originals of their font
    programs; ``font_folders``: where those originals may be read (the course, the
    theme). ``font_cache`` (get/put by key) keeps the cut fonts between builds.
    ``bleed`` (points) and ``crop_marks``: for a print shop (press.py).
    """
    out = pikepdf.Pdf.new()
    front = pikepdf.Pdf.open(io.BytesIO(front_pdf))
    out.pages.extend(front.pages)
    front_count = len(front.pages)
    starts: dict[str, int] = {}
    anchor_pages: dict[str, tuple[int, float, float]] = {}
    furniture_plan: list[tuple[int, int, str | None]] = []  # (pdf index, folio, head)
    folio = 1
    sources = []
    for chunk in chunks:
        if chunk.key in duplex_breaks and folio % 2 == 0:
            out.add_blank_page(page_size=(geometry.width, geometry.height))
            folio += 1
        doc = pikepdf.Pdf.open(io.BytesIO(chunk.pdf))
        sources.append(doc)
        first_index = len(out.pages)
        starts[chunk.key] = folio
        out.pages.extend(doc.pages)
        for name, (page, x, y) in chunk.anchors.items():
            shift = geometry.of_page(out.pages[first_index + page]).left_shift / PX \
                if (folio + page) % 2 == 0 else 0
            anchor_pages[name] = (first_index + page, x + shift, y)
        for n in range(chunk.pages):
            index = first_index + n
            this_folio = folio + n
            if this_folio % 2 == 0:
                _shift(out.pages[index], geometry.of_page(out.pages[index]).left_shift)
            head = None
            if n > 0:
                head = course_title if this_folio % 2 == 0 else chunk.head
            furniture_plan.append((index, this_folio, head))
        folio += chunk.pages
    stamp_font = _StampFont(furniture.font_path, {head for _, _, head in furniture_plan if head})
    records = [*(front_fonts or []), *(r for chunk in chunks for r in chunk.fonts)]
    stamp_original = stamp_font.original_sha256()
    shared = share_programs(out, records, font_folders or [], font_cache,
                            extra={stamp_original: stamp_font.glyph_ids()})
    merge_font_dictionaries(out, shared)
    program = shared.get(stamp_original, (None,))[0]
    _stamp(out, furniture_plan, geometry, furniture, stamp_font, font_cache, program)
    _link_contents(out, front_links, anchor_pages, geometry)
    _outline(out, outline or [])
    _page_labels(out, front_count)
    _metadata(out, metadata, lang)
    if bleed or crop_marks:
        from .press import add_print_marks

        add_print_marks(out, bleed, crop_marks)
    buffer = io.BytesIO()
    out.save(buffer, deterministic_id=True, compress_streams=True,
             object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return buffer.getvalue(), starts


def _shift(page: pikepdf.Page, dx: float) -> None:
    """Move a page's content (and its link areas) sideways: the mirrored margin."""
    if not dx:
        return
    page.contents_coalesce()
    data = page.obj.Contents.read_bytes()
    page.obj.Contents.write(f"q 1 0 0 1 {dx:.4f} 0 cm\n".encode() + data + b"\nQ\n")
    for annot in page.obj.get("/Annots", []):
        rect = annot.get("/Rect")
        if rect is not None:
            annot.Rect = pikepdf.Array([float(rect[0]) + dx, float(rect[1]),
                                        float(rect[2]) + dx, float(rect[3])])


# --- furniture: running heads and folios ---------------------------------------------------

class _StampFont:
    """The heading face, subset to what the furniture needs, as a Type0 PDF font."""

    def __init__(self, path: Path, texts: set[str]):
        self.path = path
        self.font = TTFont(str(path), recalcTimestamp=False, lazy=True)
        self.cmap = self.font.getBestCmap()
        self.upem = self.font["head"].unitsPerEm
        self.hmtx = self.font["hmtx"]
        chars = set("".join(texts)) | set("0123456789")
        self.gids = {c: self.font.getGlyphID(self.cmap[ord(c)]) for c in chars
                     if ord(c) in self.cmap}
        metrics = self.font["hhea"]
        self.ascent = metrics.ascent / self.upem
        self.descent = -metrics.descent / self.upem

    def width(self, text: str, size: float, tracking: float = 0.0) -> float:
        total = 0
        count = 0
        for c in text:
            if c in self.gids:
                total += self.hmtx.metrics[self.font.getGlyphName(self.gids[c])][0]
                count += 1
        return total * size / self.upem + tracking * size * count

    def encode(self, text: str) -> bytes:
        return "".join(f"{self.gids[c]:04x}" for c in text if c in self.gids).encode()

    def glyph_ids(self) -> set[int]:
        return set(self.gids.values())

    def original_sha256(self) -> str:
        """What the chunks' proven originals are named by: the face can share their cut."""
        return hashlib.sha256(self.path.read_bytes()).hexdigest()

    def subset(self, cache: FontCache | None = None) -> bytes:
        """The face cut down to the furniture's glyphs (ids kept); cached by file and glyphs."""
        return cached_subset(self.path.read_bytes(), self.glyph_ids(), True, cache)

    def pdf_font(self, pdf: pikepdf.Pdf, cache: FontCache | None = None,
                 program: pikepdf.Stream | None = None) -> pikepdf.Dictionary:
        """The Type0 font; ``program``: the face's embedded file when the chunks' text
        already brought one (cut with the furniture's glyphs), else its own cut."""
        if program is None:
            data = self.subset(cache)
            program = pikepdf.Stream(pdf, data)
            program.Length1 = len(data)
        file_stream = program
        scale = 1000 / self.upem
        widths = pikepdf.Array()
        for gid in sorted(set(self.gids.values())):
            advance = self.hmtx.metrics[self.font.getGlyphName(gid)][0]
            widths.extend([gid, pikepdf.Array([round(advance * scale)])])
        name = pikepdf.Name("/READER+" + self.font["name"].getDebugName(6).replace(" ", ""))
        descriptor = pikepdf.Dictionary(
            Type=pikepdf.Name.FontDescriptor, FontName=name, Flags=32,
            FontBBox=pikepdf.Array([round(v * scale) for v in (
                self.font["head"].xMin, self.font["head"].yMin, self.font["head"].xMax,
                self.font["head"].yMax)]),
            ItalicAngle=0, Ascent=round(self.ascent * 1000), Descent=round(-self.descent * 1000),
            CapHeight=round(self.ascent * 1000 * 0.9), StemV=80, FontFile2=file_stream)
        cid_font = pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.CIDFontType2, BaseFont=name,
            CIDSystemInfo=pikepdf.Dictionary(Registry="Adobe", Ordering="Identity", Supplement=0),
            FontDescriptor=descriptor, W=widths, CIDToGIDMap=pikepdf.Name.Identity)
        cmap = to_unicode((gid, c.encode("utf-16-be").hex()) for c, gid in
                           sorted(self.gids.items(), key=lambda kv: kv[1]))
        return pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type0, BaseFont=name,
            Encoding=pikepdf.Name("/Identity-H"), DescendantFonts=pikepdf.Array([cid_font]),
            ToUnicode=pikepdf.Stream(pdf, cmap))


def _stamp(pdf: pikepdf.Pdf, plan: list[tuple[int, int, str | None]], base_geometry: Geometry,
           furniture: Furniture, font: "_StampFont", cache: FontCache | None = None,
           program: pikepdf.Stream | None = None) -> None:
    font_ref = pdf.make_indirect(font.pdf_font(pdf, cache, program))
    for index, folio, head in plan:
        page = pdf.pages[index]
        geometry = base_geometry.of_page(page)
        left = folio % 2 == 0
        top, right, bottom, left_margin = geometry.left if left else geometry.right
        ops = []
        # Heads sit on the bottom of the top margin box (3 mm above the text block),
        # folios 4 mm below the text block: the positions of reader.css's margin boxes.
        if head:
            size = furniture.head_size
            line = size * 1.2
            baseline = geometry.height - (top - 3 / 25.4 * 72 - line + (line - size) / 2 +
                                          font.ascent * size)
            text = _fit(font, head, size, geometry.width - left_margin - right)
            tracking = furniture.head_tracking
            x = left_margin if left else \
                geometry.width - right - font.width(text, size, tracking)
            ops.append(_text_op(font, text, size, x, baseline, furniture.head_colour,
                                tracking * size))
        size = furniture.folio_size
        number = str(folio)
        line = size * 1.22
        baseline = geometry.height - (geometry.height - bottom + 4 / 25.4 * 72 +
                                      (line - size) / 2 + font.ascent * size)
        x = left_margin if left else geometry.width - right - font.width(number, size)
        ops.append(_text_op(font, number, size, x, baseline, furniture.folio_colour))
        if "/Resources" not in page.obj:
            page.obj.Resources = pikepdf.Dictionary()
        resources = page.obj.Resources
        if "/Font" not in resources:
            resources.Font = pikepdf.Dictionary()
        resources.Font.ReaderFurniture = font_ref
        # WeasyPrint leaves its flipped coordinate system in force: isolate it first.
        page.contents_add(pikepdf.Stream(pdf, b"q\n"), prepend=True)
        page.contents_add(pikepdf.Stream(pdf, ("Q\nq\n" + "\n".join(ops) + "\nQ\n").encode()))


def _fit(font: _StampFont, text: str, size: float, width: float) -> str:
    if font.width(text, size) <= width:
        return text
    while text and font.width(text + "…", size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _text_op(font: _StampFont, text: str, size: float, x: float, y: float,
             colour: tuple[float, float, float], spacing: float = 0.0) -> str:
    r, g, b = colour
    return (f"BT {r:.3f} {g:.3f} {b:.3f} rg /ReaderFurniture {size:g} Tf {spacing:.3f} Tc "
            f"{x:.3f} {y:.3f} Td <{font.encode(text).decode()}> Tj ET")


# --- navigation and metadata ---------------------------------------------------------------------

def _link_contents(pdf: pikepdf.Pdf, links: list[tuple[int, str, tuple]],
                   anchors: dict[str, tuple[int, float, float]], geometry: Geometry) -> None:
    """The contents' entries become links to where each part and item starts."""
    for page_index, target, (x0, y0, x1, y1) in links:
        if target not in anchors:
            continue
        dest_index, ax, ay = anchors[target]
        dest_page = pdf.pages[dest_index]
        dest_height = geometry.of_page(dest_page).height
        annot = pikepdf.Dictionary(
            Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Border=pikepdf.Array([0, 0, 0]),
            Rect=pikepdf.Array([x0 * PX, geometry.height - y1 * PX, x1 * PX,
                                geometry.height - y0 * PX]),
            Dest=pikepdf.Array([dest_page.obj, pikepdf.Name.XYZ, ax * PX,
                                dest_height - ay * PX, 0]))
        page = pdf.pages[page_index]
        if "/Annots" not in page.obj:
            page.obj.Annots = pikepdf.Array()
        page.obj.Annots.append(pdf.make_indirect(annot))


def _outline(pdf: pikepdf.Pdf, entries: list[Outline]) -> None:
    with pdf.open_outline() as outline:
        outline.root.clear()
        for entry in entries:
            item = pikepdf.OutlineItem(entry.title, entry.page)
            for child in entry.children:
                item.children.append(pikepdf.OutlineItem(child.title, child.page))
            outline.root.append(item)


def _page_labels(pdf: pikepdf.Pdf, front_count: int) -> None:
    """Viewers show i, ii for the front matter and 1, 2, ... for the body, as printed."""
    pdf.Root.PageLabels = pikepdf.Dictionary(Nums=pikepdf.Array([
        0, pikepdf.Dictionary(S=pikepdf.Name.r),
        front_count, pikepdf.Dictionary(S=pikepdf.Name.D, St=1)]))


def _metadata(pdf: pikepdf.Pdf, metadata: dict[str, str], lang: str) -> None:
    for key, value in metadata.items():
        if value:
            pdf.docinfo[pikepdf.Name("/" + key)] = value
    pdf.Root.Lang = lang


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
