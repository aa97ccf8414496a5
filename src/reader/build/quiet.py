"""Libraries' own messages are not for a lecturer.

Pillow's DecompressionBombWarning, matplotlib's font notes, fontTools' "timestamp seems
very low", WeasyPrint's layout log: whatever matters is said by reader itself, as a
located warning or error. READER_DEBUG=1 lets them through. Called in the build's
process and in every worker.
"""

from __future__ import annotations

import logging
import os
import warnings

LIBRARIES = ("weasyprint", "fontTools", "matplotlib", "PIL", "pikepdf", "pptx")


def quiet_libraries() -> None:
    if os.environ.get("READER_DEBUG"):
        return
    warnings.simplefilter("ignore")
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(logging.CRITICAL)
