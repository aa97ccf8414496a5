"""Embedded fonts of the assembled reader: one program per face, cut from the original file.

WeasyPrint writes every chunk with its own subsets of the fonts the chunk draws with. A
subset is only true to the glyphs its chunk asked for: it keeps glyph ids up to the
largest of them and renumbers the parts of composite glyphs above it into the next ids.
(In Carlito-Bold the one-point part of "i" and of several digits lands where "6" is, in
every chunk whose largest glyph is the one before.) So no glyph is ever taken from a
subset. Instead:

* where the chunk is written (``font_records``), each embedded program is matched with the
  original font file it was cut from, among the files WeasyPrint loaded through @font-face,
  and the match is proved: the original, cut down to the chunk's glyphs the way the
  assembly will cut it, has the same glyphs (outlines and metrics) as the chunk's program;
* at assembly (``share_programs``), each original is cut once, over the union of the
  glyphs every chunk asked for (glyph ids kept, so every chunk's text still points at its
  glyphs), and every descriptor of the face points at that one program.

A program without a proven original (a system face that filled in a missing character, a
CFF or variable font) is left exactly as WeasyPrint wrote it: correct, only not shared.
"""

from __future__ import annotations

import hashlib
import io
import re
import stat
import struct
import sys
from array import array
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Protocol

import pikepdf

# Tables a PDF never reads from an embedded TrueType program (layout, bitmaps, signatures).
_DROPPED_TABLES = ("GSUB", "GPOS", "GDEF", "BASE", "JSTF", "MATH", "kern", "morx", "DSIG",
                   "hdmx", "LTSH", "VDMX", "PCLT", "EBDT", "EBLC", "EBSC", "SVG ")


class FontCache(Protocol):
    def get(self, key: str) -> tuple[bytes, dict] | None: ...
    def put(self, key: str, data: bytes, meta: dict) -> None: ...


# --- cutting a font ----------------------------------------------------------------------------

def subset_font(data: bytes, gids: Iterable[int], notdef: bool = False) -> bytes:
    """``data`` cut down to the glyphs ``gids`` and what they are built from (composite
    parts), glyph ids kept, no hinting, no layout tables: what a PDF needs to draw them.
    ``notdef`` keeps the outline of glyph 0 (the missing-glyph box)."""
    import uharfbuzz as hb

    request = hb.SubsetInput()
    request.sets(hb.SubsetInputSets.GLYPH_INDEX).update(gids)
    flags = hb.SubsetFlags.RETAIN_GIDS | hb.SubsetFlags.NO_HINTING
    if notdef:
        flags |= hb.SubsetFlags.NOTDEF_OUTLINE
    request.flags = flags
    request.sets(hb.SubsetInputSets.DROP_TABLE_TAG).update(
        int.from_bytes(tag.encode(), "big") for tag in _DROPPED_TABLES)
    result = hb.subset(_hb_face(data), request)
    if result is None:
        raise ValueError("HarfBuzz could not subset the font")
    return result.blob.data


_FACES: dict[bytes, object] = {}  # font -> hb.Face: a face is parsed once per process


def _hb_face(data: bytes):  # noqa: ANN202
    """The HarfBuzz face of ``data`` (keyed by the bytes: Python caches their hash)."""
    import uharfbuzz as hb

    face = _FACES.get(data)
    if face is None:
        if len(_FACES) >= 32:  # a bound for long-lived processes (watch mode)
            _FACES.clear()
        face = _FACES[data] = hb.Face(hb.Blob(data))
    return face


def subset_key(original_sha: str, gids: Iterable[int], notdef: bool) -> str:
    """What a cut depends on: the original, the glyphs, and the subsetter's version."""
    import uharfbuzz

    text = f"{original_sha}|{sorted(set(gids))}|{notdef}|uharfbuzz {uharfbuzz.__version__}"
    return hashlib.sha256(text.encode()).hexdigest()


