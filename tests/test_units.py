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
