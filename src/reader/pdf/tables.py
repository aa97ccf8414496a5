"""Data tables that never leave the text block: measured on the real layout, then fitted.

Each table's columns are measured in one small WeasyPrint document (the
``table_measures`` macro of items.html.j2), so the measure is the stylesheet's
own faces, sizes and padding: every column with its heading on one line, with
its heading wrapped (its longest word), and with its body cells on one line;
and the width of the text block on a body page and on a landscape page.
``fit_table`` then chooses, in the order a book designer would:

1. the stylesheet's type size, or smaller type down to the theme's minimum
   (``theme.toml``: ``tables.min_size``), headings on one line;
2. the same with the headings wrapped;
3. a landscape page for the table (there again the largest type, headings on
   one line if they fit);
4. the table split into groups of columns, the first column repeated in each.

A column of numbers keeps its numbers on one line; a column of text may wrap,
but keeps at least ``tables.text_column`` ems (or its longest cell, if less),
so region names are not squeezed to a word a line. The printed table is set
with exactly the chosen column widths (``table-layout: fixed``). Cell padding
is in ems in reader.css, so a whole column scales with its type size.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

PX = 0.75             # CSS px to points
SIZE_STEP = 0.5       # pt: the steps in which a table's type is made smaller

# The measuring document's own rules (not a style: they make WeasyPrint report widths).
MEASURE_CSS = """
table.measure { width: 1px !important; table-layout: auto !important; }
table.measure.head-line tbody, table.measure.head-wrapped tbody,
table.measure.body-line thead { display: none !important; }
table.measure.body-line td { white-space: nowrap !important; }
"""


@dataclass(frozen=True)
class Measure:
    """One table's columns as laid out at the stylesheet's size, in points."""

    size: float                      # the type size the stylesheet sets the table in
    head_line: tuple[float, ...]     # each column's width with its heading on one line
    head_wrapped: tuple[float, ...]  # ... with its heading wrapped (its longest word)
    body: tuple[float, ...]          # ... with its body cells on one line
    padding: tuple[float, ...]       # each column's left plus right padding


@dataclass(frozen=True)
class Fit:
    """How one table is printed."""

    size: float                                 # type size, pt
    base_size: float                            # the stylesheet's size, pt
    wrap_head: bool                             # headings may wrap
    landscape: bool                             # on a landscape page
    groups: tuple[tuple[int, ...], ...]         # column indexes of each printed table
    widths: tuple[tuple[float, ...], ...]       # each group's column widths, % of the block
    block: float = 0.0                          # the text block's width on its page, pt
                                                # (its chart is printed this wide)

    @property
    def adjusted(self) -> bool:
        return (self.size < self.base_size or self.wrap_head or self.landscape or
                len(self.groups) > 1)

    def describe(self) -> str:
        """What was done, for the build's warning: 'on a landscape page, in 9 pt type'."""
        done = []
        if self.landscape:
            done.append("on a landscape page")
        if len(self.groups) > 1:
            done.append(f"split into {len(self.groups)} tables (columns "
                        f"{'; '.join(_span(g) for g in self.groups)}), the first column "
                        "repeated in each")
        if self.size < self.base_size:
            done.append(f"in {self.size:g} pt type (not {self.base_size:g} pt)")
        if self.wrap_head:
            done.append("with its column headings wrapped")
        return ", ".join(done)

    def template_data(self) -> dict[str, Any]:
        """What the templates read (plain data: the templates are sandboxed)."""
        return {"size": f"{self.size:g}pt", "wrap_head": self.wrap_head,
                "landscape": self.landscape,
                "groups": [[{"index": i, "width": f"{w:.3f}%"} for i, w in zip(g, ws)]
                           for g, ws in zip(self.groups, self.widths)]}


def _span(group: Sequence[int]) -> str:
    """Columns (0-based, the first and then a run) as printed: '1-5' or '1, 6-9'."""
    cols = [i + 1 for i in group]
    if len(cols) == 1 or cols[1] == 2:
        return f"1-{cols[-1]}" if len(cols) > 1 else "1"
    return f"1, {cols[1]}" + (f"-{cols[-1]}" if len(cols) > 2 else "")


def fit_table(measure: Measure, numeric: Sequence[bool], portrait: float, landscape: float,
              min_size: float, text_ems: float) -> Fit:
    """Choose how to print a table whose columns were measured (see the module's doc)."""
    sizes = _sizes(measure.size, min_size)
    for on_landscape, width in ((False, portrait), (True, landscape)):
        for wrap in (False, True):
            needs = _needs(measure, numeric, wrap, text_ems)
            for size in sizes:
                if _total(needs, measure.size, size) <= width:
                    return _fitted(measure, needs, size, wrap, on_landscape,
                                   [tuple(range(len(needs)))], width, numeric)
    for wrap in (False, True):  # split: every column must fit beside the first
        needs = _needs(measure, numeric, wrap, text_ems)
        for size in sizes:
            if all(_total([needs[0], n], measure.size, size) <= portrait for n in needs[1:]):
                return _fitted(measure, needs, size, wrap, False,
                               _groups(needs, measure.size, size, portrait), portrait, numeric)
    return _fitted(measure, needs, sizes[-1], True, False,  # a column too wide even alone
                   _groups(needs, measure.size, sizes[-1], portrait), portrait, numeric)


def _sizes(base: float, minimum: float) -> list[float]:
    """base, base - 0.5, ... down to the minimum (never above the base)."""
    out = [base]
    size = base - SIZE_STEP
    while size >= minimum - 1e-9:
        out.append(round(size, 2))
        size -= SIZE_STEP
    return out