def cached_subset(data: bytes, gids: Iterable[int], notdef: bool,
                  cache: FontCache | None) -> bytes:
    """``subset_font`` through the cache: an edit that brings no new glyph reuses the cut."""
    gids = sorted(set(gids))
    key = subset_key(hashlib.sha256(data).hexdigest(), gids, notdef)
    hit = cache.get(key) if cache is not None else None
    if hit is not None:
        return hit[0]
    program = subset_font(data, gids, notdef)
    if cache is not None:
        cache.put(key, program, {"pages": 1})
    return program


# --- reading glyphs ----------------------------------------------------------------------------

def sfnt_tables(data: bytes) -> dict[str, memoryview]:
    """The tables of a single (not collection) TrueType/OpenType font, by tag."""
    view = memoryview(data)
    count = struct.unpack_from(">H", data, 4)[0]
    tables = {}
    for n in range(count):
        tag, _, offset, length = struct.unpack_from(">4sIII", data, 12 + 16 * n)
        if offset + length > len(data):
            raise ValueError("a table runs past the end of the font")
        tables[tag.decode("latin-1")] = view[offset:offset + length]
    return tables


class GlyphRecords:
    """A TrueType font's glyph records and horizontal metrics by glyph id, read from the
    raw tables (nothing is decompiled: a chunk's fonts are checked in milliseconds)."""

    def __init__(self, data: bytes):
        tables = sfnt_tables(data)
        head, maxp, hhea = tables["head"], tables["maxp"], tables["hhea"]
        self.glyf, self.hmtx = tables["glyf"], tables["hmtx"]   # KeyError: not TrueType
        self.upem = struct.unpack_from(">H", head, 18)[0]
        self.count = struct.unpack_from(">H", maxp, 4)[0]
        long_offsets = struct.unpack_from(">h", head, 50)[0] == 1
        size = 4 if long_offsets else 2
        offsets = array("I" if long_offsets else "H")
        offsets.frombytes(tables["loca"][:size * (self.count + 1)])
        if len(offsets) != self.count + 1:
            raise ValueError("loca is shorter than the glyph count")
        if sys.byteorder == "little":
            offsets.byteswap()
        self.offsets = offsets
        self.scale = 1 if long_offsets else 2   # short offsets are stored halved
        self.long_metrics = min(struct.unpack_from(">H", hhea, 34)[0], self.count)

    def record(self, gid: int) -> bytes:
        if gid >= self.count:
            return b""
        return bytes(self.glyf[self.scale * self.offsets[gid]:self.scale * self.offsets[gid + 1]])

    def metric(self, gid: int) -> tuple[int, int]:
        """(advance width, left side bearing); past the long metrics the last advance repeats."""
        if gid >= self.count or not self.long_metrics:
            return (0, 0)
        if gid < self.long_metrics:
            return struct.unpack_from(">Hh", self.hmtx, 4 * gid)
        advance = struct.unpack_from(">H", self.hmtx, 4 * (self.long_metrics - 1))[0]
        bearing = struct.unpack_from(">h", self.hmtx, 4 * self.long_metrics +
                                     2 * (gid - self.long_metrics))[0]
        return advance, bearing


class _GlyphIds:
    """Stands in for fontTools' glyf table when decoding a lone record: components by id."""

    extended = False  # 16-bit glyph ids

    @staticmethod
    def getGlyphName(gid: int) -> int:  # noqa: N802 - fontTools' name
        return gid


# Component flags that change the drawing (the others say how the record is encoded).
_COMPONENT_DRAWING_FLAGS = 0x0002 | 0x0004 | 0x0200 | 0x0800 | 0x1000


