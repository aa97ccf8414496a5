"""Excerpts from scanned and digital PDFs: a lecturer's coursepack (issue 13).

A course whose readings are pages of existing documents: a copier's scan (no text layer,
turned a degree and a half, on the lid's grey) and a digital PDF with its own page labels
and everything a PDF from the internet may try to do. Each claim is checked on the real
reader.pdf: pages in order, the reader's running heads and folios on them, the original's
page number in the outer margin, contents, outline and page labels, the OCR text layer,
nothing carried over but drawings; and the untrusted files that must stop a build with a
located message and leave dist/ as it was.
"""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pdfplumber
import pikepdf
import pypdf
import pytest
import yaml

from conftest import Course, REPO, essay, good_dist, run
from originals import acting_objects, digital_pdf, hostile, huge_png, save, scan

KNOWN = "The grain was taken from the villages by force"
SCAN_LINES = [KNOWN + ".", "Nobody in the district had seen such a winter,",
              "and the brigades came back in the spring."]


def _excerpt(title: str, **keys) -> str:  # noqa: ANN003
    front = {"title": title, "author": "Ann Author",
             "source": {"title": "The Long Book", "publisher": "Press", "year": 1990},
             "headnote": "Read this closely.", "permission": "Public domain", **keys}
    return "---\n" + yaml.safe_dump(front, sort_keys=False, allow_unicode=True) + "---\n"


def _coursepack(course: Course) -> Course:
    course.write("s/intro.md", essay("Introduction", "Why we read these pages. " * 30))
    course.write("s/scans/p24.png", scan(SCAN_LINES, folio="24"))
    course.write("s/scan.md", _excerpt("The scanned pages", images=["scans/p24.png"],
                                       first_printed_page=24))
    book = hostile(digital_pdf(["FRONT-MATTER", "PAGE-ONE-HUNDRED-ONE", "PAGE-ONE-HUNDRED-TWO",
                                "PAGE-ONE-HUNDRED-THREE"], first_label=101, roman_front=1))
    course.write("s/book.pdf", save(book))
    course.write("s/digital.md", _excerpt("The digital pages", pdf="book.pdf",
                                          pages="101, 103",
                                          slides=["PAGE-ONE-HUNDRED-THREE"]))
    course.write("s/end.md", essay("Afterword", "What the pages showed. " * 30))
    course.manifest({"title": "Coursepack", "lang": "en", "contents": [
        {"part": "Sources", "items": [{"essay": "s/intro.md"}, {"excerpt": "s/scan.md"},
                                      {"excerpt": "s/digital.md"}]},
        {"essay": "s/end.md"}]})
    return course


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Course:
    course = _coursepack(Course(tmp_path_factory.mktemp("pack") / "course"))
    result = run("build", str(course.root))
    assert result.exit_code == 0, result.output
    return course


def _pages(course: Course) -> dict[str, list[int]]:
    return json.loads((course.dist / ".reader-build.json").read_text())["pages"]


def _index(pdf_path: Path, folio: int) -> int:
    """The PDF page index of a body folio, by the page labels."""
    with pikepdf.open(pdf_path) as pdf:
        return [p.label for p in pdf.pages].index(str(folio))


def _words(pdf_path: Path, index: int) -> list[dict]:
    with pdfplumber.open(pdf_path) as pdf:
        return pdf.pages[index].extract_words()


# --- the reader ------------------------------------------------------------------------------

@pytest.mark.slow
def test_inserted_pages_follow_the_title_page_in_the_order_chosen(built: Course) -> None:
    reader = built.dist / "reader.pdf"
    pages = _pages(built)
    start, count = pages["item-s_digital"]
    assert count == 3, "a title page and the two pages chosen (101 and 103, not 102)"
    texts = [pypdf.PdfReader(reader).pages[_index(reader, start + n)].extract_text()
             for n in range(3)]
    assert "The digital pages" in texts[0] and "pp. 101, 103" in texts[0]
    assert "PAGE-ONE-HUNDRED-ONE" in texts[1] and "PAGE-ONE-HUNDRED-THREE" in texts[2]
    assert not any("PAGE-ONE-HUNDRED-TWO" in t or "FRONT-MATTER" in t for t in texts)
    assert pages["item-s_digital-p1"] == [start + 1, 1]
    assert pages["item-s_digital-p2"] == [start + 2, 1]
    assert pages["item-s_end"][0] == start + 3, "the next item starts after the inserted pages"


