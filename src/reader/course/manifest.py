"""Stage 1: read and validate ``course.yaml`` (and nothing else).

Produces a :class:`Manifest`: checked metadata, the contents in their fixed
order with every path resolved inside the course, and the class variants.
It knows nothing about PDF or PPTX.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import CourseError, Location, Problem, Problems
from ..core.files import course_relative, read_text, resolve_in_course
from ..core.yamlsource import (Field, Invalid, YamlSource, check_mapping, choice, describe,
                               did_you_mean, list_of, text)

ITEM_KINDS = ("essay", "excerpt", "table", "questions")
ITEM_SUFFIXES = {"essay": (".md", ".markdown"), "excerpt": (".md", ".markdown"),
                 "table": (".yaml", ".yml"), "questions": (".yaml", ".yml")}
METADATA_KEYS = ("title", "subtitle", "course", "instructor", "term", "lang")
PDF_VARIANTS = ("pdf/ua-1", "pdf/a-3b", "pdf/a-2b", "pdf/ua-2")
OUTPUTS = ("pdf", "pptx", "web", "epub")   # dist/reader.pdf, deck.pptx, web/, reader.epub
SCREEN_OUTPUTS = ("web", "epub")          # the editions read on screens: alt text required


def language_tag(value: Any) -> str:
    result = text(value)
    if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*", result):
        raise Invalid(f"expected a language tag such as en, en-GB or de, found {describe(value)}")
    return result


def count(value: Any) -> int:
    """A number of people or copies: a whole number from 1 to 100,000."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100_000:
        raise Invalid(f"expected a whole number from 1 to 100,000, found {describe(value)}")
    return value
POINTS_PER = {"mm": 72 / 25.4, "cm": 72 / 2.54, "in": 72.0, "pt": 1.0}
MAX_BLEED_MM = 10.0
_LENGTH = re.compile(r"(\d+(?:\.\d+)?|\.\d+)\s*(mm|cm|in|pt)")


def length_points(length: str) -> float:
    """A length as validated by ``_bleed`` ('3mm', '0.125in') in PDF points."""
    match = _LENGTH.fullmatch(length)
    if match is None:
        raise ValueError(f"not a length: {length!r}")
    return float(match.group(1)) * POINTS_PER[match.group(2)]


