"""The pipeline: manifest -> model -> renderers -> dist, for one variant or all of them."""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..core.files import course_files
from ..core.store import Store
from ..core.yamlsource import Invalid
from ..errors import CourseError, Location, Problem
from ..course.manifest import Manifest, Settings, load_manifest
from .progress import Progress
from .output import Staging, build_lock, check_out_dir, read_output, staged
from ..course.theme import theme_for

if TYPE_CHECKING:  # the model (Markdown and all) and the renderers are imported only when a
    from ..core.tasks import Runner              # build has work to do
    from ..course.model import Course
    from ..course.pagemap import PageMap
    from ..core.store import CacheStats
    from ..deck.join import DeckStats
    from ..scans.pages import Originals


STAMP = ".reader-build.json"


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
    try:
        for folder in (manifest.root, BUILTIN):
            for relative in course_files(folder):
                try:
                    info = os.stat(folder / relative)
                except OSError:
                    continue
                digest.update(f"{relative}|{info.st_size}|{info.st_mtime_ns}\n".encode())
    except Invalid as exc:
        raise CourseError(Problem(Location(manifest.root, None, None),
                                  f"the course folder {exc}")) from None
    return digest.hexdigest()


def build_record(out_dir: Path) -> dict | None:
    """What the last build wrote beside its outputs (signature, output sizes, pages)."""
    import json

    raw = read_output(out_dir / STAMP)
    try:
        record = json.loads(raw) if raw is not None else None
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def recorded_pages(manifest: Manifest, settings: Settings) -> PageMap | None:
    """The reader's page numbers from the last build of this variant, if its inputs are
    still the ones it was built from (what `reader permissions` cites)."""
    from ..course.pagemap import PageMap

    record = build_record(out_dir_for(manifest, settings))
    if record is None or record.get("inputs") != input_signature(manifest, settings, ""):
        return None
    pages = record.get("pages")
    if not isinstance(pages, dict):
        return None
    page_map = PageMap()
    for anchor, span in pages.items():
        if isinstance(span, list) and len(span) == 2 and all(type(n) is int for n in span):
            page_map.start[anchor], page_map.pages[anchor] = span
    return page_map


def up_to_date(out_dir: Path, signature: str) -> bool:
    record = build_record(out_dir)
    if record is None or record.get("signature") != signature:
        return False
    outputs = record.get("outputs")
    return isinstance(outputs, dict) and all(
        _plain_file_size(out_dir / str(name)) == size for name, size in outputs.items())


def _plain_file_size(path: Path) -> int | None:
    """A regular file's size; None for a link, a folder or nothing (never followed)."""
    import stat

    try:
        info = os.lstat(path)
    except OSError:
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


@dataclass
class BuildResult:
    out_dir: Path
    outputs: list[Path] = field(default_factory=list)
    pages: int = 0
    slides: int = 0
    warnings: list[Problem] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    page_map: PageMap | None = None
    cache: CacheStats | None = None
    deck_cache: DeckStats | None = None
    original_pages: tuple[int, int] | None = None   # pages of originals (prepared, reused)
    skipped: bool = False
    web_rewritten: list[str] | None = None     # the web edition's files written anew

    @property
    def counts(self) -> str:
        """'43 pages, 69 slides', of what was made (a build without a reader has no pages)."""
        made = [f"{self.pages} pages" if self.page_map is not None else "",
                f"{self.slides} slides" if self.deck_cache is not None else ""]
        return ", ".join(m for m in made if m)


def out_dir_for(manifest: Manifest, settings: Settings) -> Path:
    dist = manifest.root / "dist"
    return dist / settings.class_name if settings.class_name else dist


def load_course(manifest: Manifest, settings: Settings, strict: bool = False) -> Course:
    from ..course.model import build_course

    course = build_course(manifest, settings)
    from ..course.checks import course_warnings, missing_alt_text
    from ..course.manifest import SCREEN_OUTPUTS
    from ..course.theme import theme_for

    stylesheets = theme_for(course.templates, course.root).stylesheet_problems()
    if stylesheets:
        raise CourseError(stylesheets)

    unreadable = missing_alt_text(course)
    screens = [o for o in settings.outputs if o in SCREEN_OUTPUTS]
    if unreadable and screens:
        raise CourseError([Problem(p.location, f"{p.message} (an error: this course makes "
                                               f"the {' and '.join(screens)} edition)")
                           for p in unreadable])
    course.warnings.extend(unreadable)
    course.warnings.extend(course_warnings(course))
    if strict and course.warnings:
        raise CourseError([Problem(w.location, f"{w.message} (an error under --strict)")
                           for w in course.warnings])
    return course


