"""Measuring text the way a slide will show it, so nothing ever overflows.

PowerPoint's "shrink text on overflow" is only a flag that PowerPoint applies
after an edit (LibreOffice ignores it), so we wrap and split ourselves, with
the real advance widths of a metric-compatible font (Carlito for Calibri).

Text is measured as *words* (runs of non-space characters, each part in its
own style) laid greedily into lines, as PowerPoint and LibreOffice do; a word
longer than a line is broken between characters. Every loop here advances by
at least one word or one character, so any input finishes, even a column
narrower than one character.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, NamedTuple

from PIL import ImageFont

_REF_SIZE = 200  # measure at a large size once; widths scale linearly
LINE_HEIGHT = 1.22  # Carlito/Calibri ascent + descent + line gap, in ems
SAFETY = 1.04       # slack for renderer differences (kerning, hinting)
EPSILON = 1e-6      # points: a text measured to fit its own width exactly still fits


@dataclass(frozen=True)
class Para:
    """One single-style paragraph to place: its text, size and the indent it wraps within."""

    text: str
    size: float
    bold: bool = False
    italic: bool = False
    indent: float = 0.0        # points taken from the line width (bullets)
    space_before: float = 0.0  # points


class Word(NamedTuple):
    """A word ready to be laid out: widths at the reference size, unscaled."""

    parts: tuple[tuple[str, bool, bool], ...]   # (text, bold, italic)
    width: float
    space: float       # the spaces before it, when it continues a line
    newline: bool      # a hard line break comes before it


class Flow(NamedTuple):
    """Where filling a column has got to: lines begun, and the current line's width."""

    lines: int = 0
    x: float = 0.0


