"""Original documents for tests, made here: copier scans of known text, digital PDFs with
page labels, and PDFs that try to do more than draw (scripts, launch actions, forms,
attachments, links)."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pikepdf
from PIL import Image, ImageDraw, ImageFont

from conftest import REPO

FONT = REPO / "src" / "reader" / "theme" / "fonts" / "Caladea-Regular.ttf"


def scan(lines: list[str], *, turn: float = 1.5, dpi: int = 300, folio: str = "",
         upside_down: bool = False, seed: int = 0) -> bytes:
    """A 6 x 9 in book page as a copier scans it: ``lines`` of text, turned ``turn``
    degrees, on the copier lid's grey, with noise; PNG bytes."""
    width, height = int(6 * dpi), int(9 * dpi)
    page = Image.new("L", (width, height), 245)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(str(FONT), int(dpi * 0.15))
    y = int(dpi * 0.9)
    for line in lines:
        draw.text((int(dpi * 0.8), y), line, font=font, fill=25)
        y += int(dpi * 0.21)
    if folio:
        draw.text((width // 2, height - int(dpi * 0.7)), folio, font=font, fill=25)
    if upside_down:
        page = page.rotate(180)
    turned = page.rotate(turn, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=90)
    lid = Image.new("L", (turned.size[0] + dpi // 2, turned.size[1] + dpi // 3), 90)
    lid.paste(turned, (dpi // 3, dpi // 5))
    rng = np.random.default_rng(seed)
    pixels = np.asarray(lid).astype(np.int16) + rng.normal(0, 6, (lid.size[1], lid.size[0]))
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", dpi=(dpi, dpi))
    return buffer.getvalue()


def digital_pdf(pages: list[str], first_label: int | None = None, roman_front: int = 0,
                size: tuple[float, float] = (432, 648)) -> pikepdf.Pdf:
    """A PDF with a text layer: each page prints its text (Helvetica) and a folio; page
    labels roman for ``roman_front`` pages, then from ``first_label``."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font,
                                                Subtype=pikepdf.Name.Type1,
                                                BaseFont=pikepdf.Name.Helvetica))
    for text in pages:
        ops = f"BT /F1 14 Tf 60 560 Td ({text}) Tj ET BT /F1 10 Tf 200 40 Td (folio) Tj ET"
        page = pikepdf.Dictionary(Type=pikepdf.Name.Page,
                                  MediaBox=pikepdf.Array([0, 0, *size]),
                                  Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)),
                                  Contents=pikepdf.Stream(pdf, ops.encode()))
        pdf.pages.append(pikepdf.Page(page))
    if first_label is not None:
        nums = pikepdf.Array()
        if roman_front:
            nums.extend([0, pikepdf.Dictionary(S=pikepdf.Name.r)])
        nums.extend([roman_front, pikepdf.Dictionary(S=pikepdf.Name.D, St=first_label)])
        pdf.Root.PageLabels = pikepdf.Dictionary(Nums=nums)
    return pdf


def save(pdf: pikepdf.Pdf, **options) -> bytes:  # noqa: ANN003
    buffer = io.BytesIO()
    pdf.save(buffer, **options)
    return buffer.getvalue()


def hostile(pdf: pikepdf.Pdf) -> pikepdf.Pdf:
    """The PDF armed with everything a reader must not carry over: a script run on
    opening, a page action, a launch action, a link to the web, a form field, an
    attachment, and a script hidden in the page's resources."""
    script = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
    pdf.Root.OpenAction = pdf.make_indirect(script)
    attachment = pikepdf.AttachedFileSpec(pdf, b"secret payload", filename="payload.exe")
    pdf.attachments["payload.exe"] = attachment
    field = pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Widget, FT=pikepdf.Name.Tx,
        T=pikepdf.String("name"), Rect=pikepdf.Array([50, 50, 200, 80])))
    pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array([field]))
    for page in pdf.pages:
        page.obj.AA = pikepdf.Dictionary(O=script)
        launch = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link,
                                    Rect=pikepdf.Array([0, 0, 100, 100]),
                                    A=pikepdf.Dictionary(S=pikepdf.Name.Launch,
                                                         F=pikepdf.String("calc.exe")))
        link = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link,
                                  Rect=pikepdf.Array([0, 100, 100, 200]),
                                  A=pikepdf.Dictionary(S=pikepdf.Name.URI,
                                                       URI=pikepdf.String("https://evil.example")))
        page.obj.Annots = pikepdf.Array([pdf.make_indirect(launch), pdf.make_indirect(link),
                                         field])
        page.obj.Resources.Font.F1.AA = pikepdf.Dictionary(O=script)   # hidden in a font
    return pdf


ACTING = ("/JavaScript", "/JS", "/Launch", "/URI", "/AcroForm", "/EmbeddedFiles",
          "/EmbeddedFile", "/OpenAction", "/AA", "/Widget")


def acting_objects(path: Path) -> list[str]:
    """Every place in a PDF where something could act rather than draw."""
    found = []
    with pikepdf.open(path) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
                for key in obj.keys():
                    if key in ACTING:
                        found.append(f"{obj.objgen}: {key}")
                values = [str(v) for v in obj.values() if isinstance(v, pikepdf.Name)]
                found.extend(f"{obj.objgen}: {v}" for v in values if v in ACTING)
    return found


def huge_png(width: int, height: int) -> bytes:
    """A tiny file that claims ``width`` x ``height`` pixels (its header says so; the
    pixels were never there): what a decompression bomb looks like."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + \
            struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + \
        chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


def text_pdf(pages: list[list[str]], first_label: int, size: tuple[float, float] = (432, 648)
             ) -> bytes:
    """A PDF set like a book's pages: each page ``lines`` of text (Helvetica 11 on 14) and
    its folio at the foot, labelled from ``first_label``; the text layer a publisher's PDF
    has. Lines are ASCII (escaped here for PDF strings)."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font,
                                                Subtype=pikepdf.Name.Type1,
                                                BaseFont=pikepdf.Name.Helvetica))
    for n, lines in enumerate(pages):
        shown = " Tj T* ".join("(" + line.replace("\\", "\\\\").replace("(", "\\(")
                               .replace(")", "\\)") + ")" for line in lines)
        ops = (f"BT /F1 11 Tf 14 TL 50 590 Td {shown} Tj ET "
               f"BT /F1 10 Tf 210 40 Td ({first_label + n}) Tj ET")
        page = pikepdf.Dictionary(Type=pikepdf.Name.Page,
                                  MediaBox=pikepdf.Array([0, 0, *size]),
                                  Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)),
                                  Contents=pikepdf.Stream(pdf, ops.encode()))
        pdf.pages.append(pikepdf.Page(page))
    nums = pikepdf.Array([0, pikepdf.Dictionary(S=pikepdf.Name.D, St=first_label)])
    pdf.Root.PageLabels = pikepdf.Dictionary(Nums=nums)
    return save(pdf)
