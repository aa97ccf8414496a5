"""The classroom-copying guideline: one rule for the build's warnings, permissions.csv and
`reader permissions`.

The rule follows the US "Agreement on Guidelines for Classroom Copying" (1976), which copy
centres and copyright offices elsewhere apply in spirit: a prose excerpt of at most 1,000
words; no more than two excerpts from one author and three from one work in a course; no
more than nine such copies in all. It applies only to excerpts that nothing else clears: a
public-domain work, an open licence, a library licence or a permission granted for the
item takes it out of the count. Fair dealing or fair use is not a clearance: it is the
claim the guideline measures.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

from .licence import Basis, basis
from .model import Excerpt, fold

PROSE_WORD_LIMIT = 1000
PER_AUTHOR = 2
PER_WORK = 3
PER_COURSE = 9
SHARE_OF_WORK = 0.10     # of a work's pages, or one chapter, whichever the course uses


def work_key(excerpt: Excerpt) -> tuple[str, str]:
    """What "the same work" means everywhere (Source.work)."""
    assert excerpt.source is not None
    return excerpt.source.work


@dataclass(frozen=True)
class Finding:
    """One way a course goes beyond the guideline, and the excerpts concerned."""

    message: str
    anchors: tuple[str, ...]
    group: bool   # about several excerpts together (reported at the manifest)


def findings(excerpts: Sequence[Excerpt], today: datetime.date | None = None
             ) -> list[Finding]:
    """Every guideline finding for these excerpts, in course order; and permissions that
    have expired (``today``: the date to judge by, today by default)."""
    today = today or datetime.date.today()
    found: list[Finding] = [
        Finding(f"{e.label}: the permission {e.licence.reference or ''} expired on "
                f"{e.licence.expires:%Y-%m-%d}; ask for it again".replace("  ", " "),
                (e.anchor,), group=False)
        for e in excerpts if e.licence is not None and e.licence.expired(today)]
    uncleared = [e for e in excerpts if not licence_of(e).clears]
    found.extend(f for f in map(too_long, uncleared) if f is not None)
    found.extend(_grouped(uncleared, _author_key, PER_AUTHOR, lambda e: f"by {e.author}"))
    found.extend(_grouped(uncleared, work_key, PER_WORK,
                          lambda e: f"from {e.source.title if e.source else '?'}"))
    found.extend(_share_of_works(uncleared))
    if len(uncleared) > PER_COURSE:
        found.append(Finding(f"{len(uncleared)} excerpts rely on the guideline; it allows "
                             f"{PER_COURSE} in a course", tuple(e.anchor for e in uncleared),
                             group=True))
    return found


def too_long(e: Excerpt) -> Finding | None:
    """An excerpt longer than the guideline's prose excerpt (its words typed, or read by
    OCR from its pages once they are prepared)."""
    if licence_of(e).clears or e.word_count <= PROSE_WORD_LIMIT:
        return None
    return Finding(f"{e.label} is {e.word_count:,} words, over the {PROSE_WORD_LIMIT:,}-word "
                   "guideline for a prose excerpt", (e.anchor,), group=False)


def licence_of(excerpt: Excerpt) -> Basis:
    """The basis an excerpt is reproduced on: stated, or read from its permission text."""
    return excerpt.licence.basis if excerpt.licence else basis(excerpt.permission)


def _author_key(excerpt: Excerpt) -> str | None:
    return fold(excerpt.author) or None if excerpt.author else None


def _grouped(excerpts: list[Excerpt], key: Callable[[Excerpt], Hashable | None], limit: int,
             what: Callable[[Excerpt], str]) -> list[Finding]:
    """One finding per group (same author, same work) larger than the guideline allows."""
    groups: dict[Hashable, list[Excerpt]] = {}
    for e in excerpts:
        k = key(e)
        if k is not None:
            groups.setdefault(k, []).append(e)
    return [Finding(f"{len(group)} excerpts {what(group[0])} "
                    f"({', '.join(e.label for e in group)}); the guideline allows {limit}",
                    tuple(e.anchor for e in group), group=True)
            for group in groups.values() if len(group) > limit]


def _share_of_works(excerpts: list[Excerpt]) -> list[Finding]:
    """More than a tenth of a work's pages, or more than one of its chapters."""
    works: dict[tuple[str, str], list[Excerpt]] = {}
    for e in excerpts:
        works.setdefault(work_key(e), []).append(e)
    found = []
    for group in works.values():
        title = group[0].source.title if group[0].source else "?"
        labels = ", ".join(e.label for e in group)
        total = next((e.source.work_pages for e in group if e.source and e.source.work_pages),
                     None)
        used = [e.pages_used for e in group]
        if total and None not in used:
            pages = sum(u for u in used if u is not None)
            if pages > SHARE_OF_WORK * total:
                found.append(Finding(
                    f"{pages} pages of {title} ({labels}) are {pages / total:.0%} of its "
                    f"{total} pages; the guideline allows {SHARE_OF_WORK:.0%}",
                    tuple(e.anchor for e in group), group=len(group) > 1))
        chapters = {fold(e.source.chapter) for e in group if e.source and e.source.chapter}
        if len(chapters) > 1:
            found.append(Finding(f"{len(chapters)} chapters of {title} ({labels}); the "
                                 "guideline allows one", tuple(e.anchor for e in group),
                                 group=True))
    return found


def notes_by_excerpt(excerpts: Sequence[Excerpt]) -> dict[str, list[str]]:
    """The same findings, listed under each excerpt they concern (for the report)."""
    notes: dict[str, list[str]] = {e.anchor: [] for e in excerpts}
    for finding in findings(excerpts):
        for anchor in finding.anchors:
            notes[anchor].append(finding.message)
    return notes
