"""Charts stay legible for any data: their labels never overlap.

The story tests build one course through the CLI with a table per case, then read each
chart back from the PDF with pdfplumber, knowing nothing of how the labels were chosen:

* every piece of text in the chart (category labels, value ticks, legend) is a run of
  characters on one baseline; no two runs' boxes overlap, and each category's label is
  found, whole or cut with an ellipsis, in the order of the table's rows;
* a category without a label is one the thinning rule leaves out (docs/format.md): every
  k-th category from the first is labelled, and the last; the regular label just before
  the last may give way to it. Nothing else may be missing.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from conftest import Course, essay, pdf_outline, run

LONG_NAMES = ["Upper middle income countries", "Lower middle income countries",
              "High income countries", "Low income countries",
              "Sub-Saharan Africa (excluding high income)", "Latin America and the Caribbean",
              "East Asia and Pacific", "Europe and Central Asia", "Middle East and North Africa",
              "South Asia", "North America", "Fragile and conflict affected situations"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]


@dataclass(frozen=True)
class Case:
    name: str
    kind: str
    x: str
    y: list[str]
    rows: list[list]
    csv: bool = False

    @property
    def categories(self) -> list[str]:
        return [str(r[0]) for r in self.rows]


CASES = [
    Case("sixty-years", "line", "Year", ["Population (millions)"],
         [[year, round(3000 + (year - 1961) * 75.5 + 40 * math.sin(year), 1)]
          for year in range(1961, 2021)], csv=True),
    Case("long-names", "bar", "Group", ["2000", "2020"],
         [[name, 1000 + 437 * i, 800 + 300 * i] for i, name in enumerate(LONG_NAMES)]),
    Case("three-short", "bar", "Country", ["Output"],
         [["France", 12], ["Italy", 9], ["Spain", 7]]),
    Case("one-category", "bar", "Country", ["Output"], [["France", 12]]),
    Case("negative", "bar", "Country", ["Industry", "Agriculture"],
         [["United States", -46, -12], ["Germany", -41, 3], ["Britain", -23, 5],
          ["Soviet Union", 80, -20], ["Japan", -8, 2]]),
    Case("decimals", "line", "Year", ["Share"],
         [[1922, 0.13], [1924, 0.21], [1926, 0.34], [1928, 0.47], [1930, 0.61]]),
    Case("months", "line", "Month", ["Tonnes"],
         [[m, 1000 + 130 * i] for i, m in enumerate(MONTHS)]),
    Case("dollars", "bar", "Price band", ["Sales $m"],
         [["$5 and under", 10], ["$5 to $10", 20], ["over $10", 5]]),
    Case("eighty-names", "bar", "Group", ["Value"],
         [[f"{i}. {LONG_NAMES[i % 12]}", i + 1] for i in range(80)]),
]


def _write(course: Course, case: Case) -> None:
    table = {"title": f"Case {case.name}", "source": f"marker {case.name}"}
    if case.csv:
        lines = [",".join([case.x, *case.y])] + [",".join(str(c) for c in row)
                                                  for row in case.rows]
        course.write(f"t/{case.name}.csv", "\n".join(lines) + "\n")
        table["data"] = f"{case.name}.csv"
    else:
        table["columns"] = [case.x, *case.y]
        table["rows"] = case.rows
    table["chart"] = {"type": case.kind, "x": case.x, "y": case.y}
    course.write(f"t/{case.name}.yaml", yaml.safe_dump(table, sort_keys=False))


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    """One course, one table (and chart) per case; the page each chart ends on."""
    course = Course(tmp_path_factory.mktemp("charts") / "course")
    course.write("e.md", essay("Introduction"))
    for case in CASES:
        _write(course, case)
    course.manifest({"title": "Charts", "contents": [{"essay": "e.md"}] +
                     [{"table": f"t/{c.name}.yaml"} for c in CASES]})
    result = run("build", str(course.root))
    assert result.exit_code == 0, result.output
    pdf = course.dist / "reader.pdf"
    starts = {title: page for level, title, page in pdf_outline(pdf)}
    import pypdf

    pages = len(pypdf.PdfReader(str(pdf)).pages)
    # Every item starts a page, so a table's chart is on the page before the next item.
    firsts = [next(p for t, p in starts.items() if t.endswith(f"Case {c.name}"))
              for c in CASES]
    return pdf, {c.name: (firsts[i + 1] if i + 1 < len(CASES) else pages) - 1
                 for i, c in enumerate(CASES)}


# --- reading a chart back -------------------------------------------------------------

@dataclass
class Run:
    """Characters drawn one after another on one baseline: one line of one label."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float

    def overlaps(self, other: Run) -> bool:
        return min(self.x1, other.x1) - max(self.x0, other.x0) > 0.1 and \
            min(self.bottom, other.bottom) - max(self.top, other.top) > 0.1


