"""Typesetting rules the reader needs and WeasyPrint lacks, added to its line breaking.

- The hyphenation language. WeasyPrint hyphenates by the HTML ``lang``
  attribute through pyphen, and pyphen's plain ``en`` is the British
  dictionary ("tract-ors", "dictat-orship"): an English course that does not
  say ``en-GB`` is hyphenated with the American one (``hyphenation_language``).
  The PDF's /Lang stays the course's own tag.
- Names are not hyphenated: a word that starts with a capital letter is never
  broken ("Stal-in", "Trot-sky"); sentence-initial words are kept whole too.
- No more than two hyphenated lines in a row (what CSS calls
  ``hyphenate-limit-lines: 2``, which WeasyPrint does not implement). The rule is
  applied while lines are made, so it costs no second layout: the third line of
  a run is broken at a space instead. The count restarts at a page break, where a
  ladder cannot be seen; a line ending in a hyphen that was typed (a compound
  such as "Trotsky-Preobrazhensky") counts in the run but cannot be moved.
- Footnotes get CSS white-space processing. WeasyPrint 70 takes a footnote's
  box out of the tree before white space is collapsed, so the line breaks typed
  in a footnote's source became forced line breaks on the page.

``install()`` puts these into WeasyPrint once per process (the Renderer does it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

HYPHENATED_LINES_IN_A_ROW = 2
HYPHENS = ("-", "\u2010", "\u00ad")

_blocked: list[bool] = []   # one entry per line-breaking run in progress: no hyphen here?


def hyphenation_language(lang: str) -> str:
    """The language tag the reader's HTML carries, which WeasyPrint hyphenates by.

    English without a region is American English ("trac-tors", "rev-o-lu-tion");
    ``en-GB`` (and any other tag) is kept as written.
    """
    return "en-US" if lang.lower() == "en" else lang


def install() -> None:
    """Add the rules above to WeasyPrint (idempotent)."""
    from weasyprint import document
    from weasyprint.layout import block
    from weasyprint.text import line_break

    if getattr(block.iter_line_boxes, "_reader_typeset", False):
        return
    import pyphen

    line_break.pyphen = SimpleNamespace(language_fallback=pyphen.language_fallback,
                                        Pyphen=_hyphenator_class(pyphen.Pyphen))
    block.iter_line_boxes = _limit_hyphenated_lines(block.iter_line_boxes)
    document.build_formatting_structure = _footnote_white_space(
        document.build_formatting_structure)


def _hyphenator_class(base: type) -> type:
    class Hyphenator(base):
        """pyphen's dictionary, which offers no break in a name or in a blocked line."""

        def iterate(self, word: str) -> Iterator[tuple[str, str]]:
            if (_blocked and _blocked[-1]) or word[:1].isupper():
                return iter(())
            return super().iterate(word)

    return Hyphenator


def _limit_hyphenated_lines(iter_line_boxes: Callable[..., Iterator]) -> Callable[..., Iterator]:
    """Wrap WeasyPrint's line maker: after a run of hyphenated lines, the next line
    is made with hyphenation blocked (it may still end at a typed hyphen)."""

    def limited(*args: Any, **kwargs: Any) -> Iterator:
        lines = iter_line_boxes(*args, **kwargs)
        run = 0
        while True:
            _blocked.append(run >= HYPHENATED_LINES_IN_A_ROW)
            try:
                line, resume_at = next(lines)
            except StopIteration:
                return
            finally:
                _blocked.pop()
            run = run + 1 if ends_hyphenated(line) else 0
            yield line, resume_at

    limited._reader_typeset = True  # type: ignore[attr-defined]
    return limited


def ends_hyphenated(line: Any) -> bool:
    """Whether a laid-out line box ends in a hyphen (added by hyphenation, or typed)."""
    text = _last_text(line)
    return bool(text) and text.rstrip(" ").endswith(HYPHENS)


def _last_text(box: Any) -> str:
    for child in reversed(getattr(box, "children", None) or ()):
        text = getattr(child, "text", None)
        if text is not None:
            if text.strip():
                return text
            continue
        found = _last_text(child)
        if found:
            return found
    return ""


def _footnote_white_space(build: Callable[..., Any]) -> Callable[..., Any]:
    def build_formatting_structure(*args: Any, **kwargs: Any) -> Any:
        root = build(*args, **kwargs)
        footnotes = kwargs.get("footnotes", args[-1] if args else None)
        for footnote in footnotes or ():
            footnote.process_whitespace()
            footnote.process_text_transform()
        return root

    return build_formatting_structure
