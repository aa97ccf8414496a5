"""Stage 4: the command line. `reader build | check | new | permissions | watch`.

Exit codes: 0 success, 1 a problem in the course (printed with its file and
line), 2 a usage error (click's own). Heavy libraries (WeasyPrint,
python-pptx) are imported only by the commands that render.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import click

from . import __version__
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
    quiet_library_warnings()


def quiet_library_warnings() -> None:
    """Libraries' own warnings (Pillow's DecompressionBombWarning, matplotlib's font notes)
    are not for a lecturer: whatever matters is said by reader as a located warning or
    error. READER_DEBUG=1 shows them."""
    if not os.environ.get("READER_DEBUG"):
        import warnings

        warnings.simplefilter("ignore")


@main.command()
@COURSE_ARG
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
def build(course: Path, class_name: str | None, all_classes: bool, edition: str | None,
          strict: bool, tagged: bool, force: bool, jobs: int | None, verbose: bool,
          quiet: bool) -> None:
    """Render dist/reader.pdf and dist/deck.pptx from COURSE (a folder or course.yaml)."""
    from .build.pipeline import build as run_build

    if class_name and all_classes:
        raise click.UsageError("give --class NAME or --all-classes, not both")
    started = time.perf_counter()
    from .build.pipeline import Progress

    report = TerminalProgress() if (sys.stderr.isatty() and not quiet) else Progress()
    results = run_build(course, class_name=class_name, all_classes=all_classes,
                        edition=edition, strict=strict, tagged=tagged, force=force,
                        jobs=jobs, report=report)
    for result in results:
        if result.skipped:
            if not quiet:
                click.echo(f"{_short(result.out_dir)}/ is up to date (nothing changed; "
                           "--force rebuilds)")
            continue
        _warn(result.warnings)
        if not quiet:
            names = ", ".join(str(_short(p)) for p in result.outputs)
            click.echo(f"built {names} ({result.pages} pages, {result.slides} slides)")
        if verbose:
            stages = ", ".join(f"{k} {v:.2f}s" for k, v in result.timings.items())
            click.echo(f"  timings: {stages}")
            if result.cache is not None:
                stats = result.cache
                click.echo(f"  chunks: {len(stats.rendered)} laid out, {len(stats.reused)} "
                           f"reused, {len(stats.discarded)} discarded from the cache")
            if result.web_rewritten is not None:
                click.echo(f"  web: {plural(len(result.web_rewritten), 'file')} written, the "
                           "others unchanged")
            if result.deck_cache is not None:
                deck = result.deck_cache
                click.echo(f"  slides: {len(deck.built)} items' slides made, {len(deck.reused)} "
                           f"reused, {len(deck.discarded)} discarded from the cache")
    if not quiet:
        click.echo(f"done in {time.perf_counter() - started:.1f}s")


class TerminalProgress:
    """One updating line per stage on a terminal (stderr), nothing when piped."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.open = False

    def stage(self, message: str) -> None:
        self._end_line()
        click.echo(f"  {message} ({time.perf_counter() - self.started:.1f}s)", err=True)

    def step(self, done: int, total: int, what: str) -> None:
        click.echo(f"\r  {done}/{total} {what}", err=True, nl=False)
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

    if directory.exists() and not directory.is_dir():
        raise CourseError(f"{directory}: this is a file; choose a new folder name")
    if directory.exists() and any(directory.iterdir()):
        raise CourseError(f"{directory}: the folder is not empty; choose a new folder")
    source = Path(__file__).parent / "scaffold"
    with writing(directory):
        shutil.copytree(source, directory, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__"))
    click.echo(f"created {directory}/course.yaml; next: reader build {directory}")


@main.command()
@COURSE_ARG
@click.option("--class", "class_name", metavar="NAME", help="Report on one class variant.")
def permissions(course: Path, class_name: str | None) -> None:
    """Print the permissions report for every excerpt (also written as dist/permissions.csv)."""
    from .build.pipeline import load_course, recorded_pages
    from .course.manifest import load_manifest
    from .build.permissions import rows

    manifest = load_manifest(course)
    model = load_course(manifest, manifest.variant(class_name))
    page_map = recorded_pages(manifest, model.settings)
    table = rows(model, page_map)
    if not table:
        click.echo("no excerpts in this course")
        return
    for row in table:
        where = row["reader_pages"]
        pages = (f"reader {'pp.' if '-' in where else 'p.'} {where}" if where else
                 "reader pages: run 'reader build' first")
        click.echo(f"{row['item']}: {row['title']}\n  {row['author']}, {row['source_title']}"
                   f"{', ' + row['publisher'] if row['publisher'] else ''}"
                   f"{', ' + row['year'] if row['year'] else ''}"
                   f"{', pp. ' + row['source_pages'] if row['source_pages'] else ''}\n"
                   f"  {row['words']} words; {pages}"
                   f"{chr(10) + '  permission: ' + row['permission'] if row['permission'] else ''}")
        if row["warnings"]:
            click.echo(f"  warning: {row['warnings']}")


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
    import signal

    stops = {signal.SIGINT, signal.SIGTERM}

    def leave(signum: int, frame: object) -> None:
        sys.exit(128 + signum)

    for sig in stops:
        signal.signal(sig, leave)
    try:
        main()
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    signal.pthread_sigmask(signal.SIG_BLOCK, stops)
    pending = signal.sigpending() & stops
    sys.exit(128 + min(pending) if pending else code)


if __name__ == "__main__":  # pragma: no cover
    entry()
