"""The reader's layout work as tasks: what a worker needs, and what it does.

Every WeasyPrint layout of the fast path (the page geometry probe, each chunk, the
front matter) and of the single-document path is a task run by the Runner the build
gives (core/tasks.py): in worker processes, or in this process. A task takes an
``EngineSpec`` (plain and picklable: the course folder, the settings, the theme) and
HTML; each worker keeps one Renderer per spec, so stylesheets are parsed once per
worker, not once per chunk.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.tasks import Runner
from ..course.manifest import Settings
from ..course.theme import Theme

Progress = Callable[[int, int, str], None]
LAYOUT_FIRST = 0     # task priority: the reader's layouts are on the build's critical path


@dataclass(frozen=True)
class EngineSpec:
    """What a worker needs to set up WeasyPrint for one course variant."""

    root: Path
    settings: Settings
    theme: Theme


_RENDERERS: dict[EngineSpec, Any] = {}   # per process: the Renderer of each spec


def renderer_for(spec: EngineSpec) -> Any:
    """This process's Renderer for ``spec`` (made on first use; a few are kept)."""
    renderer = _RENDERERS.get(spec)
    if renderer is None:
        from .engine import Renderer

        if len(_RENDERERS) >= 4:
            _RENDERERS.clear()
        renderer = _RENDERERS[spec] = Renderer(spec, spec.theme)
    return renderer


def task_probe(spec: EngineSpec, html: str) -> Any:
    from .engine import probe_geometry

    return probe_geometry(renderer_for(spec), html)


def task_strings(spec: EngineSpec, html: str) -> tuple[bytes, dict, list[dict]]:
    """The running heads' and folios' strings (furniture.py): the PDF, where each string's
    line is, and its fonts' proven originals."""
    from .furniture import read_strings

    renderer = renderer_for(spec)
    document = renderer.layout(html)
    data = document.write_pdf(**renderer.options())
    return data, read_strings(document), renderer.font_records(data)


def task_measure(spec: EngineSpec, html: str) -> dict:
    """Every data table's columns and the text block's widths (pdf/tables.py)."""
    from .tables import read_measures

    return read_measures(renderer_for(spec).layout(html))


def task_chunk(spec: EngineSpec, html: str, charts: dict[str, Any]
               ) -> tuple[bytes, int, dict, list[dict]]:
    """One chunk (its charts drawn here first), laid out and written."""
    from . import engine
    from .html import draw_charts

    engine.WORKER = renderer_for(spec)
    return engine.render_chunk(draw_charts(html, charts, spec.theme))


def task_front(spec: EngineSpec, html: str) -> tuple[bytes, dict]:
    """The cover and contents, and what assembly needs to know of them."""
    from .engine import merged_links

    renderer = renderer_for(spec)
    front = renderer.layout(html)
    data = front.write_pdf(**renderer.options())
    meta = {"pages": len(front.pages),
            "links": [[n, target, list(rect)] for n, target, rect in merged_links(front)],
            "contents_page": next((n for n, p in enumerate(front.pages)
                                   if "contents" in p.anchors), 1),
            "fonts": renderer.font_records(data)}
    return data, meta


def task_document(spec: EngineSpec, html: str, metadata: dict[str, Any],
                  charts: dict[str, Any]) -> tuple[bytes, int, dict[str, int]]:
    """The whole book as one document: its PDF, page count and each anchor's page index."""
    from .engine import anchors_by_page
    from .html import draw_charts

    renderer = renderer_for(spec)
    document = renderer.layout(draw_charts(html, charts, spec.theme))
    for key, value in metadata.items():
        setattr(document.metadata, key, value)
    return document.write_pdf(**renderer.options()), len(document.pages), \
        anchors_by_page(document)


class Layout:
    """The fast path's layout steps, run as tasks by ``runner``."""

    def __init__(self, runner: Runner, spec: EngineSpec):
        self.runner, self.spec = runner, spec

    def geometry(self, html: str) -> Any:
        return self.runner.submit(task_probe, self.spec, html, priority=LAYOUT_FIRST).result()

    def strings(self, html: str) -> tuple[bytes, dict, list[dict]]:
        return self.runner.submit(task_strings, self.spec, html, priority=LAYOUT_FIRST).result()

    def measure(self, html: str) -> dict:
        return self.runner.submit(task_measure, self.spec, html, priority=LAYOUT_FIRST).result()

    def chunks(self, todo: list[tuple[str, dict[str, Any]]], progress: Progress | None = None
               ) -> list[tuple[bytes, int, dict, list[dict]]]:
        """Lay out chunks, each given as its HTML and the charts to draw into it."""
        report = (lambda done, total: progress(done, total, "items laid out")) \
            if progress else None
        return self.runner.map(task_chunk, [(self.spec, html, charts) for html, charts in todo],
                               priority=LAYOUT_FIRST, progress=report)

    def front(self, html: str) -> tuple[bytes, dict]:
        return self.runner.submit(task_front, self.spec, html, priority=LAYOUT_FIRST).result()
