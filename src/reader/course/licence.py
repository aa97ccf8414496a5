"""On what grounds a reading is reproduced: the licence basis, read from the course.

An excerpt's `permission:` is either the text printed in the Sources list ("Quoted for
criticism and review (fair dealing)"), from which the basis is read, or a mapping that
states it: ``{text, basis, reference, expires}``. The copying guideline (copying.py) and
the permissions report use the basis; nothing else decides it.
"""

from __future__ import annotations

import datetime
import enum
import re
from dataclasses import dataclass


class Basis(enum.Enum):
    PUBLIC_DOMAIN = "public domain"
    OPEN_LICENCE = "open licence"
    LIBRARY_LICENCE = "library licence"
    PERMISSION = "permission"
    FAIR_DEALING = "fair dealing / fair use"
    UNSTATED = "not stated"

    @property
    def clears(self) -> bool:
        """True when the reading needs no guideline check: it is reproduced by right."""
        return self not in (Basis.FAIR_DEALING, Basis.UNSTATED)


BASIS_NAMES = {"public domain": Basis.PUBLIC_DOMAIN, "open licence": Basis.OPEN_LICENCE,
               "library licence": Basis.LIBRARY_LICENCE, "permission": Basis.PERMISSION,
               "fair dealing": Basis.FAIR_DEALING, "fair use": Basis.FAIR_DEALING}

# Checked in this order: "fair dealing" wins over a mention of a licence, and an explicit
# grant is the fallback for any other text (a permission ID such as "Ref. 2027-114").
_BASES: tuple[tuple[Basis, re.Pattern[str]], ...] = (
    (Basis.PUBLIC_DOMAIN, re.compile(r"\bpublic[- ]domain\b|\bCC0\b", re.I)),
    (Basis.OPEN_LICENCE, re.compile(r"\bCC[- ]BY\b|creative commons|open (government )?licen[cs]e",
                                    re.I)),
    (Basis.FAIR_DEALING, re.compile(r"\bfair (dealing|use)\b", re.I)),
    (Basis.LIBRARY_LICENCE, re.compile(r"\b(library|CLA|CCC|COPIBEC|access copyright|"
                                       r"copyright clearance|licen[cs]e[ds]?)\b", re.I)),
)


def basis(permission: str | None) -> Basis:
    """The licence basis a lecturer's `permission:` text states."""
    if not permission or not permission.strip():
        return Basis.UNSTATED
    for kind, pattern in _BASES:
        if pattern.search(permission):
            return kind
    return Basis.PERMISSION


@dataclass(frozen=True)
class Licence:
    basis: Basis
    reference: str | None = None           # a permission's or licence's reference
    expires: datetime.date | None = None

    def expired(self, today: datetime.date) -> bool:
        return self.expires is not None and self.expires < today
