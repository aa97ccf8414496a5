"""A course's original pages, prepared: every page once, in parallel, cached.

``prepare(course, runner, folder)`` gives, for each excerpt taken from a PDF or from
images, its pages as prepared by prepare.py: from ``.reader-cache/pages/`` when a page
was prepared before (with the same content, settings and tools), otherwise by the
build's workers (the slow step: OCR), with progress reported as pages are done.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..core.store import Store
from ..core.tasks import InProcess, Runner, completed
from ..course.model import Course, Excerpt
from ..errors import Location, Problem
from .prepare import PageJob, Record, file_digest, job_key, task_prepare

PREPARE_SOON = 0          # task priority: the reader and the deck wait for these pages
SHELF = "pages"


@dataclass
class Prepared:
    """One page of an original, ready to place: a one-page PDF and its record."""

    key: str
    printed: str               # its number in the original
    pdf: bytes
    record: Record


@dataclass
class Originals:
    """The prepared pages of every excerpt taken from a PDF or from images, by item name,
    and what the lecturer should hear about them."""

    pages: dict[str, list[Prepared]] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)
    prepared: int = 0          # pages prepared in this build (the rest came from the cache)
    reused: int = 0

    def of(self, excerpt: Excerpt) -> list[Prepared]:
        return self.pages.get(excerpt.name, [])

    def words(self, excerpt: Excerpt) -> int:
        """The words on an excerpt's pages (their own text, or OCR's)."""
        import re

        return sum(len(re.findall(r"\w+(?:['’-]\w+)*", page.record.text))
                   for page in self.of(excerpt))


_DIGESTS: dict[tuple[str, int, int], str] = {}   # per process: file -> sha256, by size+mtime


def _digest(path: Path) -> str:
    """A file's sha256, remembered while its size and modification time stay the same (a
    watch session rebuilds often; the file may be hundreds of MB)."""
    info = os.stat(path)
    key = (str(path), info.st_size, info.st_mtime_ns)
    if key not in _DIGESTS:
        if len(_DIGESTS) > 4096:
            _DIGESTS.clear()
        _DIGESTS[key] = file_digest(path)
    return _DIGESTS[key]


def jobs(excerpt: Excerpt) -> list[PageJob]:
    original = excerpt.original
    if original is None:
        return []
    kind = "pdf" if original.kind == "pdf" else "image"
    return [PageJob(str(page.path), page.index, kind, _digest(page.path), original.crop,
                    original.lang, original.password) for page in original.pages]


def prepare(course: Course, runner: Runner | None = None, store: Store | None = None,
            progress: Callable[[int, int, str], None] | None = None) -> Originals:
    """Every original page of the course, prepared (see the module docstring)."""
    result = Originals()
    shelf = (store or Store(None)).shelf(SHELF, ".pdf")
    wanted: dict[str, list[tuple[str, str]]] = {}       # item name -> [(key, printed)]
    todo: dict[str, PageJob] = {}
    found: dict[str, tuple[bytes, Record]] = {}
    for excerpt in course.excerpts:
        if excerpt.original is None:
            continue
        entries = []
        for job, page in zip(jobs(excerpt), excerpt.original.pages):
            key = job_key(job)
            entries.append((key, page.printed))
            if key in found or key in todo:
                continue
            hit = shelf.get(key)
            if hit is not None:
                found[key] = (hit[0], Record.from_json(hit[1]["page"]))
                result.reused += 1
            else:
                todo[key] = job
        wanted[excerpt.name] = entries
    if todo:
        for key, (data, record) in _run(runner or InProcess(), todo, progress):
            shelf.put(key, data, {"page": record})
            found[key] = (data, Record.from_json(record))
        result.prepared = len(todo)
    for excerpt in course.excerpts:
        if excerpt.name in wanted:
            result.pages[excerpt.name] = [Prepared(key, printed, *found[key])
                                          for key, printed in wanted[excerpt.name]]
    result.warnings = _warnings(course, result)
    return result


def _run(runner: Runner, todo: dict[str, PageJob],
         progress: Callable[[int, int, str], None] | None
         ) -> Iterator[tuple[str, tuple[bytes, dict]]]:
    """Each page's preparation as it finishes (so every page done is cached at once, even
    if the build is stopped later); the first failure stops the rest."""
    futures = {runner.submit(task_prepare, job, priority=PREPARE_SOON): key
               for key, job in todo.items()}

    def said(done: int, total: int) -> None:
        if progress is not None:
            progress(done, total, "original pages prepared")

    for future in completed(futures, said):
        yield futures[future], future.result()


def _warnings(course: Course, originals: Originals) -> list[Problem]:
    """One warning per excerpt and reason (not one per page)."""
    found: list[Problem] = []
    for excerpt in course.excerpts:
        notes: dict[str, list[str]] = {}
        for page in originals.of(excerpt):
            if page.record.note:
                notes.setdefault(page.record.note, []).append(page.printed)
        for note, printed in notes.items():
            where = Location(excerpt.path, None, None, course.root)
            found.append(Problem(where, f"{excerpt.label}, p. {', '.join(printed)}: {note}"))
    return found


def picture(page: Prepared, dpi: int, window: tuple[float, float, float, float] | None = None
            ) -> bytes:
    """The prepared page (or its ``window``: left, top, right, bottom in points from the
    top-left corner) as a PNG at ``dpi``, drawn by PDFium: black and white when the page
    is and the picture is for print (200 dpi or more), so a 300 dpi picture of a page of
    text stays small; grey below, where black and white would look jagged."""
    import io

    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(page.pdf)
    try:
        bitmap = document[0].render(scale=dpi / 72, grayscale=True, may_draw_forms=False)
        image = bitmap.to_pil().convert("L")
    finally:
        document.close()
    if window is not None:
        scale = dpi / 72
        left, top, right, bottom = (round(v * scale) for v in window)
        image = image.crop((max(0, left), max(0, top), min(image.size[0], right),
                            min(image.size[1], bottom)))
    if page.record.encoding == "g4" and dpi >= 200:   # black and white stays so, and small
        image = image.point(lambda v: 255 if v > 160 else 0).convert("1")
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True, dpi=(dpi, dpi))
    return buffer.getvalue()


def _searchable(text: str) -> str:
    """Text as compared when looking for a passage: words only, lower case, a word broken
    by a hyphen at a line's end joined again, quotation marks and dashes aside."""
    import re
    import unicodedata

    text = re.sub(r"(\w)-\s*\n\s*(\w)", r"\1\2", text)
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.findall(r"\w+", text))


def page_of_passage(passage: str, pages: list[Prepared]) -> int | None:
    """Which of ``pages`` a passage starts on (its index), by the pages' text (their own
    or OCR's); a passage that runs over a page break is found where it begins."""
    wanted = _searchable(passage)
    if not wanted:
        return None
    texts = [_searchable(page.record.text) for page in pages]
    for n, text in enumerate(texts):
        if wanted in text:
            return n
    for n in range(len(texts) - 1):        # over a page break: where its start lies
        joined = texts[n] + " " + texts[n + 1]
        at = joined.find(wanted)
        if 0 <= at < len(texts[n]):
            return n
    return None
