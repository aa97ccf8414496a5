"""The theme: built-in templates, CSS, fonts and design tokens, overridable per course.

A file of the same name in the course's ``templates/`` folder replaces the
built-in one; ``extra.css`` there is appended to the stylesheet. Both
renderers read their colours and type scale from the same ``theme.toml``.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from ..errors import CourseError, Location, Problem

BUILTIN = Path(__file__).resolve().parent.parent / "theme"


@dataclass(frozen=True)
class Theme:
    builtin: Path
    course_templates: Path | None
    root: Path | None = None

    def find(self, name: str) -> Path:
        """The course's file of this name if it has one, else the built-in one."""
        if self.course_templates is not None and (self.course_templates / name).is_file():
            return self.contained(self.course_templates / name)
        return self.builtin / name

    def contained(self, path: Path) -> Path:
        """Refuse a course template that is (or links to) a file outside the course."""
        from ..core.files import inside

        if self.root is not None and not inside(self.root, path) and \
                not inside(self.builtin, path):
            raise CourseError(Problem(Location(path, None, None, self.root),
                                      "this template file leads outside the course folder "
                                      "(a symlink?); copy the file into templates/ instead"))
        return path

    def search_path(self) -> list[str]:
        dirs = [self.builtin]
        if self.course_templates is not None:
            dirs.insert(0, self.course_templates)
        return [str(d) for d in dirs]

    @cached_property
    def tokens(self) -> dict:
        path = self.find("theme.toml")
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise CourseError(Problem(Location(path, None, None, self.root),
                                      f"theme.toml is not valid TOML: {exc}")) from None
        base = tomllib.loads((self.builtin / "theme.toml").read_text(encoding="utf-8"))
        for section, values in data.items():
            if isinstance(values, dict):
                base.setdefault(section, {}).update(values)
        return base

    def css_variables(self) -> str:
        colours = self.tokens["colours"]
        fonts = self.tokens["fonts"]
        lines = [f"  --{name}: {value};" for name, value in colours.items()]
        lines.append(f"  --body-font: \"{fonts['body']}\";")
        lines.append(f"  --heading-font: \"{fonts['heading']}\";")
        return ":root {\n" + "\n".join(lines) + "\n}"

    def stylesheets(self) -> list[Path]:
        sheets = [self.find("reader.css")]
        if self.course_templates is not None and (self.course_templates / "extra.css").is_file():
            sheets.append(self.contained(self.course_templates / "extra.css"))
        return sheets

    def fingerprint(self) -> str:
        """Hash of every theme file in effect: part of each cache key."""
        digest = hashlib.sha256()
        for folder in self.search_path():
            for path in sorted(Path(folder).rglob("*")):
                if path.is_file() and path.suffix != ".ttf":
                    digest.update(str(path.relative_to(folder)).encode())
                    digest.update(path.read_bytes())
        return digest.hexdigest()

    def font_file(self, family: str, bold: bool = False, italic: bool = False) -> Path | None:
        style = {(False, False): "Regular", (True, False): "Bold", (False, True): "Italic",
                 (True, True): "BoldItalic"}[(bold, italic)]
        for folder in self.search_path():
            candidate = Path(folder) / "fonts" / f"{family}-{style}.ttf"
            if candidate.is_file():
                return candidate
        return None


def template_loader(theme: Theme):
    """A Jinja loader over the theme that refuses course templates linking outside."""
    from jinja2 import FileSystemLoader

    class ContainedLoader(FileSystemLoader):
        def get_source(self, environment, template):  # noqa: ANN001, ANN201
            source, filename, uptodate = super().get_source(environment, template)
            theme.contained(Path(filename))
            return source, filename, uptodate

    return ContainedLoader(theme.search_path())


def theme_for(course_templates: Path | None, root: Path | None = None) -> Theme:
    return Theme(BUILTIN, course_templates, root)
