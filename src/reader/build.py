"""The pipeline: manifest -> model -> renderers -> dist, for one variant or all of them."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .errors import CourseError, Problem
from .manifest import Manifest, Settings, load_manifest
from .model import Course, build_course
from .output import build_lock, fixed_datetime, normalise_zip, staged, terminate_as_interrupt
from .theme import theme_for

Report = Callable[[str], None]


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


def out_dir_for(manifest: Manifest, settings: Settings) -> Path:
    dist = manifest.root / "dist"
    return dist / settings.class_name if settings.class_name else dist


def load_course(manifest: Manifest, settings: Settings, strict: bool = False) -> Course:
    course = build_course(manifest, settings)
    from .checks import course_warnings

    course.warnings.extend(course_warnings(course))
    if strict and course.warnings:
        raise CourseError([Problem(w.location, f"{w.message} (an error under --strict)")
                           for w in course.warnings])
    return course


def build_variant(manifest: Manifest, settings: Settings, *, strict: bool = False,
                  report: Report = lambda s: None) -> BuildResult:
    """Render one variant's reader and deck; replace dist files only if all succeeded."""
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = now - clock
        clock = now

    course = load_course(manifest, settings, strict)
    lap("model")
    theme = theme_for(course.templates, course.root)
    out_dir = out_dir_for(manifest, settings)
    result = BuildResult(out_dir, warnings=list(course.warnings), timings=timings)
    with terminate_as_interrupt(), build_lock(out_dir), staged(out_dir) as staging:
        from . import pdf

        renderer = pdf.Renderer(course, theme)
        report(f"laying out {len(course.items)} items")
        if settings.pdf_variant:
            # Tagged and archival PDFs keep one structure tree: one document, no assembly.
            document, page_map = pdf.render_single(course, theme, renderer=renderer)
            data = document.write_pdf(**renderer.options())
            result.pages = len(document.pages)
        else:
            data, page_map, stats = pdf.render_assembled(
                course, theme, cache_folder=manifest.root / ".reader-cache", renderer=renderer)
            result.cache = stats
            result.pages = page_map.front_pages + page_map.body_pages
        result.page_map = page_map
        lap("pdf")
        if "pdf" in settings.outputs:
            result.outputs.append(staging.write("reader.pdf", data))
        if "pptx" in settings.outputs:
            report("building deck.pptx")
            from .deck import build_deck

            prs = build_deck(course, theme, page_map)
            result.slides = len(prs.slides)
            _core_properties(prs, course)
            import io

            buffer = io.BytesIO()
            prs.save(buffer)
            result.outputs.append(staging.write("deck.pptx", normalise_zip(buffer.getvalue())))
            lap("deck")
        from .permissions import permissions_csv

        result.outputs.append(staging.write("permissions.csv",
                                            permissions_csv(course, page_map).encode("utf-8")))
    return result


def _core_properties(prs, course: Course) -> None:
    s = course.settings
    props = prs.core_properties
    props.title = s.title
    props.author = s.instructor or ""
    props.subject = s.course or ""
    props.language = s.lang
    props.keywords = ", ".join(k for k in (s.course, s.term) if k)
    props.last_modified_by = "reader"
    props.revision = 1
    stamp = fixed_datetime().replace(tzinfo=None)
    props.created = props.modified = stamp
    props.last_printed = stamp


def variants(manifest: Manifest, class_name: str | None, all_classes: bool,
             edition: str | None) -> list[Settings]:
    if all_classes:
        names: list[str | None] = [None, *manifest.classes]
    else:
        names = [class_name]
    return [manifest.variant(name, edition) for name in names]


def build(target: Path, *, class_name: str | None = None, all_classes: bool = False,
          edition: str | None = None, strict: bool = False, tagged: bool = False,
          report: Report = lambda s: None) -> list[BuildResult]:
    manifest = load_manifest(target)
    settings_list = variants(manifest, class_name, all_classes, edition)
    if tagged:
        from dataclasses import replace

        settings_list = [replace(s, pdf_variant="pdf/ua-1") for s in settings_list]
    # Validate every variant before rendering any: a broken class stops the build early.
    for settings in settings_list:
        load_course(manifest, settings, strict)
    if len(settings_list) > 1:
        from .parallel import build_parallel

        return build_parallel(manifest, settings_list, strict=strict)
    return [build_variant(manifest, s, strict=strict, report=report) for s in settings_list]


def check(target: Path, strict: bool = False) -> tuple[Manifest, list[Course]]:
    """Validate the manifest, every item file and every class, without rendering."""
    manifest = load_manifest(target)
    courses = [load_course(manifest, s, strict)
               for s in variants(manifest, None, True, None)]
    return manifest, courses
