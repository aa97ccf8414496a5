"""Preparing one page of an original: a task for the build's workers, cached by content.

``task_prepare(job)`` turns one page of a PDF or one page image into a one-page PDF that
the reader can place (pdf/inserts.py) and a record of facts about it (size, where its
print is, its text, what was done). Two kinds of page:

- A *digital* page (a PDF page with a text layer) keeps its own drawing: its content
  and the resources it draws with, as a form, and nothing else of its file (no
  annotations, links, forms, actions, scripts or attachments: see ``scrub``).
- A *scan* (a page image, or a PDF page that is only a picture) is turned upright
  (tesseract's orientation detection), straightened, cut to its paper, recompressed
  (black and white CCITT G4 at 300 dpi where it is text, greyscale JPEG at 150 dpi where
  it holds pictures) and given tesseract's invisible text layer, so it can be searched,
  selected and read aloud.

The cache key (``job_key``) is the page's file content, its place in the file, the
settings and the tools' versions: a page is prepared once, whatever else changes.
"""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from . import image as pixels
from . import ocr

FORMAT = "pages-v3"        # bump when what a prepared page holds changes
TEXT_DPI = 300             # black and white pages
PICTURE_DPI = 150          # greyscale pages (photographs, shading)
RENDER_DPI = 300           # a PDF page that is only a picture is read at this resolution
DEFAULT_SCAN_DPI = 300     # a page image that records no resolution
MAX_RENDER_PIXELS = 60_000_000
PROBE_DPI = 36             # where a digital page's print is, measured on a small render
MM = 72 / 25.4
WEAK_ORIENTATION = 2.0     # tesseract's orientation confidence worth trying (OCR decides)


@dataclass(frozen=True)
class PageJob:
    """One page to prepare: plain data, sent to a worker."""

    path: str                  # the PDF or image file (inside the course)
    index: int                 # page in the PDF / frame in the image
    kind: str                  # "pdf" or "image"
    digest: str                # sha256 of the file: the page's content, for the key
    crop: Any                  # "auto", "none" or mm (top, right, bottom, left)
    lang: str
    password: str | None = None

    def settings(self) -> dict[str, Any]:
        return {"crop": list(self.crop) if isinstance(self.crop, tuple) else self.crop,
                "lang": ocr.tesseract_language(self.lang), "index": self.index,
                "kind": self.kind}


def job_key(job: PageJob) -> str:
    """What a prepared page depends on: the file's content and the page's place in it,
    the settings, and the versions of reader, tesseract, pikepdf, PDFium and Pillow."""
    from importlib.metadata import version

    from .. import __version__

    tools = [__version__, FORMAT, ocr.version(), version("pikepdf"), version("pypdfium2"),
             version("pillow"), sorted(ocr.languages())]
    text = json.dumps([job.digest, job.settings(), tools], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class Record:
    """What is known of a prepared page: what pdf/inserts.py and the deck read."""

    kind: str                  # "scan" or "digital"
    width: float               # the prepared page, in points
    height: float
    content: list[float] | None  # where its print is: x0, y0, x1, y1 (points, y up)
    text: str                  # its text (OCR or the page's own), for search and slides
    ocr: bool                  # whether the text layer is tesseract's
    turned: int = 0            # degrees turned clockwise to stand upright
    skew: float = 0.0          # degrees straightened
    encoding: str = "vector"   # "g4", "jpeg" or "vector"
    dpi: int = 0
    note: str = ""             # what a lecturer should hear about this page (a warning)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Record":
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in names})


