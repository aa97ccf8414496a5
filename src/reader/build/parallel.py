"""Building several variants at once: one worker process per core.

Workers are forked after the parent has imported WeasyPrint and python-pptx,
so each starts warm. Results (page maps, warnings) are plain data and pickle.
"""

from __future__ import annotations

import multiprocessing
import os

from ..errors import CourseError
from ..course.manifest import Manifest, Settings


def _work(args: tuple[Manifest, Settings, str, bool]):
    from .pipeline import build_variant

    manifest, settings, signature, strict = args
    try:
        return build_variant(manifest, settings, strict=strict, signature=signature)
    except CourseError as exc:
        return exc


def build_parallel(manifest: Manifest, settings_list: list[Settings], signatures: list[str],
                   strict: bool = False):
    import pptx  # noqa: F401  (warm the parent before forking)
    import weasyprint  # noqa: F401

    workers = min(len(settings_list), os.cpu_count() or 1)
    context = multiprocessing.get_context("fork")
    from ..core.processes import child_signals

    with context.Pool(workers, initializer=child_signals) as pool:
        results = pool.map(_work, [(manifest, s, sig, strict)
                                   for s, sig in zip(settings_list, signatures)], chunksize=1)
    errors = [r for r in results if isinstance(r, CourseError)]
    if errors:
        raise CourseError([p for e in errors for p in e.problems])
    return results
