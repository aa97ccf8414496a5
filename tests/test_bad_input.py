"""A catalogue of broken courses: each one must fail cleanly.

For every case the course first builds, then one thing is broken and the build
is run again. The contract (docs/format.md, reader.errors):

* exit code 1 (a problem in the course, not a crash: 3 would be an internal error);
* stderr names the offending file, with its line where the problem has one
  (``course.yaml:7``, ``s/numbers.csv:3``), and says what is wrong;
* no traceback;
* dist/ is exactly as the last good build left it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from conftest import Course, good_dist, pdf_pages, run, snapshot

# The small course's manifest written out by hand, so the cases can name its lines.
MANIFEST_LINES = [
    "title: A Small Course",            # 1
    "subtitle: Reader",                 # 2
    "course: HIST 1",                   # 3
    "instructor: Dr Example",           # 4
    "term: Spring 2027",                # 5
    "lang: en",                         # 6
    "contents:",                        # 7
    "  - part: First part",             # 8
    "    items:",                       # 9
    "      - essay: s/intro.md",        # 10
    "      - excerpt: s/source.md",     # 11
    "  - part: Second part",            # 12
    "    items:",                       # 13
    "      - table: s/numbers.yaml",    # 14
    "      - questions: s/questions.yaml",  # 15
    "  - essay: s/end.md",              # 16
]


def manifest(replace: dict[int, str | None] | None = None,
             insert: dict[int, list[str]] | None = None, append: list[str] = ()) -> str:
    """The manifest with line N replaced (None deletes it) or lines inserted before line N."""
    replace, insert = replace or {}, insert or {}
    out: list[str] = []
    for number, line in enumerate(MANIFEST_LINES, 1):
        out.extend(insert.get(number, []))
        if number in replace:
            if replace[number] is not None:
                out.append(replace[number])
        else:
            out.append(line)
    out.extend(append)
    return "\n".join(out) + "\n"


# --- a built baseline, shared -------------------------------------------------------
# Building the small course takes a second or two; each xdist worker builds it once and
# every case starts from a copy of that dist/ beside its own fresh copy of the course.

_BASELINE: dict[str, Path] = {}


@pytest.fixture
def built(small_course: Course, tmp_path_factory) -> Course:  # noqa: ANN001
    small_course.manifest(manifest())
    good_dist(small_course, _BASELINE, tmp_path_factory, "baseline")
    assert (small_course.dist / "reader.pdf").is_file()
    assert (small_course.dist / "deck.pptx").is_file()
    return small_course


# --- the cases ----------------------------------------------------------------------
# Each breaker takes the course and tmp_path and returns extra CLI arguments.

END_MD_HEAD = "---\ntitle: Conclusion\n---\n"


def m(text: str):  # noqa: ANN201
    """Break the manifest: write this text as course.yaml."""
    return lambda c, tmp: c.manifest(text) and []


def w(rel: str, content: str | bytes, manifest_text: str | None = None):  # noqa: ANN201
    """Break an item file (and optionally the manifest)."""
    def breaker(c: Course, tmp: Path) -> list[str]:
        c.write(rel, content)
        if manifest_text is not None:
            c.manifest(manifest_text)
        return []
    return breaker


def outside_item(c: Course, tmp: Path) -> list[str]:
    (tmp / "outside.md").write_text(END_MD_HEAD + "Outside.\n", encoding="utf-8")
    c.manifest(manifest({16: "  - essay: ../outside.md"}))
    return []


def symlink_item(c: Course, tmp: Path) -> list[str]:
    (tmp / "outside.md").write_text(END_MD_HEAD + "Outside.\n", encoding="utf-8")
    os.symlink(tmp / "outside.md", c.root / "s" / "link.md")
    c.manifest(manifest({16: "  - essay: s/link.md"}))
    return []


def unknown_class(c: Course, tmp: Path) -> list[str]:
    return ["--class", "nope"]


def missing_image(c: Course, tmp: Path) -> list[str]:
    c.write("s/end.md", END_MD_HEAD + "It ends here.\n\n![A map](img/map.png)\n")  # line 6
    return []


def not_an_image(c: Course, tmp: Path) -> list[str]:
    c.write("s/img/x.png", "this is a text file, not a picture\n")
    c.write("s/end.md", END_MD_HEAD + "It ends here.\n\n![A map](img/x.png)\n")  # line 6
    return []


def deck_template_text(c: Course, tmp: Path) -> list[str]:
    c.write("templates/deck.pptx", "not a presentation at all\n")
    c.manifest(manifest(insert={7: ["deck_template: templates/deck.pptx"]}))
    return []


def huge_essay(c: Course, tmp: Path) -> list[str]:
    para = "This sentence is here to make the essay very long indeed. " * 20 + "\n\n"
    body = END_MD_HEAD + para * (6 * 1024 * 1024 // len(para) + 1)
    assert len(body.encode()) > 6 * 1024 * 1024 - 1
    c.write("s/end.md", body)
    return []


INLINE_TABLE = "title: Some numbers\ncolumns: [Country, Output]\nrows:\n" \
               "  - [Ruritania, 12345]\n  - [Freedonia, 678]\n"      # lines 1-5
CSV_TABLE = "title: Some numbers\nsource: A statistical office\ndata: numbers.csv\n"



def chart_table(value: str) -> str:
    """The small course's table with a chart, and ``value`` as Freedonia's output (5:17)."""
    return ("title: Some numbers\ncolumns: [Country, Output]\nrows:\n"
            f"  - [Ruritania, 12345]\n  - [Freedonia, {value}]\n"
            "chart:\n  type: bar\n  x: Country\n  y: Output\n")


def chart_csv(value: str):  # noqa: ANN201
    """The table from a CSV with a chart, and ``value`` as Freedonia's output (line 3)."""
    return lambda c, tmp: [c.write("s/numbers.yaml", CSV_TABLE + "chart:\n  type: bar\n"
                                   "  x: Country\n  y: Output\n"),
                           c.write("s/numbers.csv", "Country,Output\nRuritania,12345\n"
                                                    f"Freedonia,{value}\n")] and []


