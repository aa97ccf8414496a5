"""Assembling the reader from independently rendered chunks (pikepdf).

Chunks (part pages, items, Sources) are laid out by WeasyPrint as right-hand
pages without running heads or folios, so their layout never depends on where
they land; that is what lets them be cached and rendered in parallel. Here
they are joined behind the front matter, and everything that does depend on
position is added: the left-page shift of the mirrored margins, the running
heads and folios ("furniture"), duplex blank pages, contents links, the
outline, page labels (i, ii, 1, 2...) and metadata. Font subsets of the same
face from different chunks are merged into one, so the file is no larger than
a single-document render.
"""

from __future__ import annotations

import hashlib
import io
import logging
import struct
from itertools import compress
from operator import ne
from typing import Iterator, Protocol
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
from fontTools.ttLib import TTFont

PX = 0.75  # CSS px to PDF points


@dataclass
class ChunkPdf:
    """What a rendered chunk brings: its PDF and where its anchors stand."""

    key: str                    # anchor of the part/item ('sources' for the Sources)
    pdf: bytes
    pages: int
    anchors: dict[str, tuple[int, float, float]]  # name -> (page, x px, y px)
    head: str                   # right-page running head for its later pages


@dataclass
class Geometry:
    """Page size and the margins of right and left pages, in points (from a probe)."""

    width: float
    height: float
    right: tuple[float, float, float, float]  # top, right, bottom, left
    left: tuple[float, float, float, float]

    @property
    def left_shift(self) -> float:
        return self.left[3] - self.right[3]


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
             font_cache: "FontCache | None" = None) -> tuple[bytes, dict[str, int]]:
    """Join front matter and chunks; return the PDF and each chunk's first folio.

    ``font_cache`` (get/put by key) keeps merged font files between builds.
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
            shift = geometry.left_shift / PX if (folio + page) % 2 == 0 else 0
            anchor_pages[name] = (first_index + page, x + shift, y)
        for n in range(chunk.pages):
            index = first_index + n
            this_folio = folio + n
            if this_folio % 2 == 0:
                _shift(out.pages[index], geometry.left_shift)
            head = None
            if n > 0:
                head = course_title if this_folio % 2 == 0 else chunk.head
            furniture_plan.append((index, this_folio, head))
        folio += chunk.pages
    _merge_font_subsets(out, font_cache)
    _merge_font_dictionaries(out)
    _stamp(out, furniture_plan, geometry, furniture, font_cache)
    _link_contents(out, front_links, anchor_pages, geometry)
    _outline(out, outline or [])
    _page_labels(out, front_count)
    _metadata(out, metadata, lang)
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


# --- fonts ------------------------------------------------------------------------------

def _font_descriptors(pdf: pikepdf.Pdf):
    for page in pdf.pages:
        fonts = page.obj.get("/Resources", {}).get("/Font", {})
        for _, font in fonts.items():
            for descendant in font.get("/DescendantFonts", []):
                descriptor = descendant.get("/FontDescriptor")
                if descriptor is not None and "/FontFile2" in descriptor:
                    yield str(font.get("/BaseFont", "")), descriptor


class FontCache(Protocol):
    def get(self, key: str) -> tuple[bytes, dict] | None: ...
    def put(self, key: str, data: bytes, meta: dict) -> None: ...


def _merge_font_subsets(pdf: pikepdf.Pdf, cache: FontCache | None = None) -> None:
    """One font file per face: glyph-by-glyph union of each chunk's subset.

    WeasyPrint subsets with retained glyph ids, so a glyph has the same id in
    every subset of a face and the union is a valid subset for all of them.
    The union is a function of the subsets, so it is cached by their hashes:
    an edit that brings no new glyph reuses it.
    """
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    groups: dict[str, list] = {}
    for base_font, descriptor in _font_descriptors(pdf):
        face = base_font.split("+", 1)[-1]
        groups.setdefault(face, []).append(descriptor)
    for face, descriptors in groups.items():
        streams = {}
        for d in descriptors:
            streams.setdefault(d.FontFile2.objgen, d.FontFile2)
        if len(streams) < 2:
            continue
        fonts = [s.read_bytes() for s in streams.values()]
        key = hashlib.sha256("|".join([face] + [hashlib.sha256(f).hexdigest() for f in fonts])
                             .encode()).hexdigest()
        hit = cache.get(key) if cache is not None else None
        if hit is not None:
            merged = hit[0]
        else:
            try:
                merged = _union_fonts(fonts)
            except Exception:  # an unusual font: keep the subsets as they are
                continue
            if cache is not None:
                cache.put(key, merged, {"pages": 1})
        stream = pikepdf.Stream(pdf, merged)
        stream.Length1 = len(merged)
        for d in descriptors:
            d.FontFile2 = stream


def _merge_font_dictionaries(pdf: pikepdf.Pdf) -> None:
    """One font dictionary per face: widths and Unicode maps of all chunks, united.

    Each chunk brings its own Type0 font dictionary, width array and ToUnicode
    map per face; for a reader of hundreds of items these add up. They agree on
    every glyph they share (same face, same ids), so they can be merged.
    """
    import re

    uses: dict[str, list[tuple[pikepdf.Dictionary, str, pikepdf.Object]]] = {}
    for page in pdf.pages:
        fonts = page.obj.get("/Resources", {}).get("/Font")
        if fonts is None:
            continue
        for name, font in fonts.items():
            if font.get("/Subtype") != "/Type0" or font.get("/Encoding") != "/Identity-H" \
                    or "/ToUnicode" not in font:
                continue
            face = str(font.get("/BaseFont", "")).split("+", 1)[-1]
            uses.setdefault(face, []).append((fonts, name, font))
    pair = re.compile(rb"<([0-9a-fA-F]{4})>\s*<([0-9a-fA-F]+)>")
    for face, entries in uses.items():
        distinct = {}
        for _, _, font in entries:
            distinct.setdefault(font.objgen, font)
        if len(distinct) < 2:
            continue
        widths: dict[int, float] = {}
        unicode: dict[int, bytes] = {}
        for font in distinct.values():
            w = font.DescendantFonts[0].get("/W", [])
            index = 0
            while index + 1 < len(w):
                first, run = int(w[index]), w[index + 1]
                if isinstance(run, pikepdf.Array):
                    for offset, width in enumerate(run):
                        widths.setdefault(first + offset, float(width))
                    index += 2
                else:  # the "first last width" form
                    for gid in range(first, int(run) + 1):
                        widths.setdefault(gid, float(w[index + 2]))
                    index += 3
            for gid, text in pair.findall(font.ToUnicode.read_bytes()):
                unicode.setdefault(int(gid, 16), text)
        canonical = next(iter(distinct.values()))
        runs = pikepdf.Array()
        previous = None
        for gid in sorted(widths):
            if previous is None or gid != previous + 1:
                runs.append(gid)
                runs.append(pikepdf.Array())
            runs[-1].append(round(widths[gid], 3))
            previous = gid
        canonical.DescendantFonts[0].W = runs
        canonical.ToUnicode = pikepdf.Stream(pdf, _to_unicode(
            (gid, text.decode()) for gid, text in sorted(unicode.items())))
        descriptor = canonical.DescendantFonts[0].FontDescriptor
        boxes = [f.DescendantFonts[0].FontDescriptor.FontBBox for f in distinct.values()]
        descriptor.FontBBox = pikepdf.Array([min(float(b[0]) for b in boxes),
                                             min(float(b[1]) for b in boxes),
                                             max(float(b[2]) for b in boxes),
                                             max(float(b[3]) for b in boxes)])
        for fonts, name, _ in entries:
            fonts[name] = canonical


def _to_unicode(pairs) -> bytes:  # noqa: ANN001
    """A ToUnicode CMap from (glyph id, UTF-16BE hex) pairs: what makes text extractable."""
    lines = [f"<{gid:04x}> <{hex_text}>" for gid, hex_text in pairs]
    cmap = ("/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            "/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
            "1 begincodespacerange <0000> <ffff> endcodespacerange\n")
    for start in range(0, len(lines), 100):
        batch = lines[start:start + 100]
        cmap += f"{len(batch)} beginbfchar\n" + "\n".join(batch) + "\nendbfchar\n"
    cmap += "endcmap CMapName currentdict /CMap defineresource pop end end\n"
    return cmap.encode()


def _union_fonts(fonts: list[bytes]) -> bytes:
    """Union of TrueType subsets by glyph id, working on the raw tables.

    WeasyPrint subsets keep glyph ids, and composite glyphs refer to their
    parts by id, so a glyph's bytes are valid in any subset of the same face:
    the union takes, for each id, the first subset that has that glyph. No
    glyph is decompiled, which keeps this cheap for hundreds of chunks.
    """
    from fontTools.ttLib.tables.DefaultTable import DefaultTable

    parsed = [TTFont(io.BytesIO(data), lazy=True) for data in fonts]
    if any("glyf" not in f.reader.keys() or "loca" not in f.reader.keys() for f in parsed):
        raise ValueError("not a TrueType-outline font")
    tables = [_GlyphTable(f) for f in parsed]
    count = max(t.count for t in tables)
    provider: list[_GlyphTable | None] = [None] * count   # the first subset with the glyph
    for table in tables:
        for gid in table.nonempty():
            if provider[gid] is None:
                provider[gid] = table
    glyf = bytearray()
    loca = [0]
    metrics = []
    for gid in range(count):
        table = provider[gid]
        if table is not None:
            data = table.glyph(gid)
        else:
            data = b""
            table = next(t for t in tables if gid < t.count)
        glyf += data + b"\0" * (-len(data) % 4)
        loca.append(len(glyf))
        metrics.append(table.metric(gid))
    base = parsed[0]
    out = TTFont(sfntVersion=base.sfntVersion, recalcBBoxes=False, recalcTimestamp=False)
    for tag in base.reader.keys():
        if tag in ("GSUB", "GPOS", "GDEF", "DSIG", "hdmx", "LTSH", "VDMX", "kern"):
            continue
        table = DefaultTable(tag)
        table.data = bytearray(base.reader[tag])
        out.tables[tag] = table
    out.tables["glyf"].data = bytes(glyf)
    out.tables["loca"].data = struct.pack(f">{len(loca)}I", *loca)
    head = out.tables["head"].data
    head[50:52] = struct.pack(">h", 1)                  # long loca offsets
    out.tables["maxp"].data[4:6] = struct.pack(">H", count)
    out.tables["hhea"].data[34:36] = struct.pack(">H", count)
    out.tables["hmtx"].data = b"".join(struct.pack(">Hh", a, l) for a, l in metrics)
    if "post" in out.tables:                            # names no longer match: none
        out.tables["post"].data = struct.pack(">I", 0x00030000) + \
            bytes(out.tables["post"].data[4:32])
    for tag in list(out.tables):
        out.tables[tag].data = bytes(out.tables[tag].data)
    buffer = io.BytesIO()
    out.save(buffer, reorderTables=False)
    return buffer.getvalue()


class _GlyphTable:
    """One subset's glyphs by id, read straight from its glyf, loca and hmtx tables."""

    def __init__(self, font: TTFont):
        self.count = struct.unpack(">H", font.reader["maxp"][4:6])[0]
        long_offsets = struct.unpack(">h", font.reader["head"][50:52])[0] == 1
        raw_loca = font.reader["loca"]
        if long_offsets:
            self.offsets = struct.unpack(f">{self.count + 1}I", raw_loca[: 4 * (self.count + 1)])
            self.scale = 1
        else:  # short offsets are stored halved; comparing them needs no doubling
            self.offsets = struct.unpack(f">{self.count + 1}H", raw_loca[: 2 * (self.count + 1)])
            self.scale = 2
        self.glyf = font.reader["glyf"]
        self.long_metrics = min(self.count, struct.unpack(">H", font.reader["hhea"][34:36])[0])
        bearings_only = self.count - self.long_metrics
        self.hmtx = struct.unpack(">" + "Hh" * self.long_metrics + "h" * bearings_only,
                                  font.reader["hmtx"][: 4 * self.long_metrics + 2 * bearings_only])

    def nonempty(self) -> Iterator[int]:
        offsets = self.offsets
        return compress(range(self.count), map(ne, offsets[1:], offsets[:-1]))

    def glyph(self, gid: int) -> bytes:
        return bytes(self.glyf[self.scale * self.offsets[gid]: self.scale * self.offsets[gid + 1]])

    def metric(self, gid: int) -> tuple[int, int]:
        """(advance width, left side bearing); past the long metrics the last advance repeats."""
        if gid < self.long_metrics:
            return self.hmtx[2 * gid], self.hmtx[2 * gid + 1]
        advance = self.hmtx[2 * self.long_metrics - 2] if self.long_metrics else 0
        return advance, self.hmtx[self.long_metrics + gid]


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

    def subset(self, cache: "FontCache | None" = None) -> bytes:
        """The face cut down to the furniture's glyphs (ids kept); cached by file and glyphs."""
        gids = sorted(set(self.gids.values()))
        source = self.path.read_bytes()
        key = hashlib.sha256(source + f"|furniture|{gids}".encode()).hexdigest()
        hit = cache.get(key) if cache is not None else None
        if hit is not None:
            return hit[0]
        from fontTools import subset

        options = subset.Options(retain_gids=True, hinting=False, notdef_outline=True,
                                 name_IDs=["*"], drop_tables=["GSUB", "GPOS", "kern"])
        subsetter = subset.Subsetter(options)
        subsetter.populate(gids=gids)
        font = TTFont(io.BytesIO(source), recalcTimestamp=False, lazy=True)
        for tag in ("GSUB", "GPOS", "GDEF", "kern"):  # unread, or the subsetter decodes them
            if tag in font:
                del font[tag]
        subsetter.subset(font)
        data = io.BytesIO()
        font.save(data)
        if cache is not None:
            cache.put(key, data.getvalue(), {"pages": 1})
        return data.getvalue()

    def pdf_font(self, pdf: pikepdf.Pdf, cache: "FontCache | None" = None) -> pikepdf.Dictionary:
        data = self.subset(cache)
        file_stream = pikepdf.Stream(pdf, data)
        file_stream.Length1 = len(data)
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
        cmap = _to_unicode((gid, c.encode("utf-16-be").hex()) for c, gid in
                           sorted(self.gids.items(), key=lambda kv: kv[1]))
        return pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type0, BaseFont=name,
            Encoding=pikepdf.Name("/Identity-H"), DescendantFonts=pikepdf.Array([cid_font]),
            ToUnicode=pikepdf.Stream(pdf, cmap))


def _stamp(pdf: pikepdf.Pdf, plan: list[tuple[int, int, str | None]], geometry: Geometry,
           furniture: Furniture, cache: FontCache | None = None) -> None:
    texts = {head for _, _, head in plan if head}
    font = _StampFont(furniture.font_path, texts)
    font_ref = pdf.make_indirect(font.pdf_font(pdf, cache))
    for index, folio, head in plan:
        page = pdf.pages[index]
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
        annot = pikepdf.Dictionary(
            Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Border=pikepdf.Array([0, 0, 0]),
            Rect=pikepdf.Array([x0 * PX, geometry.height - y1 * PX, x1 * PX,
                                geometry.height - y0 * PX]),
            Dest=pikepdf.Array([dest_page.obj, pikepdf.Name.XYZ, ax * PX,
                                geometry.height - ay * PX, 0]))
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
