"""A course folder from a stranger: it cannot read, write or hang anything outside itself.

Every case plants something in a course that first built cleanly, runs reader, and
asserts the contract: exit 1 with one located message (or a clean build, where the
input is legitimate), no traceback, dist/ untouched, and nothing outside the course
opened or written. Opens are watched by strace in a separate process (workers
included), so a check cannot be fooled by a path the code under test never reports.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import Course, essay, good_dist, run, snapshot

# --- helpers --------------------------------------------------------------------------------

_BASELINE: dict[str, Path] = {}


@pytest.fixture
def built(small_course: Course, tmp_path_factory) -> Course:  # noqa: ANN001
    good_dist(small_course, _BASELINE, tmp_path_factory, "hardening-baseline")
    return small_course


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the course with a file that must never be read or written."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "victim.txt").write_text("precious\n", encoding="utf-8")
    return folder


def fails_cleanly(result, where: str, phrase: str) -> None:  # noqa: ANN001
    report = f"exit {result.exit_code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert "Traceback" not in result.output + result.stderr, report
    assert "internal error" not in result.stderr, report
    assert result.exit_code == 1, report
    assert re.search(where, result.stderr), f"should name {where!r}\n{report}"
    assert phrase in result.stderr, f"should say {phrase!r}\n{report}"


def strace_paths(args: list[str], cwd: Path, timeout: float = 240) -> tuple[int, list[str]]:
    """Run `reader ARGS` under strace -f; the exit code and every path it successfully
    opened, created, renamed or removed (workers included)."""
    strace = shutil.which("strace")
    if strace is None:
        pytest.skip("strace not installed")
    log = cwd / "strace.log"
    proc = subprocess.run(
        [strace, "-f", "-qq", "-o", str(log), "-e",
         "trace=open,openat,creat,rename,renameat,renameat2,unlink,unlinkat,mkdir,mkdirat,"
         "symlink,symlinkat,link,linkat,truncate",
         sys.executable, "-m", "reader.cli", *args],
        cwd=cwd, capture_output=True, text=True, timeout=timeout)
    paths = []
    for line in log.read_text(errors="replace").splitlines():
        if re.search(r"\) = -1 ", line):        # refused (ELOOP, ENOENT...): nothing opened
            continue
        paths.extend(re.findall(r'"((?:[^"\\]|\\.)*)"', line))
    log.unlink()
    return proc.returncode, paths


def touched(paths: list[str], folder: Path) -> list[str]:
    real = os.path.realpath(folder)
    return sorted({p for p in paths if os.path.realpath(p).startswith(real + os.sep)})


# --- dist/ is never a way out ----------------------------------------------------------------

def test_a_lock_file_symlinked_outside_is_not_followed(built: Course, outside: Path) -> None:
    victim = outside / "victim.txt"
    (built.dist / ".reader.lock").unlink()
    (built.dist / ".reader.lock").symlink_to(victim)
    built.write("s/end.md", essay("Conclusion", "It ends elsewhere."))
    before = snapshot(built.dist)
    result = run("build", str(built.root))
    fails_cleanly(result, r"\.reader\.lock", "symbolic link")
    assert victim.read_text() == "precious\n"
    assert snapshot(built.dist) == before


def test_a_dist_folder_symlinked_outside_is_refused(small_course: Course, outside: Path) -> None:
    (small_course.root / "dist").symlink_to(outside, target_is_directory=True)
    result = run("build", str(small_course.root))
    fails_cleanly(result, r"error: .*dist", "symbolic link")
    assert sorted(p.name for p in outside.iterdir()) == ["victim.txt"]


def test_a_class_folder_symlinked_outside_is_refused(small_course: Course, outside: Path) -> None:
    text = (small_course.root / "course.yaml").read_text()
    small_course.manifest(text + "classes:\n  monday:\n    term: Fall\n")
    (small_course.dist).mkdir()
    (small_course.dist / "monday").symlink_to(outside, target_is_directory=True)
    result = run("build", str(small_course.root), "--class", "monday")
    fails_cleanly(result, r"dist/monday", "symbolic link")
    assert sorted(p.name for p in outside.iterdir()) == ["victim.txt"]


def test_dist_that_is_a_file_is_a_clear_error(small_course: Course) -> None:
    small_course.write("dist", "not a folder\n")
    result = run("build", str(small_course.root))
    fails_cleanly(result, r"error: .*dist", "is a file, not a folder")


def test_a_planted_build_record_link_is_never_opened(built: Course, outside: Path) -> None:
    """The up-to-date check reads dist/.reader-build.json: a link to a FIFO outside would
    hang the build if it were followed; a link to a file would be read."""
    fifo = outside / "fifo"
    os.mkfifo(fifo)
    record = built.dist / ".reader-build.json"
    record.unlink()
    record.symlink_to(fifo)
    started = time.monotonic()
    code, paths = strace_paths(["build", str(built.root)], built.root.parent)
    assert time.monotonic() - started < 200
    assert code == 0
    assert touched(paths, outside) == []


def test_reader_permissions_never_opens_a_planted_link(built: Course, outside: Path) -> None:
    fifo = outside / "fifo"
    os.mkfifo(fifo)
    for name in ("permissions.csv", ".reader-build.json"):
        (built.dist / name).unlink()
        (built.dist / name).symlink_to(fifo)
    code, paths = strace_paths(["permissions", str(built.root)], built.root.parent, timeout=60)
    assert code == 0
    assert touched(paths, outside) == []


# --- the cache is checked, byte for byte --------------------------------------------------

def test_a_tampered_cache_record_is_discarded(built: Course) -> None:
    """Changing a chunk's recorded page count must not change the reader: the entry's
    hash covers its record too."""
    from pypdf import PdfReader

    cold = PdfReader(str(built.dist / "reader.pdf"))
    cold_text = [page.extract_text() for page in cold.pages]
    chunks = built.root / ".reader-cache" / "chunks"
    if not chunks.is_dir():               # the baseline was copied: build once for a cache
        assert run("build", str(built.root), "--force").exit_code == 0
    changed = 0
    for path in sorted(chunks.glob("*.json")):
        record = json.loads(path.read_text())
        record["pages"] = record["pages"] + 1
        path.write_text(json.dumps(record))
        changed += 1
    assert changed >= 3
    built.write("s/end.md", essay("Conclusion", "It ends here."))   # same text, new mtime
    result = run("build", str(built.root), "-v")
    assert result.exit_code == 0, result.output
    assert re.search(rf"{changed} discarded", result.output), result.output
    again = PdfReader(str(built.dist / "reader.pdf"))
    assert [page.extract_text() for page in again.pages] == cold_text


def test_force_reads_nothing_from_the_cache(built: Course) -> None:
    """`--force` is what a lecturer runs when they distrust the cache: a cache whose every
    entry verifies but holds the wrong pages (as a stale key would) must not reach the
    reader; a forced build makes every chunk and every item's slides anew."""
    from pypdf import PdfReader

    from reader.core.store import Store

    cold_text = [page.extract_text() for page in PdfReader(str(built.dist / "reader.pdf")).pages]
    cache = built.root / ".reader-cache"
    if not (cache / "chunks").is_dir():        # the baseline was copied: build once for a cache
        assert run("build", str(built.root), "--force").exit_code == 0
    shelf = Store(cache).shelf("chunks", ".pdf")
    keys = sorted(path.stem for path in (cache / "chunks").glob("*.json"))
    first = shelf.get(keys[0])
    assert first is not None and len(keys) >= 3
    record = {k: v for k, v in first[1].items() if k not in ("sha256", "format", "key")}
    for key in keys[1:]:
        shelf.put(key, first[0], record)       # sealed properly: only --force escapes it
    result = run("build", str(built.root), "--force", "-v")
    assert result.exit_code == 0, result.output
    assert re.search(r"chunks: \d+ laid out, 0 reused", result.output), result.output
    assert re.search(r"slides: \d+ items' slides made, 0 reused", result.output), result.output
    again = PdfReader(str(built.dist / "reader.pdf"))
    assert [page.extract_text() for page in again.pages] == cold_text
    built.write("s/end.md", essay("Conclusion", "It ends here."))   # same text, new mtime
    reused = run("build", str(built.root), "-v")
    assert re.search(r"chunks: 0 laid out, [1-9]\d* reused", reused.output), reused.output