@pytest.mark.slow
def test_inserted_pages_carry_the_readers_head_folio_and_original_page(built: Course) -> None:
    reader = built.dist / "reader.pdf"
    for anchor, printed in (("item-s_scan-p1", "24"), ("item-s_digital-p1", "101"),
                            ("item-s_digital-p2", "103")):
        folio = _pages(built)[anchor][0]
        index = _index(reader, folio)
        words = _words(reader, index)
        with pdfplumber.open(reader) as pdf:
            page = pdf.pages[index]
            width, height = page.width, page.height
        text = " ".join(w["text"] for w in words)
        head = "Coursepack" if folio % 2 == 0 else \
            ("The scanned pages" if printed == "24" else "The digital pages")
        top = [w for w in words if w["bottom"] < 0.12 * height]
        assert head in " ".join(w["text"] for w in top), (anchor, text)
        bottom = [w["text"] for w in words if w["top"] > 0.88 * height]
        assert str(folio) in bottom, (anchor, bottom)
        note = [w for w in words if w["text"] == printed and w["top"] < 0.2 * height]
        assert f"p. {printed} in the original" in text
        assert note, "the original's page number near the top"
        outer = note[0]["x1"] < 0.3 * width if folio % 2 == 0 else note[0]["x0"] > 0.6 * width
        assert outer, f"{anchor}: the note stands in the outer margin ({note[0]})"


@pytest.mark.slow
def test_contents_outline_and_page_labels_cite_the_reader_pages(built: Course) -> None:
    reader = built.dist / "reader.pdf"
    pages = _pages(built)
    pdf = pypdf.PdfReader(reader)
    outline = {}
    for entry in pdf.outline:
        for node in entry if isinstance(entry, list) else [entry]:
            outline[node.title] = pdf.get_destination_page_number(node)
    for anchor, title in (("item-s_scan", "Reading 1. The scanned pages"),
                          ("item-s_digital", "Reading 2. The digital pages"),
                          ("item-s_end", "Essay 2. Afterword")):
        folio = pages[anchor][0]
        assert pdf.page_labels[outline[title]] == str(folio), title
    with pdfplumber.open(reader) as plumber:
        contents = plumber.pages[1].extract_text()
    for title, anchor in (("The scanned pages", "item-s_scan"),
                          ("The digital pages", "item-s_digital"), ("Afterword", "item-s_end")):
        assert re.search(rf"{title}[ .]+{pages[anchor][0]}\n", contents), contents


@pytest.mark.slow
def test_a_scan_gets_a_text_layer_students_can_search(built: Course) -> None:
    reader = built.dist / "reader.pdf"
    index = _index(reader, _pages(built)["item-s_scan-p1"][0])
    text = " ".join(pypdf.PdfReader(reader).pages[index].extract_text().split())
    assert KNOWN in text


@pytest.mark.slow
def test_an_upside_down_scan_is_turned_upright_and_read(course: Course) -> None:
    from reader.scans.prepare import PageJob, task_prepare

    path = course.write("p.png", scan(SCAN_LINES, turn=-1.0, upside_down=True))
    data, record = task_prepare(PageJob(str(path), 0, "image", "x", "auto", "en"))
    assert record["turned"] == 180 and abs(record["skew"]) > 0.5
    assert KNOWN in " ".join(record["text"].split())
    text = " ".join(pypdf.PdfReader(io.BytesIO(data)).pages[0].extract_text().split())
    assert KNOWN in text


@pytest.mark.slow
def test_nothing_but_drawings_comes_over_from_a_hostile_pdf(built: Course) -> None:
    assert acting_objects(built.root / "s" / "book.pdf"), "the source does try"
    assert acting_objects(built.dist / "reader.pdf") == []


