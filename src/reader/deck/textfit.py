"""Measuring text the way a slide will show it, so nothing ever overflows.

PowerPoint's "shrink text on overflow" is only a flag that PowerPoint applies
after an edit (LibreOffice ignores it), so we wrap and split ourselves, with
the real advance widths of a metric-compatible font (Carlito for Calibri).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

_REF_SIZE = 200  # measure at a large size once; widths scale linearly
LINE_HEIGHT = 1.22  # Carlito/Calibri ascent + descent + line gap, in ems
SAFETY = 1.04       # slack for renderer differences (kerning, hinting)


@dataclass(frozen=True)
class Para:
    """One paragraph to place: its text, size and the indent it wraps within."""

    text: str
    size: float
    bold: bool = False
    italic: bool = False
    indent: float = 0.0        # points taken from the line width (bullets)
    space_before: float = 0.0  # points


class Metrics:
    def __init__(self, fonts: dict[tuple[bool, bool], Path]):
        self.fonts = fonts

    @lru_cache(maxsize=8)
    def _font(self, bold: bool, italic: bool) -> ImageFont.FreeTypeFont:
        path = self.fonts.get((bold, italic)) or self.fonts[(False, False)]
        return ImageFont.truetype(str(path), _REF_SIZE)

    def width(self, text: str, size: float, bold: bool = False, italic: bool = False) -> float:
        """Advance width in points (of the widest line, for text with line breaks).

        Words are measured once and cached: wrapping and packing slides measure
        the same words over and over (a 1,300-slide deck: most of its build time).
        """
        if not text:
            return 0.0
        if "\n" in text:
            return max(self.width(line, size, bold, italic) for line in text.split("\n"))
        words = text.split(" ")
        total = sum(self._word(w, bold, italic) for w in words)
        total += (len(words) - 1) * self._word(" ", bold, italic)
        return total * size / _REF_SIZE * SAFETY

    @lru_cache(maxsize=100_000)
    def _word(self, word: str, bold: bool, italic: bool) -> float:
        return self._font(bold, italic).getlength(word) if word else 0.0

    def wrap(self, text: str, size: float, width: float, bold: bool = False,
             italic: bool = False) -> list[str]:
        """Greedy word wrap; a word longer than a line is broken by characters.

        The line being filled keeps the running sum of its words' widths, so each
        candidate costs one word, not the whole line again (the deck measures a
        million words). The sums are the ones width() makes, in the same order.
        """
        space = self._word(" ", bold, italic)
        lines: list[str] = []
        for hard_line in text.split("\n"):
            current = ""
            total, count, simple = 0, 0, True   # current's " "-pieces less its last, empty one
            for word in re.split(r"(?<=\s)(?=\S)", hard_line):
                stripped = word.rstrip()
                if simple and stripped:
                    pieces = stripped.split(" ")
                    candidate_total = total
                    for piece in pieces:
                        candidate_total += self._word(piece, bold, italic)
                    n = count + len(pieces)
                    wide = (candidate_total + (n - 1) * space) * size / _REF_SIZE * SAFETY
                else:
                    wide = self.width((current + word).rstrip(), size, bold, italic)
                if wide <= width:
                    current += word
                    total, count, simple = self._pieces(current, bold, italic) \
                        if not simple or not stripped else \
                        self._extend(candidate_total, n, word[len(stripped):])
                    continue
                if current:
                    lines.append(current.rstrip())
                    current = ""
                while self.width(word.rstrip(), size, bold, italic) > width:
                    cut = self._fit_chars(word, size, width, bold, italic)
                    lines.append(word[:cut])
                    word = word[cut:]
                current = word
                total, count, simple = self._pieces(current, bold, italic)
            lines.append(current.rstrip())
        return lines

    @staticmethod
    def _extend(total: float, count: int, trailing: str) -> tuple[float, int, bool]:
        """The running state after a word and its trailing whitespace joined the line."""
        if trailing and trailing.strip(" ") == "":
            return total, count + len(trailing) - 1, True   # extra spaces: empty pieces
        return 0, 0, False

    def _pieces(self, current: str, bold: bool, italic: bool) -> tuple[float, int, bool]:
        if not current:
            return 0, 0, True
        if not current.endswith(" ") or current.rstrip(" ") != current.rstrip():
            return 0, 0, False
        pieces = current.split(" ")[:-1]
        total = 0
        for piece in pieces:
            total += self._word(piece, bold, italic)
        return total, len(pieces), True

    def _fit_chars(self, word: str, size: float, width: float, bold: bool, italic: bool) -> int:
        n = 1
        while n < len(word) and self.width(word[: n + 1], size, bold, italic) <= width:
            n += 1
        return n

    def height(self, paras: list[Para], width: float) -> float:
        """Height in points of paragraphs laid out in a column ``width`` points wide."""
        total = 0.0
        for para in paras:
            lines = self.wrap(para.text, para.size, width - para.indent, para.bold, para.italic)
            total += para.space_before + len(lines) * para.size * LINE_HEIGHT
        return total

    def fits(self, paras: list[Para], width: float, height: float) -> bool:
        return self.height(paras, width) <= height


def split_to_fit(units: list[str], make: callable, fits: callable) -> list[list[str]]:
    """Greedily pack ``units`` (sentences, bullets, rows) into as few pages as fit.

    A unit that cannot fit even alone is given a page of its own; the caller
    then shrinks or wraps it (see deck.py).
    """
    pages: list[list[str]] = []
    current: list[str] = []
    for unit in units:
        trial = current + [unit]
        if current and not fits(make(trial)):
            pages.append(current)
            current = [unit]
        else:
            current = trial
    if current:
        pages.append(current)
    return pages
