"""Excerpts taken from existing documents: a PDF (``pdf:``) or page images (``images:``).

This is input handling, like the rest of course/: the excerpt's keys are checked, and
each named file is opened just far enough to know that reader can use it (a PDF that
opens, is not locked, is not absurdly long, and has the pages asked for; an image in a
known format with a sane number of pixels), and to learn each page's number as printed
in the original. Every problem is located at the key that named the file. Preparing the
pages (rendering, straightening, cropping, OCR) is heavy work and happens later, in
reader.scans, once per page.

A PDF from the internet is untrusted: it is opened by qpdf (pikepdf), which repairs
what it can; nothing of it but each page's drawing is ever carried into the reader
(see reader.scans.prepare).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.files import resolve_in_course
from ..core.yamlsource import Invalid, YamlSource, YMap, describe, text
from ..errors import Location, Problem, Problems
from .numerals import roman, roman_value

MAX_PDF_BYTES = 1024 * 1024 * 1024      # a scanned book at 300 dpi can be hundreds of MB
MAX_IMAGE_BYTES = 100 * 1024 * 1024     # one page: a TIFF from a copier is large
MAX_FILE_PAGES = 5_000                  # pages in one source file
MAX_SELECTED_PAGES = 2_000              # pages one excerpt may take
MAX_IMAGE_PIXELS = 60_000_000           # as for images in essays: 300 dpi over A3 is 17
MAX_PAGE_POINTS = 14_400                # PDF's own limit on a page side (200 inches)
IMAGE_FORMATS = ("JPEG", "PNG", "TIFF")
CROP_SIDES = ("top", "right", "bottom", "left")


@dataclass(frozen=True)
class OriginalPage:
    """One page of the original to set in the reader."""

    path: Path          # the PDF or image file
    index: int          # the page in a PDF, the frame in a (multi-page) TIFF, else 0
    printed: str        # its number as printed in the original ("41", "xii")


@dataclass(frozen=True)
class Original:
    """The pages of an existing document that an excerpt reproduces, and how to set them."""

    kind: str                         # "pdf" or "images"
    pages: tuple[OriginalPage, ...]
    crop: str | tuple[float, float, float, float]   # "auto", "none" or mm: top, right...
    lang: str                         # BCP 47: the language OCR reads
    password: str | None = None
    quotes: tuple[str, ...] = ()      # passages to show on slides (``slides:``)

    @property
    def files(self) -> list[Path]:
        return list(dict.fromkeys(page.path for page in self.pages))

    @property
    def printed_pages(self) -> str:
        """The pages as a citation gives them: '675-676', '41-42, 44', 'xii-xiv'."""
        return compact_pages([page.printed for page in self.pages])


def original_note(printed: str) -> str:
    """Where a page of the original begins: the printed reader's outer margin and the
    screen editions' marker both say this."""
    return f"p. {printed} in the original"


def compact_pages(labels: list[str]) -> str:
    """Printed page numbers in order as ranges: ['41', '42', '44'] -> '41-42, 44'."""
    runs: list[list[str]] = []
    for label in labels:
        if runs and _follows(runs[-1][-1], label):
            runs[-1].append(label)
        else:
            runs.append([label])
    return ", ".join(run[0] if len(run) == 1 else f"{run[0]}-{run[-1]}" for run in runs)


def _follows(before: str, after: str) -> bool:
    if before.isdigit() and after.isdigit():
        return int(after) == int(before) + 1
    a, b = roman_value(before), roman_value(after)
    return a is not None and b is not None and b == a + 1


# --- the excerpt's keys -----------------------------------------------------------------------

