"""The verifiers of tests/verify.py, each shown to pass on a good input and to fail on a
deliberately broken copy of it (a verifier that never fails proves nothing)."""

from __future__ import annotations

import io
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pikepdf
import pytest

from verify import (
    Box,
    book_regions,
    deck_client_problems,
    font_faces,
    glyph_problems,
    glyph_report,
    identify_original,
    outside_text_block,
    pages_label,
    parse_tounicode,
    raster_differences,
    render_deck,
    save_failures,
)

if TYPE_CHECKING:
    from pptx.shapes.shapetree import GroupShapes, SlideShapes
    from pptx.slide import Slide

FONTS = Path(__file__).resolve().parent.parent / "src" / "reader" / "theme" / "fonts"


# --- inputs ---------------------------------------------------------------------------------

def weasyprint_pdf(html: str, out: Path) -> Path:
    """A PDF drawn by WeasyPrint from ``html``, with the theme's fonts as B and R."""
    import weasyprint

    faces = "".join(f"@font-face {{ font-family: {family}; src: url({(FONTS / file).as_uri()}) }}"
                    for family, file in (("B", "Carlito-Bold.ttf"), ("R", "Caladea-Regular.ttf")))
    weasyprint.HTML(string=f"<style>{faces}</style>{html}").write_pdf(out)
    return out


@pytest.fixture(scope="module")
def glyph_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two pages with a bold '6' on each, as in 'ESSAY 6' and a question number."""
    html = """<style>@page { size: A6; margin: 10mm }
                     h1 { font: bold 14pt B } p { font: 10pt R }</style>
              <h1>ESSAY 6</h1><p>Some 1926 figures: 16 of 36, office fine.</p>
              <h1 style="break-before: page">6. Why was 1929 the year?</h1>"""
    return weasyprint_pdf(html, tmp_path_factory.mktemp("glyphs") / "good.pdf")


def edit_bold_font(src: Path, dst: Path,
                   edit: Callable[[pikepdf.Dictionary, int], None]) -> int:
    """Copy ``src`` to ``dst`` after ``edit(font, gid of '6')`` on its Carlito-Bold font."""
    from fontTools.ttLib import TTFont

    six = TTFont(FONTS / "Carlito-Bold.ttf").getBestCmap()[ord("6")]
    gid = TTFont(FONTS / "Carlito-Bold.ttf").getGlyphID(six)
    with pikepdf.open(src) as pdf:
        fonts = {f.objgen: f for page in pdf.pages for f in page.Resources.Font.values()}
        bold = [f for f in fonts.values() if embedded_ps_name(f) == "Carlito-Bold"]
        assert len(bold) == 1
        edit(bold[0], gid)
        pdf.save(dst)
    return gid


def embedded_ps_name(font: pikepdf.Dictionary) -> str:
    from fontTools.ttLib import TTFont

    data = font.DescendantFonts[0].FontDescriptor.FontFile2.read_bytes()
    return str(TTFont(io.BytesIO(data))["name"].getDebugName(6))


def empty_outline(font: pikepdf.Dictionary, gid: int) -> None:
    """The merging bug's shape: the glyph is there, its outline is not."""
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.tables._g_l_y_f import Glyph

    stream = font.DescendantFonts[0].FontDescriptor.FontFile2
    embedded = TTFont(io.BytesIO(stream.read_bytes()))
    embedded["glyf"][embedded.getGlyphOrder()[gid]] = Glyph()
    out = io.BytesIO()
    embedded.save(out)
    stream.write(out.getvalue())
    stream.Length1 = len(out.getvalue())


def wrong_width(font: pikepdf.Dictionary, gid: int) -> None:
    cid_font = font.DescendantFonts[0]
    cid_font.W = pikepdf.Array([*cid_font.W, gid, [1473]])  # the later entry wins


def text_says_seven(font: pikepdf.Dictionary, gid: int) -> None:
    data = font.ToUnicode.read_bytes()
    data = re.sub(rb"<0*%x>\s*<0036>" % gid, b"<%04x> <0037>" % gid, data, flags=re.IGNORECASE)
    font.ToUnicode.write(data)


def in_a_form(src: Path, dst: Path) -> None:
    """Each page's drawing moved into a Form XObject drawn by an otherwise empty page."""
    with pikepdf.open(src) as pdf:
        for index in range(len(pdf.pages)):
            old = pdf.pages[index]
            box = [float(v) for v in old.mediabox]
            new = pdf.add_blank_page(page_size=(box[2], box[3]))
            new.add_overlay(old)
            pdf.pages[index] = new
            del pdf.pages[-1]
        pdf.save(dst)


