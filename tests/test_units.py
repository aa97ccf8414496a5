"""The fast tier: pure functions, checked without building anything (pytest -m "not slow")."""

from __future__ import annotations

import pytest

from reader.course.model import format_cell, pages_label, parse_number, roman
from reader.course.markdown import split_sentences
from reader.course.theme import BadToken, colour, family, size

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("number, expected", [
    (1, "I"), (4, "IV"), (9, "IX"), (14, "XIV"), (20, "XX"), (21, "XXI"), (40, "XL"),
    (49, "XLIX"), (90, "XC"), (1999, "MCMXCIX")])
def test_roman_part_numbers(number, expected):
    assert roman(number) == expected


@pytest.mark.parametrize("raw, expected", [
    ("39-40", "pp. 39–40"), ("44", "p. 44"), ("41-42, 44", "pp. 41–42, 44"),
    ("pp. 3-4", "pp. 3-4"), ("xii", "p. xii"), (None, ""), ("", "")])
def test_pages_labels(raw, expected):
    assert pages_label(raw) == expected


@pytest.mark.parametrize("cell, expected", [
    ("1,331", 1331), ("7.5", 7.5), ("-12", -12), ("−3", -3), ("1.000", 1.0),
    ("12 345", "12 345"), ("1,33", "1,33"), ("abc", "abc"), (" 42 ", 42), ("", "")])
def test_csv_cells_that_are_numbers(cell, expected):
    assert parse_number(cell) == expected
    assert type(parse_number(cell)) is type(expected)


@pytest.mark.parametrize("cell, lang, expected", [
    ("1.234,5", "de", 1234.5), ("1.000", "de", 1000), ("7,5", "de", 7.5), ("−3,5", "de", -3.5),
    ("7.5", "de", 7.5), ("1 234,5", "fr", 1234.5), ("1\u202f234", "fr", 1234),
    ("1.000", "en", 1.0), ("1,5", "en", "1,5"), ("12.5", "xx", 12.5)])
def test_csv_numbers_are_read_as_the_courses_language_writes_them(cell, lang, expected):
    assert parse_number(cell, lang) == expected
    assert type(parse_number(cell, lang)) is type(expected)


@pytest.mark.parametrize("value, column, lang, expected", [
    (1234567.5, "Wert", "de", "1.234.567,5"), (1926, "Jahr", "de", "1926"),
    (1234567, "Population", "fr", "1\u202f234\u202f567"), (1928, "Année", "fr", "1928"),
    (0.25, "Taux", "fr", "0,25"), (1234, "Output", "en-GB", "1,234"), (1234, "x", "zz", "1,234")])
def test_table_numbers_are_written_as_the_courses_language_writes_them(value, column, lang,
                                                                       expected):
    assert format_cell(value, column, lang) == expected


@pytest.mark.parametrize("value, column, expected", [
    (1234567, "Output", "1,234,567"), (1928, "Year", "1928"), (1928, "1928", "1,928"),
    (7.5, "Share", "7.5"), (0.125, "Rate", "0.125"), (None, "A", ""), (True, "A", "true"),
    ("text", "A", "text")])
def test_table_cells_are_formatted_like_a_book(value, column, expected):
    assert format_cell(value, column) == expected


@pytest.mark.parametrize("text, expected", [
    ("One. Two.", ["One.", "Two."]),
    ("See pp. 39-40 for this. And more.", ["See pp. 39-40 for this.", "And more."]),
    ("As E. H. Carr wrote, it was so. Then?", ["As E. H. Carr wrote, it was so.", "Then?"]),
    ("He said “Stop.” Then left.", ["He said “Stop.”", "Then left."]),
    ("Dr Smith, i.e. the author, agreed. Yes.", ["Dr Smith, i.e. the author, agreed.", "Yes."]),
    ("", []),
])
def test_sentence_splitting_keeps_abbreviations_whole(text, expected):
    assert split_sentences(text) == expected


@pytest.mark.parametrize("value, expected", [
    ("#7A2E1F", "#7A2E1F"), ("blue", "#0000FF"), ("rgb(10, 20, 30)", "#0A141E"),
    ("#abc", "#AABBCC")])
