"""Running heads and folios on the assembled reader, exactly as WeasyPrint draws them.

The fast path lays out each chunk without its page-margin boxes (a chunk does not know
its folio or whether its pages fall left or right) and adds them when the book is put
together. They must look exactly as in a single-document render: same face, size,
colour, letter spacing, kerning and position, to the pixel. So nothing about them is
set here. The theme's own CSS decides them, and WeasyPrint draws them:

1. A probe (pdf/html.py ``probe_html``) lays out an item's first three pages and two
   landscape pages with the theme's margin boxes, filled with marks. ``read_slots`` learns
   from its boxes, for each kind of page, which margin boxes carry text, what (the course
   title, the item's title, the folio, or a constant), where (an edge and a baseline) and
   in which style.
2. For a book, every string its furniture needs (each running head, each folio number)
   is laid out once, in the style of its margin box, in a small document of its own
   (``strings_html``, run as a task; ``read_strings`` finds each string's line).
3. ``stamp`` copies each string's text operators from that document onto the page, with
   only the text matrix moved to where the margin box puts it: the same operators and
   numbers a single-document render writes there.

A long title would wrap in a margin box; ``running_head`` shortens it first, for both
paths, so a head is always one line.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any

PX = 0.75                       # CSS px in PDF points
COURSE_MARK = "reader-course-head"
ITEM_MARK = "reader-item-head"
MAX_HEAD_CHARACTERS = 60        # a running head is a short title; longer ones are cut

_KINDS = ("right-open", "left", "right", "wide-left", "wide-right")


def running_head(title: str) -> str:
    """A title short enough for a running head: cut at a word before 60 characters, with
    an ellipsis (books print a short title there; a long one would wrap in its box)."""
    title = " ".join(title.split())
    if len(title) <= MAX_HEAD_CHARACTERS:
        return title
    cut = title[:MAX_HEAD_CHARACTERS - 1]
    if " " in cut[MAX_HEAD_CHARACTERS // 2:]:
        cut = cut[:cut.rindex(" ")]
    return cut.rstrip(" ,;:–—-") + "…"


@dataclass(frozen=True)
class Slot:
    """A margin box that carries one line of text on a kind of page."""

    what: str          # "course", "head", "folio" or "text" (a constant, in ``text``)
    text: str
    align: str         # "left", "right" or "center"
    left: float        # the box's content edges and the line's baseline, in CSS px
    right: float
    baseline: float
    style: str         # the text's computed style, as CSS declarations


@dataclass
class Furniture:
    """The margin boxes of each kind of body page, and the page heights they sit on."""

    slots: dict[str, list[Slot]] = field(default_factory=dict)
    heights: dict[str, float] = field(default_factory=dict)     # px

    def page_slots(self, kind: str, opening: bool) -> list[Slot]:
        """The margin boxes a page shows: ``kind`` as probed ("left", "wide-right"...); an
        item's opening page shows no running head (the theme's ``first-except``), as the
        probe's first page shows."""
        slots = self.slots.get(kind, [])
        heads = ("course", "head")
        if not opening or any(s.what in heads for s in self.slots.get("right-open", [])):
            return slots
        return [s for s in slots if s.what not in heads]

    def to_json(self) -> dict[str, Any]:
        return {"slots": {k: [vars(s) for s in v] for k, v in self.slots.items()},
                "heights": self.heights}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Furniture":
        return cls({k: [Slot(**s) for s in v] for k, v in data["slots"].items()},
                   {k: float(v) for k, v in data["heights"].items()})


# --- in a worker: what the theme's margin boxes hold ------------------------------------------

def read_slots(document: Any) -> Furniture:
    """The probe's margin boxes, page by page (see the module docstring)."""
    from weasyprint.formatting_structure import boxes

    furniture = Furniture()
    for kind, page in zip(_KINDS, document.pages):
        folio = str(_KINDS.index(kind) + 1)
        found = []
        for box in page._page_box.children:
            if not isinstance(box, boxes.MarginBox):
                continue
            lines = [b for b in _descendants(box) if isinstance(b, boxes.LineBox)]
            texts = [b for b in _descendants(box) if isinstance(b, boxes.TextBox)]
            if len(lines) != 1 or not texts:
                continue
            text = "".join(t.text for t in texts)
            what = {COURSE_MARK: "course", ITEM_MARK: "head", folio: "folio"}.get(text, "text")
            align = box.style["text_align_all"]
            found.append(Slot(what, text if what == "text" else "",
                              align if align in ("right", "center") else "left",
                              box.content_box_x(), box.content_box_x() + box.width,
                              lines[0].position_y + lines[0].baseline, _style(texts[0])))
        furniture.slots[kind] = found
        furniture.heights[kind] = page.height
    return furniture


