"""Which files are the course: one rule for the up-to-date check and `reader watch`."""

from __future__ import annotations

import pytest

from conftest import essay, run
from reader.core.files import is_course_file


@pytest.mark.unit
@pytest.mark.parametrize("path", [
    "course.yaml", "sections/01-nep.md", "sections/data/livestock.csv", "templates/extra.css",
    "templates/fonts/Caladea-Regular.ttf", "img/map.png", "sections/dist/table.csv"])
def test_course_files(path):
    assert is_course_file(path)


@pytest.mark.unit
@pytest.mark.parametrize("path", [
    "dist/reader.pdf", ".reader-cache/chunks/x.pdf", ".git/HEAD", ".vscode/settings.json",
    "sections/.01-nep.md.swp", "sections/01-nep.md~", "sections/.#01-nep.md",
    "sections/#01-nep.md#", "sections/4913", "sections/~$notes.docx", "sections/.~lock.x#",
    "sections/01-nep.md.tmp", "sections/x.md___jb_tmp___", "__pycache__/x.pyc",
    "templates/node_modules/a.js", ".DS_Store"])
def test_not_course_files(path):
    assert not is_course_file(path)


def test_editor_and_tool_files_do_not_make_a_build_stale(small_course):
    assert run("build", str(small_course.root)).exit_code == 0
    for scratch in (".vscode/settings.json", "s/.intro.md.swp", "s/intro.md~", "s/4913"):
        small_course.write(scratch, "{}")
    again = run("build", str(small_course.root))
    assert again.exit_code == 0 and "up to date" in again.output
    small_course.write("s/end.md", essay("Conclusion", "It ends somewhere else."))
    assert "built" in run("build", str(small_course.root)).output


def test_a_hidden_file_cannot_be_an_item(course):
    course.write("s/.draft.md", essay("Draft"))
    course.manifest({"title": "T", "contents": [{"essay": "s/.draft.md"}]})
    result = run("check", str(course.root))
    assert result.exit_code == 1
    assert "course.yaml:3:" in result.stderr and "hidden" in result.stderr


def test_check_and_new_do_not_talk_about_dist(course, tmp_path):
    course.manifest({"title": "T", "contents": [{"essay": "missing.md"}]})
    checked = run("check", str(course.root))
    assert checked.exit_code == 1 and "dist" not in checked.stderr
    built = run("build", str(course.root))
    assert built.exit_code == 1 and "nothing in dist/ was changed" in built.stderr
    target = tmp_path / "occupied"
    target.mkdir()
    (target / "x.txt").write_text("x")
    made = run("new", str(target))
    assert made.exit_code == 1 and "dist" not in made.stderr


def test_check_counts_in_words(course):
    course.write("a.md", essay("Only essay"))
    course.manifest({"title": "T", "contents": [{"part": "One", "items": [{"essay": "a.md"}]}],
                     "classes": {"monday": {"term": "Fall"}}})
    result = run("check", str(course.root))
    assert "1 item in 1 part, 1 class)" in result.output