def test_theme_colours(value, expected):
    assert colour(value) == expected


@pytest.mark.parametrize("value", ["nonsense", "#12345", "transparent", "rgba(0,0,0,0.5)", 3,
                                   "red; } body { x", None])
def test_theme_colours_refused(value):
    with pytest.raises(BadToken):
        colour(value)


@pytest.mark.parametrize("value", ["../x", "/usr/share/fonts/x", "A</style>", "", "x" * 70, 5])
def test_font_family_names_refused(value):
    with pytest.raises(BadToken):
        family(value)


def test_sizes_in_range():
    check = size(12, 48)
    assert check(24) == 24
    for bad in (0, 11.9, 49, True, "24"):
        with pytest.raises(BadToken):
            check(bad)


def test_a_missing_image_is_located_at_its_line_and_column(tmp_path):
    from PIL import Image as PILImage

    from reader.course.markdown import parse_markdown_file
    from reader.errors import CourseError

    text = ("---\ntitle: T\n---\nIntro.\n\nSee ![ok](a.png) and then ![gone](missing.png).\n\n"
            "- item\n  ![x](nope.png)\n\n| a | b |\n|---|---|\n| 1 | ![t](t.png) |\n\n"
            "`![code]` ![y](why.png)\n")
    PILImage.new("RGB", (10, 10)).save(tmp_path / "a.png")
    (tmp_path / "e.md").write_text(text)
    with pytest.raises(CourseError) as caught:
        parse_markdown_file(tmp_path / "e.md", tmp_path, text)
    places = [str(p.location) for p in caught.value.problems]
    # the last: a '![' in a code span makes the count ambiguous, so only the line is claimed
    assert places == ["e.md:6:27", "e.md:9:3", "e.md:13:7", "e.md:15"]


# --- page ranges, names, identifiers ----------------------------------------------------------

@pytest.mark.parametrize("pages, count", [
    ("23-25, 27-30", 7), ("44", 1), ("xii-xiv, 3", 4), ("pp. 39–40", 2), ("1-2 and 5", 3),
    ("passim", None), ("40-39", None), ("", None), (None, None), ("1-200000", None)])
def test_pages_used_are_counted_from_the_range_as_printed(pages, count):
    from reader.course.model import page_count

    assert page_count(pages) == count


@pytest.mark.parametrize("a, b", [
    ("Stalin's Russia", "STALIN’S  RUSSIA"), ("Émile Zola", "emile zola"),
    ("“Capital”, vol. 1", "Capital vol 1")])
def test_the_same_work_is_compared_as_a_reader_would(a, b):
    from reader.course.model import fold

    assert fold(a) == fold(b)
    assert fold("Capital, vol. 1") != fold("Capital, vol. 2")


@pytest.mark.parametrize("value", ["978-0-19-285115-4", "0-19-285115-2", "0 19 285115 2",
                                   "0378-5955", "080442957X"])
def test_isbns_and_issns_with_a_right_check_digit_are_kept_as_written(value):
    from reader.course.model import isbn

    assert isbn(value) == value


@pytest.mark.parametrize("value, phrase", [
    ("978-0-19-285115-5", "wrong check digit"), ("0-19-285115-3", "wrong check digit"),
    ("12345", "expected an ISBN"), ("0378-5956", "wrong check digit")])
def test_isbns_with_a_typo_are_refused(value, phrase):
    from reader.core.yamlsource import Invalid
    from reader.course.model import isbn

    with pytest.raises(Invalid, match=phrase):
        isbn(value)


def test_slide_page_references_cite_first_to_last_place_or_the_item():
    from reader.course.pagemap import PageMap
    from reader.deck.cite import fill, page_token, pages_label as slide_pages

    pages = PageMap(start={"item-2": 7}, pages={"item-2": 3},
                    anchors={"item-2-b1": 7, "item-2-b4": 8, "item-2-b9": 9})
    assert slide_pages(pages, "item-2-b1", "item-2-b4", "item-2") == "pp. 7–8"
    assert slide_pages(pages, "item-2-b4", "item-2-b4", "item-2") == "p. 8"
    assert slide_pages(pages, "item-2-b9", "item-2-b1", "item-2") == "p. 9"   # never backwards
    assert slide_pages(pages, "gone", "gone", "item-2") == "p. 7"             # the item's page
    assert slide_pages(pages, "gone", "gone", "also-gone") == ""
    body = f"<a:t>Reader {page_token('item-2-b1', 'item-2-b9', 'item-2')}</a:t>".encode()
    assert fill(body, pages) == "<a:t>Reader pp. 7–9</a:t>".encode()


