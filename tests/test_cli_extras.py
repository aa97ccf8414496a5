"""Start-up cost, watch mode and progress: the command line as a lecturer meets it."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from conftest import essay


def _modules_after(*args: str) -> set[str]:
    code = ("import sys\nfrom reader.cli import main\ntry:\n    main(%r)\nexcept SystemExit:\n"
            "    pass\nprint('\\n'.join(sys.modules))" % (list(args),))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    return set(out.split())


def test_help_and_check_do_not_import_renderers(small_course):
    for args in (["--help"], ["check", str(small_course.root)]):
        loaded = _modules_after(*args)
        assert "weasyprint" not in loaded, args
        assert "pptx" not in loaded, args
        assert "matplotlib" not in loaded, args


def test_watch_rebuilds_and_survives_errors(small_course):
    import queue
    import threading

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "reader.cli", "watch",
                             str(small_course.root)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env)
    output: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [output.put(line) for line in proc.stdout],
                     daemon=True).start()
    lines: list[str] = []

    def wait_for(text: str, timeout: float = 60, poke=None) -> None:  # noqa: ANN001
        deadline = time.time() + timeout
        next_poke = time.time() + 5
        while time.time() < deadline:
            try:
                line = output.get(timeout=0.5)
            except queue.Empty:
                if poke is not None and time.time() > next_poke:
                    poke()  # the watcher may not have been listening yet: save again
                    next_poke = time.time() + 5
                continue
            lines.append(line)
            if text in line:
                return
        raise AssertionError(f"never saw {text!r}; got {lines}")

    try:
        wait_for("watching")
        target = small_course.root / "s" / "end.md"

        def edit() -> None:
            target.write_text(essay("Conclusion, revised", f"Later. {time.time()}"))

        edit()
        wait_for("rebuilt", poke=edit)
        assert any("changed: s/end.md" in ln for ln in lines)
        assert any(" in " in ln and ln.strip().endswith("s") for ln in lines if "rebuilt" in ln)

        def break_it() -> None:
            (small_course.root / "course.yaml").write_text(f"title: [broken {time.time()}\n")

        break_it()
        wait_for("build failed", poke=break_it)
        assert any("course.yaml:" in ln for ln in lines)
        assert proc.poll() is None, "watch keeps running after a build error"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_deck_built_alongside_the_reader_has_its_page_numbers(small_course):
    """A plain `reader build` builds the deck in a second process while the reader is laid
    out; its "Reader p. N" lines are filled in from the finished PDF."""
    from conftest import deck_slides, pdf_pages

    subprocess.run([sys.executable, "-m", "reader.cli", "build", str(small_course.root)],
                   check=True, capture_output=True)
    pages = pdf_pages(small_course.dist / "reader.pdf")
    seen = items = 0
    for slide in deck_slides(small_course.dist / "deck.pptx"):
        items += any(s.name == "Kicker" for s in slide.shapes)
        for shape in slide.shapes:
            if shape.name == "Reader page":
                number = int(shape.text_frame.text.removeprefix("Reader p. "))
                label = next(s.text_frame.text for s in slide.shapes if s.name == "Kicker")
                label = label.split(" · ")[0]
                assert label.lower() in pages[2 + number - 1].lower()
                seen += 1
        assert "[[reader-page" not in slide.notes_slide.notes_text_frame.text
    assert seen == items >= 7   # every item's slide (5 items, 2 essays with openers)


def test_several_courses_build_through_one_pool_and_a_broken_one_is_skipped(tmp_path):
    """A department's batch: `reader build 'courses/*'` builds every course; one with a
    problem is reported with its file and line, the others are built, and the exit is 1."""
    from conftest import Course, run

    courses = tmp_path / "courses"
    for name in ("hist101", "hist102", "hist103"):
        course = Course(courses / name)
        course.root.mkdir(parents=True)
        course.write("a.md", essay(f"Essay of {name}", "A paragraph."))
        course.manifest({"title": f"Course {name}", "contents": [{"essay": "a.md"}]})
    (courses / "hist102" / "course.yaml").write_text("title: Broken\ncontents:\n  - essay: "
                                                     "missing.md\n")
    result = run("build", str(courses / "*"))
    assert result.exit_code == 1
    assert "hist102/course.yaml:3:" in result.stderr.replace("\\", "/") or \
        "course.yaml:3:" in result.stderr
    assert "1 course of 3 not built" in result.stderr
    for name in ("hist101", "hist103"):
        assert (courses / name / "dist" / "reader.pdf").is_file()
    assert not (courses / "hist102" / "dist").exists()
    again = run("build", str(courses / "hist101"), str(courses / "hist103"))
    assert again.exit_code == 0 and again.output.count("is up to date") == 2
