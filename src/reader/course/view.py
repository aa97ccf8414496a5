"""The course as plain data for templates.

Templates are written by course authors too (a course's ``templates/`` overrides the
theme), and run sandboxed; they receive only what this module builds: strings, numbers,
booleans, lists and dicts. No model object, no ``pathlib.Path``, no callable with file or
process access reaches a template, so a template can print the course and nothing else.

The view is renderer-neutral: an item's body is the HTML the Markdown stage made (the
print form, footnotes inline); each renderer says how an image file is addressed
(``image_src``) and reshapes the body for its medium (the web edition turns footnotes into
linked notes). Printed page numbers come from the PageMap of the laid-out reader.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from markupsafe import Markup

from .copying import basis
from .documents import compact_pages, original_note
from .model import Course, Essay, Excerpt, Item, Part, Questions, Table, pages_label
from .pagemap import PageMap
from .pagetext import PageText, paragraphs, whole_words

PLAIN = (str, int, float, bool, type(None))

ImageSrc = Callable[[Path], str]
OriginalText = Mapping[str, Sequence[PageText]]     # excerpt name -> its pages' text


def course_view(course: Course, page_map: PageMap | None = None, *,
                image_src: ImageSrc | None = None,
                original_text: OriginalText | None = None) -> dict[str, Any]:
    """Everything a template may print about one variant of the course.

    ``original_text``: what the build read on the pages of each excerpt taken from a PDF
    or from images (reader.scans), for the editions that give those pages as text."""
    settings = course.settings
    pages = _pages(page_map)
    entries: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    texts = original_text or {}
    for entry in course.entries:
        if isinstance(entry, Part):
            part = _part(entry, pages)
            part["items"] = [_item(i, course, pages, page_map, image_src, texts)
                             for i in entry.items]
            items.extend(part["items"])
            entries.append(part)
        else:
            view = _item(entry, course, pages, page_map, image_src, texts)
            items.append(view)
            entries.append(view)
    return {
        "title": settings.title, "subtitle": settings.subtitle or "",
        "course": settings.course or "", "instructor": settings.instructor or "",
        "term": settings.term or "", "lang": settings.lang, "paper": settings.paper,
        "edition": settings.edition, "instructor_edition": course.instructor_edition,
        "class_name": settings.class_name or "", "outputs": list(settings.outputs),
        "entries": entries, "items": items,
        "sources": _sources(course, pages),
        "sources_pages": _page_fields("sources", pages),
        "permissions": _permissions(course, pages),
        "pages": {anchor: list(span) for anchor, span in pages.items()},
        "printed": bool(pages),
    }


def _pages(page_map: PageMap | None) -> dict[str, tuple[int, int]]:
    """anchor -> (first printed page, page count) for every anchor that has both."""
    if page_map is None:
        return {}
    return {anchor: (first, page_map.pages.get(anchor, 1))
            for anchor, first in page_map.start.items()}


def _page_fields(anchor: str, pages: dict[str, tuple[int, int]]) -> dict[str, Any]:
    first, count = pages.get(anchor, (0, 0))
    return {"page": first, "page_last": first + count - 1 if count else first}


def _part(part: Part, pages: dict[str, tuple[int, int]]) -> dict[str, Any]:
    return {"kind": "part", "anchor": part.anchor, "label": part.label,
            "number": part.number, "title_html": Markup(part.title_html),
            "title_text": part.title_text, **_page_fields(part.anchor, pages)}


def _item(item: Item, course: Course, pages: dict[str, tuple[int, int]],
          page_map: PageMap | None, image_src: ImageSrc | None,
          texts: OriginalText) -> dict[str, Any]:
    view: dict[str, Any] = {
        "kind": item.kind, "anchor": item.anchor, "label": item.label, "index": item.index,
        "title_html": Markup(item.title_html), "title_text": item.title_text,
        "part_anchor": item.part.anchor if item.part else "",
        "part_label": item.part.label if item.part else "",
        "part_title_text": item.part.title_text if item.part else "",
        "lang": "", "author": "", "html": Markup(""), "images": [],
        "original": False, "original_intro": "",
        "block_pages": _block_pages(item.anchor, page_map),
        **_page_fields(item.anchor, pages),
    }
    if isinstance(item, (Essay, Excerpt)) and item.doc is not None:
        view["lang"] = item.lang or ""
        view["author"] = item.author or ""
        view["html"] = Markup(item.doc.html)
        view["images"] = [{"uri": image.path.as_uri(), "alt": image.alt,
                           "decorative": item.is_decorative(image),
                           "src": image_src(image.path) if image_src else image.path.as_uri()}
                          for image in item.doc.images]
    if isinstance(item, Excerpt):
        view.update(headnote_html=Markup(item.headnote_html), attribution=item.attribution,
                    permission=item.permission or "", pages_label=item.pages_label,
                    **_original(item, texts.get(item.name, ()), page_map))
    elif isinstance(item, Questions):
        view.update(intro=item.intro or "", questions=[
            {"text_html": Markup(q.text_html), "anchor": item.question_anchor(n),
             # Teaching notes exist in the view of the instructor edition only.
             "notes_html": Markup(q.notes_html) if course.instructor_edition else Markup("")}
            for n, q in enumerate(item.questions)])
    elif isinstance(item, Table):
        view["table"] = _table(item)
    return view


def _original(excerpt: Excerpt, texts: Sequence[PageText], page_map: PageMap | None
              ) -> dict[str, Any]:
    """An excerpt taken from a PDF or images: its pages' text, page by page, each with its
    number in the original and the printed reader's page it is set on (0 where there is
    none; a page without text has no paragraphs); which pages' text is OCR's."""
    original = excerpt.original
    if original is None:
        return {"original": False, "original_intro": "", "original_pages_label": "",
                "original_text": [], "original_ocr_pages": ""}
    known = whole_words(t.text for t in texts)
    found: list[dict[str, Any]] = []
    ocr: list[str] = []
    for n, page in enumerate(original.pages):
        text = texts[n] if n < len(texts) else PageText("", False)
        anchor = f"{excerpt.anchor}-p{n + 1}"
        shown = paragraphs(text.text, page.printed, known)
        found.append({"printed": page.printed, "note": original_note(page.printed),
                      "anchor": anchor, "page": _printed_page(anchor, page_map),
                      "paragraphs": shown, "ocr": text.ocr})
        if text.ocr:
            ocr.append(page.printed)
    return {"original": True, "original_intro": excerpt.original_intro,
            "original_pages_label": pages_label(original.printed_pages),
            "original_text": found,
            "original_ocr_pages": pages_label(compact_pages(ocr)) if ocr else ""}


def _printed_page(anchor: str, page_map: PageMap | None) -> int:
    """The printed reader's page an anchor is on (an inserted page starts there, a figure
    of the single document is anchored there); 0 without a printed reader."""
    if page_map is None:
        return 0
    return page_map.start.get(anchor) or page_map.anchors.get(anchor) or 0


def _block_pages(anchor: str, page_map: PageMap | None) -> dict[str, int]:
    """The printed page of each block of an item (``ITEM-bN`` anchors), where the reader's
    layout recorded them."""
    if page_map is None:
        return {}
    prefix = f"{anchor}-b"
    return {key: page for key, page in {**page_map.anchors, **page_map.start}.items()
            if key.startswith(prefix) and key[len(prefix):].isdigit()}


def _table(table: Table) -> dict[str, Any]:
    numeric = table.numeric_columns()
    data: dict[str, Any] = {
        "columns": [{"name": name, "numeric": numeric[n]}
                    for n, name in enumerate(table.columns)],
        "rows": [[table.cell_text(r, c) for c in range(len(table.columns))]
                 for r in range(len(table.rows))],
        "source": table.source or "", "chart": None,
        # ids the deck cites pages by (rows: once per table, in its first column group)
        "row_anchors": [table.row_anchor(r) for r in range(len(table.rows))],
        "chart_anchor": table.chart_anchor,
    }
    chart = table.chart
    if chart is not None:
        x = table.columns.index(chart.x)
        data["chart"] = {
            "type": chart.type, "x": chart.x, "description": chart.description(table),
            "unit": table.unit,
            "lang": table.lang,
            "categories": [table.cell_text(r, x) for r in range(len(table.rows))],
            "series": [{"name": y, "values": [float(row[table.columns.index(y)])
                                              for row in table.rows]} for y in chart.y],
        }
    return data


def _sources(course: Course, pages: dict[str, tuple[int, int]]) -> list[dict[str, Any]]:
    return [{"citation_html": Markup(entry.source.citation_html()),
             "citation_text": entry.source.citation_text(),
             "readings": [{"label": r.label, "anchor": r.anchor, "title_text": r.title_text,
                           "pages_label": r.pages_label, **_page_fields(r.anchor, pages)}
                          for r in entry.readings],
             "permissions": list(entry.permissions)}
            for entry in course.sources()]


def _permissions(course: Course, pages: dict[str, tuple[int, int]]) -> list[dict[str, Any]]:
    """Each excerpt, on what basis it is reproduced (the permissions notice)."""
    return [{"label": e.label, "anchor": e.anchor, "title_text": e.title_text,
             "author": e.author or "", "citation_text": e.source.citation_text()
             if e.source else "", "pages_label": e.pages_label,
             "permission": e.permission or "", "basis": basis(e.permission).value,
             **_page_fields(e.anchor, pages)}
            for e in course.excerpts]


def check_plain(value: Any, where: str = "view") -> None:
    """Raise TypeError unless ``value`` is plain data all the way down (what a template
    may receive)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{where}: key {key!r} is not text")
            check_plain(inner, f"{where}.{key}")
    elif isinstance(value, list):
        for n, inner in enumerate(value):
            check_plain(inner, f"{where}[{n}]")
    elif not isinstance(value, PLAIN):
        raise TypeError(f"{where}: {type(value).__name__} is not plain data")


__all__ = ["course_view", "check_plain"]
