"""Where everything landed in the laid-out reader: the one record of page numbers.

The PDF renderer fills it; the deck ("Reader p. N"), the permissions report
and the command line read it, so they always cite the pages the reader prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class PageMap:
    """Printed (folio) page numbers by anchor; the body starts at folio 1.

    ``start`` and ``pages`` are the body's sections (parts, items, Sources);
    ``anchors`` is every other id in the body (a paragraph, a sentence's end, a
    table row...), by the page it is printed on: what a slide cites.
    """

    start: dict[str, int] = field(default_factory=dict)     # anchor -> first page number
    pages: dict[str, int] = field(default_factory=dict)     # anchor -> page count
    front_pages: int = 0
    body_pages: int = 0
    anchors: dict[str, int] = field(default_factory=dict)   # any body anchor -> its page
    _index: dict | None = field(default=None, repr=False, compare=False)

    def range(self, anchor: str) -> tuple[int, int]:
        first = self.start[anchor]
        return first, first + self.pages[anchor] - 1

    def page(self, anchor: str) -> int | None:
        """The page an anchor is printed on, or None when the reader has no such anchor.

        'ID@N' is a place in a block: its N-th letter or digit (course/blocks.place).
        Where the block runs over pages, the reader recorded 'ID@K' for the first
        letter of each later page (pdf/positions.py): the place is on the page of the
        last K not after N.
        """
        found = self.start.get(anchor)
        if found is not None:
            return found
        block, _, letters = anchor.partition("@")
        page = self.anchors.get(block)
        if not letters or page is None:
            return page
        n = int(letters) if letters.isdigit() else 0
        for k, on in self._breaks().get(block, ()):
            if k > n:
                break
            page = on
        return page

    def _breaks(self) -> dict[str, list[tuple[int, int]]]:
        """'ID@K' entries, by block, in order of K (built once)."""
        if self._index is None:
            index: dict[str, list[tuple[int, int]]] = {}
            for name, page in self.anchors.items():
                block, sep, letters = name.partition("@")
                if sep and letters.isdigit():
                    index.setdefault(block, []).append((int(letters), page))
            for places in index.values():
                places.sort()
            self._index = index
        return self._index