def chart_runs(pdf: Path, page_index: int, marker: str) -> tuple[list[Run], object]:
    """The text runs of the chart on this page, in the order they are drawn.

    The chart follows the table's 'Source:' line; if that is on an earlier page, the
    chart is all the page has between its margins (22 mm top, 24 mm bottom).
    """
    import pdfplumber

    with pdfplumber.open(str(pdf)) as doc:
        page = doc.pages[page_index]
        chars = page.chars
        words = page.extract_words()
        source = [w for w in words if w["text"] == marker.split()[-1]]
        start = source[-1]["bottom"] + 1 if source else 22 / 25.4 * 72
        end = page.height - 24 / 25.4 * 72
        chart = [c for c in chars if c["top"] >= start and c["bottom"] <= end]
        box = (page.width, page.height)
    runs: list[Run] = []
    for c in chart:
        last = runs[-1] if runs else None
        same_line = last is not None and abs(c["top"] - last.top) < 0.5
        # A word space in the chart's font is ~2 pt; labels are kept 6 pt apart.
        if same_line and -0.5 <= c["x0"] - last.x1 <= 0.45 * c["size"]:
            last.text += c["text"]
            last.x1 = max(last.x1, c["x1"])
            last.bottom = max(last.bottom, c["bottom"])
        else:
            runs.append(Run(c["text"], c["x0"], c["x1"], c["top"], c["bottom"]))
    return runs, box


def find_labels(runs: list[Run], names: list[str]) -> dict[int, list[Run]]:
    """For each category whose label is drawn: the runs (lines) of its label.

    A label's lines are drawn one after another; joined without spaces (the PDF has no
    space characters) they spell the category, or its beginning followed by an ellipsis.
    """
    found: dict[int, list[Run]] = {}
    start = 0
    for i, name in enumerate(names):
        want = re.sub(r"\s", "", name)
        for q in range(start, len(runs)):
            joined = ""
            for length in range(1, 4):
                if q + length > len(runs):
                    break
                joined += runs[q + length - 1].text
                cut = joined.endswith("\u2026") and want.startswith(joined[:-1])
                if joined == want or cut:
                    found[i] = runs[q:q + length]
                    start = q + length
                    break
                if not want.startswith(joined):
                    break
            if i in found:
                break
    return found


