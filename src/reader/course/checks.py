"""Lossy situations a lecturer should hear about (warnings; errors under --strict)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..core.files import resolve_in_course
from ..core.yamlsource import Invalid
from ..errors import Location, Problem
from .copying import findings, too_long
from .markdown import Document
from .model import Course, Essay, Excerpt, Prose, Table

MIN_PRINT_DPI = 150
TEXT_WIDTH_IN = 4.7          # the reader's text block (120 mm on letter, 114 mm on A4)


def course_warnings(course: Course) -> list[Problem]:
    found: list[Problem] = []
    for item in course.items:
        if isinstance(item, (Essay, Excerpt)) and item.doc is not None:
            found.extend(_image_warnings(item, item.doc, course))
    found.extend(_copying_warnings(course))
    return found


def table_warnings(course: Course, fits: Mapping[str, Any]) -> list[Problem]:
    """Tables too wide for the text block, with what the build did about each.

    ``fits`` is how each table is printed, decided from the real layout by
    pdf/tables.py (a Fit has ``adjusted`` and ``describe()``); a table that needed
    nothing is not mentioned. ``reader check`` lays nothing out, so it cannot say.
    """
    found = []
    for item in course.items:
        fit = fits.get(item.anchor)
        if isinstance(item, Table) and fit is not None and fit.adjusted:
            found.append(Problem(Location(item.path, None, None, course.root),
                                 f"{item.label} ({len(item.columns)} columns) is wider than "
                                 f"the text block; it is printed {fit.describe()}"))
    return found


def missing_alt_text(course: Course) -> list[Problem]:
    """Images that say nothing to a screen reader: no alt text and not marked decorative.

    Warnings for a print-only build; errors when the build makes a screen edition (web,
    EPUB) and under --strict. Charts always have a text alternative (their ``alt:`` or a
    description made from their data, beside the table they are drawn from).
    """
    found = []
    for item in course.items:
        if not isinstance(item, Prose) or item.doc is None:
            continue
        for image in item.doc.images:
            if not image.alt.strip() and not item.is_decorative(image):
                name = image.path.name
                found.append(Problem(image.location, f"image '{name}' has no alt text; write "
                                     "![what it shows](path) so screen readers can describe "
                                     "it, or list it under 'decorative:' in the front matter "
                                     "if it carries no information"))
    return found


def _copying_warnings(course: Course) -> list[Problem]:
    """The copying guideline's findings (course.copying), located where the lecturer acts:
    the excerpt's file for its length, course.yaml for a group of excerpts."""
    by_anchor = {e.anchor: e for e in course.excerpts}
    found = []
    for finding in findings(course.excerpts):
        path = course.manifest_path if finding.group else by_anchor[finding.anchors[0]].path
        found.append(Problem(Location(path, None, None, course.root),
                             f"{finding.message}; clear permission (and say so in "
                             "'permission:') or shorten the reading"))
    return found


def _image_warnings(item: Essay | Excerpt, doc: Document, course: Course) -> list[Problem]:
    from PIL import Image as PILImage

    found = []
    for image in doc.images:
        if image.path.suffix.lower() == ".svg":
            reason = svg_problem(image.path, course.root)
            if reason:
                found.append(Problem(image.location, f"{item.label}: image "
                                                     f"'{image.path.name}' {reason}"))
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


def original_length_warnings(course: Course) -> list[Problem]:
    """Excerpts from PDFs or images longer than the guideline allows: known only once their
    pages are read (their words are 0 when the course is first checked)."""
    found = []
    for excerpt in course.excerpts:
        finding = too_long(excerpt) if excerpt.original is not None else None
        if finding is not None:
            found.append(Problem(Location(excerpt.path, None, None, course.root),
                                 f"{finding.message}; clear permission (and say so in "
                                 "'permission:') or shorten the reading"))
    return found


_SVG_REFERENCE = re.compile(r"""(?:href\s*=\s*["']|url\(\s*["']?)([^"')\s]+)""", re.I)


def svg_problem(path: Path, root: Path) -> str | None:
    """Why an SVG image would not be drawn as it is, or None. WeasyPrint drops an SVG it
    cannot parse, and leaves out what it may not load, without a word: said here."""
    from lxml import etree

    data = path.read_bytes()
    if b"<!DOCTYPE" in data[:4096].upper():
        return ("has a DOCTYPE, which is not drawn (entities are not expanded); remove the "
                "<!DOCTYPE ...> line")
    try:
        etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True,
                                               huge_tree=False))
    except etree.XMLSyntaxError as exc:
        return f"is not well-formed SVG ({exc.msg}, line {exc.lineno}); it would not be drawn"
    for reference in _SVG_REFERENCE.findall(data.decode("utf-8", "replace")):
        if reference.startswith("#") or reference.startswith("data:"):
            continue
        try:
            resolve_in_course(root, path.parent, reference)
        except Invalid as exc:
            return f"refers to {reference}, which is not drawn: {exc}"
    return None
