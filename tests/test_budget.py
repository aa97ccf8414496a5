"""The memory and disk budget, held on a large input (issue: speaker notes once grew
quadratically, and a 4.9 MiB essay made a 2.8 GB cache).

docs/security.md states the budget, measured on the largest essay reader accepts (5 MiB,
bench/largest.py). Here a tenth of it is built, cold, in a child process, and held to the
same budget per MiB of input, so growth faster than the input fails here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"

# The budget per MiB of essay (docs/security.md), with a fixed part for fonts and templates.
DISK_PER_MIB = 10.0        # .reader-cache/ and dist/ together
DECK_PER_MIB = 6.0         # the deck, unzipped
FIXED_MIB = 6.0
TREE_PSS_MIB = 900         # the build's processes together
LARGEST_RSS_MIB = 700      # the largest single process


@pytest.mark.slow
def test_a_large_essay_stays_within_the_memory_and_disk_budget(tmp_path: Path) -> None:
    script = f"""
import json, sys
sys.path.insert(0, {str(BENCH)!r})
from pathlib import Path
from largest import measure, write_course
root = Path({str(tmp_path / 'course')!r})
size = write_course(root, 512 * 1024)
print(json.dumps({{"size": size, **measure(root)}}))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout.splitlines()[-1])
    mib = figures["size"] / 2**20
    assert mib > 0.45
    assert figures["cache_mib"] + figures["dist_mib"] <= FIXED_MIB + DISK_PER_MIB * mib, figures
    assert figures["deck_unzipped_mib"] <= FIXED_MIB + DECK_PER_MIB * mib, figures
    assert figures["tree_pss_mib"] <= TREE_PSS_MIB, figures
    assert figures["largest_rss_mib"] <= LARGEST_RSS_MIB, figures