EXCERPT_FRONT = ("---\ntitle: A primary source\nauthor: Ada Author\n"
                 "source:\n  title: A Book\n---\nThe passage.\n")

CASES = [
    # --- course.yaml ---
    pytest.param(m(manifest({5: "term: Spring: 2027"})), r"course\.yaml:5",
                 "YAML syntax error", id="yaml-syntax-error"),
    pytest.param(m(manifest({9: "\titems:"})), r"course\.yaml:9", "tabs",
                 id="tab-indentation"),
    pytest.param(m("- title: A list\n- contents: []\n"), r"course\.yaml:1", "must be a mapping",
                 id="manifest-is-a-list"),
    pytest.param(m(""), r"course\.yaml", "empty", id="manifest-empty"),
    pytest.param(m(manifest({1: None})), r"course\.yaml",
                 "missing the required key 'title'", id="missing-title"),
    pytest.param(m(manifest({n: None for n in range(7, 17)})), r"course\.yaml",
                 "missing the required key 'contents'", id="missing-contents"),
    pytest.param(m(manifest({1: "titel: A Small Course"})), r"course\.yaml:1",
                 "did you mean 'title'", id="unknown-key-did-you-mean"),
    pytest.param(m(manifest({1: "title: [a, b]"})), r"course\.yaml:1", "expected text",
                 id="title-wrong-type"),
    pytest.param(m(manifest(insert={7: ["paper: A5"]})), r"course\.yaml:7",
                 "expected one of letter, a4", id="paper-a5"),
    pytest.param(m(manifest(insert={7: ["edition: teacher"]})), r"course\.yaml:7",
                 "expected one of student, instructor", id="edition-teacher"),
    pytest.param(m(manifest({10: "      - reading: x.md"})), r"course\.yaml:10",
                 "unknown item kind 'reading'", id="unknown-item-kind"),
    pytest.param(m(manifest({16: "  - essay: s/missing.md"})), r"course\.yaml:16",
                 "does not exist", id="missing-item-file"),
    pytest.param(m(manifest({16: "  - essay: s/intro.md"})), r"course\.yaml:16",
                 "already in the contents", id="same-item-twice"),
    pytest.param(outside_item, r"course\.yaml:16", "leads outside the course",
                 id="dotdot-path"),
    pytest.param(m(manifest({16: "  - essay: /etc/hostname"})), r"course\.yaml:16",
                 "absolute path", id="absolute-path"),
    pytest.param(symlink_item, r"course\.yaml:16", "leads outside the course",
                 id="symlink-outside"),
    pytest.param(m(manifest(insert={7: ["title: Again"]})), r"course\.yaml:7",
                 "given twice", id="duplicate-key"),
    pytest.param(deck_template_text, r"course\.yaml:7", "is not a PowerPoint",
                 id="deck-template-not-pptx"),
    pytest.param(unknown_class, r"course\.yaml", "unknown class 'nope'", id="unknown-class"),
    pytest.param(m(manifest(append=["classes:", "  monday:", "    skip:",
                                    "      - s/nothere.md"])),       # line 20
                 r"course\.yaml:20", "is not an item of this course", id="skip-not-in-contents"),
    # --- Markdown items ---
    pytest.param(w("s/end.md", b"---\ntitle: End\n---\n\xff\xfe not UTF-8 here\n"),
                 r"s/end\.md:4", "not UTF-8", id="item-not-utf8"),
    pytest.param(w("s/end.md", END_MD_HEAD), r"s/end\.md", "no text below its front matter",
                 id="empty-essay"),
    pytest.param(w("s/source.md", "Just a passage, with no front matter at all.\n"),
                 r"s/source\.md:1", "needs front matter", id="excerpt-no-front-matter"),
    pytest.param(w("s/end.md", "---\n- a\n- b\n---\nBody text.\n"), r"s/end\.md:[12]",
                 "must be a mapping", id="front-matter-is-a-list"),
    pytest.param(w("s/source.md", EXCERPT_FRONT.replace("author: Ada Author\n",
                                                        "author: Ada Author\nautor: X\n")),
                 r"s/source\.md:4", "did you mean 'author'", id="excerpt-unknown-key"),
    pytest.param(w("s/source.md", "---\ntitle: A primary source\nauthor: Ada Author\n---\n"
                                  "The passage.\n"),
                 r"s/source\.md", "missing the required key 'source'",
                 id="excerpt-missing-source"),
    pytest.param(missing_image, r"s/end\.md:6", "does not exist", id="missing-image"),
    pytest.param(not_an_image, r"s/end\.md:6", "is not an image", id="image-not-an-image"),
    pytest.param(huge_essay, r"s/end\.md", "up to 5 MiB", id="essay-over-5mb"),
    # --- questions ---
    pytest.param(w("s/questions.yaml", "title: Questions\nquestions: just one question\n"),
                 r"s/questions\.yaml:2", "must be a non-empty list", id="questions-not-a-list"),
    pytest.param(w("s/questions.yaml", ""), r"s/questions\.yaml", "empty",
                 id="questions-file-empty"),
    # --- tables ---
    pytest.param(lambda c, tmp: [c.write("s/numbers.yaml", CSV_TABLE),
                                 c.write("s/numbers.csv", "Country,Output\nRuritania,12345\n"
                                                          "Freedonia,678,9\n")] and [],
                 r"s/numbers\.csv:3", "cells but the header has", id="csv-ragged-rows"),
    pytest.param(lambda c, tmp: [c.write("s/numbers.yaml", CSV_TABLE),
                                 c.write("s/numbers.csv", "1,2\n3,4\n")] and [],
                 r"s/numbers\.csv:1", "header", id="csv-no-header"),
    pytest.param(lambda c, tmp: [c.write("s/numbers.yaml", CSV_TABLE),
                                 c.write("s/numbers.csv", "")] and [],
                 r"s/numbers\.csv", "empty", id="csv-empty"),
    pytest.param(lambda c, tmp: [c.write("s/numbers.csv", "Country,Output\nRuritania,1\n"),
                                 c.write("s/numbers.yaml", "title: Some numbers\n"
                                         "data: numbers.csv\ncolumns: [Country, Output]\n"
                                         "rows:\n  - [Ruritania, 1]\n")] and [],
                 r"s/numbers\.yaml:2", "not both", id="table-data-and-rows"),
    pytest.param(w("s/numbers.yaml", "title: Some numbers\ncolumns: [Country, Output]\n"
                                     "rows: []\n"),
                 r"s/numbers\.yaml:3", "'rows' must be a non-empty list", id="table-empty-rows"),
    pytest.param(w("s/numbers.yaml", INLINE_TABLE + "chart:\n  type: bar\n  x: Country\n"
                                                    "  y: Population\n"),           # line 9
                 r"s/numbers\.yaml:9", "no column 'Population'", id="chart-missing-column"),
    pytest.param(w("s/numbers.yaml", INLINE_TABLE + "chart:\n  type: bar\n  x: Output\n"
                                                    "  y: Country\n"),              # line 9
                 r"s/numbers\.yaml:9", "must hold numbers", id="chart-y-not-numeric"),
    # --- numbers a chart cannot draw: located at the cell, naming the row ---
    pytest.param(w("s/numbers.yaml", chart_table(".nan")), r"s/numbers\.yaml:5:17",
                 "row 2 has NaN", id="chart-y-nan"),
    pytest.param(w("s/numbers.yaml", chart_table("-.inf")), r"s/numbers\.yaml:5:17",
                 "row 2 has an infinite number", id="chart-y-infinity"),
    pytest.param(w("s/numbers.yaml", chart_table("1.0e+400")), r"s/numbers\.yaml:5:17",
                 "beyond the largest number", id="chart-y-1e400"),
    pytest.param(w("s/numbers.yaml", chart_table("1" * 5000)), r"s/numbers\.yaml:5:17",
                 "row 2 has a number of 5000 digits", id="chart-y-5000-digits"),
    pytest.param(w("s/numbers.yaml", chart_table("true")), r"s/numbers\.yaml:5:17",
                 "row 2 has true/false", id="chart-y-boolean"),
    pytest.param(chart_csv("1" * 5000), r"s/numbers\.csv:3", "row 2 has a number of 5000 digits",
                 id="csv-chart-5000-digits"),
    pytest.param(chart_csv("1" * 400 + ".5"), r"s/numbers\.csv:3",
                 "row 2 has a number of 401 digits", id="csv-chart-long-decimal"),
    pytest.param(chart_csv("1.0e+400"), r"s/numbers\.csv:3", "beyond the largest number",
                 id="csv-chart-1e400"),
]


