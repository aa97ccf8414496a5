"""The theme: built-in templates, CSS, fonts and design tokens, overridable per course.

A file of the same name in the course's ``templates/`` folder replaces the
built-in one; ``extra.css`` there is appended to the stylesheet. Both
renderers read their colours and type scale from the same ``theme.toml``,
whose every value is checked by type here (a colour is a colour, a size a
size, a font a name), so nothing a course writes there reaches a stylesheet
or a slide unchecked.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from ..core.files import course_files, inside, resolve_in_course
from ..core.yamlsource import Invalid
from ..errors import CourseError, Location, Problem, Problems

BUILTIN = Path(__file__).resolve().parent.parent / "theme"
STYLES = {(False, False): "Regular", (True, False): "Bold", (False, True): "Italic",
          (True, True): "BoldItalic"}


# --- theme.toml: a declared schema ---------------------------------------------------------

class BadToken(ValueError):
    """A theme.toml value that does not fit its key."""


def colour(value: Any) -> str:
    """Any opaque CSS colour ('#7A2E1F', 'blue', 'rgb(10, 20, 30)'), as '#RRGGBB'."""
    from tinycss2.color3 import parse_color

    parsed = parse_color(value) if isinstance(value, str) else None
    if parsed is None or isinstance(parsed, str) or parsed.alpha != 1:
        raise BadToken(f"expected a colour such as \"#7A2E1F\" or \"navy\", found {value!r}")
    return "#" + "".join(f"{round(c * 255):02X}" for c in parsed[:3])


_FAMILY = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _-]{0,62}")


def family(value: Any) -> str:
    """A font family name: letters, digits, spaces, '-' and '_' (never a path or markup)."""
    if not isinstance(value, str) or not _FAMILY.fullmatch(value):
        raise BadToken(f"expected a font family name such as \"Caladea\" (letters, digits, "
                       f"spaces, '-', '_'), found {value!r}")
    return value


def size(low: float, high: float) -> Callable[[Any], float]:
    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                not low <= value <= high:
            raise BadToken(f"expected a size in points from {low:g} to {high:g}, found "
                           f"{value!r}")
        return value
    return check


def ems(low: float, high: float) -> Callable[[Any], float]:
    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                not low <= value <= high:
            raise BadToken(f"expected a width in ems from {low:g} to {high:g}, found {value!r}")
        return value
    return check


TOKEN_SCHEMA: dict[str, dict[str, Callable[[Any], Any]]] = {
    "colours": {name: colour for name in ("accent", "accent2", "accent3", "accent4", "ink",
                                          "muted", "rule", "tint", "paper")},
    "fonts": {"body": family, "heading": family, "deck": family, "deck_metrics": family},
    "deck": {"title": size(16, 96), "heading": size(14, 72), "body": size(12, 48),
             "quote": size(12, 48), "small": size(8, 32), "min_body": size(10, 48)},
    "tables": {"min_size": size(6, 12), "text_column": ems(4, 40)},
    # Below 7 pt a chart's numbers are lost on a photocopy.
    "charts": {"text": size(7, 14)},
}


def _line_of(text: str, section: str, key: str | None) -> int | None:
    """Where `key = ...` stands in `[section]` of a TOML text (tomllib keeps no positions)."""
    current = None
    for number, line in enumerate(text.splitlines(), 1):
        header = re.match(r"\s*\[\s*([^\]]+?)\s*\]", line)
        if header:
            current = header.group(1)
            if key is None and current == section:
                return number
        elif current == section and key is not None and \
                re.match(rf"\s*\"?{re.escape(key)}\"?\s*=", line):
            return number
    return None


def check_tokens(data: dict[str, Any], text: str, where: Callable[[int | None], Location],
                 problems: Problems) -> dict[str, dict[str, Any]]:
    """Validate a theme.toml's tables against TOKEN_SCHEMA; every problem located."""
    clean: dict[str, dict[str, Any]] = {}
    for section, values in data.items():
        schema = TOKEN_SCHEMA.get(section)
        if schema is None or not isinstance(values, dict):
            hint = difflib.get_close_matches(section, list(TOKEN_SCHEMA), n=1)
            problems.add(where(_line_of(text, section, None)),
                         f"unknown table [{section}] in theme.toml"
                         f"{f' (did you mean [{hint[0]}]?)' if hint else ''}; "
                         f"the tables are {', '.join(f'[{s}]' for s in TOKEN_SCHEMA)}")
            continue
        for key, value in values.items():
            line = where(_line_of(text, section, key))
            if key not in schema:
                hint = difflib.get_close_matches(key, list(schema), n=1)
                problems.add(line, f"unknown key '{key}' in [{section}]"
                                   f"{f' (did you mean {hint[0]!r}?)' if hint else ''}; "
                                   f"allowed: {', '.join(schema)}")
                continue
            try:
                clean.setdefault(section, {})[key] = schema[key](value)
            except BadToken as exc:
                problems.add(line, f"[{section}] {key}: {exc}")
    return clean


