"""The reader PDF, read back as a student or print shop would see it."""

from __future__ import annotations

import re

import pytest

from conftest import essay, pdf_outline, pdf_pages, run


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("’", "'"))


def test_build_writes_pdf_deck_and_report(built_small_course):
    for name in ("reader.pdf", "deck.pptx", "permissions.csv"):
        assert (built_small_course.dist / name).stat().st_size > 0


def test_toc_lists_items_in_order_with_true_page_numbers(built_small_course):
    pages = pdf_pages(built_small_course.dist / "reader.pdf")
    toc = _normal(pages[1])
    titles = ["Introduction to the topic", "A primary source", "Some numbers",
              "Questions for week one", "Conclusion"]
    positions = [toc.index(t) for t in titles]
    assert positions == sorted(positions), toc
    front = 2  # cover + contents
    for title in titles:
        number = int(re.search(re.escape(title) + r"[ .]*?(\d+)", toc).group(1))
        page = _normal(pages[front + number - 1])
        assert title in page, f"{title} should stand on reader page {number}"
        # the printed folio on that page is that number
        assert re.search(rf"(^|\s){number}\s*$", page.strip()) or \
            re.search(rf"^\s*{number}\s", page), page[-40:]


def test_front_matter_roman_body_arabic(built_small_course):
    pages = pdf_pages(built_small_course.dist / "reader.pdf")
    assert "ii" in pages[1].split()  # contents page folio
    assert pages[0].split()[-1] == "2027"  # no folio on the cover


def test_outline_has_parts_then_items(built_small_course):
    outline = pdf_outline(built_small_course.dist / "reader.pdf")
    titles = [(level, title) for level, title, _ in outline]
    assert (1, "Part I. First part") in titles
    assert (2, "Essay 1. Introduction to the topic") in titles
    assert (2, "Reading 1. A primary source") in titles
    assert (1, "Essay 2. Conclusion") in titles
    part = titles.index((1, "Part I. First part"))
    assert titles[part + 1] == (2, "Essay 1. Introduction to the topic")
    pages = pdf_pages(built_small_course.dist / "reader.pdf")
    for _level, title, index in outline:
        label, _, name = title.partition(". ")
        assert _normal(name or label).split(":")[0][:20] in _normal(pages[index])


def test_metadata_title_author_language(built_small_course):
    from pypdf import PdfReader

    reader = PdfReader(str(built_small_course.dist / "reader.pdf"))
    assert reader.metadata.title == "A Small Course"
    assert reader.metadata.author == "Dr Example"
    assert reader.trailer["/Root"]["/Lang"] == "en"


def test_instructor_notes_only_in_instructor_edition(small_course):
    run("build", str(small_course.root))
    student = " ".join(pdf_pages(small_course.dist / "reader.pdf"))
    assert "SECRET-NOTE" not in student
    assert "instructor edition" not in student.lower()
    run("build", str(small_course.root), "--edition", "instructor")
    teacher = " ".join(pdf_pages(small_course.dist / "reader.pdf"))
    assert "SECRET-NOTE" in teacher
    assert "instructor edition" in teacher.lower()


def test_excerpt_attribution_and_sources_list(built_small_course):
    pages = [_normal(p) for p in pdf_pages(built_small_course.dist / "reader.pdf")]
    source_pages = [p for p in pages if "The first sentence of the source" in p]
    assert source_pages
    attribution = [p for p in pages if "Ada Author, A Book (Press, 1950), pp. 10–12" in p]
    assert attribution, "attribution line printed with the passage"
    sources = pages[-1]
    assert "Sources" in sources and "Author. A Book. Press, 1950." in sources
    assert "Public domain" in sources


def test_table_numbers_have_thousands_separators(built_small_course):
    text = " ".join(pdf_pages(built_small_course.dist / "reader.pdf"))
    assert "12,345" in text
    assert "Source: A statistical office" in text


def test_long_table_repeats_header_on_every_page(course):
    rows = [[f"Row {n}", n * 1000] for n in range(1, 121)]
    import yaml

    course.write("t.yaml", yaml.safe_dump({"title": "Long table",
                                           "columns": ["Region name", "Value"], "rows": rows}))
    course.manifest({"title": "T", "contents": [{"table": "t.yaml"}]})
    assert run("build", str(course.root)).exit_code == 0
    pages = pdf_pages(course.dist / "reader.pdf")
    body = [p for p in pages if "Row " in p]
    assert len(body) >= 3
    for page in body:
        assert "Region name" in page and "Value" in page


