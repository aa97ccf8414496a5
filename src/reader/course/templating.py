"""Templates that can print the course and nothing else.

A course's ``templates/`` may override the theme's templates, and a course folder is
untrusted: its templates must not reach a file, a process or reader's own objects. Two
rules make that so, for every renderer's templates (the reader's, the screen
editions'):

- they receive plain data only: strings, numbers, booleans, lists and dicts (the view,
  course/view.py), checked before every render (``check_plain``);
- they run in ``PlainSandbox``: Jinja2's sandbox (no attribute that starts with an
  underscore, no mutating method), which moreover refuses every call that is not
  explicitly allowed: the template's own macros, ``range`` (capped), the loop's helpers,
  and a few methods of text, lists and dicts that only read. The globals that could be
  turned into tricks (``cycler``, ``joiner``, ``namespace``, ``lipsum``, ``dict``) are gone.

Errors are the course's and are located: a syntax error at its line; an error while a
template runs at the line of the template frame it was raised in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import BaseLoader, StrictUndefined, TemplateError
from jinja2.runtime import LoopContext, Macro
from jinja2.sandbox import SandboxedEnvironment, safe_range

from ..errors import CourseError, Location, Problem
from .view import check_plain

# Methods a template may call on plain values: they read, never change or reach out.
READING_METHODS: dict[type, frozenset[str]] = {
    str: frozenset({"lower", "upper", "title", "capitalize", "strip", "lstrip", "rstrip",
                    "startswith", "endswith", "replace", "split", "rsplit", "join", "count",
                    "find", "isdigit", "isalpha", "splitlines"}),
    dict: frozenset({"get", "items", "keys", "values"}),
    list: frozenset({"count", "index"}),
    tuple: frozenset({"count", "index"}),
}
LOOP_METHODS = frozenset({"cycle", "changed"})
REMOVED_GLOBALS = ("cycler", "joiner", "namespace", "lipsum", "dict")
# Filters whose numeric arguments make text or lists of any size ("x"|center(10**9)).
REMOVED_FILTERS = ("center", "format", "indent", "wordwrap", "truncate", "slice", "batch",
                   "filesizeformat", "pprint", "urlize", "xmlattr", "random")
MAX_STEPS = 200_000          # range() items per render: loops over the course are its size
MAX_SIZE = 100_000           # items or characters a "*" may make
MAX_OUTPUT = 50_000_000      # characters a render may produce


class TemplateBudget(Exception):
    """A template asked for more work than any course needs (a loop or string bomb)."""


class PlainSandbox(SandboxedEnvironment):
    """Jinja2's sandbox, refusing every call that is not explicitly allowed, and with a
    budget: ``range`` counts the items it hands out over a whole render, ``*`` and ``**``
    may not make huge values, and a render may not write more than MAX_OUTPUT."""

    intercepted_binops = frozenset({"*", "**"})

    def __init__(self, loader: BaseLoader):
        super().__init__(loader=loader, autoescape=True, undefined=StrictUndefined)
        for name in REMOVED_GLOBALS:
            self.globals.pop(name, None)
        for name in REMOVED_FILTERS:
            self.filters.pop(name, None)
        self.steps = 0
        self.globals["range"] = self._range

    def _range(self, *args: int) -> range:
        numbers = safe_range(*args)
        self.steps += len(numbers)
        if self.steps > MAX_STEPS:
            raise TemplateBudget(f"the template's loops ran over {MAX_STEPS:,} steps")
        return numbers

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            if not isinstance(left, (int, float)) or not isinstance(right, (int, float)) or \
                    abs(right) > 64 or abs(left) > 10**6:
                raise TemplateBudget("the template raises a number to too high a power")
        elif isinstance(left, (str, list, tuple)) or isinstance(right, (str, list, tuple)):
            sized, times = (left, right) if isinstance(left, (str, list, tuple)) else \
                (right, left)
            if isinstance(times, int) and len(sized) * times > MAX_SIZE:
                raise TemplateBudget(f"the template makes a value of over {MAX_SIZE:,} "
                                     "items or characters")
        return super().call_binop(context, operator, left, right)

    def is_safe_callable(self, obj: Any) -> bool:
        if isinstance(obj, Macro) or obj == self._range:
            return True
        owner = getattr(obj, "__self__", None)
        name = getattr(obj, "__name__", "")
        if isinstance(owner, LoopContext):
            return name in LOOP_METHODS
        for kind, names in READING_METHODS.items():
            if type(owner) is kind or (kind is str and isinstance(owner, str)):
                return name in names
        return False


def render(environment: PlainSandbox, name: str, root: Path | None, **context: Any) -> str:
    """Render template ``name`` with plain data; a template's mistake is a located
    CourseError."""
    check_plain(context, name)
    environment.steps = 0
    try:
        written, parts = 0, []
        for part in environment.get_template(name).generate(**context):
            written += len(part)
            if written > MAX_OUTPUT:
                raise TemplateBudget(f"the template wrote over {MAX_OUTPUT:,} characters")
            parts.append(part)
        return "".join(parts)
    except TemplateError as exc:
        raise template_error(exc, name, root) from None
    except CourseError as exc:   # the loader refused an {% include %} or {% import %}
        frame = _template_frame(exc)
        if frame is None:
            raise
        refused = "; ".join(p.message for p in exc.problems)
        raise CourseError(Problem(Location(Path(frame[0]), frame[1], None, root),
                                  f"template error: an include or import that {refused}")
                          ) from None
    except (TemplateBudget, OverflowError, RecursionError, MemoryError) as exc:
        problem = template_error(exc, name, root).problems[0]
        reason = str(exc) if isinstance(exc, TemplateBudget) else \
            "it asks for more work than any course needs (a loop, a number or a recursion " \
            "without end)"
        raise CourseError(Problem(problem.location, f"template error: {reason}; fix or "
                                                    "remove this template override")) from None


def template_error(exc: BaseException, name: str, root: Path | None) -> CourseError:
    """A template's mistake, located: a syntax error carries its line; an error while the
    template runs (an undefined name, a refused call) is found in the traceback, whose
    frames Jinja2 maps back to the template's file and line."""
    file = getattr(exc, "filename", None) or getattr(exc, "name", None)
    line = getattr(exc, "lineno", None)
    if line is None:
        file, line = _template_frame(exc) or (file, None)
    message = getattr(exc, "message", None) or exc
    return CourseError(Problem(Location(Path(file or name), line, None, root),
                               f"template error: {message}; fix or remove this "
                               "template override"))


def _template_frame(exc: BaseException) -> tuple[str, int] | None:
    """The innermost traceback frame that runs a template (a .j2 file)."""
    found = None
    frame = exc.__traceback__
    while frame is not None:
        filename = frame.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            found = (filename, frame.tb_lineno)
        frame = frame.tb_next
    return found
