"""Stage 4: the command line. `reader build | check | new | permissions | watch`.

Exit codes: 0 success, 1 a problem in the course (printed with its file and
line), 2 a usage error (click's own). Heavy libraries (WeasyPrint,
python-pptx) are imported only by the commands that render.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys


def _stop_at_once(signum: int, frame: object) -> None:
    """An interrupt while reader is still starting (nothing is written yet): exit with
    the shell's status for it, without a traceback from the middle of an import."""
    raise SystemExit(128 + signum)


if __name__ == "__main__":  # `python -m reader.cli`: from before the imports below
    for _sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(_sig, _stop_at_once)

# ruff: noqa: E402 (the imports below come after the handlers on purpose)
import time
from pathlib import Path
from typing import Any

import click

from . import __version__
from .build.progress import Progress
from .errors import CourseError

COURSE_ARG = click.argument("course", required=False, default=".",
                            type=click.Path(path_type=Path))


# Commands that write dist/: their failures leave it as it was, and say so.
WRITERS = frozenset({"build"})


def _fail(error: CourseError, command: str | None) -> None:
    count = len(error.problems)
    for problem in error.problems:
        click.echo(f"error: {problem}", err=True)
    summary = [plural(count, "problem")] if count > 1 else []
    if command in WRITERS:
        summary.append("nothing in dist/ was changed")
    if summary:
        click.echo("; ".join(summary), err=True)
    sys.exit(1)


def plural(count: int, noun: str) -> str:
    """'1 part', '2 parts': counts as a person would write them."""
    if count == 1:
        return f"{count} {noun}"
    return f"{count} {noun}{'es' if noun.endswith(('s', 'x', 'ch', 'sh')) else 's'}"


def _warn(warnings) -> None:  # noqa: ANN001
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)


class ReaderGroup(click.Group):
    """Turns course problems into one clear message and an exit code, never a traceback."""

    def invoke(self, ctx: click.Context):  # noqa: ANN201
        from .build.output import Interrupted, interrupts_stop_the_build

        try:
            with interrupts_stop_the_build():
                return super().invoke(ctx)
        except CourseError as exc:
            _fail(exc, ctx.invoked_subcommand)
        except BrokenPipeError:  # output piped into `head` and closed: not an error
            sys.stderr.close()
            sys.exit(0)
        except (Interrupted, KeyboardInterrupt) as exc:
            code = exc.exit_code if isinstance(exc, Interrupted) else 130
            done = "; dist/ was left as it was" if ctx.invoked_subcommand in WRITERS else ""
            click.echo(f"{'interrupted' if code == 130 else 'terminated'}{done}", err=True)
            sys.exit(code)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except BaseException as exc:  # a bug in reader, not the user's fault
            if os.environ.get("READER_DEBUG"):
                raise
            click.echo(f"internal error: {type(exc).__name__}: {exc}\nThis is a bug in reader, "
                       "not in your course; set READER_DEBUG=1 to see the traceback.", err=True)
            sys.exit(3)


@click.group(cls=ReaderGroup)
@click.version_option(__version__, prog_name="reader")
def main() -> None:
    """Course readers (PDF) and lecture decks (PPTX) from one course.yaml."""
    from .build.quiet import quiet_libraries

    quiet_libraries()


@main.command()
@click.argument("courses", nargs=-1, type=click.Path(path_type=Path))
@click.option("--class", "class_name", metavar="NAME", help="Build one class variant into "
              "dist/NAME/.")
@click.option("--all-classes", is_flag=True, help="Build the base course and every class.")
@click.option("--edition", type=click.Choice(["student", "instructor"]),
              help="Override the manifest's edition.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--tagged", is_flag=True, help="Write a tagged, accessible PDF (PDF/UA-1).")
@click.option("--force", is_flag=True, help="Rebuild even if nothing changed.")
@click.option("-j", "--jobs", type=click.IntRange(1, 256), metavar="N",
              help="Worker processes (default: the usable cores).")
@click.option("-v", "--verbose", is_flag=True, help="Print per-stage timings and the cache's "
              "counts.")
