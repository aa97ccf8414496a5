"""The deck keeps the structure of the text, cites the right pages, and a real client
(LibreOffice) draws every slide's text whole and inside its shape.

A "structure" course (a poem, nested and numbered lists, emphasis, strikethrough, a pipe
table, a quotation with its attribution, a picture stored sideways) and a "stress" course
(long titles and sentences, a 60-row table, a 62-column table, a long excerpt, charts with
60 categories and with long names) are built once through the command line; the deck is
read back as XML and as LibreOffice renders it; the reader is read back as text.
"""

from __future__ import annotations

import io
import random
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import yaml
from lxml import etree

from conftest import REPO, Course, anchor_of, deck_slides, essay, excerpt, notes_text, prose

from reader.deck.flow import CONTINUED

NS = {"a": "http://schemas.openxmlformats.org/drawingml/2006/main",
      "p": "http://schemas.openxmlformats.org/presentationml/2006/main",
      "c": "http://schemas.openxmlformats.org/drawingml/2006/chart"}
EMU_PER_PT = 12700


def md(*blocks: str) -> str:
    return "\n\n".join(blocks)


def write_structure_course(course: Course) -> None:
    from PIL import Image

    photo = Image.new("RGB", (1200, 600), "steelblue")
    photo.paste((220, 20, 20), (0, 0, 300, 150))          # a red mark, top left as stored
    exif = photo.getexif()
    exif[0x0112] = 6                                      # to be shown turned 90° clockwise
    (course.root / "s").mkdir(parents=True, exist_ok=True)
    photo.save(course.root / "s" / "photo.jpg", exif=exif)
    course.write("s/essay.md", essay("Poems, lists and camps", md(
        "An opening with *italic words*, **bold words** and ~~struck words~~. Then more.",
        "## A poem",
        "The rose is red,\\\nthe violet's blue,\\\nsugar is sweet,  \nand so are you.",
        "## Lists",
        "The causes were several:",
        "1. The first cause, with *emphasis*.\n   - a child of the first\n"
        "   - another child\n     - a grandchild\n2. The second cause.\n3. The third cause.",
        "## Two camps",
        "Historians divide into two camps:",
        "| Camp | Leading figure |\n|---|---|\n| Totalitarian | Robert Conquest |\n"
        "| Revisionist | Sheila Fitzpatrick |",
        "## A quotation",
        "> The revolution devours its children.\n>\n> — Pierre Vergniaud",
        "### A sub-heading",
        "A paragraph under the sub-heading.",
        "## A picture",
        "Some text before the picture.",
        "![A red mark at the top of a tall blue field](photo.jpg)",
        "Text after the picture."), author="Course team"))
    course.write("s/decree.md", excerpt("The decree of 1930", md(
        *(f"Article {n}. " + prose(50, n) for n in range(1, 7))), permission="Public domain"))
    course.manifest({"title": "Structure", "contents": [
        {"essay": "s/essay.md"}, {"excerpt": "s/decree.md"}]})


LONG_TITLE = ("Grain procurement, rural resistance and the making of the collective farm "
              "system in the grain regions of the Volga, the Urals and then western Siberia")