def _descendants(box: Any) -> list[Any]:
    found, stack = [], [box]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(reversed(getattr(current, "children", [])))
    return found


def _style(text: Any) -> str:
    """The declarations that decide how a text run is drawn, from its computed style."""
    style = text.style
    colour = style["color"]
    rgb = ", ".join(f"{round(c * 255)}" for c in colour.coordinates[:3]) \
        if hasattr(colour, "coordinates") else "0, 0, 0"
    families = ", ".join(f'"{f}"' for f in style["font_family"])
    spacing = style["letter_spacing"]
    words = style["word_spacing"]
    return (f"font-family: {families}; font-size: {style['font_size']}px; "
            f"font-weight: {style['font_weight']}; font-style: {style['font_style']}; "
            f"font-stretch: {style['font_stretch']}; "
            f"letter-spacing: {'normal' if spacing == 'normal' else f'{spacing}px'}; "
            f"word-spacing: {'normal' if words in ('normal', 0) else f'{words}px'}; "
            f"text-transform: {style['text_transform']}; "
            f"font-variant-numeric: {_css(style['font_variant_numeric'])}; "
            f"font-variant-caps: {_css(style['font_variant_caps'])}; "
            f"font-kerning: {style['font_kerning']}; color: rgb({rgb})")


def _css(value: Any) -> str:
    if value in (None, "normal") or value == ():
        return "normal"
    return " ".join(value) if isinstance(value, tuple) else str(value)


def strings_html(base: str, strings: list[tuple[str, str]]) -> str:
    """A document of one line per (style, string): ``base`` is the theme's empty document
    (its stylesheets and fonts), each line a block of its own that never wraps."""
    from markupsafe import escape

    lines = []
    for n, (style, text) in enumerate(strings):
        declarations = escape(f"{style}; white-space: pre; margin: 0; padding: 0; "
                              "line-height: 2")
        lines.append(f'<div id="reader-s{n}" style="{declarations}">{escape(text)}</div>')
    return base.replace("<body>", '<body style="margin: 0">' + "".join(lines), 1)


def read_strings(document: Any) -> dict[int, tuple[int, float, float, float]]:
    """Each string's page, the x where its text starts, its baseline and its width (px)."""
    from weasyprint.formatting_structure import boxes

    found: dict[int, tuple[int, float, float, float]] = {}
    for index, page in enumerate(document.pages):
        for box in _descendants(page._page_box):
            element_id = box.element.get("id") if getattr(box, "element", None) is not None \
                else None
            if not isinstance(box, boxes.BlockBox) or not element_id or \
                    not element_id.startswith("reader-s"):
                continue
            lines = [b for b in box.children if isinstance(b, boxes.LineBox)]
            if not lines or not lines[0].children:
                continue
            line = lines[0]
            start = min(child.position_x for child in line.children)
            end = max(child.position_x + child.width for child in line.children)
            found[int(element_id[len("reader-s"):])] = (
                index, start, line.position_y + line.baseline, end - start)
    return found


# --- in the build's process: copying the strings onto the pages ---------------------------------

@dataclass
class Run:
    """A string's text objects, ready to be drawn at another place."""

    page: int
    x: float
    baseline: float
    width: float
    ops: list[tuple[list[Any], Any]]     # graphics state and BT..ET, as parsed


_COLOUR = ("rg", "g", "k", "cs", "sc", "scn", "gs", "RG", "G", "K", "CS", "SC", "SCN")
_TEXT_STATE = ("Tc", "Tw", "Tz", "TL", "Ts", "Tr")


