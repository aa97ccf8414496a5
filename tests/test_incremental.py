"""An edit costs what it changes: after each kind of change a lecturer makes, the next
build lays out and plans again only what the change touches, and gives the same bytes
as a build from an empty cache.

The course: two parts and a loose essay, nine reader chunks (two part pages, six items,
the Sources) and six items' slide groups.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable

import pytest
import yaml

from conftest import Course, anchor_of, deck_slides, essay, excerpt, pdf_pages, slide_text
from reader.build.pipeline import build

CONTENTS = [
    {"part": "First part", "items": [{"essay": "s/a.md"}, {"excerpt": "s/x.md"},
                                     {"questions": "s/q.yaml"}]},
    {"part": "Second part", "items": [{"essay": "s/b.md"}, {"table": "s/t.yaml"}]},
    {"essay": "s/c.md"},
]
HEADS = {"title": "Incremental", "subtitle": "A reader", "course": "HIST 2",
         "instructor": "Dr First", "term": "Spring 2027"}


def manifest(contents: list = CONTENTS, **heads: str) -> dict:
    """course.yaml: CONTENTS and HEADS, each as given instead."""
    return {**HEADS, "lang": "en", "outputs": ["pdf", "pptx"], "contents": contents, **heads}


def write_course(course: Course) -> None:
    course.write("s/a.md", essay("The first essay", """
        An opening paragraph with a claim.[^1]

        ## A section

        A second paragraph that supports it.

        [^1]: A note at the foot of the page.
        """))
    course.write("s/x.md", excerpt("A primary source", "The source's words, quoted.",
                                   permission="Public domain"))
    course.write("s/q.yaml", yaml.safe_dump({"title": "Questions on the first part",
                                             "questions": ["Why?", "Why not?"]}))
    course.write("s/b.md", essay("The second essay", """
        The paragraph that will be edited.

        A paragraph that stays.
        """))
    course.write("s/t.yaml", yaml.safe_dump({
        "title": "Some numbers", "columns": ["Year", "Output"],
        "rows": [[1928, 100], [1932, 70]]}))
    long = "\n\n".join(f"Paragraph {n} of the conclusion, long enough to fill a few lines "
                       "of the page with words that say little and end here." for n in range(40))
    course.write("s/c.md", essay("Conclusion", long))     # pages with running heads
    course.write("s/new.yaml", yaml.safe_dump({"title": "Questions added later",
                                               "questions": ["What changed?"]}))
    course.manifest(manifest())


def _build(root: Path):
    """A build that reads the cache (``force`` would read nothing from it), even of a
    course whose dist/ looks up to date (its stamp is removed)."""
    from reader.build.pipeline import STAMP

    (root / "dist" / STAMP).unlink(missing_ok=True)
    return build(root)


@pytest.fixture(scope="module")
def warm(tmp_path_factory) -> Path:
    """The course, built once: its folder with a full .reader-cache, copied by each test."""
    course = Course(tmp_path_factory.mktemp("warm") / "course")
    course.root.mkdir()
    write_course(course)
    _build(course.root)
    return course.root


@pytest.fixture(autouse=True)
def fixed_date(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")   # dates are written, and equal


def add_in_the_middle(course: Course) -> None:
    second = {"part": "Second part", "items": [{"essay": "s/b.md"}, {"questions": "s/new.yaml"},
                                               {"table": "s/t.yaml"}]}
    course.manifest(manifest([CONTENTS[0], second, CONTENTS[2]]))


def remove_one(course: Course) -> None:
    first = {"part": "First part", "items": [{"essay": "s/a.md"}, {"excerpt": "s/x.md"}]}
    course.manifest(manifest([first, *CONTENTS[1:]]))


def reorder_two(course: Course) -> None:
    second = {"part": "Second part", "items": [{"table": "s/t.yaml"}, {"essay": "s/b.md"}]}
    course.manifest(manifest([CONTENTS[0], second, CONTENTS[2]]))


def head(name: str) -> Callable[[Course], None]:
    def change(course: Course) -> None:
        course.manifest(manifest(**{name: f"A new {name}"}))
    change.__name__ = f"change_the_{name}"
    return change


def edit_a_paragraph(course: Course) -> None:
    path = course.root / "s/b.md"
    path.write_text(path.read_text().replace("will be edited", "was edited, and is longer now"))


# kind of change -> (chunks laid out again, items whose slides are made again)
CHANGES = {
    # the new item, and the page of the part it joins (its list of items)
    "add": (add_in_the_middle, {"part-2", "s/new.yaml"}, {"s/new.yaml"}),
    # the page of the part it leaves
    "remove": (remove_one, {"part-1"}, set()),
    # the page of their part (its list's order); their labels (Essay 2, Table 1) stay
    "reorder": (reorder_two, {"part-2"}, set()),
    "title": (head("title"), set(), set()),
    "subtitle": (head("subtitle"), set(), set()),
    "term": (head("term"), set(), set()),
    "instructor": (head("instructor"), set(), set()),
    "course": (head("course"), set(), set()),
    "paragraph": (edit_a_paragraph, {"s/b.md"}, {"s/b.md"}),
}


def copy_of(warm: Path, tmp_path: Path) -> Course:
    root = tmp_path / "course"
    shutil.copytree(warm, root)
    return Course(root)


def chunk_names(names: set[str]) -> set[str]:
    """Item names as their chunks' keys (anchors); part anchors as they are."""
    return {anchor_of(n) if "/" in n else n for n in names}


