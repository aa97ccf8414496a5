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

# The budget (docs/security.md): a fixed part for fonts, templates and the workers'
# interpreters, and a part per MiB of essay. Measured at 5 MiB: 34 MiB of disk, an
# 18 MiB deck unzipped, 1,335 MiB for the process tree, 807 MiB for its largest process.
DISK_FIXED_MIB, DISK_PER_MIB = 6.0, 10.0              # .reader-cache/ and dist/ together
DECK_FIXED_MIB, DECK_PER_MIB = 2.0, 6.0               # the deck, unzipped
TREE_FIXED_MIB, TREE_PER_MIB = 250.0, 250.0           # the build's processes together (PSS)
LARGEST_FIXED_MIB, LARGEST_PER_MIB = 150.0, 150.0     # its largest process (RSS)


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
    assert figures["cache_mib"] + figures["dist_mib"] <= DISK_FIXED_MIB + DISK_PER_MIB * mib, \
        figures
    assert figures["deck_unzipped_mib"] <= DECK_FIXED_MIB + DECK_PER_MIB * mib, figures
    assert figures["tree_pss_mib"] <= TREE_FIXED_MIB + TREE_PER_MIB * mib, figures
    assert figures["largest_rss_mib"] <= LARGEST_FIXED_MIB + LARGEST_PER_MIB * mib, figures
