"""What docs/format.md and README promise that no other test checked, read back from the
real outputs: the PDF's text, colours and pixels (pypdf, pdfplumber, pypdfium2), the deck
with python-pptx, the CLI's words. One course (`lively`) is built once for the module and
shows most of them; the rest build a small course of their own.
"""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import (Course, deck_slides, essay, excerpt, notes_text, pdf_pages, run,
                      slide_text, snapshot, write_small_course)


def flat(text: str) -> str:
    return " ".join(text.split())


def png(colour: tuple[int, int, int], size: tuple[int, int] = (900, 600), kind: str = "PNG"
        ) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, kind)
    return buffer.getvalue()


SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="600" height="300" viewBox="0 0 600 300">'
       '<rect x="0" y="0" width="600" height="300" fill="#E01010"/></svg>\n')

ESSAY_TEXT = """
    Die Bauern nannten es „die große Wende“, sagt der Text. Und ‚so‘ war es.

    The opening paragraph that the deck must not show as a bullet.

    ![Ein rotes Feld](img/red.svg)

    ![Ein blaues Feld](img/blue.webp)

    ## A later section

    A later paragraph the deck must not show either.
    """


@pytest.fixture(scope="module")
def lively(tmp_path_factory) -> Course:
    """course.yml (not .yaml), lang de, an essay with `slides:` and an SVG and a WebP
    figure, an essay in French, a line chart drawn from a `;`-separated CSV, and three
    readings whose authors sort differently from their order in the course."""
    course = Course(tmp_path_factory.mktemp("lively") / "course")
    course.root.mkdir()
    course.write("s/img/red.svg", SVG)
    course.write("s/img/blue.webp", png((20, 40, 220), kind="WEBP"))
    course.write("s/essay.md", essay(
        "Die Wende", ESSAY_TEXT, author="Kursteam",
        slides=["First bullet of the lecturer", "Second bullet with \"quotes\""]))
    course.write("s/french.md", essay("Un essai", 'Il a dit "bonjour" au village.',
                                      lang="fr"))
    course.write("s/grain.csv", "Year;Ernte;Ablieferung\n1926;76800;10600\n"
                                "1927;72800;11000\n1928;73300;10800\n1929;71700;16100\n")
    course.write("s/grain.yaml", yaml.safe_dump({
        "title": "Ernte und Ablieferung", "source": "Statistisches Amt", "data": "grain.csv",
        "chart": {"type": "line", "x": "Year", "y": ["Ernte", "Ablieferung"]}},
        allow_unicode=True))
    for name, author, work in (("zola", "Émile Zola", "Germinal"),
                               ("adams", "Zoe Adams", "Harvests"),
                               ("baker", "Ada Baker", "Villages")):
        course.write(f"s/{name}.md", excerpt(f"From {work}", "The passage of the reading.",
                                             author=author, source_title=work,
                                             permission="Public domain"))
    course.write("course.yml", yaml.safe_dump({
        "title": "Die Wende", "lang": "de", "contents": [
            {"essay": "s/essay.md"}, {"essay": "s/french.md"}, {"table": "s/grain.yaml"},
            {"excerpt": "s/zola.md"}, {"excerpt": "s/adams.md"}, {"excerpt": "s/baker.md"}]},
        allow_unicode=True, sort_keys=False))
    result = run("build", str(course.root))
    assert result.exit_code == 0, result.output
    return course


def item_slides(deck: Path, anchor: str) -> list:
    return [s for s in deck_slides(deck) if s.name == anchor]


# --- the manifest, the language -------------------------------------------------------------

def test_course_yml_is_read_as_the_manifest(lively):
    assert not (lively.root / "course.yaml").exists()
    pages = pdf_pages(lively.dist / "reader.pdf")
    assert "Die Wende" in pages[0]
    checked = run("check", str(lively.root))
    assert checked.stdout.startswith("course.yml: ok (6 items"), checked.output


def test_quotation_marks_follow_the_course_and_the_items_language(lively):
    text = flat(" ".join(pdf_pages(lively.dist / "reader.pdf")))
    # typed as German marks in the essay, and made German from "..." in a slide bullet
    assert "„die große Wende“" in text and "‚so‘" in text
    assert "Il a dit «bonjour» au village." in text, text        # lang: fr on the essay
    bullets = " ".join(slide_text(s) for s in item_slides(lively.dist / "deck.pptx", "item-1"))
    assert "Second bullet with „quotes“" in bullets, bullets
    french = " ".join(slide_text(s) for s in item_slides(lively.dist / "deck.pptx", "item-2"))
    assert "«bonjour»" in french, french