# --- 1. glyphs ------------------------------------------------------------------------------

def test_glyphs_of_a_good_pdf_match_the_originals(glyph_pdf):
    report = glyph_report(glyph_pdf, [FONTS])
    assert report.problems == []
    assert report.unchecked == []
    assert report.glyphs_checked > 20


def test_an_emptied_glyph_is_reported_with_its_pages(glyph_pdf, tmp_path):
    broken = tmp_path / "broken.pdf"
    gid = edit_bold_font(glyph_pdf, broken, empty_outline)
    problems = glyph_problems(broken, [FONTS])
    assert problems == [(f"pages 1-2: B-Bold (Carlito-Bold.ttf) glyph {gid} ('6'): drawn "
                         "outline differs from the original font (0 ops vs 17)")]


def test_an_emptied_glyph_inside_a_form_xobject_is_found(glyph_pdf, tmp_path):
    broken, wrapped = tmp_path / "broken.pdf", tmp_path / "wrapped.pdf"
    edit_bold_font(glyph_pdf, broken, empty_outline)
    in_a_form(broken, wrapped)
    with pikepdf.open(wrapped) as pdf:
        assert "/Font" not in pdf.pages[0].Resources  # only reachable through the form
    assert len(glyph_problems(wrapped, [FONTS])) == 1


def test_a_width_that_is_not_the_originals_is_reported(glyph_pdf, tmp_path):
    broken = tmp_path / "broken.pdf"
    edit_bold_font(glyph_pdf, broken, wrong_width)
    (problem,) = glyph_problems(broken, [FONTS])
    assert "width 1473 in /W, the original's advance is 506.8" in problem


def test_a_text_layer_that_names_another_glyph_is_reported(glyph_pdf, tmp_path):
    broken = tmp_path / "broken.pdf"
    edit_bold_font(glyph_pdf, broken, text_says_seven)
    (problem,) = glyph_problems(broken, [FONTS])
    assert "('7'): the text layer says '7' but the glyph drawn is not the original's" in problem


def test_fonts_without_an_original_are_listed_and_fail_only_when_strict(glyph_pdf):
    report = glyph_report(glyph_pdf, [])
    assert report.problems == [] and report.glyphs_checked == 0
    assert len(report.unchecked) == 2
    assert any("B-Bold: no original among the font folders for ['Carlito-Bold'" in line
               for line in report.unchecked)
    assert glyph_problems(glyph_pdf, []) == []
    assert glyph_problems(glyph_pdf, [], strict_fonts=True) == report.unchecked


def test_a_font_name_in_two_folders_is_the_first_folders(tmp_path):
    """The theme's folder is passed before the system's, which may hold another version."""
    shutil.copy(FONTS / "Carlito-Bold.ttf", tmp_path / "Carlito-Bold.ttf")
    faces = font_faces([tmp_path, FONTS])
    assert identify_original(["Carlito-Bold"], faces).path == tmp_path / "Carlito-Bold.ttf"
    shutil.copy(FONTS / "Carlito-Bold.ttf", tmp_path / "Carlito-Bold-copy.ttf")
    faces = font_faces([tmp_path, FONTS])
    assert identify_original(["Carlito-Bold"], faces) is None  # two in one folder: unknown
    assert identify_original(["Carlito Regular"], faces).path == FONTS / "Carlito-Regular.ttf"


@pytest.mark.unit
def test_tounicode_ranges_and_page_lists_parse():
    cmap = b"""2 beginbfrange <0003> <0005> <0041> <0010> <0011> [<0066006C> <00E9>]
               endbfrange 1 beginbfchar <0020> <D835DC00> endbfchar"""
    assert parse_tounicode(cmap) == {3: "A", 4: "B", 5: "C", 16: "fl", 17: "é",
                                     32: "\U0001d400"}
    assert pages_label([9, 1, 3, 4, 5]) == "pages 1, 3-5, 9"
    assert pages_label([7]) == "page 7"


# --- 2. pixels ------------------------------------------------------------------------------

