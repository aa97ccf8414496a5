"""Ctrl-C and SIGTERM at any moment: reader exits 130 or 143, dist/ is the old build or the
new one (never a mix, never half a file), and no process is left behind."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import NamedTuple

import pytest

from conftest import Course, essay, excerpt, run, snapshot

pytestmark = pytest.mark.slow


def _outputs(dist: Path) -> dict[str, str]:
    """The outputs by name, as hashes (a failure message stays readable)."""
    import hashlib

    return {k: hashlib.sha256(v).hexdigest()[:12] for k, v in snapshot(dist).items()
            if not k.startswith(".")}


def _leftovers(marker: str) -> list[int]:
    """Processes still carrying this run's marker in their environment (workers too)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as handle:
                if marker.encode() in handle.read():
                    found.append(int(entry))
        except OSError:
            continue
    return found


class Progress(NamedTuple):
    """What a forced build of the course does, seen from outside: when its cache gets its
    first file (before that: imports, reading the course, laying out in the workers) and
    how many files it holds at the end (chunks, fonts, slides... written as they are made;
    what is left after the last is assembling and writing dist/)."""

    first_file: float       # seconds from the start
    files: int


_PROGRESS: list[Progress] = []


def _cache_files(root: Path) -> int:
    cache = root / ".reader-cache"
    return sum(1 for p in cache.rglob("*") if p.is_file()) if cache.exists() else 0


@pytest.fixture(scope="module")
def states(tmp_path_factory) -> tuple[Path, dict[str, bytes], dict[str, bytes]]:
    """A course whose dist/ holds build A, and the outputs a build of its edited text (B)
    gives; the course is left edited, so every run below builds B over A."""
    root = tmp_path_factory.mktemp("interrupts") / "course"
    course = Course(root)
    root.mkdir()
    for n in range(6):
        course.write(f"s/e{n}.md", essay(f"Essay {n}", "A paragraph of the essay. " * 60))
    course.write("s/x.md", excerpt("A source", "The source speaks. " * 40))
    course.manifest({"title": "Interrupted", "contents": [
        {"part": "One", "items": [{"essay": f"s/e{n}.md"} for n in range(6)]},
        {"excerpt": "s/x.md"}]})
    assert run("build", str(root)).exit_code == 0
    old = _outputs(course.dist)
    saved = root.parent / "dist-old"
    shutil.copytree(course.dist, saved)
    course.write("s/e3.md", essay("Essay 3", "The edited paragraph. " * 70))
    assert run("build", str(root), "--force").exit_code == 0
    new = _outputs(course.dist)
    assert new != old
    shutil.rmtree(root / ".reader-cache")
    started = time.monotonic()
    timed = subprocess.Popen([sys.executable, "-m", "reader.cli", "build", str(root),
                              "--force"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = None
    while timed.poll() is None:
        if first is None and _cache_files(root):
            first = time.monotonic() - started
        time.sleep(0.003)
    assert timed.returncode == 0 and first is not None, timed.communicate()
    _PROGRESS.append(Progress(first, _cache_files(root)))
    shutil.rmtree(course.dist)
    shutil.copytree(saved, course.dist)
    return root, old, new


# Where to interrupt: a fraction of the time before the cache's first file (counted from
# when reader handles signals), or a fraction of the cache's files once written.
MOMENTS = [("time", 0.0), ("time", 0.25), ("time", 0.5), ("time", 0.75),
           ("files", 0.0), ("files", 1 / 3), ("files", 2 / 3), ("files", 1.0)]


def _wait_for_its_handlers(proc: subprocess.Popen) -> None:
    """Until reader catches SIGTERM (/proc/PID/status SigCgt): from then on an interrupt is
    reader's to handle. Before it, the interpreter is starting up and importing reader;
    a signal there is Python's default (a KeyboardInterrupt traceback, or death by
    SIGTERM), which no code of reader's can change."""
    deadline = time.monotonic() + 30
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            with open(f"/proc/{proc.pid}/status") as status:
                caught = next(int(line.split()[1], 16) for line in status
                              if line.startswith("SigCgt:"))
        except (OSError, StopIteration):
            caught = 0
        if caught >> (signal.SIGTERM - 1) & 1:
            return
        time.sleep(0.002)
    raise AssertionError(f"reader never caught SIGTERM (exit {proc.poll()})")


def _stop_at(proc: subprocess.Popen, root: Path, moment: tuple[str, float],
             started: float) -> str:
    """Wait for ``moment`` of the build, then stop it there (SIGSTOP), alive: it is
    interrupted mid-build however fast this machine is today. Says where it stopped."""
    kind, fraction = moment
    progress = _PROGRESS[0]
    if kind == "time":
        ready = time.monotonic() - started
        time.sleep(fraction * max(progress.first_file - ready, 0.0))
    else:
        wanted = max(1, round(fraction * progress.files))
        deadline = time.monotonic() + 120
        while _cache_files(root) < wanted and proc.poll() is None and \
                time.monotonic() < deadline:
            time.sleep(0.002)
    proc.send_signal(signal.SIGSTOP)
    where = (f"{time.monotonic() - started:.2f} s in, {_cache_files(root)} of "
             f"{progress.files} cache files")
    assert proc.poll() is None, f"the build ended before its signal ({where})"
    return where


@pytest.mark.parametrize("which", [signal.SIGINT, signal.SIGTERM], ids=["INT", "TERM"])
@pytest.mark.parametrize("moment", MOMENTS, ids=[f"{k}-{f:.2f}" for k, f in MOMENTS])
def test_an_interrupt_at_any_moment_leaves_a_whole_build(states, moment: tuple[str, float],
                                                         which: signal.Signals) -> None:
    """Interrupts that land while reader runs, from the moment it handles signals to after
    the last file of its cache: the build is stopped at the moment, signalled, and let go.
    A run that ended before its moment is a failure, not a pass."""
    root, old, new = states
    marker = f"READER_INTERRUPT_TEST={uuid.uuid4().hex}"
    env = {**os.environ, marker.split("=")[0]: marker.split("=")[1]}
    shutil.rmtree(root / ".reader-cache", ignore_errors=True)   # every run does real work
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "reader.cli", "build", str(root),
                             "--force"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        _wait_for_its_handlers(proc)
        where = _stop_at(proc, root, moment, started)
        proc.send_signal(which)
    finally:
        proc.send_signal(signal.SIGCONT)
    out, err = proc.communicate(timeout=60)
    assert "Traceback" not in err, err
    assert proc.returncode == 128 + which, (proc.returncode, where, err)
    assert _outputs(root / "dist") in (old, new)
    assert not [p for p in os.listdir(root / "dist") if ".tmp-" in p]
    deadline = time.monotonic() + 10
    while _leftovers(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _leftovers(marker) == []
