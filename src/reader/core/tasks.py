"""How renderers run their heavy work: through a Runner they are given.

The renderers (pdf/, deck/) describe work as tasks (a module-level function and plain,
picklable arguments) and hand them to a Runner. Which processes run them is the
build's business (build/workers.py); a renderer never starts a process. ``InProcess``
runs tasks at once, here: for tests, and for builds where a pool would cost more than it
saves.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from concurrent.futures import Future
from typing import Any, Protocol


class Runner(Protocol):
    def submit(self, fn: Callable[..., Any], *args: Any, priority: int = 0) -> Future: ...

    def map(self, fn: Callable[..., Any], arguments: Iterable[tuple], *, priority: int = 0,
            progress: Callable[[int, int], None] | None = None) -> list[Any]: ...


class InProcess:
    """A Runner that runs each task when it is submitted, in this process."""

    def submit(self, fn: Callable[..., Any], *args: Any, priority: int = 0) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args))
        except BaseException as exc:  # noqa: BLE001 - handed to whoever waits for it
            future.set_exception(exc)
        return future

    def map(self, fn: Callable[..., Any], arguments: Iterable[tuple], *, priority: int = 0,
            progress: Callable[[int, int], None] | None = None) -> list[Any]:
        items = list(arguments)
        results = []
        for n, args in enumerate(items, 1):
            results.append(fn(*args))
            if progress is not None:
                progress(n, len(items))
        return results


def completed(futures: Collection[Future],
              progress: Callable[[int, int], None] | None = None) -> Iterator[Future]:
    """The futures as they finish, with ``progress(done, total)`` after each batch; the
    first failure is raised at once and the others are cancelled (the build is over)."""
    from concurrent.futures import FIRST_COMPLETED, wait

    pending = set(futures)
    count = 0
    while pending:
        done, pending = wait(pending, return_when=FIRST_COMPLETED)
        for future in done:
            failure = future.exception()
            if failure is not None:
                for other in pending:
                    other.cancel()
                raise failure
        yield from done
        count += len(done)
        if progress is not None:
            progress(count, len(futures))
