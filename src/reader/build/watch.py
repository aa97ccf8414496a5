"""`reader watch`: rebuild on every saved change, report what was rebuilt and how long it took."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

import click

from ..core.files import is_course_file
from ..errors import CourseError


def _relevant(root: Path) -> Callable[[Any, str], bool]:
    """A change matters when it touches a file of the course (core.files.is_course_file)."""
    def keep(change: Any, path: str) -> bool:
        try:
            relative = Path(path).relative_to(root).as_posix()
        except ValueError:
            return False
        return is_course_file(relative)
    return keep


def rebuild_once(course: Path, class_name: str | None) -> bool:
    from .pipeline import build

    started = time.perf_counter()
    try:
        results = build(course, class_name=class_name)
    except CourseError as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        click.echo("build failed; dist/ kept the last good files; watching for changes",
                   err=True)
        return False
    if all(result.skipped for result in results):
        click.echo("nothing to rebuild: the outputs are up to date")
        return True
    for result in results:
        for warning in result.warnings:
            click.echo(f"warning: {warning}", err=True)
        counts = f" ({result.counts})" if result.counts else ""
        click.echo(f"rebuilt {result.out_dir.name}/{counts} in "
                   f"{time.perf_counter() - started:.2f}s")
    return True


def watch(course: Path, class_name: str | None, serve: bool = False, port: int = 8000) -> None:
    from watchfiles import watch as watch_changes

    from ..course.manifest import find_manifest

    root = find_manifest(course).parent
    server = _serve(course, class_name, port) if serve else None
    try:
        _watch(course, class_name, root, server, watch_changes)
    finally:
        if server is not None:
            server.stop()


def _serve(course: Path, class_name: str | None, port: int):  # noqa: ANN202
    """The web edition of this variant on 127.0.0.1, reloaded after each rebuild."""
    from ..course.manifest import load_manifest
    from .pipeline import out_dir_for
    from .serve import Server

    manifest = load_manifest(course)
    settings = manifest.variant(class_name)
    if "web" not in settings.outputs:
        raise CourseError(f"{manifest.path.name}: 'outputs' does not list web, so there is "
                          "no web edition to serve; add web to outputs (e.g. outputs: [pdf, "
                          "pptx, web])")
    folder = out_dir_for(manifest, settings) / "web"
    try:
        server = Server(folder, port).start()
    except OSError as exc:
        raise CourseError(f"cannot serve on 127.0.0.1:{port}: {exc.strerror or exc}; choose "
                          "another --port") from None
    click.echo(f"serving {folder} at {server.url} (this machine only)")
    return server


def _watch(course: Path, class_name: str | None, root: Path, server, watch_changes) -> None:  # noqa: ANN001
    if rebuild_once(course, class_name) and server is not None:
        server.live.bump()
    ready = False
    # yield_on_timeout: the first (empty) batch says the watcher is listening.
    for changes in watch_changes(root, watch_filter=_relevant(root), debounce=300,
                                 yield_on_timeout=True, rust_timeout=400):
        if not ready:
            ready = True
            click.echo(f"watching {root} (Ctrl-C to stop)")
        if not changes:
            continue
        names = sorted({Path(p).resolve().relative_to(root).as_posix() for _, p in changes})
        click.echo(f"changed: {', '.join(names)}")
        if rebuild_once(course, class_name) and server is not None:
            server.live.bump()
