"""The deck's page references ("Reader p. 14", "Reader pp. 14–15") as tokens, filled in
from the reader's PageMap when the deck is finished.

Slides are cached and reused across builds, so they never hold one build's page
numbers: each cites anchors (the ids of what it shows, see course/blocks.py)
and build.pipeline.finish_deck puts the pages in.
"""

from __future__ import annotations

import re

from ..course.pagemap import PageMap

_NAME = r"[A-Za-z0-9_@-]+"
TOKEN = re.compile(rf"\[\[reader-page:({_NAME})(?::({_NAME}))?(?::({_NAME}))?\]\]".encode())
WIDEST = "pp. 9999–9999"     # what a token may become, for measuring the line it is in


def page_token(first: str, last: str | None = None, fallback: str | None = None) -> str:
    """Where a slide's content is: from ``first``'s page to ``last``'s; ``fallback`` (the
    item) when the reader has no such anchor (a course's own template may omit ids)."""
    return f"[[reader-page:{first}:{last or first}:{fallback or first}]]"


def pages_label(page_map: PageMap, first: str, last: str, fallback: str) -> str:
    """'p. 14', 'pp. 14–15', or '' when not even the fallback is in the reader."""
    start = page_map.page(first)
    end = page_map.page(last)
    if start is None:
        start = page_map.page(fallback)
        end = None
    if start is None:
        return ""
    if end is None or end <= start:
        return f"p. {start}"
    return f"pp. {start}–{end}"


def fill(body: bytes, page_map: PageMap) -> bytes:
    def one(match: re.Match) -> bytes:
        first = match.group(1).decode()
        last = (match.group(2) or match.group(1)).decode()
        fallback = (match.group(3) or match.group(1)).decode()
        return pages_label(page_map, first, last, fallback).encode()

    return TOKEN.sub(one, body)