@click.option("-q", "--quiet", is_flag=True, help="Print only problems.")
def build(courses: tuple[Path, ...], class_name: str | None, all_classes: bool,
          edition: str | None, strict: bool, tagged: bool, force: bool, jobs: int | None,
          verbose: bool, quiet: bool) -> None:
    """Render dist/reader.pdf, dist/deck.pptx and the permissions report from COURSES
    (course folders or their course.yaml; default: this folder). Several courses (or a
    quoted glob such as 'courses/*') are built one after another through one pool of
    worker processes; a course with a problem is reported and the others are built."""
    from .build.pipeline import build as run_build
    from .build.pipeline import build_many

    if class_name and all_classes:
        raise click.UsageError("give --class NAME or --all-classes, not both")
    started = time.perf_counter()
    targets = expand_courses(courses)
    options: dict[str, Any] = dict(class_name=class_name, all_classes=all_classes,
                                   edition=edition, strict=strict, tagged=tagged)
    terminal = sys.stderr.isatty() and not quiet
    if len(targets) == 1:
        report: Progress = TerminalProgress() if terminal else Progress()
        results = run_build(targets[0], force=force, jobs=jobs, report=report, **options)
        _report(results, verbose, quiet)
    else:
        outcomes = build_many(targets, force=force, jobs=jobs, report=lambda target: (
            TerminalProgress(f"{_short(target)}: ") if terminal else Progress()), **options)
        failed = 0
        for outcome in outcomes:
            if not quiet:
                click.echo(f"{_short(outcome.target)}:")
            if outcome.error is not None:
                failed += 1
                for problem in outcome.error.problems:
                    click.echo(f"error: {problem}", err=True)
                click.echo(f"{_short(outcome.target)}: not built; its dist/ was left as it "
                           "was", err=True)
            _report(outcome.results, verbose, quiet)
        if failed:
            click.echo(f"{plural(failed, 'course')} of {len(targets)} not built", err=True)
            sys.exit(1)
    if not quiet:
        click.echo(f"done in {time.perf_counter() - started:.1f}s")


def expand_courses(courses: tuple[Path, ...]) -> list[Path]:
    """The courses named on the command line: '.' by default; a pattern the shell did not
    expand ('courses/*') is expanded here, to the folders that hold a course.yaml."""
    import glob

    targets: list[Path] = []
    for course in courses or (Path("."),):
        text = str(course)
        if not course.exists() and glob.has_magic(text):
            matches = sorted(Path(m) for m in glob.glob(text))
            found = [m for m in matches if (m / "course.yaml").is_file() or
                     (m / "course.yml").is_file() or m.name in ("course.yaml", "course.yml")]
            if not found:
                raise CourseError(f"{text}: no course folder matches this pattern")
            targets.extend(found)
        else:
            targets.append(course)
    return targets


def _report(results: list, verbose: bool, quiet: bool) -> None:  # noqa: ANN001
    for result in results:
        if result.skipped:
            if not quiet:
                click.echo(f"{_short(result.out_dir)}/ is up to date (nothing changed; "
                           "--force rebuilds)")
            continue
        _warn(result.warnings)
        if not quiet:
            names = ", ".join(str(_short(p)) for p in result.outputs)
            click.echo(f"built {names}" + (f" ({result.counts})" if result.counts else ""))
        if verbose:
            stages = ", ".join(f"{k} {v:.2f}s" for k, v in result.timings.items())
            click.echo(f"  timings: {stages}")
            if result.cache is not None:
                stats = result.cache
                click.echo(f"  chunks: {len(stats.rendered)} laid out, {len(stats.reused)} "
                           f"reused, {len(stats.discarded)} discarded from the cache")
            if result.original_pages is not None:
                made, reused = result.original_pages
                click.echo(f"  original pages: {made} prepared (OCR), {reused} reused from "
                           "the cache")
            if result.web_rewritten is not None:
                click.echo(f"  web: {plural(len(result.web_rewritten), 'file')} written, the "
                           "others unchanged")
            if result.deck_cache is not None:
                deck = result.deck_cache
                click.echo(f"  slides: {len(deck.built)} items' slides made, {len(deck.reused)} "
                           f"reused, {len(deck.discarded)} discarded from the cache")


class TerminalProgress(Progress):
    """One updating line per stage on a terminal (stderr), nothing when piped; ``label``
    names the course when several are built."""

    def __init__(self, label: str = "") -> None:
        self.started = time.perf_counter()
        self.open = False
        self.label = label

    def stage(self, message: str) -> None:
        self._end_line()
        click.echo(f"  {self.label}{message} ({time.perf_counter() - self.started:.1f}s)",
                   err=True)

    def step(self, done: int, total: int, what: str) -> None:
        click.echo(f"\r  {self.label}{done}/{total} {what}", err=True, nl=False)
        self.open = done < total
        if not self.open:
            click.echo("", err=True)

    def _end_line(self) -> None:
        if self.open:
            click.echo("", err=True)
            self.open = False


def _short(path: Path) -> Path:
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


@main.command()
@COURSE_ARG
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
def check(course: Path, strict: bool) -> None:
    """Validate COURSE without rendering: manifest, item files, classes."""
    from .build.pipeline import check as run_check

    manifest, courses = run_check(course, strict)
    seen = set()
    for variant in courses:
        for warning in variant.warnings:
            if str(warning) not in seen:
                seen.add(str(warning))
                click.echo(f"warning: {warning}", err=True)
    base = courses[0]
    click.echo(f"{manifest.path.name}: ok ({plural(len(base.items), 'item')} in "
               f"{plural(len(base.parts), 'part')}, {plural(len(manifest.classes), 'class')}"
               ")")