def test_item_anchors_are_the_ids_everything_cites():
    """From the item's name, never its place: letters and digits of its path joined by
    '_' (no hyphen: '-b3', '-note-1' follow an anchor); names whose slugs coincide all
    take a digest of the name, whatever else the course holds and in whatever order."""
    from reader.course.model import item_anchors

    assert item_anchors(["sections/01-NEP.md", "s/Ünï x.yaml", "noext"]) == {
        "sections/01-NEP.md": "item-sections_01_nep", "s/Ünï x.yaml": "item-s_uni_x",
        "noext": "item-noext"}
    both = item_anchors(["a b.md", "a-b.md", "z.md"])
    assert both["z.md"] == "item-z" and len(set(both.values())) == 3
    assert both["a b.md"].startswith("item-a_b_") and both["a-b.md"].startswith("item-a_b_")
    assert item_anchors(["a-b.md", "z.md", "a b.md"]) == both              # order aside
    assert item_anchors(["a b.md"])["a b.md"] == "item-a_b"                # alone: plain
    assert all(a.startswith("item-") and a[5:].replace("_", "").isalnum() and
               a[5:].isascii() for a in both.values())
    # a name written to look like another's suffixed slug still gets an id of its own
    import hashlib

    lookalike = f"a_{hashlib.sha256(b'a.md').hexdigest()[:10]}.md"
    assert len(set(item_anchors(["a.md", "a.yaml", lookalike]).values())) == 3


# --- the deck package: part names and content types ------------------------------------------

def test_joined_parts_get_the_first_free_number_of_their_kind():
    from reader.deck.join import Namer

    namer = Namer({"/ppt/slides/slide1.xml", "/ppt/slides/slide3.xml"})
    names = [namer.name(old) for old in ("/ppt/slides/slide7.xml", "/ppt/slides/slide9.xml",
                                         "/ppt/slides/slide1.xml", "/ppt/charts/chart12.xml",
                                         "/ppt/media/image5.png", "/ppt/media/image2.jpeg",
                                         "/ppt/embeddings/Microsoft_Excel_Sheet3.xlsx")]
    assert names == ["/ppt/slides/slide2.xml", "/ppt/slides/slide4.xml",
                     "/ppt/slides/slide5.xml", "/ppt/charts/chart1.xml",
                     "/ppt/media/image1.png", "/ppt/media/image1.jpeg",
                     "/ppt/embeddings/Microsoft_Excel_Sheet1.xlsx"]
    assert len(set(names)) == len(names)


def test_content_types_name_every_part_once_with_its_type():
    from reader.deck.join import ContentTypes, content_types

    slide = "application/vnd.openxmlformats-officedocument.presentationml.slide+xml"
    chart = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
    parts = [("/ppt/slides/slide1.xml", slide), ("/ppt/slides/slide2.xml", slide),
             ("/ppt/charts/chart1.xml", chart), ("/ppt/media/image1.png", "image/png"),
             ("/ppt/media/image2.PNG", "image/png")]
    data = content_types(parts)
    read = ContentTypes(data)
    for part, kind in parts:
        assert read.of(part) == kind, part
    assert read.defaults["png"] == "image/png"
    assert read.defaults["rels"].endswith("relationships+xml")
    # .xml parts differ in type, so each is an override and none a default
    assert set(read.overrides) == {p for p, _ in parts if p.endswith(".xml")}
    assert content_types(parts) == data          # a function of the parts alone


# --- text wrapping, checked with the font file itself -------------------------------------------

