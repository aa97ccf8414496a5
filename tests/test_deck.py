"""The lecture deck (dist/deck.pptx), read back as a lecturer would use it.

Every test builds a course through the CLI and opens the deck with python-pptx.
Whether text fits is never measured here with the deck's own metrics
(reader.deck.textfit): the slow tests open the deck in a real client (LibreOffice),
and check the text as it draws it (tests/verify.py: deck_client_problems).
"""

from __future__ import annotations

import os
import random
import re
import shutil
from pathlib import Path

import pytest
import yaml
from pptx.enum.text import PP_ALIGN
from pptx.util import Pt

from conftest import (REPO, Course, anchor_of, deck_slides, essay, excerpt, notes_text,
                      pdf_pages, run, slide_text)

from reader.deck.flow import CONTINUED

EMU_PER_PT = 12700
FOOTER_NAMES = {"Reader page", "Kicker", "Attribution", "Source", "Caption"}
MIN_BODY_PT = 18
COUNTER = re.compile(r"\s*\(\d+/\d+\)$")


# --- helpers -----------------------------------------------------------------------------

def norm(text: str) -> str:
    """Whitespace collapsed; typographic quotes, dashes and hyphens made plain."""
    text = text.replace("\u00ad", "").replace("\u2010\n", "").replace("\u00a0", " ")
    for fancy, plain in (("‘", "'"), ("’", "'"), ("“", '"'), ("”", '"'), ("–", "-"),
                         ("—", "-"), ("\u2010", "-"), ("…", "...")):
        text = text.replace(fancy, plain)
    return re.sub(r"\s+", " ", text).strip()


def build(root: Path, *extra: str) -> None:
    result = run("build", str(root), *extra)
    assert result.exit_code == 0, result.output


def title_of(slide) -> str:  # noqa: ANN001
    shape = slide.shapes.title
    return shape.text_frame.text if shape is not None else ""


def shape_named(slide, name: str):  # noqa: ANN001
    return next((s for s in slide.shapes if s.name == name), None)


def body_text(slide) -> str:  # noqa: ANN001
    """The text of the body placeholder (idx 1): what the slide shows as its content."""
    for shape in slide.placeholders:
        if shape.placeholder_format.idx == 1:
            return shape.text_frame.text
    return ""


def item_groups(slides) -> dict[str, list]:  # noqa: ANN001
    """anchor -> its slides, in deck order, for every item-N anchor."""
    groups: dict[str, list] = {}
    for slide in slides:
        if slide.name.startswith("item-"):
            groups.setdefault(slide.name, []).append(slide)
    return groups


def anchor_sequence(slides) -> list[str]:  # noqa: ANN001
    seq: list[str] = []
    for slide in slides:
        if not seq or seq[-1] != slide.name:
            seq.append(slide.name)
    return seq