def decoded_glyph(record: bytes) -> tuple[tuple, list[int]]:
    """A glyph record as what it draws, and the glyph ids of its components.

    Simple glyph: bounding box, contour ends, points, on-curve bits. Composite: bounding
    box and each component's placement (the components' own drawings are compared apart:
    their ids are a font's own numbering). Two records that decode alike, with components
    that draw alike, draw alike.
    """
    if not record:
        return (), []
    from fontTools.ttLib.tables._g_l_y_f import Glyph

    glyph = Glyph(record)
    glyph.expand(_GlyphIds)
    box = (glyph.xMin, glyph.yMin, glyph.xMax, glyph.yMax)
    if glyph.isComposite():
        placements = tuple((getattr(c, "x", None), getattr(c, "y", None),
                            getattr(c, "firstPt", None), getattr(c, "secondPt", None),
                            tuple(map(tuple, getattr(c, "transform", ()))),
                            c.flags & _COMPONENT_DRAWING_FLAGS) for c in glyph.components)
        return (box, placements), [int(c.glyphName) for c in glyph.components]
    if glyph.numberOfContours <= 0:
        return (box,), []
    return (box, tuple(glyph.endPtsOfContours), tuple(glyph.coordinates),
            bytes(f & 1 for f in glyph.flags)), []


def _is_composite(record: bytes) -> bool:
    return len(record) >= 2 and record[0] & 0x80 != 0  # numberOfContours < 0


class SameGlyphs:
    """Does glyph ``a`` of one font draw exactly as glyph ``b`` of another?

    Compared: the outline (decoded, so a subsetter's re-encoding or dropped hinting does
    not matter), the advance and side bearing (a rasteriser places the outline by them),
    and for a composite, each component's placement and, recursively, its drawing. A
    component is followed by its id in each font separately: a subsetter may renumber it.
    """

    def __init__(self, ours: GlyphRecords, theirs: GlyphRecords):
        self.ours, self.theirs = ours, theirs
        self.known: dict[tuple[int, int], bool] = {}

    def __call__(self, a: int, b: int, depth: int = 0) -> bool:
        key = (a, b)
        if key not in self.known:
            self.known[key] = False   # a component cycle draws nothing alike
            self.known[key] = depth < 16 and self._compare(a, b, depth)
        return self.known[key]

    def _compare(self, a: int, b: int, depth: int) -> bool:
        if self.ours.metric(a) != self.theirs.metric(b):
            return False
        mine, yours = self.ours.record(a), self.theirs.record(b)
        if mine == yours and not _is_composite(mine):
            return True
        try:
            (shape_a, parts_a), (shape_b, parts_b) = decoded_glyph(mine), decoded_glyph(yours)
        except Exception:  # noqa: BLE001 - a record that does not decode proves nothing
            return False
        return shape_a == shape_b and len(parts_a) == len(parts_b) and \
            all(self(x, y, depth + 1) for x, y in zip(parts_a, parts_b))


# --- proving where a program comes from (in the chunk's worker) --------------------------------

@dataclass(frozen=True)
class Original:
    """A font file as loaded (WOFF decoded): where it is, and the hash of its bytes."""

    path: str
    sha256: str


@dataclass
class _OriginalFile:
    original: Original
    data: bytes
    name: str          # PostScript name: which candidate to try first
    upem: int
    count: int


_ORIGINALS: dict[tuple[str, int, int], _OriginalFile | None] = {}


def load_original(path: Path) -> _OriginalFile | None:
    """A font file as WeasyPrint loads it, read once per process; None if it is not one."""
    try:
        info = path.stat()
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):  # a pipe or a device never ends: not a font
        return None
    key = (str(path), info.st_mtime_ns, info.st_size)
    if key not in _ORIGINALS:
        if len(_ORIGINALS) >= 256:  # a bound for long-lived processes (watch mode)
            _ORIGINALS.clear()
        _ORIGINALS[key] = _read_original(path)
    return _ORIGINALS[key]


