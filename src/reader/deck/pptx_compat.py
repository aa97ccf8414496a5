"""Every use of python-pptx's private API, in one place.

python-pptx (1.0) has no public API for a picture's alt text, a paragraph's
bullet or automatic number, a line break with its size, a chart's label
spacing, a slide list without slides, or a fast way to make thousands of
formatted runs. Each workaround below names the XML it writes (ECMA-376),
so a python-pptx upgrade that breaks one breaks it here, and
tests/test_deck.py fails on the deck it makes.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Callable

from lxml import etree
from pptx.opc.packuri import PackURI
from pptx.oxml.ns import qn
from pptx.util import Pt

from ..core.files import CONTROL


# --- the package ----------------------------------------------------------------------------

def remember_partnames(prs) -> None:  # noqa: ANN001
    """python-pptx walks every part to name each new notes slide or chart, which makes
    a deck quadratic in its slides (1,000 slides: 9.4 s). Remember the names used."""
    package = prs.part.package
    used: dict[str, set[str]] = {}

    def next_partname(tmpl: str) -> PackURI:
        prefix = tmpl[: (tmpl % 42).find("42")]
        if prefix not in used:
            used[prefix] = {str(p.partname) for p in package.iter_parts()
                            if p.partname.startswith(prefix)}
        names = used[prefix]
        n = len(names) + 1
        while tmpl % n in names:
            n += 1
        names.add(tmpl % n)
        return PackURI(tmpl % n)

    package.next_partname = next_partname


def clear_slides(prs) -> None:  # noqa: ANN001
    """A deck template may ship example slides: drop them (p:sldIdLst and their parts)."""
    slide_ids = prs.slides._sldIdLst
    for slide_id in list(slide_ids):
        prs.part.drop_rel(slide_id.rId)
        slide_ids.remove(slide_id)


# --- shapes -------------------------------------------------------------------------------

def set_alt_text(shape, text: str) -> None:  # noqa: ANN001
    """The description a screen reader speaks: ``descr`` on the shape's p:cNvPr."""
    c_nv_pr = shape._element.find(".//" + qn("p:cNvPr"))
    c_nv_pr.set("descr", CONTROL.sub("", text))


def first_in_reading_order(shape) -> None:  # noqa: ANN001
    """Screen readers follow p:spTree's order: move the shape (the title) to its front."""
    element = shape._element
    tree = element.getparent()
    tree.remove(element)
    tree.insert(2, element)      # after p:nvGrpSpPr and p:grpSpPr


def add_title_placeholder(slide, left: int, top: int, width: int, height: int):  # noqa: ANN001, ANN201
    """A layout of a course's own template may lack a title: a real title placeholder
    (p:ph type="title"), not a text box, so the slide has a title for screen readers."""
    shape = slide.shapes.add_textbox(left, top, width, height)
    nv_pr = shape._element.find(qn("p:nvSpPr")).find(qn("p:nvPr"))
    nv_pr.append(nv_pr.makeelement(qn("p:ph"), {"type": "title"}))
    shape._element.find(qn("p:nvSpPr")).find(qn("p:cNvSpPr")).attrib.pop("txBox", None)
    return slide.shapes.title or shape


def drop_empty_placeholders(slide) -> None:  # noqa: ANN001
    """Empty placeholders show "Click to add text" in PowerPoint: remove them."""
    for shape in list(slide.placeholders):
        if shape.has_text_frame and not shape.text_frame.text.strip():
            shape.element.getparent().remove(shape.element)


# --- text ---------------------------------------------------------------------------------

