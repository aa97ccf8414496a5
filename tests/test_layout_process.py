"""Rebuilds lay out in a process started before the course is read (layout.py): the
lecturer sees the same reader, the same messages, and no process left behind."""

from __future__ import annotations

import multiprocessing

from conftest import essay, pdf_pages, run, snapshot
from reader import build as build_module


def _two_essays(course):
    course.write("s/a.md", essay("First essay", "The first text."))
    course.write("s/b.md", essay("Second essay", "The second text."))
    course.manifest({"title": "Layout", "contents": [{"essay": "s/a.md"}, {"essay": "s/b.md"}]})


def test_a_rebuild_uses_the_early_layout_process_and_leaves_none(course, monkeypatch):
    _two_essays(course)
    assert run("build", str(course.root)).exit_code == 0
    started = []
    real = build_module._early_layout

    def spy(manifest, settings):  # noqa: ANN001, ANN202
        layout = real(manifest, settings)
        started.append(type(layout).__name__)
        return layout

    monkeypatch.setattr(build_module, "_early_layout", spy)
    course.write("s/b.md", essay("Second essay", "The second text, now longer."))
    result = run("build", "-v", str(course.root))
    assert result.exit_code == 0, result.output
    assert started == ["LayoutProcess"]
    assert "1 laid out" in result.output
    assert "now longer" in " ".join(pdf_pages(course.dist / "reader.pdf"))
    assert multiprocessing.active_children() == []


def test_a_cold_build_lays_out_here(course, monkeypatch):
    _two_essays(course)
    started = []
    real = build_module._early_layout
    monkeypatch.setattr(build_module, "_early_layout",
                        lambda m, s: started.append(type(real(m, s)).__name__) or real(m, s))
    assert run("build", str(course.root)).exit_code == 0
    assert started == ["nullcontext"]


def test_an_error_in_the_layout_process_is_the_users_message(course):
    """A stylesheet that reaches outside the course fails inside the layout process;
    the message names the file, the exit is 1 and dist/ is as it was."""
    _two_essays(course)
    assert run("build", str(course.root)).exit_code == 0
    before = snapshot(course.dist)
    course.write("templates/extra.css", '@import url("http://127.0.0.1:9/x.css");\n')
    result = run("build", str(course.root))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "extra.css" in result.output and "127.0.0.1" in result.output
    assert snapshot(course.dist) == before
    assert multiprocessing.active_children() == []


def test_a_build_that_fails_at_once_never_waits_on_its_deck_process(course):
    """A build can fail right after the deck's process is forked (a refused stylesheet is
    reported within milliseconds on a rebuild). Stopping must not depend on when the
    child gets to its own signal handlers: it is woken, terminated, killed if need be."""
    import time

    from reader.build import DeckInBackground, load_course
    from reader.manifest import load_manifest
    from reader.theme import theme_for

    _two_essays(course)
    manifest = load_manifest(course.root)
    model = load_course(manifest, manifest.variant())
    theme = theme_for(model.templates, model.root)
    out = course.root / "dist"
    out.mkdir()
    for _ in range(15):
        started = time.monotonic()
        try:
            with DeckInBackground(model, theme, out, True, course.root / ".reader-cache"):
                raise RuntimeError("the reader failed")
        except RuntimeError:
            pass
        assert time.monotonic() - started < 10
        assert multiprocessing.active_children() == []
    assert sorted(p.name for p in out.iterdir()) == []
