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

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pikepdf

from .fonts import FontCache, merge_font_dictionaries, share_programs
from .furniture import Furniture, Slot, resource_name, runs, stamp_ops
from .inserts import margin_note

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
    notes: dict[int, str] = field(default_factory=dict)  # page -> outer-margin note (inserts.py)


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
class Outline:
    title: str
    page: int                  # index in the final PDF
    children: list["Outline"] = field(default_factory=list)


def assemble(front_pdf: bytes, front_links: list[tuple[int, str, tuple]], chunks: list[ChunkPdf],
             *, geometry: Geometry, furniture: Furniture, strings: StringsLayout,
             course_title: str,
             duplex_breaks: set[str], outline: list[Outline] | None = None,
             metadata: dict[str, str], lang: str,
             font_cache: FontCache | None = None, front_fonts: list[dict] | None = None,
             font_folders: list[Path] | None = None, bleed: float = 0.0,
             crop_marks: bool = False) -> tuple[bytes, dict[str, int]]:
    """Join front matter and chunks; return the PDF and each chunk's first folio.

    ``front_fonts`` and each chunk's ``fonts``: the proven originals of their font
    programs; ``font_folders``: where those originals may be read (the course, the
    theme). ``font_cache`` (get/put by key) keeps the cut fonts between builds.
    ``bleed`` (points) and ``crop_marks``: for a print shop (press.py). ``furniture``
    and ``strings``: what the margin boxes hold and how their strings are laid out
    (furniture.py).
    """
    out = pikepdf.Pdf.new()
    front = pikepdf.Pdf.open(io.BytesIO(front_pdf))
    out.pages.extend(front.pages)
    if len(front.pages) % 2:    # the body opens on a right-hand page (reader.css: .front + .body)
        out.add_blank_page(page_size=(geometry.width, geometry.height))
    front_count = len(out.pages)
    starts: dict[str, int] = {}
    anchor_pages: dict[str, tuple[int, float, float]] = {}
    plan: list[tuple[int, str, list[tuple[Slot, str]]]] = []   # (page, kind, slots+text)
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
            wide = geometry.of_page(out.pages[index]) is not geometry
            kind = ("wide-" if wide else "") + ("left" if this_folio % 2 == 0 else "right")
            texts = {"course": course_title, "head": chunk.head, "folio": str(this_folio)}
            plan.append((index, kind, [(slot, slot.text if slot.what == "text" else
                                        texts[slot.what])
                                       for slot in furniture.page_slots(kind, opening=n == 0)]))
            if n in chunk.notes:
                plan[-1][2].append(margin_note(furniture, kind, geometry, chunk.notes[n]))
        folio += chunk.pages
    string_fonts = _stamp(out, plan, strings)
    records = [*(front_fonts or []), *string_fonts,
               *(r for chunk in chunks for r in chunk.fonts)]
    shared = share_programs(out, records, font_folders or [], font_cache)
    merge_font_dictionaries(out, shared)
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

StringsLayout = Callable[[list[tuple[str, str]]], tuple[bytes, dict, list[dict]]]


def _stamp(pdf: pikepdf.Pdf, plan: list[tuple[int, str, list[tuple[Slot, str]]]],
           strings: StringsLayout) -> list[dict]:
    """Draw every page's running head and folio (furniture.py): each string laid out once,
    its text operators copied onto the pages that show it. Returns the font records of
    the strings' document, for the fonts to be shared with the rest of the book."""
    wanted = sorted({(slot.style, text) for _, _, slots in plan for slot, text in slots
                     if text})
    if not wanted:
        return []
    data, positions, fonts = strings(wanted)
    source, found = runs(data, positions)
    index = {key: found[n] for n, key in enumerate(wanted) if n in found}
    imported: dict[int, dict[str, tuple[str, str, Any]]] = {}   # strings page -> resources
    for page_index, _, slots in plan:
        page = pdf.pages[page_index]
        height = float(page.mediabox[3]) - float(page.mediabox[1])
        parts: list[bytes] = []
        for slot, text in slots:
            run = index.get((slot.style, text))
            if run is None or not text:
                continue
            names = _resources_of(pdf, source, run.page, imported)
            _add_resources(page, names.values())
            parts.append(stamp_ops(run, slot, height, {old: new for old, (_, new, _) in
                                                        names.items()}))
        if parts:
            # WeasyPrint leaves its flipped coordinate system in force: isolate it first.
            page.contents_add(pikepdf.Stream(pdf, b"q\n"), prepend=True)
            page.contents_add(pikepdf.Stream(pdf, b"Q\n" + b"".join(parts)))
    return fonts


def _resources_of(pdf: pikepdf.Pdf, source: pikepdf.Pdf, page: int,
                  imported: dict[int, dict[str, tuple[str, str, Any]]]
                  ) -> dict[str, tuple[str, str, Any]]:
    """The fonts and graphics states of a page of the strings' document, copied into the
    book once, under names no chunk uses: old name -> (category, new name, object)."""
    if page not in imported:
        resources = source.pages[page].obj.get("/Resources", pikepdf.Dictionary())
        names: dict[str, tuple[str, str, Any]] = {}
        for category in ("/Font", "/ExtGState"):
            for number, (name, value) in enumerate(resources.get(category, {}).items()):
                new = resource_name(category[1:], name, len(imported) * 1000 + number)
                if not value.is_indirect:
                    value = source.make_indirect(value)
                names[name] = (category, new, pdf.copy_foreign(value))
        imported[page] = names
    return imported[page]


def _add_resources(page: pikepdf.Page, entries: Iterable[tuple[str, str, Any]]) -> None:
    if "/Resources" not in page.obj:
        page.obj.Resources = pikepdf.Dictionary()
    resources = page.obj.Resources
    for category, name, value in entries:
        if category not in resources:
            resources[category] = pikepdf.Dictionary()
        resources[category][name] = value


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
