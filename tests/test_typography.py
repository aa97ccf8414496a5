"""The printed reader is faithful and well set (issue 10): read back from the real PDF.

A lecturer's course with the hard cases in it (a nine-column table, a sixty-row table,
titles long enough to wrap in the contents, a URL and a German compound that cannot
break, a footnote typed over three lines, a poem) is built on the fast path and the
tagged path, and each page is checked with pdfplumber, pypdf and pypdfium2.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from conftest import REPO, Course, essay, run
from verify import MM, Box, outside_text_block

LONG_TITLE = ("An essay whose title is long enough, at ninety-odd characters, that it must wrap "
              "in the contents")
URL = "https://www.example.org/a/very/long/path/that/has/no/spaces/at/all/anywhere/index.html"
COMPOUND = "Donaudampfschifffahrtsgesellschaftskapitänswitwenrentenversicherungsanstalt"
REGIONS = ["Sub-Saharan Africa", "East Asia and Pacific", "Europe and Central Asia",
           "Latin America and the Caribbean", "Middle East and North Africa", "North America",
           "South Asia"]
INCOME = ["Region", "Poor", "Vulnerable", "Lower middle class", "Middle class",
          "Upper middle class", "Rich", "Very rich", "Total population"]
POEM = """\
No, not under the vault of alien skies,\\
And not under the shelter of alien wings,\\
I was with my people then,\\
There, where my people, unfortunately, were.

In the terrible years of the Yezhov terror,\\
I spent seventeen months waiting in line\\
Outside the prison in Leningrad.
"""


def write_hard_course(course: Course, **settings) -> Course:
    course.write("s/long.md", essay(LONG_TITLE, f"""
        The Bolsheviks' tractors and the dictatorship of the Revolution were debated by
        Stalin, Trotsky and Bukharin.[^1] See {URL} for the record, and {COMPOUND} for a
        word that never ends.

        [^1]: A footnote typed
            over three indented
            lines in the source file.
        """, author="Course team"))
    course.write("s/poem.md", "---\n" + yaml.safe_dump({
        "title": "A poem's stanzas", "author": "Anna Akhmatova",
        "headnote": "A headnote typed\nover several lines\nin a YAML block scalar.\n",
        "source": {"title": "Requiem and Other Poems", "publisher": "Penguin", "year": 1989,
                   "pages": "10-11"}}, sort_keys=False) + "---\n" + POEM)
    course.write("s/wide.yaml", yaml.safe_dump({
        "title": "Income classes by region, 2020 (thousands)", "columns": INCOME,
        "source": "A made-up survey\nof incomes typed\nover three lines\n",
        "rows": [[r] + [1000 * i + 37 * j for j in range(8)] for i, r in enumerate(REGIONS, 1)]},
        sort_keys=False))
    course.write("s/long.yaml", yaml.safe_dump({
        "title": "Sixty districts", "columns": ["District", "Population", "Farms"],
        "rows": [[f"District number {n}", n * 1234, n * 7] for n in range(1, 61)]}))
    course.write("s/q.yaml", "title: Questions\nquestions:\n  - |\n    A question typed\n"
                             "    over two lines in a block scalar?\n")
    course.write("s/end.md", essay("Conclusion", "It ends here."))
    course.manifest({
        "title": "The People's Reader", "instructor": "Dr O'Brien", "lang": "en", **settings,
        "contents": [
            {"part": "A part whose title is long enough to wrap onto a second line in the "
                     "contents", "items": [{"essay": "s/long.md"}, {"excerpt": "s/poem.md"},
                                           {"table": "s/wide.yaml"}, {"table": "s/long.yaml"},
                                           {"questions": "s/q.yaml"}]},
            {"essay": "s/end.md"}]})
    return course


@pytest.fixture(scope="module")
def hard(tmp_path_factory) -> dict[str, Path]:
    """The hard course, built on both paths: {'fast': pdf, 'tagged': pdf, 'warnings': ...}."""
    course = write_hard_course(Course(tmp_path_factory.mktemp("hard")))
    out: dict = {}
    for path, flags in (("fast", ()), ("tagged", ("--tagged",))):
        result = run("build", str(course.root), *flags)
        assert result.exit_code == 0, result.output
        out[path] = tmp_path_factory.mktemp(path) / "reader.pdf"
        out[path].write_bytes((course.dist / "reader.pdf").read_bytes())
        out[path + "-warnings"] = result.stderr
    return out


PATHS = ["fast", "tagged"]


# --- the pages' geometry ---------------------------------------------------------------------

def folios(pdf_path: Path) -> list[int]:
    """The printed page number of every page (i, ii... then 1, 2...), from its page label."""
    from pypdf import PdfReader

    labels = PdfReader(str(pdf_path)).page_labels
    roman = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6}
    return [int(label) if label.isdigit() else roman[label] for label in labels]


def reader_regions(pdf_path: Path):
    """Where reader.css allows ink: the text block (22/24 mm top/bottom, 24 mm inner, 72 mm
    outer; 24 mm all round on a landscape page), a band above it for the running head and
    one below for the folio. The cover may be drawn on anywhere."""
    numbers = folios(pdf_path)

    def regions(index: int, width: float, height: float) -> list[Box]:
        if index == 0:
            return [Box(0, 0, width, height, "paper")]
        if width > height:
            top, bottom, left, right = 24, 24, 24, 24
        else:
            top, bottom = 22, 24
            left, right = (24, 72) if numbers[index] % 2 else (72, 24)
        x0, x1, y0, y1 = left * MM, width - right * MM, top * MM, height - bottom * MM
        return [Box(x0, y0, x1, y1), Box(x0, y0 - 12 * MM, x1, y0, "running-head band"),
                Box(x0, y1, x1, y1 + 14 * MM, "folio band")]

    return regions


@pytest.mark.parametrize("path", PATHS)
def test_nothing_prints_outside_the_text_block(hard, path):
    """A 9-column table, a 60-row table, long titles, a URL and a German compound: every
    character and rule stays in the text block or the margins' running head and folio."""
    assert outside_text_block(hard[path], reader_regions(hard[path])) == []


