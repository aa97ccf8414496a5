"""Shared helpers: build tiny courses in tmp folders, run the CLI, read outputs back."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from reader.cli import main

REPO = Path(__file__).resolve().parent.parent


def anchor_of(name: str) -> str:
    """The reader id of the item course.yaml names ``name`` (its slug: 's/intro.md' ->
    'item-s_intro'), in a course where no other item's name makes the same slug."""
    from reader.course.model import item_anchors

    return item_anchors([name])[name]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The fast tier is opt-in: a test is `slow` unless it (or its module, with
    `pytestmark = pytest.mark.unit`) is marked `unit`, so `pytest -m "not slow"` runs only
    tests that build and render nothing, in seconds."""
    for item in items:
        if item.get_closest_marker("unit") is None:
            item.add_marker(pytest.mark.slow)


# Words for generated prose: sentences of 8 to 26 of them, the same for the same seed.
WORDS = ("peasant grain harvest village quota official party state market price famine "
         "tractor cooperative collective district procurement report committee decree winter "
         "spring livestock horse cattle sowing brigade plan region province cadre").split()


def prose(words: int, seed: int, vocabulary: list[str] = WORDS) -> str:
    """About ``words`` words of deterministic prose, in sentences."""
    import random

    rng = random.Random(seed)
    out = []
    while words > 0:
        n = rng.randint(8, 26)
        words -= n
        out.append(" ".join(rng.choice(vocabulary) for _ in range(n)).capitalize() + ".")
    return " ".join(out)


def essay(title: str, body: str = "Some text.", **front) -> str:
    head = yaml.safe_dump({"title": title, **front}, sort_keys=False, allow_unicode=True)
    return f"---\n{head}---\n{textwrap.dedent(body).strip()}\n"


def excerpt(title: str, body: str, author: str = "Ada Author", source_title: str = "A Book",
            pages: str | None = "10-12", **front) -> str:
    source = {"title": source_title, "publisher": "Press", "year": 1950}
    if pages:
        source["pages"] = pages
    head = yaml.safe_dump({"title": title, "author": author, "source": source, **front},
                          sort_keys=False, allow_unicode=True)
    return f"---\n{head}---\n{textwrap.dedent(body).strip()}\n"


class Course:
    """A course folder under tmp_path, written from plain Python data."""

    def __init__(self, root: Path):
        self.root = root

    def write(self, rel: str, content: str | bytes) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    def manifest(self, data: dict | str) -> Path:
        text = data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False,
                                                                 allow_unicode=True)
        return self.write("course.yaml", text)

    @property
    def dist(self) -> Path:
        return self.root / "dist"


@pytest.fixture
def course(tmp_path: Path) -> Course:
    root = tmp_path / "course"
    root.mkdir()
    return Course(root)


@pytest.fixture
def small_course(course: Course) -> Course:
    """Two parts, one of each kind of item, plus a loose conclusion (not built)."""
    return write_small_course(course)


@pytest.fixture(scope="module")
def built_small_course(tmp_path_factory: pytest.TempPathFactory) -> Course:
    """small_course, built once for the whole module: for tests that only read its
    outputs (a test that edits or rebuilds the course takes ``small_course``)."""
    root = tmp_path_factory.mktemp("small") / "course"
    root.mkdir()
    course = write_small_course(Course(root))
    result = run("build", str(root))
    assert result.exit_code == 0, result.output
    return course


def write_small_course(course: Course) -> Course:
    """Two parts, one of each kind of item, plus a loose conclusion."""
    course.write("s/intro.md", essay("Introduction to the topic", """
        The opening paragraph states the question.[^1]

        ## Why it matters

        Historians disagree about this. They have for decades.

        ## What to look for

        Look for evidence and for argument.

        [^1]: A footnote at the foot of the page.
        """, author="Course team"))
    course.write("s/source.md", excerpt("A primary source", """
        The first sentence of the source. The second sentence follows it.

        A second paragraph of the source.
        """, permission="Public domain"))
    course.write("s/numbers.yaml", yaml.safe_dump({
        "title": "Some numbers", "source": "A statistical office",
        "columns": ["Country", "Output"], "rows": [["Ruritania", 12345], ["Freedonia", 678]]}))
    course.write("s/questions.yaml", yaml.safe_dump({
        "title": "Questions for week one",
        "questions": ["What is the question?",
                      {"text": "Why does it matter?", "notes": "SECRET-NOTE steer them."}]}))
    course.write("s/end.md", essay("Conclusion", "It ends here."))
    course.manifest({
        "title": "A Small Course", "subtitle": "Reader", "course": "HIST 1",
        "instructor": "Dr Example", "term": "Spring 2027", "lang": "en",
        "contents": [
            {"part": "First part", "items": [{"essay": "s/intro.md"}, {"excerpt": "s/source.md"}]},
            {"part": "Second part", "items": [{"table": "s/numbers.yaml"},
                                              {"questions": "s/questions.yaml"}]},
            {"essay": "s/end.md"},
        ]})
    return course


def good_dist(course: "Course", saved: dict, factory, label: str) -> None:  # noqa: ANN001
    """Give ``course`` a previous good dist/: built once per worker, then copied."""
    import shutil

    if label not in saved:
        result = run("build", str(course.root))
        assert result.exit_code == 0, result.output
        saved[label] = factory.mktemp(label) / "dist"
        shutil.copytree(course.dist, saved[label])
    else:
        shutil.copytree(saved[label], course.dist)


def run(*args: str, cwd: Path | None = None):
    runner = CliRunner()
    if cwd is not None:
        with runner.isolated_filesystem(temp_dir=None):
            import os

            old = os.getcwd()
            os.chdir(cwd)
            try:
                return runner.invoke(main, list(args), catch_exceptions=False)
            finally:
                os.chdir(old)
    return runner.invoke(main, list(args), catch_exceptions=False)


def pdf_pages(path: Path) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(str(path)).pages]


def pdf_outline(path: Path) -> list[tuple[int, str, int]]:
    """(level, title, page index) for every bookmark, in order."""
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    out: list[tuple[int, str, int]] = []

    def walk(nodes, level):  # noqa: ANN001
        for node in nodes:
            if isinstance(node, list):
                walk(node, level + 1)
            else:
                out.append((level, node.title, reader.get_destination_page_number(node)))
    walk(reader.outline, 1)
    return out


def deck_slides(path: Path) -> list:
    from pptx import Presentation

    return list(Presentation(str(path)).slides)


def slide_text(slide) -> str:  # noqa: ANN001
    parts = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            parts.append(shape.text_frame.text)
        if getattr(shape, "has_table", False) and shape.has_table:
            for row in shape.table.rows:
                parts.append("\t".join(cell.text for cell in row.cells))
    return "\n".join(parts)


def notes_text(slide) -> str:  # noqa: ANN001
    return slide.notes_slide.notes_text_frame.text if slide.has_notes_slide else ""


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.startswith(".")}
