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

import enum
import re
import unicodedata
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

from .model import Excerpt

PROSE_WORD_LIMIT = 1000
PER_AUTHOR = 2
PER_WORK = 3
PER_COURSE = 9


class Basis(enum.Enum):
    """On what grounds an excerpt is reproduced, read from its `permission:` text."""

    PUBLIC_DOMAIN = "public domain"
    OPEN_LICENCE = "open licence"
    LIBRARY_LICENCE = "library licence"
    PERMISSION = "permission"
    FAIR_DEALING = "fair dealing / fair use"
    UNSTATED = "not stated"

    @property
    def clears(self) -> bool:
        """True when the item needs no guideline check: it is reproduced by right."""
        return self not in (Basis.FAIR_DEALING, Basis.UNSTATED)


# Checked in this order: "fair dealing" wins over a mention of a licence, and an explicit
# grant wins over a mention of fair use ("permission granted; fair use not relied on" is rare).
_BASES: tuple[tuple[Basis, re.Pattern[str]], ...] = (
    (Basis.PUBLIC_DOMAIN, re.compile(r"\bpublic[- ]domain\b|\bCC0\b", re.I)),
    (Basis.OPEN_LICENCE, re.compile(r"\bCC[- ]BY\b|creative commons|open (government )?licen[cs]e",
                                    re.I)),
    (Basis.FAIR_DEALING, re.compile(r"\bfair (dealing|use)\b", re.I)),
    (Basis.LIBRARY_LICENCE, re.compile(r"\b(library|CLA|CCC|COPIBEC|access copyright|"
                                       r"copyright clearance|licen[cs]e[ds]?)\b", re.I)),
    (Basis.PERMISSION, re.compile(r"\b(permission|permitted|granted|courtesy of|reproduced by"
                                  r" kind)\b", re.I)),
)


def basis(permission: str | None) -> Basis:
    """The licence basis a lecturer's `permission:` text states."""
    if not permission or not permission.strip():
        return Basis.UNSTATED
    for kind, pattern in _BASES:
        if pattern.search(permission):
            return kind
    return Basis.PERMISSION  # a permission ID or a note of one ("Ref. 2027-114")


def _key(text: str) -> str:
    """Names compared as a reader would: case, accents, quotes and spacing aside."""
    text = re.sub(r"[’'ʼ`]", "", text)       # "Stalin's" and "Stalin’s" are one word
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()
    return " ".join(re.findall(r"[a-z0-9]+", folded))


def work_key(excerpt: Excerpt) -> tuple[str, str]:
    """What "the same work" means everywhere: the same author and the same title."""
    assert excerpt.source is not None
    return _key(excerpt.source.author or excerpt.author or ""), _key(excerpt.source.title)


@dataclass(frozen=True)
class Finding:
    """One way a course goes beyond the guideline, and the excerpts concerned."""

    message: str
    anchors: tuple[str, ...]
    group: bool   # about several excerpts together (reported at the manifest)


def findings(excerpts: Sequence[Excerpt]) -> list[Finding]:
    """Every guideline finding for these excerpts, in course order."""
    uncleared = [e for e in excerpts if not basis(e.permission).clears]
    found: list[Finding] = []
    for e in uncleared:
        if e.word_count > PROSE_WORD_LIMIT:
            found.append(Finding(f"{e.label} is {e.word_count:,} words, over the "
                                 f"{PROSE_WORD_LIMIT:,}-word guideline for a prose excerpt",
                                 (e.anchor,), group=False))
    found.extend(_grouped(uncleared, _author_key, PER_AUTHOR, lambda e: f"by {e.author}"))
    found.extend(_grouped(uncleared, work_key, PER_WORK,
                          lambda e: f"from {e.source.title if e.source else '?'}"))
    if len(uncleared) > PER_COURSE:
        found.append(Finding(f"{len(uncleared)} excerpts rely on the guideline; it allows "
                             f"{PER_COURSE} in a course", tuple(e.anchor for e in uncleared),
                             group=True))
    return found


def _author_key(excerpt: Excerpt) -> str | None:
    return _key(excerpt.author) or None if excerpt.author else None


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


def notes_by_excerpt(excerpts: Sequence[Excerpt]) -> dict[str, list[str]]:
    """The same findings, listed under each excerpt they concern (for the report)."""
    notes: dict[str, list[str]] = {e.anchor: [] for e in excerpts}
    for finding in findings(excerpts):
        for anchor in finding.anchors:
            notes[anchor].append(finding.message)
    return notes
