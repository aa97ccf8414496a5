"""Containment: every file a course names must lie inside the course folder.

Checked on the resolved path, so `..`, absolute paths and symlinks that point
outside are all refused the same way, before anything is read.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

from .yamlsource import Invalid

MAX_TEXT_BYTES = 5 * 1024 * 1024
MAX_BINARY_BYTES = 25 * 1024 * 1024

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def inside(root: Path, candidate: Path) -> bool:
    """True when ``candidate`` (after resolving symlinks) is ``root`` or below it."""
    try:
        Path(os.path.realpath(candidate)).relative_to(os.path.realpath(root))
    except ValueError:
        return False
    return True


def resolve_in_course(root: Path, base_dir: Path, raw: str, *, must_exist: bool = True,
                      want_dir: bool = False) -> Path:
    """Turn a path written in the course into an absolute path inside ``root``."""
    if not isinstance(raw, str) or not raw.strip():
        raise Invalid("expected a relative file path")
    raw = raw.strip()
    if _SCHEME.match(raw) and not re.match(r"^[a-zA-Z]:[\\/]", raw):
        raise Invalid(f"'{raw}' is a URL; reader only reads files inside the course folder "
                      "(no network, no file: URLs); copy the file into the course")
    if raw.startswith(("/", "\\")) or re.match(r"^[a-zA-Z]:[\\/]", raw):
        raise Invalid(f"'{raw}' is an absolute path; write it relative to the course folder")
    candidate = base_dir / raw
    if not inside(root, candidate):
        raise Invalid(f"'{raw}' leads outside the course folder; only files inside "
                      f"{root.name}/ may be used")
    if not is_course_file(course_relative(root, candidate)):
        raise Invalid(f"'{raw}' is a hidden, temporary or output file, which is not part of "
                      "the course; rename it (no leading '.') or move it out of dist/")
    if must_exist:
        if not candidate.exists():
            raise Invalid(f"'{raw}' does not exist (looked for {_show(root, candidate)})")
        if want_dir and not candidate.is_dir():
            raise Invalid(f"'{raw}' is not a folder")
        if not want_dir and not candidate.is_file():
            raise Invalid(f"'{raw}' is not a file")
    return Path(os.path.realpath(candidate))


class BadText(Invalid):
    """A file that cannot be read as text; ``line`` is where, when known."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


def read_text(path: Path, limit: int = MAX_TEXT_BYTES) -> str:
    """Read a course text file as UTF-8, refusing huge or binary files with a clear reason."""
    size = path.stat().st_size
    if size > limit:
        raise BadText(f"is {size / 2**20:.1f} MiB; reader accepts text files up to "
                      f"{limit / 2**20:.0f} MiB; split it into several items")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise BadText("is not UTF-8 text (a byte on this line is not UTF-8); save it as UTF-8",
                      line) from None
    if "\x00" in text:
        raise BadText("contains NUL bytes; is it a binary file?",
                      text[: text.index("\x00")].count("\n") + 1)
    control = CONTROL.search(text)
    if control:
        raise BadText(f"contains an invisible control character (U+{ord(control.group()):04X}),"
                      " often pasted from another program; delete it",
                      text[: control.start()].count("\n") + 1)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _show(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def course_relative(root: Path, path: Path) -> str:
    """The stable, slash-separated name of a course file (used for skip lists and cache keys)."""
    return Path(os.path.realpath(path)).relative_to(os.path.realpath(root)).as_posix()


# --- which files are the course -------------------------------------------------------------

# Folders at the course's top that reader itself writes: never inputs.
OUTPUT_FOLDERS = frozenset({"dist", ".reader-cache"})
# Folders anywhere that belong to tools, not to the course.
TOOL_FOLDERS = frozenset({"__pycache__", "node_modules"})
# Editors' and office suites' temporary, backup and lock files (vim, emacs, JetBrains, Kate,
# LibreOffice, Word, browsers' partial downloads).
_SCRATCH = re.compile(r"""(
      ~$ | \.sw[a-p]$ | \.tmp$ | \.bak$ | \.kate-swp$ | \.crdownload$ | \.part$
    | ___jb_(tmp|old)___$ | ^\#.*\#$ | ^~\$ | ^4913$
)""", re.X)


def is_course_file(relative: str) -> bool:
    """True when a path (relative to the course folder, '/'-separated) is part of the course.

    The one rule for "which files are the course", used by the up-to-date check and by
    `reader watch`: hidden files and folders (.git, .vscode, editor locks), reader's own
    output and cache, tool folders and editors' scratch files are not. A course may not
    name such a file as an item, a table's data or an image either (resolve_in_course).
    """
    parts = relative.split("/")
    if parts[0] in OUTPUT_FOLDERS:
        return False
    return not any(part.startswith(".") or part in TOOL_FOLDERS for part in parts) and \
        not _SCRATCH.search(parts[-1])


MAX_COURSE_FILES = 50_000


def course_files(root: Path) -> Iterator[str]:
    """Every file of the course, by relative path, in a stable order (see is_course_file).

    Symlinked folders are not followed. Bounded: a folder of more than MAX_COURSE_FILES
    files is not a course (e.g. a build started in a home folder) and is refused.
    """
    count = 0
    for base, dirs, files in os.walk(root):
        rel_base = os.path.relpath(base, root)
        prefix = "" if rel_base == "." else rel_base.replace(os.sep, "/") + "/"
        dirs[:] = sorted(d for d in dirs if is_course_file(prefix + d))
        for name in sorted(files):
            relative = prefix + name
            if is_course_file(relative):
                count += 1
                if count > MAX_COURSE_FILES:
                    raise Invalid(f"holds more than {MAX_COURSE_FILES:,} files; is this the "
                                  "course folder? Build the folder that holds course.yaml")
                yield relative