@pytest.mark.parametrize("kind", list(CHANGES))
def test_an_incremental_build_does_only_what_the_change_needs_and_matches_a_cold_one(
        kind, warm, tmp_path):
    change, laid_out, planned = CHANGES[kind]
    course = copy_of(warm, tmp_path)
    change(course)
    result = _build(course.root)[0]
    assert result.cache is not None and result.deck_cache is not None
    assert set(result.cache.named(result.cache.rendered)) == chunk_names(laid_out)
    total = len(result.page_map.pages) if result.page_map else 0
    assert len(result.cache.reused) == total - len(laid_out)
    assert set(result.deck_cache.built) == chunk_names(planned)
    assert not result.deck_cache.discarded
    incremental = {name: (course.dist / name).read_bytes()
                   for name in ("reader.pdf", "deck.pptx")}

    if kind in HEADS:       # the new words are printed, though no chunk was laid out again
        pages = [page.casefold() for page in pdf_pages(course.dist / "reader.pdf")]
        new, old = f"A new {kind}".casefold(), HEADS[kind].casefold()
        assert new in pages[0] and old not in "".join(pages)
        assert new in slide_text(deck_slides(course.dist / "deck.pptx")[0]).casefold()
        if kind == "title":  # the running head of the conclusion's left page
            assert sum(new in page for page in pages[2:]) >= 1

    shutil.rmtree(course.root / ".reader-cache")
    cold = _build(course.root)[0]
    assert cold.cache is not None and not cold.cache.reused
    for name, data in incremental.items():
        assert (course.dist / name).read_bytes() == data, f"{name}: incremental != cold"


def own_theme(course: Course, old: str, new: str) -> None:
    """The course's own theme.toml: the built-in one with ``old`` replaced by ``new``."""
    from reader.course.theme import BUILTIN

    text = (BUILTIN / "theme.toml").read_text(encoding="utf-8")
    assert old in text
    course.write("templates/theme.toml", text.replace(old, new))