def test_footnote_lands_on_its_page(built_small_course):
    pages = pdf_pages(built_small_course.dist / "reader.pdf")
    page = next(p for p in pages if "The opening paragraph states the question" in p)
    assert "A footnote at the foot of the page." in page


def test_a4_paper_honoured(small_course):
    from pypdf import PdfReader

    manifest = small_course.root / "course.yaml"
    manifest.write_text(manifest.read_text() + "paper: a4\n")
    run("build", str(small_course.root))
    box = PdfReader(str(small_course.dist / "reader.pdf")).pages[3].mediabox
    assert abs(float(box.width) - 595.3) < 1 and abs(float(box.height) - 841.9) < 1
    manifest.write_text(manifest.read_text().replace("paper: a4", "paper: letter"))
    run("build", str(small_course.root))
    box = PdfReader(str(small_course.dist / "reader.pdf")).pages[3].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)


def test_running_heads(small_course):
    body = "\n\n".join(f"Paragraph {n} " + "words " * 120 for n in range(12))
    small_course.write("s/intro.md", essay("Introduction to the topic", body))
    run("build", str(small_course.root))
    pages = pdf_pages(small_course.dist / "reader.pdf")
    essay_pages = [n for n, p in enumerate(pages) if "Paragraph" in p]
    assert len(essay_pages) >= 3
    first, *rest = essay_pages
    assert "A Small Course" not in pages[first].split("\n")[0]
    for n in rest:
        head = pages[n]
        # page index 2 is body page 1 (right); even body pages are left pages
        body_number = n - 1
        expected = "A Small Course" if body_number % 2 == 0 else "Introduction to the topic"
        assert expected in head, (n, head[:80])


def test_items_numbered_consistently(built_small_course):
    text = _normal(" ".join(pdf_pages(built_small_course.dist / "reader.pdf")))
    for label in ("Essay 1", "Reading 1", "Table 1", "Questions 1", "Essay 2"):
        assert text.lower().count(label.lower()) >= 2, label  # contents and the item itself


def test_new_scaffold_builds(tmp_path):
    target = tmp_path / "fresh"
    assert run("new", str(target)).exit_code == 0
    result = run("build", str(target))
    assert result.exit_code == 0, result.output
    assert (target / "dist" / "reader.pdf").exists()
    # What builds make stays out of the lecturer's version control.
    ignored = (target / ".gitignore").read_text().split()
    assert "dist/" in ignored and ".reader-cache/" in ignored
    assert (target / ".reader-cache").is_dir()


def test_check_does_not_render(small_course):
    result = run("check", str(small_course.root))
    assert result.exit_code == 0, result.output
    assert result.stdout == "course.yaml: ok (5 items in 2 parts, 0 classes)\n"
    assert not small_course.dist.exists()


@pytest.mark.unit
def test_version_and_help():
    from reader import __version__

    version = run("--version")
    assert (version.exit_code, version.output) == (0, f"reader, version {__version__}\n")
    result = run("--help")
    assert result.exit_code == 0
    commands = result.output.split("Commands:")[1].split()
    for command in ("build", "check", "new", "permissions", "watch"):
        assert command in commands, result.output


def test_sample_course_builds():
    """The repository's own sample course, as in the README's quick start."""
    from conftest import REPO

    result = run("check", str(REPO))
    assert result.exit_code == 0, result.output


def test_hyphenated_lines_stay_in_the_theme_faces(course):
    """Line-end hyphens are drawn in the body face, not a fallback (Caladea has no U+2010)."""
    import pikepdf

    words = "internationalisation and institutionalisation characteristically " * 40
    course.write("s/long.md", essay("Long words", words))
    course.manifest({"title": "Hyphens", "contents": [{"essay": "s/long.md"}]})
    result = run("build", str(course.root))
    assert result.exit_code == 0, result.output
    text = " ".join(pdf_pages(course.dist / "reader.pdf"))
    assert re.search(r"\w-\n", text) or re.search(r"\w- ", text), "expected hyphenated lines"
    faces = set()
    with pikepdf.open(course.dist / "reader.pdf") as pdf:
        for page in pdf.pages:
            for _, font in page.obj.get("/Resources", {}).get("/Font", {}).items():
                faces.add(str(font.get("/BaseFont", "")).split("+")[-1])
    assert faces and not any("DejaVu" in f for f in faces), faces
