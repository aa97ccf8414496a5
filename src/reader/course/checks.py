"""Lossy situations a lecturer should hear about (warnings; errors under --strict)."""

from __future__ import annotations

from ..errors import Location, Problem
from .model import Course, Essay, Excerpt, Table

PROSE_WORD_LIMIT = 1000      # classroom-copying guideline for a prose excerpt
MIN_PRINT_DPI = 150
TEXT_WIDTH_IN = 6.3          # the reader's text column on letter or A4, roughly
MAX_TABLE_COLUMNS_CHARS = 95  # beyond this a table's natural width exceeds the column


def course_warnings(course: Course) -> list[Problem]:
    found: list[Problem] = []
    for item in course.items:
        where = Location(item.path, None, None, course.root)
        if isinstance(item, Excerpt) and item.word_count > PROSE_WORD_LIMIT:
            found.append(Problem(where, f"{item.label} is {item.word_count} words, over the "
                                        f"{PROSE_WORD_LIMIT}-word classroom-copying guideline "
                                        "for a prose excerpt; shorten it or clear permission"))
        if isinstance(item, (Essay, Excerpt)) and item.doc is not None:
            found.extend(_image_warnings(item, course))
        if isinstance(item, Table):
            widest = sum(max([len(str(c))] + [len(item.cell_text(r, i))
                                               for r in range(len(item.rows))])
                         for i, c in enumerate(item.columns))
            if widest > MAX_TABLE_COLUMNS_CHARS:
                found.append(Problem(where, f"{item.label} is wider than the page "
                                            f"({len(item.columns)} columns); its cells will "
                                            "wrap; consider splitting it"))
    found.extend(_copying_warnings(course))
    return found


def _copying_warnings(course: Course) -> list[Problem]:
    """More than two excerpts from one author or one work: one warning each."""
    from collections import defaultdict

    groups: dict[tuple[str, str], list[Excerpt]] = defaultdict(list)
    for e in course.excerpts:
        if e.author:
            groups[("author", e.author)].append(e)
        groups[("work", e.source.title)].append(e)
    found = []
    warned: set[tuple[str, ...]] = set()
    for (kind, name), excerpts in groups.items():
        key = tuple(e.anchor for e in excerpts)
        if len(excerpts) > 2 and key not in warned:
            warned.add(key)
            labels = ", ".join(e.label for e in excerpts)
            what = f"by {name}" if kind == "author" else f"from '{name}'"
            found.append(Problem(Location(course.manifest_path, None, None, course.root),
                                 f"{len(excerpts)} excerpts {what} ({labels}); classroom-"
                                 "copying guidelines allow two; clear permission for the rest"))
    return found


def _image_warnings(item: Essay | Excerpt, course: Course) -> list[Problem]:
    from PIL import Image as PILImage

    found = []
    for image in item.doc.images:
        if image.path.suffix.lower() == ".svg":
            continue
        with PILImage.open(image.path) as img:
            width_px = img.size[0]
        dpi = width_px / TEXT_WIDTH_IN
        if dpi < MIN_PRINT_DPI:
            found.append(Problem(image.location, f"{item.label}: image '{image.path.name}' is "
                                                 f"{width_px} px wide, about {dpi:.0f} dpi at "
                                                 f"print size (below {MIN_PRINT_DPI}); it will "
                                                 "look soft on paper; use a larger image"))
    return found