def _read_original(path: Path) -> _OriginalFile | None:
    import uharfbuzz as hb

    try:
        with path.open("rb") as file:
            if file.read(4) not in _FONT_MAGIC:  # an image, a stylesheet: not read whole
                return None
        data = sfnt_bytes(path.read_bytes())
    except OSError:
        return None
    if data is None:
        return None
    face = _hb_face(data)
    name = face.get_name(hb.OTNameIdPredefined.POSTSCRIPT_NAME) or ""
    return _OriginalFile(Original(str(path), hashlib.sha256(data).hexdigest()), data, name,
                         face.upem, face.glyph_count)


_SFNT_MAGIC = (b"\0\1\0\0", b"true", b"OTTO")
_FONT_MAGIC = (*_SFNT_MAGIC, b"wOFF", b"wOF2")


def sfnt_bytes(data: bytes) -> bytes | None:
    """The font as WeasyPrint hands it to Pango: WOFF and WOFF2 decoded; None if the bytes
    are no single TrueType/OpenType font (a collection, an image...)."""
    if data[:4] in (b"wOFF", b"wOF2"):
        from fontTools.ttLib import TTFont

        try:
            font = TTFont(io.BytesIO(data))
            font.flavor = font.flavorData = None
            out = io.BytesIO()
            font.save(out, reorderTables=False)
        except Exception:  # noqa: BLE001 - an undecodable file is simply not a candidate
            return None
        data = out.getvalue()
    return data if data[:4] in _SFNT_MAGIC else None


def font_records(pdf_data: bytes, candidates: Iterable[Path]) -> list[dict]:
    """For each embedded TrueType program of a chunk: its original, proved, and the glyphs
    the chunk asked for. Programs without a proven original are not listed."""
    originals = [o for o in (load_original(p) for p in dict.fromkeys(candidates)) if o]
    if not originals:
        return []
    records = []
    with pikepdf.open(io.BytesIO(pdf_data)) as pdf:
        programs: dict[tuple[int, int], tuple[pikepdf.Stream, set[int]]] = {}
        for font in type0_fonts(pdf):
            program = truetype_program(font)
            if program is not None:
                entry = programs.setdefault(program.objgen, (program, set()))
                entry[1].update(requested_glyphs(font))
        for program, gids in programs.values():
            data = program.read_bytes()
            original = prove_original(data, gids, originals)
            if original is not None:
                records.append({"program": hashlib.sha256(data).hexdigest(),
                                "original": {"path": original.original.path,
                                             "sha256": original.original.sha256},
                                "gids": sorted(g for g in gids if g < original.count)})
    return records


def prove_original(program: bytes, gids: set[int],
                   originals: list[_OriginalFile]) -> _OriginalFile | None:
    """The original that ``program`` was cut from, for the glyphs ``gids``, or None.

    Proof: cut the candidate over the same glyphs, as the assembly will; every glyph asked
    for must draw the same in that cut as in the program (``SameGlyphs``). A glyph id the
    program holds but was not asked for proves nothing and is never looked at: WeasyPrint
    renumbers composite parts past the largest glyph asked for, so such an id may be a part
    of another glyph.
    """
    try:
        theirs = GlyphRecords(program)
    except (KeyError, ValueError, struct.error):  # not a TrueType-outline font
        return None
    ours_name = _postscript_name(program)
    ordered = sorted(originals, key=lambda o: o.name != ours_name)
    for original in ordered:
        if original.upem != theirs.upem or theirs.count > original.count:
            continue
        wanted = {g for g in gids if g < original.count}
        try:
            ours = GlyphRecords(subset_font(original.data, wanted, notdef=0 in wanted))
        except (KeyError, ValueError, struct.error):
            continue
        if _same_glyphs(ours, theirs, wanted):
            return original
    return None


def _same_glyphs(ours: GlyphRecords, theirs: GlyphRecords, wanted: set[int]) -> bool:
    same = SameGlyphs(ours, theirs)
    return all(same(gid, gid) for gid in sorted(wanted))


