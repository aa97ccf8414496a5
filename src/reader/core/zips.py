"""Zip packages (the deck, the permissions workbook) written the same way every time.

A zip records a timestamp for each member, and office files record their creation date
inside; both come from core.dates, so the same inputs give the same bytes.
"""

from __future__ import annotations

import datetime
import io
import re
import zipfile
from collections.abc import Callable

from .dates import document_date, iso_date, zip_date

_CORE_DATES = re.compile(rb"<(dcterms:created|dcterms:modified|cp:lastPrinted)\b[^>]*?"
                         rb"(?:/>|>[^<]*</\1>)")


def _core_dates(body: bytes, moment: "datetime.datetime | None") -> bytes:
    """The deck's created/modified dates: the document date, or none at all."""
    body = _CORE_DATES.sub(b"", body)
    if moment is None:
        return body
    stamp = iso_date(moment).encode()
    dates = (b'<dcterms:created xsi:type="dcterms:W3CDTF">' + stamp + b"</dcterms:created>"
             b'<dcterms:modified xsi:type="dcterms:W3CDTF">' + stamp + b"</dcterms:modified>")
    return body.replace(b"</cp:coreProperties>", dates + b"</cp:coreProperties>")


def normalise_zip(data: bytes, transform: Callable[[str, bytes], bytes] | None = None) -> bytes:
    """Rewrite a zip (the .pptx) with fixed timestamps so identical decks are identical bytes.

    Charts embed their data as .xlsx workbooks (zips again, with their own
    creation dates), so those are normalised too.
    """
    moment = document_date()
    stamp = zip_date()
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info.filename)
            if transform is not None:
                body = transform(info.filename, body)
            if info.filename.endswith(".xlsx"):
                body = normalise_zip(body)
            elif info.filename in ("docProps/core.xml",):
                body = _core_dates(body, moment)
            clean = zipfile.ZipInfo(info.filename, date_time=stamp)
            clean.compress_type = zipfile.ZIP_DEFLATED
            clean.external_attr = 0o644 << 16
            target.writestr(clean, body)
    return out.getvalue()
