"""Position-aware YAML and a small declared schema, in the manner of MkDocs' config.

PyYAML throws away line numbers once it builds dicts and lists; a lecturer
needs them ("course.yaml:12:5: unknown key 'titel'"). We keep the marks on
subclassed containers and check every mapping against a declared schema, so
all problems are reported at once, each with its key's line.
"""

from __future__ import annotations

import datetime
import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import yaml

from ..errors import CourseError, Location, Problem, Problems


class YMap(dict):
    """A dict that remembers where each key and value stood in the file."""

    mark: yaml.Mark | None = None

    def __init__(self) -> None:
        super().__init__()
        self.key_marks: dict[Any, yaml.Mark] = {}
        self.value_marks: dict[Any, yaml.Mark] = {}


class YList(list):
    """A list that remembers where each item stood in the file."""

    mark: yaml.Mark | None = None

    def __init__(self) -> None:
        super().__init__()
        self.item_marks: list[yaml.Mark] = []


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml: 5-10x faster
    """SafeLoader (no arbitrary objects) that builds YMap/YList and spots duplicate keys."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[Any, yaml.Mark]] = []


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> YMap:
    loader.flatten_mapping(node)
    result = YMap()
    result.mark = node.start_mark
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, (list, dict)):
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a plain word, not a list or mapping", key_node.start_mark)
        if key in result:
            loader.duplicates.append((key, key_node.start_mark))
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_marks[key] = key_node.start_mark
        result.value_marks[key] = value_node.start_mark
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> YList:
    result = YList()
    result.mark = node.start_mark
    for child in node.value:
        result.append(loader.construct_object(child, deep=True))
        result.item_marks.append(child.start_mark)
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


@dataclass(frozen=True)
class YamlSource:
    """One YAML text and where it came from, for locating problems in it."""

    path: Path
    root: Path
    line_offset: int = 0  # front matter starts below the opening '---'

    def at(self, mark: yaml.Mark | None) -> Location:
        if mark is None:
            return Location(self.path, None, None, self.root)
        return Location(self.path, mark.line + 1 + self.line_offset, mark.column + 1, self.root)

    def key(self, mapping: YMap, key: Any) -> Location:
        return self.at(mapping.key_marks.get(key, mapping.mark))

    def value(self, mapping: YMap, key: Any) -> Location:
        return self.at(mapping.value_marks.get(key, mapping.mark))

    def item(self, seq: YList, index: int) -> Location:
        marks = seq.item_marks
        return self.at(marks[index] if index < len(marks) else seq.mark)

    def load(self, text: str) -> Any:
        """Parse ``text``; a syntax error becomes a located CourseError."""
        loader = None
        try:
            loader = _Loader(text)
            data = loader.get_single_data()
        except yaml.MarkedYAMLError as exc:
            raise CourseError(self._syntax_problem(exc)) from None
        except yaml.YAMLError as exc:  # e.g. control characters: still the user's file
            mark = getattr(exc, "position", None)
            where = self.at(None)
            if isinstance(mark, int):
                line = text[:mark].count("\n") + 1 + self.line_offset
                where = Location(self.path, line, None, self.root)
            reason = getattr(exc, "reason", None) or str(exc).splitlines()[0]
            raise CourseError(Problem(where, f"not valid YAML: {reason}; remove the special "
                                             "character or save the file as plain UTF-8 "
                                             "text")) from None
        finally:
            if loader is not None:
                loader.dispose()
        if loader.duplicates:
            raise CourseError([
                Problem(self.at(mark), f"'{key}' is given twice; keep one of them")
                for key, mark in loader.duplicates])
        return data

    def _syntax_problem(self, exc: yaml.MarkedYAMLError) -> Problem:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or "syntax error"
        if "\\t" in what or "'\\t'" in what or "tab" in what:
            hint = "YAML does not allow tabs for indentation; indent with spaces"
        else:
            hint = f"YAML syntax error: {what}"
            if exc.context:
                hint += f" ({exc.context})"
            hint += "; check the indentation and quoting on this line or the one above"
        return Problem(self.at(mark), hint)


# --- the declared schema ----------------------------------------------------

Check = Callable[[Any], Any]


class Invalid(Exception):
    """A value does not fit its field; the message says what was expected and found."""


def describe(value: Any) -> str:
    """Name a YAML value the way a user would recognise it in an error message."""
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return f"true/false ({str(value).lower()})"
    if isinstance(value, (int, float)):
        return f"a number ({value})"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"text ('{shown}')"
    if isinstance(value, dict):
        return "a mapping (key: value pairs)"
    if isinstance(value, list):
        return "a list" if value else "an empty list"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return f"a date ({value})"
    return type(value).__name__


def text(value: Any) -> str:
    """Text field: numbers and dates are taken as typed (``term: 2027``), containers are not."""
    if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
        raise Invalid(f"expected text, found {describe(value)}")
    result = str(value).strip()
    if not result:
        raise Invalid("expected text, found an empty value")
    control = re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", result)
    if control:
        raise Invalid(f"the text contains an invisible control character "
                      f"(U+{ord(control.group()):04X}); delete it")
    return result


def choice(*options: str) -> Check:
    def check(value: Any) -> str:
        if not isinstance(value, str) or value not in options:
            hint = _did_you_mean(str(value), options)
            raise Invalid(f"expected one of {', '.join(options)}, found {describe(value)}{hint}")
        return value
    return check


def list_of(item: Check) -> Check:
    def check(value: Any) -> list:
        if not isinstance(value, list):
            raise Invalid(f"expected a list, found {describe(value)}")
        return [item(v) for v in value]
    return check


def positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise Invalid(f"expected a whole number of 1 or more, found {describe(value)}")
    return value


def anything(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class Field:
    check: Check = text
    required: bool = False


def _did_you_mean(word: str, options: Any) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def check_mapping(
    data: Any,
    schema: dict[str, Field],
    src: YamlSource,
    problems: Problems,
    what: str,
    where: Location | None = None,
) -> dict[str, Any] | None:
    """Validate one mapping against ``schema``; record every problem, return clean values."""
    if not isinstance(data, dict):
        problems.add(where or src.at(getattr(data, "mark", None)),
                     f"{what} must be a mapping (key: value pairs), found {describe(data)}")
        return None
    clean: dict[str, Any] = {}
    suggested: set[str] = set()
    for key, value in data.items():
        if key not in schema:
            hint = _did_you_mean(str(key), schema)
            if hint:
                suggested.add(hint.split("'")[1])
            allowed = ", ".join(schema)
            problems.add(src.key(data, key),
                         f"unknown key '{key}' in {what}{hint}; allowed keys: {allowed}")
            continue
        try:
            clean[key] = schema[key].check(value)
        except Invalid as exc:
            problems.add(src.value(data, key), f"'{key}': {exc}")
    for key, spec in schema.items():
        if spec.required and key not in data and key not in suggested:
            problems.add(where or src.at(data.mark if isinstance(data, YMap) else None),
                         f"{what} is missing the required key '{key}'")
    return clean


__all__ = [
    "YMap", "YList", "YamlSource", "Field", "Invalid", "check_mapping", "text", "choice",
    "list_of", "positive_int", "anything", "describe",
]