@pytest.mark.parametrize("breaker, where, phrase", CASES)
def test_bad_input_fails_cleanly(built: Course, tmp_path: Path, breaker, where: str,
                                 phrase: str) -> None:  # noqa: ANN001
    before = snapshot(built.dist)
    extra = breaker(built, tmp_path) or []
    result = run("build", str(built.root), *extra)
    report = f"exit {result.exit_code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert "Traceback" not in result.output and "Traceback" not in result.stderr, report
    assert "internal error" not in result.stderr, report
    assert result.exit_code == 1, report
    assert re.search(re.escape("error: ") + where + r"(?![\d.\w])", result.stderr), \
        f"stderr should name {where!r}\n{report}"
    assert phrase in result.stderr, f"stderr should say {phrase!r}\n{report}"
    assert snapshot(built.dist) == before, f"dist/ changed after a failed build\n{report}"
    assert not [p.name for p in built.dist.iterdir() if ".tmp-" in p.name], \
        "temporary files left in dist/"


# --- several problems at once ---------------------------------------------------------

def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


def test_check_reports_every_unknown_key_at_once(small_course: Course) -> None:
    small_course.manifest(manifest(insert={7: ["colour: red", "sise: 3"]}))
    result = run("check", str(small_course.root))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    errors = _error_lines(result.stderr)
    assert len(errors) == 2, result.stderr
    assert re.search(r"course\.yaml:7\b.*unknown key 'colour'", errors[0]), errors
    assert re.search(r"course\.yaml:8\b.*unknown key 'sise'", errors[1]), errors
    assert "2 problems" in result.stderr