def _postscript_name(program: bytes) -> str:
    import uharfbuzz as hb

    face = hb.Face(hb.Blob(program))
    return face.get_name(hb.OTNameIdPredefined.POSTSCRIPT_NAME) or ""


# --- the PDF side --------------------------------------------------------------------------------

def type0_fonts(pdf: pikepdf.Pdf) -> Iterator[pikepdf.Dictionary]:
    """Every Type0 font the pages and their forms draw with, once each."""
    seen: set = set()
    for _, _, font in font_uses(pdf):
        key = font.objgen if font.objgen != (0, 0) else id(font)
        if key not in seen:
            seen.add(key)
            yield font


def font_uses(pdf: pikepdf.Pdf) -> Iterator[tuple[pikepdf.Dictionary, pikepdf.Name,
                                                    pikepdf.Dictionary]]:
    """(font resource dictionary, name, Type0 font) for every use, in pages and forms."""
    seen: set[tuple[int, int]] = set()
    for page in pdf.pages:
        yield from _uses_in(page.obj.get("/Resources"), seen, depth=0)


def _uses_in(resources, seen: set, depth: int):  # noqa: ANN001, ANN202
    if not isinstance(resources, pikepdf.Dictionary) or depth > 8:  # forms in forms: bounded
        return
    fonts = resources.get("/Font")
    if isinstance(fonts, pikepdf.Dictionary):
        for name, font in fonts.items():
            if isinstance(font, pikepdf.Dictionary) and font.get("/Subtype") == "/Type0":
                yield fonts, pikepdf.Name(name), font
    xobjects = resources.get("/XObject")
    if isinstance(xobjects, pikepdf.Dictionary):
        for _, xobject in xobjects.items():
            if isinstance(xobject, pikepdf.Stream) and xobject.get("/Subtype") == "/Form" \
                    and xobject.objgen not in seen:
                seen.add(xobject.objgen)
                yield from _uses_in(xobject.get("/Resources"), seen, depth + 1)


def truetype_program(font: pikepdf.Dictionary) -> pikepdf.Stream | None:
    """The embedded TrueType program of an Identity-H Type0 font whose CIDs are glyph ids."""
    if font.get("/Encoding") != "/Identity-H":
        return None
    descendants = font.get("/DescendantFonts")
    if not isinstance(descendants, pikepdf.Array) or len(descendants) != 1:
        return None
    cid_font = descendants[0]
    if cid_font.get("/Subtype") != "/CIDFontType2" or \
            cid_font.get("/CIDToGIDMap", pikepdf.Name.Identity) != "/Identity":
        return None
    descriptor = cid_font.get("/FontDescriptor")
    if not isinstance(descriptor, pikepdf.Dictionary):
        return None
    program = descriptor.get("/FontFile2")
    return program if isinstance(program, pikepdf.Stream) else None


_W_TOKEN = re.compile(rb"\[|\]|[-+]?(?:\d+\.?\d*|\.\d+)")


def widths(font: pikepdf.Dictionary) -> dict[int, float]:
    """The font's /W array as glyph id -> width (read from its PDF text: reading a few
    hundred numbers one pikepdf object at a time took a third of a millisecond)."""
    out: dict[int, float] = {}
    array = font.DescendantFonts[0].get("/W")
    if not isinstance(array, pikepdf.Array):
        return out
    tokens = _W_TOKEN.findall(array.unparse())[1:-1]   # inside the outer brackets
    index = 0
    while index + 1 < len(tokens):
        first = int(float(tokens[index]))
        if tokens[index + 1] == b"[":                  # "first [w1 w2 ...]"
            end = tokens.index(b"]", index + 2)
            for offset, width in enumerate(tokens[index + 2:end]):
                out[first + offset] = float(width)
            index = end + 1
        elif index + 2 < len(tokens):                   # "first last w"
            last, width = int(float(tokens[index + 1])), float(tokens[index + 2])
            for gid in range(first, min(last, first + 0xFFFF) + 1):
                out[gid] = width
            index += 3
        else:
            break
    return out


