"""The lecture deck (dist/deck.pptx), read back as a lecturer would use it.

Every test builds a course through the CLI and opens the deck with python-pptx;
the last ones also open it in a real client (LibreOffice) and look at the pages.
Text is measured with the same Carlito metrics the renderer uses (reader.textfit),
so "does it fit" means the same thing here as in deck.py.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
import yaml
from pptx.enum.text import PP_ALIGN
from pptx.oxml.ns import qn
from pptx.util import Pt

from conftest import (REPO, Course, deck_slides, essay, excerpt, notes_text,
                      pdf_pages, run, slide_text)

EMU_PER_PT = 12700
FOOTER_NAMES = {"Reader page", "Kicker", "Attribution", "Source"}
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


def front_page_count(pages: list[str], first_title: str) -> int:
    """Index of the first page after the contents whose text holds the first entry's title."""
    contents = next(i for i, p in enumerate(pages) if norm(p).startswith("Contents"))
    return next(i for i in range(contents + 1, len(pages)) if norm(first_title) in norm(pages[i]))


# --- measuring like the renderer ------------------------------------------------------------

def _metrics():
    from reader.deck.textfit import Metrics
    from reader.course.theme import theme_for

    theme = theme_for(None)
    return Metrics({(b, i): theme.font_file("Carlito", b, i)
                    for b in (False, True) for i in (False, True)
                    if theme.font_file("Carlito", b, i)})


METRICS = _metrics()


def _lvl1(holder):  # noqa: ANN001
    """<a:lvl1pPr> of a layout/master placeholder's own list style, if any."""
    body = holder._element.find(qn("p:txBody"))
    if body is None:
        return None
    return body.find(qn("a:lstStyle") + "/" + qn("a:lvl1pPr"))


def _inherited(shape, attr: str, *, run_level: bool):  # noqa: ANN001
    """An attribute of lvl1pPr (or its defRPr) inherited by a placeholder: layout, master,
    then the master's title/body text style. Text boxes inherit nothing relevant."""
    if not shape.is_placeholder:
        return None
    chain = []
    holder = shape
    for _ in range(2):
        try:
            holder = holder._base_placeholder
        except (AttributeError, KeyError):
            holder = None
        if holder is None:
            break
        chain.append(_lvl1(holder))
    master = shape.part.slide_layout.slide_master
    kind = shape.placeholder_format.type
    styles = master._element.find(qn("p:txStyles"))
    style = "p:titleStyle" if "TITLE" in str(kind) else "p:bodyStyle"
    if styles is not None and styles.find(qn(style)) is not None:
        chain.append(styles.find(qn(style)).find(qn("a:lvl1pPr")))
    for lvl in chain:
        if lvl is None:
            continue
        node = lvl.find(qn("a:defRPr")) if run_level else lvl
        if node is not None and node.get(attr) is not None:
            return node.get(attr)
    return None


def paragraph_indent_pt(shape, paragraph) -> float:  # noqa: ANN001
    p_pr = paragraph._p.pPr
    if p_pr is not None and p_pr.get("marL") is not None:
        return int(p_pr.get("marL")) / EMU_PER_PT
    value = _inherited(shape, "marL", run_level=False)
    return int(value) / EMU_PER_PT if value else 0.0


def all_caps(shape, run) -> bool:  # noqa: ANN001
    r_pr = run._r.rPr
    if r_pr is not None and r_pr.get("cap") is not None:
        return r_pr.get("cap") == "all"
    return _inherited(shape, "cap", run_level=True) == "all"


