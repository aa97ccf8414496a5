"""Where each block's text breaks across pages, so the deck can cite the page of any
sentence (course/blocks.py) without marking sentences in the HTML.

Inline marks (empty ``<span id>`` at every sentence) would be simpler to read back,
but they change WeasyPrint's line breaking and hyphenation; block ids do not. So a
block keeps its one id, and this reads the laid-out boxes: for a block that goes on
to another page, from which of its letters and digits it does (counted by
blocks.letter_count, as the deck counts them).
"""

from __future__ import annotations

from ..course.blocks import letter_count

SEPARATOR = "@"     # 'item-3-b4@520': block item-3-b4 from its 520th letter or digit


def page_breaks(pages) -> dict[str, tuple[int, float, float]]:  # noqa: ANN001
    """For each block that runs over pages: 'ID@N' -> (page index, 0, 0) for every page
    after its first, N being the letters and digits on its earlier pages. The entries
    have the shape of WeasyPrint's anchors, and join them."""
    from weasyprint.formatting_structure.boxes import LineBox, TextBox

    counts: dict[str, dict[int, int]] = {}

    def walk(box, page: int) -> int:  # noqa: ANN001
        if "::" in (getattr(box, "element_tag", "") or ""):
            return 0                      # markers, footnote calls: not the block's text
        if isinstance(box, TextBox):
            return letter_count(box.text)
        total = sum(walk(child, page) for child in getattr(box, "children", ()))
        element = getattr(box, "element", None)
        name = element.get("id") if element is not None and \
            not isinstance(box, LineBox) else None
        if name:
            on_page = counts.setdefault(name, {})
            on_page[page] = max(on_page.get(page, 0), total)
        return total

    for index, page in enumerate(pages):
        walk(page._page_box, index)
    found: dict[str, tuple[int, float, float]] = {}
    for name, on_page in counts.items():
        if len(on_page) < 2:
            continue
        before = 0
        for index in sorted(on_page):
            if before:
                found[f"{name}{SEPARATOR}{before}"] = (index, 0.0, 0.0)
            before += on_page[index]
    return found