def front_matter_title(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".md":
        head = text.split("---", 2)[1]
        return yaml.safe_load(head)["title"]
    return yaml.safe_load(text)["title"]


def manifest_entries(root: Path) -> list[tuple[str, str]]:
    """("part", title) / (kind, item title) in manifest order, from the source files."""
    data = yaml.safe_load((root / "course.yaml").read_text(encoding="utf-8"))
    out: list[tuple[str, str]] = []

    def item(entry: dict) -> None:
        (kind, rel), = entry.items()
        out.append((kind, front_matter_title(root / rel)))

    for entry in data["contents"]:
        if "part" in entry:
            out.append(("part", entry["part"]))
            for sub in entry["items"]:
                item(sub)
        else:
            item(entry)
    return out


def manifest_item_names(root: Path) -> list[str]:
    """Every item's name (its path in course.yaml), in manifest order."""
    data = yaml.safe_load((root / "course.yaml").read_text(encoding="utf-8"))
    entries = [sub for e in data["contents"] for sub in (e["items"] if "part" in e else [e])]
    return [next(iter(entry.values())) for entry in entries]


def front_page_count(pages: list[str], first_title: str) -> int:
    """Index of the first page after the contents whose text holds the first entry's title."""
    contents = next(i for i, p in enumerate(pages) if norm(p).startswith("Contents"))
    return next(i for i in range(contents + 1, len(pages)) if norm(first_title) in norm(pages[i]))


# --- a real client ---------------------------------------------------------------------------

_RENDERED: dict[Path, Path] = {}


def rendered(deck: Path) -> Path:
    """The deck as LibreOffice draws it (PDF), converted once per deck file."""
    from verify import render_deck

    import tempfile

    need_soffice()
    key = deck.resolve()
    if key not in _RENDERED or not _RENDERED[key].exists():
        _RENDERED[key] = render_deck(deck, tempfile.mkdtemp(prefix="deck-lo-"))
    return _RENDERED[key]


def client_problems(deck: Path) -> list[str]:
    """Every shape's text found whole inside its box, as LibreOffice draws it."""
    from verify import deck_client_problems

    return deck_client_problems(deck, rendered(deck))


def body_heights(deck: Path) -> dict[str, list[tuple[float, float]]]:
    """For each excerpt split over slides (attribution and counter on each): the height
    its body text takes on each slide as drawn, and the body box's height (points)."""
    import pdfplumber
    from pptx import Presentation

    prs = Presentation(str(deck))
    out: dict[str, list[tuple[float, float]]] = {}
    with pdfplumber.open(str(rendered(deck))) as pdf:
        for slide, page in zip(prs.slides, pdf.pages):
            body = next((sh for sh in slide.shapes if sh.name == "Body"), None)
            if body is None or shape_named(slide, "Attribution") is None or \
                    not COUNTER.search(title_of(slide)):
                continue
            x0, top = body.left / EMU_PER_PT, body.top / EMU_PER_PT
            x1, bottom = x0 + body.width / EMU_PER_PT, top + body.height / EMU_PER_PT
            chars = [c for c in page.chars if c["text"].strip() and x0 - 2 <= c["x0"] and
                     c["x1"] <= x1 + 2 and top - 2 <= c["top"] and c["bottom"] <= bottom + 2]
            used = max(c["bottom"] for c in chars) - min(c["top"] for c in chars)
            out.setdefault(slide.name, []).append((used, bottom - top))
    return out


def small_font_problems(path: Path) -> list[str]:
    """Content text on item slides is at least 18 pt; only the chrome may be smaller."""
    problems = []
    for number, slide in enumerate(deck_slides(path), 1):
        if not slide.name.startswith("item-"):
            continue
        for shape in slide.shapes:
            if shape.name in FOOTER_NAMES:
                continue
            frames = []
            if shape.has_text_frame:
                frames.append(shape.text_frame)
            if getattr(shape, "has_table", False) and shape.has_table:
                frames.extend(cell.text_frame for row in shape.table.rows for cell in row.cells)
            for frame in frames:
                for paragraph in frame.paragraphs:
                    for r in paragraph.runs:
                        if r.text.strip() and (r.font.size is None or
                                               r.font.size < Pt(MIN_BODY_PT)):
                            size = r.font.size.pt if r.font.size else None
                            problems.append(f"slide {number} ({slide.name}) {shape.name!r}: "
                                            f"{size} pt {r.text[:40]!r}")
    return problems


# --- courses --------------------------------------------------------------------------------

WORDS = ("peasant grain harvest village quota official party state market price famine "
         "tractor cooperative collective district procurement report committee decree "
         "winter spring livestock horse cattle sowing brigade plan region province cadre "
         "delegate journey meeting speech argument pressure resistance rumour shortage "
         "industry factory worker city railway warehouse ledger ration bread tax").split()
LINKS = "the of and in to by with for from under against after before over".split()


def long_text(words: int, seed: int = 1928) -> str:
    """Deterministic prose: sentences of 10-30 words, paragraphs of about six sentences."""
    rng = random.Random(seed)
    sentences, total = [], 0
    while total < words:
        n = min(rng.randint(10, 30), max(words - total, 10))
        picked = [rng.choice(WORDS) if k % 3 else rng.choice(LINKS) for k in range(n)]
        picked[-1] = rng.choice(WORDS)
        if n > 14:
            picked[n // 2] += ","
        sentences.append(" ".join(picked).capitalize() + ".")
        total += n
    paragraphs = [" ".join(sentences[i:i + 6]) for i in range(0, len(sentences), 6)]
    return "\n\n".join(paragraphs)


LONG_TITLE = ("Grain procurement, rural resistance and the making of the collective farm "
              "system in the grain regions of the Volga, the Urals and then western Siberia")
assert len(LONG_TITLE) == 150, len(LONG_TITLE)

REGIONS = ["Lower Volga", "Middle Volga", "North Caucasus", "Ukraine", "Urals", "Siberia",
           "Kazakhstan", "Central Black Earth", "Moscow region"]


def table_rows(n: int) -> list[list]:
    rng = random.Random(45)
    return [[1890 + k, REGIONS[k % len(REGIONS)], rng.randint(1_000, 9_999_999),
             rng.randint(0, 100)] for k in range(n)]


@pytest.fixture(scope="module")
def stress(tmp_path_factory) -> Course:
    """A 2,000-word excerpt, a 45-row table and 150-character titles, built once."""
    course = Course(tmp_path_factory.mktemp("stress") / "course")
    course.root.mkdir()
    course.write("s/long.md", excerpt("A long primary source", long_text(2000),
                                      author="Ivan Petrovich Long-Author",
                                      source_title="Collected reports of the district "
                                                   "procurement commissions, 1927-1930",
                                      pages="101-148", permission="Public domain"))
    course.write("s/short.md", excerpt(LONG_TITLE, long_text(120, seed=7),
                                       author="Maria Short", source_title="Letters",
                                       pages="5", permission="Public domain"))
    course.write("s/essay.md", essay(LONG_TITLE, """
        An opening paragraph that sets out the question. It has two sentences.

        ## The procurement campaign

        Officials arrived in the villages in January. They demanded grain.

        ## The answer of the villages

        Peasants hid grain and slaughtered livestock. Many left for the towns.
        """, author="Course team"))
    course.write("s/rows.yaml", yaml.safe_dump({
        "title": "Grain delivered by region and year (tonnes)",
        "source": "District reports, as tabulated by the course team",
        "columns": ["Year", "Region", "Delivered", "Share"],
        "rows": table_rows(45)}, sort_keys=False))
    course.manifest({
        "title": "Stress course", "lang": "en",
        "contents": [{"part": "Long things", "items": [
            {"excerpt": "s/long.md"}, {"table": "s/rows.yaml"}, {"essay": "s/essay.md"},
            {"excerpt": "s/short.md"}]}]})
    build(course.root)
    return course


@pytest.fixture(scope="module")
def repo_course(tmp_path_factory) -> Course:
    """The repository's own sample course, copied so its dist/ is never touched."""
    root = tmp_path_factory.mktemp("repo") / "course"
    root.mkdir()
    shutil.copy2(REPO / "course.yaml", root / "course.yaml")
    shutil.copytree(REPO / "sections", root / "sections")
    if (REPO / "templates").is_dir():
        shutil.copytree(REPO / "templates", root / "templates")
    build(root)
    return Course(root)


@pytest.fixture
def charted_course(small_course: Course) -> Course:
    small_course.write("s/numbers.yaml", yaml.safe_dump({
        "title": "Some numbers", "source": "A statistical office",
        "columns": ["Country", "Output"], "rows": [["Ruritania", 12345], ["Freedonia", 678]],
        "chart": {"type": "bar", "x": "Country", "y": ["Output"]}}))
    return small_course


# --- 1. order ---------------------------------------------------------------------------------

def check_order(course: Course) -> None:
    slides = deck_slides(course.dist / "deck.pptx")
    entries = manifest_entries(course.root)
    assert slides[0].name == "title"
    assert norm(yaml.safe_load((course.root / "course.yaml").read_text())["title"]) in \
        norm(title_of(slides[0]))
    names = [s.name for s in slides]
    assert "agenda" in names and names.index("agenda") == 1, names[:3]

    # parts: a divider slide each, carrying the part title, in manifest order
    part_titles = [t for kind, t in entries if kind == "part"]
    dividers = [s for s in slides if s.name.startswith("part-")]
    assert [norm(title_of(s)) for s in dividers] == [norm(t) for t in part_titles]
    agenda = norm(" ".join(slide_text(s) for s in slides if s.name == "agenda"))
    for title in part_titles:
        assert norm(title) in agenda

    # items: first slide of each item-N anchor carries the item title
    groups = item_groups(slides)
    deck_titles = [norm(COUNTER.sub("", title_of(group[0]))) for group in groups.values()]
    manifest_titles = [norm(t) for kind, t in entries if kind != "part"]
    assert deck_titles == manifest_titles

    # ... in the order of the reader's table of contents
    toc = norm(pdf_pages(course.dist / "reader.pdf")[1])
    positions = [toc.find(t) for t in deck_titles]
    assert -1 not in positions, [t for t, p in zip(deck_titles, positions) if p < 0]
    assert positions == sorted(positions), toc

    # parts and items interleave as in the manifest; each anchor is one run of slides
    seq = anchor_sequence(slides)
    assert len(seq) == len(set(seq)), f"an anchor's slides are not contiguous: {seq}"
    expected, part_n, names = [], 0, iter(manifest_item_names(course.root))
    for kind, _ in entries:
        if kind == "part":
            part_n += 1
            expected.append(f"part-{part_n}")
        else:
            expected.append(anchor_of(next(names)))
    assert [a for a in seq if a.startswith(("part-", "item-"))] == expected


def test_slide_order_follows_manifest_and_reader_contents(built_small_course):
    check_order(built_small_course)
    seq = anchor_sequence(deck_slides(built_small_course.dist / "deck.pptx"))
    assert seq == ["title", "agenda", "part-1", "item-s_intro", "item-s_source", "part-2",
                   "item-s_numbers", "item-s_questions", "item-s_end", "sources"]


def test_slide_order_of_the_sample_course(repo_course):
    check_order(repo_course)


# --- 2. excerpts: the full text, the attribution on every slide --------------------------------

def check_excerpts(course: Course) -> None:
    slides = deck_slides(course.dist / "deck.pptx")
    groups = item_groups(slides)
    entries = [(k, t) for k, t in manifest_entries(course.root) if k != "part"]
    data = yaml.safe_load((course.root / "course.yaml").read_text())
    paths = []
    for entry in data["contents"]:
        for sub in entry.get("items", [entry]):
            if "part" not in sub:
                paths.append(next(iter(sub.values())))
    assert len(paths) == len(entries)
    checked = 0
    for (kind, _), rel, (anchor, group) in zip(entries, paths, groups.items()):
        if kind != "excerpt":
            continue
        checked += 1
        raw = (course.root / rel).read_text(encoding="utf-8")
        _, head, body = raw.split("---", 2)
        meta = yaml.safe_load(head)
        full = norm(body)
        original = "pdf" in meta or "images" in meta
        if original:
            # pages of an original: a slide with its first page, then each passage of
            # `slides:` in quotation marks (tests/test_originals.py checks the page cites)
            full = norm(" ".join(f"“{q}”" for q in meta.get("slides", [])))
        shown = norm(" ".join(body_text(s).removesuffix(CONTINUED) for s in group))
        at = next((i for i, (a, b) in enumerate(zip(shown, full)) if a != b),
                  min(len(shown), len(full)))
        assert shown == full, f"{anchor}: slides differ from the excerpt at char {at}: " \
                              f"{shown[at - 30:at + 30]!r} vs {full[at - 30:at + 30]!r}"
        notes = norm(" ".join(notes_text(s) for s in group))
        assert original or full in notes, f"{anchor}: excerpt text missing from speaker notes"
        source = meta["source"]
        for n, slide in enumerate(group, 1):
            text = norm(slide_text(slide))
            assert norm(meta["author"]) in text, f"{anchor} slide {n}: author missing"
            assert norm(source["title"]) in text, f"{anchor} slide {n}: source title missing"
            if source.get("pages"):
                assert norm(str(source["pages"])) in text, f"{anchor} slide {n}: pages missing"
    assert checked


def test_excerpt_text_and_attribution_on_every_slide(built_small_course):
    check_excerpts(built_small_course)


def test_long_excerpt_text_and_attribution_on_every_slide(stress):
    check_excerpts(stress)
    group = item_groups(deck_slides(stress.dist / "deck.pptx"))["item-s_long"]
    assert len(group) > 3, "a 2,000-word excerpt should be split over several slides"
    assert [COUNTER.search(title_of(s)).group().strip() for s in group] == \
        [f"({n}/{len(group)})" for n in range(1, len(group) + 1)]
    for n, slide in enumerate(group[:-1], 1):   # a slide ends at a sentence, or says it goes on
        assert body_text(slide).endswith((".", "?", "!", "…", "→")), \
            f"slide {n} ends mid-sentence"


def test_sample_course_excerpts_complete(repo_course):
    check_excerpts(repo_course)


# --- 3. "Reader p. N": where each slide's content is printed ------------------------------------

def check_reader_pages(course: Course) -> None:
    """An item's first slide cites the page it starts on; every slide cites pages of its
    item, in order (tests/test_deck_structure.py checks each slide's words are there)."""
    slides = deck_slides(course.dist / "deck.pptx")
    pages = pdf_pages(course.dist / "reader.pdf")
    first = manifest_entries(course.root)[0][1]
    front = front_page_count(pages, first)
    groups = item_groups(slides)
    starts = {}
    for anchor, group in groups.items():
        cited = []
        for n, slide in enumerate(group, 1):
            box = shape_named(slide, "Reader page")
            assert box is not None, f"{anchor} slide {n} has no 'Reader page' box"
            match = re.fullmatch(r"Reader (?:p\. (\d+)|pp\. (\d+)–(\d+))",
                                 box.text_frame.text.strip())
            assert match, f"{anchor} slide {n}: bad label {box.text_frame.text!r}"
            low = int(match.group(1) or match.group(2))
            high = int(match.group(1) or match.group(3))
            assert low < high or match.group(1), f"{anchor} slide {n}: {low}–{high}"
            cited.append((low, high))
        title = norm(COUNTER.sub("", title_of(group[0])))
        kicker = shape_named(group[0], "Kicker").text_frame.text.split(" · ")[0]
        number = cited[0][0]
        page = norm(pages[front + number - 1])
        assert f"{kicker} {title}" in page, \
            f"{anchor} ({title}) says Reader p. {number}, but that page begins {page[:80]!r}"
        starts[anchor] = (number, cited)
    ordered = sorted(starts.values())
    for (start, cited), following in zip(ordered, ordered[1:] + [(10 ** 6, [])]):
        assert all(start <= low <= high <= following[0] for low, high in cited), cited


def test_reader_page_on_slides_is_where_the_item_starts(built_small_course):
    check_reader_pages(built_small_course)


def test_reader_pages_of_the_sample_course(repo_course):
    check_reader_pages(repo_course)


def test_reader_pages_after_long_items(stress):
    check_reader_pages(stress)
    cited = [shape_named(s, "Reader page").text_frame.text for s in
             item_groups(deck_slides(stress.dist / "deck.pptx"))["item-s_long"]]
    assert len(set(cited)) > 1, "a long excerpt's later slides cite later pages"


# --- 4. nothing overflows, nothing is too small ---------------------------------------------------

@pytest.mark.slow
def test_long_excerpt_table_and_titles_fit_their_frames(stress):
    problems = client_problems(stress.dist / "deck.pptx")
    assert not problems, "\n".join(problems[:25])


@pytest.mark.slow
def test_sample_course_fits_its_frames(repo_course):
    problems = client_problems(repo_course.dist / "deck.pptx")
    assert not problems, "\n".join(problems[:25])


@pytest.mark.slow
def test_small_course_fits_its_frames(built_small_course):
    problems = client_problems(built_small_course.dist / "deck.pptx")
    assert not problems, "\n".join(problems[:25])


def test_long_table_is_split_with_header_on_every_slide(stress):
    slides = item_groups(deck_slides(stress.dist / "deck.pptx"))["item-s_rows"]
    tables = [s for s in slides if any(getattr(sh, "has_table", False) and sh.has_table
                                       for sh in s.shapes)]
    assert len(tables) > 1, "45 rows at 18 pt cannot fit on one slide"
    expected = table_rows(45)
    seen = []
    for n, slide in enumerate(tables, 1):
        grid = next(sh for sh in slide.shapes if sh.has_table).table
        cells = [[c.text for c in row.cells] for row in grid.rows]
        assert cells[0] == ["Year", "Region", "Delivered", "Share"], f"slide {n}: {cells[0]}"
        assert title_of(slide).endswith(f"({n}/{len(tables)})")
        seen.extend(cells[1:])
    assert [r[1] for r in seen] == [r[1] for r in expected]
    assert [r[2] for r in seen] == [f"{r[2]:,}" for r in expected]
    assert [r[0] for r in seen] == [str(r[0]) for r in expected], "years take no separator"


def test_long_titles_shrink_or_wrap_but_stay_whole(stress):
    slides = deck_slides(stress.dist / "deck.pptx")
    groups = item_groups(slides)
    for anchor in ("item-s_essay", "item-s_short"):
        first = groups[anchor][0]
        shape = first.shapes.title
        assert COUNTER.sub("", shape.text_frame.text) == LONG_TITLE, \
            f"{anchor}: title cut to {shape.text_frame.text!r}"
        size = shape.text_frame.paragraphs[0].runs[0].font.size.pt
        assert MIN_BODY_PT <= size < 40, "shrunk from the title size, not below min_body"
    for slide in groups["item-s_short"]:  # the excerpt's title, with its counter, on every slide
        assert COUNTER.sub("", title_of(slide)) == LONG_TITLE


def chrome_font_problems(path: Path) -> list[str]:
    """Kicker, "Reader p. N", attribution and source lines: small, but not below 14 pt."""
    problems = []
    for number, slide in enumerate(deck_slides(path), 1):
        for shape in slide.shapes:
            if shape.name not in FOOTER_NAMES or not shape.has_text_frame:
                continue
            for paragraph in shape.text_frame.paragraphs:
                for r in paragraph.runs:
                    if r.text.strip() and (r.font.size is None or r.font.size < Pt(14)):
                        size = r.font.size.pt if r.font.size else None
                        problems.append(f"slide {number} ({slide.name}) {shape.name!r}: "
                                        f"{size} pt {r.text[:50]!r}")
    return problems


def test_content_text_never_below_18_pt(stress, repo_course):
    problems = small_font_problems(stress.dist / "deck.pptx") + \
        small_font_problems(repo_course.dist / "deck.pptx")
    assert not problems, "\n".join(problems[:25])


def test_kicker_and_footers_never_below_14_pt(stress, repo_course):
    problems = chrome_font_problems(stress.dist / "deck.pptx") + \
        chrome_font_problems(repo_course.dist / "deck.pptx")
    assert not problems, "\n".join(problems[:25])


def uneven_splits(deck: Path) -> list[str]:
    """A split excerpt fills its slides evenly (the emptiest at least half as full as the
    fullest) and needs each of them (no two neighbours would fit on one), as drawn."""
    problems = []
    for anchor, heights in body_heights(deck).items():
        used = [u for u, _ in heights]
        room = heights[0][1]
        if min(used) < 0.5 * max(used):
            problems.append(f"{anchor}: slides filled {[round(u) for u in used]} pt")
        for k, (a, b) in enumerate(zip(used, used[1:]), 1):
            if a + b < 0.85 * room:
                problems.append(f"{anchor} slides {k}-{k + 1}: {a:.0f} + {b:.0f} pt would fit "
                                f"one slide ({room:.0f} pt)")
    return problems


@pytest.mark.slow
def test_long_excerpt_is_split_evenly_into_slides_it_needs(stress):
    problems = uneven_splits(stress.dist / "deck.pptx")
    assert not problems, "\n".join(problems[:10])


@pytest.mark.slow
def test_sample_excerpts_are_split_evenly_into_slides_they_need(repo_course):
    problems = uneven_splits(repo_course.dist / "deck.pptx")
    assert not problems, "\n".join(problems[:10])


def table_row_problems(deck: Path) -> list[str]:
    """A table narrower than the slide wraps no cell (a wrapped cell doubles its row): as
    LibreOffice draws it, each cell's text sits on one line."""
    import pdfplumber
    from pptx import Presentation

    prs = Presentation(str(deck))
    problems = []
    with pdfplumber.open(str(rendered(deck))) as pdf:
        for number, (slide, page) in enumerate(zip(prs.slides, pdf.pages), 1):
            for shape in slide.shapes:
                if not (getattr(shape, "has_table", False) and shape.has_table):
                    continue
                table = shape.table
                if sum(c.width for c in table.columns) >= prs.slide_width - 2 * shape.left:
                    continue
                lefts = [shape.left]
                for column in table.columns:
                    lefts.append(lefts[-1] + column.width)
                top = shape.top
                for r, row in enumerate(table.rows):
                    for c, cell in enumerate(row.cells):
                        x0, x1 = lefts[c] / EMU_PER_PT, lefts[c + 1] / EMU_PER_PT
                        y0, y1 = top / EMU_PER_PT, (top + row.height) / EMU_PER_PT
                        chars = [ch for ch in page.chars if ch["text"].strip() and
                                 x0 <= (ch["x0"] + ch["x1"]) / 2 <= x1 and
                                 y0 <= (ch["top"] + ch["bottom"]) / 2 <= y1]
                        lines = {round(ch["bottom"]) for ch in chars}
                        if len(lines) > 1:
                            problems.append(f"slide {number} ({slide.name}) row {r}: "
                                            f"{cell.text!r} drawn on {len(lines)} lines")
                    top += row.height
    return problems


@pytest.mark.slow
def test_table_columns_fit_their_cells_on_one_line(stress, repo_course):
    problems = table_row_problems(stress.dist / "deck.pptx") + \
        table_row_problems(repo_course.dist / "deck.pptx")
    assert not problems, f"{len(problems)} wrapped cells:\n" + "\n".join(problems[:12])


# --- 5. tables -------------------------------------------------------------------------------

def test_table_is_a_real_table_with_numbers_right_aligned(built_small_course):
    slides = item_groups(deck_slides(built_small_course.dist / "deck.pptx"))["item-s_numbers"]
    shapes = [sh for s in slides for sh in s.shapes if getattr(sh, "has_table", False)
              and sh.has_table]
    assert len(shapes) == 1
    grid = shapes[0].table
    rows = [[c.text for c in row.cells] for row in grid.rows]
    assert rows == [["Country", "Output"], ["Ruritania", "12,345"], ["Freedonia", "678"]]
    for r, row in enumerate(grid.rows):
        output = row.cells[1].text_frame.paragraphs
        country = row.cells[0].text_frame.paragraphs
        assert all(p.alignment == PP_ALIGN.RIGHT for p in output), f"row {r}: Output"
        assert all(p.alignment in (None, PP_ALIGN.LEFT) for p in country), f"row {r}: Country"


def test_long_table_numeric_columns_right_aligned(stress):
    slides = item_groups(deck_slides(stress.dist / "deck.pptx"))["item-s_rows"]
    for slide in slides:
        for shape in slide.shapes:
            if not (getattr(shape, "has_table", False) and shape.has_table):
                continue
            for row in list(shape.table.rows)[1:]:
                aligns = [row.cells[c].text_frame.paragraphs[0].alignment for c in range(4)]
                assert aligns[0] == aligns[2] == aligns[3] == PP_ALIGN.RIGHT
                assert aligns[1] in (None, PP_ALIGN.LEFT)


# --- 6. instructor notes ---------------------------------------------------------------------

def test_instructor_notes_only_in_instructor_speaker_notes(small_course):
    build(small_course.root)
    slides = deck_slides(small_course.dist / "deck.pptx")
    for slide in slides:
        assert "SECRET-NOTE" not in slide_text(slide), slide.name
        assert "SECRET-NOTE" not in notes_text(slide), slide.name

    build(small_course.root, "--edition", "instructor")
    slides = deck_slides(small_course.dist / "deck.pptx")
    for slide in slides:
        assert "SECRET-NOTE" not in slide_text(slide), f"{slide.name}: note shown on the slide"
    questions = [s for s in slides if COUNTER.sub("", title_of(s)) == "Questions for week one"]
    assert questions
    assert any("SECRET-NOTE" in notes_text(s) for s in questions)
    elsewhere = [s.name for s in slides if s not in questions and "SECRET-NOTE" in notes_text(s)]
    assert not elsewhere


# --- 7. speaker notes -----------------------------------------------------------------------

@pytest.mark.parametrize("which", ["small", "stress", "repo"])
def test_every_content_slide_has_speaker_notes(which, request):
    if which == "small":
        course = request.getfixturevalue("built_small_course")
    else:
        course = request.getfixturevalue("stress" if which == "stress" else "repo_course")
    slides = deck_slides(course.dist / "deck.pptx")
    missing = [f"{n} ({s.name}: {title_of(s)[:40]})" for n, s in enumerate(slides, 1)
               if s.name.startswith("item-") and not notes_text(s).strip()]
    assert not missing, f"slides without speaker notes: {missing}"


# --- 9. charts ----------------------------------------------------------------------------

def test_chart_is_native_with_the_tables_data(charted_course):
    build(charted_course.root)
    slides = deck_slides(charted_course.dist / "deck.pptx")
    found = [(s, sh) for s in slides for sh in s.shapes
             if getattr(sh, "has_chart", False) and sh.has_chart]
    assert len(found) == 1, f"expected one native chart, found {len(found)}"
    slide, frame = found[0]
    assert slide.name == "item-s_numbers", "the chart belongs to the table's slides"
    plot = frame.chart.plots[0]
    assert list(plot.categories) == ["Ruritania", "Freedonia"]
    assert [s.name for s in plot.series] == ["Output"]
    assert list(plot.series[0].values) == [12345, 678]
    assert notes_text(slide).strip(), "the chart slide needs speaker notes too"


# --- 8. a real client ----------------------------------------------------------------------

def need_soffice() -> str:
    """LibreOffice is optional on a laptop, required under CI (a failure, not a skip)."""
    soffice = shutil.which("soffice")
    if soffice is None:
        if os.environ.get("CI"):
            pytest.fail("soffice (LibreOffice) is required under CI")
        pytest.skip("LibreOffice (soffice) not installed")
    return soffice


@pytest.fixture(scope="module")
def libreoffice_pdf(repo_course) -> Path:
    """The sample deck converted by LibreOffice (once, shared with the other checks)."""
    return rendered(repo_course.dist / "deck.pptx")


@pytest.mark.slow
def test_libreoffice_renders_every_slide_inside_its_page(request, repo_course):
    """Slow (LibreOffice): one page per slide, its title on it, no glyph off the page."""
    import pdfplumber

    need_soffice()
    libreoffice_pdf = request.getfixturevalue("libreoffice_pdf")

    slides = deck_slides(repo_course.dist / "deck.pptx")
    problems = []
    with pdfplumber.open(libreoffice_pdf) as pdf:
        assert len(pdf.pages) == len(slides)
        for n, (page, slide) in enumerate(zip(pdf.pages, slides), 1):
            title = norm(title_of(slide)).casefold()
            text = norm(page.extract_text() or "").casefold()
            if title not in text:
                problems.append(f"page {n} ({slide.name}): title {title!r} not in {text[:80]!r}")
            for ch in page.chars:
                if ch["x0"] < -0.1 or ch["x1"] > page.width + 0.1 or ch["top"] < -0.1 or \
                        ch["bottom"] > page.height + 0.1:
                    problems.append(f"page {n} ({slide.name}): {ch['text']!r} outside the page")
                    break
    assert not problems, "\n".join(problems[:25])


@pytest.mark.slow
def test_libreoffice_keeps_text_inside_its_shapes(repo_course):
    """Slow (LibreOffice): every shape's text drawn whole, inside its shape's box."""
    problems = client_problems(repo_course.dist / "deck.pptx")
    assert not problems, "\n".join(problems[:25])


def test_essay_images_become_picture_slides_with_alt_text(course):
    """Pictures in the deck carry their alt text (accessibility), scaled within the slide."""
    from PIL import Image

    from conftest import essay as make_essay

    Image.new("RGB", (1600, 900), "steelblue").save(course.root / "map.png")
    course.write("e.md", make_essay("With a map", "Look at this.\n\n![A map of the grain "
                                                  "regions](map.png)"))
    course.manifest({"title": "Pictures", "contents": [{"essay": "e.md"}]})
    assert run("build", str(course.root)).exit_code == 0
    from pptx import Presentation

    prs = Presentation(str(course.dist / "deck.pptx"))
    pictures = [shape for slide in prs.slides for shape in slide.shapes
                if shape.shape_type == 13]  # MSO_SHAPE_TYPE.PICTURE
    assert len(pictures) == 1
    picture = pictures[0]
    assert picture._element.nvPicPr.cNvPr.get("descr") == "A map of the grain regions"
    assert picture.left >= 0 and picture.left + picture.width <= prs.slide_width
    assert picture.top + picture.height <= prs.slide_height


def test_deck_template_masters_and_layouts_are_used(course):
    """Like Pandoc's reference-doc: a course may bring its own .pptx design."""
    from pptx import Presentation
    from pptx.util import Inches

    template = Presentation()
    template.slide_width, template.slide_height = Inches(13.333), Inches(7.5)
    template.slide_layouts[1].name = "Title and Content"
    template.slide_layouts[6].name = "Department blank"  # a layout of the department's own
    from pptx.dml.color import RGBColor

    fill = template.slide_master.background.fill
    fill.solid()
    fill.fore_color.rgb = RGBColor(0x12, 0x34, 0x56)
    template.slides.add_slide(template.slide_layouts[0])  # an example slide, to be dropped
    (course.root / "templates").mkdir()
    template.save(course.root / "templates" / "deck.pptx")
    course.write("e.md", essay("Templated essay", "## One\n\nFirst sentence here."))
    course.manifest({"title": "Templated", "deck_template": "templates/deck.pptx",
                     "contents": [{"essay": "e.md"}]})
    result = run("build", str(course.root))
    assert result.exit_code == 0, result.output
    deck = Presentation(str(course.dist / "deck.pptx"))
    assert "Department blank" in [layout.name for layout in deck.slide_layouts]
    assert str(deck.slide_master.background.fill.fore_color.rgb) == "123456"
    assert len(deck.slides) >= 2 and deck.slides[0].slide_layout.name == "Title Slide"
    assert deck.slide_width == Inches(13.333)
    assert all(slide.slide_layout.slide_master == deck.slide_master for slide in deck.slides)
    titles = [s.shapes.title.text for s in deck.slides if s.shapes.title is not None]
    assert titles[0] == "Templated" and "Templated essay" in titles