# --- the deck ---------------------------------------------------------------------------------

def test_essay_slides_are_the_lecturers_bullets_instead_of_the_text(lively):
    slides = item_slides(lively.dist / "deck.pptx", "item-1")
    shown = "\n".join(slide_text(s) for s in slides)
    assert "First bullet of the lecturer" in shown and "Second bullet with" in shown
    assert "opening paragraph" not in shown and "later paragraph" not in shown, shown
    assert "A later section" not in shown, shown                    # no section slides
    bullets = [s for s in slides if "First bullet of the lecturer" in slide_text(s)]
    assert len(bullets) == 1 and "Second bullet" in slide_text(bullets[0])


def test_svg_figures_are_in_the_reader_only_and_webp_in_both(lively):
    import pypdfium2

    from PIL import Image

    slides = item_slides(lively.dist / "deck.pptx", "item-1")
    pictures = [sh for s in slides for sh in s.shapes if sh.shape_type == 13]   # PICTURE
    assert len(pictures) == 1, [s.shapes for s in slides]
    picture = pictures[0]
    assert picture.image.content_type in ("image/png", "image/jpeg")  # PowerPoint has no WebP
    r, g, b = Image.open(io.BytesIO(picture.image.blob)).convert("RGB").getpixel((10, 10))
    assert b > 180 and r < 60, (r, g, b)
    assert "Ein blaues Feld" in " ".join(slide_text(s) + notes_text(s) for s in slides)

    pdf = pypdfium2.PdfDocument(str(lively.dist / "reader.pdf"))
    found = {"red": False, "blue": False}
    for index in range(len(pdf)):
        image = pdf[index].render(scale=0.5).to_pil().convert("RGB")
        colours = image.getcolors(maxcolors=1 << 20) or []
        for count, (r, g, b) in colours:
            if count > 200 and r > 200 and g < 40 and b < 40:
                found["red"] = True
            if count > 200 and b > 200 and r < 40 and g < 60:
                found["blue"] = True
    assert found == {"red": True, "blue": True}


def test_a_line_chart_is_a_native_line_chart_of_the_semicolon_csv(lively):
    from pptx.enum.chart import XL_CHART_TYPE

    slides = item_slides(lively.dist / "deck.pptx", "item-3")
    charts = [sh.chart for s in slides for sh in s.shapes if getattr(sh, "has_chart", False)
              and sh.has_chart]
    assert len(charts) == 1
    chart = charts[0]
    assert chart.chart_type in (XL_CHART_TYPE.LINE, XL_CHART_TYPE.LINE_MARKERS)
    plot = chart.plots[0]
    assert [str(c) for c in plot.categories] == ["1926", "1927", "1928", "1929"]
    assert [s.name for s in plot.series] == ["Ernte", "Ablieferung"]
    assert list(plot.series[1].values) == [10600, 11000, 10800, 16100]
    tables = [[c.text for c in row.cells] for s in slides for sh in s.shapes
              if getattr(sh, "has_table", False) and sh.has_table for row in sh.table.rows]
    assert tables[:2] == [["Year", "Ernte", "Ablieferung"], ["1926", "76,800", "10,600"]]


def test_a_semicolon_csv_is_a_table_of_numbers_in_the_reader(lively):
    text = flat(" ".join(pdf_pages(lively.dist / "reader.pdf")))
    assert "Year Ernte Ablieferung" in text
    assert "1929 71,700 16,100" in text, text          # years plain, quantities grouped
    assert ";" not in text.split("Year Ernte Ablieferung")[1][:80]


def test_sources_are_listed_by_the_authors_surname(lively):
    pages = [flat(p) for p in pdf_pages(lively.dist / "reader.pdf")]
    sources = next(p for p in pages if p.startswith("Sources") or " Sources " in p[:40])
    order = [sources.find(name) for name in ("Zoe Adams", "Ada Baker", "Émile Zola")]
    assert -1 not in order and order == sorted(order), sources
    deck = [slide_text(s) for s in deck_slides(lively.dist / "deck.pptx")
            if s.name == "sources"]
    lines = flat(" ".join(deck))
    order = [lines.find(name) for name in ("Adams", "Baker", "Zola")]
    assert -1 not in order and order == sorted(order), lines