def write_stress_course(course: Course) -> None:
    rng = random.Random(7)
    course.write("s/long-excerpt.md", excerpt(LONG_TITLE, md(
        *(prose(150, k) for k in range(12)),
        "One sentence that is extremely long " + " ".join(["and goes on"] * 150) + "."),
        permission="Public domain"))
    course.write("s/poem.md", excerpt("A long poem", md(*(
        "\\\n".join(f"Line {s}.{k} of the long poem about the harvest" for k in range(1, 9))
        for s in range(1, 5))), permission="Public domain"))
    course.write("s/long.yaml", yaml.safe_dump({
        "title": "Sixty regions", "source": "Made up",
        "columns": ["Region", "Grain", "Share"],
        "rows": [[f"Region {k}", rng.randint(1000, 9_999_999), rng.randint(0, 100)]
                 for k in range(60)]}, sort_keys=False))
    years = list(range(1960, 2021))
    lines = ["Country," + ",".join(map(str, years))]
    for name in ("Ruritania", "Freedonia", "Grand Fenwick", "Latveria", "Elbonia"):
        lines.append(name + "," + ",".join(str(rng.randint(1, 99999)) for _ in years))
    course.write("s/wide.csv", "\n".join(lines) + "\n")
    course.write("s/wide.yaml", yaml.safe_dump({"title": "Output by country, 1960-2020",
                                                "data": "wide.csv"}))
    course.write("s/series.yaml", yaml.safe_dump({
        "title": "Output, 1960-2020 (millions)", "columns": ["Year", "Output"],
        "rows": [[y, rng.randint(10, 90)] for y in years],
        "chart": {"type": "line", "x": "Year", "y": ["Output"]}}, sort_keys=False))
    course.write("s/names.yaml", yaml.safe_dump({
        "title": "Grain by region (tonnes)", "columns": ["Region", "Grain"],
        "rows": [[name, rng.randint(10, 90)] for name in (
            "Lower Volga and the Don steppe", "Middle Volga and the Urals",
            "North Caucasus and Kuban", "Central Black Earth region",
            "Western Siberia and the Altai", "Ukraine (left bank)")],
        "chart": {"type": "bar", "x": "Region", "y": ["Grain"]}}, sort_keys=False))
    course.write("s/essay.md", essay(LONG_TITLE, md(
        "## " + LONG_TITLE, *(prose(90, k) for k in range(20, 26)))))
    course.manifest({"title": "Stress", "contents": [
        {"part": "Long things", "items": [{"excerpt": "s/long-excerpt.md"},
                                          {"essay": "s/essay.md"}, {"excerpt": "s/poem.md"}]},
        {"part": "Tables", "items": [{"table": "s/long.yaml"}, {"table": "s/wide.yaml"},
                                     {"table": "s/series.yaml"}, {"table": "s/names.yaml"}]}]})


def build(root: Path, timeout: float = 300) -> None:
    """A build in its own process: a table that made the deck loop forever fails here."""
    src = Path(__file__).resolve().parent.parent / "src"
    result = subprocess.run([sys.executable, "-m", "reader.cli", "build", str(root)],
                            capture_output=True, text=True, timeout=timeout,
                            env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin",
                                 "HOME": str(root)})
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def structure(tmp_path_factory) -> Course:
    course = Course(tmp_path_factory.mktemp("structure") / "course")
    course.root.mkdir()
    write_structure_course(course)
    build(course.root)
    return course


@pytest.fixture(scope="module")
def stress(tmp_path_factory) -> Course:
    course = Course(tmp_path_factory.mktemp("stress") / "course")
    course.root.mkdir()
    write_stress_course(course)
    started = time.perf_counter()
    build(course.root)
    course.build_seconds = time.perf_counter() - started   # type: ignore[attr-defined]
    return course


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Course:
    import shutil

    root = tmp_path_factory.mktemp("sample") / "course"
    root.mkdir()
    shutil.copy2(REPO / "course.yaml", root / "course.yaml")
    shutil.copytree(REPO / "sections", root / "sections")
    build(root)
    return Course(root)


# --- reading the deck back ------------------------------------------------------------------

def slide_xml(path: Path) -> list[etree._Element]:
    """Each slide's XML (plain lxml), in deck order."""
    from pptx import Presentation

    return [etree.fromstring(slide.part.blob) for slide in Presentation(str(path)).slides]


def paragraphs(slide: etree._Element) -> list[etree._Element]:
    return slide.xpath(".//p:txBody/a:p", namespaces=NS)


def text_of(element: etree._Element) -> str:
    out = []
    for node in element.iter(f"{{{NS['a']}}}t", f"{{{NS['a']}}}br"):
        out.append("\n" if node.tag.endswith("}br") else (node.text or ""))
    return "".join(out)


def find_slide(slides: list, needle: str) -> etree._Element:
    found = [s for s in slides if needle in text_of(s)]
    assert found, f"no slide shows {needle!r}"
    return found[0]


# --- 1. structure survives ------------------------------------------------------------------

