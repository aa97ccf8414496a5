"""Stage 3b, the fast path: the deck as cached per-item slide groups, joined as a package.

python-pptx spends about 17 ms on each slide, so a lecturer's one-word edit
used to rebuild every slide of the course. Here the deck is built the way the
reader is: each item's slides form a *group*, keyed by everything they are
made from, cached in ``.reader-cache/slides/``, and joined at the package
level (the .pptx zip) behind the slides that are always rebuilt (title,
agenda, part dividers, sources: a handful).

A group holds the item's slide parts and everything only they use (notes
slides, charts and their workbooks, pictures) under canonical names, with
its relationships rewritten to those names. Joining renames each group's
parts into the deck, rewrites the relationships, and lists the slides in
``presentation.xml``. Masters, layouts, themes and the notes master are the
base; they come from the Presentation built in this run. The joined package
depends only on the groups' contents, never on which run built them, so a
rebuild from the cache gives the same bytes as a cold build.
"""

from __future__ import annotations

import hashlib
import io
import json
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from lxml import etree


from ..core.store import Store
from ..course.model import Course, Item, Part

if TYPE_CHECKING:
    from ..core.tasks import Runner

# The package's names, as the OPC standard spells them. Not imported from python-pptx's
# constants: importing pptx costs about 1 s, and this module runs in the build's own
# process, where python-pptx is otherwise never loaded (tests/test_deck_plan.py checks
# that the two agree).
RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
P_NS = "http://schemas.openxmlformats.org/presentationml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
SLIDE_REL = R_NS + "/slide"
DECK_FORMAT = "slides-v5"   # bump when what a group records changes
LOCAL = "/@group"           # prefix of a group's own part names: never a base part's name
BATCH = 25                  # items per python-pptx Presentation: bounds the deck's memory


# --- package plumbing ---------------------------------------------------------------------

def _rels_name(part: str) -> str:
    """'/ppt/slides/slide1.xml' -> 'ppt/slides/_rels/slide1.xml.rels' (zip member name)."""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels").lstrip("/")


def _serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


@dataclass
class Rel:
    id: str
    type: str
    target: str            # absolute part name, or the raw target when external
    external: bool


def _read_rels(files: dict[str, bytes], part: str) -> list[Rel]:
    data = files.get(_rels_name(part))
    if data is None:
        return []
    folder = posixpath.dirname(part)
    rels = []
    for el in etree.fromstring(data):
        external = el.get("TargetMode") == "External"
        target = el.get("Target", "")
        if not external:
            target = target if target.startswith("/") else \
                posixpath.normpath(posixpath.join(folder, target))
        rels.append(Rel(el.get("Id", ""), el.get("Type", ""), target, external))
    return rels


def _write_rels(part: str, rels: list[Rel]) -> bytes:
    root = etree.Element(f"{{{RELS_NS}}}Relationships", nsmap={None: RELS_NS})
    folder = posixpath.dirname(part)
    for rel in rels:
        el = etree.SubElement(root, f"{{{RELS_NS}}}Relationship")
        el.set("Id", rel.id)
        el.set("Type", rel.type)
        el.set("Target", rel.target if rel.external else posixpath.relpath(rel.target, folder))
        if rel.external:
            el.set("TargetMode", "External")
    return _serialise(root)


class ContentTypes:
    """A package's [Content_Types].xml, read: what type each part has."""

    def __init__(self, data: bytes):
        root = etree.fromstring(data)
        self.defaults = {el.get("Extension", "").lower(): el.get("ContentType", "")
                         for el in root if el.tag == f"{{{TYPES_NS}}}Default"}
        self.overrides = {el.get("PartName", ""): el.get("ContentType", "")
                          for el in root if el.tag == f"{{{TYPES_NS}}}Override"}

    def of(self, part: str) -> str:
        return self.overrides.get(part) or \
            self.defaults.get(posixpath.splitext(part)[1].lstrip(".").lower(), "")


RELS_TYPE = "application/vnd.openxmlformats-package.relationships+xml"


