"""The build's worker processes: one pool for every task of a build.

Chunk layouts (WeasyPrint), the deck's batches (python-pptx), the front matter and
whole variants all run as tasks here; the renderers receive the pool as a plain
``submit``/``map`` interface (core.tasks.Runner) and never start a process themselves.

Workers come from a fork server (multiprocessing's "forkserver" start method) that
imports WeasyPrint and python-pptx once, before the first task arrives: each worker
starts warm, and no worker is ever forked from this process, which may have threads
(a test runner, a watcher), where forking can copy a held lock.

Why not concurrent.futures.ProcessPoolExecutor: on Python 3.11 it has no public way to
stop its workers, and a worker stuck in a layout keeps the interpreter from exiting. Here
every worker is a multiprocessing.Process with a pipe of its own: interrupts, a stuck
worker and a crashed worker all end the build at once, with the previous dist/ as it was.
Tasks have a priority, so the layouts on the reader's critical path go before the deck's
batches, which fill the gaps.
"""

from __future__ import annotations

import heapq
import itertools
import multiprocessing
import os
import signal
import threading
import traceback
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from multiprocessing.connection import Connection, wait
from typing import Any

from ..core.tasks import completed
from ..errors import CourseError

PRELOAD = ["reader.build.preload"]   # what the fork server imports before forking workers
STOP_GRACE = 2.0                     # seconds a worker gets to end after SIGTERM


class WorkerCrashed(RuntimeError):
    """A worker ended without answering (killed, out of memory, a crash in C code)."""


class TaskFailed(RuntimeError):
    """A task raised something that is not the course's fault: a bug in reader."""


def _worker(conn: Connection) -> None:
    """A worker's life: run tasks until told to stop or the build goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)     # the build handles Ctrl-C, once
    signal.signal(signal.SIGTERM, signal.SIG_DFL)    # and ends its workers with SIGTERM
    from .quiet import quiet_libraries

    quiet_libraries()
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        fn, args = message
        try:
            reply = ("ok", fn(*args))
        except CourseError as exc:
            reply = ("course", exc)
        except BaseException:  # noqa: BLE001 - reported to the build as a bug in reader
            reply = ("bug", traceback.format_exc())
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return


class _Slot:
    """One worker process and the task it is running."""

    def __init__(self, context: Any):
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker, args=(child,), daemon=True)
        self.process.start()
        child.close()
        self.future: Future | None = None


class Pool:
    """Worker processes fed from a priority queue by a dispatcher thread."""

    def __init__(self, jobs: int):
        self.jobs = max(1, jobs)
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        self._context = context
        self._queue: list[tuple[int, int, Future, Callable[..., Any], tuple]] = []
        self._order = itertools.count()
        self._lock = threading.Lock()
        self._wake_read, self._wake_write = os.pipe()
        self._closed = False
        self._slots = [_Slot(context) for _ in range(self.jobs)]
        self._thread = threading.Thread(target=self._dispatch, name="reader-pool",
                                        daemon=True)
        self._thread.start()

    # --- the build's side ------------------------------------------------------------------

    def submit(self, fn: Callable[..., Any], *args: Any, priority: int = 0) -> Future:
        """Run ``fn(*args)`` in a worker; lower ``priority`` numbers go first."""
        future: Future = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("the pool is closed")
            heapq.heappush(self._queue, (priority, next(self._order), future, fn, args))
        os.write(self._wake_write, b"x")
        return future

    def map(self, fn: Callable[..., Any], arguments: Iterable[tuple], *, priority: int = 0,
            progress: Callable[[int, int], None] | None = None) -> list[Any]:
        """``[fn(*a) for a in arguments]``, in order, run in the workers."""
        futures = [self.submit(fn, *args, priority=priority) for args in arguments]
        return collect(futures, progress)

    def close(self) -> None:
        """Stop the workers: politely when idle, with SIGTERM (then SIGKILL) when not.

        Ctrl-C or SIGTERM wait until this is done (they are blocked meanwhile), so an
        impatient second Ctrl-C cannot leave a worker behind.
        """
        blocked = {signal.SIGINT, signal.SIGTERM}
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
        try:
            self._close()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)

    def _close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            pending = [entry[2] for entry in self._queue]
            self._queue.clear()
        for future in pending:
            future.cancel()
        os.write(self._wake_write, b"x")
        self._thread.join(timeout=5)
        for slot in self._slots:
            try:
                slot.conn.send(None) if slot.future is None else None
            except (BrokenPipeError, OSError):
                pass
        for slot in self._slots:
            _stop(slot.process, busy=slot.future is not None)
            slot.conn.close()
            if slot.future is not None and not slot.future.done():
                slot.future.set_exception(WorkerCrashed("the build stopped"))
        os.close(self._wake_read)
        os.close(self._wake_write)

    def __enter__(self) -> "Pool":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the dispatcher thread -------------------------------------------------------------

    def _dispatch(self) -> None:
        while True:
            self._start_tasks()
            busy = [slot for slot in self._slots if slot.future is not None]
            waiting: list[Any] = [self._wake_read]
            for slot in busy:
                waiting += [slot.conn, slot.process.sentinel]
            ready = wait(waiting)
            if self._wake_read in ready:
                os.read(self._wake_read, 4096)
                with self._lock:
                    if self._closed:
                        return
            for slot in busy:
                if slot.conn in ready:
                    self._finish(slot)
                elif slot.process.sentinel in ready:
                    self._crashed(slot)

    def _start_tasks(self) -> None:
        with self._lock:
            for slot in self._slots:
                while slot.future is None and self._queue:
                    _, _, future, fn, args = heapq.heappop(self._queue)
                    if not future.set_running_or_notify_cancel():
                        continue
                    try:
                        slot.conn.send((fn, args))
                    except (BrokenPipeError, OSError):
                        future.set_exception(WorkerCrashed("a worker ended unexpectedly"))
                        self._replace(slot)
                        continue
                    slot.future = future

    def _finish(self, slot: _Slot) -> None:
        future, slot.future = slot.future, None
        assert future is not None
        try:
            kind, payload = slot.conn.recv()
        except (EOFError, OSError):
            future.set_exception(WorkerCrashed("a worker ended without finishing its task"))
            self._replace(slot)
            return
        if kind == "ok":
            future.set_result(payload)
        elif kind == "course":
            future.set_exception(payload)
        else:
            future.set_exception(TaskFailed(payload))

    def _crashed(self, slot: _Slot) -> None:
        future, slot.future = slot.future, None
        code = slot.process.exitcode
        if future is not None:
            future.set_exception(WorkerCrashed(f"a worker ended (exit code {code}) without "
                                               "finishing its task"))
        self._replace(slot)

    def _replace(self, slot: _Slot) -> None:
        _stop(slot.process, busy=True)
        slot.conn.close()
        with_new = _Slot(self._context)
        slot.conn, slot.process, slot.future = with_new.conn, with_new.process, None


def collect(futures: Sequence[Future], progress: Callable[[int, int], None] | None = None
            ) -> list[Any]:
    """The futures' results in order; the first failure is raised at once, and the rest
    are cancelled (the build is over)."""
    for _ in completed(futures, progress):
        pass
    return [future.result() for future in futures]


def _stop(process: multiprocessing.process.BaseProcess, busy: bool) -> None:
    """End a worker: wait briefly for an idle one, terminate a busy one, kill if needed."""
    process.join(0.5 if not busy else 0)
    if process.is_alive():
        process.terminate()
        process.join(STOP_GRACE)
    if process.is_alive():
        process.kill()
        process.join(1)
