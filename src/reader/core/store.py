"""A content-addressed cache of rendered pieces, in .reader-cache/ beside the course.

Each entry is a payload (a laid-out chunk's PDF, an item's slides, a font subset...)
and a small JSON record of facts about it (page counts, anchors...). Its key hashes
everything the payload depends on; the caller computes it. The record carries a hash of
the payload AND of the record itself, checked on every read: a cache file changed on
disk, by a bug or by hand, is discarded and made again, never used. A cache is a
convenience: when it cannot be written (a read-only folder, a full disk) the build
goes on without it and says so once.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FORMAT = "store-v4"  # bump when what an entry records changes


@dataclass
class CacheStats:
    rendered: list[str] = field(default_factory=list)   # keys made this build
    reused: list[str] = field(default_factory=list)
    discarded: list[str] = field(default_factory=list)  # corrupt or stale entries
    names: dict[str, str] = field(default_factory=dict)  # key -> what it holds (an anchor)

    def named(self, keys: list[str]) -> list[str]:
        """What the entries of ``keys`` hold, e.g. which chunks were laid out."""
        return [self.names.get(key, key) for key in keys]


def _seal(payload: bytes, record: dict[str, Any]) -> str:
    """The hash an entry is checked by: its payload and every field of its record."""
    canonical = json.dumps({k: v for k, v in record.items() if k != "sha256"},
                           sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(hashlib.sha256(payload).digest() + canonical.encode()).hexdigest()


class Store:
    """The cache folder of one course (None: nothing is cached).

    ``fresh`` (``--force``): a token of this build; entries are stamped with it, and only
    entries so stamped are read. A forced build so makes everything anew, yet its own
    stages still share what it made (the deck reads the pages the reader prepared), and
    the next plain build reuses it all. Plain and picklable: tasks receive it."""

    def __init__(self, folder: Path | None, *, fresh: str | None = None):
        self.folder = folder
        self.fresh = fresh
        self.problem: str | None = None   # why the cache could not be written, once

    def shelf(self, kind: str, suffix: str = ".bin") -> "Shelf":
        return Shelf(self, kind, suffix)


class Shelf:
    """Entries of one kind ('chunks', 'slides', 'fonts'...) under ``folder/kind``."""

    def __init__(self, store: Store, kind: str, suffix: str):
        self.store = store
        self.folder = store.folder / kind if store.folder is not None else None
        self.suffix = suffix
        self.stats = CacheStats()

    def get(self, key: str) -> tuple[bytes, dict[str, Any]] | None:
        """The payload and record stored under ``key``, verified; None if absent or bad."""
        if self.folder is None:
            return None
        record_path = self.folder / f"{key}.json"
        payload_path = self.folder / f"{key}{self.suffix}"
        try:
            record = json.loads(record_path.read_bytes())
            payload = payload_path.read_bytes()
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            record, payload = None, b""
        if not isinstance(record, dict) or record.get("format") != FORMAT or \
                record.get("key") != key or record.get("sha256") != _seal(payload, record):
            self.stats.discarded.append(key)
            for path in (record_path, payload_path):
                try:
                    path.unlink()
                except OSError:
                    pass
            return None
        if self.store.fresh is not None and record.get("fresh") != self.store.fresh:
            return None                  # made before a forced build: made again
        return payload, record

    def put(self, key: str, payload: bytes, record: dict[str, Any]) -> None:
        """Store an entry (atomically: a reader never sees half of one)."""
        if self.folder is None or self.store.problem is not None:
            return
        sealed = {**record, "format": FORMAT, "key": key}
        if self.store.fresh is not None:
            sealed["fresh"] = self.store.fresh
        sealed["sha256"] = _seal(payload, sealed)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            for suffix, data in ((self.suffix, payload), (".json", json.dumps(sealed).encode())):
                target = self.folder / f"{key}{suffix}"
                temp = self.folder / f".{key}{suffix}.tmp-{os.getpid()}"
                with open(temp, "wb") as handle:
                    handle.write(data)
                os.replace(temp, target)
        except OSError as exc:
            self.store.problem = f"{exc.strerror or exc} ({self.folder})"