def content_types(parts: list[tuple[str, str]]) -> bytes:
    """[Content_Types].xml for exactly these parts: a Default for each extension whose
    parts share one type (and for .rels), an Override for every other part. A function
    of the parts alone, so a deck joined from cached groups matches a cold build's."""
    by_ext: dict[str, set[str]] = {}
    for part, kind in parts:
        by_ext.setdefault(posixpath.splitext(part)[1].lstrip(".").lower(), set()).add(kind)
    defaults = {"rels": RELS_TYPE}
    for ext, kinds in by_ext.items():
        if ext and ext != "xml" and len(kinds) == 1:
            defaults[ext] = next(iter(kinds))
    defaults.setdefault("xml", "application/xml")
    root = etree.Element(f"{{{TYPES_NS}}}Types", nsmap={None: TYPES_NS})
    for ext in sorted(defaults):
        etree.SubElement(root, f"{{{TYPES_NS}}}Default", Extension=ext,
                         ContentType=defaults[ext])
    for part, kind in parts:
        if defaults.get(posixpath.splitext(part)[1].lstrip(".").lower()) != kind:
            etree.SubElement(root, f"{{{TYPES_NS}}}Override", PartName=part, ContentType=kind)
    return _serialise(root)


_NUMBERED = re.compile(r"^(.*?)(\d*)(\.[^./]+)?$")


def _pattern(part: str) -> tuple[str, str]:
    """'/ppt/charts/chart12.xml' -> ('/ppt/charts/chart', '.xml'): how parts are counted."""
    folder, name = posixpath.split(part)
    match = _NUMBERED.match(name)
    assert match is not None
    return posixpath.join(folder, match.group(1)), match.group(3) or ""


class Namer:
    """Hands out free part names per pattern (slide1, slide2...), avoiding names in use."""

    def __init__(self, used: set[str] = frozenset()):  # type: ignore[assignment]
        self.used = set(used)
        self.next: dict[tuple[str, str], int] = {}

    def name(self, old: str) -> str:
        stem, ext = _pattern(old)
        n = self.next.get((stem, ext), 1)
        while f"{stem}{n}{ext}" in self.used:
            n += 1
        self.next[(stem, ext)] = n + 1
        new = f"{stem}{n}{ext}"
        self.used.add(new)
        return new


# --- groups -------------------------------------------------------------------------------

@dataclass
class GroupPart:
    name: str              # canonical within the group, e.g. /ppt/slides/slide1.xml
    type: str              # content type
    data: bytes
    rels: list[Rel] = field(default_factory=list)
    slide: bool = False


@dataclass
class Group:
    """One segment's slides (an item, a divider, the title...) and what only they use."""

    parts: list[GroupPart]

    @property
    def slides(self) -> int:
        return sum(p.slide for p in self.parts)

    def to_bytes(self) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            index = []
            for n, part in enumerate(self.parts):
                z.writestr(zipfile.ZipInfo(f"{n}", date_time=(1980, 1, 1, 0, 0, 0)), part.data)
                index.append({"name": part.name, "type": part.type, "slide": part.slide,
                              "rels": [[r.id, r.type, r.target, r.external] for r in part.rels]})
            z.writestr(zipfile.ZipInfo("group.json", date_time=(1980, 1, 1, 0, 0, 0)),
                       json.dumps(index))
        return out.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> "Group":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            index = json.loads(z.read("group.json"))
            parts = [GroupPart(e["name"], e["type"], z.read(str(n)),
                               [Rel(*r) for r in e["rels"]], bool(e["slide"]))
                     for n, e in enumerate(index)]
        return cls(parts)


@dataclass
class Base:
    """Everything of a built package except its slides: masters, layouts, themes..."""

    files: dict[str, bytes]        # zip member -> bytes, slide list emptied
    order: list[str]               # zip members in their original order
    types: ContentTypes
    parts: list[str]               # base part names (for content-type overrides)


