"""`reader watch`: rebuild on every saved change, report what was rebuilt and how long it took."""

from __future__ import annotations

import time
from pathlib import Path

import click

from ..errors import CourseError


def _relevant(root: Path):
    ignored = {"dist", ".reader-cache", ".git", "__pycache__"}

    def keep(change, path: str) -> bool:  # noqa: ANN001
        rel = Path(path).resolve().relative_to(root)
        return not (set(rel.parts) & ignored) and not rel.name.startswith((".", "~")) \
            and not rel.name.endswith(("~", ".swp", ".tmp"))
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
    for result in results:
        for warning in result.warnings:
            click.echo(f"warning: {warning}", err=True)
        click.echo(f"rebuilt {result.out_dir.name}/ ({result.pages} pages, {result.slides} "
                   f"slides) in {time.perf_counter() - started:.2f}s")
    return True


def watch(course: Path, class_name: str | None) -> None:
    from watchfiles import watch as watch_changes

    from ..course.manifest import find_manifest

    root = find_manifest(course).parent
    rebuild_once(course, class_name)
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
        rebuild_once(course, class_name)