def thinning_is_deliberate(labelled: list[int], count: int) -> str | None:
    """None if the labelled categories follow the rule (module docstring), else why not."""
    if labelled == list(range(count)):
        return None
    if not labelled or labelled[0] != 0 or labelled[-1] != count - 1:
        return f"the first and last categories must be labelled: {labelled}"
    step = labelled[1] - labelled[0]
    regular = list(range(0, count, step))
    if regular[-1] != count - 1:
        allowed = [regular, regular[:-1]]
        if not any(labelled == r + [count - 1] for r in allowed):
            return f"every {step}th category and the last should be labelled: {labelled}"
    elif labelled != regular:
        return f"every {step}th category should be labelled: {labelled}"
    return None


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_chart_labels_never_overlap(built, case: Case) -> None:
    pdf, pages = built
    runs, (width, _height) = chart_runs(pdf, pages[case.name], f"marker {case.name}")
    assert runs, "no chart text found"
    touching = [(a.text, b.text) for n, a in enumerate(runs) for b in runs[n + 1:]
                if a.overlaps(b)]
    assert not touching, f"overlapping chart text: {touching[:5]}"
    labels = find_labels(runs, case.categories)
    labelled = sorted(labels)
    why = thinning_is_deliberate(labelled, len(case.rows))
    assert why is None, f"{why}\nruns: {[r.text for r in runs]}"
    # Every run is a label, a value, or the legend: nothing drawn in pieces or run together.
    used = {id(r) for rs in labels.values() for r in rs}
    legend = {re.sub(r"\s", "", y) for y in case.y}
    strays = [r.text for r in runs if id(r) not in used and r.text not in legend
              and not re.fullmatch(r"\u2212?[\d,]+(\.\d+)?(e[+\u2212]\d+)?", r.text)]
    assert not strays, f"text that is neither a label, a value nor the legend: {strays}"
    # The chart fits the text block (22 mm top, 24 mm bottom, 18 mm sides at least).
    assert all(r.x0 >= 18 / 25.4 * 72 - 1 and r.x1 <= width - 18 / 25.4 * 72 + 1 for r in runs)


def test_every_chart_fits_the_text_block(built) -> None:
    """The tallest (80 horizontal bars) and widest charts stay inside the page's text block,
    as the independent verifier reads it."""
    from verify import outside_text_block, reader_regions

    pdf, _ = built
    assert outside_text_block(pdf, reader_regions()) == []


def test_many_years_are_thinned_to_round_steps_not_dropped(built) -> None:
    """60 years on a line chart: a label every few years, first and last kept."""
    pdf, pages = built
    runs, _ = chart_runs(pdf, pages["sixty-years"], "marker sixty-years")
    labelled = sorted(find_labels(runs, CASES[0].categories))
    assert labelled[0] == 0 and labelled[-1] == 59
    assert 6 <= len(labelled) <= 30, labelled
    assert labelled[1] - labelled[0] in (2, 5, 10), labelled


def test_long_names_are_all_labelled_and_whole(built) -> None:
    """Twelve long names: every bar is labelled with its whole name (wrapped, not cut)."""
    pdf, pages = built
    runs, _ = chart_runs(pdf, pages["long-names"], "marker long-names")
    labels = find_labels(runs, LONG_NAMES)
    assert sorted(labels) == list(range(12))
    assert not any(r.text.endswith("\u2026") for rs in labels.values() for r in rs)


def test_short_categories_all_labelled_on_one_line(built) -> None:
    pdf, pages = built
    for name in ("three-short", "one-category", "negative"):
        case = next(c for c in CASES if c.name == name)
        runs, _ = chart_runs(pdf, pages[name], f"marker {name}")
        labels = find_labels(runs, case.categories)
        assert sorted(labels) == list(range(len(case.rows))), (name, [r.text for r in runs])


def test_value_axis_reads_like_the_table(built) -> None:
    """Negative values get a true minus sign; decimals are printed without float noise."""
    pdf, pages = built
    runs, _ = chart_runs(pdf, pages["negative"], "marker negative")
    assert any(r.text.startswith("\u2212") for r in runs), [r.text for r in runs]
    runs, _ = chart_runs(pdf, pages["decimals"], "marker decimals")
    values = [r.text for r in runs if re.fullmatch(r"\d+\.\d+", r.text)]
    assert values and all(len(v) <= 4 for v in values), [r.text for r in runs]


# --- the decision, as pure functions ---------------------------------------------------

def _measure():
    """Every character 5 pt wide, lines 10 pt high: easy to reason about."""
    from reader.pdf.charts import Measure

    return Measure(lambda s: 5.0 * len(s), 10.0)


@pytest.mark.unit
def test_thinning_steps_are_round_and_end_with_first_and_last() -> None:
    from reader.pdf.charts import thinning_steps

    assert thinning_steps(60) == [1, 2, 5, 10, 20, 25, 50, 59]
    assert thinning_steps(2) == [1]
    assert thinning_steps(1) == [1]
    assert max(thinning_steps(10**6)) == 10**6 - 1 and len(thinning_steps(10**6)) < 30