@pytest.mark.parametrize("path", PATHS)
def test_wide_table_is_set_on_a_landscape_page_and_said_so(hard, path):
    import pdfplumber

    assert ("s/wide.yaml: Table 1 (9 columns) is wider than the text block; it is printed "
            "on a landscape page") in hard["fast-warnings"]
    with pdfplumber.open(hard[path]) as pdf:
        page = next(p for p in pdf.pages if "Latin America" in (p.extract_text() or ""))
        assert page.width > page.height
        lines = page.extract_text().splitlines()
        # the region column is not squeezed to a word a line, and no heading is cut
        assert any(line.startswith("Latin America and the Caribbean 4,000") for line in lines)
        for word in ("Vulnerable", "Upper", "population"):
            assert word in page.extract_text()
        later = [p for p in pdf.pages if p.page_number > page.page_number]
        assert later and later[0].width < later[0].height  # back to portrait after it


@pytest.mark.parametrize("path", PATHS)
def test_sixty_rows_break_across_pages_with_their_header(hard, path):
    import pdfplumber

    with pdfplumber.open(hard[path]) as pdf:
        pages = [p.extract_text() or "" for p in pdf.pages]
    holding = [t for t in pages if "District number" in t]
    assert len(holding) >= 2
    assert all("District Population Farms" in t for t in holding)
    assert all(f"District number {n} " in "".join(holding) for n in range(1, 61))


# --- contents -------------------------------------------------------------------------------