def test_verse_keeps_its_line_breaks(structure):
    slides = slide_xml(structure.dist / "deck.pptx")
    poem = find_slide(slides, "The rose is red,")
    para = next(p for p in paragraphs(poem) if "The rose is red," in text_of(p))
    assert text_of(para) == "The rose is red,\nthe violet’s blue,\nsugar is sweet,\n" \
                            "and so are you."
    assert len(para.findall("a:br", NS)) == 3


def test_an_excerpts_paragraphs_stay_paragraphs(structure):
    slides = slide_xml(structure.dist / "deck.pptx")
    articles = [text_of(p) for s in slides for p in paragraphs(s)
                if re.match(r"Article \d\.", text_of(p))]
    assert [a.split(".")[0] for a in articles] == [f"Article {n}" for n in range(1, 7)]


def test_nested_and_numbered_lists_keep_levels_and_numbers(structure):
    slides = slide_xml(structure.dist / "deck.pptx")
    lists = find_slide(slides, "The first cause")
    found = {}
    for p in paragraphs(lists):
        ppr = p.find("a:pPr", NS)
        auto = ppr.find("a:buAutoNum", NS) if ppr is not None else None
        found[text_of(p)] = (int(ppr.get("lvl", "0")) if ppr is not None else 0,
                             auto.get("startAt") if auto is not None else None)
    base = found["The first cause, with emphasis."][0]
    assert found["The first cause, with emphasis."] == (base, "1")
    assert found["a child of the first"] == (base + 1, None)
    assert found["a grandchild"] == (base + 2, None)
    assert found["The second cause."] == (base, "2")
    assert found["The third cause."] == (base, "3")


def test_italic_bold_and_struck_runs(structure):
    slides = slide_xml(structure.dist / "deck.pptx")
    runs = {text_of(r): r.find("a:rPr", NS) for s in slides
            for r in s.iter(f"{{{NS['a']}}}r")}
    assert runs["italic words"].get("i") == "1"
    assert runs["bold words"].get("b") == "1"
    assert runs["struck words"].get("strike") == "sngStrike"
    assert runs["emphasis"].get("i") == "1"


def test_a_pipe_table_is_a_native_table_after_its_lead_in(structure):
    slides = slide_xml(structure.dist / "deck.pptx")
    slide = find_slide(slides, "two camps:")
    cells = [text_of(tc) for tc in slide.iter(f"{{{NS['a']}}}tc")]
    assert cells == ["Camp", "Leading figure", "Totalitarian", "Robert Conquest",
                     "Revisionist", "Sheila Fitzpatrick"]


def test_a_quotation_and_its_attribution_share_a_slide(structure):
    slides = slide_xml(structure.dist / "deck.pptx")
    slide = find_slide(slides, "The revolution devours its children.")
    assert "— Pierre Vergniaud" in text_of(slide)


def test_a_picture_comes_after_the_text_before_it_titled_and_described(structure):
    from pptx import Presentation

    prs = Presentation(str(structure.dist / "deck.pptx"))
    slides = list(prs.slides)
    index = next(n for n, s in enumerate(slides) for sh in s.shapes if sh.shape_type == 13)
    picture_slide = slides[index]
    assert "Some text before the picture." in _all_text(slides[index - 1])
    assert "Text after the picture." in _all_text(slides[index + 1])
    assert picture_slide.shapes.title.text_frame.text == "A picture"
    picture = next(sh for sh in picture_slide.shapes if sh.shape_type == 13)
    alt = "A red mark at the top of a tall blue field"
    assert picture._element.xpath("./p:nvPicPr/p:cNvPr/@descr") == [alt]
    assert alt in _all_text(picture_slide) and alt in notes_text(picture_slide)


def test_a_sideways_jpeg_is_embedded_upright(structure):
    from PIL import Image

    from pptx import Presentation

    prs = Presentation(str(structure.dist / "deck.pptx"))
    picture = next(sh for s in prs.slides for sh in s.shapes if sh.shape_type == 13)
    image = Image.open(io.BytesIO(picture.image.blob))
    assert image.getexif().get(0x0112, 1) == 1
    assert image.size == (600, 1200), "stored 1200 x 600, turned a quarter"
    assert picture.height > picture.width
    red = image.convert("RGB").getpixel((image.width - 20, 20))
    blue = image.convert("RGB").getpixel((20, 20))
    assert red[0] > 180 and red[2] < 80, red          # the mark is now top right
    assert blue[2] > 150, blue