def runs(pdf_data: bytes, positions: dict[int, tuple[int, float, float, float]]
         ) -> tuple[Any, dict[int, Run]]:
    """The strings document opened, and each string's text operators, found by the baseline
    their text matrix sets.

    WeasyPrint puts consecutive runs in one text object, each starting with its own text
    matrix (Tm); a run here is one such piece, given everything in effect for it: the
    colour and graphics state, the text state and font, so it can be drawn on its own.
    """
    import pikepdf

    source = pikepdf.Pdf.open(io.BytesIO(pdf_data))
    by_line = {(page, round(baseline, 4)): n
               for n, (page, _, baseline, _) in positions.items()}
    found = {n: Run(page, x, base, width, []) for n, (page, x, base, width) in positions.items()}
    for index, page in enumerate(source.pages):
        state: dict[str, tuple[list[Any], Any]] = {}     # colour, graphics and text state
        stack: list[dict[str, tuple[list[Any], Any]]] = []
        piece: list[tuple[list[Any], Any]] | None = None
        target: int | None = None

        for instruction in pikepdf.parse_content_stream(page):
            operands, op = instruction.operands, instruction.operator
            name = str(op)
            if name == "q":
                stack.append(dict(state))
            elif name == "Q":
                state = stack.pop() if stack else {}
            elif name in _COLOUR or name in _TEXT_STATE or name == "Tf":
                state[name] = (list(operands), op)
                if piece is not None:
                    piece.append((list(operands), op))
            elif name == "Tm":
                _close(found, target, piece, state)
                number = by_line.get((index, round(float(operands[5]), 4)))
                piece, target = [(list(operands), op)], number
            elif name == "ET":
                _close(found, target, piece, state)
                piece, target = None, None
            elif piece is not None and name != "BT":
                piece.append((list(operands), op))
    return source, found


def _close(found: dict[int, Run], target: int | None,
           piece: list[tuple[list[Any], Any]] | None,
           state: dict[str, tuple[list[Any], Any]]) -> None:
    """A finished text piece of a furniture line, with the state it was drawn in."""
    import pikepdf

    if piece is not None and target is not None:
        found[target].ops.extend([*state.values(), ([], pikepdf.Operator("BT")),
                                  *piece, ([], pikepdf.Operator("ET"))])


def stamp_ops(run: Run, slot: Slot, page_height_pt: float, names: dict[str, str]) -> bytes:
    """The page-content operators that draw ``run`` in ``slot``: WeasyPrint's page
    transform, then the run's own operators, with each text matrix moved by the distance
    from where the run was laid out to where the slot puts it (written as WeasyPrint
    writes numbers, so the page holds the numbers a single-document render would)."""
    import pikepdf

    if slot.align == "right":
        x = slot.right - run.width
    elif slot.align == "center":
        x = (slot.left + slot.right) / 2 - run.width / 2
    else:
        x = slot.left
    matrices = [ops for ops, op in run.ops if str(op) == "Tm"]
    if not matrices:
        return b""
    first_x, first_y = float(matrices[0][4]), float(matrices[0][5])
    out = [f"q 1 0 0 -1 0 {_number(page_height_pt)} cm q {PX} 0 0 {PX} 0 0 cm q".encode()]
    for operands, op in run.ops:
        name = str(op)
        if name == "Tm":
            a, b, c, d = (_number(float(v)) for v in operands[:4])
            tx = _number(x + (float(operands[4]) - first_x))
            ty = _number(slot.baseline + (float(operands[5]) - first_y))
            out.append(f"{a} {b} {c} {d} {tx} {ty} Tm".encode())
            continue
        if name in ("Tf", "gs") and operands and str(operands[0]) in names:
            operands = [pikepdf.Name(names[str(operands[0])]), *operands[1:]]
        out.append(pikepdf.unparse_content_stream([(operands, op)]))
    out.append(b"Q Q Q")
    return b"\n".join(out) + b"\n"


def _number(value: float) -> str:
    """A number as WeasyPrint's PDF writer (pydyf) writes it."""
    if value == int(value):
        return str(int(value))
    return f"{value:f}".rstrip("0")


_SAFE_NAME = re.compile(r"[^A-Za-z0-9]")


def resource_name(kind: str, original: str, number: int) -> str:
    """A name for a strings-document resource on a reader page that no chunk uses."""
    return f"/Reader{kind}{number}{_SAFE_NAME.sub('', original)[:12]}"
