"""The largest input reader accepts, built: peak memory, cache and output sizes.

    .venv/bin/python bench/largest.py [--mib 5] [--out bench/work/largest]

One essay of just under ``--mib`` MiB (5 is reader's limit for a text file, see
core/files.py MAX_TEXT_BYTES) of generated prose under a heading every 12 paragraphs,
built cold. Prints the wall time, the peak memory of the build's process tree (PSS,
sampled from /proc) and of its largest process (RSS), and the sizes of .reader-cache/,
dist/ and the deck unzipped: the figures docs/security.md states the budget by.
tests/test_budget.py holds a tenth of it to the same budget in CI.
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import descendants, memory_of  # noqa: E402  (the main benchmark's /proc readers)

WORDS = ("peasant grain harvest village quota official party state market price famine "
         "tractor cooperative collective district procurement report committee decree").split()


def write_course(root: Path, size: int) -> int:
    """A course of one essay of at most ``size`` bytes; returns its size."""
    rng = random.Random(1)
    parts, total, n = ["---\ntitle: A very long essay\n---\n"], 0, 0
    while True:
        if n % 12 == 0:
            block = f"## Section {n // 12 + 1}\n\n"
        else:
            block = " ".join(" ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 20)))
                             .capitalize() + "." for _ in range(6)) + "\n\n"
        if total + len(block) > size:
            break
        parts.append(block)
        total += len(block)
        n += 1
    root.mkdir(parents=True, exist_ok=True)
    (root / "long.md").write_text("".join(parts), encoding="utf-8")
    (root / "course.yaml").write_text("title: Budget\ncontents:\n  - essay: long.md\n",
                                      encoding="utf-8")
    return (root / "long.md").stat().st_size


def size_mib(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def measure(root: Path) -> dict[str, float]:
    """Build ``root`` cold in a child process, sampling its process tree's memory."""
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "reader.cli", "build", str(root), "-q"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    tree_pss = largest_rss = 0
    while proc.poll() is None:
        sizes = [memory_of(pid) for pid in [proc.pid, *descendants(proc.pid)]]
        tree_pss = max(tree_pss, sum(p for p, _ in sizes))
        largest_rss = max([largest_rss, *(r for _, r in sizes)])
        time.sleep(0.25)
    _, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"build failed ({proc.returncode}):\n{err}")
    deck = root / "dist" / "deck.pptx"
    return {
        "wall_s": time.monotonic() - started,
        "tree_pss_mib": tree_pss / 2**20,
        "largest_rss_mib": largest_rss / 2**20,
        "cache_mib": size_mib(root / ".reader-cache"),
        "dist_mib": size_mib(root / "dist"),
        "deck_unzipped_mib": sum(i.file_size for i in zipfile.ZipFile(deck).infolist()) / 2**20,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mib", type=float, default=5.0)
    parser.add_argument("--out", type=Path, default=Path("bench/work/largest"))
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    size = write_course(args.out, int(args.mib * 2**20) - 2048)
    figures = measure(args.out)
    print(f"essay {size / 2**20:.2f} MiB: " +
          ", ".join(f"{k} {v:.1f}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