def build_variant(manifest: Manifest, settings: Settings, course: Course, runner: Runner, *,
                  report: Progress | None = None, signature: str | None = None,
                  strict: bool = False, store: Store | None = None) -> BuildResult:
    """Render one variant's outputs; replace dist files only if all succeeded.

    The deck's batches are handed to ``runner`` first, so that they run beside the
    reader's layouts (which go before them in its queue); the deck needs the reader's
    page numbers only at the end (finish_deck). Tables
    are measured before anything else: one too wide for the text block is a warning
    (an error under ``strict``) that says how it is printed.
    """
    from .. import pdf
    from ..deck.join import DeckJob
    from .permissions import permissions_csv, permissions_xlsx

    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = now - clock
        clock = now

    report = report or Progress()
    theme = theme_for(course.templates, course.root)
    store = store or cache_of(manifest)
    out_dir = out_dir_for(manifest, settings)
    result = BuildResult(out_dir, warnings=list(course.warnings), timings=timings)
    result.warnings.extend(cache_warning(manifest, store))
    fits = pdf.table_fits(course, theme, runner, store) if settings.printed else {}
    result.warnings.extend(_table_warnings(course, fits, strict))
    originals = None
    if any(e.original is not None for e in course.excerpts):
        from ..scans.pages import prepare

        report.stage("original pages")
        originals = prepare(course, runner, store, report.step)
        result.original_pages = (originals.prepared, originals.reused)
        for excerpt in course.excerpts:
            if excerpt.original is not None:
                excerpt.original_words = originals.words(excerpt)
        from ..course.checks import original_length_warnings

        result.warnings.extend(_strictly(originals.warnings + original_length_warnings(course),
                                         strict))
    with build_lock(out_dir), staged(out_dir) as staging:
        deck_job = DeckJob(course, theme, store, runner, priority=DECK_LATER) \
            if "pptx" in settings.outputs else None
        page_map: PageMap | None = None
        downloads: dict[str, bytes] = {}
        if settings.printed:
            report.stage(f"reader: {len(course.items)} items")
            if settings.pdf_variant:
                # Tagged and archival PDFs keep one structure tree: one document, no assembly.
                data, page_map = pdf.render_single(course, theme, runner, fits=fits,
                                                   originals=originals, store=store)
            else:
                data, page_map, result.cache = pdf.render_assembled(
                    course, theme, runner, store=store, progress=report.step, fits=fits,
                    originals=originals)
            result.pages = page_map.front_pages + page_map.body_pages
            result.page_map = page_map
            lap("pdf")
            downloads["reader.pdf"] = data
            result.outputs.append(staging.write("reader.pdf", data))
        if deck_job is not None:
            report.stage("deck")
            deck, result.slides, result.deck_cache = deck_job.result()
            downloads["deck.pptx"] = finish_deck(deck, page_map)
            result.outputs.append(staging.write("deck.pptx", downloads["deck.pptx"]))
            lap("deck")
        _screen_editions(course, theme, page_map, originals, downloads, staging, result,
                         report, lap)
        result.outputs.append(staging.write("permissions.csv",
                                            permissions_csv(course, page_map).encode("utf-8")))
        if course.excerpts:
            result.outputs.append(staging.write("permissions.xlsx",
                                                permissions_xlsx(course, page_map)))
        if signature is not None:
            staging.write(STAMP, _record(manifest, settings, signature, staging, result))
    return result


def cache_of(manifest: Manifest, *, fresh: bool = False) -> Store:
    """The course's cache (``.reader-cache/`` beside course.yaml); ``fresh``: one that
    reads only what this build writes (``--force``). A cache that cannot be written is
    found here, once, and said (``cache_warning``); the build goes on without it."""
    store = Store(manifest.root / ".reader-cache",
                  fresh=secrets.token_hex(8) if fresh else None)
    assert store.folder is not None
    probe = store.folder / f".probe-{os.getpid()}"
    try:
        store.folder.mkdir(exist_ok=True)
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        store.problem = exc.strerror or str(exc)
    return store