def split(data: bytes, segments: list[tuple[str, int, int]]) -> tuple[Base, dict[str, Group]]:
    """Cut a saved Presentation into its base and one Group per (name, first, count)."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        order = z.namelist()
        files = {name: z.read(name) for name in order}
    types = ContentTypes(files["[Content_Types].xml"])
    pres = next(r.target for r in _read_rels(files, "/") if r.type.endswith("/officeDocument"))
    pres_rels = _read_rels(files, pres)
    by_id = {r.id: r.target for r in pres_rels}
    slide_ids = etree.fromstring(files[pres.lstrip("/")]).find(f"{{{P_NS}}}sldIdLst")
    slides = [by_id[el.get(f"{{{R_NS}}}id")] for el in slide_ids] if slide_ids is not None \
        else []
    base_parts = _reachable(files, ["/"], skip=lambda part, rel: part == pres and
                            rel.type == SLIDE_REL)
    groups = {name: _group(files, types, slides[first:first + count], base_parts)
              for name, first, count in segments}
    owned = set(_reachable(files, slides, stop=set(base_parts)))
    base_files = {m: files[m] for m in order if _owner(m) not in owned}
    base_files[_rels_name(pres)] = _write_rels(pres, [r for r in pres_rels
                                                      if r.type != SLIDE_REL])
    parts = [p for p in base_parts if p != "/" and p.lstrip("/") in base_files]
    return Base(base_files, order, types, parts), groups


def _owner(member: str) -> str:
    """The part a zip member is, or whose relationships it holds ('/' for the package)."""
    if member.endswith(".rels") and (member.startswith("_rels/") or "/_rels/" in member):
        folder, name = posixpath.split(member)
        return "/" + posixpath.join(posixpath.dirname(folder), name[: -len(".rels")]) \
            if name != ".rels" else "/"
    return "/" + member


def _reachable(files: dict[str, bytes], starts: list[str], stop: set[str] | None = None,
               skip: Callable[[str, Rel], bool] | None = None) -> list[str]:
    """Parts reachable over internal relationships, in first-seen order."""
    seen: dict[str, None] = {}
    stack = list(reversed(starts))
    while stack:
        part = stack.pop()
        if part in seen or (stop and part in stop):
            continue
        seen[part] = None
        for rel in reversed(_read_rels(files, part)):
            if rel.external or (skip and skip(part, rel)):
                continue
            if rel.target.lstrip("/") in files:
                stack.append(rel.target)
    return list(seen)


def _group(files: dict[str, bytes], types: ContentTypes, slides: list[str],
           base: list[str]) -> Group:
    """A group's own parts are named under LOCAL; a relationship to a base part (a layout,
    the notes master, a template picture a slide reuses) keeps the base part's name."""
    base_set = set(base)
    members = _reachable(files, slides, stop=base_set)
    namer = Namer()
    rename = {part: LOCAL + namer.name(part) for part in members}
    parts = []
    for part in members:
        rels = [Rel(r.id, r.type, rename.get(r.target, r.target), r.external)
                for r in _read_rels(files, part)]
        parts.append(GroupPart(rename[part], types.of(part), files[part.lstrip("/")], rels,
                               slide=part in slides))
    return Group(parts)


def join(base: Base, groups: list[Group]) -> bytes:
    """One package: the base and the groups' slides in order. Stored, not deflated: the
    build's last pass (build.finish_deck) compresses it once."""
    files = dict(base.files)
    pres = next(r.target for r in _read_rels(files, "/") if r.type.endswith("/officeDocument"))
    namer = Namer({"/" + m for m in files})
    media: dict[str, str] = {}      # sha256 -> part name: one copy of a repeated picture
    for name in base.parts:
        if name.startswith("/ppt/media/"):
            media.setdefault(hashlib.sha256(files[name.lstrip("/")]).hexdigest(), name)
    added: list[tuple[str, str]] = []
    slide_names: list[str] = []
    for group in groups:
        rename: dict[str, str] = {}
        for part in group.parts:
            plain = part.name[len(LOCAL):]
            if plain.startswith("/ppt/media/") and not part.rels:
                digest = hashlib.sha256(part.data).hexdigest()
                if digest in media:
                    rename[part.name] = media[digest]
                    continue
                rename[part.name] = media[digest] = namer.name(plain)
            else:
                rename[part.name] = namer.name(plain)
        for part in group.parts:
            new = rename[part.name]
            if new.lstrip("/") in files:       # a shared picture already written
                continue
            files[new.lstrip("/")] = part.data
            added.append((new, part.type))
            if part.rels:
                files[_rels_name(new)] = _write_rels(new, [
                    Rel(r.id, r.type, rename.get(r.target, r.target), r.external)
                    for r in part.rels])
            if part.slide:
                slide_names.append(new)
    _list_slides(files, pres, slide_names)
    all_parts = [(p, base.types.of(p)) for p in base.parts] + added
    files["[Content_Types].xml"] = content_types([(p, t) for p, t in all_parts if t])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        written = set()
        # The base in its own order, then the groups' parts as added: never the order
        # of whichever run built them.
        for member in ["[Content_Types].xml", *(m for m in base.order if m in base.files),
                       *files]:
            if member in files and member not in written:
                written.add(member)
                z.writestr(zipfile.ZipInfo(member, date_time=(1980, 1, 1, 0, 0, 0)),
                           files[member])
    return out.getvalue()


