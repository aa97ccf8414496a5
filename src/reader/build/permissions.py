"""The permissions report: what a print shop or library needs to clear each excerpt."""

from __future__ import annotations

import csv
import io

from ..course.copying import basis, notes_by_excerpt
from ..course.model import Course, Excerpt

COLUMNS = ["item", "title", "author", "source_title", "publisher", "year", "source_pages",
           "reader_pages", "words", "permission", "basis", "warnings"]


def reader_pages(excerpt: Excerpt, page_map) -> str:  # noqa: ANN001
    if page_map is None or excerpt.anchor not in page_map.start:
        return ""
    first, last = page_map.range(excerpt.anchor)
    return str(first) if first == last else f"{first}-{last}"


def rows(course: Course, page_map) -> list[dict[str, str]]:  # noqa: ANN001
    warnings = notes_by_excerpt(course.excerpts)
    out = []
    for e in course.excerpts:
        assert e.source is not None
        out.append({
            "item": e.label, "title": e.title_text, "author": e.author or "",
            "source_title": e.source.title, "publisher": e.source.publisher or "",
            "year": e.source.year or "", "source_pages": e.pages or "",
            "reader_pages": reader_pages(e, page_map), "words": str(e.word_count),
            "permission": e.permission or "",
            "basis": basis(e.permission).value, "warnings": "; ".join(warnings[e.anchor]),
        })
    return out


def permissions_csv(course: Course, page_map) -> str:  # noqa: ANN001
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows(course, page_map))
    return buffer.getvalue()