@main.command()
@click.argument("directory", type=click.Path(path_type=Path))
def new(directory: Path) -> None:
    """Create a small course in DIRECTORY that builds as it is."""
    from .build.output import writing
    from .core.files import is_course_file

    if directory.exists() and not directory.is_dir():
        raise CourseError(f"{directory}: this is a file; choose a new folder name")
    if directory.exists() and any(is_course_file(p.name) for p in directory.iterdir()):
        raise CourseError(f"{directory}: the folder is not empty; choose a new folder")
    source = Path(__file__).parent / "scaffold"
    def kept(folder: str, names: list[str]) -> list[str]:
        """What not to copy: caches, and what the folder already has (a .gitignore)."""
        target = directory / Path(folder).relative_to(source)
        return [n for n in names if n == "__pycache__" or (target / n).is_file()]

    with writing(directory):   # a fresh git repository's .git and .gitignore are kept
        shutil.copytree(source, directory, dirs_exist_ok=True, ignore=kept)
    click.echo(f"created {directory}/course.yaml; next: reader build {directory}")


@main.command()
@COURSE_ARG
@click.option("--class", "class_name", metavar="NAME", help="Report on one class variant.")
@click.option("--since", "since", metavar="OLD.csv", type=click.Path(path_type=Path),
              help="List what changed since an earlier permissions.csv (last term's).")
def permissions(course: Path, class_name: str | None, since: Path | None) -> None:
    """Print the permissions report for every excerpt (also written as dist/permissions.csv
    and dist/permissions.xlsx)."""
    from .build.permissions import changes_since, rows
    from .build.pipeline import load_course, recorded_pages
    from .course.manifest import load_manifest

    manifest = load_manifest(course)
    model = load_course(manifest, manifest.variant(class_name))
    table = rows(model, recorded_pages(manifest, model.settings))
    if since is not None:
        _print_changes(changes_since(_read_report(since), table), since)
        return
    if not table:
        click.echo("no excerpts in this course")
        return
    for row in table:
        click.echo(_describe(row, printed=model.settings.printed))


def _read_report(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CourseError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if len(data) > 5 * 2**20:
        raise CourseError(f"{path}: is over 5 MiB; is it a permissions.csv?")
    text = data.decode("utf-8-sig", "replace")
    header = text.splitlines()[0] if text else ""
    if "item" not in header.split(","):
        raise CourseError(f"{path}: not a permissions.csv written by reader (no 'item' column)")
    return text


def _print_changes(lines: list[str], since: Path) -> None:
    if not lines:
        click.echo(f"no changes since {since.name}")
    for line in lines:
        click.echo(line)


def _describe(row: dict[str, str], printed: bool = True) -> str:
    """A reading as the lecturer checks it: what, from where, how much, on what basis."""
    where = row["reader_pages"]
    pages = (f"reader {'pp.' if '-' in where else 'p.'} {where}" if where else
             "reader pages: run 'reader build' first" if printed else
             "no printed reader ('outputs' has no pdf)")
    work = ", ".join(x for x in (row["author"], row["source_title"], row["edition"],
                                 row["publisher"], row["year"]) if x)
    if row["source_pages"]:
        work += f", pp. {row['source_pages']}"
    share = f" ({row['share']} of {row['work_pages']})" if row["share"] else ""
    used = f"{row['pages_used']} pages{share}; " if row["pages_used"] else ""
    lines = [f"{row['item']}: {row['title']}", f"  {work}",
             f"  {used}{row['words']} words; {pages}",
             f"  basis: {row['basis']}" + (f"; permission: {row['permission']}"
                                            if row["permission"] else "")]
    if row["warnings"]:
        lines.append(f"  warning: {row['warnings']}")
    return "\n".join(lines)


@main.command()
@COURSE_ARG
@click.option("--class", "class_name", metavar="NAME")
@click.option("--serve", is_flag=True, help="Serve the web edition on http://127.0.0.1:PORT/ "
              "and reload open pages after each rebuild.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="The port for --serve (0: any free port).")
def watch(course: Path, class_name: str | None, serve: bool, port: int) -> None:
    """Rebuild whenever a file of COURSE is saved; keeps running after errors."""
    from .build.watch import watch as run_watch

    run_watch(course, class_name, serve=serve, port=port)


def entry() -> None:
    """The `reader` command.

    Ctrl-C or SIGTERM at any moment make reader exit 128 + the signal: before a command
    installs its own handling (nothing has been written yet), during it (the build
    cleans up, see build.output), and after it, while the interpreter shuts down (the
    signals are blocked then, and one that arrived is reported in the exit code).
    """
    stops = {signal.SIGINT, signal.SIGTERM}

    def leave(signum: int, frame: object) -> None:
        sys.exit(128 + signum)

    for sig in stops:
        signal.signal(sig, leave)
    code: str | int | None = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, (str, int)) or exc.code is None else 1
    signal.pthread_sigmask(signal.SIG_BLOCK, stops)
    pending = signal.sigpending() & stops
    sys.exit(128 + min(pending) if pending else code)


if __name__ == "__main__":  # pragma: no cover
    entry()
