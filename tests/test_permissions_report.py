"""The permissions report a copy centre accepts: every field per reading, a workbook, and what
changed since last term."""

from __future__ import annotations

import csv

import pytest

from conftest import Course, excerpt, run

pytestmark = pytest.mark.slow


def _excerpt(title: str, pages: str, **source_extra) -> str:
    text = excerpt(title, "The passage speaks of grain and of power.", author="Ann Author",
                   source_title="The Long Book", pages=pages)
    extra = "".join(f"  {k}: {v}\n" for k, v in source_extra.items())
    return text.replace("  pages:", extra + "  pages:", 1)


@pytest.fixture
def rights_course(course: Course) -> Course:
    course.write("s/a.md", _excerpt("First reading", "23-25, 27-30", isbn="978-0-19-824570-4",
                                    edition="2nd", place="Oxford", work_pages=80,
                                    chapter="The Great Turn", rights_holder="Book Press Ltd"))
    course.write("s/b.md", _excerpt("Second reading", "101-102", chapter="Aftermath")
                 .replace("---\nThe passage", "permission:\n  text: Reproduced by permission of "
                          "Book Press\n  basis: permission\n  reference: BP-2027-114\n"
                          "  expires: 2020-06-30\n---\nThe passage"))
    course.manifest({"title": "Rights", "course": "HIST 1", "term": "Fall 2027",
                     "enrolment": 40, "copies": 45,
                     "contents": [{"excerpt": "s/a.md"}, {"excerpt": "s/b.md"}]})
    return course


def _rows(course: Course) -> list[dict[str, str]]:
    return list(csv.DictReader(open(course.dist / "permissions.csv", encoding="utf-8")))


def test_every_field_a_copy_centre_asks_for(rights_course: Course) -> None:
    result = run("build", str(rights_course.root))
    assert result.exit_code == 0, result.output
    first, second = _rows(rights_course)
    assert first["isbn"] == "978-0-19-824570-4" and first["edition"] == "2nd"
    assert first["place"] == "Oxford" and first["chapter"] == "The Great Turn"
    assert first["pages_used"] == "7" and first["work_pages"] == "80"
    assert first["share"] == "8.8%"
    assert first["rights_holder"] == "Book Press Ltd"
    assert first["enrolment"] == "40" and first["copies"] == "45"
    assert first["course"] == "HIST 1" and first["term"] == "Fall 2027"
    assert first["file"] == "s/a.md"
    assert second["basis"] == "permission" and second["reference"] == "BP-2027-114"
    assert second["expires"] == "2020-06-30"
    assert "expired on 2020-06-30" in second["warnings"]
    assert "expired on 2020-06-30" in result.stderr


def test_the_workbook_holds_the_rows_and_the_totals(rights_course: Course) -> None:
    from openpyxl import load_workbook

    assert run("build", str(rights_course.root)).exit_code == 0
    book = load_workbook(rights_course.dist / "permissions.xlsx")
    sheet = book["Readings"]
    headings = [c.value for c in sheet[1]]
    assert "ISBN / ISSN" in headings and "Pages used" in headings and "Rights holder" in headings
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=2, values_only=False)]
    assert values[0][headings.index("Reading")] == "First reading"
    assert values[0][headings.index("Pages used")] == 7
    total = next(row for row in values if row[0] == "Total")
    assert total[headings.index("Pages used")] == 9
    details = {row[0].value: row[1].value for row in book["Course"].iter_rows()}
    assert details["Enrolment"] == 40 and details["Copies"] == 45
    assert details["Page impressions (pages x copies)"] == 9 * 45


def test_a_share_over_a_tenth_and_two_chapters_are_warned_about(course: Course) -> None:
    course.write("s/a.md", _excerpt("First", "1-12", work_pages=100, chapter="One"))
    course.write("s/b.md", _excerpt("Second", "40-41", chapter="Two"))
    course.manifest({"title": "Share", "contents": [{"excerpt": "s/a.md"},
                                                    {"excerpt": "s/b.md"}]})
    result = run("build", str(course.root))
    assert "14 pages of The Long Book (Reading 1, Reading 2) are 14% of its 100 pages" \
        in result.stderr
    assert "2 chapters of The Long Book" in result.stderr


@pytest.mark.parametrize("isbn, phrase", [("978-0-19-824570-5", "wrong check digit"),
                                          ("12345", "expected an ISBN")])
def test_a_wrong_isbn_is_a_located_error(course: Course, isbn: str, phrase: str) -> None:
    course.write("s/a.md", _excerpt("First", "1-2", isbn=isbn))
    course.manifest({"title": "ISBN", "contents": [{"excerpt": "s/a.md"}]})
    result = run("build", str(course.root))
    assert result.exit_code == 1
    assert "s/a.md:8:" in result.stderr and phrase in result.stderr


def test_since_last_term_lists_what_was_added_removed_and_changed(rights_course: Course,
                                                                  tmp_path) -> None:
    assert run("build", str(rights_course.root)).exit_code == 0
    old = tmp_path / "fall.csv"
    old.write_bytes((rights_course.dist / "permissions.csv").read_bytes())
    rights_course.write("s/c.md", _excerpt("Third reading", "7"))
    rights_course.write("s/a.md", _excerpt("First reading", "23-25", isbn="978-0-19-824570-4"))
    rights_course.manifest({"title": "Rights", "enrolment": 55,
                            "contents": [{"excerpt": "s/a.md"}, {"excerpt": "s/c.md"}]})
    result = run("permissions", str(rights_course.root), "--since", str(old))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("added: Reading 2 Third reading") for line in lines), lines
    assert any(line.startswith("removed: Reading 2 Second reading") for line in lines), lines
    changed = next(line for line in lines if line.startswith("changed: Reading 1"))
    assert "source_pages '23-25, 27-30' -> '23-25'" in changed
    assert "enrolment '40' -> '55'" in changed


def test_since_a_file_that_is_not_a_report(rights_course: Course, tmp_path) -> None:
    other = tmp_path / "notes.csv"
    other.write_text("a,b\n1,2\n")
    result = run("permissions", str(rights_course.root), "--since", str(other))
    assert result.exit_code == 1 and "not a permissions.csv" in result.stderr
