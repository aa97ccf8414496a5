"""Per-item rendering: the assembled reader is the single-document reader, only faster,
and the cache re-renders exactly what changed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from conftest import Course, essay, excerpt, pdf_outline, pdf_pages, run
from reader.build.pipeline import build


def _course(course, paragraphs: int = 6, duplex: bool = False):
    def body(n: int, extra: int = 0) -> str:
        return "\n\n".join(f"Paragraph {k} of essay {n}. " + "Words across the page. " * 30 +
                           (f"Footnote here.[^{k}]" if k == 1 else "")
                           for k in range(paragraphs + extra)) + "\n\n[^1]: A note."
    course.body = body
    for n in range(1, 5):
        course.write(f"s/e{n}.md", essay(f"Essay title {n}", body(n)))
    course.write("s/x.md", excerpt("An excerpt", "Quoted words. " * 60))
    course.write("s/q.yaml", yaml.safe_dump({"title": "Questions", "questions": ["Why?"]}))
    manifest = {"title": "Assembly", "instructor": "Dr A", "contents": [
        {"part": "First", "items": [{"essay": "s/e1.md"}, {"excerpt": "s/x.md"}]},
        {"part": "Second", "items": [{"essay": "s/e2.md"}, {"essay": "s/e3.md"},
                                     {"questions": "s/q.yaml"}]},
        {"essay": "s/e4.md"}]}
    if duplex:
        manifest["duplex"] = True
    course.manifest(manifest)
    return course


@pytest.fixture(scope="module")
def simplex(tmp_path_factory) -> Course:
    """The assembly course (simplex), built once for the tests that only read it."""
    course = Course(tmp_path_factory.mktemp("assembly") / "course")
    course.root.mkdir()
    _course(course)
    result = run("build", str(course.root))
    assert result.exit_code == 0, result.output
    return course


def _single_reference(root: Path, tmp_path: Path) -> Path:
    from reader.course.manifest import load_manifest
    from reader.course.model import build_course
    from reader.pdf.book import render_single
    from reader.course.theme import theme_for

    manifest = load_manifest(root)
    model = build_course(manifest, manifest.variant())
    data, _ = render_single(model, theme_for(manifest.templates, root))
    out = tmp_path / "single.pdf"
    out.write_bytes(data)
    return out


def _folios(pages: list[str]) -> list[str]:
    """The page number printed on each body page (first or last line of its text)."""
    out = []
    for text in pages:
        lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
        numbers = [ln for ln in (lines[:1] + lines[-1:]) if re.fullmatch(r"\d+|[ivx]+", ln)]
        out.append(numbers[-1] if numbers else "")
    return out


@pytest.mark.parametrize("duplex", [False, True], ids=["simplex", "duplex"])
def test_assembled_reader_matches_single_document(request, tmp_path, duplex):
    if duplex:
        course = _course(request.getfixturevalue("course"), duplex=True)
        assert run("build", str(course.root)).exit_code == 0
    else:
        course = request.getfixturevalue("simplex")
    fast = course.dist / "reader.pdf"
    single = _single_reference(course.root, tmp_path)
    fast_pages, single_pages = pdf_pages(fast), pdf_pages(single)
    assert len(fast_pages) == len(single_pages)
    assert _folios(fast_pages) == _folios(single_pages)
    assert re.sub(r"\s+", " ", fast_pages[1]) == re.sub(r"\s+", " ", single_pages[1])  # contents
    assert pdf_outline(fast) == pdf_outline(single)
    for a, b in zip(fast_pages, single_pages):  # running heads and text, page by page
        assert a.split() == b.split()
    assert fast.stat().st_size <= 1.5 * single.stat().st_size


def test_duplex_parts_start_on_right_pages(course, tmp_path):
    _course(course, duplex=True)
    data = yaml.safe_load((course.root / "course.yaml").read_text())
    data["contents"][0]["items"].append({"questions": "s/q.yaml"})  # part I: 1 + 3 pages
    data["contents"][1]["items"].pop()
    course.manifest(data)
    assert run("build", str(course.root)).exit_code == 0
    pages = pdf_pages(course.dist / "reader.pdf")
    for title in ("First", "Second"):
        index = next(i for i, p in enumerate(pages) if p.strip().startswith("PART") and
                     title in p)
        assert (index - 2 + 1) % 2 == 1, f"part {title} on a left page"
    blanks = [i for i, p in enumerate(pages) if not p.strip()]
    assert blanks, "a blank left page was inserted before a part"
    single = pdf_pages(_single_reference(course.root, tmp_path))
    assert [i for i, p in enumerate(single) if not p.strip()] == blanks
    assert _folios(pages) == _folios(single)


def test_contents_links_land_on_their_pages(simplex):
    from pypdf import PdfReader

    reader = PdfReader(str(simplex.dist / "reader.pdf"))
    pages = [p.extract_text() for p in reader.pages]
    refs = [p.indirect_reference for p in reader.pages]
    targets = [refs.index(a.get_object()["/Dest"][0]) for a in reader.pages[1]["/Annots"]]
    toc = " ".join(pages[1].split())
    printed = [int(n) for n in re.findall(r"\. (\d+)(?= |$)", toc)]
    assert len(targets) == len(printed) == 9  # 2 parts, 6 items, Sources
    assert targets == [2 + n - 1 for n in printed]  # each link opens its printed page
    for title, target in zip(["First", "Essay title 1", "An excerpt", "Second"], targets):
        assert title in pages[target]


def test_page_labels_roman_then_arabic(simplex):
    from pypdf import PdfReader

    labels = PdfReader(str(simplex.dist / "reader.pdf")).page_labels
    assert labels[:4] == ["i", "ii", "1", "2"]


def _build(root: Path):
    """A build that reuses the cache, even of an unchanged course (its stamp is removed;
    `force` would read nothing from the cache)."""
    from reader.build.pipeline import STAMP

    (root / "dist" / STAMP).unlink(missing_ok=True)
    return build(root)[0]


def test_edit_keeping_page_count_rerenders_one_item(course):
    _course(course)
    first = _build(course.root)
    assert first.cache.rendered and not first.cache.reused
    before = pdf_pages(course.dist / "reader.pdf")
    path = course.root / "s/e3.md"
    path.write_text(path.read_text().replace("Paragraph 2 of essay 3.", "Paragraph 2, edited."))
    second = _build(course.root)
    assert len(second.cache.rendered) == 1
    assert len(second.cache.reused) == len(first.cache.rendered) - 1
    after = pdf_pages(course.dist / "reader.pdf")
    assert len(after) == len(before) and "Paragraph 2, edited." in " ".join(after)


def test_edit_adding_a_page_shifts_later_numbers(course):
    _course(course)
    _build(course.root)
    before = pdf_pages(course.dist / "reader.pdf")
    (course.root / "s/e2.md").write_text(essay("Essay title 2", course.body(2, extra=8)))
    result = _build(course.root)
    assert len(result.cache.rendered) == 1, "later items are reused, not laid out again"
    after = pdf_pages(course.dist / "reader.pdf")
    grown = len(after) - len(before)
    assert grown >= 1

    def toc_number(pages, title):
        text = " ".join(pages[1].split())
        return int(re.search(re.escape(title) + r" \.[ .]*(\d+)", text).group(1))

    for title in ("Essay title 1", "An excerpt"):
        assert toc_number(after, title) == toc_number(before, title)
    for title in ("Essay title 3", "Questions", "Essay title 4"):
        assert toc_number(after, title) == toc_number(before, title) + grown
        number = toc_number(after, title)
        assert title in after[2 + number - 1]
    assert _folios(after)[2:] == [str(n) for n in range(1, len(after) - 1)]


def test_nothing_changed_renders_nothing(course):
    _course(course)
    build(course.root)
    stamp = (course.dist / "reader.pdf").stat().st_mtime_ns
    again = build(course.root)[0]
    assert again.skipped
    assert (course.dist / "reader.pdf").stat().st_mtime_ns == stamp
    result = run("build", str(course.root))
    assert "up to date" in result.output


def test_corrupt_cache_entry_is_rebuilt_not_used(course):
    _course(course)
    first = _build(course.root)
    good = pdf_pages(course.dist / "reader.pdf")
    chunks = sorted((course.root / ".reader-cache" / "chunks").glob("*.pdf"))
    chunks[0].write_bytes(chunks[0].read_bytes()[:-200] + b"garbage")
    meta = chunks[1].with_suffix(".json")
    meta.write_text("{not json")
    second = _build(course.root)
    assert len(second.cache.discarded) == 2
    assert len(second.cache.rendered) == 2
    assert pdf_pages(course.dist / "reader.pdf") == good
    assert len(first.cache.rendered) == len(second.cache.rendered) + len(second.cache.reused)


def test_a_contents_of_an_odd_number_of_pages_is_followed_by_a_blank(course, tmp_path):
    """Eighteen items with long titles make two pages of contents: page 1 of the body is
    still a recto (a blank page after the contents), in the fast path as in the single
    document, so their running heads and folios agree page by page."""
    for n in range(18):
        course.write(f"s/e{n:02}.md", essay(f"Essay number {n} on a question that takes a "
                                            "long title to state in full", "Short."))
    course.manifest({"title": "Long contents",
                     "contents": [{"essay": f"s/e{n:02}.md"} for n in range(18)]})
    assert run("build", str(course.root)).exit_code == 0
    fast = course.dist / "reader.pdf"
    single = _single_reference(course.root, tmp_path)
    from pypdf import PdfReader

    labels = PdfReader(str(fast)).page_labels
    first = labels.index("1")
    printed = [p for p in pdf_pages(fast)[:first] if p.strip()]
    assert len(printed) % 2 == 1, "the case under test: cover and contents, an odd number"
    assert first % 2 == 0, f"page 1 is PDF page {first + 1}: a verso"
    assert pdf_pages(fast)[first - 1].strip() == "", "the page before page 1 is blank"
    assert [p.split() for p in pdf_pages(fast)] == [p.split() for p in pdf_pages(single)]