def requested_glyphs(font: pikepdf.Dictionary) -> set[int]:
    """The glyphs a WeasyPrint font dictionary draws: it gives each one a width."""
    return set(widths(font))


# --- at assembly -------------------------------------------------------------------------------

@dataclass
class _Face:
    original: Original
    gids: set[int] = field(default_factory=set)
    descriptors: list[pikepdf.Dictionary] = field(default_factory=list)
    fonts: list[pikepdf.Dictionary] = field(default_factory=list)


def share_programs(pdf: pikepdf.Pdf, records: Iterable[dict], folders: list[Path],
                   cache: FontCache | None = None,
                   extra: dict[str, set[int]] | None = None
                   ) -> dict[str, tuple[pikepdf.Stream, list[pikepdf.Dictionary]]]:
    """Give every font with a proven original one program per original: the original cut
    over the union of the glyphs all its uses asked for.

    ``records``: the chunks' ``font_records``. ``folders``: where originals may be read
    (the course and the theme; a record naming another place is ignored). ``extra``:
    original's sha256 -> glyphs that another user of the same file needs (the running
    heads). Returns original's sha256 -> (program, the Type0 fonts now using it).
    """
    by_program = {r["program"]: r for r in records if _well_formed(r)}
    faces: dict[str, _Face] = {}
    hashes: dict[tuple[int, int], str] = {}
    for font in type0_fonts(pdf):
        program = truetype_program(font)
        if program is None:
            continue
        if program.objgen not in hashes:
            hashes[program.objgen] = hashlib.sha256(program.read_bytes()).hexdigest()
        record = by_program.get(hashes[program.objgen])
        if record is None:
            continue
        original = Original(record["original"]["path"], record["original"]["sha256"])
        face = faces.setdefault(original.sha256, _Face(original))
        face.gids.update(record["gids"])
        descriptor = font.DescendantFonts[0].FontDescriptor
        assert isinstance(descriptor, pikepdf.Dictionary)   # truetype_program found it one
        face.descriptors.append(descriptor)
        face.fonts.append(font)
    out = {}
    for face in faces.values():
        data = _readable_original(face.original, folders)
        if data is None:
            continue
        gids = face.gids | (extra or {}).get(face.original.sha256, set())
        subset = cached_subset(data, gids, 0 in face.gids, cache)
        stream = pikepdf.Stream(pdf, subset)
        stream.Length1 = len(subset)
        tag = _subset_tag(subset)
        for descriptor in face.descriptors:
            descriptor.FontFile2 = stream
        for font in face.fonts:
            _retag(font, tag)
        out[face.original.sha256] = (stream, face.fonts)
    return out


def _well_formed(record: object) -> bool:
    """A record as ``font_records`` writes it (it comes back from the cache, a file)."""
    if not isinstance(record, dict):
        return False
    original, gids = record.get("original"), record.get("gids")
    return isinstance(record.get("program"), str) and isinstance(original, dict) \
        and isinstance(original.get("path"), str) and isinstance(original.get("sha256"), str) \
        and isinstance(gids, list) and all(isinstance(g, int) and 0 <= g < 0x10000 for g in gids)


def _readable_original(original: Original, folders: list[Path]) -> bytes | None:
    """The original's bytes, if it is inside ``folders`` and still what the proof saw."""
    from ..core.files import inside

    path = Path(original.path)
    if not any(inside(folder, path) for folder in folders):
        return None
    loaded = load_original(path)
    if loaded is None or loaded.original.sha256 != original.sha256:
        return None
    return loaded.data


def _subset_tag(program: bytes) -> str:
    """Six capital letters naming this cut (PDF's subset prefix): one name, one program."""
    digest = hashlib.sha256(program).digest()
    return "".join(chr(65 + b % 26) for b in digest[:6])