def _list_slides(files: dict[str, bytes], pres: str, slides: list[str]) -> None:
    rels = _read_rels(files, pres)
    numbers = [int(m.group(1)) for r in rels if (m := re.fullmatch(r"rId(\d+)", r.id))]
    start = max(numbers, default=0) + 1
    new_rels = [Rel(f"rId{start + n}", SLIDE_REL, slide, False) for n, slide in enumerate(slides)]
    files[_rels_name(pres)] = _write_rels(pres, rels + new_rels)
    root = etree.fromstring(files[pres.lstrip("/")])
    id_list = root.find(f"{{{P_NS}}}sldIdLst")
    if id_list is None:
        id_list = etree.Element(f"{{{P_NS}}}sldIdLst")
        anchor = root.find(f"{{{P_NS}}}sldSz")
        if anchor is not None:
            anchor.addprevious(id_list)
        else:
            root.append(id_list)
    for child in list(id_list):
        id_list.remove(child)
    for n, rel in enumerate(new_rels):
        etree.SubElement(id_list, f"{{{P_NS}}}sldId", {"id": str(256 + n),
                                                       f"{{{R_NS}}}id": rel.id})
    files[pres.lstrip("/")] = _serialise(root)


# --- keys ---------------------------------------------------------------------------------

def deck_fingerprint(course: Course, theme) -> str:  # noqa: ANN001
    """What every item's slides depend on besides the item: tool, theme, template, and of
    the settings those the planner reads for an item: its language (line breaking, the
    text's language tag), the edition (instructor notes) and whether the printed reader
    is an output (the slides cite its pages). The course's title, subtitle, course,
    instructor and term are on the title slide and in the package's properties, which
    every build makes anew: changing them reuses every item's slides."""
    from importlib.metadata import version

    from .. import __version__

    settings = course.settings
    tokens = json.dumps(theme.tokens, sort_keys=True, default=str)
    digest = hashlib.sha256(f"{__version__}|{DECK_FORMAT}|{version('python-pptx')}|"
                            f"{tokens}|{settings.lang}|{settings.edition}|"
                            f"{settings.printed}".encode())
    # Of the theme, the deck reads its tokens (theme.toml) and the faces it measures text
    # with; never the reader's stylesheets or templates.
    family = theme.tokens["fonts"]["deck_metrics"]
    for bold in (False, True):
        for italic in (False, True):
            font = theme.font_file(family, bold, italic)
            if font is not None:
                digest.update(f"|{bold}|{italic}|".encode())
                digest.update(hashlib.sha256(font.read_bytes()).digest())
    if course.deck_template is not None:
        digest.update(course.deck_template.path.read_bytes())
    return digest.hexdigest()


def item_key(fingerprint: str, item: Item, root: Path) -> str:
    """An item's slides are made from its files, its place (label, anchor) and the settings.
    Its files are named as in the course (``root``): a course folder copied or moved
    elsewhere keeps its slides, as it keeps its reader's chunks."""
    digest = hashlib.sha256(f"{fingerprint}|{item.kind}|{item.name}|{item.label}|"
                            f"{item.anchor}|{item.title}".encode())
    for path in item.files():
        name = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        digest.update(f"|{name}|".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def segment_keys(course: Course, fingerprint: str) -> dict[str, str]:
    """Keys of every segment but the title slide, which is always made (its package
    parts are the base the groups are joined onto)."""
    from .plan import source_lines

    keys = {item.anchor: item_key(fingerprint, item, course.root) for item in course.items}

    def key(*parts: object) -> str:
        return hashlib.sha256(json.dumps([fingerprint, *parts], default=str).encode()
                              ).hexdigest()

    if course.parts:
        keys["agenda"] = key("agenda", [(e.label, e.title) for e in course.entries])
    for part in course.parts:
        keys[part.anchor] = key("divider", part.anchor, part.label, part.title,
                                [(i.label, i.title) for i in part.items])
    if course.excerpts:
        keys["sources"] = key("sources", source_lines(course))
    return keys


# --- the deck -----------------------------------------------------------------------------

def trim_memory() -> None:
    """Return freed memory to the system: python-pptx's XML trees live in the C heap,
    which otherwise keeps its peak size for the rest of the process."""
    import ctypes
    import gc
    import sys

    gc.collect()
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):
            pass


@dataclass
class DeckStats:
    built: list[str] = field(default_factory=list)     # item anchors whose slides were made
    reused: list[str] = field(default_factory=list)
    discarded: list[str] = field(default_factory=list)


def segment_names(course: Course) -> list[str]:
    names = ["title"]
    if course.parts:
        names.append("agenda")
    for entry in course.entries:
        if isinstance(entry, Part):
            names.append(entry.anchor)
            names.extend(i.anchor for i in entry.items)
        else:
            names.append(entry.anchor)
    if course.excerpts:
        names.append("sources")
    return names


