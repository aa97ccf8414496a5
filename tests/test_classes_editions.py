"""One course, many classes: variants, editions, charts and the permissions report."""

from __future__ import annotations

import csv

import pytest
import yaml

from conftest import (Course, deck_slides, essay, excerpt, notes_text, pdf_outline, pdf_pages, run,
                      slide_text)


def _two_class_course(course):
    course.write("s/a.md", essay("Opening essay", "Opening words."))
    course.write("s/b.md", excerpt("Skippable source", "Words of the SKIPPED-SOURCE here."))
    course.write("s/c.md", excerpt("Kept source", "Words of the kept source.", author="B Writer",
                                   source_title="Other Book"))
    course.write("s/q.yaml", yaml.safe_dump({"title": "Questions", "questions": [
        {"text": "First?", "notes": "NOTE-ONE for teachers"},
        {"text": "Second?", "notes": "NOTE-TWO for teachers"}]}))
    course.manifest({
        "title": "Variant Course", "instructor": "Base Teacher", "term": "Spring 2027",
        "contents": [{"part": "Only part", "items": [
            {"essay": "s/a.md"}, {"excerpt": "s/b.md"}, {"excerpt": "s/c.md"},
            {"questions": "s/q.yaml"}]}],
        "classes": {
            "monday": {"instructor": "Monday Teacher", "edition": "instructor"},
            "evening": {"term": "Summer 2027", "skip": ["s/b.md"]},
        }})
    return course


def _deck_text(path):
    slides = deck_slides(path)
    return "\n".join(slide_text(s) for s in slides), "\n".join(notes_text(s) for s in slides)


@pytest.fixture(scope="module")
def all_classes(tmp_path_factory) -> Course:
    """The two-class course built once with --all-classes: dist/, dist/monday/ and
    dist/evening/, for the tests that only read them."""
    course = Course(tmp_path_factory.mktemp("classes") / "course")
    course.root.mkdir()
    _two_class_course(course)
    result = run("build", str(course.root), "--all-classes")
    assert result.exit_code == 0, result.output
    return course


def test_each_class_builds_into_its_folder(all_classes):
    course = all_classes
    base = " ".join(pdf_pages(course.dist / "reader.pdf"))
    monday = " ".join(pdf_pages(course.dist / "monday" / "reader.pdf"))
    evening = " ".join(pdf_pages(course.dist / "evening" / "reader.pdf"))
    assert "Base Teacher" in base and "Monday Teacher" in monday
    assert "Summer 2027" in evening and "Spring 2027" in base
    assert "instructor edition" in monday.lower() and "instructor edition" not in base.lower()


def test_skipped_item_is_absent_everywhere(all_classes):
    out = all_classes.dist / "evening"
    text = " ".join(pdf_pages(out / "reader.pdf"))
    assert "Skippable source" not in text and "SKIPPED-SOURCE" not in text
    assert all("Skippable" not in title for _, title, _ in pdf_outline(out / "reader.pdf"))
    slides, notes = _deck_text(out / "deck.pptx")
    assert "Skippable" not in slides and "SKIPPED-SOURCE" not in notes
    # numbering follows the variant: the kept source is now Reading 1
    assert "Reading 1" in text and "Reading 2" not in text
    rows = list(csv.DictReader(open(out / "permissions.csv", encoding="utf-8")))
    assert [r["title"] for r in rows] == ["Kept source"]


def test_instructor_edition_has_every_note_student_none(all_classes):
    course = all_classes
    teacher_pdf = " ".join(pdf_pages(course.dist / "monday" / "reader.pdf"))
    _, teacher_notes = _deck_text(course.dist / "monday" / "deck.pptx")
    for note in ("NOTE-ONE", "NOTE-TWO"):
        assert note in teacher_pdf and note in teacher_notes
    student_pdf_bytes = (course.dist / "reader.pdf").read_bytes()
    student_pdf = " ".join(pdf_pages(course.dist / "reader.pdf"))
    slides, notes = _deck_text(course.dist / "deck.pptx")
    outline = " ".join(t for _, t, _ in pdf_outline(course.dist / "reader.pdf"))
    for note in ("NOTE-ONE", "NOTE-TWO"):
        assert note not in student_pdf + slides + notes + outline
        assert note.encode() not in student_pdf_bytes


