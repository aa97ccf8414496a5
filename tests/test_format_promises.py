"""What docs/format.md and README promise that no other test checked, read back from the
real outputs: the PDF's text, colours and pixels (pypdf, pdfplumber, pypdfium2), the deck
with python-pptx, the CLI's words. One course (`lively`) is built once for the module and
shows most of them; the rest build a small course of their own.
"""

from __future__ import annotations

import io
import re
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
    assert re.search(r"Il a dit «\s?bonjour\s?» au village\.", text), text   # lang: fr
    assert "« bonjour »" in text.replace("\u00a0", " ")            # set off by a space
    deck = lively.dist / "deck.pptx"
    bullets = " ".join(slide_text(s) for s in item_slides(deck, "item-s_essay"))
    assert "Second bullet with „quotes“" in bullets, bullets
    french = " ".join(slide_text(s) for s in item_slides(deck, "item-s_french"))
    assert "«\u00a0bonjour\u00a0»" in french, french


# --- the deck ---------------------------------------------------------------------------------

def test_essay_slides_are_the_lecturers_bullets_instead_of_the_text(lively):
    slides = item_slides(lively.dist / "deck.pptx", "item-s_essay")
    shown = "\n".join(slide_text(s) for s in slides)
    assert "First bullet of the lecturer" in shown and "Second bullet with" in shown
    assert "opening paragraph" not in shown and "later paragraph" not in shown, shown
    assert "A later section" not in shown, shown                    # no section slides
    bullets = [s for s in slides if "First bullet of the lecturer" in slide_text(s)]
    assert len(bullets) == 1 and "Second bullet" in slide_text(bullets[0])


def test_svg_figures_are_in_the_reader_only_and_webp_in_both(lively):
    import pypdfium2

    from PIL import Image

    slides = item_slides(lively.dist / "deck.pptx", "item-s_essay")
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

    slides = item_slides(lively.dist / "deck.pptx", "item-s_grain")
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
    assert tables[:2] == [["Year", "Ernte", "Ablieferung"], ["1926", "76.800", "10.600"]]


def test_a_semicolon_csv_is_a_table_of_numbers_in_the_reader(lively):
    text = flat(" ".join(pdf_pages(lively.dist / "reader.pdf")))
    assert "Year Ernte Ablieferung" in text
    assert "1929 71.700 16.100" in text, text          # years plain, quantities grouped (de)
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


# --- outputs and PDF variants -----------------------------------------------------------------

@pytest.mark.parametrize("outputs, made, not_made", [
    (["pdf"], {"reader.pdf", "permissions.csv", "permissions.xlsx"}, {"deck.pptx"}),
    (["pptx"], {"deck.pptx", "permissions.csv", "permissions.xlsx"}, {"reader.pdf"})])
def test_outputs_says_what_a_build_makes(course, outputs, made, not_made):
    write_small_course(course)
    course.manifest(yaml.safe_load((course.root / "course.yaml").read_text())
                    | {"outputs": outputs})
    result = run("build", str(course.root))
    assert result.exit_code == 0, result.output
    names = {p.name for p in course.dist.iterdir() if not p.name.startswith(".")}
    assert made <= names and not names & not_made, names
    first = course.dist / ("reader.pdf" if outputs == ["pdf"] else "deck.pptx")
    assert result.stdout.startswith(f"built {first}, "), result.stdout
    if outputs == ["pptx"]:
        shown = " ".join(slide_text(s) for s in deck_slides(course.dist / "deck.pptx"))
        assert "A primary source" in shown and "Questions for week one" in shown, shown
        # no printed reader: none is laid out, and no slide cites one
        assert "Reader p" not in shown, shown
        assert not (course.root / ".reader-cache" / "chunks").exists()
        assert re.search(r"\(\d+ slides\)\n", result.stdout), result.stdout
        assert "pages" not in result.stdout


@pytest.mark.parametrize("variant, part", [("pdf/a-2b", "2"), ("pdf/a-3b", "3")])
def test_pdf_variant_makes_an_archival_pdf(course, variant, part):
    from pypdf import PdfReader

    write_small_course(course)
    course.manifest(yaml.safe_load((course.root / "course.yaml").read_text())
                    | {"pdf_variant": variant})
    result = run("build", str(course.root))
    assert result.exit_code == 0, result.output
    pdf = PdfReader(str(course.dist / "reader.pdf"))
    xmp = pdf.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert re.search(rf'pdfaid:part(="|>){part}\b', xmp), xmp
    assert re.search(r'pdfaid:conformance(="|>)B\b', xmp), xmp
    assert "/OutputIntents" in pdf.trailer["/Root"]          # PDF/A needs a colour profile
    assert "Questions for week one" in " ".join(pdf_pages(course.dist / "reader.pdf"))