def task_prepare(job: PageJob) -> tuple[bytes, dict[str, Any]]:
    """In a worker: prepare one page (see the module docstring)."""
    if job.kind == "image":
        image, dpi = _page_image(Path(job.path), job.index)
        return _scan(image, dpi, job)
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(job.path, password=job.password or None)
    try:
        page = document[job.index]
        text_page = page.get_textpage()
        text = text_page.get_text_range() if text_page.count_chars() else ""
        text_page.close()
        if text.strip():
            return _digital(job, page, text)
        width, height = page.get_size()
        scale = RENDER_DPI / 72
        if width * height * scale * scale > MAX_RENDER_PIXELS:
            scale = (MAX_RENDER_PIXELS / (width * height)) ** 0.5
        bitmap = page.render(scale=scale, grayscale=True, may_draw_forms=False)
        image = bitmap.to_pil().convert("L")
        page.close()
    finally:
        document.close()
    return _scan(image, scale * 72, job)


def _page_image(path: Path, frame: int) -> tuple[Image.Image, float]:
    """A page image, upright as its camera recorded it, and its resolution."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(path) as img:
            img.seek(frame)
            dpi = img.info.get("dpi", (0, 0))[0] or 0
            image = ImageOps.exif_transpose(img).convert("L")
    dpi = float(dpi) if 72 <= float(dpi) <= 1200 else DEFAULT_SCAN_DPI
    return image, dpi


# --- scans ---------------------------------------------------------------------------------

@dataclass
class _Straight:
    """A scan straightened and cut, at the resolution it is stored at."""

    image: Image.Image
    skew: float
    picture: bool          # holds photographs or shading: kept in grey
    dpi: float
    width: float           # points
    height: float


def _scan(image: Image.Image, dpi: float, job: PageJob) -> tuple[bytes, dict[str, Any]]:
    """A scan prepared. Tesseract's orientation detection costs a second a page, so it
    is asked only when the page does not read well as it stands (a page on its side or
    upside down gives OCR nothing but low-confidence garbage); its answer is taken when
    the page turned its way reads better, so even its weak guesses on a page of few
    lines can be used."""
    if isinstance(job.crop, tuple):
        image = _cut_mm(image, dpi, job.crop)
    page = _straighten(image, dpi, job.crop == "auto")
    read = _read_text(page.image, job.lang, page.dpi)
    turned = 0
    if read is not None and not read.confident:
        turn = _upright(page.image)
        if turn:
            other = _straighten(image.rotate(-turn, expand=True), dpi, job.crop == "auto")
            again = _read_text(other.image, job.lang, other.dpi)
            if again is not None and again.confidence > read.confidence + 10:
                page, read, turned = other, again, turn
    box = pixels.content_box(np.asarray(page.image))
    content = None
    if box is not None:
        scale = 72 / page.dpi
        content = [box[0] * scale, page.height - box[3] * scale, box[2] * scale,
                   page.height - box[1] * scale]
    pdf, encoding = _scan_pdf(page.image, page.picture, page.width, page.height,
                              read.layer if read else None)
    record = Record("scan", page.width, page.height, content, read.text if read else "",
                    bool(read), turned, page.skew, encoding, round(page.dpi))
    if read is None:
        record.note = ocr.missing(job.lang) or "tesseract could not read this page"
    return pdf, record.to_json()


def _straighten(image: Image.Image, dpi: float, cut: bool) -> _Straight:
    """Straightened (and, with ``cut``, cut to its paper), then resampled to the dpi it is
    stored at: 300 for text (a coarser scan enlarged), 150 for pictures (never enlarged)."""
    if cut:
        cleaned = pixels.clean(image)
        image, skew = cleaned.image, cleaned.skew
    else:
        skew = pixels.skew_angle(np.asarray(image))
        if skew:
            white = int(pixels.paper_white(np.asarray(image)))
            image = image.rotate(skew, resample=Image.Resampling.BICUBIC, fillcolor=white)
    width, height = image.size[0] / dpi * 72, image.size[1] / dpi * 72
    picture = pixels.holds_pictures(np.asarray(image))
    image = pixels.resample(image, dpi, PICTURE_DPI if picture else TEXT_DPI,
                            enlarge=not picture)
    return _Straight(image, skew, picture, image.size[0] / width * 72, width, height)


def _cut_mm(image: Image.Image, dpi: float, sides: tuple[float, float, float, float]
            ) -> Image.Image:
    top, right, bottom, left = (round(mm / 25.4 * dpi) for mm in sides)
    width, height = image.size
    if left + right >= width - 16 or top + bottom >= height - 16:
        return image      # course/documents.py bounds the values; a tiny image keeps all
    return image.crop((left, top, width - right, height - bottom))


def _upright(image: Image.Image) -> int:
    """Degrees clockwise that stand the page upright (tesseract's orientation detection,
    on a 150 dpi copy; 0 without tesseract)."""
    if ocr.tesseract() is None:
        return 0
    copy = image.copy()
    copy.thumbnail((1700, 1700))
    with tempfile.TemporaryDirectory(prefix="reader-osd-") as folder:
        path = Path(folder) / "page.pgm"       # uncompressed: nothing to spend on writing it
        copy.convert("L").save(path)
        return ocr.orientation(path, threshold=WEAK_ORIENTATION)


def _read_text(image: Image.Image, lang: str, dpi: float) -> "ocr.Reading | None":
    with tempfile.TemporaryDirectory(prefix="reader-ocr-") as folder:
        path = Path(folder) / "page.pgm"
        image.convert("L").save(path)
        return ocr.read(path, lang, round(dpi))


def _scan_pdf(image: Image.Image, picture: bool, width: float, height: float,
              text_layer: bytes | None) -> tuple[bytes, str]:
    """A one-page PDF of the page image, with the invisible text layer on top."""
    import pikepdf

    pdf = pikepdf.new()
    if picture:
        data, encoding = pixels.grey_jpeg(image), "jpeg"
        stream = pikepdf.Stream(pdf, data)
        stream.Filter = pikepdf.Name.DCTDecode
        stream.BitsPerComponent = 8
        columns, rows = image.size
    else:
        data, columns, rows = pixels.bilevel_g4(image)
        encoding = "g4"
        stream = pikepdf.Stream(pdf, data)
        stream.Filter = pikepdf.Name.CCITTFaxDecode
        stream.DecodeParms = pikepdf.Dictionary(K=-1, Columns=columns, Rows=rows,
                                                BlackIs1=False)
        stream.BitsPerComponent = 1
    stream.Type = pikepdf.Name.XObject
    stream.Subtype = pikepdf.Name.Image
    stream.Width, stream.Height = columns, rows
    stream.ColorSpace = pikepdf.Name.DeviceGray
    xobjects = pikepdf.Dictionary(Scan=stream)
    ops = f"q {width:.4f} 0 0 {height:.4f} 0 0 cm /Scan Do Q\n"
    if text_layer is not None:
        with pikepdf.open(io.BytesIO(text_layer)) as layer:
            source = layer.pages[0]
            box = source.mediabox
            form = pdf.copy_foreign(source.as_form_xobject())
            sx = width / (float(box[2]) - float(box[0]))
            sy = height / (float(box[3]) - float(box[1]))
        xobjects.Text = form
        ops += f"q {sx:.6f} 0 0 {sy:.6f} 0 0 cm /Text Do Q\n"
    page = pikepdf.Dictionary(Type=pikepdf.Name.Page,
                              MediaBox=pikepdf.Array([0, 0, width, height]),
                              Resources=pikepdf.Dictionary(XObject=xobjects),
                              Contents=pikepdf.Stream(pdf, ops.encode()))
    pdf.pages.append(pikepdf.Page(page))
    return _save(pdf), encoding


def _save(pdf: Any) -> bytes:
    import pikepdf

    buffer = io.BytesIO()
    pdf.save(buffer, deterministic_id=True, compress_streams=True,
             object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return buffer.getvalue()


# --- digital pages -------------------------------------------------------------------------

def _digital(job: PageJob, pdfium_page: Any, text: str) -> tuple[bytes, dict[str, Any]]:
    """The page's drawing as a form on a page of its visible size, and nothing else."""
    import pikepdf

    with pikepdf.open(job.path, password=job.password or "") as source:
        page = source.pages[job.index]
        form = page.as_form_xobject(handle_transformations=True)
        out = pikepdf.new()
        copied = out.copy_foreign(form)
    scrub(copied)
    width, height = pdfium_page.get_size()       # as displayed: /Rotate and the crop box
    bitmap = pdfium_page.render(scale=PROBE_DPI / 72, grayscale=True, may_draw_forms=False)
    small = np.asarray(bitmap.to_pil().convert("L"))
    pdfium_page.close()
    content = None
    box = pixels.content_box(small) if small.size else None
    if box is not None:
        scale_x, scale_y = width / small.shape[1], height / small.shape[0]
        content = [box[0] * scale_x, height - box[3] * scale_y, box[2] * scale_x,
                   height - box[1] * scale_y]
    left, bottom, right, top = 0.0, 0.0, width, height
    if isinstance(job.crop, tuple):
        t, r, b, l_ = (mm * MM for mm in job.crop)
        if l_ + r < width - 16 and t + b < height - 16:
            left, bottom, right, top = l_, b, width - r, height - t
    placement = pikepdf.Page(pikepdf.Dictionary(
        Type=pikepdf.Name.Page, MediaBox=pikepdf.Array([0, 0, width, height]),
        Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Page=copied)),
        Contents=pikepdf.Stream(out, b"")))
    out.pages.append(placement)
    placed = out.pages[0]
    ops = placed.calc_form_xobject_placement(
        copied, pikepdf.Name.Page, pikepdf.Rectangle(0, 0, width, height),
        allow_shrink=True, allow_expand=True)
    shift = f"1 0 0 1 {-left:.4f} {-bottom:.4f} cm\n".encode() if left or bottom else b""
    placed.obj.Contents = pikepdf.Stream(out, b"q\n" + shift + ops + b"\nQ\n")
    placed.obj.MediaBox = pikepdf.Array([0, 0, right - left, top - bottom])
    if content is not None:
        content = [max(0.0, content[0] - left), max(0.0, content[1] - bottom),
                   min(right - left, content[2] - left), min(top - bottom, content[3] - bottom)]
    record = Record("digital", right - left, top - bottom, content, text, False)
    return _save(out), record.to_json()