def _bleed(value: Any) -> str:
    """How far printing runs past the trim edge, for a print shop: '3mm', '0.125in'."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0:
        return "0mm"
    match = _LENGTH.fullmatch(value.strip().lower()) if isinstance(value, str) else None
    if match is None:
        raise Invalid(f"expected a length such as 3mm or 0.125in (mm, cm, in or pt), found "
                      f"{describe(value)}")
    length = f"{match.group(1)}{match.group(2)}"
    if length_points(length) > MAX_BLEED_MM * POINTS_PER["mm"] + 1e-9:
        raise Invalid(f"a bleed of {length} is more than {MAX_BLEED_MM:g}mm; print shops ask "
                      "for 3mm (or 0.125in)")
    return length


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"expected true or false, found {describe(value)}")
    return value


COURSE_SCHEMA: dict[str, Field] = {
    "title": Field(text, required=True),
    "subtitle": Field(text),
    "course": Field(text),
    "instructor": Field(text),
    "term": Field(text),
    "lang": Field(language_tag),
    "paper": Field(choice("letter", "a4")),
    "edition": Field(choice("student", "instructor")),
    "templates": Field(text),
    "outputs": Field(list_of(choice(*OUTPUTS))),
    "deck_template": Field(text),
    "pdf_variant": Field(choice(*PDF_VARIANTS)),
    "duplex": Field(_bool),
    "enrolment": Field(count),
    "copies": Field(count),
    "bleed": Field(_bleed),
    "crop_marks": Field(_bool),
    "contents": Field(lambda v: v, required=True),
    "classes": Field(lambda v: v),
}

CLASS_SCHEMA: dict[str, Field] = {
    **{key: COURSE_SCHEMA[key] for key in METADATA_KEYS},
    "title": Field(text),
    "paper": COURSE_SCHEMA["paper"],
    "edition": COURSE_SCHEMA["edition"],
    "outputs": COURSE_SCHEMA["outputs"],
    "enrolment": COURSE_SCHEMA["enrolment"],
    "copies": COURSE_SCHEMA["copies"],
    "bleed": COURSE_SCHEMA["bleed"],
    "crop_marks": COURSE_SCHEMA["crop_marks"],
    "skip": Field(list_of(text)),
}


@dataclass(frozen=True)
class ItemRef:
    kind: str
    path: Path          # absolute, resolved, inside the course
    name: str           # course-relative posix path: the item's identity
    location: Location  # where course.yaml names it


@dataclass(frozen=True)
class PartRef:
    title: str
    items: tuple[ItemRef, ...]
    location: Location


@dataclass(frozen=True)
class ClassSpec:
    name: str
    overrides: dict[str, Any]
    skip: tuple[str, ...]
    location: Location


@dataclass(frozen=True)
class Settings:
    """What one build (base course or one class) is: metadata and options, merged."""

    title: str
    subtitle: str | None = None
    course: str | None = None
    instructor: str | None = None
    term: str | None = None
    lang: str = "en"
    paper: str = "letter"
    edition: str = "student"
    outputs: tuple[str, ...] = ("pdf", "pptx")
    pdf_variant: str | None = None
    duplex: bool = False
    enrolment: int | None = None       # students in the class (the permissions report)
    copies: int | None = None          # copies to print; default: the enrolment
    bleed: str | None = None          # a CSS length ('3mm'): printing past the trim edge
    crop_marks: bool = False          # marks at the corners of the trim, outside the bleed
    class_name: str | None = None
    skip: tuple[str, ...] = ()

    @property
    def printed(self) -> bool:
        """Whether a printed reader is made: else nothing is laid out, and no slide, page
        marker or report cites reader pages."""
        return "pdf" in self.outputs


@dataclass(frozen=True)
class DeckTemplate:
    """The course's PowerPoint template, and where course.yaml names it (so a file that
    passes the light check here but that python-pptx still cannot open is located)."""

    path: Path
    where: Location


@dataclass(frozen=True)
class Manifest:
    root: Path
    path: Path
    settings: Settings
    templates: Path | None
    deck_template: DeckTemplate | None
    contents: tuple[PartRef | ItemRef, ...]
    classes: dict[str, ClassSpec] = field(default_factory=dict)

    def items(self) -> list[ItemRef]:
        out: list[ItemRef] = []
        for entry in self.contents:
            out.extend(entry.items if isinstance(entry, PartRef) else (entry,))
        return out

    def variant(self, class_name: str | None = None, edition: str | None = None) -> Settings:
        """Settings of the base course or of one class, with an optional edition override."""
        settings = self.settings
        if class_name is not None:
            if class_name not in self.classes:
                known = ", ".join(self.classes) or "none are defined"
                raise CourseError(Problem(Location(self.path, None, None, self.root),
                                          f"unknown class '{class_name}'; classes in "
                                          f"{self.path.name}: {known}"))
            spec = self.classes[class_name]
            outputs = spec.overrides.get("outputs")
            settings = replace(settings, **{k: v for k, v in spec.overrides.items()
                                            if k != "outputs"},
                               class_name=class_name, skip=spec.skip)
            if outputs is not None:
                settings = replace(settings, outputs=tuple(outputs))
        if edition is not None:
            settings = replace(settings, edition=edition)
        return settings


def find_manifest(target: Path) -> Path:
    """Accept a course folder or a path to its course.yaml."""
    target = target.expanduser()
    if target.is_dir():
        for name in ("course.yaml", "course.yml"):
            if (target / name).is_file():
                return (target / name).resolve()
        raise CourseError(f"{target}: no course.yaml in this folder; run 'reader new DIR' "
                          "to start a course, or name the course folder")
    if target.is_file():
        return target.resolve()
    raise CourseError(f"{target}: no such file or folder")


def load_manifest(target: Path) -> Manifest:
    """Read and validate a course manifest, reporting every problem at once."""
    path = find_manifest(target)
    root = path.parent
    src = YamlSource(path, root)
    try:
        raw_text = read_text(path)
    except Invalid as exc:
        line = getattr(exc, "line", None)
        raise CourseError(Problem(Location(path, line, None, root), f"{path.name} {exc}")) from None
    data = src.load(raw_text)
    problems = Problems()
    if data is None:
        raise CourseError(Problem(Location(path, 1, None, root),
                                  "the manifest is empty; it needs at least 'title:' and "
                                  "'contents:' (see docs/format.md)"))
    clean = check_mapping(data, COURSE_SCHEMA, src, problems, "course.yaml",
                          where=Location(path, 1, 1, root))
    if clean is None:
        problems.raise_if_any()
    assert clean is not None
    templates = _dir_option(clean, data, "templates", src, problems)
    deck_template = _deck_template(clean, data, src, problems)
    contents = _contents(data, src, problems) if "contents" in data else []
    classes = _classes(data, src, problems, contents) if "classes" in data else {}
    problems.raise_if_any()
    settings = Settings(
        title=clean["title"],
        **{k: clean[k] for k in ("subtitle", "course", "instructor", "term", "lang", "paper",
                                 "edition", "pdf_variant", "duplex", "enrolment", "copies",
                                 "bleed", "crop_marks")
           if k in clean},
        outputs=tuple(clean.get("outputs") or ("pdf", "pptx")),
    )
    return Manifest(root, path, settings, templates, deck_template, tuple(contents), classes)


def _dir_option(clean: dict, data: dict, key: str, src: YamlSource,
                problems: Problems) -> Path | None:
    if key not in clean:
        default = src.root / "templates"
        return default if default.is_dir() else None
    try:
        return resolve_in_course(src.root, src.root, clean[key], want_dir=True)
    except Invalid as exc:
        problems.add(src.value(data, key), f"'{key}': {exc}")
        return None


def _deck_template(clean: dict, data: dict, src: YamlSource,
                   problems: Problems) -> DeckTemplate | None:
    if "deck_template" not in clean:
        return None
    try:
        path = resolve_in_course(src.root, src.root, clean["deck_template"])
    except Invalid as exc:
        problems.add(src.value(data, "deck_template"), f"'deck_template': {exc}")
        return None
    reason = pptx_problem(path)
    if reason:
        problems.add(src.value(data, "deck_template"),
                     f"'deck_template': '{clean['deck_template']}' {reason}; save a "
                     "presentation as .pptx in PowerPoint or LibreOffice and point to it")
        return None
    return DeckTemplate(path, src.value(data, "deck_template"))


MAX_TEMPLATE_PARTS = 5_000
MAX_TEMPLATE_BYTES = 200 * 2**20     # unpacked: a zip bomb is not a template


def pptx_problem(path: Path) -> str | None:
    """Why a file is not a PowerPoint presentation a deck can be built on, or None.

    Checked without python-pptx (``reader check`` stays light): a zip of bounded size
    whose package parts are well-formed XML, with a presentation, at least one slide
    master and one layout."""
    import zipfile

    from lxml import etree

    if path.suffix.lower() != ".pptx" or not zipfile.is_zipfile(path):
        return "is not a PowerPoint .pptx file"
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > MAX_TEMPLATE_PARTS or \
                    sum(m.file_size for m in members) > MAX_TEMPLATE_BYTES:
                return "is too large to be a presentation template"
            names = {m.filename for m in members}
            if "ppt/presentation.xml" not in names or "[Content_Types].xml" not in names:
                return "is not a PowerPoint .pptx file"
            if not any(n.startswith("ppt/slideMasters/") for n in names) or \
                    not any(n.startswith("ppt/slideLayouts/") for n in names):
                return "has no slide master or layout"
            parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
            for name in sorted(names):
                if name.endswith((".xml", ".rels")):
                    etree.fromstring(archive.read(name), parser)
    except (zipfile.BadZipFile, etree.XMLSyntaxError, OSError, ValueError) as exc:
        return f"is damaged ({type(exc).__name__}: {str(exc)[:80]})"
    return None


def _contents(data: dict, src: YamlSource, problems: Problems) -> list[PartRef | ItemRef]:
    contents = data["contents"]
    where = src.value(data, "contents")
    if not isinstance(contents, list) or not contents:
        problems.add(where, "'contents' must be a non-empty list of items and parts, found "
                            f"{describe(contents)}")
        return []
    seen: dict[str, Location] = {}
    entries: list[PartRef | ItemRef] = []
    for index, entry in enumerate(contents):
        loc = src.item(contents, index)
        if isinstance(entry, dict) and "part" in entry:
            part = _part(entry, loc, src, problems, seen)
            if part is not None:
                entries.append(part)
        else:
            item = _item(entry, loc, src, problems, seen, allow_part=True)
            if item is not None:
                entries.append(item)
    return entries


def _part(entry: dict, loc: Location, src: YamlSource, problems: Problems,
          seen: dict[str, Location]) -> PartRef | None:
    for key in entry:
        if key not in ("part", "items"):
            problems.add(src.key(entry, key), f"unknown key '{key}' in a part; a part has "
                                              "'part: TITLE' and 'items:'")
    try:
        title = text(entry["part"])
    except Invalid as exc:
        problems.add(src.value(entry, "part"), f"'part': {exc}")
        title = "?"
    items = entry.get("items")
    if not isinstance(items, list) or not items:
        problems.add(src.key(entry, "items") if "items" in entry else loc,
                     f"part '{title}' needs 'items:', a non-empty list of items")
        return None
    refs = []
    for index, child in enumerate(items):
        ref = _item(child, src.item(items, index), src, problems, seen, allow_part=False)
        if ref is not None:
            refs.append(ref)
    return PartRef(title, tuple(refs), loc)


def _item(entry: Any, loc: Location, src: YamlSource, problems: Problems,
          seen: dict[str, Location], allow_part: bool) -> ItemRef | None:
    kinds = ITEM_KINDS + (("part",) if allow_part else ())
    if not isinstance(entry, dict) or len(entry) != 1:
        found = describe(entry) if not isinstance(entry, dict) else \
            f"keys {', '.join(map(str, entry))}"
        problems.add(loc, f"each entry must be one 'KIND: path' pair with KIND one of "
                          f"{', '.join(kinds)}; found {found}")
        return None
    kind, raw = next(iter(entry.items()))
    if kind == "part" and not allow_part:
        problems.add(src.key(entry, kind), "parts cannot be nested inside a part")
        return None
    if kind not in ITEM_KINDS:
        hint = did_you_mean(str(kind), kinds) or _KIND_HINTS.get(str(kind).lower(), "")
        problems.add(src.key(entry, kind), f"unknown item kind '{kind}'"
                     f"{hint}; expected one of {', '.join(kinds)}")
        return None
    where = src.value(entry, kind)
    try:
        path = resolve_in_course(src.root, src.root, raw if isinstance(raw, str) else "")
    except Invalid as exc:
        reason = str(exc) if isinstance(raw, str) else \
            f"expected a file path, found {describe(raw)}"
        problems.add(where, f"{kind} {reason}")
        return None
    if path.suffix.lower() not in ITEM_SUFFIXES[kind]:
        problems.add(where, f"{kind} '{raw}' should be a {' or '.join(ITEM_SUFFIXES[kind])} "
                            "file")
        return None
    name = course_relative(src.root, path)
    if name in seen:
        problems.add(where, f"'{raw}' is already in the contents (at line {seen[name].line}); "
                            "each item may appear once")
        return None
    seen[name] = where
    return ItemRef(kind, path, name, where)


_KIND_HINTS = {"reading": " (readings are 'excerpt:')", "source": " (sources are 'excerpt:')",
               "quote": " (quotations are 'excerpt:')", "chapter": " (chapters are 'essay:')",
               "section": " (sections are 'essay:')", "question": " (did you mean 'questions'?)",
               "data": " (data tables are 'table:')"}

_CLASS_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
RESERVED_CLASS_NAMES = ("web",)


def _classes(data: dict, src: YamlSource, problems: Problems,
             contents: list[PartRef | ItemRef]) -> dict[str, ClassSpec]:
    classes = data["classes"]
    if not isinstance(classes, dict):
        problems.add(src.value(data, "classes"),
                     f"'classes' must be a mapping of class names, found {describe(classes)}")
        return {}
    known = {ref.name for entry in contents
             for ref in (entry.items if isinstance(entry, PartRef) else (entry,))}
    result: dict[str, ClassSpec] = {}
    for name, body in classes.items():
        name_loc = src.key(classes, name)
        if not isinstance(name, str) or not _CLASS_NAME.fullmatch(name):
            problems.add(name_loc, f"class name '{name}' must be letters, digits, '-', '_' or "
                                   "'.' (it becomes a folder name under dist/)")
            continue
        if name.lower() in RESERVED_CLASS_NAMES:
            problems.add(name_loc, f"class name '{name}' is taken: dist/{name}/ holds the "
                                   "course's web edition; choose another name")
            continue
        if body is None:
            body_clean: dict[str, Any] = {}
        else:
            body_clean = check_mapping(body, CLASS_SCHEMA, src, problems, f"class '{name}'",
                                       where=name_loc) or {}
        skips = []
        for index, raw in enumerate(body_clean.pop("skip", []) or []):
            skip_loc = src.item(body["skip"], index)
            try:
                path = resolve_in_course(src.root, src.root, raw, must_exist=False)
                skip_name = course_relative(src.root, path)
            except (Invalid, ValueError) as exc:
                problems.add(skip_loc, f"skip: {exc}")
                continue
            if skip_name not in known:
                problems.add(skip_loc, f"skip: '{raw}' is not an item of this course; "
                                       "name an item path exactly as in 'contents'")
                continue
            skips.append(skip_name)
        result[name] = ClassSpec(name, body_clean, tuple(skips), name_loc)
    return result