# --- the course's own templates, stylesheet and theme -----------------------------------------

ACCENT = (0x10, 0x60, 0xC0)


@pytest.fixture(scope="module")
def themed(tmp_path_factory) -> Course:
    """The small course with templates/: extra.css (a constant margin-box text),
    theme.toml (another accent colour, larger least sizes for the deck) and items.html.j2
    (other words in the Sources); its table has more rows."""
    from reader.course.theme import BUILTIN

    course = Course(tmp_path_factory.mktemp("themed") / "course")
    course.root.mkdir()
    write_small_course(course)
    course.write("templates/extra.css", '@page { @bottom-center { content: "Proof copy" } }\n')
    theme = (BUILTIN / "theme.toml").read_text()
    for default, own in (('accent = "#7A2E1F"', 'accent = "#1060C0"'),
                         ("small = 14 ", "small = 16 "), ("min_body = 18 ", "min_body = 22 ")):
        assert default in theme, default
        theme = theme.replace(default, own)
    course.write("templates/theme.toml", theme)
    course.write("s/numbers.yaml", yaml.safe_dump({       # fits a slide at 18 pt, not at 22
        "title": "Some numbers", "columns": ["Country", "Output"],
        "rows": [[f"Country number {n}", 1000 * n] for n in range(1, 14)]}))
    items = (BUILTIN / "items.html.j2").read_text()
    assert "The readings in this course are taken from the following works." in items
    course.write("templates/items.html.j2", items.replace(
        "The readings in this course are taken from the following works.",
        "Every work quoted in this reader."))
    result = run("build", str(course.root))
    assert result.exit_code == 0, result.output
    return course


def test_extra_css_from_the_course_is_applied(themed):
    pages = pdf_pages(themed.dist / "reader.pdf")
    marked = [n for n, text in enumerate(pages) if "Proof copy" in text]
    assert len(marked) >= len(pages) - 1, (marked, len(pages))   # the cover may differ


def test_items_template_from_the_course_replaces_the_themes(themed):
    text = flat(" ".join(pdf_pages(themed.dist / "reader.pdf")))
    assert "Every work quoted in this reader." in text
    assert "taken from the following works" not in text


def test_theme_toml_from_the_course_colours_the_reader_and_the_deck(themed):
    import pdfplumber

    expected = tuple(round(c / 255, 2) for c in ACCENT)
    with pdfplumber.open(str(themed.dist / "reader.pdf")) as pdf:
        contents = next(p for p in pdf.pages if (p.extract_text() or "").startswith("Contents"))
        heading = [c for c in contents.chars if c["text"] in "Contents"][:8]
        colours = {tuple(round(v, 2) for v in c["non_stroking_color"]) for c in heading}
    assert colours == {expected}, colours
    title = deck_slides(themed.dist / "deck.pptx")[0].shapes.title
    runs = [r for p in title.text_frame.paragraphs for r in p.runs if r.text.strip()]
    assert runs and {str(r.font.color.rgb) for r in runs} == {"1060C0"}


CHROME = {"Kicker", "Reader page", "Attribution", "Byline", "Caption", "Source"}


def test_theme_toml_sets_the_least_sizes_on_the_slides(themed):
    """deck.small: the labels (a line of chrome shrinks to it at most); deck.min_body:
    the text and tables (a table too long at that size is split, never set smaller)."""
    labels, chrome, body = set(), set(), set()
    for slide in deck_slides(themed.dist / "deck.pptx"):
        if not slide.name.startswith("item-"):
            continue
        for shape in slide.shapes:
            frames = [shape.text_frame] if shape.has_text_frame else []
            if getattr(shape, "has_table", False) and shape.has_table:
                frames += [c.text_frame for row in shape.table.rows for c in row.cells]
            sizes = {r.font.size.pt for f in frames for p in f.paragraphs for r in p.runs
                     if r.text.strip() and r.font.size is not None}
            if shape.name in ("Kicker", "Reader page"):
                labels.update(sizes)
            (chrome if shape.name in CHROME else body).update(sizes)
    assert labels == {16.0}, labels
    assert min(chrome) >= 16, sorted(chrome)
    assert body and min(body) >= 22, sorted(body)
    assert 22.0 in body, sorted(body)   # the long table is set at the least size, not below


def test_changing_the_courses_css_lays_the_reader_out_again(course):
    write_small_course(course)
    course.write("templates/extra.css", '@page { @bottom-center { content: "First proof" } }\n')
    assert run("build", str(course.root)).exit_code == 0
    before = (course.dist / "reader.pdf").read_bytes()
    course.write("templates/extra.css", '@page { @bottom-center { content: "Second proof" } }'
                                        '\nh1 { letter-spacing: 0.2em }\n')
    result = run("build", str(course.root), "-v")
    assert result.exit_code == 0, result.output
    assert "up to date" not in result.output
    assert re.search(r"chunks: [1-9]\d* laid out, 0 reused", result.output), result.output
    text = " ".join(pdf_pages(course.dist / "reader.pdf"))
    assert "Second proof" in text and "First proof" not in text
    assert (course.dist / "reader.pdf").read_bytes() != before