def contents_entries(pdf_path: Path) -> list[list[dict]]:
    """The contents page's lines of words, top to bottom (pdfplumber)."""
    import pdfplumber

    with pdfplumber.open(pdf_path) as pdf:
        page = next(p for p in pdf.pages if (p.extract_text() or "").startswith("Contents"))
        words = page.extract_words(keep_blank_chars=False, use_text_flow=True)
    lines: dict[float, list[dict]] = {}
    for word in words:
        if set(word["text"]) <= {"."}:
            continue  # leader dots
        key = next((k for k in lines if abs(k - word["bottom"]) < 2), word["bottom"])
        lines.setdefault(key, []).append(word)
    return [sorted(ws, key=lambda w: w["x0"]) for _, ws in sorted(lines.items())][1:]


@pytest.mark.parametrize("path", PATHS)
def test_long_contents_title_hangs_with_its_number_on_the_last_line(hard, path):
    lines = contents_entries(hard[path])
    numbers = [line[-1] for line in lines if line[-1]["text"].isdigit()]
    assert len(numbers) >= 7  # part, five items, the loose essay, Sources
    right = numbers[0]["x1"]
    assert all(abs(n["x1"] - right) < 0.5 for n in numbers), "page numbers not in one column"
    start = next(i for i, line in enumerate(lines) if line[0]["text"] == "Essay")
    first, second = lines[start], lines[start + 1]
    assert [w["text"] for w in first[:3]] == ["Essay", "1", "An"]
    title_x = first[2]["x0"]
    assert first[-1]["text"] != "2" or not first[-1]["text"].isdigit()  # no number on line 1
    assert abs(second[0]["x0"] - title_x) < 0.5, "the wrapped title does not hang"
    assert second[-1]["text"] == "2" and abs(second[-1]["x1"] - right) < 0.5
    assert second[-2]["x1"] < second[-1]["x0"] - 10, "the page number touches the title"
    part = next(line for line in lines if line[0]["text"] == "Part")
    assert part[-1]["text"] != "1"  # the part's long title wraps: its number is below
    part_next = lines[lines.index(part) + 1]
    assert part_next[-1]["text"] == "1" and abs(part_next[0]["x0"] - part[2]["x0"]) < 0.5


# --- soft line breaks, verse, attribution, typographic text -----------------------------------

def page_lines(pdf_path: Path) -> list[str]:
    import pdfplumber

    with pdfplumber.open(pdf_path) as pdf:
        return [line for p in pdf.pages for line in (p.extract_text() or "").splitlines()]


@pytest.mark.parametrize("path", PATHS)
def test_soft_line_breaks_are_spaces_in_footnotes_headnotes_questions_and_sources(hard, path):
    lines = page_lines(hard[path])
    for typed in ("1. A footnote typed over three indented lines in the source file.",
                  "A headnote typed over several lines in a YAML block scalar.",
                  "A question typed over two lines in a block scalar?",
                  "Source: A made-up survey of incomes typed over three lines"):
        assert any(line.strip().endswith(typed) for line in lines), typed


@pytest.mark.parametrize("path", PATHS)
def test_stanza_break_is_a_blank_line_not_an_indent(hard, path):
    import pdfplumber

    with pdfplumber.open(hard[path]) as pdf:
        page = next(p for p in pdf.pages if "Yezhov" in (p.extract_text() or ""))
        lines = {line["text"]: line for line in page.extract_text_lines()}
    first = lines["No, not under the vault of alien skies,"]
    second = lines["And not under the shelter of alien wings,"]
    last = lines["There, where my people, unfortunately, were."]
    stanza = lines["In the terrible years of the Yezhov terror,"]
    pitch = second["top"] - first["top"]
    assert abs(stanza["x0"] - first["x0"]) < 0.5, "the second stanza is indented"
    assert abs((stanza["top"] - last["top"]) - 2 * pitch) < 1.5, "no blank line between stanzas"