@pytest.mark.slow
def test_the_scanned_page_is_stored_small_in_black_and_white(built: Course) -> None:
    with pikepdf.open(built.dist / "reader.pdf") as pdf:
        images = [obj for obj in pdf.objects if isinstance(obj, pikepdf.Stream)
                  and obj.get("/Subtype") == "/Image"]
        scans = [i for i in images if i.get("/Filter") == "/CCITTFaxDecode"]
        assert len(scans) == 1 and scans[0].BitsPerComponent == 1
        assert scans[0].Width >= 1500, "300 dpi: the scan's own resolution, kept"
        assert len(scans[0].read_raw_bytes()) < 60_000
    assert (built.dist / "reader.pdf").stat().st_size < 400_000


@pytest.mark.slow
def test_a_coarse_scan_of_text_is_stored_at_print_resolution(course: Course) -> None:
    """A 200 dpi copier scan of text is interpolated to 300 dpi before it is made black
    and white, so its letters print smooth, not in 1/200 inch steps."""
    from reader.scans.prepare import PageJob, task_prepare

    path = course.write("p.png", scan(SCAN_LINES, dpi=200))
    data, record = task_prepare(PageJob(str(path), 0, "image", "x", "auto", "en"))
    with pikepdf.open(io.BytesIO(data)) as pdf:
        page = pdf.pages[0]
        images = [obj for obj in pdf.objects if isinstance(obj, pikepdf.Stream)
                  and obj.get("/Subtype") == "/Image"]
        assert len(images) == 1 and images[0].BitsPerComponent == 1
        inches = float(page.mediabox[2]) / 72       # the page as cut from the scan
        assert images[0].Width / inches >= 290, (images[0].Width, inches)
    assert KNOWN in " ".join(record["text"].split())


@pytest.mark.slow
def test_permissions_count_the_pages_chosen(built: Course) -> None:
    from openpyxl import load_workbook

    sheet = load_workbook(built.dist / "permissions.xlsx").worksheets[0]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    header = rows[0]
    digital = next(r for r in rows if "The digital pages" in r)
    assert digital[header.index("Pages used")] == 2
    assert digital[header.index("Pages in the work")] == "101, 103"
    scanned = next(r for r in rows if "The scanned pages" in r)
    assert scanned[header.index("Pages used")] == 1
    assert 20 <= scanned[header.index("Words")] <= 30, "the words OCR read on the scan"


@pytest.mark.slow
def test_an_edit_elsewhere_prepares_no_page_again(built: Course, tmp_path: Path) -> None:
    from reader.build.pipeline import build

    course = Course(tmp_path / "copy")
    shutil.copytree(built.root, course.root)
    essay_path = course.root / "s" / "end.md"
    essay_path.write_text(essay_path.read_text().replace("What the pages", "What pages"))
    result, = build(course.root)
    assert result.original_pages == (0, 3)


@pytest.mark.slow
def test_since_last_term_reports_a_pdf_excerpt_added_and_one_removed(built: Course,
                                                                      tmp_path: Path) -> None:
    course = Course(tmp_path / "next-term")
    shutil.copytree(built.root, course.root)
    old = tmp_path / "last-term.csv"
    shutil.copy(course.dist / "permissions.csv", old)
    course.write("s/more.md", _excerpt("More pages", pdf="book.pdf", pages="102"))
    manifest = yaml.safe_load((course.root / "course.yaml").read_text())
    manifest["contents"][0]["items"] = [{"essay": "s/intro.md"}, {"excerpt": "s/scan.md"},
                                        {"excerpt": "s/more.md"}]
    course.manifest(manifest)
    result = run("permissions", str(course.root), "--since", str(old))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("added: Reading 2 More pages") for line in lines), lines
    assert any(line.startswith("removed: Reading 2 The digital pages") for line in lines), lines


@pytest.mark.slow
def test_tagged_reader_gives_each_page_its_text_as_alternative(built: Course,
                                                               tmp_path: Path) -> None:
    course = Course(tmp_path / "tagged")
    shutil.copytree(built.root, course.root)
    result = run("build", str(course.root), "--tagged")
    assert result.exit_code == 0, result.output
    alts = []
    with pikepdf.open(course.dist / "reader.pdf") as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/S") == "/Figure" and \
                    "/Alt" in obj:
                alts.append(str(obj.Alt))
    assert any(KNOWN in " ".join(a.split()) for a in alts), alts
    assert any("PAGE-ONE-HUNDRED-THREE" in a for a in alts)
    assert acting_objects(course.dist / "reader.pdf") == []