# what a change is -> (every chunk laid out again?, every item's slides made again?)
DEPENDENCIES = {
    "paper": (lambda c: c.manifest(manifest(paper="a4")), True, False),
    "language": (lambda c: c.manifest(manifest(lang="en-GB")), True, True),
    "edition": (lambda c: c.manifest(manifest(edition="instructor")), True, True),
    "stylesheet": (lambda c: c.write("templates/extra.css", ".prose p { word-spacing: 1pt }"),
                   True, False),
    "colours": (lambda c: own_theme(c, 'accent = "#7A2E1F"', 'accent = "#7A2E20"'), True,
                True),
    "deck scale": (lambda c: own_theme(c, "min_body = 18", "min_body = 17"), False, True),
    # the slides cite the reader's pages only when it is built (and the reader is not)
    "no reader": (lambda c: c.manifest({**manifest(), "outputs": ["pptx"]}), False, True),
}


@pytest.mark.parametrize("kind", list(DEPENDENCIES))
def test_each_key_names_what_it_depends_on(kind, warm, tmp_path):
    """A chunk's layout depends on the paper, the language, the edition and the theme's
    stylesheets and tokens; an item's slides on the language, the edition, the tokens and
    whether the reader is built (they cite its pages), not on the paper or the reader's
    stylesheets."""
    change, chunks_again, slides_again = DEPENDENCIES[kind]
    course = copy_of(warm, tmp_path)
    change(course)
    result = _build(course.root)[0]
    assert result.deck_cache is not None
    if result.cache is not None:     # the reader is built
        chunks = len(result.cache.rendered) + len(result.cache.reused)
        assert len(result.cache.rendered) == (chunks if chunks_again else 0)
    assert len(result.deck_cache.built) == (6 if slides_again else 0)
    assert len(result.deck_cache.reused) == (0 if slides_again else 6)


def test_the_deck_is_the_same_however_its_batches_are_cut(warm, tmp_path, monkeypatch):
    """The deck's batches are tasks of the pool (each its own Planner and Presentation):
    cut in batches of two segments, a cold build's deck is the one-batch deck."""
    import reader.deck.join as join

    course = copy_of(warm, tmp_path)
    shutil.rmtree(course.root / ".reader-cache")
    _build(course.root)
    whole = (course.dist / "deck.pptx").read_bytes()
    shutil.rmtree(course.root / ".reader-cache")
    monkeypatch.setattr(join, "BATCH", 2)
    result = _build(course.root)[0]
    assert result.deck_cache is not None and len(result.deck_cache.built) == 6
    assert (course.dist / "deck.pptx").read_bytes() == whole


def print_title_by_css(course: Course) -> None:
    course.write("templates/extra.css", ".item-header::before { content: attr(data-course) }")


def print_title_by_template(course: Course) -> None:
    from reader.course.theme import BUILTIN

    text = (BUILTIN / "items.html.j2").read_text(encoding="utf-8")
    label = '<p class="item-label">{{ item.label }}</p>'
    assert label in text
    course.write("templates/items.html.j2", text.replace(
        label, '<p class="item-label">{{ item.label }}</p><p>{{ course.title }}</p>'))


@pytest.mark.parametrize("own", [print_title_by_css, print_title_by_template])
def test_a_course_that_prints_its_title_in_items_keeps_it_in_the_chunks(own, warm, tmp_path):
    """Chunks leave the title out only where nothing shows it: a course's stylesheet or
    template that prints it in the body makes every item depend on the title again."""
    course = copy_of(warm, tmp_path)
    own(course)
    _build(course.root)
    course.manifest(manifest(title="A retitled course"))
    result = _build(course.root)[0]
    assert result.cache is not None
    items = {"s/a.md", "s/x.md", "s/q.yaml", "s/b.md", "s/t.yaml", "s/c.md"}
    assert chunk_names(items) <= set(result.cache.named(result.cache.rendered))
    pages = pdf_pages(course.dist / "reader.pdf")
    assert "A retitled course" in pages[3] and "Incremental" not in "".join(pages)
    laid_out = (course.dist / "reader.pdf").read_bytes()
    shutil.rmtree(course.root / ".reader-cache")
    _build(course.root)
    assert (course.dist / "reader.pdf").read_bytes() == laid_out