# --- YAML that would hang or crash the build -----------------------------------------------

def _alias_bomb(levels: int) -> str:
    lines = ["title: Bomb", "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for n in range(1, levels + 1):
        lines.append(f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]")
    lines.append(f"paper: *a{levels}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("levels", [7, 8])
def test_a_yaml_alias_bomb_is_refused_at_once(built: Course, levels: int) -> None:
    built.manifest(_alias_bomb(levels))
    before = snapshot(built.dist)
    started = time.monotonic()
    result = run("build", str(built.root))
    assert time.monotonic() - started < 10
    fails_cleanly(result, r"course\.yaml:\d+:\d+", "YAML aliases")
    assert snapshot(built.dist) == before


def test_yaml_nested_too_deeply_is_a_located_error(built: Course) -> None:
    built.write("s/numbers.yaml", "title: Deep\ncolumns: [A]\nrows: " + "[" * 3000 +
                "]" * 3000 + "\n")
    fails_cleanly(run("build", str(built.root)), r"s/numbers\.yaml:3:\d+", "nested too deeply")


def test_a_merge_key_override_is_standard_yaml(built: Course) -> None:
    built.write("s/questions.yaml", "title: Questions\nbase: &b {text: Shared?, notes: N}\n")
    built.write("s/questions.yaml", "title: Questions\nquestions:\n"
                "  - &q {text: First question?, notes: A note}\n"
                "  - <<: *q\n    text: Second question, same note?\n")
    result = run("build", str(built.root), "--edition", "instructor")
    assert result.exit_code == 0, result.output
    assert "given twice" not in result.stderr


# --- theme.toml: every value checked by type ----------------------------------------------

def _theme(course: Course, text: str) -> None:
    course.write("templates/theme.toml", text)


def test_a_named_css_colour_is_a_colour(built: Course) -> None:
    _theme(built, "[colours]\naccent = \"blue\"\n")
    result = run("build", str(built.root))
    assert result.exit_code == 0, result.output
    from pptx import Presentation

    deck = Presentation(str(built.dist / "deck.pptx"))
    xml = b"".join(s.part.blob for s in deck.slides)
    assert b'val="0000FF"' in xml        # the part dividers' fill


@pytest.mark.parametrize("text, where, phrase", [
    ("[fonts]\nheading = 'Carlito</style><p><a href=\"javascript:alert(1)\">x</a>'\n",
     r"templates/theme\.toml:2", "font family name"),
    ("[fonts]\nheading = \"../../../outside/leak\"\n", r"templates/theme\.toml:2",
     "font family name"),
    ("[fonts]\nbody = \"/usr/share/fonts/truetype/dejavu/DejaVuSans\"\n",
     r"templates/theme\.toml:2", "font family name"),
    ("[colours]\n\naccent = \"red; } body { display: none\"\n", r"templates/theme\.toml:3",
     "expected a colour"),
    ("[colours]\naccent = \"#7A2E1F80\"\n", r"templates/theme\.toml:2", "expected a colour"),
    ("[deck]\nbody = 0\n", r"templates/theme\.toml:2", "from 12 to 48"),
    ("[deck]\ntitle = \"big\"\n", r"templates/theme\.toml:2", "size in points"),
    ("[deck]\nbodi = 20\n", r"templates/theme\.toml:2", "did you mean 'body'"),
    ("[colors]\naccent = \"red\"\n", r"templates/theme\.toml:1", "did you mean [colours]"),
    ("[colours\naccent = 1\n", r"templates/theme\.toml:1", "not valid TOML"),
])
def test_theme_tokens_are_checked(built: Course, text: str, where: str, phrase: str) -> None:
    _theme(built, text)
    before = snapshot(built.dist)
    result = run("build", str(built.root))
    fails_cleanly(result, where, phrase)
    assert snapshot(built.dist) == before
    assert "javascript" not in (built.dist / "reader.pdf").read_bytes().decode("latin-1")


def test_a_font_symlinked_outside_is_never_read(built: Course, outside: Path) -> None:
    from reader.course.theme import BUILTIN

    leak = outside / "Leak-Regular.ttf"
    shutil.copy(BUILTIN / "fonts" / "Carlito-Regular.ttf", leak)
    fonts = built.root / "templates" / "fonts"
    fonts.mkdir(parents=True)
    (fonts / "Carlito-Regular.ttf").symlink_to(leak)
    code, paths = strace_paths(["build", str(built.root), "--force"], built.root.parent)
    assert code == 1
    assert touched(paths, outside) == []


def test_a_file_that_is_not_a_font_is_a_clear_error(built: Course) -> None:
    built.write("templates/fonts/Carlito-Regular.ttf", "this is not a font\n")
    result = run("build", str(built.root))
    fails_cleanly(result, r"templates/fonts/Carlito-Regular\.ttf", "not a TrueType")


def test_replacing_a_course_font_lays_the_book_out_again(built: Course) -> None:
    """The cache key covers font files: a new file under the same name is not stale."""
    from reader.course.theme import BUILTIN

    fonts = built.root / "templates" / "fonts"
    shutil.copytree(BUILTIN / "fonts", fonts)            # the course brings its own faces
    shutil.copy(BUILTIN / "fonts.css", built.root / "templates" / "fonts.css")
    assert run("build", str(built.root)).exit_code == 0
    shutil.copy(BUILTIN / "fonts" / "Carlito-Regular.ttf", fonts / "Caladea-Regular.ttf")
    result = run("build", str(built.root), "-v")
    assert result.exit_code == 0, result.output
    assert re.search(r"chunks: [1-9]\d* laid out, 0 reused", result.output), result.output


# --- the user's machine: full disks, read-only folders ----------------------------------------

@pytest.fixture
def small_disk(tmp_path: Path):  # noqa: ANN201
    """A 6 MB file system of its own (tmpfs), so a test can fill it; skipped where mounting
    is not allowed."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount)],
                          capture_output=True)
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def _copy_course(source: Course, folder: Path) -> Course:
    shutil.copytree(source.root, folder / "course", symlinks=True)
    return Course(folder / "course")


def _fill(disk: Path, leave: int) -> None:
    free = shutil.disk_usage(disk).free
    with open(disk / "filler", "wb") as handle:
        handle.write(b"\0" * max(free - leave, 0))


def test_a_full_disk_is_a_clear_message_and_dist_is_kept(built: Course, small_disk: Path) -> None:
    course = _copy_course(built, small_disk)
    assert run("build", str(course.root)).exit_code == 0
    before = snapshot(course.dist)
    _fill(small_disk, leave=40_000)
    course.write("s/end.md", essay("Conclusion", "It ends on a full disk. " * 50))
    result = run("build", str(course.root))
    fails_cleanly(result, r"dist", "the disk is full")
    assert snapshot(course.dist) == before
    assert not [p.name for p in course.dist.iterdir() if ".tmp-" in p.name]


def test_a_read_only_course_folder_is_a_clear_message(built: Course, small_disk: Path) -> None:
    course = _copy_course(built, small_disk)
    shutil.rmtree(course.dist)
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    try:
        result = run("build", str(course.root))
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    fails_cleanly(result, r"dist", "read-only disk")


def test_an_immutable_dist_is_a_clear_message(built: Course) -> None:
    done = subprocess.run(["chattr", "+i", str(built.dist)], capture_output=True)
    if done.returncode != 0:
        pytest.skip("chattr +i is not supported here")
    try:
        before = snapshot(built.dist)
        built.write("s/end.md", essay("Conclusion", "It ends elsewhere."))
        result = run("build", str(built.root))
        fails_cleanly(result, r"dist", "may not be changed")
        assert snapshot(built.dist) == before
    finally:
        subprocess.run(["chattr", "-i", str(built.dist)], capture_output=True)


def test_an_unwritable_cache_does_not_stop_the_build(built: Course) -> None:
    shutil.rmtree(built.root / ".reader-cache", ignore_errors=True)
    built.write(".reader-cache", "a file where the cache folder would be\n")
    built.write("s/end.md", essay("Conclusion", "It ends without a cache."))
    result = run("build", str(built.root))
    assert result.exit_code == 0, result.output
    assert re.search(r"\.reader-cache: .*cache cannot be written", result.stderr), result.stderr
    assert (built.dist / "reader.pdf").stat().st_size > 0


def test_stale_temporary_files_of_a_killed_build_are_removed(built: Course) -> None:
    for name in (".deck.pptx.tmp-99999", ".reader.pdf.tmp-12345", ".deck-pages.tmp-4242"):
        built.write(f"dist/{name}", "left by kill -9")
    built.write("s/end.md", essay("Conclusion", "It ends after a crash."))
    assert run("build", str(built.root)).exit_code == 0
    assert not [p.name for p in built.dist.iterdir() if ".tmp-" in p.name]


def test_reader_new_onto_a_file_is_a_clear_message(tmp_path: Path) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("mine\n")
    result = run("new", str(target))
    fails_cleanly(result, r"notes\.txt", "is a file")
    assert target.read_text() == "mine\n"


# --- big numbers of pixels and digits ------------------------------------------------------------

def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares a size (its IHDR is valid) but holds no real picture data."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + \
            struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + \
        chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")


@pytest.mark.parametrize("width, height", [(30_000, 30_000), (9_000, 9_000)])
def test_an_enormous_image_is_refused_before_it_is_decoded(built: Course, width: int,
                                                           height: int) -> None:
    built.write("s/img/huge.png", _png_header_only(width, height))
    built.write("s/end.md", "---\ntitle: Conclusion\n---\nIt ends.\n\n![A map](img/huge.png)\n")
    result = run("build", str(built.root))
    fails_cleanly(result, r"s/end\.md:6", "megapixels")
    assert "DecompressionBomb" not in result.stderr


def _deck_template(built: Course, parts: dict[str, str]) -> None:
    """A templates/deck.pptx of these parts, named by course.yaml's deck_template."""
    import zipfile

    (built.root / "templates").mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(built.root / "templates" / "deck.pptx", "w") as z:
        for name, text in {**parts, "ppt/slideMasters/slideMaster1.xml": "<x/>",
                           "ppt/slideLayouts/slideLayout1.xml": "<x/>"}.items():
            z.writestr(name, text)
    text = (built.root / "course.yaml").read_text()
    built.manifest(text.replace("contents:", "deck_template: templates/deck.pptx\ncontents:"))


def test_a_damaged_deck_template_is_a_located_error(built: Course) -> None:
    _deck_template(built, {"[Content_Types].xml": "<Types",
                           "ppt/presentation.xml": "<p:presentation"})
    result = run("build", str(built.root))
    fails_cleanly(result, r"course\.yaml:\d+:\d+", "is damaged")


def test_a_template_python_pptx_cannot_read_is_a_located_error(built: Course) -> None:
    """Well-formed parts that are not a presentation pass the light check in `reader check`;
    the build, where python-pptx opens the file, still names course.yaml and the key."""
    _deck_template(built, {"[Content_Types].xml": "<Types/>", "_rels/.rels": "<Relationships/>",
                           "ppt/presentation.xml": "<presentation/>"})
    before = snapshot(built.dist)
    result = run("build", str(built.root))
    fails_cleanly(result, r"course\.yaml:\d+:\d+", "cannot be opened as a presentation")
    assert snapshot(built.dist) == before


@pytest.mark.parametrize("svg, phrase", [
    ('<svg xmlns="http://www.w3.org/2000/svg"><rect width="10" height="10"', "not well-formed"),
    ('<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/'
     'svg">&x;</svg>', "DOCTYPE"),
    ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
     '<image xlink:href="http://127.0.0.1:9/x.png" width="9" height="9"/></svg>', "is a URL"),
    ('<svg xmlns="http://www.w3.org/2000/svg"><image href="../../../secret.png" width="9" '
     'height="9"/></svg>', "leads outside"),
])
def test_an_svg_that_would_not_be_drawn_is_said(built: Course, svg: str, phrase: str) -> None:
    """WeasyPrint drops such an SVG without a word; reader warns (an error under --strict)."""
    built.write("s/img/figure.svg", svg)
    built.write("s/end.md",
                "---\ntitle: Conclusion\n---\nIt ends.\n\n![A figure](img/figure.svg)\n")
    result = run("build", str(built.root))
    assert result.exit_code == 0, result.output
    assert re.search(r"warning: s/end\.md:6.*figure\.svg", result.stderr), result.stderr
    assert phrase in result.stderr
    fails_cleanly(run("build", str(built.root), "--strict"), r"s/end\.md:6", phrase)
