"""What a scan needs before it can be printed again: measured on its pixels (numpy).

A copier's or a phone's page image has dark margins around the paper, is a degree or two
askew, and is often greyscale where black and white would do. Each function here does one
of those repairs; together they are ``clean`` (prepare.py calls it). All of them work on a
greyscale image as a numpy array, 0 black to 255 white.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, TiffImagePlugin

MAX_SKEW = 5.0          # degrees: a page more askew than this was placed, not slipped
SKEW_SIDE = 1000        # px: skew is measured on a copy this size (fast, precise to 0.05°)
PAPER_BRIGHT = 0.8      # a pixel is paper when brighter than 80 % of the paper's white
PAPER_SHARE = 0.3       # a line is paper when this share of it is (dense type has ~60 %)
INK = 0.55              # ... and ink when darker than 55 % of it
PICTURE_SHARE = 0.08    # pages with more mid-grey than this hold pictures: kept in grey


@dataclass
class Cleaned:
    """A page image straightened and cut to its paper, and what was done to it."""

    image: Image.Image          # greyscale
    skew: float                 # degrees it was turned by
    paper: tuple[int, int, int, int]   # where the paper was, in the image as given


def paper_white(pixels: np.ndarray) -> float:
    """The brightness of the paper: what most of a page's brightest pixels are."""
    return float(max(np.percentile(pixels, 95), 1.0))