# --- the command line ---------------------------------------------------------------------------

def test_verbose_says_what_was_laid_out_and_what_reused(course):
    write_small_course(course)
    assert run("build", str(course.root)).exit_code == 0
    course.write("s/end.md", essay("Conclusion", "It ends here, and later."))
    result = run("build", str(course.root), "-v")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"built {course.dist / 'reader.pdf'}, "), lines
    assert lines[0].endswith(" (10 pages, 12 slides)"), lines
    assert re.fullmatch(r"  timings: (\w[\w ]* \d+\.\d\ds, )*\w[\w ]* \d+\.\d\ds", lines[1]), lines
    assert "  chunks: 1 laid out, 7 reused, 0 discarded from the cache" in lines, lines
    assert "  slides: 1 items' slides made, 4 reused, 0 discarded from the cache" in lines, lines


def test_quiet_prints_only_problems(course):
    write_small_course(course)
    quiet = run("build", str(course.root), "-q")
    assert quiet.exit_code == 0 and (quiet.stdout, quiet.stderr) == ("", ""), quiet.output
    assert (course.dist / "reader.pdf").exists()
    assert run("build", str(course.root), "-q").output == ""      # up to date: silent too
    course.write("s/end.md", essay("Conclusion", "It ends.\n\n![](small.png)"))
    course.write("s/small.png", png((200, 200, 200), (40, 30)))
    warned = run("build", str(course.root), "-q")
    assert warned.exit_code == 0 and warned.stdout == "", warned.output
    assert warned.stderr and all(line.startswith("warning: s/end.md") for line in
                                 warned.stderr.splitlines()), warned.stderr
    course.write("s/end.md", "no front matter\n")
    failed = run("build", str(course.root), "-q")
    assert failed.exit_code == 1 and failed.stdout == ""
    assert "error: s/end.md" in failed.stderr


def test_new_refuses_a_folder_that_is_not_empty(tmp_path):
    target = tmp_path / "mine"
    target.mkdir()
    (target / "notes.md").write_text("my notes\n")
    before = snapshot(target)
    result = run("new", str(target))
    assert result.exit_code == 1, result.output
    assert "the folder is not empty; choose a new folder" in result.stderr
    assert "Traceback" not in result.output
    assert snapshot(target) == before
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run("new", str(empty)).exit_code == 0 and (empty / "course.yaml").exists()


def test_permissions_before_any_build_lists_the_readings_without_pages(course):
    write_small_course(course)
    result = run("permissions", str(course.root))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "Reading 1: A primary source"
    assert "reader pages: run 'reader build' first" in result.stdout
    assert "basis: public domain" in result.stdout
    assert not course.dist.exists()
    assert run("build", str(course.root)).exit_code == 0
    after = run("permissions", str(course.root)).stdout
    assert "run 'reader build' first" not in after and re.search(r"reader pp?\. \d", after)


def test_a_tables_caption_is_refused_where_it_is_written(course):
    """`caption:` was accepted and printed nowhere (issue 12); the title is a table's
    caption, so the key is refused, located, with the keys a table takes."""
    course.write("t.yaml", "title: Tab\ncaption: Counted by the course team\n"
                           "columns: [A, B]\nrows:\n  - [x, 1]\n")
    course.manifest({"title": "Captions", "contents": [{"table": "t.yaml"}]})
    result = run("build", str(course.root))
    assert result.exit_code == 1, result.output
    assert "error: t.yaml:2:1: unknown key 'caption' in a table file; allowed keys: " \
           "title, source, data, columns, rows, chart" in result.stderr, result.stderr
    assert not course.dist.exists() or not (course.dist / "reader.pdf").exists()


def test_new_into_a_fresh_git_repository_keeps_its_own_files(tmp_path):
    """`git init && reader new .`: a folder holding only what is not the course (.git, a
    .gitignore) is empty enough, and what it holds is kept."""
    target = tmp_path / "repo"
    (target / ".git").mkdir(parents=True)
    (target / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (target / ".gitignore").write_text("mine\n")
    result = run("new", str(target))
    assert result.exit_code == 0, result.output
    assert (target / "course.yaml").is_file()
    assert (target / ".gitignore").read_text() == "mine\n"
    assert (target / ".git" / "HEAD").read_text() == "ref: refs/heads/main\n"
    assert run("check", str(target)).exit_code == 0