@pytest.mark.unit
def test_labelled_keeps_first_and_last_and_gives_way_before_the_last() -> None:
    from reader.pdf.charts import labelled

    def always(a: float, b: float) -> bool:
        return True

    assert labelled(12, 5, always) == [0, 5, 10, 11]
    # 11 touches 10 (one slot apart) but not 5: the regular label at 10 gives way.
    assert labelled(12, 5, lambda a, b: b - a >= 2) == [0, 5, 11]
    assert labelled(12, 2, lambda a, b: b - a >= 3) is None
    assert labelled(1, 1, always) == [0]


@pytest.mark.unit
def test_wrap_breaks_at_words_and_cuts_with_an_ellipsis() -> None:
    from reader.pdf.charts import wrap

    m = _measure()
    assert wrap("Upper middle income countries", 60, 3, m) == \
        ("Upper middle\nincome\ncountries", True)
    text, whole = wrap("word " * 50, 60, 3, m)
    assert not whole and text.count("\n") == 2 and text.endswith("\u2026")
    text, whole = wrap("x" * 100, 60, 3, m)          # one word wider than a line
    assert not whole and all(m.width(line) <= 60 for line in text.split("\n"))


@pytest.mark.unit
def test_plan_prefers_all_labels_then_wrapping_then_side_bars_then_thinning() -> None:
    from reader.pdf.charts import plan_labels

    m = _measure()
    short = plan_labels(["France", "Italy"], bars=True, words=True, measure=m,
                        across_pt=400, spare_pt=60)
    assert (short.horizontal_bars, short.step, short.texts) == (False, 1, ("France", "Italy"))
    wrapped = plan_labels(["Sheep and goats"] * 6, bars=True, words=True, measure=m,
                          across_pt=400, spare_pt=60)
    assert not wrapped.horizontal_bars and wrapped.texts[0] == "Sheep and\ngoats"
    side = plan_labels(LONG_NAMES, bars=True, words=True, measure=m, across_pt=400,
                       spare_pt=60)
    assert side.horizontal_bars and side.step == 1 and all(side.texts)
    years = plan_labels([str(y) for y in range(1961, 2021)], bars=False, words=False,
                        measure=m, across_pt=400, spare_pt=60)
    assert not years.horizontal_bars and years.step == 5
    assert [i for i, t in enumerate(years.texts) if t][-2:] == [55, 59]


@pytest.mark.unit
def test_plan_never_lets_labels_touch_for_any_count() -> None:
    """A bounded sweep: whatever the count and length, neighbouring labels keep apart."""
    from reader.pdf.charts import GAP_PT, MAX_HEIGHT_IN, plan_labels

    m = _measure()
    for count in (1, 2, 3, 7, 13, 40, 120, 500):
        for length in (1, 4, 12, 40):
            for bars, words in ((True, True), (True, False), (False, True)):
                names = [f"{'n' * length}{i}" for i in range(count)]
                plan = plan_labels(names, bars=bars, words=words, measure=m,
                                   across_pt=400, spare_pt=60)
                shown = [i for i, t in enumerate(plan.texts) if t]
                assert shown and shown[0] == 0
                if plan.horizontal_bars:
                    assert plan.height_in <= MAX_HEIGHT_IN
                    pitch = (plan.height_in * 72 - 60) / count
                    size = [m.block(plan.texts[i])[1] for i in shown]
                else:
                    pitch = 400 / count
                    size = [m.block(plan.texts[i])[0] for i in shown]
                for (a, sa), (b, sb) in zip(zip(shown, size), list(zip(shown, size))[1:]):
                    assert (sa + sb) / 2 + GAP_PT <= (b - a) * pitch + 1e-6, \
                        (count, length, bars, words, a, b)