def _longest_run(flags: np.ndarray) -> tuple[int, int]:
    """The longest run of True in a 1-D array, as (start, end); (0, 0) when none."""
    padded = np.concatenate(([False], flags, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    if len(edges) == 0:
        return 0, 0
    starts, ends = edges[0::2], edges[1::2]
    best = int(np.argmax(ends - starts))
    return int(starts[best]), int(ends[best])


def _paper_run(share: np.ndarray) -> tuple[int, int]:
    """The longest run of lines (rows or columns) that are paper: lines with some paper
    white in them (a margin of the copier's lid has none), short gaps bridged (a dense
    line of text or a rule across the page)."""
    flags = share > PAPER_SHARE
    gap = max(2, len(flags) // 30)
    padded = np.concatenate(([True], flags, [True])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    for start, end in zip(edges[0::2], edges[1::2]):       # runs of False inside the array
        if 0 < start and end < len(flags) and end - start <= gap:
            flags[start:end] = True
    return _longest_run(flags)


def paper_box(pixels: np.ndarray) -> tuple[int, int, int, int]:
    """Where the paper is: the widest band of columns, then rows, that hold paper white.
    A copier's grey or black margins hold none. Returns (left, top, right, bottom)."""
    bright = pixels > paper_white(pixels) * PAPER_BRIGHT
    height, width = pixels.shape
    x0, x1 = _paper_run(bright.mean(axis=0))
    if x1 - x0 < width // 4:
        return 0, 0, width, height
    y0, y1 = _paper_run(bright[:, x0:x1].mean(axis=1))
    if y1 - y0 < height // 4:
        return 0, 0, width, height
    x0, x1 = _paper_run(bright[y0:y1].mean(axis=0))
    return x0, y0, x1, y1


def skew_angle(pixels: np.ndarray) -> float:
    """The angle (degrees, counter-clockwise) that makes the page's lines of text level.

    Lines of text are level when the rows of a page alternate most sharply between ink
    and paper: the angle that maximises the squared differences of the ink in successive
    rows (a projection profile), searched coarse to fine on a reduced copy."""
    image = Image.fromarray(pixels)
    image.thumbnail((SKEW_SIDE, SKEW_SIDE))
    small = np.asarray(image, dtype=np.float32)
    ink = Image.fromarray(((small < paper_white(small) * INK) * 255).astype(np.uint8))
    if not np.asarray(ink).any():
        return 0.0

    def sharpness(angle: float) -> float:
        turned = np.asarray(ink.rotate(angle, resample=Image.Resampling.NEAREST, fillcolor=0),
                            dtype=np.float32)
        return float(np.square(np.diff(turned.sum(axis=1))).sum())

    best = 0.0
    for step, span in ((0.5, MAX_SKEW), (0.1, 0.5), (0.02, 0.1)):
        candidates = np.arange(best - span, best + span + step / 2, step)
        best = float(max(candidates, key=sharpness))
    return round(best, 2) if abs(best) >= 0.05 else 0.0


def clean(image: Image.Image) -> Cleaned:
    """The page straightened and cut to its paper; the slivers that turning leaves at the
    paper's edges are cut off too."""
    grey = image.convert("L")
    pixels = np.asarray(grey)
    x0, y0, x1, y1 = paper_box(pixels)
    angle = skew_angle(pixels[y0:y1, x0:x1])
    if angle:
        # black where turning uncovers no image: never mistaken for paper, and cut away
        turned = grey.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=0)
        pixels = np.asarray(turned)
        x0, y0, x1, y1 = paper_box(pixels)
        inset = math.ceil(abs(math.tan(math.radians(angle))) * max(x1 - x0, y1 - y0)) + 2
        x0, y0, x1, y1 = x0 + inset, y0 + inset, x1 - inset, y1 - inset
        if x1 - x0 < 16 or y1 - y0 < 16:
            x0, y0, x1, y1 = 0, 0, pixels.shape[1], pixels.shape[0]
        grey = turned
    return Cleaned(grey.crop((x0, y0, x1, y1)), angle, (x0, y0, x1, y1))


def content_box(pixels: np.ndarray) -> tuple[int, int, int, int] | None:
    """The box around everything printed on a page (its ink), ignoring specks: rows and
    columns count as printed when more than 0.1 % of their pixels are ink."""
    ink = pixels < paper_white(pixels) * INK
    rows = np.flatnonzero(ink.mean(axis=1) > 0.001)
    cols = np.flatnonzero(ink.mean(axis=0) > 0.001)
    if len(rows) == 0 or len(cols) == 0:
        return None
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def otsu(pixels: np.ndarray) -> int:
    """The grey level that best separates ink from paper (Otsu's method)."""
    histogram = np.bincount(pixels.ravel(), minlength=256).astype(np.float64)
    share = histogram / max(histogram.sum(), 1)
    below = np.cumsum(share)
    mean_below = np.cumsum(share * np.arange(256))
    total = mean_below[-1]
    spread = (total * below - mean_below) ** 2 / (below * (1 - below) + 1e-12)
    return int(np.argmax(spread))


def holds_pictures(pixels: np.ndarray) -> bool:
    """Whether a page has photographs or shading that black and white would destroy: a
    page of text is paper and ink, with little grey between them."""
    white = paper_white(pixels)
    middle = (pixels > white * 0.25) & (pixels < white * 0.7)
    return float(middle.mean()) > PICTURE_SHARE


def bilevel_g4(image: Image.Image) -> tuple[bytes, int, int]:
    """The page in black and white, encoded CCITT Group 4 (the fax code that PDF viewers
    decode natively): the bytes of the single strip, and its width and height.

    Ink is written as 1-bits and paper as 0-bits with Pillow's own (min-is-black)
    photometric: libtiff codes 0-bits as the fax's white runs, so the paper is coded as
    white and PDF's default decoding (BlackIs1 false) shows it white. (Asking Pillow for a
    min-is-white file instead costs a second a page.)"""
    pixels = np.asarray(image.convert("L"))
    level = otsu(pixels)
    ink = Image.fromarray(((pixels <= level) * 255).astype(np.uint8)).convert(
        "1", dither=Image.Dither.NONE)
    buffer = io.BytesIO()
    ink.save(buffer, "TIFF", compression="group4", tiffinfo={278: ink.size[1]})  # one strip
    buffer.seek(0)
    with TiffImagePlugin.TiffImageFile(buffer) as tiff:
        offset = tiff.tag_v2[273][0]
        length = tiff.tag_v2[279][0]
    data = buffer.getvalue()[offset:offset + length]
    return data, ink.size[0], ink.size[1]


def grey_jpeg(image: Image.Image, quality: int = 60) -> bytes:
    buffer = io.BytesIO()
    image.convert("L").save(buffer, "JPEG", quality=quality, optimize=True)
    return buffer.getvalue()


def resample(image: Image.Image, source_dpi: float, target_dpi: float,
             enlarge: bool = False) -> Image.Image:
    """The image at ``target_dpi``. Enlarged only with ``enlarge``: a page of text that
    will be black and white is interpolated up before it is thresholded, so the letters'
    edges fall between the scan's pixels (a 200 dpi copier scan prints jagged otherwise);
    a picture keeps the pixels it has."""
    if abs(source_dpi - target_dpi) <= target_dpi * 0.05 or \
            (source_dpi < target_dpi and not enlarge):
        return image
    factor = target_dpi / source_dpi
    size = (max(1, round(image.size[0] * factor)), max(1, round(image.size[1] * factor)))
    return image.resize(size, Image.Resampling.LANCZOS)