# Keys that make a PDF act rather than draw: none may come into the reader from a page.
UNSAFE_KEYS = frozenset({"/A", "/AA", "/JS", "/JavaScript", "/OpenAction", "/Annots",
                         "/AcroForm", "/EmbeddedFiles", "/EmbeddedFile", "/URI", "/Launch",
                         "/SubmitForm", "/ImportData", "/GoToR", "/GoToE", "/Names", "/Dests",
                         "/Outlines", "/RichMedia", "/Sound", "/Movie", "/FileAttachment",
                         "/XFA", "/Threads", "/PieceInfo", "/Metadata", "/OC", "/OCProperties"})
MAX_OBJECTS = 200_000


def scrub(root: Any) -> None:
    """Remove from everything a copied page draws with (its resources, fonts, images,
    nested forms) every key that could act: actions, scripts, links, annotations, form
    fields, attachments, and optional-content switches that could hide or show parts of
    the page. A page's drawing needs none of them. Bounded by MAX_OBJECTS."""
    import pikepdf

    seen: set[tuple[int, int]] = set()
    stack = [root]
    count = 0
    while stack:
        obj = stack.pop()
        count += 1
        if count > MAX_OBJECTS:
            raise ValueError("the page draws with too many objects")
        if obj.is_indirect:
            if obj.objgen in seen:
                continue
            seen.add(obj.objgen)
        if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
            for key in [k for k in obj.keys() if k in UNSAFE_KEYS]:
                del obj[key]
            stack.extend(obj[k] for k in obj.keys()
                         if isinstance(obj[k], (pikepdf.Dictionary, pikepdf.Array,
                                                pikepdf.Stream)))
        elif isinstance(obj, pikepdf.Array):
            stack.extend(v for v in obj if isinstance(v, (pikepdf.Dictionary, pikepdf.Array,
                                                          pikepdf.Stream)))