# --- the theme ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Theme:
    builtin: Path
    course_templates: Path | None
    root: Path | None = None

    def find(self, name: str, default: Path | None = None) -> Path:
        """The course's file of this name if it has one, else the built-in one (in
        ``default``, a renderer's own folder, when given)."""
        if self.course_templates is not None:
            candidate = self.course_templates / name
            if os.path.lexists(candidate):
                return self.contained(candidate)
        return (default or self.builtin) / name

    def contained(self, path: Path) -> Path:
        """Refuse a course template that is (or links to) a file outside the course, before
        it is opened."""
        if self.root is not None and not inside(self.root, path) and \
                not inside(self.builtin, path):
            raise CourseError(Problem(Location(path, None, None, self.root),
                                      "this template file leads outside the course folder "
                                      "(a symlink?); copy the file into templates/ instead"))
        if not path.is_file():
            raise CourseError(Problem(Location(path, None, None, self.root),
                                      "this template file is not a file"))
        return path

    def search_path(self) -> list[str]:
        dirs = [self.builtin]
        if self.course_templates is not None:
            dirs.insert(0, self.course_templates)
        return [str(d) for d in dirs]

    @cached_property
    def tokens(self) -> dict[str, dict[str, Any]]:
        """theme.toml's values, the built-in ones overridden by the course's, all checked."""
        base = tomllib.loads((self.builtin / "theme.toml").read_text(encoding="utf-8"))
        path = self.find("theme.toml")
        if path == self.builtin / "theme.toml":
            return base
        problems = Problems()
        try:
            text = path.read_text(encoding="utf-8")
            data = tomllib.loads(text)
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            line = re.search(r"line (\d+)", str(exc))
            raise CourseError(Problem(Location(path, int(line.group(1)) if line else None,
                                               None, self.root),
                                      f"theme.toml is not valid TOML: {exc}")) from None
        clean = check_tokens(data, text, lambda n: Location(path, n, None, self.root),
                             problems)
        problems.raise_if_any()
        for section, values in clean.items():
            base.setdefault(section, {}).update(values)
        return base

    def css_variables(self) -> str:
        """The tokens as CSS custom properties (values are checked: no quoting needed)."""
        colours = self.tokens["colours"]
        fonts = self.tokens["fonts"]
        lines = [f"  --{name}: {value};" for name, value in colours.items()]
        lines.append(f"  --body-font: \"{fonts['body']}\";")
        lines.append(f"  --heading-font: \"{fonts['heading']}\";")
        return ":root {\n" + "\n".join(lines) + "\n}"

    def series_colours(self) -> list[str]:
        """The colours of chart series, in order (the reader's and the deck's charts)."""
        colours = self.tokens["colours"]
        return [colours[k] for k in ("accent", "accent2", "accent3", "accent4") if k in colours]

    def stylesheets(self) -> list[Path]:
        sheets = [self.find("reader.css")]
        if self.course_templates is not None and \
                os.path.lexists(self.course_templates / "extra.css"):
            sheets.append(self.contained(self.course_templates / "extra.css"))
        return sheets

    def stylesheet_problems(self) -> list[Problem]:
        """Every url() and @import in the course's own stylesheets that the layout would
        refuse (a URL, an absolute path, a file outside the course or missing), located
        at its line and column, before anything is laid out."""
        if self.course_templates is None or self.root is None:
            return []
        found: list[Problem] = []
        for name in ("fonts.css", "reader.css", "extra.css"):
            path = self.course_templates / name
            if not os.path.lexists(path):
                continue
            self.contained(path)
            try:
                text = path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                found.append(Problem(Location(path, None, None, self.root),
                                     "stylesheet is not UTF-8 text; save it as UTF-8"))
                continue
            for reference, line, column in css_references(text):
                try:
                    resolve_in_course(self.root, path.parent, reference)
                except Invalid as exc:
                    found.append(Problem(Location(path, line, column, self.root),
                                         f"url({reference}): {exc}"))
        return found

    def fingerprint(self, tokens: bool = True) -> str:
        """Hash of every theme file in effect, fonts included: part of each cache key.

        ``tokens=False``: without theme.toml, for a key over HTML that already holds
        what the reader takes from the tokens (its CSS variables, its tables' fits, its
        charts' marks), so a change to the deck's type scale lays out no page again.
        A course's templates/ file that leads outside the course is left out here, not
        read: it is refused where it is used.
        """
        digest = hashlib.sha256()
        for folder in self.search_path():
            base = Path(folder)
            for relative in course_files(base):
                if not tokens and Path(relative).as_posix() == "theme.toml":
                    continue
                path = base / relative
                if self.root is not None and not inside(self.root, path) and \
                        not inside(self.builtin, path):
                    continue
                digest.update(f"{folder}|{relative}|".encode())
                digest.update(path.read_bytes())
        return digest.hexdigest()

    def font_file(self, name: str, bold: bool = False, italic: bool = False) -> Path | None:
        """The file of a bundled or course-supplied face: ``fonts/NAME-STYLE.ttf`` in the
        course's templates/ or the theme, never anywhere else (``name`` is a checked
        family name, so it cannot be a path)."""
        family(name)
        for folder in self.search_path():
            candidate = Path(folder) / "fonts" / f"{name}-{STYLES[(bold, italic)]}.ttf"
            if os.path.lexists(candidate):
                self.contained(candidate)
                _check_font(candidate, self.root)
                return candidate
        return None