@pytest.mark.slow
def test_the_deck_shows_the_first_page_and_cites_the_reader_pages(built: Course) -> None:
    from pptx import Presentation

    pages = _pages(built)
    slides = [[shape for shape in slide.shapes]
              for slide in Presentation(str(built.dist / "deck.pptx")).slides]
    texts = [[s.text_frame.text for s in shapes if s.has_text_frame] for shapes in slides]
    opener = next(n for n, t in enumerate(texts) if "The digital pages" in t
                  and any(x.startswith("Reader pp.") for x in t))
    first, last = pages["item-s_digital"][0], pages["item-s_digital-p2"][0]
    assert f"Reader pp. {first}–{last}" in texts[opener]
    picture = [s for s in slides[opener] if s.shape_type == 13]       # a picture
    assert len(picture) == 1 and picture[0].image.content_type == "image/png"
    quote = texts[opener + 1]
    assert any("PAGE-ONE-HUNDRED-THREE" in t for t in quote)
    assert f"Reader p. {pages['item-s_digital-p2'][0]}" in quote, "cited to the page it is on"
    assert any(t.endswith("p. 103") for t in quote)


# --- untrusted files: a located message, and dist/ as it was ----------------------------------

_SAVED: dict = {}


def _small(course: Course, front: dict, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        course.write(f"s/{name}", data)
    course.write("s/x.md", _excerpt("Pages", **front))
    course.manifest({"title": "T", "contents": [{"essay": "s/e.md"}, {"excerpt": "s/x.md"}]})


def _refused(course: Course, tmp_path_factory, front: dict, files: dict[str, bytes],
             phrase: str, line: int) -> None:
    course.write("s/e.md", essay("An essay", "Some text."))
    course.manifest({"title": "T", "contents": [{"essay": "s/e.md"}]})
    good_dist(course, _SAVED, tmp_path_factory, "originals-good")
    before = {p.name: p.read_bytes() for p in course.dist.iterdir() if p.is_file()}
    _small(course, front, files)
    result = run("build", str(course.root))
    assert result.exit_code == 1, result.output
    assert f"s/x.md:{line}:" in result.stderr and phrase in result.stderr, result.stderr
    assert "Traceback" not in result.output + result.stderr
    after = {p.name: p.read_bytes() for p in course.dist.iterdir() if p.is_file()}
    assert after == before


def _locked(password: str) -> bytes:
    return save(digital_pdf(["SECRET"]),
                encryption=pikepdf.Encryption(user=password, owner=password + "-owner"))


CASES = {
    "encrypted": ({"pdf": "a.pdf"}, {"a.pdf": _locked("pw")}, "is encrypted", 10),
    "wrong password": ({"pdf": "a.pdf", "password": "nope"}, {"a.pdf": _locked("pw")},
                       "does not open it", 10),
    "not a pdf": ({"pdf": "a.pdf"}, {"a.pdf": b"%PDF-1.7\n" + b"\x00garbage" * 50},
                  "not a PDF reader can read", 10),
    "page out of range": ({"pdf": "a.pdf", "pages": "101-105"},
                          {"a.pdf": save(digital_pdf(["A", "B"], first_label=101))},
                          "page 105 is not in 'a.pdf'", 11),
    "empty selection": ({"pdf": "a.pdf", "pages": " "},
                        {"a.pdf": save(digital_pdf(["A"]))}, "'pages'", 11),
    "ten thousand pages": ({"pdf": "a.pdf"}, {"a.pdf": b""}, "10,000 pages", 10),
    "huge image": ({"images": ["big.png"], "first_printed_page": 3},
                   {"big.png": huge_png(30_000, 30_000)}, "pixels", 11),
    "not an image": ({"images": ["a.png"], "first_printed_page": 3},
                     {"a.png": b"not an image at all"}, "not an image reader can read", 11),
    "images without page numbers": ({"images": ["a.png"]},
                                    {"a.png": huge_png(100, 100)}, "say which pages", 10),
}


def _ten_thousand_pages() -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    page = pdf.pages[0]
    for _ in range(9_999):
        pdf.pages.append(page)
    return save(pdf, object_stream_mode=pikepdf.ObjectStreamMode.generate)


@pytest.mark.parametrize("case", list(CASES))
def test_an_untrusted_file_stops_the_build_with_a_located_message(
        case: str, course: Course, tmp_path_factory) -> None:
    front, files, phrase, line = CASES[case]
    if case == "ten thousand pages":
        files = {"a.pdf": _ten_thousand_pages()}
    _refused(course, tmp_path_factory, front, files, phrase, line)


def test_a_damaged_pdf_is_repaired_with_a_warning(course: Course) -> None:
    data = save(digital_pdf(["REPAIRED-TEXT"], first_label=7))
    broken = data[:data.rindex(b"xref")] + b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
    _small(course, {"pdf": "a.pdf"}, {"a.pdf": broken})
    course.write("s/e.md", essay("An essay", "Some text."))
    result = run("check", str(course.root))
    assert result.exit_code == 0, result.output
    assert "s/x.md:10:" in result.stderr and "damaged and was repaired" in result.stderr


def test_a_password_opens_a_locked_pdf(course: Course) -> None:
    _small(course, {"pdf": "a.pdf", "password": "pw"}, {"a.pdf": _locked("pw")})
    course.write("s/e.md", essay("An essay", "Some text."))
    result = run("build", str(course.root))
    assert result.exit_code == 0, result.output
    text = "".join(p.extract_text() for p in pypdf.PdfReader(course.dist / "reader.pdf").pages)
    assert "SECRET" in text


def test_keys_for_originals_are_refused_on_typed_excerpts(course: Course) -> None:
    course.write("s/x.md", _excerpt("Typed", crop="auto") + "Typed text.\n")
    course.manifest({"title": "T", "contents": [{"excerpt": "s/x.md"}]})
    result = run("check", str(course.root))
    assert result.exit_code == 1
    assert "s/x.md:10:1: 'crop' is for an excerpt from a PDF or images" in result.stderr


def test_text_below_the_front_matter_of_a_pdf_excerpt_is_refused(course: Course) -> None:
    course.write("s/a.pdf", save(digital_pdf(["A"])))
    course.write("s/x.md", _excerpt("Pages", pdf="a.pdf") + "\nSome typed text.\n")
    course.manifest({"title": "T", "contents": [{"excerpt": "s/x.md"}]})
    result = run("check", str(course.root))
    assert result.exit_code == 1
    assert "s/x.md:13: an excerpt from a PDF or from images prints their pages" in result.stderr


# --- the sample course -------------------------------------------------------------------------

def test_the_sample_course_reproduces_a_scan_and_a_digital_pdf() -> None:
    """The sample's originals are the seed's quotations, with the seed's page numbers."""
    from reader.course.manifest import load_manifest
    from reader.course.model import build_course

    manifest = load_manifest(REPO)
    course = build_course(manifest, manifest.variant())
    originals = {e.name: e for e in course.excerpts if e.original is not None}
    scanned = originals["sections/excerpt-kolakowski-logic.md"]
    digital = originals["sections/excerpt-kotkin-no-plan.md"]
    assert scanned.original.kind == "images" and scanned.pages == "41-42, 44"
    assert digital.original.kind == "pdf" and digital.pages == "675-676"
    assert [p.printed for p in digital.original.pages] == ["675", "676"]
    size = sum(p.stat().st_size for p in (REPO / "sections" / "originals").iterdir())
    assert size < 500_000


def test_the_words_on_the_pages_count_for_the_copying_guideline(course: Course) -> None:
    """A reading of 1,203 words (400 a page and a folio) is over the guideline however it is
    given: typed, or as pages whose words are known once they are read."""
    words = " ".join(f"word{n}" for n in range(400))
    course.write("s/a.pdf", save(digital_pdf([words, words, words], first_label=5)))
    course.write("s/x.md", _excerpt("Long pages", pdf="a.pdf")
                 .replace("permission: Public domain\n", "permission: Fair dealing\n"))
    course.manifest({"title": "T", "contents": [{"excerpt": "s/x.md"}]})
    result = run("build", str(course.root))
    assert result.exit_code == 0, result.output
    assert "Reading 1 is 1,203 words, over the 1,000-word guideline" in result.stderr
    rows = (course.dist / "permissions.csv").read_text()
    assert ",1203," in rows
