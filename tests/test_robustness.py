"""Nothing lost, nothing nondeterministic: interrupts, concurrent builds, reproducible bytes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import yaml

from conftest import essay, run, snapshot


def _reader_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "reader.cli", *args]


def _bigger_course(course, items: int = 12):
    body = "\n\n".join(f"Paragraph {n}. " + "Words to lay out across the page. " * 40
                       for n in range(8))
    names = []
    for n in range(items):
        course.write(f"s/e{n}.md", essay(f"Essay number {n}", body))
        names.append({"essay": f"s/e{n}.md"})
    course.manifest({"title": "Interrupt me", "contents": names})
    return course


def test_same_inputs_give_identical_bytes(small_course, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    assert run("build", str(small_course.root)).exit_code == 0
    first = snapshot(small_course.dist)
    time.sleep(1.1)  # a different wall-clock second must not matter
    assert run("build", str(small_course.root)).exit_code == 0
    assert snapshot(small_course.dist) == first


def test_source_date_epoch_sets_pdf_dates(small_course, monkeypatch):
    from pypdf import PdfReader

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01
    run("build", str(small_course.root))
    info = PdfReader(str(small_course.dist / "reader.pdf")).metadata
    assert info["/CreationDate"].startswith("D:20260101")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_build_keeps_previous_outputs(course, sig):
    """A build interrupted while it lays out an edited course (it holds the lock, so it has
    begun; it is stopped there, so it has not ended) exits 128+N and leaves dist/ as it was.
    (test_interrupts.py sends signals at moments all through a build.)"""
    _bigger_course(course)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    subprocess.run(_reader_cmd("build", str(course.root)), check=True, env=env,
                   capture_output=True)
    before = snapshot(course.dist)
    course.write("s/e5.md", essay("Essay number 5", "An edited paragraph to lay out. " * 300))
    proc = subprocess.Popen(_reader_cmd("build", str(course.root)), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _holding_the_lock(proc, course.dist / ".reader.lock")
        proc.send_signal(sig)
    finally:
        proc.send_signal(signal.SIGCONT)
    out, err = proc.communicate(timeout=60)
    assert b"Traceback" not in err, err.decode()
    assert proc.returncode == 128 + sig, (proc.returncode, err.decode())
    assert snapshot(course.dist) == before
    strays = [p.name for p in course.dist.iterdir() if ".tmp-" in p.name]
    assert not strays, strays


def _holding_the_lock(proc: subprocess.Popen, lock) -> None:  # noqa: ANN001
    """Wait until ``proc`` holds the build lock (its pid is written in it), then stop it
    there (SIGSTOP): whatever the machine's speed, it is mid-build until SIGCONT."""
    deadline = time.time() + 60
    while proc.poll() is None and time.time() < deadline:
        if lock.exists() and lock.read_text() == f"pid {proc.pid}":
            proc.send_signal(signal.SIGSTOP)
            return
        time.sleep(0.01)
    raise AssertionError(f"the build never held {lock} (exit {proc.poll()})")


def test_second_concurrent_build_is_refused(course):
    _bigger_course(course, items=20)
    first = subprocess.Popen(_reader_cmd("build", str(course.root)), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    try:
        _holding_the_lock(first, course.dist / ".reader.lock")
        second = subprocess.run(_reader_cmd("build", str(course.root)), capture_output=True,
                                text=True, timeout=120)
    finally:
        first.send_signal(signal.SIGCONT)
    first_out, first_err = first.communicate(timeout=120)
    assert first.returncode == 0, first_err
    assert second.returncode == 1, second.stderr
    assert f"another build of this course is running (pid {first.pid})" in second.stderr
    from conftest import pdf_pages

    assert "Essay number 19" in " ".join(pdf_pages(course.dist / "reader.pdf"))


def test_tagged_pdf(small_course):
    result = run("build", str(small_course.root), "--tagged")
    assert result.exit_code == 0, result.output
    from pypdf import PdfReader

    root = PdfReader(str(small_course.dist / "reader.pdf")).trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    assert root["/Lang"] == "en"


def test_strict_turns_warnings_into_errors(course):
    from PIL import Image

    Image.new("RGB", (300, 200), "white").save(course.root / "small.png")
    course.write("e.md", essay("With a small image", "Text.\n\n![](small.png)"))
    course.manifest({"title": "Warn", "contents": [{"essay": "e.md"}]})
    relaxed = run("build", str(course.root))
    assert relaxed.exit_code == 0
    assert "e.md:6" in relaxed.stderr and "no alt text" in relaxed.stderr
    assert "dpi" in relaxed.stderr
    before = snapshot(course.dist)
    strict = run("build", str(course.root), "--strict")
    assert strict.exit_code == 1 and "under --strict" in strict.stderr
    assert snapshot(course.dist) == before


def test_wide_table_warns(course):
    columns = [f"A rather long column heading {n}" for n in range(6)]
    course.write("t.yaml", yaml.safe_dump({"title": "Wide", "columns": columns,
                                           "rows": [[1, 2, 3, 4, 5, 6]]}))
    course.manifest({"title": "Wide", "contents": [{"table": "t.yaml"}]})
    result = run("build", str(course.root))
    assert result.exit_code == 0, result.output
    assert "t.yaml: Table 1 (6 columns) is wider than the text block; it is printed " \
        "with its column headings wrapped" in result.stderr