def test_check_reports_problems_in_several_item_files(small_course: Course) -> None:
    small_course.write("s/end.md", END_MD_HEAD)
    small_course.write("s/questions.yaml", "title: Questions\nquestions: []\n")
    small_course.write("s/numbers.yaml", "title: Some numbers\ncolumns: [A, B]\nrows: []\n")
    result = run("check", str(small_course.root))
    assert result.exit_code == 1, result.output
    errors = _error_lines(result.stderr)
    assert len(errors) == 3, result.stderr
    joined = "\n".join(errors)
    for name in ("s/end.md", "s/questions.yaml:2", "s/numbers.yaml:3"):
        assert name in joined, joined


def test_build_and_check_agree_on_a_bad_course(small_course: Course) -> None:
    """`reader check` must catch what `reader build` would refuse, with the same words."""
    small_course.manifest(manifest({1: "titel: A Small Course"}))
    checked = run("check", str(small_course.root))
    built = run("build", str(small_course.root))
    assert checked.exit_code == built.exit_code == 1
    assert _error_lines(checked.stderr) == _error_lines(built.stderr)
    assert not small_course.dist.exists() or not any(small_course.dist.glob("*.pdf"))


# --- not a crash ---------------------------------------------------------------------

def test_excerpt_source_given_as_text_is_its_title(small_course: Course) -> None:
    """`source: A Book` (text, not a mapping) is the work's title (docs/format.md): it
    builds, and the title is printed in the attribution and the Sources list."""
    small_course.write("s/source.md", "---\ntitle: A primary source\nauthor: Ada Author\n"
                                      "source: The Text-Only Book\n---\nThe passage.\n")
    result = run("build", str(small_course.root))
    assert result.exit_code == 0, f"exit {result.exit_code}\nstderr:\n{result.stderr}"
    text = " ".join(" ".join(pdf_pages(small_course.dist / "reader.pdf")).split())
    assert text.count("The Text-Only Book") >= 2, text      # attribution and Sources
    assert "Ada Author, The Text-Only Book" in text, text