def cache_warning(manifest: Manifest, store: Store) -> list[Problem]:
    """Why nothing could be cached, as a warning: the build is right, only slower."""
    if store.problem is None:
        return []
    return [Problem(Location(manifest.root / ".reader-cache", None, None, manifest.root),
                    f"the cache cannot be written ({store.problem}); this build is complete, "
                    "but every build will lay the whole course out again until it can")]


DECK_LATER = 1   # task priority: the deck's work fills the gaps between the reader's layouts


def _table_warnings(course: Course, fits: dict, strict: bool) -> list[Problem]:
    """What was done to tables too wide for the text block; errors under --strict."""
    from ..course.checks import table_warnings

    return _strictly(table_warnings(course, fits), strict)


def _strictly(found: list[Problem], strict: bool) -> list[Problem]:
    """Warnings found while rendering; under --strict they stop the build."""
    if strict and found:
        raise CourseError([Problem(w.location, f"{w.message} (an error under --strict)")
                           for w in found])
    return found


def _screen_editions(course: Course, theme, page_map: PageMap | None,  # noqa: ANN001
                     originals: Originals | None, downloads: dict[str, bytes],
                     staging: Staging, result: BuildResult, report: Progress,
                     lap) -> None:  # noqa: ANN001
    """The EPUB and the web edition, when the course lists them. They cite the printed
    reader's pages (``page_map``: None when no reader is made). An excerpt taken from a
    PDF or images is given there as the text read on its pages (``originals``)."""
    outputs = course.settings.outputs
    if "epub" in outputs:
        from ..web.epub import epub_edition

        report.stage("epub")
        downloads["reader.epub"] = epub_edition(course, theme, page_map, originals)
        result.outputs.append(staging.write("reader.epub", downloads["reader.epub"]))
        lap("epub")
    if "web" in outputs:
        from ..web.site import web_edition

        report.stage("web")
        files = web_edition(course, theme, page_map, downloads, originals)
        result.outputs.append(staging.write_folder("web", files))
        result.web_rewritten = staging.rewritten["web"]
        lap("web")


def _record(manifest: Manifest, settings: Settings, signature: str, staging: Staging,
            result: BuildResult) -> bytes:
    """What the build writes beside its outputs: what it was built from, the outputs'
    sizes (the up-to-date check) and the reader's page numbers (`reader permissions`)."""
    import json

    sizes = dict(staging.sizes)
    page_map = result.page_map         # None: no reader was made, so no pages to cite
    return json.dumps({"signature": signature, "outputs": sizes,
                       "inputs": input_signature(manifest, settings, ""),
                       "pages": None if page_map is None else
                       {anchor: [page_map.start[anchor], count]
                        for anchor, count in page_map.pages.items()}}).encode()


def finish_deck(data: bytes, page_map) -> bytes:  # noqa: ANN001
    """One pass over the joined package: real page numbers over the tokens (deck.cite),
    fixed timestamps, compression (see core.zips.normalise_zip)."""
    from ..core.zips import normalise_zip
    from ..deck.cite import fill

    def transform(name: str, body: bytes) -> bytes:
        if page_map is not None and name.endswith(".xml") and b"[[reader-page:" in body:
            return fill(body, page_map)
        return body

    return normalise_zip(data, transform=transform)


def variants(manifest: Manifest, class_name: str | None, all_classes: bool,
             edition: str | None) -> list[Settings]:
    if all_classes:
        names: list[str | None] = [None, *manifest.classes]
    else:
        names = [class_name]
    return [manifest.variant(name, edition) for name in names]


@dataclass
class Plan:
    """One course's build: what to make (its variants) and whether anything changed."""

    manifest: Manifest
    settings: list[Settings]
    signatures: list[str]
    strict: bool
    force: bool = False      # make everything anew: no up-to-date check, no cache read

    @property
    def out_dirs(self) -> list[Path]:
        return [out_dir_for(self.manifest, s) for s in self.settings]

    def up_to_date(self) -> bool:
        return not self.force and \
            all(up_to_date(d, sig) for d, sig in zip(self.out_dirs, self.signatures))

    def skipped(self) -> list[BuildResult]:
        return [BuildResult(d, skipped=True) for d in self.out_dirs]