class Metrics:
    def __init__(self, fonts: dict[tuple[bool, bool], Path]):
        self.fonts = fonts
        # The caches belong to the instance (not lru_cache on the methods, which would keep
        # every Metrics a long-lived worker process ever made alive through its keys).
        self._font = lru_cache(maxsize=8)(self._load_font)
        self._word = lru_cache(maxsize=200_000)(self._measure_word)

    def _load_font(self, bold: bool, italic: bool) -> ImageFont.FreeTypeFont:
        path = self.fonts.get((bold, italic)) or self.fonts[(False, False)]
        return ImageFont.truetype(str(path), _REF_SIZE)

    def _measure_word(self, word: str, bold: bool, italic: bool) -> float:
        """Words are measured once: packing slides measures the same words over and over."""
        return self._font(bold, italic).getlength(word) if word else 0.0

    def space(self, bold: bool = False, italic: bool = False) -> float:
        """A space's width at the reference size (what Word.space holds)."""
        return self._word(" ", bold, italic)

    # --- words -------------------------------------------------------------------------

    def words(self, runs: Iterable[tuple[str, bool, bool]]) -> list[Word]:
        """Styled runs (text, bold, italic) as words; "\\n" in a run is a hard line break.

        A word may cross runs ("*emph*asis"): its width is the sum of its parts.
        """
        out: list[Word] = []
        parts: list[tuple[str, bool, bool]] = []
        width = space = pending_space = 0.0
        newline = pending_newline = False

        def close() -> None:
            nonlocal parts, width
            if parts:
                out.append(Word(tuple(parts), width, space, newline))
            parts, width = [], 0.0

        for text, bold, italic in runs:
            start = 0
            for n, ch in enumerate(text + "\0"):
                if ch not in " \n\0":
                    continue
                if n > start:
                    if not parts:
                        space, newline = pending_space, pending_newline
                        pending_space, pending_newline = 0.0, False
                    piece = text[start:n]
                    parts.append((piece, bold, italic))
                    width += self._word(piece, bold, italic)
                if ch == " ":
                    close()
                    pending_space += self._word(" ", bold, italic)
                elif ch == "\n":
                    close()
                    if pending_newline:     # an empty line: a word of nothing holds it
                        out.append(Word((), 0.0, 0.0, True))
                    pending_space, pending_newline = 0.0, True
                start = n + 1
        close()
        if pending_newline:
            out.append(Word((), 0.0, 0.0, True))
        return out

    # --- laying out ----------------------------------------------------------------------

    def flow(self, words: Iterable[Word], size: float, width: float,
             state: Flow = Flow(), lines_out: list[str] | None = None) -> Flow:
        """Continue filling a column ``width`` points wide with ``words`` at ``size``.

        ``state`` is where an earlier call stopped, so a paragraph can be measured
        while it grows (a sentence at a time). ``lines_out`` collects the lines' text.
        """
        scale = size / _REF_SIZE * SAFETY
        lines, x = state
        for word in words:
            w = word.width * scale
            text = "".join(p[0] for p in word.parts)
            if lines and not word.newline and x > 0 and \
                    x + word.space * scale + w <= width + EPSILON:
                x += word.space * scale + w
                if lines_out is not None:
                    lines_out[-1] += " " + text
                continue
            if lines == 0 or word.newline or x > 0:
                lines += 1
                x = 0.0
                if lines_out is not None:
                    lines_out.append("")
            if w <= width + EPSILON or len(text) <= 1:
                x = w
                if lines_out is not None:
                    lines_out[-1] += text
                continue
            extra, x = self._break_word(word, scale, width, lines_out)
            lines += extra
        return Flow(lines, x)

    def _break_word(self, word: Word, scale: float, width: float,
                    lines_out: list[str] | None) -> tuple[int, float]:
        """A word wider than the line, broken between characters (at least one a line)."""
        extra, x = 0, 0.0
        for text, bold, italic in word.parts:
            for ch in text:
                w = self._word(ch, bold, italic) * scale
                if x > 0 and x + w > width:
                    extra += 1
                    x = 0.0
                    if lines_out is not None:
                        lines_out.append("")
                x += w
                if lines_out is not None:
                    lines_out[-1] += ch
        return extra, x

    def line_count(self, runs: Iterable[tuple[str, bool, bool]], size: float,
                   width: float) -> int:
        return max(1, self.flow(self.words(runs), size, width).lines)

    # --- single-style helpers (titles, labels, cells) ----------------------------------------

    def width(self, text: str, size: float, bold: bool = False, italic: bool = False) -> float:
        """Advance width in points (of the widest line, for text with line breaks)."""
        if not text:
            return 0.0
        if "\n" in text:
            return max(self.width(line, size, bold, italic) for line in text.split("\n"))
        words = text.split(" ")
        total = sum(self._word(w, bold, italic) for w in words)
        total += (len(words) - 1) * self._word(" ", bold, italic)
        return total * size / _REF_SIZE * SAFETY

    def wrap(self, text: str, size: float, width: float, bold: bool = False,
             italic: bool = False) -> list[str]:
        """Greedy word wrap; a word longer than a line is broken between characters."""
        lines: list[str] = []
        self.flow(self.words([(text, bold, italic)]), size, width, lines_out=lines)
        return lines or [""]

    def height(self, paras: list[Para], width: float) -> float:
        """Height in points of paragraphs laid out in a column ``width`` points wide."""
        total = 0.0
        for para in paras:
            lines = self.line_count([(para.text, para.bold, para.italic)], para.size,
                                    width - para.indent)
            total += para.space_before + lines * para.size * LINE_HEIGHT
        return total

    def fits(self, paras: list[Para], width: float, height: float) -> bool:
        return self.height(paras, width) <= height

    def fit_size(self, text: str, width: float, height: float, start: float, floor: float,
                 bold: bool = False, italic: bool = False) -> float:
        """The largest whole size from ``start`` down to ``floor`` at which ``text`` fits."""
        size = start
        while size > floor:
            if self.fits([Para(text, size, bold, italic)], width, height):
                return size
            size -= 1
        return floor

    def ellipsize(self, text: str, size: float, width: float, height: float,
                  bold: bool = False) -> str:
        """``text`` cut at a word, with "…", so that it fits (the last resort for a title)."""
        if self.fits([Para(text, size, bold)], width, height):
            return text
        words = text.split()
        lo, hi = 0, len(words)           # the longest prefix that fits, by halving
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.fits([Para(" ".join(words[:mid]) + "…", size, bold)], width, height):
                lo = mid
            else:
                hi = mid - 1
        return " ".join(words[:lo]) + "…"
