"""Property-based fuzzing: whatever a user's files contain, reader answers with a clean
message (exit 1) or a good build (exit 0), never a traceback.

Example counts are bounded for CI; set READER_FUZZ_EXAMPLES to run more.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st

from reader.cli import main
from conftest import REPO

EXAMPLES = int(os.environ.get("READER_FUZZ_EXAMPLES", "80"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                suppress_health_check=list(HealthCheck))

KEYS = ["title", "subtitle", "course", "instructor", "term", "lang", "paper", "edition",
        "templates", "outputs", "deck_template", "pdf_variant", "contents", "classes",
        "part", "items", "essay", "excerpt", "table", "questions", "skip", "titel", "x"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 3000),
                    st.floats(allow_nan=True), st.text(max_size=30),
                    st.sampled_from(["a4", "letter", "A5", "student", "instructor", "en",
                                     "../x.md", "/etc/hostname", "http://x/y.png",
                                     "sections/01-nep.md", "s/e.md", "pdf", "pptx"]))
values = st.recursive(scalars, lambda children: st.one_of(
    st.lists(children, max_size=4),
    st.dictionaries(st.sampled_from(KEYS), children, max_size=5)), max_leaves=20)


def _check(runner: CliRunner, folder: Path, *args: str) -> None:
    result = runner.invoke(main, [*args, str(folder)], catch_exceptions=True)
    assert result.exit_code in (0, 1), (result.exit_code, result.output, result.exception)
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output and "internal error" not in result.output
    if result.exit_code == 1:
        assert result.stderr.startswith("error: "), result.stderr


def _workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="reader-fuzz-"))


@FUZZ
@given(data=values)
def test_random_manifest_structures(data):
    folder = _workdir()
    try:
        (folder / "s").mkdir()
        (folder / "s" / "e.md").write_text("---\ntitle: E\n---\nText.\n")
        (folder / "course.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
        _check(CliRunner(), folder, "check")
    finally:
        shutil.rmtree(folder)


@FUZZ
@given(text=st.text(max_size=400))
def test_random_unicode_manifest_text(text):
    folder = _workdir()
    try:
        (folder / "course.yaml").write_text(text, encoding="utf-8")
        _check(CliRunner(), folder, "check")
    finally:
        shutil.rmtree(folder)


SAMPLE_FILES = sorted(p.relative_to(REPO).as_posix()
                      for p in (REPO / "sections").iterdir() if p.is_file())


@FUZZ
@given(target=st.sampled_from(["course.yaml", *SAMPLE_FILES]), data=st.data())
def test_random_line_deletions_in_the_sample(target, data):
    folder = _workdir()
    try:
        shutil.copy(REPO / "course.yaml", folder / "course.yaml")
        shutil.copytree(REPO / "sections", folder / "sections")
        path = folder / target
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        doomed = data.draw(st.sets(st.integers(0, max(len(lines) - 1, 0)), max_size=4))
        insert = data.draw(st.text(max_size=20))
        kept = [line for n, line in enumerate(lines) if n not in doomed]
        at = data.draw(st.integers(0, len(kept)))
        kept.insert(at, insert)
        path.write_text("".join(kept), encoding="utf-8")
        _check(CliRunner(), folder, "check")
    finally:
        shutil.rmtree(folder)


@settings(max_examples=max(EXAMPLES // 10, 4), deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(title=st.text(min_size=1, max_size=80), body=st.text(max_size=600),
       rows=st.lists(st.lists(st.one_of(st.integers(), st.text(max_size=12)), min_size=2,
                              max_size=2), min_size=1, max_size=6))
def test_random_item_content_builds_or_fails_cleanly(title, body, rows):
    folder = _workdir()
    try:
        (folder / "e.md").write_text("---\n" + yaml.safe_dump({"title": title}) + "---\n" +
                                     body + "\n", encoding="utf-8")
        (folder / "t.yaml").write_text(yaml.safe_dump({"title": title, "columns": ["A", "B"],
                                                       "rows": rows}), encoding="utf-8")
        (folder / "course.yaml").write_text(yaml.safe_dump({
            "title": title, "contents": [{"essay": "e.md"}, {"table": "t.yaml"}]}))
        _check(CliRunner(), folder, "build")
    finally:
        shutil.rmtree(folder)
