"""The slide plan (reader.deck.plan), checked without python-pptx: what each slide will
show, how text is split, what it cites. Fast: courses are read, nothing is rendered.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import yaml

from conftest import anchor_of, essay, excerpt
from conftest import prose as shared_prose

from reader.course.blocks import Heading, ListBlock, Paragraph, piece_bounds, sentence_bounds
from reader.course.markdown import parse_markdown_file
from reader.course.pagemap import PageMap
from reader.deck.cite import fill, page_token, pages_label
from reader.deck.flow import CONTINUED, Measure, State, greedy, pack, prepare
from reader.deck.plan import Planner, Slide, TableShape, chart_labels
from reader.deck.tables import Cell, Table, column_groups, grids
from reader.deck.textfit import Metrics

pytestmark = pytest.mark.unit

# --- helpers -------------------------------------------------------------------------------

def plan_course(root: Path, contents: list, **settings) -> tuple[Planner, list]:
    """The course's plan: (planner, [(segment name, slides)])."""
    from reader.build.pipeline import load_course
    from reader.course.manifest import load_manifest
    from reader.course.theme import theme_for

    (root / "course.yaml").write_text(yaml.safe_dump({"title": "Plan", "contents": contents,
                                                      **settings}), encoding="utf-8")
    manifest = load_manifest(root)
    course = load_course(manifest, manifest.variant(None, None))
    planner = Planner(course, theme_for(course.templates, course.root))
    return planner, [(s.name, s.slides) for s in planner.segments()]


def item_slides(plan: list, name: str) -> list[Slide]:
    """The slides of the item course.yaml names ``name`` (its segment is its anchor), or
    of the segment ``name`` ('agenda', 'part-1')."""
    return next(slides for segment, slides in plan if segment in (name, anchor_of(name)))


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def md(*blocks: str) -> str:
    """Markdown blocks, a blank line apart (no indentation to go wrong)."""
    return "\n\n".join(blocks)


def title(slide: Slide) -> str:
    return slide.title.text


def body(slide: Slide) -> str:
    return slide.body_text


def metrics() -> Metrics:
    from reader.course.theme import theme_for

    theme = theme_for(None)
    return Metrics({(b, i): theme.font_file("Carlito", b, i)
                    for b in (False, True) for i in (False, True)})


WORDS = ("peasant grain harvest village quota official party state market price famine "
         "tractor cooperative collective district procurement report committee decree").split()


def prose(words: int, seed: int) -> str:
    return shared_prose(words, seed, WORDS)


# --- the plan needs no python-pptx ----------------------------------------------------------

def test_the_plan_is_made_without_python_pptx():
    code = ("import sys; import reader.deck.plan, reader.deck.flow, reader.deck.tables; "
            "assert not [m for m in sys.modules if m.startswith('pptx')], 'pptx imported'")
    src = Path(__file__).resolve().parent.parent / "src"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr


# --- sentences and lines --------------------------------------------------------------------

def test_sentences_and_verse_lines_are_the_places_to_cut():
    line = "See pp. 39-40. As E. H. Carr wrote, it was so. “Stop.” Then left."
    assert [line[a:b] for a, b in sentence_bounds(line)] == [
        "See pp. 39-40.", "As E. H. Carr wrote, it was so.", "“Stop.”", "Then left."]
    verse = "The rose is red,\nthe violet's blue. Sugar\nis sweet."
    assert [(verse[a:b], new) for a, b, new in piece_bounds(verse)] == [
        ("The rose is red,", False), ("the violet's blue.", True), ("Sugar", False),
        ("is sweet.", True)]