def test_a_pdf_rewritten_without_change_renders_the_same(glyph_pdf, tmp_path):
    copy = tmp_path / "copy.pdf"
    with pikepdf.open(glyph_pdf) as pdf:
        pdf.save(copy, compress_streams=False, object_stream_mode=pikepdf.ObjectStreamMode.disable)
    assert copy.read_bytes() != glyph_pdf.read_bytes()
    diffs = raster_differences(glyph_pdf, copy)
    assert [d.page for d in diffs] == [1, 2]
    assert not [str(d) for d in diffs if d.failed]
    assert all(d.max_difference == 0 for d in diffs)


def test_a_missing_glyph_fails_its_pages_and_a_diff_image_is_saved(glyph_pdf, tmp_path):
    broken = tmp_path / "broken.pdf"
    edit_bold_font(glyph_pdf, broken, empty_outline)
    diffs = raster_differences(glyph_pdf, broken)
    failed = [d for d in diffs if d.failed]
    assert [d.page for d in failed] == [1, 2]
    assert all(d.differing > 30 and d.max_difference > 200 for d in failed), failed
    (image, _) = save_failures(diffs, glyph_pdf, broken, tmp_path / "diffs")
    import numpy as np
    from PIL import Image

    with Image.open(image) as png:
        pixels = np.asarray(png.convert("RGB"))
    assert int((pixels == (220, 0, 0)).all(axis=2).sum()) == failed[0].differing


def test_a_page_count_mismatch_is_a_failure(glyph_pdf, tmp_path):
    longer = tmp_path / "longer.pdf"
    with pikepdf.open(glyph_pdf) as pdf:
        pdf.pages.append(pdf.pages[0])
        pdf.save(longer)
    diffs = raster_differences(glyph_pdf, longer)
    assert [str(d) for d in diffs if d.failed] == ["page 3: only in the second PDF"]


# --- 3. geometry ----------------------------------------------------------------------------

A5_PAGE = """<style>@page { size: A5; margin: 20mm;
                        @top-center { content: "A running head"; font: 9pt R }
                        @bottom-center { content: counter(page); font: 10pt R } }
                 p { font: 11pt/1.4 R; margin: 0 0 4mm } h1 { font: bold 16pt B }
                 td { border: 0.5pt solid black; font: 9pt R }</style>"""
GOOD_BODY = """<h1>Upper middle class</h1><p>A paragraph that wraps inside the measure, as
    paragraphs do, with a footnote-sized aside.</p>
    <table><tr><td>Decile</td><td>Income</td></tr><tr><td>9</td><td>1,234</td></tr></table>"""
A5_REGIONS = book_regions(20, 20, 20, 20, head_mm=15, foot_mm=15)


def test_a_page_inside_its_margins_passes(tmp_path):
    pdf = weasyprint_pdf(A5_PAGE + GOOD_BODY, tmp_path / "good.pdf")
    assert outside_text_block(pdf, A5_REGIONS) == []


def test_text_and_drawings_past_the_margin_and_paper_are_reported(tmp_path):
    stray = """<div style="position: absolute; left: 120mm; top: 50mm; font: 11pt R;
                           white-space: nowrap">Upper middle class</div>
               <div style="position: absolute; left: 100mm; top: 80mm; width: 40mm;
                           height: 5mm; background: #c00"></div>"""
    pdf = weasyprint_pdf(A5_PAGE + GOOD_BODY + stray, tmp_path / "bad.pdf")
    problems = outside_text_block(pdf, A5_REGIONS)
    assert len(problems) == 2, problems
    assert problems[0].startswith("page 1: char 'U' of 'Upper middle class' at x=")
    assert "beyond the right edge of the text block (x1=362.8) (and 15 more chars on this " \
           "line)" in problems[0]
    assert re.fullmatch(r"page 1: 1 rect \(340\.2,.*\) clipped at the right paper edge "
                        r"\(x=453\.5 > x1=419\.5\)", problems[1]), problems[1]


def test_a_runaway_table_is_summarised_not_listed(tmp_path):
    rows = "".join(f"<p style='white-space: nowrap'>Row {n}: {'much too wide ' * 8}</p>"
                   for n in range(30))
    pdf = weasyprint_pdf(A5_PAGE + rows, tmp_path / "wide.pdf")
    problems = outside_text_block(pdf, A5_REGIONS, per_page=4)
    first_page = [p for p in problems if p.startswith("page 1:")]
    assert len(first_page) == 5
    assert re.fullmatch(r"page 1: \.\.\. and \d+ more groups of objects outside", first_page[-1])