class Runs:
    """Formatted runs, fast. python-pptx takes ~0.3 ms to format one, so each style is
    formatted once and its a:r copied (the same XML, a fraction of the time)."""

    def __init__(self, font: str, lang: str, colour: Callable[[str], object]):
        self.font, self.lang, self.colour = font, lang, colour
        self._protos: dict[tuple, etree._Element] = {}

    def add(self, paragraph, text: str, size: float, bold: bool = False,  # noqa: ANN001
            italic: bool = False, strike: bool = False, colour: str = "ink") -> None:
        """Runs of ``text`` in ``paragraph`` (a python-pptx _Paragraph); each "\\n" a
        line break (a:br) of the same size, so the line keeps its height."""
        proto = self._proto(paragraph, size, bold, italic, strike, colour)
        p = paragraph._p
        for n, line in enumerate(text.split("\n")):
            if n:
                br = p.makeelement(qn("a:br"), {})
                br.append(deepcopy(proto.find(qn("a:rPr"))))
                p._insert_br(br)
            if line:
                element = deepcopy(proto)
                element.find(qn("a:t")).text = CONTROL.sub("", line)
                p._insert_r(element)

    def _proto(self, paragraph, size: float, bold: bool, italic: bool,  # noqa: ANN001
               strike: bool, colour: str) -> etree._Element:
        key = (size, bold, italic, strike, colour)
        proto = self._protos.get(key)
        if proto is None:
            run = paragraph.add_run()
            font = run.font
            font.size = Pt(size)
            font.bold = bold
            font.italic = italic
            font.name = self.font
            font.color.rgb = self.colour(colour)
            r_pr = run._r.get_or_add_rPr()
            r_pr.set("lang", self.lang)
            if strike:
                r_pr.set("strike", "sngStrike")
            proto = self._protos[key] = deepcopy(run._r)
            run._r.getparent().remove(run._r)
        return proto


def set_paragraph(paragraph, *, level: int, margin_emu: int, indent_emu: int,  # noqa: ANN001
                  bullet: str | None, number: int | None, space_before: float,
                  align: str) -> None:
    """a:pPr: level (lvl), margins (marL, indent), spacing (a:spcBef), alignment (algn),
    and the bullet: a:buChar, a:buAutoNum (arabicPeriod, startAt) or a:buNone."""
    p_pr = paragraph._p.get_or_add_pPr()
    if level:
        p_pr.set("lvl", str(min(level, 8)))
    p_pr.set("marL", str(margin_emu))
    p_pr.set("indent", str(indent_emu))
    p_pr.set("algn", {"left": "l", "right": "r", "center": "ctr"}[align])
    if space_before:
        paragraph.space_before = Pt(space_before)
    for tag in ("a:buNone", "a:buAutoNum", "a:buChar", "a:buFont"):
        for old in p_pr.findall(qn(tag)):
            p_pr.remove(old)
    if number is not None:
        p_pr.append(p_pr.makeelement(qn("a:buAutoNum"), {"type": "arabicPeriod",
                                                         "startAt": str(number)}))
    elif bullet is not None:
        p_pr.append(p_pr.makeelement(qn("a:buChar"), {"char": bullet}))
    else:
        p_pr.append(p_pr.makeelement(qn("a:buNone"), {}))


# --- tables -------------------------------------------------------------------------------

class Cells:
    """Formatted table cells (a:tc), fast: each style is formatted once and copied."""

    def __init__(self) -> None:
        self._protos: dict[tuple, etree._Element] = {}

    def replace(self, cell, key: tuple, format_cell: Callable[[object], None]):  # noqa: ANN001, ANN201
        """Give ``cell`` the formatting ``format_cell`` applies for ``key`` (a copy of the
        a:tc made the first time); return the new cell, as python-pptx's _Cell."""
        import pptx.table

        proto = self._protos.get(key)
        if proto is None:
            format_cell(cell)
            proto = self._protos[key] = deepcopy(cell._tc)
        element = deepcopy(proto)
        cell._tc.getparent().replace(cell._tc, element)
        return pptx.table._Cell(element, cell._parent)


# --- charts --------------------------------------------------------------------------------

def thin_category_labels(chart, every: int) -> None:  # noqa: ANN001
    """Show every ``every``-th category label (c:tickLblSkip, c:tickMarkSkip)."""
    if every <= 1:
        return
    axis = chart._chartSpace.find(".//" + qn("c:catAx"))
    if axis is None:
        return
    for tag in ("c:tickLblSkip", "c:tickMarkSkip"):
        for old in axis.findall(qn(tag)):
            axis.remove(old)
    # schema order: ... c:lblAlgn, c:lblOffset, c:tickLblSkip, c:tickMarkSkip, c:noMultiLvlLbl
    anchor = axis.find(qn("c:noMultiLvlLbl"))
    for tag in ("c:tickLblSkip", "c:tickMarkSkip"):
        element = axis.makeelement(qn(tag), {"val": str(every)})
        if anchor is not None:
            anchor.addprevious(element)
        else:
            axis.append(element)
