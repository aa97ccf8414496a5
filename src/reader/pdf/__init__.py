"""Stage 3a: the course reader as PDF (Jinja2 HTML + CSS paged media, WeasyPrint, pikepdf)."""

from .book import body_chunks, render_assembled, render_single, table_fits
from .engine import Renderer

__all__ = ["Renderer", "body_chunks", "render_assembled", "render_single", "table_fits"]
