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
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..errors import BuildLocked


class Staging:
    """Collects finished outputs as temp files; ``commit`` renames them all into place."""

    def __init__(self, out_dir: Path):
        self.out_dir = out_dir
        self.pending: list[tuple[Path, Path]] = []

    def write(self, name: str, data: bytes) -> Path:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        target = self.out_dir / name
        temp = self.out_dir / f".{name}.tmp-{os.getpid()}"
        with open(temp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        self.pending.append((temp, target))
        return target

    def commit(self) -> None:
        """All outputs or none: interrupts wait until every file is in place."""
        signals = {signal.SIGINT, signal.SIGTERM}
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, signals)
        try:
            for temp, target in self.pending:
                os.replace(temp, target)
            self.pending.clear()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)

    def discard(self) -> None:
        for temp, _ in self.pending:
            try:
                temp.unlink()
            except FileNotFoundError:
                pass
        self.pending.clear()


@contextmanager
def staged(out_dir: Path) -> Iterator[Staging]:
    staging = Staging(out_dir)
    try:
        yield staging
        staging.commit()
    finally:
        staging.discard()


class Interrupted(BaseException):
    """Raised from SIGTERM so that cleanup runs as it does for Ctrl-C."""


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    def handler(signum, frame):  # noqa: ANN001
        raise Interrupted()

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (e.g. a test runner's worker thread)
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def build_lock(out_dir: Path) -> Iterator[None]:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / ".reader.lock"
    handle = open(path, "a+")
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                raise BuildLocked(f"another build of this course is running ({holder}); "
                                  "wait for it to finish, then build again") from None
            raise
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        yield
    finally:
        handle.close()
