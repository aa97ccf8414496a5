"""Where everything landed in the laid-out reader: the one record of page numbers.

The PDF renderer fills it; the deck ("Reader p. N"), the permissions report
and the command line read it, so they always cite the pages the reader prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class PageMap:
    """Printed (folio) page numbers by anchor; the body starts at folio 1."""

    start: dict[str, int] = field(default_factory=dict)     # anchor -> first page number
    pages: dict[str, int] = field(default_factory=dict)     # anchor -> page count
    front_pages: int = 0
    body_pages: int = 0

    def range(self, anchor: str) -> tuple[int, int]:
        first = self.start[anchor]
        return first, first + self.pages[anchor] - 1
