"""The permissions report: what a copy centre or copyright office needs to clear each reading.

Copy centres (CCC in the US, Access Copyright and COPIBEC in Canada, the CLA in the UK)
ask, per item: author, title, chapter or article, publisher, place, year, edition,
ISBN/ISSN, the exact pages, how many pages that is and of how many in the work, the
licence basis, the rights holder, and the course's enrolment and copies. One row per
reading, as `dist/permissions.csv` (for tools) and `dist/permissions.xlsx` (for people:
headings, widths, totals and the course's details). The warnings are the copying
guideline's (course/copying.py), the same the build prints.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from ..course.copying import licence_of, notes_by_excerpt
from ..course.model import Course, Excerpt
from ..course.pagemap import PageMap

# (column in the CSV, heading in the workbook, width in the workbook)
COLUMNS: list[tuple[str, str, int]] = [
    ("item", "Item", 11), ("file", "File", 24), ("title", "Reading", 30),
    ("author", "Author", 20), ("chapter", "Chapter or article", 24),
    ("source_title", "Work", 32), ("edition", "Edition", 9), ("publisher", "Publisher", 22),
    ("place", "Place", 12), ("year", "Year", 7), ("isbn", "ISBN / ISSN", 17),
    ("source_pages", "Pages in the work", 14), ("pages_used", "Pages used", 8),
    ("work_pages", "Pages of the work", 9), ("share", "Share of the work", 9),
    ("reader_pages", "Reader pages", 10), ("words", "Words", 8),
    ("basis", "Licence basis", 16), ("permission", "Permission as printed", 30),
    ("reference", "Reference", 14), ("expires", "Expires", 11),
    ("rights_holder", "Rights holder", 22), ("course", "Course", 20), ("term", "Term", 12),
    ("enrolment", "Enrolment", 9), ("copies", "Copies", 8), ("warnings", "Warnings", 50),
]
FIELDS = [name for name, _, _ in COLUMNS]
# What a change of term must be cleared again for (not where it lands in the reader).
RIGHTS_FIELDS = ["title", "author", "chapter", "source_title", "edition", "publisher",
                 "place", "year", "isbn", "source_pages", "pages_used", "basis", "permission",
                 "reference", "expires", "rights_holder", "enrolment", "copies"]


def reader_pages(excerpt: Excerpt, page_map: PageMap | None) -> str:
    if page_map is None or excerpt.anchor not in page_map.pages:
        return ""
    first, last = page_map.range(excerpt.anchor)
    return str(first) if first == last else f"{first}-{last}"


def rows(course: Course, page_map: PageMap | None) -> list[dict[str, str]]:
    """One row per reading, in course order; every value as text."""
    warnings = notes_by_excerpt(course.excerpts)
    settings = course.settings
    copies = settings.copies or settings.enrolment
    out = []
    for e in course.excerpts:
        source = e.source
        assert source is not None
        used, whole = e.pages_used, source.work_pages
        out.append({
            "item": e.label, "file": e.name, "title": e.title_text, "author": e.author or "",
            "chapter": source.chapter or "", "source_title": source.title,
            "edition": source.edition or "", "publisher": source.publisher or "",
            "place": source.place or "", "year": source.year or "", "isbn": source.isbn or "",
            "source_pages": e.pages or "", "pages_used": str(used or ""),
            "work_pages": str(whole or ""),
            "share": f"{used / whole:.1%}" if used and whole else "",
            "reader_pages": reader_pages(e, page_map), "words": str(e.word_count),
            "basis": licence_of(e).value, "permission": e.permission or "",
            "reference": e.licence.reference or "" if e.licence else "",
            "expires": f"{e.licence.expires:%Y-%m-%d}" if e.licence and e.licence.expires
            else "",
            "rights_holder": source.rights_holder or "", "course": settings.course or "",
            "term": settings.term or "", "enrolment": str(settings.enrolment or ""),
            "copies": str(copies or ""), "warnings": "; ".join(warnings[e.anchor]),
        })
    return out


def permissions_csv(course: Course, page_map: PageMap | None) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows(course, page_map))
    return buffer.getvalue()


def permissions_xlsx(course: Course, page_map: PageMap | None) -> bytes:
    """The same rows as a workbook a copy centre can read: a sheet of readings with
    headings, widths and totals, and a sheet of the course's details."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    from ..core.zips import normalise_zip

    table = rows(course, page_map)
    book = Workbook()
    sheet = book.worksheets[0]
    sheet.title = "Readings"
    sheet.append([heading for _, heading, _ in COLUMNS])
    numeric = {"pages_used", "work_pages", "words", "enrolment", "copies"}
    for row in table:
        sheet.append([int(row[name]) if name in numeric and row[name].isdigit() else row[name]
                      for name in FIELDS])
    for index, (_, _, width) in enumerate(COLUMNS, 1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="F3EEE6")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "C2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{len(table) + 1}"
    pages = sum(int(r["pages_used"]) for r in table if r["pages_used"].isdigit())
    copies = course.settings.copies or course.settings.enrolment
    total = sheet.max_row + 2
    sheet.cell(total, 1, "Total").font = Font(bold=True)
    sheet.cell(total, FIELDS.index("pages_used") + 1, pages).font = Font(bold=True)
    details = book.create_sheet("Course")
    for label, value in _course_details(course, len(table), pages, copies):
        details.append([label, value])
    details.column_dimensions["A"].width = 28
    details.column_dimensions["B"].width = 50
    for cell in details["A"]:
        cell.font = Font(bold=True)
    buffer = io.BytesIO()
    book.save(buffer)
    return normalise_zip(buffer.getvalue())


def _course_details(course: Course, readings: int, pages: int, copies: int | None
                    ) -> Iterable[tuple[str, object]]:
    settings = course.settings
    yield "Course", settings.course or ""
    yield "Title", settings.title
    yield "Term", settings.term or ""
    yield "Instructor", settings.instructor or ""
    yield "Class", settings.class_name or ""
    yield "Enrolment", settings.enrolment or ""
    yield "Copies", copies or ""
    yield "Readings", readings
    yield "Pages used (all readings)", pages
    if copies:
        yield "Page impressions (pages x copies)", pages * copies


def changes_since(old_csv: str, new_rows: list[dict[str, str]]) -> list[str]:
    """What changed since an earlier permissions.csv (last term's): readings added or
    removed, and changed rights details, each a line to act on (clearance must be asked
    again each term)."""
    old = {_identity(row): row for row in csv.DictReader(io.StringIO(old_csv))}
    new = {_identity(row): row for row in new_rows}
    lines = []
    for key, row in new.items():
        if key not in old:
            lines.append(f"added: {row['item']} {row['title']} ({_work(row)})")
    for key, row in old.items():
        if key not in new:
            lines.append(f"removed: {row.get('item', '')} {row.get('title', '')} "
                         f"({_work(row)})")
    for key, row in new.items():
        before = old.get(key)
        if before is None:
            continue
        changed = [f"{name} {before.get(name, '')!r} -> {row[name]!r}" for name in RIGHTS_FIELDS
                   if name in before and before.get(name, "") != row[name]]
        if changed:
            lines.append(f"changed: {row['item']} {row['title']}: {'; '.join(changed)}")
    return lines


def _identity(row: dict[str, str]) -> str:
    """A reading is the same across terms when it is the same file (or, in a report from
    before files were listed, the same title and work)."""
    return row.get("file") or f"{row.get('title', '')}|{row.get('source_title', '')}"


def _work(row: dict[str, str]) -> str:
    pages = row.get("source_pages")
    return f"{row.get('source_title', '')}{', pp. ' + pages if pages else ''}"