def _all_text(slide) -> str:  # noqa: ANN001
    return "\n".join(sh.text_frame.text for sh in slide.shapes if sh.has_text_frame)


# --- 2. accessibility and notes -------------------------------------------------------------

@pytest.mark.parametrize("which", ["structure", "stress"])
def test_every_slide_has_a_title_placeholder_first_in_reading_order(which, request):
    course = request.getfixturevalue(which)
    for n, slide in enumerate(slide_xml(course.dist / "deck.pptx"), 1):
        shapes = slide.find("p:cSld/p:spTree", NS).xpath("./p:sp | ./p:graphicFrame | "
                                                          "./p:pic", namespaces=NS)
        first = shapes[0].find(".//p:nvPr/p:ph", NS)
        assert first is not None and first.get("type") in ("title", "ctrTitle"), \
            f"slide {n}: the first shape is not the title"
        assert text_of(shapes[0]).strip(), f"slide {n}: empty title"


@pytest.mark.parametrize("which", ["structure", "stress"])
def test_charts_and_pictures_carry_alt_text(which, request):
    course = request.getfixturevalue(which)
    for n, slide in enumerate(slide_xml(course.dist / "deck.pptx"), 1):
        for frame in slide.xpath(".//p:graphicFrame[.//c:chart] | .//p:pic",
                                 namespaces=NS):
            descr = frame.xpath(".//p:cNvPr/@descr", namespaces=NS)
            assert descr and descr[0].strip(), f"slide {n}: a chart or picture without alt"


def test_notes_are_plain_text_and_each_slides_own_share(structure, stress):
    for course in (structure, stress):
        slides = deck_slides(course.dist / "deck.pptx")
        for slide in slides:
            notes = notes_text(slide)
            assert not re.search(r"\*\w|\w\*|~~|\[\[", notes), notes[:80]
        text = sum(len(p.read_text(encoding="utf-8")) for p in course.root.glob("s/*.md"))
        notes = sum(len(notes_text(s)) for s in slides)
        assert notes < 2 * text + 5000, "notes repeat the text (each slide: its share)"


def test_chart_slides_are_titled_as_their_tables(stress):
    from pptx import Presentation

    for slide in Presentation(str(stress.dist / "deck.pptx")).slides:
        if any(getattr(sh, "has_chart", False) and sh.has_chart for sh in slide.shapes):
            assert "(chart)" not in slide.shapes.title.text_frame.text
            assert slide.shapes.title.text_frame.text in (           # a range's en dash
                "Output, 1960–2020 (millions)", "Grain by region (tonnes)")


# --- 3. wide and long tables ---------------------------------------------------------------

def test_a_62_column_table_is_split_by_columns_with_the_first_repeated(stress):
    from pptx import Presentation

    assert stress.build_seconds < 240
    heads: list[list[str]] = []
    for slide in Presentation(str(stress.dist / "deck.pptx")).slides:
        for shape in slide.shapes:
            if getattr(shape, "has_table", False) and shape.has_table:
                head = [c.text for c in shape.table.rows[0].cells]
                if head[0] == "Country":
                    heads.append(head)
    assert len(heads) > 1
    years = [y for head in heads for y in head[1:]]
    assert years == [str(y) for y in range(1960, 2021)]


# --- 4. every slide cites the pages its content is on --------------------------------------