def frame_paras(shape, frame, problems: list[str], where: str):  # noqa: ANN001
    from reader.deck.textfit import Para

    paras = []
    for n, paragraph in enumerate(frame.paragraphs):
        runs = [r for r in paragraph.runs if r.text]
        if not runs:
            continue
        sizes = [r.font.size for r in runs]
        if any(s is None for s in sizes):
            problems.append(f"{where}: a run has no explicit size, cannot measure")
            continue
        text = "".join(r.text.upper() if all_caps(shape, r) else r.text for r in runs)
        size = max(s.pt for s in sizes)
        bold = any(bool(r.font.bold) for r in runs)
        italic = all(bool(r.font.italic) for r in runs)
        before = paragraph.space_before.pt if (n and paragraph.space_before is not None) else 0
        paras.append(Para(text, size, bold, italic, indent=paragraph_indent_pt(shape, paragraph),
                          space_before=before))
    return paras


def overflow_problems(path: Path) -> list[str]:
    """Every text frame and table cell measured; every shape inside the slide."""
    from pptx import Presentation

    prs = Presentation(str(path))
    width, height = prs.slide_width, prs.slide_height
    problems: list[str] = []
    for number, slide in enumerate(prs.slides, 1):
        for shape in slide.shapes:
            where = f"slide {number} ({slide.name}) {shape.name!r}"
            w, h = shape.width, shape.height
            if getattr(shape, "has_table", False) and shape.has_table:
                w = max(w, sum(c.width for c in shape.table.columns))
                h = max(h, sum(r.height for r in shape.table.rows))
            if shape.left < 0 or shape.top < 0 or shape.left + w > width or \
                    shape.top + h > height:
                problems.append(f"{where}: outside the slide ({shape.left}, {shape.top}, "
                                f"{w}, {h}) vs ({width}, {height})")
            if shape.has_text_frame and shape.text_frame.text.strip():
                frame = shape.text_frame
                avail_w = (shape.width - frame.margin_left - frame.margin_right) / EMU_PER_PT
                avail_h = (shape.height - frame.margin_top - frame.margin_bottom) / EMU_PER_PT
                paras = frame_paras(shape, frame, problems, where)
                need = METRICS.height(paras, avail_w)
                if need > avail_h + 0.01:
                    problems.append(f"{where}: text needs {need:.1f} pt, frame has "
                                    f"{avail_h:.1f} pt: {frame.text[:60]!r}")
            if getattr(shape, "has_table", False) and shape.has_table:
                table = shape.table
                for r, row in enumerate(table.rows):
                    for c, cell in enumerate(row.cells):
                        if not cell.text.strip():
                            continue
                        avail_w = (table.columns[c].width - cell.margin_left -
                                   cell.margin_right) / EMU_PER_PT
                        avail_h = (row.height - cell.margin_top - cell.margin_bottom) / EMU_PER_PT
                        paras = frame_paras(shape, cell.text_frame, problems,
                                            f"{where} cell {r},{c}")
                        need = METRICS.height(paras, avail_w)
                        if need > avail_h + 0.01:
                            problems.append(f"{where} cell ({r},{c}) needs {need:.1f} pt, row "
                                            f"has {avail_h:.1f} pt: {cell.text[:40]!r}")
    return problems


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
    expected, part_n, item_n = [], 0, 0
    for kind, _ in entries:
        if kind == "part":
            part_n += 1
            expected.append(f"part-{part_n}")
        else:
            item_n += 1
            expected.append(f"item-{item_n}")
    assert [a for a in seq if a.startswith(("part-", "item-"))] == expected