@pytest.mark.parametrize("path", PATHS)
def test_attribution_is_roman_with_the_title_in_italic(hard, path):
    import pdfplumber

    with pdfplumber.open(hard[path]) as pdf:
        page = next(p for p in pdf.pages if "Requiem and Other Poems" in (p.extract_text() or ""))
        line = next(ln for ln in page.extract_text_lines() if "Requiem" in ln["text"])
    fonts = {c["text"]: c["fontname"].split("+")[-1] for c in line["chars"]}
    assert fonts["A"] == "Caladea" and fonts["k"] == "Caladea"          # Anna Akhmatova
    assert fonts["R"] == "Caladea-Italic" and fonts["q"] == "Caladea-Italic"
    assert fonts["P"] == "Caladea" and fonts["9"] == "Caladea"          # (Penguin, 1989)


@pytest.mark.parametrize("path", PATHS)
def test_titles_are_typographic_everywhere(hard, path):
    from pypdf import PdfReader

    text = "\n".join(page_lines(hard[path]))
    assert "The People’s Reader" in text and "People's" not in text
    assert "Dr O’Brien" in text and "A poem’s stanzas" in text
    assert "The Bolsheviks’ tractors" in text
    assert PdfReader(str(hard[path])).metadata.title == "The People’s Reader"


def test_deck_gets_the_same_typographic_titles(course):
    from conftest import deck_slides, slide_text

    write_hard_course(course)
    assert run("build", str(course.root)).exit_code == 0
    text = "\n".join(slide_text(s) for s in deck_slides(course.dist / "deck.pptx"))
    assert "The People’s Reader" in text and "People's" not in text


@pytest.mark.parametrize("path", PATHS)
def test_footnote_calls_are_legible(hard, path):
    import pdfplumber

    with pdfplumber.open(hard[path]) as pdf:
        page = next(p for p in pdf.pages if "Bukharin" in (p.extract_text() or ""))
        calls = [c for c in page.chars if c["text"] == "1" and c["top"] < page.height / 2]
    assert calls and all(c["size"] >= 7.5 for c in calls), [c["size"] for c in calls]


# --- hyphenation ------------------------------------------------------------------------------

def hyphenation_faults(pdf_path: Path, words: set[str]) -> tuple[list[str], list[str]]:
    """(names split at a line end, runs of three hyphenated lines), read from the PDF.

    A line-end break is in a name when the part before it is capitalised and, joined to
    the next line's first word, makes a word of the course's text (so 'Trotsky-' before
    'Preobrazhensky' is a typed hyphen, not a split).
    """
    import pdfplumber

    names, runs = [], []
    with pdfplumber.open(pdf_path) as pdf:
        for page in pdf.pages:
            lines = (page.extract_text() or "").splitlines()
            run_length = 0
            for i, line in enumerate(lines):
                if not re.search(r"[^\W\d_]-$", line):
                    run_length = 0
                    continue
                run_length += 1
                if run_length >= 3:
                    runs.append(f"page {page.page_number}: " + " / ".join(lines[i - 2:i + 1]))
                head = re.search(r"([\w’']+)-$", line)
                tail = re.match(r"[\w’']+", lines[i + 1]) if i + 1 < len(lines) else None
                if head and tail and head.group(1)[0].isupper() and \
                        head.group(1) + tail.group(0) in words:
                    names.append(f"page {page.page_number}: {head.group(1)}-{tail.group(0)}")
    return names, runs


def test_sample_course_hyphenates_american_english_without_names_or_ladders(tmp_path):
    import shutil

    root = tmp_path / "sample"
    shutil.copytree(REPO / "sections", root / "sections")
    shutil.copy(REPO / "course.yaml", root / "course.yaml")
    assert run("build", str(root)).exit_code == 0
    text = " ".join(p.read_text(encoding="utf-8") for p in (root / "sections").iterdir()
                    if p.suffix in (".md", ".yaml", ".csv"))
    words = set(re.findall(r"[\w’']+", text))
    names, runs = hyphenation_faults(root / "dist" / "reader.pdf", words)
    assert names == [] and runs == []
    lines = page_lines(root / "dist" / "reader.pdf")
    assert sum(line.endswith("-") for line in lines) > 20  # it does hyphenate
    british = ("tract-", "capit-", "dictat-", "revolu-")  # en_GB breaks; en_US has trac-tors
    assert not [line for line in lines if line.lower().endswith(british)]


