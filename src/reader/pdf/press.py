"""Output for a print shop: a bleed and crop marks around every page (course.yaml:
``bleed``, ``crop_marks``).

Pages are laid out at their trim size, in both the fast and the tagged path. Here
each page's boxes are set around that same origin (negative coordinates), so
nothing on the page moves and its links still point where they did:

- TrimBox: the page as laid out (where the paper is cut);
- BleedBox: the TrimBox grown by the bleed on every side;
- MediaBox (and CropBox): the BleedBox grown by room for the crop marks, if any.

Whatever is drawn past the trim edge (the cover's colour band, see reader.css)
then shows in the bleed. Crop marks are hairlines in line with the trim edges,
in the margin outside the bleed, so that none is printed on the trimmed page or
in its bleed; for tagged PDFs they are marked as artifacts.
"""

from __future__ import annotations

import io

import pikepdf

MM = 72 / 25.4
MARK_GAP = 1 * MM          # between the bleed and the start of a mark
MARK_LENGTH = 6 * MM
MARK_SLUG = 2 * MM         # paper beyond the marks' ends
MARK_WIDTH = 0.25          # pt: a hairline


def add_print_marks(pdf: pikepdf.Pdf, bleed: float, crop_marks: bool) -> None:
    """Give every page of ``pdf`` a TrimBox, a BleedBox ``bleed`` points wider and, with
    ``crop_marks``, crop marks in a MediaBox enlarged to hold them."""
    offset = bleed + MARK_GAP
    margin = bleed + (MARK_GAP + MARK_LENGTH + MARK_SLUG if crop_marks else 0)
    for page in pdf.pages:
        x0, y0, x1, y1 = (float(v) for v in page.obj.get("/TrimBox", page.mediabox))
        page.obj.TrimBox = pikepdf.Array([x0, y0, x1, y1])
        page.obj.BleedBox = pikepdf.Array([x0 - bleed, y0 - bleed, x1 + bleed, y1 + bleed])
        media = pikepdf.Array([x0 - margin, y0 - margin, x1 + margin, y1 + margin])
        page.obj.MediaBox = media
        page.obj.CropBox = media
        if crop_marks:
            # The page's own drawing may leave its coordinate system changed (WeasyPrint's
            # is flipped): isolate it before drawing the marks.
            page.contents_add(pikepdf.Stream(pdf, b"q\n"), prepend=True)
            page.contents_add(pikepdf.Stream(pdf, b"Q\n" + _marks(x0, y0, x1, y1, offset)))


def _marks(x0: float, y0: float, x1: float, y1: float, offset: float) -> bytes:
    """Two marks at each corner, each in line with a trim edge, ``offset`` away from it."""
    near, far = offset, offset + MARK_LENGTH
    lines = []
    for x, sx in ((x0, -1), (x1, 1)):
        for y, sy in ((y0, -1), (y1, 1)):
            lines.append((x + sx * near, y, x + sx * far, y))    # horizontal, beside
            lines.append((x, y + sy * near, x, y + sy * far))    # vertical, above/below
    path = "\n".join(f"{a:.3f} {b:.3f} m {c:.3f} {d:.3f} l S" for a, b, c, d in lines)
    return (f"/Artifact BMC q {MARK_WIDTH} w 0 G 0 J\n{path}\nQ EMC\n").encode()


def with_print_marks(data: bytes, bleed: float, crop_marks: bool) -> bytes:
    """``add_print_marks`` on a finished PDF (the tagged path's, written by WeasyPrint)."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        add_print_marks(pdf, bleed, crop_marks)
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True, compress_streams=True)
        return out.getvalue()