def _needs(measure: Measure, numeric: Sequence[bool], wrap: bool, text_ems: float) -> list[float]:
    """Each column's narrowest comfortable width at the measured size."""
    head = measure.head_wrapped if wrap else measure.head_line
    needs = []
    for i, is_number in enumerate(numeric):
        body = measure.body[i]
        if not is_number:  # text may wrap, down to a floor of ems (or its longest cell)
            body = min(body, text_ems * measure.size + measure.padding[i])
        needs.append(max(head[i], body))
    return needs


def _total(needs: Sequence[float], base: float, size: float) -> float:
    return sum(needs) * size / base


def _groups(needs: Sequence[float], base: float, size: float,
            width: float) -> list[tuple[int, ...]]:
    """Columns in order, each group beside the first column: as few groups as fit, of
    nearly equal numbers of columns where those fit (else as many to a group as fit)."""
    greedy: list[list[int]] = [[0]]
    for i in range(1, len(needs)):
        if len(greedy[-1]) > 1 and \
                _total([needs[j] for j in greedy[-1]] + [needs[i]], base, size) > width:
            greedy.append([0])
        greedy[-1].append(i)
    rest, count = list(range(1, len(needs))), len(greedy)
    cuts = [round(k * len(rest) / count) for k in range(count + 1)]
    even = [[0] + rest[cuts[k]:cuts[k + 1]] for k in range(count)]
    if all(_total([needs[j] for j in g], base, size) <= width for g in even):
        return [tuple(g) for g in even]
    return [tuple(g) for g in greedy]


def _fitted(measure: Measure, needs: Sequence[float], size: float, wrap: bool,
            landscape: bool, groups: list[tuple[int, ...]], width: float,
            numeric: Sequence[bool]) -> Fit:
    """Column widths for each group: each column's need, the room left given first to
    text columns (up to their one-line width), then to every column in proportion."""
    scale = size / measure.size
    widths = []
    for group in groups:
        cols = [needs[i] * scale for i in group]
        room = width - sum(cols)
        if room < 0:                  # a column too wide even alone: shrink all alike
            cols = [c * width / sum(cols) for c in cols]
            room = 0.0
        for k, i in enumerate(group):
            if not numeric[i] and room > 0:
                more = min(room, max(0.0, measure.body[i] * scale - cols[k]))
                cols[k] += more
                room -= more
        total = sum(cols)
        cols = [c + room * c / total for c in cols]
        widths.append(tuple(100 * c / width for c in cols))
    return Fit(size, measure.size, wrap, landscape, tuple(groups), tuple(widths))


# --- reading the measuring document -------------------------------------------------------

def read_measures(document: Any) -> dict[str, Any]:
    """From the laid-out measuring document: each table's Measure (as plain lists) and the
    text block's width on portrait and landscape pages, in points."""
    tables: dict[str, dict[str, list[float]]] = {}
    sizes: dict[str, float] = {}
    padding: dict[str, list[float]] = {}
    widths: dict[str, float] = {}
    for page in document.pages:
        for box in _boxes(page._page_box):
            element = getattr(box, "element", None)
            label = element.get("data-measure") if element is not None else None
            if not label:
                continue
            if type(box).__name__ == "TableBox":
                anchor, form = label.split(" ", 1)
                if form not in tables.setdefault(anchor, {}):
                    tables[anchor][form] = [w * PX for w in box.column_widths]
                    sizes[anchor] = box.style["font_size"] * PX
                if form == "body-line" and anchor not in padding:
                    padding[anchor] = _row_padding(box)
            elif label in ("portrait", "landscape") and label not in widths:
                widths[label] = box.width * PX
    measures = {}
    for anchor, forms in tables.items():
        if {"head-line", "head-wrapped", "body-line"} <= forms.keys() and anchor in padding:
            measures[anchor] = {"size": sizes[anchor], "head_line": forms["head-line"],
                                "head_wrapped": forms["head-wrapped"],
                                "body": forms["body-line"], "padding": padding[anchor]}
    return {"tables": measures, "portrait": widths.get("portrait"),
            "landscape": widths.get("landscape")}


def _boxes(box: Any) -> Iterator[Any]:
    yield box
    for child in getattr(box, "children", None) or ():
        yield from _boxes(child)


def _row_padding(table: Any) -> list[float]:
    for box in _boxes(table):
        if type(box).__name__ == "TableRowBox" and box.children:
            return [(cell.padding_left + cell.padding_right) * PX for cell in box.children]
    return [0.0] * len(table.column_widths)


def fits_from(measured: dict[str, Any], course: Any, tokens: dict) -> dict[str, Fit]:
    """Every data table's Fit, from read_measures' answer (tables it lacks are left to
    the browser's own table layout)."""
    from ..course.model import Table

    portrait, landscape = measured.get("portrait"), measured.get("landscape")
    if not portrait:
        return {}
    min_size = float(tokens["tables"]["min_size"])
    text_ems = float(tokens["tables"]["text_column"])
    fits = {}
    for item in course.items:
        data = measured["tables"].get(item.anchor) if isinstance(item, Table) else None
        if data is None or len(data["body"]) != len(item.columns):
            continue
        measure = Measure(float(data["size"]), *(tuple(map(float, data[k])) for k in
                                                 ("head_line", "head_wrapped", "body",
                                                  "padding")))
        fit = fit_table(measure, item.numeric_columns(), float(portrait),
                        float(landscape or portrait), min_size, text_ems)
        fits[item.anchor] = replace(
            fit, block=float(landscape or portrait) if fit.landscape else float(portrait))
    return fits