def test_slide_order_follows_manifest_and_reader_contents(small_course):
    build(small_course.root)
    check_order(small_course)
    seq = anchor_sequence(deck_slides(small_course.dist / "deck.pptx"))
    assert seq == ["title", "agenda", "part-1", "item-1", "item-2", "part-2", "item-3",
                   "item-4", "item-5", "sources"]


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
        if "pdf" in meta or "images" in meta:
            # pages of an original: a slide with its first page, then each passage of
            # `slides:` in quotation marks (tests/test_originals.py checks the page cites)
            full = norm(" ".join(f"“{q}”" for q in meta.get("slides", [])))
        shown = norm(" ".join(body_text(s) for s in group))
        at = next((i for i, (a, b) in enumerate(zip(shown, full)) if a != b),
                  min(len(shown), len(full)))
        assert shown == full, f"{anchor}: slides differ from the excerpt at char {at}: " \
                              f"{shown[at - 30:at + 30]!r} vs {full[at - 30:at + 30]!r}"
        notes = norm(" ".join(notes_text(s) for s in group))
        if not ("pdf" in meta or "images" in meta):
            assert full in notes, f"{anchor}: excerpt text missing from speaker notes"
        source = meta["source"]
        for n, slide in enumerate(group, 1):
            text = norm(slide_text(slide))
            assert norm(meta["author"]) in text, f"{anchor} slide {n}: author missing"
            assert norm(source["title"]) in text, f"{anchor} slide {n}: source title missing"
            if source.get("pages"):
                assert norm(str(source["pages"])) in text, f"{anchor} slide {n}: pages missing"
    assert checked


def test_excerpt_text_and_attribution_on_every_slide(small_course):
    build(small_course.root)
    check_excerpts(small_course)


def test_long_excerpt_text_and_attribution_on_every_slide(stress):
    check_excerpts(stress)
    group = item_groups(deck_slides(stress.dist / "deck.pptx"))["item-1"]
    assert len(group) > 3, "a 2,000-word excerpt should be split over several slides"
    assert [COUNTER.search(title_of(s)).group().strip() for s in group] == \
        [f"({n}/{len(group)})" for n in range(1, len(group) + 1)]


def test_sample_course_excerpts_complete(repo_course):
    check_excerpts(repo_course)


# --- 3. "Reader p. N" is the page the item starts on ------------------------------------------

def check_reader_pages(course: Course) -> None:
    slides = deck_slides(course.dist / "deck.pptx")
    pages = pdf_pages(course.dist / "reader.pdf")
    first = manifest_entries(course.root)[0][1]
    front = front_page_count(pages, first)
    for anchor, group in item_groups(slides).items():
        title = norm(COUNTER.sub("", title_of(group[0])))
        kicker = shape_named(group[0], "Kicker").text_frame.text.split(" · ")[0]
        labels = set()
        original = shape_named(group[0], "First page") is not None
        for n, slide in enumerate(group, 1):
            box = shape_named(slide, "Reader page")
            assert box is not None, f"{anchor} slide {n} has no 'Reader page' box"
            if original and n > 1:
                # a passage of an original's pages is cited to the page it is on
                cited = int(box.text_frame.text.strip().removeprefix("Reader p. "))
                start = norm(body_text(slide)).strip("\"“”").split()[:4]
                assert " ".join(start) in norm(pages[front + cited - 1]), (anchor, n, cited)
                continue
            labels.add(box.text_frame.text.strip())
        assert len(labels) == 1, f"{anchor}: slides disagree on the reader page: {labels}"
        match = re.fullmatch(r"Reader p\. (\d+)", labels.pop())
        assert match, f"{anchor}: bad label"
        number = int(match.group(1))
        page = norm(pages[front + number - 1])
        assert f"{kicker} {title}" in page, \
            f"{anchor} ({title}) says Reader p. {number}, but that page begins {page[:80]!r}"


def test_reader_page_on_slides_is_where_the_item_starts(small_course):
    build(small_course.root)
    check_reader_pages(small_course)


def test_reader_pages_of_the_sample_course(repo_course):
    check_reader_pages(repo_course)


def test_reader_pages_after_long_items(stress):
    check_reader_pages(stress)


# --- 4. nothing overflows, nothing is too small ---------------------------------------------------

def test_long_excerpt_table_and_titles_fit_their_frames(stress):
    problems = overflow_problems(stress.dist / "deck.pptx")
    assert not problems, "\n".join(problems[:25])


def test_sample_course_fits_its_frames(repo_course):
    problems = overflow_problems(repo_course.dist / "deck.pptx")
    assert not problems, "\n".join(problems[:25])


