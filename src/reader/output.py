"""Writing to dist/ without ever losing the last good build.

Every output is written to a temporary file beside its target and renamed
over it only when the whole build has succeeded; a failure, Ctrl-C or
SIGTERM removes the temporaries and leaves the previous files as they were.
A lock file keeps two builds of one course from writing at once.
"""

from __future__ import annotations

import datetime
import errno
import fcntl
import io
import os
import re
import signal
import sys
import zipfile
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from .errors import BuildLocked


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


def child_signals() -> None:
    """First thing in every child process: leave interrupts to the parent, which cleans up
    and reports once, and end with it (Linux: the kernel sends SIGTERM if the parent dies).

    A child inherits the parent's SIGTERM handler (terminate_as_interrupt); until this
    runs, a SIGTERM from the parent would raise in the child instead of ending it.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


def stop_child(process, grace: float = 5.0) -> None:  # noqa: ANN001
    """Terminate a child process and reap it; kill it if it does not end in time."""
    if process.is_alive():
        process.terminate()
        process.join(grace)
        if process.is_alive():
            process.kill()
    process.join()


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


def fixed_datetime() -> datetime.datetime:
    """SOURCE_DATE_EPOCH when set, else a fixed date: same inputs, same bytes."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    seconds = int(epoch) if epoch.isdigit() else 315532800  # 1980-01-01, zip's epoch
    return datetime.datetime.fromtimestamp(max(seconds, 315532800), tz=datetime.timezone.utc)


def normalise_zip(data: bytes, transform: Callable[[str, bytes], bytes] | None = None) -> bytes:
    """Rewrite a zip (the .pptx) with fixed timestamps so identical decks are identical bytes.

    Charts embed their data as .xlsx workbooks (zips again, with their own
    creation dates), so those are normalised too.
    """
    moment = fixed_datetime()
    stamp = moment.timetuple()[:6]
    iso = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info.filename)
            if transform is not None:
                body = transform(info.filename, body)
            if info.filename.endswith(".xlsx"):
                body = normalise_zip(body)
            elif info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*",
                              lambda m: m.group(1) + iso.encode(), body)
            clean = zipfile.ZipInfo(info.filename, date_time=stamp)
            clean.compress_type = zipfile.ZIP_DEFLATED
            clean.external_attr = 0o644 << 16
            target.writestr(clean, body)
    return out.getvalue()
