"""Where WeasyPrint runs for the assembled reader: here, or in a process started early.

``Layout`` does the reader's layout work in this process and makes its
Renderer on first use, so a rebuild that lays nothing out never imports
WeasyPrint. ``LayoutProcess`` does the same work in a child forked at the
start of a build: importing WeasyPrint (a quarter of a second, mostly cffi
parsing C declarations) then happens while this process reads the course,
which after a one-paragraph edit is most of what stands between the edit and
the finished reader.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from types import SimpleNamespace
from typing import Any, Callable

from ..errors import CourseError
from ..core.processes import child_signals, stop_child

Progress = Callable[[int, int, str], None]


def fork_is_safe() -> bool:
    """A plain single-threaded process: not a pool worker (no grandchildren), not a
    threaded host (a fork there can inherit a held lock).

    Threads are counted by the kernel (/proc/self/task), not by ``threading``: a
    host's threads started with ``_thread`` (pytest-xdist's execnet) are invisible
    to it, yet one of them freeing a Pango object through cffi holds fontconfig's
    lock without the GIL, and a child forked then hangs in its first layout.
    """
    if multiprocessing.current_process().daemon:
        return False
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return threading.active_count() == 1


class Layout:
    def __init__(self, course: Any, theme: Any, renderer: Any = None):
        self.course, self.theme, self._renderer = course, theme, renderer

    def renderer(self):  # noqa: ANN201
        if self._renderer is None:
            from .engine import Renderer

            self._renderer = Renderer(self.course, self.theme)
        return self._renderer

    def geometry(self, html: str):  # noqa: ANN201
        from .engine import probe_geometry

        return probe_geometry(self.renderer(), html)

    def chunks(self, todo: list[str], jobs: int,
               progress: Progress | None = None) -> list[tuple[bytes, int, dict, list[dict]]]:
        """Lay out chunks: the first in this process, the rest in a fork pool if worth it.

        The first layout warms what every later one reuses (cffi's parsed C types,
        hyphenation dictionaries, loaded faces), so forked workers inherit it
        instead of each paying for it again.
        """
        from . import engine

        engine.WORKER = self.renderer()
        rendered = [engine.render_chunk(todo[0])]
        if progress:
            progress(1, len(todo), "items laid out")
        rest = todo[1:]
        if len(rest) >= 3 and jobs > 1 and fork_is_safe():
            context = multiprocessing.get_context("fork")
            with context.Pool(min(jobs, len(rest)), initializer=child_signals) as pool:
                for result in pool.imap(engine.render_chunk, rest, chunksize=1):
                    rendered.append(result)
                    if progress:
                        progress(len(rendered), len(todo), "items laid out")
        else:
            for html in rest:
                rendered.append(engine.render_chunk(html))
                if progress:
                    progress(len(rendered), len(todo), "items laid out")
        return rendered

    def front(self, html: str) -> tuple[bytes, dict]:
        """The cover and contents, and what assembly needs to know of them."""
        from .engine import merged_links

        renderer = self.renderer()
        front = renderer.layout(html)
        data = front.write_pdf(**renderer.options())
        meta = {"pages": len(front.pages),
                "links": [[n, target, list(rect)] for n, target, rect in merged_links(front)],
                "contents_page": next((n for n, p in enumerate(front.pages)
                                       if "contents" in p.anchors), 1),
                "fonts": renderer.font_records(data)}
        return data, meta


class LayoutProcess:
    """A Layout in a child process, forked before the course is read.

    Requests and answers go over a pipe; the child's errors come back as
    they are (a CourseError is the user's, anything else a bug in reader).
    Used as a context manager: leaving it stops the child, whatever happened.
    """

    def __init__(self, root, settings, theme):  # noqa: ANN001
        self.root, self.settings, self.theme = root, settings, theme
        self.process = None
        self.conn = None

    def __enter__(self) -> "LayoutProcess":
        context = multiprocessing.get_context("fork")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=self._serve, args=(child,), daemon=False)
        self.process.start()
        child.close()
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if self.process is None:
            return
        if exc_type is None:  # let it finish cleanly; after an error, do not wait for it
            try:
                self.conn.send(("stop",))
            except (BrokenPipeError, OSError):
                pass
            self.process.join(timeout=2)
        self.conn.close()
        stop_child(self.process)
        self.process = None

    # --- the parent's side ------------------------------------------------------------

    def _call(self, request: tuple, progress: Progress | None = None) -> Any:
        try:
            self.conn.send(request)
            while True:
                kind, *payload = self.conn.recv()
                if kind == "progress":
                    if progress:
                        progress(*payload)
                elif kind == "ok":
                    return payload[0]
                elif kind == "error":
                    raise payload[0]
                else:
                    raise RuntimeError(f"the layout process failed:\n{payload[0]}")
        except (EOFError, BrokenPipeError, ConnectionResetError):
            raise RuntimeError("the layout process ended unexpectedly") from None

    def geometry(self, html: str):  # noqa: ANN201
        return self._call(("geometry", html))

    def chunks(self, todo: list[str], jobs: int,
               progress: Progress | None = None) -> list[tuple[bytes, int, dict, list[dict]]]:
        return self._call(("chunks", todo, jobs), progress)

    def front(self, html: str) -> tuple[bytes, dict]:
        return self._call(("front", html))

    # --- the child's side --------------------------------------------------------------

    def _serve(self, conn) -> None:  # noqa: ANN001
        child_signals()                  # before anything else: see output.child_signals
        import traceback

        self.conn.close()
        layout = Layout(SimpleNamespace(root=self.root, settings=self.settings), self.theme)
        failure: BaseException | None = None
        try:
            layout.renderer()   # WeasyPrint's import and the stylesheets, while the parent reads
        except BaseException as exc:  # noqa: BLE001 - reported with the first request
            failure = exc

        def progress(done: int, total: int, what: str) -> None:
            conn.send(("progress", done, total, what))

        while True:
            try:
                request = conn.recv()
            except (EOFError, OSError):
                return
            kind = request[0]
            if kind == "stop":
                return
            try:
                if failure is not None:
                    raise failure
                if kind == "geometry":
                    answer = layout.geometry(request[1])
                elif kind == "chunks":
                    answer = layout.chunks(request[1], request[2], progress)
                else:
                    answer = layout.front(request[1])
                conn.send(("ok", answer))
            except CourseError as exc:
                conn.send(("error", exc))
            except BaseException:  # noqa: BLE001 - the parent reports it as a bug
                conn.send(("crash", traceback.format_exc()))
