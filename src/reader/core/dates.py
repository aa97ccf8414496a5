"""Reproducible dates: every date reader writes comes from here.

Builds are reproducible: the same inputs give the same bytes. A document's
dates (the PDF's CreationDate, the deck's created/modified) are
``SOURCE_DATE_EPOCH`` when it is set (the reproducible-builds convention) and
left out otherwise. A zip member must carry a timestamp, so the deck's members
get SOURCE_DATE_EPOCH or, unset, 1980-01-01 (the zip format's epoch).
"""

from __future__ import annotations

import datetime
import os

ZIP_EPOCH = 315532800  # 1980-01-01T00:00:00Z: nothing in a zip can be older


def document_date() -> datetime.datetime | None:
    """The date to write into documents: SOURCE_DATE_EPOCH (UTC), or None when unset."""
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw.isdigit():
        return None
    return datetime.datetime.fromtimestamp(int(raw), tz=datetime.timezone.utc)


def zip_date() -> tuple[int, int, int, int, int, int]:
    """The timestamp for zip members: the document date, never before 1980."""
    moment = document_date()
    seconds = ZIP_EPOCH if moment is None else max(int(moment.timestamp()), ZIP_EPOCH)
    stamp = datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)
    return stamp.timetuple()[:6]


def pdf_date(moment: datetime.datetime) -> str:
    """A PDF date string (ISO 32000-1, 7.9.4), in UTC: ``D:20270115093000Z``."""
    return moment.strftime("D:%Y%m%d%H%M%SZ")


def iso_date(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