def css_references(text: str) -> list[tuple[str, int, int]]:
    """(reference, line, column) of every url() and @import in a stylesheet."""
    import tinycss2

    found: list[tuple[str, int, int]] = []
    stack = list(tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True))
    while stack:
        token = stack.pop()
        if token.type == "url":
            found.append((token.value, token.source_line, token.source_column))
        elif token.type == "function" and token.lower_name == "url":
            strings = [a.value for a in token.arguments if a.type == "string"]
            if strings:
                found.append((strings[0], token.source_line, token.source_column))
        elif token.type == "at-rule" and token.lower_at_keyword == "import":
            strings = [t for t in token.prelude if t.type == "string"]
            if strings:
                found.append((strings[0].value, strings[0].source_line,
                              strings[0].source_column))
        for children in (getattr(token, "prelude", None), getattr(token, "content", None),
                         getattr(token, "arguments", None)):
            if isinstance(children, list):
                stack.extend(children)
    return sorted(found, key=lambda f: (f[1], f[2]))


def _check_font(path: Path, root: Path | None) -> None:
    """A font file that is not a font is the course's mistake, said with its name."""
    with open(path, "rb") as handle:
        head = handle.read(4)
    if head not in (b"\x00\x01\x00\x00", b"true", b"OTTO"):
        raise CourseError(Problem(Location(path, None, None, root),
                                  "this is not a TrueType or OpenType font file; replace it "
                                  "or remove it from templates/fonts/"))


def template_loader(theme: Theme, *defaults: Path):  # noqa: ANN201
    """A Jinja loader over the theme (and a renderer's own templates, ``defaults``, after
    it) that refuses course templates linking outside before they are read."""
    from jinja2 import FileSystemLoader, TemplateNotFound

    class ContainedLoader(FileSystemLoader):
        def get_source(self, environment, template):  # noqa: ANN001, ANN201
            for folder in self.searchpath:
                candidate = Path(folder) / template
                if os.path.lexists(candidate):
                    if folder not in own:          # reader's own files need no check
                        theme.contained(candidate)
                    break
            else:
                raise TemplateNotFound(template)
            return super().get_source(environment, template)

    own = {str(d) for d in defaults}
    return ContainedLoader(theme.search_path() + [str(d) for d in defaults])


def theme_for(course_templates: Path | None, root: Path | None = None) -> Theme:
    return Theme(BUILTIN, course_templates, root)
