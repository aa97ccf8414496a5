"""Position-aware YAML and a small declared schema, in the manner of MkDocs' config.

PyYAML throws away line numbers once it builds dicts and lists; a lecturer
needs them ("course.yaml:12:5: unknown key 'titel'"). We keep the marks on
subclassed containers and check every mapping against a declared schema, so
all problems are reported at once, each with its key's line.
"""

from __future__ import annotations

import datetime
import difflib
import math
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
        self.merged_keys: set[Any] = set()   # keys that came from a merge (<<), so far


class YList(list):
    """A list that remembers where each item stood in the file."""

    mark: yaml.Mark | None = None

    def __init__(self) -> None:
        super().__init__()
        self.item_marks: list[yaml.Mark] = []


_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)   # libyaml: 5-10x faster


class _Loader(_BaseLoader):
    """SafeLoader (no arbitrary objects) that builds YMap/YList and spots duplicate keys."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[Any, yaml.Mark]] = []


MERGE_TAG = "tag:yaml.org,2002:merge"


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> YMap:
    """A YMap with each key's marks. Keys written twice are recorded as duplicates; a key
    that overrides one brought in by a merge (``<<: *defaults``) is not: that is what
    merge keys are for."""
    explicit = sum(1 for key_node, _ in node.value if key_node.tag != MERGE_TAG)
    loader.flatten_mapping(node)
    merged = len(node.value) - explicit       # flatten_mapping puts merged pairs first
    result = YMap()
    result.mark = node.start_mark
    for index, (key_node, value_node) in enumerate(node.value):
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, (list, dict)):
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a plain word, not a list or mapping",
                key_node.start_mark)
        if key in result and index >= merged and key not in result.merged_keys:
            loader.duplicates.append((key, key_node.start_mark))
        if index < merged:
            result.merged_keys.add(key)
        else:
            result.merged_keys.discard(key)
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


def _construct_int(loader: _Loader, node: yaml.ScalarNode) -> int | str:
    """An integer Python will not convert (over 4,300 digits) stays the text written."""
    try:
        return loader.construct_yaml_int(node)
    except ValueError:
        return loader.construct_scalar(node)


def _construct_float(loader: _Loader, node: yaml.ScalarNode) -> float | str:
    """A number beyond the largest float (``1.0e+400``) stays the text written, rather
    than silently becoming infinity; ``.inf`` and ``.nan`` are YAML's own and stay floats."""
    value = loader.construct_yaml_float(node)
    if math.isinf(value) and "inf" not in str(node.value).lower():
        return loader.construct_scalar(node)
    return value


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


MAX_NODES = 200_000   # values in one YAML file, counting each use of an alias in full


def _post_order(root: yaml.Node) -> list[yaml.Node]:
    """Every distinct node, children before parents (no recursion: nesting is user data)."""
    order: list[yaml.Node] = []
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        if isinstance(node, yaml.SequenceNode):
            stack.extend((child, False) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            stack.extend((child, False) for pair in node.value for child in pair)
    return order


def _deepest_point(text: str) -> tuple[int, int]:
    """(line, column) where flow brackets or indentation nest deepest: where to point a
    reader at a document too deeply nested to parse."""
    best, where, depth = -1, (1, 1), 0
    for number, line in enumerate(text.splitlines(), 1):
        indent = len(line) - len(line.lstrip(" "))
        for col, char in enumerate(line, 1):
            if char in "[{":
                depth += 1
                if depth + indent > best:
                    best, where = depth + indent, (number, col)
            elif char in "]}":
                depth = max(depth - 1, 0)
        if indent + depth > best:
            best, where = indent + depth, (number, indent + 1)
    return where


_TOO_DEEP = ("the YAML is nested too deeply to read (hundreds of levels of lists or "
             "mappings); flatten it")


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

    def key(self, mapping: dict[Any, Any], key: Any) -> Location:
        """Where a key of a mapping read by this source stands (its mapping's start if the
        mapping was not read from YAML)."""
        marks = getattr(mapping, "key_marks", {})
        return self.at(marks.get(key, getattr(mapping, "mark", None)))

    def value(self, mapping: dict[Any, Any], key: Any) -> Location:
        marks = getattr(mapping, "value_marks", {})
        return self.at(marks.get(key, getattr(mapping, "mark", None)))

    def item(self, seq: list[Any], index: int) -> Location:
        marks = getattr(seq, "item_marks", [])
        return self.at(marks[index] if index < len(marks) else getattr(seq, "mark", None))

    def load(self, text: str) -> Any:
        """Parse ``text``; a syntax error becomes a located CourseError."""
        loader = None
        try:
            loader = _Loader(text)
            node = loader.get_single_node()
            if node is not None:
                self._check_size(node)
            data = loader.construct_document(node) if node is not None else None
        except yaml.MarkedYAMLError as exc:
            if "nesting depth" in (exc.problem or ""):  # PyYAML >= 6.0.3 stops by itself
                raise CourseError(Problem(self.at(exc.problem_mark), _TOO_DEEP)) from None
            raise CourseError(self._syntax_problem(exc)) from None
        except RecursionError:  # older PyYAML recurses until Python stops it
            line, col = _deepest_point(text)
            raise CourseError(Problem(Location(self.path, line + self.line_offset, col,
                                               self.root), _TOO_DEEP)) from None
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

    def _check_size(self, root: yaml.Node) -> None:
        """Refuse a document whose aliases expand beyond MAX_NODES values, before anything
        is built from it: a kilobyte of nested aliases (a "billion laughs") would otherwise
        take minutes and gigabytes when a value is turned into text.

        The expanded size of every node is counted once (memoised by node), so the check is
        linear in the document as written, not in its expansion.
        """
        sizes: dict[int, int] = {}
        order = _post_order(root)
        for node in order:
            children: list[yaml.Node] = []
            if isinstance(node, yaml.SequenceNode):
                children = list(node.value)
            elif isinstance(node, yaml.MappingNode):
                children = [n for pair in node.value for n in pair]
            sizes[id(node)] = 1 + sum(sizes[id(child)] for child in children)
        if sizes[id(root)] <= max(MAX_NODES, 2 * len(order)):
            return          # written out in full, or aliases that only repeat a little
        first = next(n for n in order if sizes[id(n)] > MAX_NODES)
        raise CourseError(Problem(self.at(first.start_mark),
                                  f"this value expands to more than {MAX_NODES:,} values "
                                  "through YAML aliases (*name); write the values out, or "
                                  "use fewer aliases"))

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
        shown = str(value)
        return f"a number ({shown if len(shown) <= 40 else shown[:37] + '...'})"
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
            hint = did_you_mean(str(value), options)
            raise Invalid(f"expected one of {', '.join(options)}, found {describe(value)}{hint}")
        return value
    return check


def list_of(item: Check) -> Check:
    def check(value: Any) -> list:
        if not isinstance(value, list):
            raise Invalid(f"expected a list, found {describe(value)}")
        return [item(v) for v in value]
    return check


@dataclass(frozen=True)
class Field:
    check: Check = text
    required: bool = False


def did_you_mean(word: str, options: Any) -> str:
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
            hint = did_you_mean(str(key), schema)
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
    "list_of", "describe",
]