def _retag(font: pikepdf.Dictionary, tag: str) -> None:
    cid_font = font.DescendantFonts[0]
    name = str(font.get("/BaseFont", "/"))[1:].split("+", 1)[-1]
    new = pikepdf.Name(f"/{tag}+{name}")
    font.BaseFont = new
    cid_font.BaseFont = new
    cid_font.FontDescriptor.FontName = new


def merge_font_dictionaries(pdf: pikepdf.Pdf, shared: dict[str, tuple]) -> None:
    """As few font dictionaries per original as agree: widths and Unicode maps united.

    Each chunk brings its own Type0 dictionary, width array and ToUnicode map per face; for a
    reader of hundreds of items these add up. Dictionaries are merged only where they agree
    on every glyph they share: a glyph's width sets where the next glyph is drawn (WeasyPrint
    rounds it per font size, so two sizes may disagree by one unit), and its text is what a
    reader copies. Disagreeing ones stay apart, on the same program.
    """
    groups: dict[tuple[int, int], int] = {}  # font -> index of its merged dictionary
    merged: list[tuple[pikepdf.Dictionary, dict[int, float], dict[int, str]]] = []
    for _, fonts in shared.values():
        start = len(merged)
        for font in {f.objgen: f for f in fonts if f.objgen != (0, 0)}.values():
            own_widths, own_text = widths(font), _unicode_map(font)
            for index in range(start, len(merged)):
                _, all_widths, all_text = merged[index]
                if _agree(all_widths, own_widths) and _agree(all_text, own_text):
                    all_widths.update(own_widths)
                    all_text.update(own_text)
                    groups[font.objgen] = index
                    break
            else:
                groups[font.objgen] = len(merged)
                merged.append((font, dict(own_widths), dict(own_text)))
    members = Counter(groups.values())
    for index, (canonical, all_widths, all_text) in enumerate(merged):
        if members[index] > 1:
            _write_widths(canonical, all_widths)
            canonical.ToUnicode = pikepdf.Stream(pdf, to_unicode(sorted(all_text.items())))
    boxes: dict[int, list] = {}
    for fonts_dict, name, font in list(font_uses(pdf)):
        group = groups.get(font.objgen)
        if group is None:
            continue
        canonical = merged[group][0]
        boxes.setdefault(group, []).append(font.DescendantFonts[0].FontDescriptor.FontBBox)
        if font.objgen != canonical.objgen:
            fonts_dict[name] = canonical
    for index, found in boxes.items():
        descriptor = merged[index][0].DescendantFonts[0].FontDescriptor
        descriptor.FontBBox = pikepdf.Array([min(float(b[0]) for b in found),
                                             min(float(b[1]) for b in found),
                                             max(float(b[2]) for b in found),
                                             max(float(b[3]) for b in found)])


def _agree(a: dict, b: dict) -> bool:
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    return all(large.get(k, v) == v for k, v in small.items())


def _write_widths(font: pikepdf.Dictionary, all_widths: dict[int, float]) -> None:
    runs = pikepdf.Array()
    previous = None
    for gid in sorted(all_widths):
        if previous is None or gid != previous + 1:
            runs.append(gid)
            runs.append(pikepdf.Array())
        runs[-1].append(round(all_widths[gid], 3))
        previous = gid
    font.DescendantFonts[0].W = runs


def _unicode_map(font: pikepdf.Dictionary) -> dict[int, str]:
    """The bfchar entries of the font's ToUnicode map (WeasyPrint writes only those)."""
    stream = font.get("/ToUnicode")
    if not isinstance(stream, pikepdf.Stream):
        return {}
    pairs = re.findall(rb"<([0-9a-fA-F]{4})>\s*<([0-9a-fA-F]+)>", stream.read_bytes())
    return {int(gid, 16): text.decode() for gid, text in pairs}


def to_unicode(pairs: Iterable[tuple[int, str]]) -> bytes:
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