@pytest.mark.unit
def test_value_labels_have_the_decimals_the_ticks_need() -> None:
    from reader.pdf.charts import format_value, value_decimals

    assert value_decimals([0.0, 0.1, 0.2, 0.30000000000000004]) == 1
    assert value_decimals([0, 0.25, 0.5]) == 2
    assert value_decimals([0, 2000, 4000]) == 0
    assert format_value(4000.0, [0, 2000, 4000]) == "4,000"
    assert format_value(-20.0, [-20, 0, 20]) == "\u221220"
    assert format_value(-0.0, [-1, 0, 1]) == "0"
    assert format_value(3e299, [0, 1e299, 2e299, 3e299]) == "3e+299"
    assert format_value(2e-9, [0, 1e-9, 2e-9]) == "2e\u221209"   # not 0.000000


@pytest.mark.unit
def test_thousands_of_categories_measure_only_the_labels_looked_at() -> None:
    """Measuring a label costs about a millisecond: 5,000 rows must not cost 5,000."""
    from reader.pdf.charts import Measure, plan_labels

    measured: list[str] = []
    m = Measure(lambda s: measured.append(s) or 5.0 * len(s), 10.0)
    for bars, words in ((False, False), (True, True)):
        measured.clear()
        plan = plan_labels([f"Region number {i}" for i in range(5000)], bars=bars,
                           words=words, measure=m, across_pt=400, spare_pt=60)
        assert plan.step > 1 and len(measured) < 400, (bars, len(measured))


@pytest.mark.unit
def test_series_colours_have_one_home_in_the_theme(tmp_path: Path) -> None:
    from reader.course.theme import theme_for

    (tmp_path / "theme.toml").write_text('[colours]\naccent2 = "#123456"\n')
    colours = theme_for(tmp_path).series_colours()
    assert colours[1] == "#123456" and len(colours) == 4
    assert colours[0] == theme_for(None).series_colours()[0]


def test_matplotlib_is_imported_only_when_a_chart_is_drawn(tmp_path: Path) -> None:
    """Loading a course and laying out a chart-less reader leaves matplotlib unloaded."""
    import subprocess
    import sys

    course = Course(tmp_path / "c")
    course.write("e.md", essay("Only words"))
    course.manifest({"title": "No charts", "contents": [{"essay": "e.md"}]})
    code = ("import sys; from reader.cli import main; from click.testing import CliRunner; "
            f"r = CliRunner().invoke(main, ['build', {str(course.root)!r}]); "
            "assert r.exit_code == 0, r.output; print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False,
                         env={**__import__("os").environ,
                              "PYTHONPATH": str(Path(__file__).parent.parent / "src")})
    assert out.stdout.strip() == "False", out.stdout + out.stderr


# --- numbers in chart data --------------------------------------------------------------

@pytest.mark.unit
def test_numbers_too_long_to_be_quantities_stay_text() -> None:
    """A number of more than 30 digits is printed as written; a chart refuses it by row."""
    from reader.course.model import format_cell, parse_number

    assert parse_number("1,331") == 1331 and parse_number(" 7.5 ") == 7.5
    assert parse_number("−12") == -12
    assert parse_number("9" * 30) == int("9" * 30)
    assert parse_number("9" * 31) == "9" * 31
    assert parse_number("1" * 5000) == "1" * 5000      # no ValueError from int()
    assert parse_number("1" * 400 + ".5") == "1" * 400 + ".5"   # not float('inf')
    assert parse_number(10 ** 40) == str(10 ** 40)
    assert parse_number(True) is True
    assert format_cell(1e300, "Output") == "1e+300"       # not three hundred digits
    assert format_cell(1234.5, "Output") == "1,234.5"


@pytest.mark.unit
def test_yaml_keeps_numbers_python_cannot_hold_as_the_text_written(tmp_path: Path) -> None:
    from reader.core.yamlsource import YamlSource

    src = YamlSource(tmp_path / "t.yaml", tmp_path)
    data = src.load(f"a: [1.0e+400, .inf, .nan, 2.5, 12, {'7' * 5000}]\n")
    assert data["a"][0] == "1.0e+400"
    assert math.isinf(data["a"][1]) and math.isnan(data["a"][2])
    assert data["a"][3:5] == [2.5, 12]
    assert data["a"][5] == "7" * 5000