def test_unknown_class_is_a_clear_error(course):
    _two_class_course(course)
    result = run("build", str(course.root), "--class", "tuesday")
    assert result.exit_code == 1
    assert "unknown class 'tuesday'" in result.stderr and "monday" in result.stderr


def test_chart_is_vector_in_pdf_and_native_in_deck(course):
    course.write("t.yaml", yaml.safe_dump({
        "title": "Output by country", "columns": ["Country", "1929", "1933"],
        "rows": [["USA", 100, 54], ["Germany", 100, 59]],
        "chart": {"type": "bar", "x": "Country", "y": ["1929", "1933"]}}))
    course.manifest({"title": "Charts", "contents": [{"table": "t.yaml"}]})
    assert run("build", str(course.root)).exit_code == 0
    from pypdf import PdfReader

    reader = PdfReader(str(course.dist / "reader.pdf"))
    page = next(p for p in reader.pages if "Germany" in (p.extract_text() or ""))
    xobjects = page["/Resources"].get("/XObject", {})
    images = [x for x in xobjects.values() if x.get_object().get("/Subtype") == "/Image"]
    assert not images, "the chart must be vector, not a raster image"
    content = page.get_contents().get_data()
    assert content.count(b" re") + content.count(b" l\n") > 10  # drawn bars and axes
    assert "Germany" in page.extract_text()  # axis labels are real text
    slides = deck_slides(course.dist / "deck.pptx")
    charts = [sh.chart for s in slides for sh in s.shapes if getattr(sh, "has_chart", False)
              and sh.has_chart]
    assert len(charts) == 1
    plot = charts[0].plots[0]
    assert list(plot.categories) == ["USA", "Germany"]
    assert [s.name for s in plot.series] == ["1929", "1933"]
    assert [list(s.values) for s in plot.series] == [[100, 100], [54, 59]]


def test_permissions_report_rows_and_warnings(course):
    long_text = " ".join(f"Word{n}" for n in range(1200))
    course.write("s/long.md", excerpt("Long one", long_text, author="Same Author",
                                      source_title="Book One",
                                      permission="Quoted under fair dealing"))
    course.write("s/two.md", excerpt("Second", "Two short words.", author="Same Author",
                                     source_title="Book Two", pages="5"))
    course.write("s/three.md", excerpt("Third", "Three short words here.", author="Same Author",
                                       source_title="Book Three"))
    course.manifest({"title": "Rights", "contents": [
        {"excerpt": "s/long.md"}, {"excerpt": "s/two.md"}, {"excerpt": "s/three.md"}]})
    result = run("build", str(course.root))
    assert result.exit_code == 0
    assert "3 excerpts by Same Author" in result.stderr
    assert "1,200 words" in result.stderr
    rows = list(csv.DictReader(open(course.dist / "permissions.csv", encoding="utf-8")))
    assert [r["item"] for r in rows] == ["Reading 1", "Reading 2", "Reading 3"]
    assert [r["words"] for r in rows] == ["1200", "3", "4"]
    assert rows[0]["permission"] == "Quoted under fair dealing"
    assert rows[0]["basis"] == "fair dealing / fair use"
    assert rows[1]["source_pages"] == "5"
    pages = pdf_pages(course.dist / "reader.pdf")
    for row in rows:
        first = int(row["reader_pages"].split("-")[0])
        assert row["title"] in pages[2 + first - 1]  # front matter is two pages here
    assert "-" in rows[0]["reader_pages"]  # 1,200 words run over two pages
    assert "over the 1,000-word guideline" in rows[0]["warnings"]
    assert all("3 excerpts by Same Author" in r["warnings"] for r in rows)
    printed = run("permissions", str(course.root))
    assert printed.exit_code == 0 and "fair dealing" in printed.output
    assert "Sources" in pages[-1] and "fair dealing" in pages[-1]
    assert run("build", str(course.root), "--strict").exit_code == 1