def test_no_more_than_two_hyphenated_lines_in_a_row(course):
    """Long words in every line would hyphenate nearly every line (39 of 40 without the rule)."""
    words = "internationalisation institutionalisation characteristically " * 60
    course.write("s/long.md", essay("Long words", words))
    course.manifest({"title": "Hyphens", "contents": [{"essay": "s/long.md"}]})
    for flags in ((), ("--tagged",)):
        assert run("build", str(course.root), *flags).exit_code == 0
        lines = page_lines(course.dist / "reader.pdf")
        assert sum(line.endswith("-") for line in lines) > 10
        _, runs = hyphenation_faults(course.dist / "reader.pdf", set())
        assert runs == []


def test_names_are_not_hyphenated(course):
    names = "Preobrazhensky Ordzhonikidze Tukhachevsky Kuibyshev Voroshilov Kaganovich " * 30
    course.write("s/names.md", essay("Names", f"We read {names}and others."))
    course.manifest({"title": "Names", "contents": [{"essay": "s/names.md"}]})
    assert run("build", str(course.root)).exit_code == 0
    words = set(names.split())
    names_split, _ = hyphenation_faults(course.dist / "reader.pdf", words)
    assert names_split == []


def test_hyphenation_language_and_pdf_language(course):
    from pypdf import PdfReader

    from reader.pdf.typeset import hyphenation_language

    assert hyphenation_language("en") == "en-US"
    assert hyphenation_language("en-GB") == "en-GB"
    assert hyphenation_language("de") == "de"
    course.write("s/e.md", essay("E", "Text."))
    course.manifest({"title": "L", "lang": "en", "contents": [{"essay": "s/e.md"}]})
    for flags in ((), ("--tagged",)):
        assert run("build", str(course.root), *flags).exit_code == 0
        assert PdfReader(str(course.dist / "reader.pdf")).trailer["/Root"]["/Lang"] == "en"


# --- the cover and the print shop -------------------------------------------------------------

ACCENT = (0x7A, 0x2E, 0x1F)


def cover_pixels(pdf_path: Path, dpi: int = 36):
    import numpy as np
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(pdf_path))
    try:
        return np.asarray(document[0].render(scale=dpi / 72).to_pil().convert("RGB")), dpi
    finally:
        document.close()


def is_accent(pixel) -> bool:
    return all(abs(int(a) - b) <= 8 for a, b in zip(pixel, ACCENT))


@pytest.mark.parametrize("path", PATHS)
def test_cover_band_runs_the_height_of_the_page(hard, path):
    pixels, dpi = cover_pixels(hard[path])
    column = int(6 * MM * dpi / 72)   # inside the 12 mm band
    assert is_accent(pixels[0, column]) and is_accent(pixels[-1, column])
    assert all(is_accent(pixels[y, column]) for y in range(pixels.shape[0]))
    assert not is_accent(pixels[-1, int(20 * MM * dpi / 72)])


