"""Writing to dist/ without ever losing the last good build.

Every output is written to a temporary file beside its target and renamed
over it only when the whole build has succeeded; a failure, Ctrl-C or
SIGTERM removes the temporaries and leaves the previous files as they were.
A folder output (dist/web/) is staged whole in a hidden temporary folder and
swapped with the previous one in one step. A lock file keeps two builds of
one course from writing at once.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import shutil
import signal
import stat
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..errors import BuildLocked, CourseError, Location, Problem

# Files reader opens in dist/ are never followed through a symbolic link: a course folder
# from someone else could plant dist/.reader.lock -> ~/.bashrc.
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def machine_problem(exc: OSError, path: Path, root: Path | None = None) -> CourseError:
    """An OS error while writing, said as what the user can do about it (not a bug)."""
    reason = {
        errno.ENOSPC: "the disk is full; free some space and build again",
        errno.EDQUOT: "the disk quota is used up; free some space and build again",
        errno.EROFS: "the folder is on a read-only disk; copy the course somewhere writable",
        errno.EACCES: "permission denied; make the folder writable for you, or build a copy "
                      "of the course",
        errno.EPERM: "the file or folder may not be changed (read-only or immutable); make it "
                     "writable, or build a copy of the course",
    }.get(exc.errno or 0, f"{exc.strerror or exc}; check the folder and build again")
    return CourseError(Problem(Location(path, None, None, root), f"cannot write here: {reason}"))


@contextmanager
def writing(path: Path, root: Path | None = None) -> Iterator[None]:
    """Turn the machine's refusals (full disk, read-only folder...) into one clear message."""
    try:
        yield
    except OSError as exc:
        if exc.errno in (errno.ELOOP,):
            raise
        raise machine_problem(exc, Path(exc.filename) if exc.filename else path,
                              root) from None


def check_out_dir(root: Path, out_dir: Path) -> None:
    """Refuse an output folder that is, or lies behind, a symbolic link or a file.

    dist/ (and dist/CLASS/) must be plain folders inside the course; a link would make
    the build write wherever it points.
    """
    current = root
    for part in out_dir.relative_to(root).parts:
        current = current / part
        try:
            info = os.lstat(current)
        except FileNotFoundError:
            return                                    # made by the build, as a folder
        shown = current.relative_to(root).as_posix()
        if stat.S_ISLNK(info.st_mode):
            raise CourseError(Problem(Location(current, None, None, root),
                                      f"{shown} is a symbolic link; reader writes its outputs "
                                      "only into a real folder inside the course: delete the "
                                      "link (the next build makes the folder)"))
        if not stat.S_ISDIR(info.st_mode):
            raise CourseError(Problem(Location(current, None, None, root),
                                      f"{shown} is a file, not a folder; reader writes its "
                                      "outputs there: move the file away"))


def open_new(path: Path) -> int:
    """A new file for writing, never an existing one and never through a link."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o644)


def read_output(path: Path) -> bytes | None:
    """A file reader wrote into dist/ earlier, read without following a link (None if it
    is missing, or is not a plain file)."""
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return None
        return handle.read()


class Staging:
    """Collects finished outputs as temp files; ``commit`` renames them all into place."""

    def __init__(self, out_dir: Path):
        self.out_dir = out_dir
        self.pending: list[tuple[Path, Path]] = []
        self.folders: list[tuple[Path, Path]] = []
        self.sizes: dict[str, int] = {}       # every staged file by its path in out_dir
        self.rewritten: dict[str, list[str]] = {}   # folder -> files written anew

    def write(self, name: str, data: bytes) -> Path:
        target = self.out_dir / name
        temp = self.out_dir / f".{name}{TEMP_MARK}{os.getpid()}"
        self.pending.append((temp, target))    # before writing: a failure removes it too
        with writing(temp):
            self.out_dir.mkdir(parents=True, exist_ok=True)
            try:
                temp.unlink()                # a leftover of a killed build of this pid
            except FileNotFoundError:
                pass
            _write_new(temp, data)
        self.sizes[name] = len(data)
        return target

    def write_folder(self, name: str, files: dict[str, bytes]) -> Path:
        """Stage a whole folder of outputs (dist/web/), to replace the previous one.

        A file whose bytes are those of the previous build's file is not written again:
        the previous file is linked into the new folder, so it keeps its modification
        time (a web server, a sync client or an LMS upload sees only what changed).
        """
        target = self.out_dir / name
        _plain_folder_or_nothing(target, self.out_dir)
        temp = self.out_dir / f".{name}{TEMP_MARK}{os.getpid()}"
        self.folders.append((temp, target))
        written = self.rewritten.setdefault(name, [])
        with writing(temp):
            _remove_tree(temp)               # a leftover of a killed build of this pid
            temp.mkdir(parents=True)
            for relative in sorted(files):
                data = files[relative]
                if not SAFE_RELATIVE.fullmatch(relative):
                    raise ValueError(f"unsafe output name {relative!r}")
                path = temp / relative
                path.parent.mkdir(parents=True, exist_ok=True)
                if not _link_if_same(target / relative, path, data):
                    _write_new(path, data)
                    written.append(relative)
                self.sizes[f"{name}/{relative}"] = len(data)
        return target

    def commit(self) -> None:
        """All outputs or none: interrupts wait until every file is in place."""
        raise_if_interrupted()
        signals = {signal.SIGINT, signal.SIGTERM}
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, signals)
        try:
            with writing(self.out_dir):
                for temp, target in self.pending:
                    os.replace(temp, target)
                for temp, target in self.folders:
                    _swap_in(temp, target)    # temp now holds the previous folder
            self.pending.clear()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)

    def discard(self) -> None:
        for temp, _ in self.pending:
            try:
                temp.unlink()
            except OSError:
                pass
        self.pending.clear()
        for temp, _ in self.folders:
            _remove_tree(temp)
        self.folders.clear()


SAFE_RELATIVE = re.compile(r"(?:[A-Za-z0-9_][A-Za-z0-9._-]*/)*[A-Za-z0-9_][A-Za-z0-9._-]*")


def _write_new(path: Path, data: bytes) -> None:
    with os.fdopen(open_new(path), "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _link_if_same(previous: Path, new: Path, data: bytes) -> bool:
    """Link the previous build's file into the staged folder when its bytes are ``data``
    (never through a symbolic link: read_output refuses one)."""
    try:
        if os.lstat(previous).st_size != len(data):
            return False
    except OSError:
        return False
    if read_output(previous) != data:
        return False
    try:
        os.link(previous, new, follow_symlinks=False)
    except OSError:
        return False
    return True


def _plain_folder_or_nothing(path: Path, out_dir: Path) -> None:
    """A folder output may replace only a real folder (never a link or a file)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(info.st_mode):
        what = "a symbolic link" if stat.S_ISLNK(info.st_mode) else "a file"
        raise CourseError(Problem(Location(path, None, None), f"{path.name} in "
                                  f"{out_dir.name}/ is {what}, not a folder; reader writes "
                                  "an edition there: move it away"))