def plan(target: Path, *, class_name: str | None = None, all_classes: bool = False,
         edition: str | None = None, strict: bool = False, tagged: bool = False,
         force: bool = False) -> Plan:
    """Read a course's manifest and decide its variants: cheap, no rendering."""
    manifest = load_manifest(target)
    settings_list = variants(manifest, class_name, all_classes, edition)
    if tagged:
        from dataclasses import replace

        settings_list = [replace(s, pdf_variant="pdf/ua-1") for s in settings_list]
    for settings in settings_list:
        check_out_dir(manifest.root, out_dir_for(manifest, settings))
    signatures = [input_signature(manifest, s, f"strict={strict}") for s in settings_list]
    return Plan(manifest, settings_list, signatures, strict, force)


def run(plan: Plan, runner: Runner, report: Progress | None = None) -> list[BuildResult]:
    """Build a planned course's variants with the given workers.

    Every variant is read and checked before any is rendered: a broken class stops the
    course before anything is written.
    """
    courses = [load_course(plan.manifest, s, plan.strict) for s in plan.settings]
    store = cache_of(plan.manifest, fresh=plan.force)
    return [build_variant(plan.manifest, settings, course, runner, report=report,
                          signature=signature, strict=plan.strict, store=store)
            for settings, course, signature in zip(plan.settings, courses, plan.signatures)]


def build(target: Path, *, class_name: str | None = None, all_classes: bool = False,
          edition: str | None = None, strict: bool = False, tagged: bool = False,
          force: bool = False, jobs: int | None = None,
          report: Progress | None = None) -> list[BuildResult]:
    """Build one variant of a course, or all of them: a straight line of public calls."""
    course = plan(target, class_name=class_name, all_classes=all_classes, edition=edition,
                  strict=strict, tagged=tagged, force=force)
    if course.up_to_date():
        return course.skipped()
    from .workers import Pool

    with Pool(jobs or usable_cores()) as pool:   # its fork server warms up meanwhile
        results = run(course, pool, report)
    _warn_about_environment(results)
    return results


@dataclass
class Outcome:
    """What became of one course of a batch: its results, or the problems that stopped it."""

    target: Path
    results: list[BuildResult] = field(default_factory=list)
    error: CourseError | None = None


def build_many(targets: list[Path], *, force: bool = False, jobs: int | None = None,
               report: Callable[[Path], Progress] | None = None, **options: Any
               ) -> list[Outcome]:
    """Build several courses (a department's, at the start of term) through one pool of
    workers. A course with a problem is reported and skipped; the others are built."""
    outcomes = [Outcome(target) for target in targets]
    plans: list[tuple[Outcome, Plan]] = []
    for outcome in outcomes:
        try:
            course = plan(outcome.target, force=force, **options)
        except CourseError as exc:
            outcome.error = exc
            continue
        if course.up_to_date():
            outcome.results = course.skipped()
        else:
            plans.append((outcome, course))
    if plans:
        from .workers import Pool

        with Pool(jobs or usable_cores()) as pool:
            for outcome, course in plans:
                try:
                    outcome.results = run(course, pool, report(outcome.target)
                                          if report else None)
                except CourseError as exc:
                    outcome.error = exc
    results = [r for o in outcomes for r in o.results if not r.skipped]
    _warn_about_environment(results)
    return outcomes


def _warn_about_environment(results: list[BuildResult]) -> None:
    """What the machine lacks that makes the build slow: said once per build, not per
    variant (the first result carries it)."""
    from ..pdf.engine import subsetter_warning

    message = subsetter_warning()
    if message and results:
        results[0].warnings.append(Problem(None, message))


def usable_cores() -> int:
    """The cores this process may run on (a container's or taskset's limit included)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def check(target: Path, strict: bool = False) -> tuple[Manifest, list[Course]]:
    """Validate the manifest, every item file and every class, without rendering."""
    manifest = load_manifest(target)
    courses = [load_course(manifest, s, strict)
               for s in variants(manifest, None, True, None)]
    return manifest, courses
