"""The pipeline: manifest -> model -> renderers -> dist, for one variant or all of them."""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import CourseError, Problem
from ..course.manifest import Manifest, Settings, load_manifest
from ..core.processes import child_signals, stop_child
from ..deck.join import normalise_zip
from .output import build_lock, staged, terminate_as_interrupt
from ..course.theme import theme_for

if TYPE_CHECKING:  # the model (Markdown and all) is imported only when a build runs
    from ..course.model import Course

class Progress:
    """What a long build tells the user as it goes; silent by default (not a terminal)."""

    def stage(self, message: str) -> None:
        pass

    def step(self, done: int, total: int, what: str) -> None:
        pass



STAMP = ".reader-build.json"
_IGNORED = {"dist", ".reader-cache", ".git", "__pycache__", ".hypothesis", ".pytest_cache"}


def input_signature(manifest: Manifest, settings: Settings, options: str) -> str:
    """Everything a build reads, by name, size and modification time: cheap to compute.

    A build whose signature matches the one recorded beside its outputs has
    nothing to do. Content hashes are not needed here: any edit changes the
    mtime, and the chunk cache (content-addressed) handles the rest.
    """
    import hashlib
    import os

    from .. import __version__
    from ..course.theme import BUILTIN

    digest = hashlib.sha256(f"{__version__}|{settings!r}|{options}".encode())
    for folder in (manifest.root, BUILTIN):
        for base, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if d not in _IGNORED and not d.startswith("."))
            for name in sorted(files):
                path = os.path.join(base, name)
                try:
                    info = os.stat(path)
                except OSError:
                    continue
                digest.update(f"{os.path.relpath(path, folder)}|{info.st_size}|"
                              f"{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def up_to_date(out_dir: Path, signature: str) -> bool:
    import json

    try:
        record = json.loads((out_dir / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if record.get("signature") != signature:
        return False
    return all((out_dir / name).is_file() and (out_dir / name).stat().st_size == size
               for name, size in record.get("outputs", {}).items())


@dataclass
class BuildResult:
    out_dir: Path
    outputs: list[Path] = field(default_factory=list)
    pages: int = 0
    slides: int = 0
    warnings: list[Problem] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    page_map: object | None = None
    cache: object | None = None
    deck_cache: object | None = None
    skipped: bool = False


def out_dir_for(manifest: Manifest, settings: Settings) -> Path:
    dist = manifest.root / "dist"
    return dist / settings.class_name if settings.class_name else dist


def load_course(manifest: Manifest, settings: Settings, strict: bool = False) -> Course:
    from ..course.model import build_course

    course = build_course(manifest, settings)
    from ..course.checks import course_warnings

    course.warnings.extend(course_warnings(course))
    if strict and course.warnings:
        raise CourseError([Problem(w.location, f"{w.message} (an error under --strict)")
                           for w in course.warnings])
    return course


def build_variant(manifest: Manifest, settings: Settings, *, strict: bool = False,
                  report: Progress | None = None, signature: str | None = None,
                  course: Course | None = None, layout=None) -> BuildResult:  # noqa: ANN001
    """Render one variant's reader and deck; replace dist files only if all succeeded.

    ``course``: the variant's model when the caller has already loaded (validated) it.
    """
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = now - clock
        clock = now

    report = report or Progress()
    course = course or load_course(manifest, settings, strict)
    lap("model")
    theme = theme_for(course.templates, course.root)
    out_dir = out_dir_for(manifest, settings)
    result = BuildResult(out_dir, warnings=list(course.warnings), timings=timings)
    with terminate_as_interrupt(), build_lock(out_dir), staged(out_dir) as staging, \
            DeckInBackground(course, theme, out_dir, "pptx" in settings.outputs,
                             manifest.root / ".reader-cache") as deck_job:
        from .. import pdf

        report.stage(f"reader: {len(course.items)} items")
        if settings.pdf_variant:
            # Tagged and archival PDFs keep one structure tree: one document, no assembly.
            renderer = pdf.Renderer(course, theme)
            document, page_map = pdf.render_single(course, theme, renderer=renderer)
            data = document.write_pdf(**renderer.options())
            result.pages = len(document.pages)
        else:
            # A layout worker per core. The deck's process runs beside them: it is done
            # early (cached items, batches of 60 items), so it costs little time or memory.
            data, page_map, stats = pdf.render_assembled(
                course, theme, cache_folder=manifest.root / ".reader-cache",
                progress=report.step, jobs=os.cpu_count() or 1, placed=deck_job.pages_known,
                layout=layout)
            result.cache = stats
            result.pages = page_map.front_pages + page_map.body_pages
        result.page_map = page_map
        lap("pdf")
        if "pdf" in settings.outputs:
            result.outputs.append(staging.write("reader.pdf", data))
        if "pptx" in settings.outputs:
            report.stage("deck")
            deck, result.slides, result.deck_cache = deck_job.result(page_map)
            result.outputs.append(staging.write("deck.pptx", deck))
            lap("deck")
        from .permissions import permissions_csv

        result.outputs.append(staging.write("permissions.csv",
                                            permissions_csv(course, page_map).encode("utf-8")))
        if signature is not None:
            import json

            sizes = {}
            for path in result.outputs:
                temp = next(t for t, target in staging.pending if target == path)
                sizes[path.name] = temp.stat().st_size
            record = {"signature": signature, "outputs": sizes}
            staging.write(STAMP, json.dumps(record).encode())
    return result


PAGE_TOKEN = re.compile(rb"\[\[reader-page:([A-Za-z0-9_-]+)\]\]")


def finish_deck(data: bytes, page_map) -> bytes:  # noqa: ANN001
    """One pass over the joined package: real page numbers over the tokens, fixed
    timestamps, compression (see deck.join.normalise_zip)."""
    def fill(name: str, body: bytes) -> bytes:
        if page_map is not None and name.endswith(".xml") and b"[[reader-page:" in body:
            return PAGE_TOKEN.sub(
                lambda m: str(page_map.start.get(m.group(1).decode(), "")).encode(), body)
        return body

    return normalise_zip(data, transform=fill)


class DeckInBackground:
    """Builds the deck in a forked process while the reader is laid out.

    The deck needs the reader's page numbers only for its "Reader p. N" lines,
    so the child writes tokens there. As soon as the reader's chunks are
    placed, the parent sends the page numbers (``pages_known``) and the child
    fills them in and compresses the deck while the parent assembles the PDF.
    Where forking is not safe (a threaded host, a worker process) the deck is
    built afterwards, in this process.
    """

    def __init__(self, course: Course, theme, out_dir: Path, wanted: bool,  # noqa: ANN001
                 cache_folder: Path | None = None):
        self.course, self.theme, self.out_dir, self.wanted = course, theme, out_dir, wanted
        self.cache_folder = cache_folder
        self.process = None
        self.pages_sent = False
        self.path = out_dir / f".deck.pptx.tmp-{os.getpid()}-child"
        self._pages_file = out_dir / f".deck-pages.tmp-{os.getpid()}"

    def __enter__(self) -> "DeckInBackground":
        import multiprocessing

        from ..pdf.layout import fork_is_safe

        if self.wanted and fork_is_safe():
            context = multiprocessing.get_context("fork")
            self._receiver, self._sender = context.Pipe(duplex=False)
            self.process = context.Process(target=self._child, daemon=True)
            self.process.start()
            self._receiver.close()
        return self

    def _child(self) -> None:
        child_signals()                  # before anything else: see core.processes.child_signals
        import json

        from ..deck.join import render_deck, trim_memory
        from ..course.pagemap import PageMap

        self._sender.close()
        data, slides, stats = render_deck(self.course, self.theme, self.cache_folder)
        trim_memory()  # it waits for the reader's page numbers: hold only the deck
        try:
            self._receiver.recv()
            page_map = PageMap(start=json.loads(self._pages_file.read_text(encoding="utf-8")))
        except (EOFError, OSError, ValueError):  # the build stopped before the reader was placed
            return
        data = finish_deck(data, page_map)
        head = json.dumps({"slides": slides, "stats": vars(stats)}).encode()
        temp = self.path.with_name(self.path.name + "-part")
        temp.write_bytes(len(head).to_bytes(4, "big") + head + data)
        os.replace(temp, self.path)

    def pages_known(self, page_map) -> None:  # noqa: ANN001
        """Hand the child the page numbers: through a file, so that the pipe (64 KiB) never
        blocks this process on a reader of thousands of items; the pipe only says so."""
        if self.process is not None and not self.pages_sent:
            self.pages_sent = True
            try:
                import json

                self._pages_file.write_text(json.dumps(page_map.start), encoding="utf-8")
                self._sender.send(True)
            except (BrokenPipeError, OSError):  # the child failed: result() builds the deck
                pass

    def result(self, page_map) -> tuple[bytes, int, object]:  # noqa: ANN001
        import json

        from ..deck.join import DeckStats, render_deck

        if self.process is not None:
            self.pages_known(page_map)
            self.process.join()
            if self.process.exitcode == 0 and self.path.exists():
                raw = self.path.read_bytes()
                size = int.from_bytes(raw[:4], "big")
                head = json.loads(raw[4:4 + size])
                return raw[4 + size:], head["slides"], DeckStats(**head["stats"])
        data, slides, stats = render_deck(self.course, self.theme, self.cache_folder)
        return finish_deck(data, page_map), slides, stats

    def __exit__(self, *exc) -> None:  # noqa: ANN002
        if self.process is not None:
            self._sender.close()           # a child waiting for page numbers sees the end
            stop_child(self.process)
        for path in (self.path, self.path.with_name(self.path.name + "-part"),
                     self._pages_file):
            try:
                path.unlink()
            except FileNotFoundError:
                pass


def variants(manifest: Manifest, class_name: str | None, all_classes: bool,
             edition: str | None) -> list[Settings]:
    if all_classes:
        names: list[str | None] = [None, *manifest.classes]
    else:
        names = [class_name]
    return [manifest.variant(name, edition) for name in names]


def build(target: Path, *, class_name: str | None = None, all_classes: bool = False,
          edition: str | None = None, strict: bool = False, tagged: bool = False,
          force: bool = False, report: Progress | None = None) -> list[BuildResult]:
    manifest = load_manifest(target)
    settings_list = variants(manifest, class_name, all_classes, edition)
    if tagged:
        from dataclasses import replace

        settings_list = [replace(s, pdf_variant="pdf/ua-1") for s in settings_list]
    options = f"strict={strict}"
    signatures = [input_signature(manifest, s, options) for s in settings_list]
    if not force and all(up_to_date(out_dir_for(manifest, s), sig)
                         for s, sig in zip(settings_list, signatures)):
        return [BuildResult(out_dir_for(manifest, s), skipped=True) for s in settings_list]
    if len(settings_list) > 1:
        # Validate every variant before rendering any: a broken class stops the build early.
        for settings in settings_list:
            load_course(manifest, settings, strict)
        from .parallel import build_parallel

        results = build_parallel(manifest, settings_list, signatures, strict=strict)
    else:
        settings, signature = settings_list[0], signatures[0]
        with _early_layout(manifest, settings) as layout:
            course = load_course(manifest, settings, strict)
            results = [build_variant(manifest, settings, strict=strict, report=report,
                                     signature=signature, course=course, layout=layout)]
    _warn_about_environment(results)
    return results


def _warn_about_environment(results: list[BuildResult]) -> None:
    """What the machine lacks that makes the build slow: said once per build, not per
    variant (the first result carries it)."""
    from ..pdf.engine import subsetter_warning

    message = subsetter_warning()
    if message and results:
        results[0].warnings.append(Problem(None, message))


def _early_layout(manifest: Manifest, settings: Settings):  # noqa: ANN202
    """A LayoutProcess that imports WeasyPrint while the course is read, where that helps.

    That is a rebuild (a chunk cache exists): after an edit, WeasyPrint's import
    is a fifth of the build, and reading the course hides most of it. A cold
    build is all layout: there the extra process hop measured slower (10 items:
    1.65 s against 1.60 s). Tagged PDFs take the single-document path, and a
    threaded host or a pool worker must not fork.
    """
    import contextlib

    from ..pdf.layout import LayoutProcess, fork_is_safe

    rebuild = (manifest.root / ".reader-cache" / "chunks").is_dir()
    if settings.pdf_variant or not rebuild or not fork_is_safe():
        return contextlib.nullcontext()
    try:
        theme = theme_for(manifest.templates, manifest.root)
    except CourseError:  # reported where it always is, after the course's own problems
        return contextlib.nullcontext()
    return LayoutProcess(manifest.root, settings, theme)


def check(target: Path, strict: bool = False) -> tuple[Manifest, list[Course]]:
    """Validate the manifest, every item file and every class, without rendering."""
    manifest = load_manifest(target)
    courses = [load_course(manifest, s, strict)
               for s in variants(manifest, None, True, None)]
    return manifest, courses
