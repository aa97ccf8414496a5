"""Pages of an original set as reader pages (pikepdf): the fast path's inserted pages.

An excerpt taken from a PDF or from images is one chunk: its title page (label, title,
headnote, attribution), laid out by WeasyPrint like any item, followed by one reader page
per original page, made here. Each is the prepared page (reader.scans) drawn as a form,
scaled to fit the text block and centred in it, top-aligned; every page of one excerpt
at the same scale, so its type keeps one size. Assembly then treats them as any page of
the chunk: the left-page shift, the running head and the folio, and the original's page
number in the outer margin (``original_note``).

``placement`` is the one rule of where an original page goes; the single-document path
(an ``<img>`` of the page) sizes its picture by it too.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pikepdf

from ..course.documents import original_note
from ..scans.pages import Prepared

PAD = 3 * 72 / 25.4       # white kept around the print when the page is trimmed to it
MAX_SCALE = 1.2           # a small page is enlarged at most this much


@dataclass(frozen=True)
class Window:
    """The part of each prepared page that is shown, measured from its top-left corner
    (points), and the scale it is drawn at."""

    left: float
    top: float
    right: float
    bottom: float
    scale: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top


def placement(pages: list[Prepared], block: tuple[float, float], trim: bool) -> Window:
    """One window and scale for all pages of an excerpt: the union of where their print is
    (``trim``, with a little white around it) or their whole pages, fitted to the text
    block ``block`` (width, height in points)."""
    boxes = []
    for page in pages:
        record = page.record
        box = record.content if trim and record.content else \
            [0.0, 0.0, record.width, record.height]
        x0, y0, x1, y1 = box
        boxes.append((max(0.0, x0 - PAD), max(0.0, record.height - y1 - PAD),
                      min(record.width, x1 + PAD), min(record.height, record.height - y0 + PAD)))
    left = min(b[0] for b in boxes)
    top = min(b[1] for b in boxes)
    right = max(b[2] for b in boxes)
    bottom = max(b[3] for b in boxes)
    width, height = max(right - left, 1.0), max(bottom - top, 1.0)
    scale = min(block[0] / width, block[1] / height, MAX_SCALE)
    return Window(left, top, left + width, top + height, scale)


def text_block(geometry) -> tuple[float, float, float, float]:  # noqa: ANN001
    """A right-hand page's text block: x0, y0 (bottom), x1, y1 (top), in points."""
    top, right, bottom, left = geometry.right
    return left, bottom, geometry.width - right, geometry.height - top


def insert_pages(chunk_pdf: bytes, pages: list[Prepared], geometry, trim: bool  # noqa: ANN001
                 ) -> tuple[bytes, int, dict[int, str]]:
    """The chunk with one reader page per original page after its own pages; returns the
    PDF, its page count and the margin note of each inserted page (by page in the chunk)."""
    x0, y0, x1, y1 = text_block(geometry)
    window = placement(pages, (x1 - x0, y1 - y0), trim)
    out = pikepdf.open(io.BytesIO(chunk_pdf))
    first = len(out.pages)
    notes = {}
    for n, page in enumerate(pages):
        with pikepdf.open(io.BytesIO(page.pdf)) as prepared:
            form = out.copy_foreign(prepared.pages[0].as_form_xobject())
        out.pages.append(_reader_page(out, form, page, window, geometry))
        notes[first + n] = original_note(page.printed)
    buffer = io.BytesIO()
    out.save(buffer, deterministic_id=True, compress_streams=True,
             object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return buffer.getvalue(), len(out.pages), notes


def _reader_page(pdf: pikepdf.Pdf, form: pikepdf.Object, page: Prepared, window: Window,
                 geometry) -> pikepdf.Page:  # noqa: ANN001
    """A page of the reader's size showing ``window`` of the prepared page, clipped to it,
    centred in the text block and at its top."""
    x0, _, x1, y1 = text_block(geometry)
    shown_w, shown_h = window.width * window.scale, window.height * window.scale
    left = x0 + (x1 - x0 - shown_w) / 2
    top = y1
    s = window.scale
    # the prepared page's point (window.left, height - window.top) lands at (left, top)
    tx = left - window.left * s
    ty = top - (page.record.height - window.top) * s
    ops = (f"q {left:.3f} {top - shown_h:.3f} {shown_w:.3f} {shown_h:.3f} re W n\n"
           f"{s:.6f} 0 0 {s:.6f} {tx:.3f} {ty:.3f} cm /Original Do Q\n")
    return pikepdf.Page(pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        MediaBox=pikepdf.Array([0, 0, geometry.width, geometry.height]),
        Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Original=form)),
        Contents=pikepdf.Stream(pdf, ops.encode())))


NOTE_GAP = 4 * 72 / 25.4       # between the text block and the note, in points
NOTE_EDGE = 6 * 72 / 25.4      # the note keeps this far from the paper's edge
DEFAULT_NOTE_STYLE = 'font-family: "Carlito"; font-size: 10.6667px; color: rgb(94, 89, 84)'


def margin_note(furniture, kind: str, geometry, text: str):  # noqa: ANN001, ANN201
    """The slot that prints ``text`` in the outer margin of a page of ``kind`` ("left" or
    "right"), level with the top of the text block, in the style of the page's folio (the
    theme's furniture face, size and colour)."""
    from .furniture import Slot

    px = 0.75
    slots = furniture.slots.get(kind, [])
    model = next((s for s in slots if s.what == "folio"), slots[0] if slots else None)
    style = model.style if model is not None else DEFAULT_NOTE_STYLE
    top, right, _, left = geometry.left if kind.endswith("left") else geometry.right
    size = _font_size_px(style)
    baseline = top / px + size
    if kind.endswith("left"):
        slot = Slot("text", text, "right", NOTE_EDGE / px, (left - NOTE_GAP) / px, baseline,
                    style)
    else:
        slot = Slot("text", text, "left", (geometry.width - right + NOTE_GAP) / px,
                    (geometry.width - NOTE_EDGE) / px, baseline, style)
    return slot, text


def _font_size_px(style: str) -> float:
    import re

    match = re.search(r"font-size:\s*([0-9.]+)px", style)
    return float(match.group(1)) if match else 12.0