def test_deck_text_wraps_at_words_into_lines_that_fit_and_no_fewer():
    from PIL import ImageFont

    from reader.course.theme import theme_for
    from reader.deck.textfit import SAFETY, Metrics

    theme = theme_for(None)
    files = {(b, i): theme.font_file("Carlito", b, i) for b in (False, True) for i in (False, True)}
    font = ImageFont.truetype(str(files[(False, False)]), 1000)

    def points(text: str, size: float) -> float:       # the font's own advance widths
        return font.getlength(text) * size / 1000 * SAFETY

    text = ("The procurement crisis of 1927 turned the party against the market, and the "
            "village paid for the tractors, the factories and the famine that followed.")
    for width in (120.0, 240.0, 400.0):
        lines = Metrics(files).wrap(text, 18, width)
        assert " ".join(lines) == text
        assert all(points(line, 18) <= width + 0.01 for line in lines), (width, lines)
        for line, after in zip(lines, lines[1:]):       # greedy: the next word did not fit
            assert points(f"{line} {after.split()[0]}", 18) > width, (width, line, after)
    # a word longer than the line is broken between letters, never lost
    long = "Trotsky-Preobrazhensky-Bukharin-Kamenev-Zinoviev"
    lines = Metrics(files).wrap(long, 18, 60)
    assert "".join(lines) == long and len(lines) > 1
    assert all(points(line, 18) <= 60 + 0.01 for line in lines if len(line) > 1)


# --- quotation marks follow the language --------------------------------------------------------

@pytest.mark.parametrize("lang, expected", [
    ("en", "“Quoted” and ‘single’ – it’s"), ("en-GB", "“Quoted” and ‘single’ – it’s"),
    ("de", "„Quoted“ and ‚single‘ – it’s"), ("fr", "«\u00a0Quoted\u00a0» and “single” – it’s"),
    ("ru", "«Quoted» and „single“ – it’s")])
def test_quotation_marks_follow_the_language(lang, expected):
    from reader.course.markdown import typographic

    assert typographic("\"Quoted\" and 'single' -- it's", lang) == expected


# --- the copying guideline ----------------------------------------------------------------------

def _excerpt(n: int, author: str, title: str, words: int = 300, permission: str | None = None,
             pages: str = "1-2", work_pages: int | None = None, chapter: str | None = None):
    """An excerpt of ``words`` typed words, as the model holds it (no files involved)."""
    from pathlib import Path

    from reader.course.markdown import parse_markdown_file
    from reader.course.model import Excerpt, Source
    from reader.errors import Location

    path = Path(f"/course/s/{n}.md")
    doc = parse_markdown_file(path, path.parent, "---\ntitle: T\n---\n" + "word " * words)
    return Excerpt(kind="excerpt", name=f"s/{n}.md", path=path, title=f"Passage {n}",
                   number=n, index=n, part=None, location=Location(path), anchor=f"item-s_{n}",
                   doc=doc,
                   author=author, source=Source(author=None, title=title,
                                                work_pages=work_pages, chapter=chapter),
                   pages=pages, permission=permission)


def _guideline(*excerpts) -> list[str]:
    from reader.course.copying import findings

    return [f.message for f in findings(list(excerpts))]


def test_a_prose_excerpt_over_a_thousand_words_is_flagged_unless_cleared():
    assert _guideline(_excerpt(1, "A", "W", words=1000)) == []
    assert _guideline(_excerpt(1, "A", "W", words=1001)) == \
        ["Reading 1 is 1,001 words, over the 1,000-word guideline for a prose excerpt"]
    assert _guideline(_excerpt(1, "A", "W", words=5000, permission="Public domain")) == []
    assert len(_guideline(_excerpt(1, "A", "W", words=5000, permission="Fair dealing"))) == 1


