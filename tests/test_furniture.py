"""Running heads and folios of the fast reader are the ones a single-document render draws:
pixel for pixel, with the theme's own CSS deciding them (pdf/furniture.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import Course, essay, run
from verify import RASTER_DPI, RASTER_MAX_PIXELS, RASTER_THRESHOLD, pixel_difference, \
    render_pages

from reader.pdf.furniture import MAX_HEAD_CHARACTERS, running_head


def _differences(fast: Path, single: Path) -> list[str]:
    out = []
    for number, (a, b) in enumerate(zip(render_pages(fast, RASTER_DPI),
                                        render_pages(single, RASTER_DPI)), 1):
        if a.shape != b.shape:
            out.append(f"page {number}: other size")
        elif (pixel_difference(a, b) > RASTER_THRESHOLD).sum() > RASTER_MAX_PIXELS:
            out.append(f"page {number}: {int((pixel_difference(a, b) > RASTER_THRESHOLD).sum())}"
                       " pixels differ")
    return out


def _single(root: Path, out: Path) -> Path:
    from reader.course.manifest import load_manifest
    from reader.course.model import build_course
    from reader.course.theme import theme_for
    from reader.pdf.book import render_single

    manifest = load_manifest(root)
    data, _ = render_single(build_course(manifest, manifest.variant()),
                            theme_for(manifest.templates, root))
    out.write_bytes(data)
    return out


LONG = ("A very long title about the grain procurement crisis of 1927 and 1928 and what "
        "followed from it in the countryside")


@pytest.mark.slow
def test_heads_and_folios_match_the_single_document_pixel_for_pixel(course: Course,
                                                                      tmp_path: Path):
    """Long titles (cut the same way on both paths), an opening page on the left, duplex
    blank pages, a landscape table, and a course stylesheet that colours the heads and
    prints a constant in the bottom margin: every page equal to the single document."""
    body = "\n\n".join(["Paragraph of the essay, long enough to fill lines. " * 12] * 9)
    course.write("s/a.md", essay(LONG, body))
    course.write("s/b.md", essay("Short one", body))
    columns = ["Region"] + [f"Upper middle class {n}" for n in range(8)]
    course.write("s/t.yaml", yaml.safe_dump({
        "title": "A wide table", "columns": columns,
        "rows": [[f"Region {r}"] + [r * c for c in range(8)] for r in range(12)]}))
    course.write("templates/extra.css",
                 "@page { @top-right { color: var(--accent); } "
                 "@bottom-center { content: 'Draft for HIST 1'; font: 8pt var(--heading-font) } }")
    course.manifest({"title": LONG, "duplex": True, "contents": [
        {"part": "One", "items": [{"essay": "s/a.md"}, {"table": "s/t.yaml"}]},
        {"part": "Two", "items": [{"essay": "s/b.md"}]}]})
    result = run("build", str(course.root))
    assert result.exit_code == 0, result.output
    fast = course.dist / "reader.pdf"
    assert _differences(fast, _single(course.root, tmp_path / "single.pdf")) == []
    from pypdf import PdfReader

    pages = [p.extract_text() for p in PdfReader(str(fast)).pages]
    assert sum("Draft for HIST 1" in p for p in pages) >= 8
    assert running_head(LONG) != LONG
    assert any(running_head(LONG) in p for p in pages)


@pytest.mark.unit
def test_running_heads_are_short_titles():
    assert running_head("The scissors crisis") == "The scissors crisis"
    head = running_head(LONG)
    assert len(head) <= MAX_HEAD_CHARACTERS and head.endswith("…")
    assert LONG.startswith(head[:-1])
    assert not head[:-1].endswith(" ")
    assert running_head("  spaced\n  title ") == "spaced title"
    assert running_head("x" * 200).endswith("…")