def test_small_course_fits_its_frames(small_course):
    build(small_course.root)
    problems = overflow_problems(small_course.dist / "deck.pptx")
    assert not problems, "\n".join(problems[:25])


def test_long_table_is_split_with_header_on_every_slide(stress):
    slides = item_groups(deck_slides(stress.dist / "deck.pptx"))["item-2"]
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
    for anchor in ("item-3", "item-4"):
        first = groups[anchor][0]
        shape = first.shapes.title
        assert COUNTER.sub("", shape.text_frame.text) == LONG_TITLE, \
            f"{anchor}: title cut to {shape.text_frame.text!r}"
        size = shape.text_frame.paragraphs[0].runs[0].font.size.pt
        width = (shape.width - shape.text_frame.margin_left - shape.text_frame.margin_right) / \
            EMU_PER_PT
        lines = METRICS.wrap(shape.text_frame.text, size, width, bold=True)
        assert size < 40 or len(lines) > 1
        assert size >= MIN_BODY_PT
    for slide in groups["item-4"]:  # the excerpt's title, with its counter, on every slide
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


def excerpt_cut_early(path: Path) -> list[str]:
    """A split excerpt's slide ends only when the next sentence would not have fitted on it
    (measured as the slide shows it: one paragraph in the body placeholder)."""
    from reader.course.markdown import split_sentences
    from reader.deck.textfit import Para

    problems = []
    for anchor, group in item_groups(deck_slides(path)).items():
        if not any(s.shapes.title is not None and COUNTER.search(title_of(s)) and
                   shape_named(s, "Attribution") for s in group):
            continue
        for k, (this, following) in enumerate(zip(group, group[1:]), 1):
            body = next(sh for sh in this.placeholders if sh.placeholder_format.idx == 1)
            frame = body.text_frame
            paras = frame_paras(body, frame, problems, anchor)
            nxt = split_sentences(body_text(following))
            if not paras or not nxt:
                continue
            last = paras[-1]
            grown = paras[:-1] + [Para(f"{last.text} {nxt[0]}", last.size, last.bold,
                                       last.italic, last.indent, last.space_before)]
            width = (body.width - frame.margin_left - frame.margin_right) / EMU_PER_PT
            height = (body.height - frame.margin_top - frame.margin_bottom) / EMU_PER_PT
            if METRICS.fits(grown, width, height):
                used = METRICS.height(paras, width)
                problems.append(f"{anchor} slide {k}/{len(group)}: uses {used:.0f} of "
                                f"{height:.0f} pt, yet the next sentence ({nxt[0][:40]!r}...) "
                                "would have fitted")
    return problems


def test_long_excerpt_uses_no_more_slides_than_it_needs(stress):
    problems = excerpt_cut_early(stress.dist / "deck.pptx")
    assert not problems, f"{len(problems)} early cuts:\n" + "\n".join(problems[:10])


def test_sample_excerpts_use_no_more_slides_than_they_need(repo_course):
    problems = excerpt_cut_early(repo_course.dist / "deck.pptx")
    assert not problems, f"{len(problems)} early cuts:\n" + "\n".join(problems[:10])


def table_row_problems(path: Path) -> list[str]:
    """A table narrower than the slide wraps no cell (a wrapped cell doubles its row)."""
    from pptx import Presentation

    prs = Presentation(str(path))
    problems = []
    for number, slide in enumerate(prs.slides, 1):
        for shape in slide.shapes:
            if not (getattr(shape, "has_table", False) and shape.has_table):
                continue
            table = shape.table
            total = sum(c.width for c in table.columns)
            room = prs.slide_width - 2 * shape.left  # the body box, centred on the slide
            for r, row in enumerate(table.rows):
                for c, cell in enumerate(row.cells):
                    width = (table.columns[c].width - cell.margin_left - cell.margin_right) / \
                        EMU_PER_PT
                    paras = frame_paras(shape, cell.text_frame, problems, "cell")
                    lines = sum(len(METRICS.wrap(p.text, p.size, width, p.bold, p.italic))
                                for p in paras)
                    if total < room and lines > 1:
                        problems.append(f"slide {number} ({slide.name}) row {r}: "
                                        f"{cell.text!r} wraps in its {width:.2f} pt column "
                                        f"(row {row.height / EMU_PER_PT:.1f} pt) though the "
                                        "table has room to widen it")
    return problems