def test_blocks_keep_the_structure_and_every_block_has_an_id_in_the_html(tmp_path):
    text = textwrap.dedent("""\
        ---
        title: T
        ---
        A *first* sentence. A second one.

        The rose is red,\\
        the violet's blue.

        1. one
           - child
        2. two

        ### Sub
        """)
    doc = parse_markdown_file(tmp_path / "e.md", tmp_path, text, "en", "item-4")
    kinds = [type(b).__name__ for b in doc.blocks]
    assert kinds == ["Paragraph", "Paragraph", "ListBlock", "Heading"]
    prose_block, verse, numbered, sub = doc.blocks
    assert isinstance(prose_block, Paragraph) and not prose_block.verse
    assert [p.text for p in prose_block.pieces] == ["A first sentence.", "A second one."]
    assert any(s.italic and s.text == "first" for s in prose_block.pieces[0].spans)
    assert verse.verse and verse.text == "The rose is red,\nthe violet’s blue."
    assert isinstance(numbered, ListBlock) and numbered.ordered
    assert isinstance(numbered.items[0].blocks[1], ListBlock)
    assert isinstance(sub, Heading) and sub.level == 3
    # ids: "<item anchor>-b<n>" in file order, printed in the HTML; a sentence is its
    # block's id and the letters and digits before it
    for block_id in ("item-4-b1", "item-4-b2", "item-4-b3", "item-4-b5", "item-4-b6"):
        assert f'id="{block_id}"' in doc.html
    assert prose_block.pieces[1].start == "item-4-b1@14"      # "Afirstsentence" = 14
    assert "<span" not in doc.html   # no inline marks: they change the reader's line breaks


# --- splitting --------------------------------------------------------------------------------