def letters(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def reader_pages(path: Path) -> dict[str, str]:
    """Printed page label -> the page's letters and digits."""
    from pypdf import PdfReader

    pdf = PdfReader(str(path))
    return {label: letters(page.extract_text() or "")
            for label, page in zip(pdf.page_labels, pdf.pages)}


def cite_problems(course: Course) -> list[str]:
    """For each slide that cites the reader: its first words are on the first page cited,
    its last words on the last (text and table rows alike)."""
    from pptx import Presentation

    pages = reader_pages(course.dist / "reader.pdf")
    own_bullets = lecturers_bullets(course)
    problems = []
    for n, slide in enumerate(Presentation(str(course.dist / "deck.pptx")).slides, 1):
        footer = next((s.text_frame.text for s in slide.shapes if s.name == "Reader page"),
                      None)
        if footer is None or slide.name in own_bullets:
            continue
        match = re.fullmatch(r"Reader pp?\. (\d+)(?:–(\d+))?", footer)
        if match is None:
            problems.append(f"slide {n}: footer {footer!r}")
            continue
        first, last = match.group(1), match.group(2) or match.group(1)
        content = _content(slide)
        if not content:
            continue
        head, tail = letters(content[0])[:24], letters(content[-1])[-24:]
        if not _starts_on(head, pages.get(first, "")):
            problems.append(f"slide {n} cites p. {first}, which lacks {content[0][:40]!r}")
        if not _ends_on(tail, pages.get(last, "")):
            problems.append(f"slide {n} cites p. {last}, which lacks {content[-1][-40:]!r}")
    return problems


def _starts_on(head: str, page: str) -> bool:
    """The slide's first words are on the page, or begin at its foot: a sentence that goes
    over to the next page (its first 12 letters or more among the page's last 100, which
    hold nothing after the body's text but the running head and folio)."""
    return head in page or any(head[:k] in page[-100:] for k in range(12, len(head)))


def _ends_on(tail: str, page: str) -> bool:
    """The slide's last words are on the page, or end at its head (begun on the page
    before: its last 12 letters or more among the page's first 100)."""
    return tail in page or any(tail[-k:] in page[:100] for k in range(12, len(tail)))


def _content(slide) -> list[str]:  # noqa: ANN001
    """The text a slide shows from the reader: body paragraphs, or table rows (their
    first cell: the reader may wrap the others, which mixes their order on the page)."""
    out = []
    for shape in slide.shapes:
        body = shape.name.startswith("Body") or (
            shape.is_placeholder and shape.placeholder_format.idx == 1)
        if body and shape.has_text_frame:
            out.extend(p.text.replace(CONTINUED, "").strip() for p in shape.text_frame.paragraphs
                       if p.text.replace(CONTINUED, "").strip())
        elif getattr(shape, "has_table", False) and shape.has_table:
            out.extend(row.cells[0].text for row in list(shape.table.rows)[1:])
    return out


def lecturers_bullets(course: Course) -> set[str]:
    """Items whose slides show the lecturer's own bullets (``slides:``), not the reader's
    text: their slides cite the item's first page."""
    data = yaml.safe_load((course.root / "course.yaml").read_text(encoding="utf-8"))
    paths = []
    for entry in data["contents"]:
        for sub in entry.get("items", [entry]):
            paths.append(next(iter(sub.values())))
    found = set()
    for rel in paths:
        text = (course.root / rel).read_text(encoding="utf-8")
        if rel.endswith(".md") and "\nslides:" in text.split("---", 2)[1]:
            found.add(anchor_of(rel))
    return found


@pytest.mark.parametrize("which", ["structure", "stress", "sample"])
def test_every_slide_cites_the_pages_its_content_is_printed_on(which, request):
    course = request.getfixturevalue(which)
    problems = cite_problems(course)
    assert not problems, "\n".join(problems[:20])


def test_essays_in_another_language_cite_their_own_pages(tmp_path):
    """An essay in another language than the course's is parsed again with its own
    quotation marks: its paragraphs must still carry its own anchors, or its slides cite
    the pages of the next essay in that language (both would have a paragraph 'b1')."""
    course = Course(tmp_path / "course")
    course.root.mkdir()
    course.manifest({"title": "Cours", "lang": "en",
                     "contents": [{"essay": "s/long.md"}, {"essay": "s/short.md"}]})
    course.write("s/long.md", essay("Un long essai", md(*(
        f"Le paragraphe {n} ouvre sur une idée. {prose(300, n)}" for n in range(1, 16))),
        lang="fr"))
    course.write("s/short.md", essay("Un court essai", md("Une idée.", "Une autre."),
                                     lang="fr"))
    build(course.root)
    problems = cite_problems(course)
    assert not problems, "\n".join(problems[:20])


def test_continuation_slides_cite_later_pages(stress):
    from pptx import Presentation

    cites = [next(s.text_frame.text for s in slide.shapes if s.name == "Reader page")
             for slide in Presentation(str(stress.dist / "deck.pptx")).slides
             if slide.name == "item-s_long_excerpt"]
    assert len(set(cites)) > 2, cites


# --- 5. a real client -------------------------------------------------------------------------

def need_soffice() -> None:
    import os
    import shutil

    if shutil.which("soffice") is None:
        if os.environ.get("CI"):
            pytest.fail("soffice (LibreOffice) is required under CI")
        pytest.skip("LibreOffice (soffice) not installed")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):  # noqa: ANN201
    """Each course's deck as LibreOffice draws it, converted once."""
    from verify import render_deck

    done: dict[str, Path] = {}

    def get(course: Course) -> Path:
        key = str(course.root)
        if key not in done:
            done[key] = render_deck(course.dist / "deck.pptx",
                                    tmp_path_factory.mktemp("lo"))
        return done[key]

    return get


