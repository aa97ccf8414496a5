"""A content-addressed cache of rendered chunks, in .reader-cache/ beside the course.

A chunk's key hashes everything its layout depends on: its HTML (content,
numbering, titles, paper, edition), the stylesheets and fonts in effect, and
the versions of reader and WeasyPrint. Position is not part of it: chunks are
laid out without running heads or folios (see assemble.py), so an unchanged
item is reused wherever it lands. Every entry carries the hash of its PDF;
an entry that does not verify is discarded and rendered again, never used.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

FORMAT = "chunk-v3"  # bump when what a chunk records changes


@dataclass
class CacheStats:
    rendered: list[str] = field(default_factory=list)   # chunk keys laid out this build
    reused: list[str] = field(default_factory=list)
    discarded: list[str] = field(default_factory=list)  # corrupt or stale entries


class ChunkCache:
    """Entries of one kind ('chunks', 'front', 'geometry'...) under ``folder/kind``."""

    def __init__(self, folder: Path | None, kind: str = "chunks", suffix: str = ".pdf"):
        self.folder = folder / kind if folder else None
        self.suffix = suffix
        self.stats = CacheStats()

    def get(self, key: str) -> tuple[bytes, dict] | None:
        if self.folder is None:
            return None
        meta_path = self.folder / f"{key}.json"
        pdf_path = self.folder / f"{key}{self.suffix}"
        if not meta_path.exists() or not pdf_path.exists():
            return None
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            data = pdf_path.read_bytes()
            valid = (meta.get("format") == FORMAT and meta.get("key") == key and
                     hashlib.sha256(data).hexdigest() == meta.get("sha256") and
                     (not data or isinstance(meta.get("pages"), int) and meta["pages"] > 0))
        except (OSError, ValueError):
            valid = False
        if not valid:
            self.stats.discarded.append(key)
            for path in (meta_path, pdf_path):
                try:
                    path.unlink()
                except OSError:
                    pass
            return None
        return data, meta

    def put(self, key: str, data: bytes, meta: dict) -> None:
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        record = {**meta, "format": FORMAT, "key": key,
                  "sha256": hashlib.sha256(data).hexdigest()}
        for suffix, payload in ((self.suffix, data), (".json", json.dumps(record).encode())):
            target = self.folder / f"{key}{suffix}"
            temp = self.folder / f".{key}{suffix}.tmp-{os.getpid()}"
            temp.write_bytes(payload)
            os.replace(temp, target)