def long_excerpt(root: Path, words: int = 1600) -> tuple[Planner, list[Slide]]:
    paragraphs = "\n\n".join(prose(words // 8, seed) for seed in range(8))
    write(root, "x.md", excerpt("A long source", paragraphs, permission="Public domain"))
    planner, plan = plan_course(root, [{"excerpt": "x.md"}])
    return planner, item_slides(plan, "x.md")


def test_a_long_excerpt_is_split_evenly_at_sentences_with_marks(tmp_path):
    planner, slides = long_excerpt(tmp_path)
    n = len(slides)
    assert n >= 4
    # every slide is titled with its place in the run, and carries the attribution
    assert [title(s).rsplit(" ", 1)[-1] for s in slides] == [f"({k}/{n})" for k in
                                                             range(1, n + 1)]
    assert all(s.frames("attribution") for s in slides)
    # no slide ends mid-sentence; one that ends mid-paragraph says it goes on
    for slide in slides[:-1]:
        text = body(slide)
        assert text.endswith((".", CONTINUED)), text[-40:]
    assert not body(slides[-1]).endswith(CONTINUED)
    # as few slides as greedy filling needs, and evenly filled: no runt
    box = planner.geometry.body_above_caption
    from reader.deck import content

    runs = content.units(planner.course.items[0].doc.blocks,
                         planner.context(planner.sizes["quote"], False, box))
    measure = Measure(planner.metrics, box.text_width)
    units = prepare(runs, measure, box.text_height)
    assert n == len(greedy(units, measure, box.text_height))
    heights = [measure.height(_fill(measure, chunk), chunk[-1].continues)
               for chunk in pack(runs, measure, box.text_height)]
    assert min(heights) >= 0.6 * max(heights), heights


def _fill(measure: Measure, units: list) -> State:
    state = State()
    for unit in units:
        state = measure.add(state, unit)
    return state


def test_the_slides_hold_the_whole_text_in_order_and_notes_hold_each_slides_share(tmp_path):
    _, slides = long_excerpt(tmp_path)
    import re

    def words(text: str) -> list[str]:
        return re.findall(r"\w+", text)

    shown = [w for s in slides for w in words(body(s))]
    source = (tmp_path / "x.md").read_text().split("---", 2)[2]
    assert shown == words(source)
    for slide in slides:       # each slide's notes: its own text, not the whole excerpt's
        assert words(body(slide))[:30] == [w for w in words(slide.notes)
                                           if w in set(words(body(slide)))][:30]
    total_notes = sum(len(s.notes) for s in slides)
    assert total_notes < 1.5 * len(source) + 600 * len(slides)


def test_a_one_sentence_runt_is_avoided(tmp_path):
    """Sentences that would leave the last slide one short sentence are spread instead."""
    planner, slides = long_excerpt(tmp_path, words=700)
    if len(slides) > 1:
        last = body(slides[-1])
        assert len(last.split()) > 25, last


def test_a_sentence_longer_than_a_slide_is_cut_evenly_between_words(tmp_path):
    sentence = "One sentence that " + " ".join(["goes on and on"] * 160) + "."
    write(tmp_path, "x.md", excerpt("Endless", sentence))
    _, plan = plan_course(tmp_path, [{"excerpt": "x.md"}])
    slides = item_slides(plan, "x.md")
    assert len(slides) > 1
    counts = [len(body(s).split()) for s in slides]
    assert min(counts) > 0.6 * max(counts), counts
    assert all(body(s).endswith(CONTINUED) for s in slides[:-1])
    assert " ".join(body(s).replace(CONTINUED, "") for s in slides).split() == \
        sentence.split()


def test_verse_keeps_its_lines_and_stanzas(tmp_path):
    stanza = "\\\n".join(f"Line {k} of the stanza" for k in range(1, 5))
    write(tmp_path, "p.md", excerpt("Poem", f"{stanza}\n\n{stanza}"))
    _, plan = plan_course(tmp_path, [{"excerpt": "p.md"}])
    slides = item_slides(plan, "p.md")
    assert len(slides) == 1
    paragraphs = slides[0].frames("body")[0].paragraphs
    assert [p.text for p in paragraphs] == ["\n".join(f"Line {k} of the stanza"
                                                      for k in range(1, 5))] * 2


def test_a_list_item_stays_with_its_children(tmp_path):
    items = "\n".join(f"- Point {k} " + prose(12, k) + "\n  - child a of point " + str(k) +
                      "\n  - child b of point " + str(k) for k in range(1, 9))
    write(tmp_path, "e.md", essay("Lists", f"## Points\n\n{items}"))
    _, plan = plan_course(tmp_path, [{"essay": "e.md"}])
    slides = item_slides(plan, "e.md")[1:]
    assert len(slides) > 1
    for slide in slides:
        paragraphs = [p for f in slide.frames("body") for p in f.paragraphs]
        assert paragraphs[0].level == 0, "a slide starts with a top-level point"
        assert paragraphs[-1].level == 1, "a point's children end the slide with it"
        levels = [p.level for p in paragraphs]
        assert levels == [0, 1, 1] * (len(levels) // 3)


def test_numbered_lists_keep_their_numbers_across_slides(tmp_path):
    items = "\n".join(f"{k}. Question number {k}: " + prose(30, k) for k in range(3, 15))
    write(tmp_path, "e.md", essay("Numbers", f"## Many\n\n{items}"))
    _, plan = plan_course(tmp_path, [{"essay": "e.md"}])
    numbers = [p.number for s in item_slides(plan, "e.md")[1:] for f in s.frames("body")
               for p in f.paragraphs]
    assert numbers == list(range(3, 15))


# --- essays: what becomes a slide ----------------------------------------------------------

def test_level_two_headings_start_slides_and_level_three_are_subheadings(tmp_path):
    write(tmp_path, "e.md", essay("Headings", md(
        "Before any heading. Second sentence.", "## First section",
        *(prose(40, k) for k in range(4)), "### A sub-heading",
        "Under the sub-heading. More.", "## Second section",
        *(prose(40, k) for k in range(4, 8)))))
    _, plan = plan_course(tmp_path, [{"essay": "e.md"}])
    slides = item_slides(plan, "e.md")
    titles = [re.sub(r" \(\d+/\d+\)$", "", title(s)) for s in slides]
    assert titles[:2] == ["Headings", "Headings"]   # the opening slide, the text before ##
    assert set(titles[2:]) == {"First section", "Second section"}
    assert not any("A sub-heading" in t for t in titles)
    subheads = [p for s in slides for f in s.frames("body") for p in f.paragraphs
                if p.text == "A sub-heading"]
    assert subheads and all(r.bold for r in subheads[0].runs)


def test_quote_and_attribution_share_a_slide_and_a_pipe_table_follows_its_lead_in(tmp_path):
    write(tmp_path, "e.md", essay("Camps", md(
        "## Two camps", *(prose(50, k) for k in range(3)),
        "Historians divide into two camps:",
        "| Camp | Figure |\n|---|---|\n| Totalitarian | Conquest |\n"
        "| Revisionist | Fitzpatrick |",
        "## Quoted", *(prose(50, k) for k in range(3, 6)),
        "> A revolution devours its children. " + prose(40, 9) + "\n>\n> — Pierre Vergniaud")))
    _, plan = plan_course(tmp_path, [{"essay": "e.md"}])
    slides = item_slides(plan, "e.md")
    table_slide = next(s for s in slides if any(isinstance(x, TableShape) for x in s.shapes))
    assert body(table_slide).rstrip().endswith("two camps:"), "the lead-in is with its table"
    grid = next(x for x in table_slide.shapes if isinstance(x, TableShape)).grid
    assert [c.text for c in grid.header] == ["Camp", "Figure"] and len(grid.rows) == 2
    quote = next(s for s in slides if "devours" in body(s))
    assert "— Pierre Vergniaud" in body(quote)


def test_a_figure_gets_a_slide_in_its_place_titled_like_its_section(tmp_path):
    from PIL import Image

    Image.new("RGB", (400, 200), "navy").save(tmp_path / "map.png")
    write(tmp_path, "e.md", essay("Figures", """
        ## The map

        Text before the map. It says so.

        ![A map of the grain regions](map.png)

        Text after the map.
        """))
    _, plan = plan_course(tmp_path, [{"essay": "e.md"}])
    slides = item_slides(plan, "e.md")
    kinds = [("picture" if any(type(x).__name__ == "PictureShape" for x in s.shapes)
              else body(s)[:16]) for s in slides[1:]]
    assert kinds == ["Text before the ", "picture", "Text after the m"]
    picture_slide = slides[2]
    assert title(picture_slide) == "The map"
    picture = next(x for x in picture_slide.shapes if type(x).__name__ == "PictureShape")
    assert picture.descr == "A map of the grain regions"
    assert picture_slide.frames("caption")[0].text == "A map of the grain regions"


def test_exif_orientation_decides_the_pictures_shape(tmp_path):
    from PIL import Image

    img = Image.new("RGB", (600, 300), "navy")
    exif = img.getexif()
    exif[0x0112] = 6                       # stored sideways: shown rotated a quarter turn
    img.save(tmp_path / "photo.jpg", exif=exif)
    write(tmp_path, "e.md", essay("Photo", "Text.\n\n![A tall photo](photo.jpg)"))
    _, plan = plan_course(tmp_path, [{"essay": "e.md"}])
    picture = next(x for s in item_slides(plan, "e.md") for x in s.shapes
                   if type(x).__name__ == "PictureShape")
    assert picture.box.height > picture.box.width


def test_speaker_notes_are_plain_text_and_each_slides_own_share(tmp_path):
    paragraphs = [f"*Reflections* on point {k}. " + prose(60, k) for k in range(12)]
    write(tmp_path, "e.md", essay("Notes", "## One\n\n" + "\n\n".join(paragraphs)))
    write(tmp_path, "x.md", excerpt("Source", "Text.", headnote="*Reflections* first."))
    _, plan = plan_course(tmp_path, [{"essay": "e.md"}, {"excerpt": "x.md"}])
    slides = item_slides(plan, "e.md") + item_slides(plan, "x.md")
    for slide in slides:
        assert "*" not in slide.notes, slide.notes[:80]
    essay_slides = item_slides(plan, "e.md")[1:]
    assert len(essay_slides) > 1
    for slide in essay_slides:        # the paragraphs it summarises, in full, and no others
        shown = [line for line in body(slide).split("\n") if line]
        assert len(slide.notes.split("\n\n")) == len(shown)


def test_lone_short_sections_share_a_slide(tmp_path):
    write(tmp_path, "e.md", essay("Short sections", md(
        "## Alpha", "One short claim.", "## Beta", "Another short claim.", "## Gamma",
        *(prose(60, k) for k in range(5)))))
    _, plan = plan_course(tmp_path, [{"essay": "e.md"}])
    slides = item_slides(plan, "e.md")[1:]
    merged = slides[0]
    assert title(merged) == "Short sections"
    assert "Alpha" in body(merged) and "Beta" in body(merged)
    assert any(title(s).startswith("Gamma") for s in slides)


def test_every_kind_of_block_and_item_has_its_own_function():
    """The tables of planners are whole: a new kind of block or item without a function
    would otherwise fail only when a course first used it."""
    import typing

    from reader.course import blocks, model
    from reader.deck.content import BLOCKS
    from reader.deck.plan import KINDS

    assert set(BLOCKS) == set(typing.get_args(blocks.Block))
    items = {cls for cls in vars(model).values() if isinstance(cls, type)
             and issubclass(cls, model.Item) and not cls.__subclasses__()}   # the kinds
    assert items and set(KINDS) == items


def test_the_joins_package_names_are_python_pptxs():
    from pptx.opc.constants import CONTENT_TYPE, NAMESPACE, RELATIONSHIP_TYPE
    from pptx.opc.packuri import PackURI
    from pptx.oxml.ns import namespaces

    from reader.deck import join

    assert (join.RELS_NS, join.TYPES_NS, join.R_NS) == (
        NAMESPACE.OPC_RELATIONSHIPS, NAMESPACE.OPC_CONTENT_TYPES, NAMESPACE.OFC_RELATIONSHIPS)
    assert join.P_NS == namespaces("p")["p"]
    assert join.SLIDE_REL == RELATIONSHIP_TYPE.SLIDE
    assert join.RELS_TYPE == CONTENT_TYPE.OPC_RELATIONSHIPS
    for part in ("/ppt/slides/slide1.xml", "/ppt/presentation.xml", "/[Content_Types].xml"):
        assert join._rels_name(part) == PackURI(part).rels_uri.lstrip("/")


def test_the_agenda_lists_the_parts_and_the_items_outside_them_in_order(tmp_path):
    write(tmp_path, "a.md", essay("Opening", "Text."))
    write(tmp_path, "b.md", essay("Inside", "Text."))
    write(tmp_path, "c.md", essay("Closing thoughts", "Text."))
    _, plan = plan_course(tmp_path, [{"essay": "a.md"}, {"part": "The middle",
                                                         "items": [{"essay": "b.md"}]},
                                     {"essay": "c.md"}])
    agenda = body(item_slides(plan, "agenda")[0])
    assert agenda.splitlines() == ["Essay 1: Opening", "Part I: The middle",
                                   "Essay 3: Closing thoughts"]


def test_a_deck_made_without_the_printed_reader_cites_no_reader_pages(tmp_path):
    write(tmp_path, "a.md", essay("Alone", md("A claim.", "## More", "Another claim.")))
    _, with_reader = plan_course(tmp_path, [{"essay": "a.md"}])
    _, deck_only = plan_course(tmp_path, [{"essay": "a.md"}], outputs=["pptx"])
    names = [[x.name for x in s.shapes] for s in item_slides(with_reader, "a.md")]
    assert all("Reader page" in n for n in names)
    for slide in item_slides(deck_only, "a.md"):
        assert "Reader page" not in [x.name for x in slide.shapes] and slide.cite is None


def test_a_lead_sharing_a_slide_does_not_repeat_the_slides_title(tmp_path):
    """Text before the first heading shares the slide titled with the essay: no subheading
    repeats that title in the body or the notes."""
    write(tmp_path, "e.md", essay("Lead and sections", md(
        "An opening claim.", "## Alpha", "One short claim.", "## Beta", "Another.")))
    _, plan = plan_course(tmp_path, [{"essay": "e.md"}])
    merged = item_slides(plan, "e.md")[1]
    assert title(merged) == "Lead and sections"
    assert body(merged).startswith("An opening claim."), body(merged)
    assert "Alpha" in body(merged) and "Beta" in body(merged)
    assert "Lead and sections" not in merged.notes


# --- tables ------------------------------------------------------------------------------------

def test_a_wide_table_is_split_into_column_groups_each_led_by_the_first_column():
    from reader.course.blocks import Span

    m = metrics()
    years = [str(y) for y in range(1960, 2021)]
    header = [Cell((Span("Country"),))] + [Cell((Span(y),), "right") for y in years]
    rows = [[Cell((Span(name),))] + [Cell((Span(f"{(k * 7919) % 99999:,}"),), "right")
                                     for k in range(61)]
            for name in ("Ruritania", "Grand Fenwick", "Freedonia")]
    start = time.perf_counter()
    out = grids(Table(header, rows, ["r1", "r2", "r3"]), m, 860.0, 330.0, range(24, 17, -1))
    assert time.perf_counter() - start < 5
    assert len(out) > 1
    seen = []
    for grid in out:
        assert grid.columns[0] == 0
        assert sum(grid.widths) <= 860.0 + 0.01
        seen.extend(grid.columns[1:])
        assert grid.size == 18
    assert seen == list(range(1, 62))
    sizes = [len(g.columns) for g in out]
    assert max(sizes) - min(sizes) <= 2, sizes      # evenly: no group of two columns


@pytest.mark.parametrize("width", [0.0, 5.0, 14.0, 30.0])
def test_every_table_finishes_however_narrow(width):
    """A column narrower than its padding once gave a negative width and an endless wrap."""
    from reader.course.blocks import Span

    m = metrics()
    header = [Cell((Span("Name"),))] + [Cell((Span(f"Column {k}"),)) for k in range(55)]
    rows = [[Cell((Span("x" * 40),))] + [Cell((Span("123456789 " * 3),)) for _ in range(55)]]
    start = time.perf_counter()
    out = grids(Table(header, rows, ["r"]), m, width, 300.0, range(24, 17, -1))
    assert out and time.perf_counter() - start < 5
    assert m.wrap("x" * 2000, 18, -4.0)             # a negative width: one char a line
    assert m.wrap("", 18, -4.0) == [""]


def test_column_groups_take_at_least_one_column_each():
    assert column_groups([50.0] * 5, [50.0] * 5, 100.0) == [[0, 1], [0, 2], [0, 3], [0, 4]]
    assert column_groups([500.0, 500.0], [500.0, 500.0], 100.0) == [[0, 1]]


def test_a_short_table_uses_the_space_and_a_long_one_keeps_its_header(tmp_path):
    write(tmp_path, "short.yaml", yaml.safe_dump({"title": "Short", "columns": ["A", "B"],
                                                  "rows": [["x", 1], ["y", 2]]}))
    write(tmp_path, "long.yaml", yaml.safe_dump({
        "title": "Long", "columns": ["Region", "Grain"],
        "rows": [[f"Region {k}", k * 1000] for k in range(60)]}))
    planner, plan = plan_course(tmp_path, [{"table": "short.yaml"}, {"table": "long.yaml"}])
    short = item_slides(plan, "short.yaml")[0]
    grid = next(x for x in short.shapes if isinstance(x, TableShape)).grid
    assert grid.size == planner.sizes["body"]           # not the 18 pt floor
    long = item_slides(plan, "long.yaml")
    rows = []
    for slide in long:
        shape = next(x for x in slide.shapes if isinstance(x, TableShape))
        assert [c.text for c in shape.grid.header] == ["Region", "Grain"]
        rows.extend(shape.grid.rows[r][0].text for r in shape.rows)
    assert rows == [f"Region {k}" for k in range(60)]
    counts = [len(next(x for x in s.shapes if isinstance(x, TableShape)).rows) for s in long]
    assert max(counts) - min(counts) <= 1, counts


# --- charts ------------------------------------------------------------------------------------

def test_chart_slides_are_titled_as_their_table_and_carry_alt_text(tmp_path):
    write(tmp_path, "t.yaml", yaml.safe_dump({
        "title": "Output (millions)", "columns": ["Year", "Output"],
        "rows": [[1928, 10], [1932, 7]], "chart": {"type": "bar", "x": "Year",
                                                   "y": ["Output"]}}))
    _, plan = plan_course(tmp_path, [{"table": "t.yaml"}])
    chart = item_slides(plan, "t.yaml")[-1]
    assert title(chart) == "Output (millions)"
    shape = next(x for x in chart.shapes if type(x).__name__ == "ChartShape")
    assert "1928" in shape.descr and "Output" in shape.descr


def test_crowded_category_labels_are_thinned_and_long_ones_turn_the_bars():
    m = metrics()
    from reader.deck.plan import Geometry

    box = Geometry().body
    years = [str(y) for y in range(1960, 2021)]
    kind, skip = chart_labels(m, "line", years, 18, box)
    assert kind == "line" and skip > 1
    shown = years[::skip]
    room = box.width / 12700 * 0.8 / len(years) * skip
    assert all(m.width(y, 18) < room for y in shown)
    names = ["Lower Volga and the Don steppe", "Middle Volga and the Urals",
             "North Caucasus and Kuban", "Central Black Earth region",
             "Western Siberia and the Altai", "Ukraine (left bank)"] * 3
    assert chart_labels(m, "bar", names, 18, box)[0] == "bar"      # horizontal bars
    assert chart_labels(m, "bar", ["1928", "1933"], 18, box) == ("column", 1)


# --- page cites --------------------------------------------------------------------------------

def test_a_place_in_a_block_is_found_on_the_page_it_is_printed_on():
    page_map = PageMap(start={"item-3": 14}, anchors={
        "item-3-b2": 14, "item-3-b2@900": 15, "item-3-b2@1800": 16, "item-3-b5": 16})
    assert page_map.page("item-3-b2") == 14
    assert page_map.page("item-3-b2@899") == 14
    assert page_map.page("item-3-b2@900") == 15
    assert page_map.page("item-3-b2@2000") == 16
    assert page_map.page("item-3-b9@5") is None
    assert pages_label(page_map, "item-3-b2@100", "item-3-b2@950", "item-3") == "pp. 14–15"
    assert pages_label(page_map, "item-3-b5", "item-3-b5@10", "item-3") == "p. 16"
    assert pages_label(page_map, "item-3-b9", "item-3-b9", "item-3") == "p. 14"  # fallback
    token = page_token("item-3-b2@1000", "item-3-b5", "item-3").encode()
    assert fill(b"<a:t>Reader " + token + b"</a:t>", page_map) == \
        "<a:t>Reader pp. 15–16</a:t>".encode()


def test_each_slide_cites_its_own_first_and_last_place(tmp_path):
    _, slides = long_excerpt(tmp_path)
    cites = [s.cite for s in slides]
    assert len({c[0] for c in cites}) == len(slides), "each slide starts somewhere else"
    for (first, last, fallback), slide in zip(cites, slides):
        assert fallback == "item-x" and first.startswith("item-x-b")
        footer = slide.frames("footer")[0].text
        assert footer == f"Reader [[reader-page:{first}:{last}:item-x]]"