# --- the value axis: where it ends, how legible it is, what it counts --------------------

LIVESTOCK = {"title": "Livestock in the USSR, 1928 and 1933 (millions)",
             "source": "marker livestock", "columns": ["Animal", "1928", "1933"],
             "rows": [["Horses", 35, 17], ["Cattle", 70, 38], ["Pigs", 26, 12],
                      ["Sheep and goats", 147, 50]],
             "chart": {"type": "bar", "x": "Animal", "y": ["1928", "1933"]}}
SWING = {"title": "Change in output, 1929-1933 (per cent)", "source": "marker swing",
         "columns": ["Country", "Change"],
         "rows": [["United States", -46], ["Germany", -41], ["Soviet Union", 80]],
         "chart": {"type": "bar", "x": "Country", "y": ["Change"]}}
NUMBER = re.compile(r"\u2212?[\d,]+(\.\d+)?")


@pytest.fixture(scope="module")
def axes(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    """A course with the sample's livestock table (up to 147) and one of falls and rises;
    the page of each chart."""
    course = Course(tmp_path_factory.mktemp("axes") / "course")
    course.write("e.md", essay("Introduction"))
    course.write("t/livestock.yaml", yaml.safe_dump(LIVESTOCK, sort_keys=False))
    course.write("t/swing.yaml", yaml.safe_dump(SWING, sort_keys=False))
    course.manifest({"title": "Axes", "contents": [{"essay": "e.md"},
                                                    {"table": "t/livestock.yaml"},
                                                    {"table": "t/swing.yaml"}]})
    result = run("build", str(course.root))
    assert result.exit_code == 0, result.output
    pdf = course.dist / "reader.pdf"
    starts = {title: page for _, title, page in pdf_outline(pdf)}
    page = {name: next(p for t, p in starts.items()                # 1929-1933 as 1929–1933
                       if t.replace("–", "-").endswith(table["title"]))
            for name, table in (("livestock", LIVESTOCK), ("swing", SWING))}
    return pdf, page


def value_ticks_read(runs: list[Run]) -> list[tuple[float, float]]:
    """(value, vertical centre) of each value-axis label: the numbers right-aligned in one
    column (the legend's '1928' and '1933' stand apart), top to bottom."""
    numbers = [r for r in runs if NUMBER.fullmatch(r.text)]
    columns: dict[float, list[Run]] = {}
    for r in numbers:
        columns.setdefault(round(r.x1), []).append(r)
    ticks = max(columns.values(), key=len)
    return sorted(((float(r.text.replace(",", "").replace("\u2212", "-")),
                    (r.top + r.bottom) / 2) for r in ticks), key=lambda t: t[1])


def test_value_axis_ends_at_a_labelled_value_beyond_the_data(axes) -> None:
    """147 million sheep and goats: the axis is labelled up to 150, not 140 with the bar
    running past it; falls of 46 per cent: labelled down to 50 below zero at least."""
    import pdfplumber

    from reader.course.theme import theme_for

    pdf, page = axes
    runs, _ = chart_runs(pdf, page["livestock"], "marker livestock")
    ticks = value_ticks_read(runs)
    assert ticks[0][0] >= 147, ticks
    assert ticks[-1][0] == 0, ticks
    # The tallest bar, as drawn, ends below the top label's line (the ticks' scale).
    (top, top_y), (zero, zero_y) = ticks[0], ticks[-1]
    accent = theme_for(None).series_colours()[0]
    colour = tuple(int(accent[i:i + 2], 16) / 255 for i in (1, 3, 5))
    with pdfplumber.open(str(pdf)) as doc:      # the 1928 bars, legend swatch left out
        bars = [r for r in doc.pages[page["livestock"]].rects
                if r["fill"] and r["non_stroking_color"] is not None
                and max(abs(a - b) for a, b in zip(r["non_stroking_color"], colour)) < 0.01
                and abs(r["bottom"] - zero_y) < 3]
    assert len(bars) == 4, bars
    tallest = min(b["top"] for b in bars)
    value = zero + (zero_y - tallest) / (zero_y - top_y) * (top - zero)
    assert 145 <= value <= top + 0.5, (value, ticks)

    runs, _ = chart_runs(pdf, page["swing"], "marker swing")
    ticks = value_ticks_read(runs)
    assert ticks[-1][0] <= -46 and ticks[0][0] >= 80, ticks


def test_value_labels_print_at_the_themes_size_in_ink(axes) -> None:
    """Every character of the chart prints at theme.toml's [charts] text (8.5 pt), not the
    figure's size scaled down to the text block, and in the ink colour, not a grey."""
    import pdfplumber

    from reader.course.theme import theme_for

    wanted = theme_for(None).tokens["charts"]["text"]
    ink = theme_for(None).tokens["colours"]["ink"]
    pdf, page = axes
    runs, _ = chart_runs(pdf, page["livestock"], "marker livestock")
    first, last = min(r.top for r in runs), max(r.bottom for r in runs)
    with pdfplumber.open(str(pdf)) as doc:
        chars = [c for c in doc.pages[page["livestock"]].chars
                 if c["top"] >= first - 0.1 and c["bottom"] <= last + 0.1]
    ticks = {round(c["size"], 2) for c in chars if c["text"].isdigit()}
    assert ticks and min(ticks) >= 8.0, ticks
    assert all(abs(c["size"] - wanted) < 0.05 for c in chars), \
        {(c["text"], round(c["size"], 2)) for c in chars}
    grey = int(ink[1:3], 16) / 255
    assert all(max(c["non_stroking_color"]) <= grey + 0.01 for c in chars), \
        {c["non_stroking_color"] for c in chars}


def test_the_value_axis_says_what_the_values_count(axes) -> None:
    """'(millions)' at the end of the title: 'millions' just over the value axis."""
    pdf, page = axes
    runs, _ = chart_runs(pdf, page["livestock"], "marker livestock")
    ticks = value_ticks_read(runs)
    unit = [r for r in runs if r.text == "millions"]
    assert len(unit) == 1 and unit[0].bottom <= ticks[0][1] and \
        unit[0].bottom >= ticks[0][1] - 20, ([r.text for r in runs], ticks)
    runs, _ = chart_runs(pdf, page["swing"], "marker swing")
    assert "percent" in [r.text for r in runs]       # the PDF has no space characters


@pytest.mark.unit
def test_a_title_gives_its_unit_but_not_its_dates() -> None:
    from reader.course.model import Table

    def unit(title: str) -> str | None:
        return Table("table", "t.yaml", Path("t.yaml"), title, 1, 1, None, None, "item-t").unit

    assert unit("Livestock in the USSR, 1928 and 1933 (millions)") == "millions"
    assert unit("Fall in industrial production, 1929-1933 (per cent)") == "per cent"
    assert unit("Prices (1913 = 100)") == "1913 = 100"
    assert unit("Share of votes (%)") == "%"
    assert unit("Output (1928)") is None and unit("Output (1929-33)") is None
    assert unit("Members (1920s)") is None and unit("Output") is None
    assert unit("Output (millions) by region") is None


@pytest.mark.unit
def test_value_ticks_cover_the_data_with_round_steps() -> None:
    from matplotlib.ticker import MaxNLocator

    from reader.pdf.charts import value_ticks

    for low, high in ((0, 147), (0, 21.9), (0, 46), (-46, 80), (3000, 7500), (0.13, 0.61),
                      (-3, 0), (0, 0), (0, 1e-9), (0, 3e299), (5, 5)):
        ticks = value_ticks(low, high, MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
        steps = {round(b - a, 12) for a, b in zip(ticks, ticks[1:])}
        assert ticks[0] <= low and ticks[-1] >= high, (low, high, ticks)
        assert len(ticks) <= 9 and len({f"{s:.6g}" for s in steps}) == 1, ticks
