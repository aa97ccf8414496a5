"""Tesseract, run as a program: which way up a page is, and its text as an invisible layer.

Tesseract is called directly (no shell), one page at a time, with a time limit, on an
image reader wrote itself (bounded in pixels by course/documents.py), with one thread:
pages are read in parallel by the build's workers instead. Debian packages it as
``tesseract-ocr`` with a package per language (``tesseract-ocr-eng``...), which
``scripts/setup`` installs.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

TIMEOUT = 120          # seconds for one page
OSD_CONFIDENCE = 14.0  # below this, tesseract's guess of a page's orientation is ignored
                       # (ocrmypdf's default threshold for turning pages)

# BCP 47 primary language -> tesseract's traineddata (ISO 639-2/T, with its exceptions).
LANGUAGES = {
    "en": "eng", "fr": "fra", "de": "deu", "ru": "rus", "es": "spa", "it": "ita",
    "pt": "por", "nl": "nld", "pl": "pol", "cs": "ces", "sk": "slk", "uk": "ukr",
    "be": "bel", "bg": "bul", "sr": "srp", "hr": "hrv", "sl": "slv", "hu": "hun",
    "ro": "ron", "el": "ell", "tr": "tur", "sv": "swe", "da": "dan", "no": "nor",
    "nb": "nor", "nn": "nor", "fi": "fin", "et": "est", "lv": "lav", "lt": "lit",
    "ga": "gle", "cy": "cym", "la": "lat", "ca": "cat", "eu": "eus", "gl": "glg",
    "he": "heb", "ar": "ara", "fa": "fas", "hi": "hin", "zh": "chi_sim", "ja": "jpn",
    "ko": "kor", "ka": "kat", "hy": "hye", "kk": "kaz", "az": "aze", "uz": "uzb",
    "yi": "yid", "eo": "epo", "is": "isl", "mk": "mkd", "sq": "sqi",
}
_SCRIPT_VARIANTS = {"zh-hant": "chi_tra", "zh-tw": "chi_tra", "zh-hk": "chi_tra",
                    "sr-latn": "srp_latn", "uz-cyrl": "uzb_cyrl"}


def tesseract_language(tag: str) -> str:
    """A BCP 47 tag as tesseract names the language: en-GB -> eng, zh-Hant -> chi_tra."""
    lowered = tag.lower()
    for prefix, name in _SCRIPT_VARIANTS.items():
        if lowered == prefix or lowered.startswith(prefix + "-"):
            return name
    primary = lowered.split("-")[0]
    return LANGUAGES.get(primary, primary if len(primary) == 3 else "eng")


@functools.cache
def tesseract() -> str | None:
    return shutil.which("tesseract")


@functools.cache
def version() -> str:
    """Tesseract's version, part of every prepared page's cache key ('' when missing)."""
    program = tesseract()
    if program is None:
        return ""
    try:
        done = subprocess.run([program, "--version"], capture_output=True, text=True,
                              timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return (done.stdout or done.stderr).splitlines()[0].strip() if (done.stdout or
                                                                      done.stderr) else ""


@functools.cache
def languages() -> frozenset[str]:
    program = tesseract()
    if program is None:
        return frozenset()
    try:
        done = subprocess.run([program, "--list-langs"], capture_output=True, text=True,
                              timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    lines = (done.stdout or "").splitlines()
    return frozenset(line.strip() for line in lines[1:] if line.strip())


def missing(tag: str) -> str | None:
    """Why pages in language ``tag`` cannot be read (a message with the fix), or None."""
    if tesseract() is None:
        return ("tesseract is not installed, so scanned pages get no text layer (students "
                "cannot search or select their text); install it: apt install "
                "tesseract-ocr tesseract-ocr-eng (scripts/setup does)")
    name = tesseract_language(tag)
    if name not in languages():
        package = "tesseract-ocr-" + name.replace("_", "-")
        return (f"tesseract has no '{name}' language data for lang '{tag}', so scanned pages "
                f"in it get no text layer; install it: apt install {package}")
    return None


def _environment() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if key in ("PATH", "HOME", "LANG", "LC_ALL", "TESSDATA_PREFIX")}
    env["OMP_THREAD_LIMIT"] = "1"      # one thread: pages run in parallel instead
    return env


def orientation(image_path: Path, threshold: float = OSD_CONFIDENCE) -> int:
    """How many degrees clockwise the page must turn to be upright (0, 90, 180, 270), by
    tesseract's orientation detection; 0 when it is less confident than ``threshold`` or
    cannot tell."""
    program = tesseract()
    if program is None or "osd" not in languages():
        return 0
    try:
        done = subprocess.run([program, str(image_path), "-", "--psm", "0"],
                              capture_output=True, text=True, timeout=TIMEOUT, check=False,
                              env=_environment())
    except (OSError, subprocess.SubprocessError):
        return 0
    turn = re.search(r"Rotate:\s*(\d+)", done.stdout)
    confidence = re.search(r"Orientation confidence:\s*([\d.]+)", done.stdout)
    if not turn or not confidence or float(confidence.group(1)) < threshold:
        return 0
    return int(turn.group(1)) % 360


@dataclass
class Reading:
    """What tesseract read on a page."""

    layer: bytes           # a one-page PDF of invisible text over an image of the page
    text: str
    confidence: float      # tesseract's mean word confidence, 0-100 (0: no words)
    words: int

    @property
    def confident(self) -> bool:
        """Enough words read with confidence: the page stands upright."""
        return self.words >= MIN_WORDS and self.confidence >= MIN_CONFIDENCE


MIN_WORDS = 3
MIN_CONFIDENCE = 55.0      # tesseract's mean word confidence (0-100) on a page read well


def read(image_path: Path, lang: str, dpi: int) -> Reading | None:
    """The page's text as tesseract reads it. None when tesseract cannot run."""
    program = tesseract()
    if program is None or tesseract_language(lang) not in languages():
        return None
    with tempfile.TemporaryDirectory(prefix="reader-ocr-") as folder:
        base = Path(folder) / "page"
        try:
            done = subprocess.run(
                [program, str(image_path), str(base), "-l", tesseract_language(lang),
                 "--dpi", str(dpi), "-c", "textonly_pdf=1", "pdf", "txt", "tsv"],
                capture_output=True, timeout=TIMEOUT, check=False, env=_environment())
        except (OSError, subprocess.SubprocessError):
            return None
        pdf, txt, tsv = (base.with_suffix(s) for s in (".pdf", ".txt", ".tsv"))
        if done.returncode != 0 or not pdf.exists():
            return None
        text = txt.read_text(encoding="utf-8", errors="replace") if txt.exists() else ""
        scores = _confidences(tsv.read_text(encoding="utf-8", errors="replace")
                              if tsv.exists() else "")
        mean = sum(scores) / len(scores) if scores else 0.0
        return Reading(pdf.read_bytes(), text, mean, len(scores))


def _confidences(tsv: str) -> list[float]:
    """Each recognised word's confidence, from tesseract's TSV output."""
    scores = []
    for line in tsv.splitlines()[1:]:
        fields = line.split("\t")
        if len(fields) >= 12 and fields[0] == "5" and fields[11].strip():
            try:
                scores.append(float(fields[10]))
            except ValueError:
                continue
    return scores