def test_table_columns_fit_their_cells_on_one_line(stress, repo_course):
    problems = table_row_problems(stress.dist / "deck.pptx") + \
        table_row_problems(repo_course.dist / "deck.pptx")
    assert not problems, f"{len(problems)} wrapped cells:\n" + "\n".join(problems[:12])


# --- 5. tables -------------------------------------------------------------------------------

def test_table_is_a_real_table_with_numbers_right_aligned(small_course):
    build(small_course.root)
    slides = item_groups(deck_slides(small_course.dist / "deck.pptx"))["item-3"]
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
    slides = item_groups(deck_slides(stress.dist / "deck.pptx"))["item-2"]
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
        course = request.getfixturevalue("small_course")
        build(course.root)
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
    assert slide.name == "item-3", "the chart belongs to the table's slides"
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
def libreoffice_pdf(repo_course, tmp_path_factory) -> Path:
    """The sample deck converted by LibreOffice, with a private profile (no lock clashes)."""
    soffice = need_soffice()
    out = tmp_path_factory.mktemp("lo")
    profile = Path(f"/tmp/lo-profile-{uuid.uuid4().hex}")
    proc = subprocess.Popen([soffice, f"-env:UserInstallation={profile.as_uri()}",
                             "--headless", "--convert-to", "pdf", "--outdir", str(out),
                             str(repo_course.dist / "deck.pptx")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        _, err = proc.communicate(timeout=240)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)  # the group we started: soffice and its soffice.bin
        proc.communicate()
        pytest.fail("LibreOffice took more than 240 s to convert the deck")
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    pdf = out / "deck.pdf"
    assert proc.returncode == 0 and pdf.is_file(), err.decode(errors="replace")
    return pdf


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
def test_libreoffice_keeps_text_inside_its_shapes(request, repo_course):
    """Slow (LibreOffice): every glyph drawn lies in the box of some shape (2 pt slack)."""
    import pdfplumber
    from pptx import Presentation

    need_soffice()
    libreoffice_pdf = request.getfixturevalue("libreoffice_pdf")

    prs = Presentation(str(repo_course.dist / "deck.pptx"))
    problems = []
    with pdfplumber.open(libreoffice_pdf) as pdf:
        for n, (page, slide) in enumerate(zip(pdf.pages, prs.slides), 1):
            scale = page.width / (prs.slide_width / EMU_PER_PT)
            boxes = []
            for shape in slide.shapes:
                w, h = shape.width, shape.height
                boxes.append((shape.name, shape.left / EMU_PER_PT * scale,
                              shape.top / EMU_PER_PT * scale,
                              (shape.left + w) / EMU_PER_PT * scale,
                              (shape.top + h) / EMU_PER_PT * scale))
            stray = [ch for ch in page.chars if ch["text"].strip() and not any(
                x0 - 2 <= ch["x0"] and ch["x1"] <= x1 + 2 and y0 - 2 <= ch["top"] and
                ch["bottom"] <= y1 + 2 for _, x0, y0, x1, y1 in boxes)]
            if stray:
                text = "".join(ch["text"] for ch in stray[:40])
                problems.append(f"page {n} ({slide.name}): {len(stray)} glyphs outside every "
                                f"shape, e.g. {text!r} at y={stray[0]['top']:.0f}-"
                                f"{stray[0]['bottom']:.0f}")
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
