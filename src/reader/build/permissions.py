"""The permissions report: what a print shop or library needs to clear each excerpt."""

from __future__ import annotations

import csv
import io
from collections import Counter

from ..course.checks import PROSE_WORD_LIMIT
from ..course.model import Course, Excerpt

COLUMNS = ["item", "title", "author", "source_title", "publisher", "year", "source_pages",
           "reader_pages", "words", "permission", "warnings"]


def reader_pages(excerpt: Excerpt, page_map) -> str:  # noqa: ANN001
    if page_map is None or excerpt.anchor not in page_map.start:
        return ""
    first, last = page_map.range(excerpt.anchor)
    return str(first) if first == last else f"{first}-{last}"


def excerpt_warnings(course: Course) -> dict[str, list[str]]:
    """Warnings by the common classroom-copying guidelines, per excerpt."""
    by_author = Counter(e.author for e in course.excerpts if e.author)
    by_work = Counter(e.source for e in course.excerpts)
    found: dict[str, list[str]] = {}
    for e in course.excerpts:
        notes = []
        if e.word_count > PROSE_WORD_LIMIT:
            notes.append(f"over {PROSE_WORD_LIMIT} words ({e.word_count})")
        if e.author and by_author[e.author] > 2:
            notes.append(f"{by_author[e.author]} excerpts by {e.author} (guideline: 2)")
        if by_work[e.source] > 2:
            notes.append(f"{by_work[e.source]} excerpts from {e.source.title} (guideline: 2)")
        found[e.anchor] = notes
    return found


def rows(course: Course, page_map) -> list[dict[str, str]]:  # noqa: ANN001
    warnings = excerpt_warnings(course)
    out = []
    for e in course.excerpts:
        assert e.source is not None
        out.append({
            "item": e.label, "title": e.title_text, "author": e.author or "",
            "source_title": e.source.title, "publisher": e.source.publisher or "",
            "year": e.source.year or "", "source_pages": e.pages or "",
            "reader_pages": reader_pages(e, page_map), "words": str(e.word_count),
            "permission": e.permission or "", "warnings": "; ".join(warnings[e.anchor]),
        })
    return out


def permissions_csv(course: Course, page_map) -> str:  # noqa: ANN001
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows(course, page_map))
    return buffer.getvalue()
