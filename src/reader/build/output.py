"""Writing to dist/ without ever losing the last good build.

Every output is written to a temporary file beside its target and renamed
over it only when the whole build has succeeded; a failure, Ctrl-C or
SIGTERM removes the temporaries and leaves the previous files as they were.
A lock file keeps two builds of one course from writing at once.
"""

from __future__ import annotations

import errno
import fcntl
import os
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
            with os.fdopen(open_new(temp), "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
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
            try:
                os.unlink(out_dir / name)
            except OSError:
                pass


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