def task_batch(course: Course, theme, names: list[str],  # noqa: ANN001
               store: Store | None) -> tuple[Base, dict[str, Group]]:
    """One batch of the deck's segments, planned and written with python-pptx (a task of
    the build's pool): the package cut into its base and one group per segment."""
    from .plan import Planner
    from .slides import DeckWriter, set_core_properties

    writer = DeckWriter(course, theme)
    planner = Planner(course, theme, writer.geometry,
                      store if store is not None and store.folder is not None else None)
    buffer = io.BytesIO()
    prs, segments = writer.write(planner.segments(only=set(names)))
    set_core_properties(prs, course)
    prs.save(buffer)
    del prs
    del writer                                   # one batch's slide objects at a time
    trim_memory()
    return split(buffer.getvalue(), segments)


def task_join(base: Base, groups: list[Group]) -> bytes:
    """The deck's package from its groups (a task of the build's pool: it runs while the
    build's own process assembles the reader)."""
    return join(base, groups)


class DeckJob:
    """The deck under way: the groups the cache holds, and the others being made as
    tasks of the build's pool, BATCH segments each, beside the reader's layouts; once
    they are made, a thread of this process caches them and hands the join to the pool.

    Its "Reader p. N" lines are tokens (build.finish_deck fills them in): cached
    slides must not carry one build's page numbers into the next.
    """

    def __init__(self, course: Course, theme, store: Store | None,  # noqa: ANN001
                 runner: "Runner", priority: int = 0):
        import threading
        from concurrent.futures import Future

        store = store or Store(None)
        self.stats = DeckStats()
        self.cache = store.shelf("slides", ".zip")
        self.keys = segment_keys(course, deck_fingerprint(course, theme))
        self.items = {item.anchor for item in course.items}
        self.groups = self._cached()
        self.names = segment_names(course)
        todo = [n for n in self.names if n not in self.groups]   # always the title slide
        self.batches = [runner.submit(task_batch, course, theme, todo[at:at + BATCH], store,
                                      priority=priority)
                        for at in range(0, len(todo), BATCH)]
        self.slides = 0
        self._joined: Future = Future()      # of the join task's future
        threading.Thread(target=self._finish, args=(runner, priority), daemon=True,
                         name="reader-deck").start()

    def _cached(self) -> dict[str, Group]:
        groups: dict[str, Group] = {}
        for name, key in self.keys.items():
            hit = self.cache.get(key)             # None, too, for an entry that does not verify
            try:
                if hit is not None:
                    groups[name] = Group.from_bytes(hit[0])
            except (zipfile.BadZipFile, KeyError, ValueError, TypeError):
                hit = None
                self.cache.stats.discarded.append(key)
            if name in self.items:
                if hit is not None:
                    self.stats.reused.append(name)
                elif key in self.cache.stats.discarded:
                    self.stats.discarded.append(name)
        return groups

    def _finish(self, runner: "Runner", priority: int) -> None:
        """Wait for the batches, cache what they made, and hand the join to ``runner``;
        whatever fails is raised by ``result``."""
        try:
            base = None
            for batch in self.batches:                 # the first holds the title slide
                batch_base, built = batch.result()
                base = base or batch_base
                for name, group in built.items():
                    if name in self.groups:
                        continue
                    self.groups[name] = group
                    if name in self.keys:
                        self.cache.put(self.keys[name], group.to_bytes(),
                                       {"pages": max(1, group.slides)})
                    if name in self.items:
                        self.stats.built.append(name)
            assert base is not None
            ordered = [self.groups[n] for n in self.names]
            self.slides = sum(g.slides for g in ordered)
            self._joined.set_result(runner.submit(task_join, base, ordered,
                                                  priority=priority))
        except BaseException as exc:  # noqa: BLE001 - raised where the deck is waited for
            self._joined.set_exception(exc)

    def result(self) -> tuple[bytes, int, DeckStats]:
        """The deck as a package (stored zip), its slide count, and what was reused."""
        package = self._joined.result().result()
        return package, self.slides, self.stats


def render_deck(course: Course, theme, store: Store | None = None,  # noqa: ANN001
                runner: "Runner | None" = None) -> tuple[bytes, int, DeckStats]:
    """The deck as a package (stored zip), its slide count, and what was reused; its
    batches run by ``runner`` (here, when none is given)."""
    from ..core.tasks import InProcess

    return DeckJob(course, theme, store, runner or InProcess()).result()