def _remove_tree(path: Path) -> None:
    """Remove a folder reader made (a link is removed, never followed)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(info.st_mode):
        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            os.unlink(path)
        except OSError:
            pass


def _swap_in(new: Path, target: Path) -> None:
    """Put the staged folder ``new`` at ``target`` in one step (the previous folder, if
    any, ends up at ``new``'s name and is removed): readers of ``target`` see the old
    folder or the new one, never a mixture or nothing."""
    if not os.path.lexists(target):
        os.rename(new, target)
        return
    if _exchange(new, target):
        _remove_tree(new)
        return
    # No atomic exchange on this system: two renames, the old folder set aside first.
    aside = new.with_name(new.name + ".old")
    os.rename(target, aside)
    os.rename(new, target)
    _remove_tree(aside)


def _exchange(a: Path, b: Path) -> bool:
    """Linux renameat2(RENAME_EXCHANGE): swap two names atomically. False where the
    system has no such call."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    if result == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


TEMP_MARK = ".tmp-"   # in the name of every temporary file reader writes in dist/


def remove_stale_temporaries(out_dir: Path) -> None:
    """Temporary files in dist/ left by a build that was killed (kill -9, power cut).

    Called with the build lock held, so no other build of this output folder is running
    and every temporary file there is stale.
    """
    try:
        names = os.listdir(out_dir)
    except OSError:
        return
    for name in names:
        if name.startswith(".") and TEMP_MARK in name:
            _remove_tree(out_dir / name)


@contextmanager
def staged(out_dir: Path) -> Iterator[Staging]:
    staging = Staging(out_dir)
    try:
        yield staging
        staging.commit()
    finally:
        staging.discard()


class Interrupted(BaseException):
    """Ctrl-C or SIGTERM: the build stops, cleans up, and reader exits 128 + the signal."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


_RECEIVED: list[int] = []    # the signals of this run, even those whose exception was lost


@contextmanager
def interrupts_stop_the_build() -> Iterator[None]:
    """SIGINT and SIGTERM raise Interrupted in the main thread, and are remembered.

    Remembered, because Python cannot always deliver the exception: raised inside a
    weakref callback or a __del__ it is printed ("Exception ignored in ...") and the
    program carries on. raise_if_interrupted() is called before outputs are committed and
    when a command returns, so a signal always stops the build.
    """
    def handler(signum: int, frame: object) -> None:
        _RECEIVED.append(signum)
        raise Interrupted(signum)

    _RECEIVED.clear()
    try:
        previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    except ValueError:  # not the main thread (a test runner's worker thread): leave them be
        yield
        return
    try:
        yield
        raise_if_interrupted()
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def raise_if_interrupted() -> None:
    if _RECEIVED:
        raise Interrupted(_RECEIVED[-1])


@contextmanager
def build_lock(out_dir: Path) -> Iterator[None]:
    """Hold the output folder for this build; stale temporary files are cleared once held."""
    path = out_dir / ".reader.lock"
    try:
        with writing(out_dir):
            out_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT | _NOFOLLOW, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise CourseError(Problem(Location(path, None, None), f"{path.name} in "
                                      f"{out_dir.name}/ is a symbolic link; delete it")) from None
        raise
    handle = os.fdopen(fd, "r+")
    try:
        if os.fstat(fd).st_nlink > 1:   # a hard link to a file elsewhere: never truncate it
            raise CourseError(Problem(Location(path, None, None), f"{path.name} in "
                                      f"{out_dir.name}/ is linked to another file; delete it"))
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                raise BuildLocked(f"another build of this course is running ({holder}); "
                                  "wait for it to finish, then build again") from None
            raise
        with writing(path):
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()}")
            handle.flush()
        remove_stale_temporaries(out_dir)
        yield
    finally:
        handle.close()