@pytest.mark.parametrize("flags", [(), ("--tagged",)], ids=PATHS)
def test_bleed_and_crop_marks_for_a_print_shop(course, flags):
    import pdfplumber
    from pypdf import PdfReader

    write_hard_course(course, bleed="3mm", crop_marks=True)
    assert run("build", str(course.root), *flags).exit_code == 0
    pdf = course.dist / "reader.pdf"
    bleed = 3 * MM
    for page in PdfReader(str(pdf)).pages:
        trim = [float(v) for v in page.trimbox]
        width, height = trim[2], trim[3]
        assert trim[:2] == [0, 0] and sorted([width, height]) == [612, 792]
        assert [float(v) for v in page.bleedbox] == pytest.approx(
            [-bleed, -bleed, width + bleed, height + bleed])
        media = [float(v) for v in page.mediabox]
        assert media[0] < -bleed - 5 and media[2] > width + bleed + 5   # room for the marks
    pixels, dpi = cover_pixels(pdf)
    scale = dpi / 72
    margin = -float(PdfReader(str(pdf)).pages[0].mediabox[0])
    column = int((margin + 6 * MM) * scale)
    bleed_bottom = int((margin + 792 + bleed) * scale) - 1
    assert is_accent(pixels[bleed_bottom, column])       # the band runs into the bleed
    assert not is_accent(pixels[bleed_bottom + 3, column])  # and stops at its edge
    with pdfplumber.open(pdf) as doc:
        page = doc.pages[1]  # pdfplumber: x as in the PDF, top = the MediaBox's height - y
        in_line = [(page.height - ln["bottom"], page.height - ln["top"]) for ln in page.lines
                   if abs(ln["x0"]) < 0.1 and abs(ln["x1"]) < 0.1]
    assert len(in_line) == 2, "a crop mark above and below the left trim edge"
    assert all(low >= 792 + bleed or high <= -bleed for low, high in in_line), in_line


@pytest.mark.parametrize("value, message", [
    ("3", "expected a length such as 3mm or 0.125in"),
    ("12mm", "a bleed of 12mm is more than 10mm"),
    ("three", "expected a length such as 3mm"),
])
def test_bad_bleed_is_a_located_error(course, value, message):
    course.write("s/e.md", essay("E", "Text."))
    course.manifest(f"title: T\nbleed: {value}\ncontents:\n  - essay: s/e.md\n")
    result = run("build", str(course.root))
    assert result.exit_code == 1
    assert re.search(rf"course\.yaml:2:8: .*{re.escape(message)}", result.output), result.output


# --- fitting tables: the decision, on measured widths -------------------------------------------

@pytest.mark.unit
def test_fit_prefers_smaller_type_then_wrapped_headings_then_landscape_then_a_split():
    from reader.pdf.tables import Measure, fit_table

    def measure(head_line, head_wrapped, body):
        n = len(body)
        return Measure(10.0, tuple(head_line), tuple(head_wrapped), tuple(body), (16.0,) * n)

    numeric = [False, True, True]
    fits = fit_table(measure([60, 60, 60], [40, 40, 40], [50, 50, 50]), numeric, 200, 300, 8, 12)
    assert (fits.size, fits.wrap_head, fits.landscape, len(fits.groups)) == (10, False, False, 1)
    smaller = fit_table(measure([80, 80, 80], [40, 40, 40], [50, 50, 50]), numeric, 200, 300, 8, 12)
    assert (smaller.size, smaller.wrap_head) == (8, False)            # 240 * 0.8 = 192
    wrapped = fit_table(measure([90, 90, 90], [60, 60, 60], [50, 50, 50]), numeric, 200, 300, 8, 12)
    assert (wrapped.size, wrapped.wrap_head, wrapped.landscape) == (10, True, False)
    landscape = fit_table(measure([90, 90, 90], [90, 90, 90], [50, 50, 50]), numeric, 200, 300,
                          8, 12)
    assert landscape.landscape and landscape.size == 10
    split = fit_table(measure([90] * 6, [90] * 6, [90] * 6), [False] + [True] * 5, 200, 300, 8, 12)
    assert not split.landscape and all(g[0] == 0 for g in split.groups)
    assert sorted({i for g in split.groups for i in g}) == list(range(6))
    for fit in (fits, smaller, wrapped, landscape, split):
        for widths in fit.widths:
            assert sum(widths) == pytest.approx(100)


@pytest.mark.unit
def test_fit_keeps_a_text_column_wide_enough_to_read():
    """Region names wrap only down to 12 ems: never a word a line."""
    from reader.pdf.tables import Measure, fit_table

    m = Measure(10.0, (60, 40), (60, 40), (300, 40), (16, 16))
    fit = fit_table(m, [False, True], 200, 300, 8, 12)
    assert fit.size == 10 and fit.widths[0][0] * 200 / 100 >= 12 * 10 + 16
