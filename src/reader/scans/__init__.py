"""Pages of existing documents, prepared for the reader and the deck.

An excerpt may reproduce pages of a PDF or page images (course/documents.py checks and
opens them). Each page is prepared once: a scan is turned upright, straightened,
cropped to its paper, recompressed (bilevel CCITT G4 where the page is text, greyscale
JPEG where it holds pictures) and given a text layer by OCR; a digital page keeps its
own drawing, and nothing else of its file. The result, a one-page PDF and a record of
facts about it, is cached in ``.reader-cache/pages/`` under a key made of the page's
content, the settings and the tools' versions (prepare.py), and read by the reader
(pdf/inserts.py) and the deck.

Layers: this package sits between course/ (which it reads) and the renderers (which read
it). It never lays anything out.
"""
