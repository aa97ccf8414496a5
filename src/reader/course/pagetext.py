"""The text of an original page (its own text layer, or what OCR read) as paragraphs.

The screen editions cannot show a page of a PDF or a scan; they give its text instead,
page by page. A text layer is lines, as the page set them: this module makes them
paragraphs again, as a reader of the page sees them, and decides nothing it cannot know.

- A blank line ends a paragraph (OCR writes one between the blocks it finds).
- A line that ends a sentence and stops well short of the page's measure ends one too:
  in set type only the last line of a paragraph is short. A paragraph whose last line
  happens to be full is not found, and runs on into the next: nothing is lost.
- The page's number (a first or last line that is only the printed number, or only a
  number) is the original's folio, not its text: the page marker says it.
- A word broken at a line's end is joined again only where that is sure: a soft hyphen,
  or a word that the excerpt's own text spells whole elsewhere. Otherwise its hyphen is
  kept ("post-war" may be a word; "collectivi-zation" is still readable).

Everything here is plain text in, plain text out; the templates escape it.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

SHORT_LINE = 0.7          # a line shorter than this share of the page's measure is short
MIN_MEASURED = 4          # lines a block needs before its measure is trusted
ENDS_SENTENCE = re.compile(r"[.?!:…][\"'”’)\]]*$")
# PDFium gives a hyphen at a line's end as U+FFFE in place of the hyphen and the line break
# (\x02 in older versions): a mark of a broken line, not of a soft hyphen, since a word
# with a hyphen of its own ("post-war") is marked the same.
LINE_END_HYPHENS = ("\ufffe", "\x02")
# Characters that XML 1.0 (the EPUB) forbids, and other controls a text layer may hold.
CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
WORD = re.compile(r"\w+(?:[-'’]\w+)*")
BROKEN = re.compile(r"(\w+)-[ \t]*\n[ \t]*(\w+)")
FOLIO = re.compile(r"\d{1,4}")


@dataclass(frozen=True)
class PageText:
    """What the build read on one original page."""

    text: str          # its text layer, as read (lines as the page set them)
    ocr: bool          # the text is OCR's, read from a scan (may hold misread words)


def whole_words(texts: Iterable[str]) -> set[str]:
    """The words an excerpt's text spells whole (not broken at a line's end), lower case:
    the evidence for joining a broken word again."""
    words: set[str] = set()
    for text in texts:
        unbroken = BROKEN.sub(" ", _lines(text))
        words.update(w.casefold() for w in WORD.findall(unbroken))
    return words


def paragraphs(text: str, printed: str, known: set[str] | None = None) -> list[str]:
    """A page's text as its paragraphs (see the module docstring); ``printed`` is the
    page's number in the original, ``known`` the excerpt's whole words."""
    lines = [" ".join(line.split()) for line in _lines(text).split("\n")]
    lines = _without_folio(lines, printed)
    found: list[str] = []
    for block in _blocks(lines):
        found.extend(_join(group, known or set()) for group in _by_short_lines(block))
    return [p for p in found if p]


def _lines(text: str) -> str:
    """The text with plain line ends, each hyphen at a line's end as "-" and a line break,
    and no control characters."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    for mark in LINE_END_HYPHENS:
        text = text.replace(mark + "\n", "-\n").replace(mark, "-\n")
    return CONTROLS.sub("", text)


def _without_folio(lines: list[str], printed: str) -> list[str]:
    """The lines without the page's number at their top or bottom."""
    def folio(line: str) -> bool:
        return line.casefold() == printed.casefold() or FOLIO.fullmatch(line) is not None

    start, end = 0, len(lines)
    while start < end and not lines[start]:
        start += 1
    while end > start and not lines[end - 1]:
        end -= 1
    if start < end and folio(lines[end - 1]):
        end -= 1
    if start < end and folio(lines[start]):
        start += 1
    return lines[start:end]


def _blocks(lines: Sequence[str]) -> list[list[str]]:
    """The lines in runs separated by blank lines."""
    blocks: list[list[str]] = [[]]
    for line in lines:
        if line:
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    return [b for b in blocks if b]


def _by_short_lines(block: list[str]) -> list[list[str]]:
    """A block cut after each line that ends a sentence well short of the measure."""
    if len(block) < MIN_MEASURED:
        return [block]
    measure = statistics.median_high(len(line) for line in block)
    groups: list[list[str]] = [[]]
    for n, line in enumerate(block):
        groups[-1].append(line)
        if n + 1 < len(block) and len(line) < SHORT_LINE * measure and \
                ENDS_SENTENCE.search(line):
            groups.append([])
    return groups


def _join(lines: list[str], known: set[str]) -> str:
    """Lines as one paragraph: a broken word joined again where that is sure."""
    text = ""
    for line in lines:
        if not text:
            text = line
        elif text.endswith("\u00ad"):
            text = text[:-1] + line
        elif text.endswith("-") and _whole(text, line, known):
            text = text[:-1] + line
        elif text.endswith("-") and re.search(r"\w-$", text) and line[:1].isalnum():
            text += line                    # a hyphenated word: its hyphen kept
        elif text.endswith("—"):
            text += line                    # an em dash set close, as the line had it
        else:
            text += " " + line
    return text.replace("\u00ad", "")


def _whole(before: str, after: str, known: set[str]) -> bool:
    """Whether the word broken after ``before`` and continued by ``after`` is one the
    excerpt spells whole elsewhere (and the break is inside a lower-case word)."""
    left = re.search(r"(\w+)-$", before)
    right = re.match(r"\w+", after)
    if left is None or right is None or not right.group()[0].islower():
        return False
    return (left.group(1) + right.group()).casefold() in known


__all__ = ["PageText", "paragraphs", "whole_words"]
