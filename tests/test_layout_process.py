"""Rebuilds lay out in a process started before the course is read (layout.py): the
lecturer sees the same reader, the same messages, and no process left behind."""

from __future__ import annotations

import multiprocessing

from conftest import essay, in_fresh_process, pdf_pages, run, snapshot
from reader.build import pipeline as build_module


def _two_essays(course):
    course.write("s/a.md", essay("First essay", "The first text."))
    course.write("s/b.md", essay("Second essay", "The second text."))
    course.manifest({"title": "Layout", "contents": [{"essay": "s/a.md"}, {"essay": "s/b.md"}]})


def _rebuild_noting_the_layout(root: str) -> tuple[list[str], int, list]:
    from pathlib import Path

    from reader.build import pipeline as build_module

    started = []
    real = build_module._early_layout

    def spy(manifest, settings):  # noqa: ANN001, ANN202
        layout = real(manifest, settings)
        started.append(type(layout).__name__)
        return layout

    build_module._early_layout = spy
    result = build_module.build(Path(root))[0]
    return started, len(result.cache.rendered), multiprocessing.active_children()


def test_a_rebuild_uses_the_early_layout_process_and_leaves_none(course):
    _two_essays(course)
    assert run("build", str(course.root)).exit_code == 0
    course.write("s/b.md", essay("Second essay", "The second text, now longer."))
    started, laid_out, children = in_fresh_process(_rebuild_noting_the_layout,
                                                   str(course.root))
    assert started == ["LayoutProcess"]
    assert laid_out == 1 and children == []
    assert "now longer" in " ".join(pdf_pages(course.dist / "reader.pdf"))


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


def _fail_right_after_the_deck_starts(root: str) -> list[str]:
    import time
    from pathlib import Path

    from reader.build.pipeline import DeckInBackground, load_course
    from reader.course.manifest import load_manifest
    from reader.course.theme import theme_for

    root_path = Path(root)
    manifest = load_manifest(root_path)
    model = load_course(manifest, manifest.variant())
    theme = theme_for(model.templates, model.root)
    out = root_path / "dist"
    out.mkdir()
    forked = 0
    for _ in range(15):
        started = time.monotonic()
        try:
            with DeckInBackground(model, theme, out, True, root_path / ".reader-cache") as job:
                forked += job.process is not None
                raise RuntimeError("the reader failed")
        except RuntimeError:
            pass
        assert time.monotonic() - started < 10
        assert multiprocessing.active_children() == []
    assert forked == 15
    return sorted(p.name for p in out.iterdir())


def test_a_build_that_fails_at_once_never_waits_on_its_deck_process(course):
    """A build can fail right after the deck's process is forked (a refused stylesheet is
    reported within milliseconds on a rebuild). Stopping must not depend on when the
    child gets to its own signal handlers: it is woken, terminated, killed if need be."""
    _two_essays(course)
    assert in_fresh_process(_fail_right_after_the_deck_starts, str(course.root)) == []


def test_no_fork_where_other_threads_run():
    """In a threaded host (here: a thread the test starts) reader lays out in-process."""
    import threading

    from reader.pdf.layout import fork_is_safe

    stop = threading.Event()
    helper = threading.Thread(target=stop.wait)
    helper.start()
    try:
        assert not fork_is_safe()
    finally:
        stop.set()
        helper.join()