@pytest.mark.unit
def test_book_regions_mirror_the_margins_of_left_and_right_pages():
    regions = book_regions(22, 24, inner_mm=24, outer_mm=18, anything_on=[0])
    assert regions(0, 612, 792) == [Box(0, 0, 612, 792, "paper")]
    right, left = regions(2, 612, 792)[0], regions(1, 612, 792)[0]
    assert (round(right.x0, 2), round(right.x1, 2)) == (68.03, 560.98)
    assert (round(left.x0, 2), round(left.x1, 2)) == (51.02, 543.97)
    assert [b.name for b in regions(1, 612, 792)] == ["text block", "running-head band",
                                                      "folio band"]


# --- 4. the deck in LibreOffice --------------------------------------------------------------

def need_soffice() -> None:
    """LibreOffice is optional on a laptop, required under CI (a failure, not a skip)."""
    if shutil.which("soffice") is None:
        if os.environ.get("CI"):
            pytest.fail("soffice (LibreOffice) is required under CI")
        pytest.skip("LibreOffice (soffice) not installed")


LONG = ("The harvest figures were revised again and again as the planners met the "
        "resistance of the villages, and every revision moved the target further from "
        "what the land could give, until the numbers on paper and the grain in the barns "
        "had nothing left in common at all.")


def make_deck(path: Path, first_text: str = "A short sentence that fits.") -> Path:
    """Three slides: a text that fits (and a grouped one), one that overflows, a table."""
    from pptx import Presentation
    from pptx.enum.text import MSO_AUTO_SIZE
    from pptx.util import Inches, Pt

    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)

    def slide(title: str) -> Slide:
        s = prs.slides.add_slide(prs.slide_layouts[5])
        s.shapes.title.text = title
        title = s.shapes.title
        title.left, title.top, title.width, title.height = (Inches(0.5), Inches(0.3),
                                                            Inches(12), Inches(1.2))
        return s

    def box(shapes: SlideShapes | GroupShapes, text: str, left: float, top: float,
            width: float, height: float) -> None:
        frame = shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
        frame.text_frame.word_wrap = True
        frame.text_frame.auto_size = MSO_AUTO_SIZE.NONE
        frame.text_frame.text = text
        frame.text_frame.paragraphs[0].runs[0].font.size = Pt(24)

    fits = slide("Fits")
    box(fits.shapes, first_text, 1, 2, 10, 1.5)
    box(fits.shapes.add_group_shape().shapes, "Grouped words stay put", 1, 4.5, 8, 1)
    box(slide("Overflows").shapes, LONG, 1, 2, 5, 1)
    table = slide("Table").shapes.add_table(2, 2, Inches(1), Inches(2), Inches(8), Inches(1.5))
    for (r, c), text in {(0, 0): "Decile", (0, 1): "Income", (1, 0): "Ninth",
                         (1, 1): "1,234"}.items():
        table.table.cell(r, c).text = text
    prs.save(path)
    return path


@pytest.fixture(scope="module")
def rendered_deck(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    need_soffice()
    folder = tmp_path_factory.mktemp("deck")
    deck = make_deck(folder / "deck.pptx")
    return deck, render_deck(deck, folder)


@pytest.mark.slow
def test_libreoffice_keeps_fitting_text_and_reports_an_overflow(rendered_deck):
    """Slow (LibreOffice, one run for the deck tests)."""
    deck, pdf = rendered_deck
    problems = deck_client_problems(deck, pdf)
    assert len(problems) == 1, problems
    assert re.fullmatch(r"slide 2 'Overflows': shape 'TextBox \d+': text overflows the bottom "
                        r"of its box by \d+ pt", problems[0]), problems


@pytest.mark.slow
def test_words_absent_from_the_rendering_are_reported(rendered_deck, tmp_path):
    """The rendering of a deck checked against a deck that says more: words missing."""
    _, pdf = rendered_deck
    other = make_deck(tmp_path / "other.pptx", "A short sentence that fits zebra quokka.")
    problems = deck_client_problems(other, pdf)
    assert problems[0] == ("slide 1 'Fits': shape 'TextBox 2': words 'zebra quokka' "
                           "missing (2 of 7)")
    assert len(problems) == 2  # and the overflow of slide 2, as before


@pytest.mark.slow
def test_words_out_of_order_are_reported(rendered_deck, tmp_path):
    _, pdf = rendered_deck
    other = make_deck(tmp_path / "other.pptx", "A short sentence fits that.")
    problems = deck_client_problems(other, pdf)
    assert problems[0] == ("slide 1 'Fits': shape 'TextBox 2': text not found whole and in "
                           "order: breaks after 'fits' (next 'that')")
