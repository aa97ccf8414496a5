"""Imported once by the workers' fork server (build/workers.py), before any worker exists.

Every worker is forked from that server, so what is imported here is paid once per build,
while this process reads the course, instead of once per worker.
"""

from ..pdf.engine import import_weasyprint

import_weasyprint()

import pptx  # noqa: E402, F401  (the deck's batches)
import pptx.chart.xmlwriter  # noqa: E402, F401
from PIL import Image  # noqa: E402, F401