@pytest.mark.slow
@pytest.mark.parametrize("which", ["sample", "stress", "structure"])
def test_libreoffice_draws_every_text_whole_inside_its_shape(which, request, rendered):
    from verify import deck_client_problems

    need_soffice()
    course = request.getfixturevalue(which)
    problems = deck_client_problems(course.dist / "deck.pptx", rendered(course))
    assert not problems, "\n".join(problems[:25])


def oriented_box(char: dict, size: float) -> list[tuple[float, float]]:
    """A drawn character's ink box (advance x cap height) as a polygon, rotation kept."""
    a, b, c, d, e, f = char["matrix"]
    nu, nv = (a * a + b * b) ** 0.5 or 1.0, (c * c + d * d) ** 0.5 or 1.0
    u, v = (a / nu, b / nu), (c / nv, d / nv)
    w, h = char["adv"], 0.66 * size
    shrink = 0.4
    corners = [(shrink, shrink), (w - shrink, shrink), (w - shrink, h - shrink),
               (shrink, h - shrink)]
    return [(e + s * u[0] + t * v[0], f + s * u[1] + t * v[1]) for s, t in corners]


def label_numbers(chars: list[dict]) -> list[int]:
    """Which label each drawn character belongs to: a character drawn where the one
    before it ends (its origin + advance, in its direction) continues the same label."""
    numbers, label = [], 0
    for k, ch in enumerate(chars):
        if k:
            prev = chars[k - 1]
            a, b = prev["matrix"][0], prev["matrix"][1]
            norm = (a * a + b * b) ** 0.5 or 1.0
            x = prev["matrix"][4] + prev["adv"] * a / norm
            y = prev["matrix"][5] + prev["adv"] * b / norm
            if abs(ch["matrix"][4] - x) > 1.5 or abs(ch["matrix"][5] - y) > 1.5:
                label += 1
        numbers.append(label)
    return numbers


def overlap(p: list, q: list) -> bool:
    """Convex polygons intersect: no separating axis among their edges' normals."""
    for poly in (p, q):
        for i in range(len(poly)):
            (x1, y1), (x2, y2) = poly[i], poly[(i + 1) % len(poly)]
            nx, ny = y2 - y1, x1 - x2
            pa = [nx * x + ny * y for x, y in p]
            qa = [nx * x + ny * y for x, y in q]
            if max(pa) < min(qa) or max(qa) < min(pa):
                return False
    return True


@pytest.mark.unit
def test_the_overlap_check_sees_labels_run_together():
    """The check below, on drawn characters: two labels drawn over each other are caught,
    the letters of one label are not (they touch)."""
    def char(x: float, y: float, rotated: bool = False) -> dict:
        matrix = (0.7071, 0.7071, -0.7071, 0.7071, x, y) if rotated else (1, 0, 0, 1, x, y)
        return {"matrix": matrix, "adv": 9.0, "text": "1"}

    one = [char(100 + 9 * k, 50) for k in range(4)]
    assert label_numbers(one) == [0, 0, 0, 0]
    boxes = [oriented_box(c, 18) for c in one]
    assert not any(overlap(boxes[i], boxes[i + 1]) for i in range(3))
    smear = one + [char(120 + 9 * k, 52) for k in range(4)]     # a second label on top
    assert label_numbers(smear)[4:] == [1, 1, 1, 1]
    assert overlap(oriented_box(smear[2], 18), oriented_box(smear[4], 18))
    tilted = [char(100 + 22 * k, 50, rotated=True) for k in range(3)]   # 45°, apart
    assert not overlap(oriented_box(tilted[0], 18), oriented_box(tilted[1], 18))


