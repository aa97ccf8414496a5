#!/usr/bin/env python3
"""Benchmark: a scanned coursepack (issue 13), against the floor and against OCR alone.

    python bench/scans.py                  # 300 scanned pages (30 excerpts of 10 pages)
    python bench/scans.py --pages 40       # a quick trial

Generates (fixed seed, no network) a course of 10 typed essays and excerpts whose pages
are copier scans: 300 dpi greyscale JPEG page images of English-shaped prose (bench/
generate.py's sentences), each turned up to 1.5 degrees on the lid's grey, with noise.
Then measures, on the same pages:

- reader cold: no cache, no dist (reader build -v: the reader and the deck);
- reader edit: one paragraph of one essay changed, built again;
- reader no-change: built again with nothing changed;
- the floor: a plain pikepdf script that puts each JPEG on a letter page as it is (no
  cropping, no straightening, no OCR, no recompression): the least any tool can do;
- OCR alone: ocrmypdf (tesseract, the same pages) on the floor's PDF, --jobs 2.

Prints a Markdown table (wall time, output size) and writes bench/work/scans/RESULTS.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / "work" / "scans"
FONT = REPO / "src" / "reader" / "theme" / "fonts" / "Caladea-Regular.ttf"
DPI = 300
PAGES_PER_EXCERPT = 10

sys.path.insert(0, str(HERE))
from generate import paragraph  # noqa: E402


def page_image(rng: random.Random, printed: int, path: Path) -> None:
    """A 6 x 9 in book page of prose, scanned: turned, on grey, noisy, JPEG."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    width, height = 6 * DPI, 9 * DPI
    page = Image.new("L", (width, height), 244)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(str(FONT), int(DPI * 0.15))
    y = int(DPI * 0.8)
    lines = []
    while len(lines) < 32:
        lines.extend(textwrap.wrap(paragraph(rng, 90), 64) + [""])
    for line in lines[:32]:
        draw.text((int(DPI * 0.75), y), line, font=font, fill=28)
        y += int(DPI * 0.225)
    draw.text((width // 2 - 20, height - int(DPI * 0.6)), str(printed), font=font, fill=28)
    turn = rng.uniform(-1.5, 1.5)
    turned = page.rotate(turn, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=92)
    lid = Image.new("L", (turned.size[0] + DPI // 2, turned.size[1] + DPI // 3), 92)
    lid.paste(turned, (DPI // 4 + rng.randrange(DPI // 8), DPI // 6))
    pixels = np.asarray(lid).astype(np.int16)
    noise = np.random.default_rng(printed).normal(0, 5, pixels.shape)
    Image.fromarray(np.clip(pixels + noise, 0, 255).astype(np.uint8)).save(
        path, "JPEG", quality=75, dpi=(DPI, DPI))


def generate(pages: int) -> Path:
    """The course (once per page count; kept between runs)."""
    import yaml

    root = WORK / f"{pages}" / "course"
    done = root / ".generated"
    if done.exists():
        return root
    shutil.rmtree(root, ignore_errors=True)
    (root / "s" / "scans").mkdir(parents=True)
    rng = random.Random(13)
    contents = []
    excerpts = math.ceil(pages / PAGES_PER_EXCERPT)
    printed = 100
    for n in range(excerpts):
        count = min(PAGES_PER_EXCERPT, pages - n * PAGES_PER_EXCERPT)
        images = []
        for k in range(count):
            name = f"scans/x{n:02d}-p{printed + k}.jpg"
            page_image(rng, printed + k, root / "s" / name)
            images.append(name)
        front = {"title": f"Scanned reading {n + 1}", "author": f"Author {n % 7}",
                 "source": {"title": f"A Long Book {n % 9}", "publisher": "Press",
                            "year": 1950 + n},
                 "headnote": "Read these pages for the seminar.",
                 "permission": "Licensed for the course (CLA)",
                 "images": images, "first_printed_page": printed}
        (root / "s" / f"x{n:02d}.md").write_text(
            "---\n" + yaml.safe_dump(front, sort_keys=False) + "---\n")
        printed += count + 7
        if n % 3 == 0:
            essay = f"s/e{n:02d}.md"
            body = "\n\n".join(paragraph(rng, 120) for _ in range(6))
            (root / essay).write_text(f"---\ntitle: Essay {n}\n---\n{body}\n")
            contents.append({"essay": essay})
        contents.append({"excerpt": f"s/x{n:02d}.md"})
    (root / "course.yaml").write_text(yaml.safe_dump(
        {"title": "A scanned coursepack", "lang": "en", "outputs": ["pdf", "pptx"],
         "contents": contents}, sort_keys=False))
    done.write_text("ok")
    return root


def timed(cmd: list[str], cwd: Path | None = None) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")
    return elapsed, done.stdout + done.stderr


def reader(root: Path, *args: str) -> tuple[float, str]:
    env_python = sys.executable
    return timed([env_python, "-m", "reader.cli", "build", str(root), *args])


def floor(root: Path, out: Path) -> float:
    """The least any tool does: each JPEG on a letter page as it is, with pikepdf."""
    script = f"""
import pikepdf, glob
from PIL import Image
pdf = pikepdf.new()
for path in sorted(glob.glob({str(root / 's' / 'scans' / '*.jpg')!r})):
    with Image.open(path) as im:
        w, h = im.size
    data = open(path, 'rb').read()
    image = pikepdf.Stream(pdf, data, Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image,
                           Width=w, Height=h, ColorSpace=pikepdf.Name.DeviceGray,
                           BitsPerComponent=8, Filter=pikepdf.Name.DCTDecode)
    scale = min(540 / w, 720 / h)
    ops = f"q {{w*scale:.2f}} 0 0 {{h*scale:.2f}} 36 36 cm /Im Do Q".encode()
    page = pikepdf.Dictionary(Type=pikepdf.Name.Page, MediaBox=[0, 0, 612, 792],
                              Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im=image)),
                              Contents=pikepdf.Stream(pdf, ops))
    pdf.pages.append(pikepdf.Page(page))
pdf.save({str(out)!r})
"""
    return timed([sys.executable, "-c", script])[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=300)
    ap.add_argument("--skip-ocrmypdf", action="store_true")
    args = ap.parse_args()
    os.environ["PYTHONPATH"] = str(REPO / "src")
    started = time.perf_counter()
    root = generate(args.pages)
    generated = time.perf_counter() - started
    inputs = sum(p.stat().st_size for p in (root / "s" / "scans").iterdir())
    results: dict[str, dict] = {}
    shutil.rmtree(root / "dist", ignore_errors=True)
    shutil.rmtree(root / ".reader-cache", ignore_errors=True)
    wall, out = reader(root, "-v")
    results["reader cold"] = {"wall": wall, "log": out[-600:]}
    size = (root / "dist" / "reader.pdf").stat().st_size
    results["reader cold"]["size"] = size
    wall, out = reader(root, "-v")
    results["reader no-change"] = {"wall": wall, "log": out[-200:]}
    essay = sorted((root / "s").glob("e*.md"))[len(list((root / "s").glob("e*.md"))) // 2]
    text = essay.read_text()
    essay.write_text(text.replace(".", ". An added sentence of the edit.", 1))
    wall, out = reader(root, "-v")
    essay.write_text(text)
    results["reader edit"] = {"wall": wall, "log": out[-600:],
                              "size": (root / "dist" / "reader.pdf").stat().st_size}
    floor_pdf = WORK / f"{args.pages}" / "floor.pdf"
    results["floor (pikepdf, JPEGs as they are)"] = {"wall": floor(root, floor_pdf),
                                                     "size": floor_pdf.stat().st_size}
    if not args.skip_ocrmypdf and shutil.which("ocrmypdf"):
        ocr_pdf = WORK / f"{args.pages}" / "ocrmypdf.pdf"
        wall, _ = timed(["ocrmypdf", "--jobs", "2", "-l", "eng", "--output-type", "pdf",
                         str(floor_pdf), str(ocr_pdf)])
        results["OCR alone (ocrmypdf --jobs 2)"] = {"wall": wall, "size": ocr_pdf.stat().st_size}
    summary = {"pages": args.pages, "inputs": inputs, "generated_in": generated,
               "cores": os.cpu_count(), "results": results}
    (WORK / "RESULTS.json").write_text(json.dumps(summary, indent=2))
    print(f"{args.pages} scanned pages (300 dpi greyscale JPEG, {inputs / 2**20:.1f} MiB of "
          f"input), {os.cpu_count()} cores\n")
    print("| run | wall | reader.pdf / output |\n|---|---|---|")
    for name, r in results.items():
        shown = f"{r['size'] / 2**20:.1f} MiB" if "size" in r else ""
        print(f"| {name} | {r['wall']:.1f} s | {shown} |")
    for name in ("reader cold", "reader edit"):
        print(f"\n{name}:\n{results[name]['log']}")


if __name__ == "__main__":
    main()
