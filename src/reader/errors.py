"""User-facing errors: every problem names a file, a line and what to do.

A user's mistake must never surface as a traceback. Everything the pipeline
can blame on the course raises :class:`CourseError`, which carries one or more
:class:`Problem` records; the CLI prints them and exits 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Location:
    """A place in a course file; ``line``/``col`` are 1-based, ``None`` when unknown."""

    path: Path
    line: int | None = None
    col: int | None = None
    root: Path | None = field(default=None, compare=False)

    def display_path(self) -> str:
        """Show paths relative to the course folder: short, and what the user typed."""
        if self.root is not None:
            try:
                return self.path.relative_to(self.root).as_posix()
            except ValueError:
                pass
        return str(self.path)

    def __str__(self) -> str:
        text = self.display_path()
        if self.line is not None:
            text += f":{self.line}"
            if self.col is not None:
                text += f":{self.col}"
        return text


@dataclass(frozen=True)
class Problem:
    location: Location | None
    message: str

    def __str__(self) -> str:
        if self.location is None:
            return self.message
        return f"{self.location}: {self.message}"


class CourseError(Exception):
    """One or more problems in the user's course; never a bug in reader."""

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, (Problem, str)):
            problems = [problems if isinstance(problems, Problem) else Problem(None, problems)]
        self.problems = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class BuildLocked(CourseError):
    """Another build of the same course holds the lock."""


class Problems:
    """Collects problems so validation can report all of them at once."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, location: Location | None, message: str) -> None:
        self.items.append(Problem(location, message))

    def extend(self, error: CourseError) -> None:
        self.items.extend(error.problems)

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise CourseError(sorted(self.items, key=_problem_order))


def _problem_order(problem: Problem) -> tuple:
    loc = problem.location
    if loc is None:
        return ("", 0, 0)
    return (loc.display_path(), loc.line or 0, loc.col or 0)