def test_crowded_labels_are_thinned_for_powerpoint_and_long_names_turn_the_bars(stress):
    """PowerPoint draws every label unless told (c:tickLblSkip); LibreOffice thins and
    turns them itself (checked below as it draws them)."""
    from PIL import ImageFont

    charts = {}
    with zipfile.ZipFile(stress.dist / "deck.pptx") as z:
        for name in z.namelist():
            if re.fullmatch(r"ppt/charts/chart\d+\.xml", name):
                root = etree.fromstring(z.read(name))
                charts[len(root.findall(".//c:cat//c:pt", NS))] = root
    line, bars = charts[61], charts[6]
    assert bars.find(".//c:barDir", NS).get("val") == "bar"      # horizontal: long names
    skip = int(line.find(".//c:catAx/c:tickLblSkip", NS).get("val"))
    font = ImageFont.truetype(str(REPO / "src/reader/theme/fonts/Carlito-Regular.ttf"), 18)
    label = font.getlength("2020")
    frame_width = 12.13 * 72 * 0.8          # the plot's share of the chart's frame, at most
    assert skip * frame_width / 61 > label * 1.2, (skip, label)


@pytest.mark.slow
def test_chart_labels_never_overlap_as_libreoffice_draws_them(stress, rendered):
    import pdfplumber
    from pptx import Presentation

    need_soffice()
    prs = Presentation(str(stress.dist / "deck.pptx"))
    checked = 0
    problems = []
    with pdfplumber.open(str(rendered(stress))) as pdf:
        for n, (slide, page) in enumerate(zip(prs.slides, pdf.pages), 1):
            frame = next((sh for sh in slide.shapes if getattr(sh, "has_chart", False)
                          and sh.has_chart), None)
            if frame is None:
                continue
            checked += 1
            size = frame.chart.font.size.pt
            low = float(page.height) - (frame.top + frame.height) / EMU_PER_PT  # PDF y: up
            high = float(page.height) - frame.top / EMU_PER_PT
            chars = [ch for ch in page.chars if ch["text"].strip() and
                     frame.left / EMU_PER_PT <= ch["x0"] and low <= ch["matrix"][5] <= high]
            labels = label_numbers(chars)
            boxes = [oriented_box(ch, size) for ch in chars]
            for i in range(len(boxes)):
                for j in range(i + 1, len(boxes)):
                    if labels[i] != labels[j] and overlap(boxes[i], boxes[j]):
                        problems.append(f"slide {n}: {chars[i]['text']!r} and "
                                        f"{chars[j]['text']!r} overlap at "
                                        f"({chars[i]['x0']:.0f}, {chars[i]['top']:.0f})")
                        break
    assert checked == 2
    assert not problems, "\n".join(problems[:20])


@pytest.mark.slow
def test_libreoffice_shows_the_sideways_photo_upright(structure, rendered):
    import pdfplumber
    from pptx import Presentation

    need_soffice()
    prs = Presentation(str(structure.dist / "deck.pptx"))
    index = next(n for n, s in enumerate(prs.slides) for sh in s.shapes if sh.shape_type == 13)
    with pdfplumber.open(str(rendered(structure))) as pdf:
        page = pdf.pages[index]
        image = page.to_image(resolution=40).original.convert("RGB")
        scale = image.width / float(page.width)
        shown = page.images[0]
        x0, x1 = shown["x0"] * scale, shown["x1"] * scale
        y0 = shown["top"] * scale
        assert shown["height"] > shown["width"], "drawn taller than wide"
        right = image.getpixel((int(x1) - 3, int(y0) + 3))
        left = image.getpixel((int(x0) + 3, int(y0) + 3))
        assert right[0] > 150 and right[2] < 100, right      # red: top right
        assert left[2] > 120, left                           # blue: top left