def first_printed_page(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100_000:
        raise Invalid(f"expected the printed number of the first page (a whole number, "
                      f"e.g. 675), found {describe(value)}")
    return value


def crop(value: Any) -> str | tuple[float, float, float, float]:
    """``auto`` (the default: a scan's dark copier margins cut away, the page trimmed to
    what is printed on it), ``none``, a number of mm from every side, or mm per side."""
    if value in ("auto", "none"):
        return value
    if isinstance(value, dict):
        unknown = [k for k in value if k not in CROP_SIDES]
        if unknown:
            raise Invalid(f"unknown side '{unknown[0]}'; crop takes top, right, bottom, left "
                          "(mm)")
        sides = tuple(_millimetres(value.get(side, 0), side) for side in CROP_SIDES)
    else:
        sides = (_millimetres(value, "crop"),) * 4
    return sides  # type: ignore[return-value]


def _millimetres(value: Any, what: str) -> float:
    if isinstance(value, str):
        match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*mm\s*", value)
        value = float(match.group(1)) if match else value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100:
        raise Invalid(f"{what}: expected auto, none, or millimetres from 0 to 100 (12 or "
                      f"'12mm'), found {describe(value)}")
    return float(value)


def has_original(front: dict) -> bool:
    return "pdf" in front or "images" in front


def load_original(data: YMap, front: dict, src: YamlSource, root: Path, lang: str,
                  problems: Problems, warnings_out: list[Problem]) -> Original | None:
    """The pages an excerpt's ``pdf:`` or ``images:`` names, checked; None after problems."""
    if "pdf" in front and "images" in front:
        problems.add(src.key(data, "images"), "give either 'pdf:' or 'images:', not both")
        return None
    kind = "pdf" if "pdf" in front else "images"
    where = src.value(data, kind)
    count = len(problems.items)
    if kind == "pdf":
        pages = _pdf_pages(front, data, src, root, problems, warnings_out)
    else:
        pages = _image_pages(front, data, src, root, problems)
    if pages is None or len(problems.items) > count:
        return None
    if not pages:
        problems.add(src.value(data, "pages") if "pages" in data else where,
                     "no pages are selected; name the pages to take, e.g. pages: \"23-25\"")
        return None
    if len(pages) > MAX_SELECTED_PAGES:
        problems.add(src.value(data, "pages") if "pages" in data else where,
                     f"{len(pages):,} pages are selected; one excerpt takes at most "
                     f"{MAX_SELECTED_PAGES:,}: split it into several excerpts")
        return None
    return Original(kind, tuple(pages), front.get("crop", "auto"), front.get("lang", lang),
                    front.get("password"), tuple(front.get("slides", ())))


def _pdf_pages(front: dict, data: YMap, src: YamlSource, root: Path, problems: Problems,
               warnings_out: list[Problem]) -> list[OriginalPage] | None:
    where = src.value(data, "pdf")
    try:
        path = resolve_in_course(root, src.path.parent, front["pdf"])
    except Invalid as exc:
        problems.add(where, f"'pdf': {exc}")
        return None
    labels = pdf_labels(path, front.get("password"), where, problems, warnings_out)
    if labels is None:
        return None
    if "first_printed_page" in front:
        labels = [str(front["first_printed_page"] + n) for n in range(len(labels))]
    if "pages" not in front:
        return [OriginalPage(path, n, label) for n, label in enumerate(labels)]
    chosen = select(front["pages"], labels, src.value(data, "pages"), problems,
                    f"'{path.name}'", numbered=_numbering(labels, "first_printed_page" in front))
    if chosen is None:
        return None
    return [OriginalPage(path, n, labels[n]) for n in chosen]


def _numbering(labels: list[str], offset: bool) -> str:
    how = "from first_printed_page:" if offset else "by its page labels"
    return f"its {len(labels):,} pages are numbered {compact_pages(labels)} ({how})" \
        if len(labels) <= 20 else \
        f"its {len(labels):,} pages are numbered {labels[0]} to {labels[-1]} ({how})"


def pdf_labels(path: Path, password: str | None, where: Location, problems: Problems,
               warnings_out: list[Problem]) -> list[str] | None:
    """Each page's printed number (its page label), after checking that reader can use
    the file: it opens (repaired if need be), is not locked, is not too long, and its pages
    have a sane size."""
    import pikepdf

    size = path.stat().st_size
    if size > MAX_PDF_BYTES:
        problems.add(where, f"'{path.name}' is {size / 2**20:,.0f} MiB; PDFs up to "
                            f"{MAX_PDF_BYTES // 2**20:,} MiB are accepted; take the chapter "
                            "you need into a file of its own")
        return None
    try:
        with pikepdf.open(path, password=password or "") as pdf:
            repaired = pdf.get_warnings()
            count = len(pdf.pages)
            if count > MAX_FILE_PAGES:
                problems.add(where, f"'{path.name}' has {count:,} pages; reader takes pages "
                                    f"from PDFs of at most {MAX_FILE_PAGES:,}: save the "
                                    "chapter you need as a PDF of its own")
                return None
            if count == 0:
                problems.add(where, f"'{path.name}' has no pages")
                return None
            labels = []
            for number, page in enumerate(pdf.pages, 1):
                box = page.mediabox
                width, height = (abs(float(box[2]) - float(box[0])),
                                 abs(float(box[3]) - float(box[1])))
                if not (1 <= width <= MAX_PAGE_POINTS and 1 <= height <= MAX_PAGE_POINTS):
                    problems.add(where, f"'{path.name}': page {number} is {width:,.0f} x "
                                        f"{height:,.0f} points, not a page reader can print")
                    return None
                labels.append(_label(page, number))
    except pikepdf.PasswordError:
        if password:
            problems.add(where, f"'{path.name}' is encrypted and the 'password:' given does "
                                "not open it")
        else:
            problems.add(where, f"'{path.name}' is encrypted (it needs a password to open); "
                                "give it as 'password:' in this excerpt, or save an "
                                "unprotected copy of the pages you need")
        return None
    except (pikepdf.PdfError, OSError, ValueError, RecursionError) as exc:
        problems.add(where, f"'{path.name}' is not a PDF reader can read ({_first_line(exc)});"
                            " open it in a PDF viewer and save or print it to a new PDF")
        return None
    if repaired:
        warnings_out.append(Problem(where, f"'{path.name}' is damaged and was repaired on "
                                           f"reading ({_first_line(repaired[0])}); check its "
                                           "pages in the reader"))
    return labels


def _label(page: Any, number: int) -> str:
    try:
        label = str(page.label).strip()
    except Exception:  # noqa: BLE001 - a broken /PageLabels tree: number the page plainly
        label = ""
    return label if label and len(label) <= 20 else str(number)


def _first_line(exc: Any) -> str:
    line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return line[:160]


def select(raw: Any, labels: list[str], where: Location, problems: Problems, what: str,
           numbered: str) -> list[int] | None:
    """The pages a selection such as "23-25, 27-30" names, as indexes into ``labels`` (the
    printed numbers of a file's pages), in the order written."""
    try:
        written = text(raw)
    except Invalid as exc:
        problems.add(where, f"'pages': {exc}")
        return None
    position: dict[str, int] = {}
    for n, label in enumerate(labels):
        position.setdefault(label.lower(), n)
    chosen: list[int] = []
    for part in re.split(r"\s*[,;]\s*", written.removeprefix("pp.").removeprefix("p.").strip()):
        if not part:
            continue
        ends = [e.strip() for e in re.split(r"\s*[-–]\s*", part)]
        if len(ends) > 2 or not all(ends):
            problems.add(where, f"'pages': '{part}' is not a page or a range (write "
                                "\"23-25, 27\")")
            return None
        missing = [e for e in ends if e.lower() not in position]
        if missing:
            problems.add(where, f"'pages': page {missing[0]} is not in {what}: {numbered}")
            return None
        first, last = position[ends[0].lower()], position[ends[-1].lower()]
        if last < first:
            problems.add(where, f"'pages': the range '{part}' runs backwards")
            return None
        chosen.extend(range(first, last + 1))
        if len(chosen) > MAX_SELECTED_PAGES:
            break
    return chosen


def _image_pages(front: dict, data: YMap, src: YamlSource, root: Path,
                 problems: Problems) -> list[OriginalPage] | None:
    raw = data["images"]
    if not isinstance(raw, list) or not raw:
        problems.add(src.value(data, "images"), f"'images' must be a list of image files "
                                                f"(JPEG, PNG, TIFF), found {describe(raw)}")
        return None
    found: list[tuple[Path, int]] = []
    for n, entry in enumerate(raw):
        where = src.item(raw, n)
        try:
            path = resolve_in_course(root, src.path.parent, text(entry))
            frames = image_frames(path)
        except Invalid as exc:
            problems.add(where, f"'images': {exc}")
            continue
        found.extend((path, frame) for frame in range(frames))
    if len(found) > MAX_SELECTED_PAGES:
        problems.add(src.value(data, "images"), f"{len(found):,} page images; one excerpt "
                                                f"takes at most {MAX_SELECTED_PAGES:,}")
        return None
    if "pages" in front:
        labels = _expand(front["pages"], src.value(data, "pages"), problems)
        if labels is None:
            return None
        if len(labels) != len(found):
            problems.add(src.value(data, "pages"),
                         f"'pages' names {len(labels)} pages but 'images' gives {len(found)}; "
                         "with images, 'pages' says which printed page each image is")
            return None
    elif "first_printed_page" in front:
        labels = [str(front["first_printed_page"] + n) for n in range(len(found))]
    else:
        problems.add(src.key(data, "images"),
                     "say which pages of the work these images are: pages: \"41-42, 44\" "
                     "(one per image) or first_printed_page: 41")
        return None
    return [OriginalPage(path, frame, label) for (path, frame), label in zip(found, labels)]


def _expand(raw: Any, where: Location, problems: Problems) -> list[str] | None:
    """ "41-42, 44" -> ['41', '42', '44'] (arabic or roman numbers)."""
    try:
        written = text(raw)
    except Invalid as exc:
        problems.add(where, f"'pages': {exc}")
        return None
    labels: list[str] = []
    for part in re.split(r"\s*[,;]\s*", written.strip()):
        match = re.fullmatch(r"([0-9]+|[ivxlcdm]+)(?:\s*[-–]\s*([0-9]+|[ivxlcdm]+))?", part,
                             re.I)
        if not match:
            problems.add(where, f"'pages': '{part}' is not a page number or a range")
            return None
        first, last = match.group(1), match.group(2) or match.group(1)
        if first.isdigit() != last.isdigit():
            problems.add(where, f"'pages': '{part}' mixes arabic and roman numbers")
            return None
        if first.isdigit():
            a, b = int(first), int(last)
            numbers = [str(n) for n in range(a, b + 1)] if b - a < MAX_SELECTED_PAGES else []
        else:
            a, b = roman_value(first) or 0, roman_value(last) or 0
            lower = first.islower()
            numbers = [roman(n).lower() if lower else roman(n) for n in range(a, b + 1)] \
                if 0 < a and b - a < MAX_SELECTED_PAGES else []
        if not numbers:
            problems.add(where, f"'pages': the range '{part}' runs backwards or is too long")
            return None
        labels.extend(numbers)
    return labels


def image_frames(path: Path) -> int:
    """How many pages an image file holds (a TIFF may hold several), after checking that it
    is a JPEG, PNG or TIFF of a printable number of pixels: decided from its header, before
    any pixel is decoded."""
    from PIL import Image, UnidentifiedImageError

    size = path.stat().st_size
    if size > MAX_IMAGE_BYTES:
        raise Invalid(f"'{path.name}' is {size / 2**20:.0f} MiB; page images up to "
                      f"{MAX_IMAGE_BYTES // 2**20} MiB are accepted")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                if img.format not in IMAGE_FORMATS:
                    raise Invalid(f"'{path.name}' is a {img.format} image; page images may be "
                                  "JPEG, PNG or TIFF")
                frames = getattr(img, "n_frames", 1)
                if frames > MAX_SELECTED_PAGES:
                    raise Invalid(f"'{path.name}' holds {frames:,} pages; at most "
                                  f"{MAX_SELECTED_PAGES:,} are accepted")
                for frame in range(frames):
                    img.seek(frame)
                    width, height = img.size
                    if width * height > MAX_IMAGE_PIXELS:
                        raise Invalid(f"'{path.name}' is {width:,} x {height:,} pixels; page "
                                      f"images up to {MAX_IMAGE_PIXELS // 10**6} megapixels "
                                      "are accepted (a letter page at 600 dpi is 34); scan "
                                      "at 300 dpi")
                    if width < 16 or height < 16:
                        raise Invalid(f"'{path.name}' is {width} x {height} pixels: too small "
                                      "to be a page")
    except Image.DecompressionBombError:
        raise Invalid(f"'{path.name}' has far too many pixels to be a page image") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise Invalid(f"'{path.name}' is not an image reader can read (JPEG, PNG or "
                      "TIFF)") from None
    return frames