def test_two_excerpts_per_author_three_per_work_nine_per_course():
    by_one = [_excerpt(n, "Ada Author", f"Work {n}") for n in (1, 2, 3)]
    assert _guideline(*by_one[:2]) == []
    assert _guideline(*by_one) == ["3 excerpts by Ada Author (Reading 1, Reading 2, Reading 3); "
                                   "the guideline allows 2"]
    # one work, named with different case and quotes, by different authors
    titles = ["Stalin's Russia", "STALIN’S RUSSIA", "stalin's  russia", "Stalin's Russia"]
    same = [_excerpt(n, f"Author {n}", t) for n, t in enumerate(titles, 1)]
    assert _guideline(*same[:3]) == []
    assert _guideline(*same) == [
        "4 excerpts from Stalin's Russia (Reading 1, Reading 2, Reading 3, Reading 4); "
        "the guideline allows 3"]
    many = [_excerpt(n, f"Author {n}", f"Work {n}") for n in range(1, 11)]
    assert _guideline(*many[:9]) == []
    assert _guideline(*many) == ["10 excerpts rely on the guideline; it allows 9 in a course"]
    cleared = [_excerpt(n, "Ada Author", "W", permission="CC BY 4.0") for n in range(1, 11)]
    assert _guideline(*cleared) == []


def test_a_tenth_of_a_work_and_one_chapter():
    assert _guideline(_excerpt(1, "A", "W", pages="1-10", work_pages=100)) == []
    assert _guideline(_excerpt(1, "A", "W", pages="1-11", work_pages=100)) == [
        "11 pages of W (Reading 1) are 11% of its 100 pages; the guideline allows 10%"]
    one = _excerpt(1, "A", "W", chapter="One")
    assert _guideline(one, _excerpt(2, "B", "W", chapter="one")) == []
    assert _guideline(one, _excerpt(2, "B", "W", chapter="Two")) == [
        "2 chapters of W (Reading 1, Reading 2); the guideline allows one"]


# --- printed page numbers of originals, roman numerals, dates --------------------------------

@pytest.mark.parametrize("labels, expected", [
    (["41", "42", "44"], "41-42, 44"), (["675", "676"], "675-676"), (["7"], "7"),
    (["xii", "xiii", "xiv", "1", "2"], "xii-xiv, 1-2"), (["9", "8"], "9, 8"),
    (["iv", "v", "7"], "iv-v, 7"), ([], "")])
def test_the_pages_of_an_original_are_cited_as_ranges(labels, expected):
    from reader.course.documents import compact_pages

    assert compact_pages(labels) == expected


def test_roman_numerals_read_back_and_malformed_ones_are_not_numbers():
    from reader.course.numerals import roman_value

    assert all(roman_value(roman(n)) == n == roman_value(roman(n).lower()) for n in range(1, 400))
    for bad in ("IIII", "VX", "IC", "xIv", "", "ii i", "LL"):
        assert roman_value(bad) is None, bad


@pytest.mark.parametrize("value, expected", [
    ("auto", "auto"), ("none", "none"), (12, (12.0,) * 4), ("12mm", (12.0,) * 4),
    ({"top": 20, "bottom": "15 mm"}, (20.0, 0.0, 15.0, 0.0))])
def test_crop_is_auto_none_or_millimetres_per_side(value, expected):
    from reader.course.documents import CROP_SIDES, crop

    assert CROP_SIDES == ("top", "right", "bottom", "left")
    assert crop(value) == expected


@pytest.mark.parametrize("value", [101, -1, "12cm", True, {"middle": 3}, {"top": "x"}])
def test_a_crop_that_is_not_millimetres_is_refused(value):
    from reader.core.yamlsource import Invalid
    from reader.course.documents import crop

    with pytest.raises(Invalid):
        crop(value)


def test_dates_come_from_source_date_epoch_and_zips_never_predate_1980(monkeypatch):
    from reader.core.dates import document_date, pdf_date, zip_date

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert document_date() is None and zip_date() == (1980, 1, 1, 0, 0, 0)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    assert pdf_date(document_date()) == "D:20260101000000Z"
    assert zip_date() == (2026, 1, 1, 0, 0, 0)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "100")                 # 1970: before zips began
    assert zip_date() == (1980, 1, 1, 0, 0, 0)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    assert document_date() is None


def test_chart_ticks_are_written_as_the_tables_numbers():
    from reader.pdf.charts import format_value

    assert format_value(1500.0, [0.0, 500.0, 1000.0, 1500.0], "de") == "1.500"
    assert format_value(0.25, [0.0, 0.25, 0.5], "fr") == "0,25"
    assert format_value(-1500.0, [-1500.0, 0.0], "en") == "\u22121,500"
