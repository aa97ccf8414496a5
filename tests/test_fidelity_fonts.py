"""Every glyph the reader prints is the glyph of its font file: in the fast (assembled)
reader as in the single-document one. Checked on the PDFs themselves, by the independent
verifiers of verify.py: each drawn glyph's outline and width against the original font
files, and each page as PDFium draws it against the single-document render."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pikepdf
import pytest
import yaml

from conftest import REPO, essay, excerpt, run
from verify import (RASTER_DPI, RASTER_MAX_PIXELS, RASTER_THRESHOLD, glyph_report,
                    pixel_difference, render_pages)

THEME_FONTS = REPO / "src" / "reader" / "theme" / "fonts"
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")    # the fallback faces (scripts/setup)
FONT_DIRS = [THEME_FONTS, DEJAVU]


def _glyph_problems(pdf: Path) -> list[str]:
    """Wrong glyphs, and fonts the check could not find an original for: none may hide."""
    report = glyph_report(pdf, FONT_DIRS)
    assert report.glyphs_checked > 50, "the check looked at the text"
    return report.problems + report.unchecked


def _single_reference(root: Path, out: Path) -> Path:
    """The reader laid out as one WeasyPrint document: the reference for the fast path."""
    from reader.course.manifest import load_manifest
    from reader.course.model import build_course
    from reader.course.theme import theme_for
    from reader.pdf.book import render_single

    manifest = load_manifest(root)
    data, _ = render_single(build_course(manifest, manifest.variant()),
                            theme_for(manifest.templates, root))
    out.write_bytes(data)
    return out


def _original_pages(dist: Path) -> set[int]:
    """PDF page numbers (from 1) of the pages of originals (scans, digital PDFs): the fast
    reader places the original page itself, the single document a picture of it (WeasyPrint
    cannot embed a PDF page), so those pages are compared by tests/test_originals.py."""
    import json

    record = json.loads((dist / ".reader-build.json").read_text())
    pages = record["pages"]
    with pikepdf.open(dist / "reader.pdf") as pdf:
        labels = [page.label for page in pdf.pages]
    return {labels.index(str(start)) + 1 for anchor, (start, _) in pages.items()
            if anchor.rsplit("-", 1)[-1].startswith("p") and anchor.count("-") == 2}


def _body_differences(fast: Path, single: Path, skip: set[int] = frozenset()) -> list[str]:
    """Pages where PDFium draws the two PDFs differently: whole pages, running heads and
    folios included (assembly copies them as WeasyPrint draws them, pdf/furniture.py).

    verify.py's thresholds: a pixel differs when a channel moves by more than 64/255, a
    page fails beyond 8 such pixels. That tolerates anti-aliasing only: the same PDF
    drawn twice differs by 0 pixels, the two paths by 0 on every page of the sample, and
    one missing bold "6" of a label is 39 pixels.
    """
    out = []
    for number, (a, b) in enumerate(zip(render_pages(fast, RASTER_DPI),
                                        render_pages(single, RASTER_DPI)), 1):
        if number in skip:
            continue
        if a.shape != b.shape:
            out.append(f"page {number}: other size")
            continue
        differ = pixel_difference(a, b) > RASTER_THRESHOLD
        if differ.sum() > RASTER_MAX_PIXELS:
            out.append(f"page {number}: {int(differ.sum())} pixels differ")
    return out


def _programs_by_face(pdf_path: Path) -> dict[str, set[tuple[int, int]]]:
    """Embedded TrueType programs, by the PostScript name in their own name table."""
    from fontTools.ttLib import TTFont

    found: dict[str, set[tuple[int, int]]] = {}
    with pikepdf.open(pdf_path) as pdf:
        for page in pdf.pages:
            for _, font in page.obj.Resources.get("/Font", {}).items():
                for cid_font in font.get("/DescendantFonts", []):
                    program = cid_font.FontDescriptor.get("/FontFile2")
                    if program is not None:
                        name = TTFont(io.BytesIO(program.read_bytes()))["name"].getDebugName(6)
                        found.setdefault(name, set()).add(program.objgen)
    return found


# --- the sample course --------------------------------------------------------------------

@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sample")
    shutil.copy(REPO / "course.yaml", root / "course.yaml")
    shutil.copytree(REPO / "sections", root / "sections")
    return root


def test_sample_reader_prints_every_label_digit(sample):
    """Issue 10.1: "ESSAY 6", "READING 6" and question 6 lost their 6 in the fast path."""
    assert run("build", str(sample)).exit_code == 0
    assert _glyph_problems(sample / "dist" / "reader.pdf") == []
    single = _single_reference(sample, sample.parent / "sample-single.pdf")
    originals = _original_pages(sample / "dist")
    assert len(originals) == 5, "the sample's scans (3 pages) and digital PDF (2)"
    assert _body_differences(sample / "dist" / "reader.pdf", single, originals) == []


def test_sample_tagged_reader_prints_every_glyph(sample):
    assert run("build", str(sample), "--tagged").exit_code == 0
    assert _glyph_problems(sample / "dist" / "reader.pdf") == []


# --- a course written to hit the failure ----------------------------------------------------

NAMES = ["Maximilien Robespierre et l'Être suprême", "Ødegård in Łódź", "Ça ira: Saint-Just",
         "Škoda, Dvořák and Čapek", "Æsir and Œuvres", "Grün über Österreich",
         "Ñandú and Señor Peña", "Ἀθῆναι? No: Athens", "Ångström's ‘quotes’", "Zürich 1917",
         "Ēriks and Ģirts", "Último: ¿por qué?"]


def _hungry_course(course) -> None:
    """Many chunks; digits 0-9 in bold labels and headings; accents; italics; characters
    the bundled faces lack (⅓ from DejaVu Serif, ♞ from DejaVu Sans)."""
    items = []
    for n, name in enumerate(NAMES, 1):
        extra = " A third: ⅓. A knight: ♞." if n % 4 == 0 else ""
        body = (f"## {n * 111} in {1900 + n}: {name}\n\n"
                f"*{name}*, in italics, and **{name}** in bold. Figures: {n * 1234567 % 10**7} "
                f"and 0123456789.{extra} " + "Ordinary words to fill the page. " * 20)
        course.write(f"s/e{n}.md", essay(name, body))
        items.append({"essay": f"s/e{n}.md"})
    for n in range(1, 4):
        course.write(f"s/x{n}.md", excerpt(f"Reading {n}: l'Être et le néant",
                                           "Quoted words, *partly italic*. " * 40))
        items.append({"excerpt": f"s/x{n}.md"})
    course.write("s/q.yaml", yaml.safe_dump({
        "title": "Questions 0123456789", "questions": [f"Why {name}?" for name in NAMES]},
        allow_unicode=True))
    items.append({"questions": "s/q.yaml"})
    course.manifest({"title": "Glyphs 0123456789", "instructor": "Dr Ødegård", "contents": [
        {"part": "Première partie: l'Être", "items": items[:7]},
        {"part": "Deuxième partie: Łódź", "items": items[7:]}]})


def test_fast_reader_of_many_chunks_draws_every_glyph_from_its_font(course, tmp_path):
    _hungry_course(course)
    assert run("build", str(course.root)).exit_code == 0
    fast = course.dist / "reader.pdf"
    single = _single_reference(course.root, tmp_path / "single.pdf")
    assert _glyph_problems(fast) == []
    assert _glyph_problems(single) == []
    assert _body_differences(fast, single) == []


def test_each_bundled_face_is_embedded_once(course, tmp_path):
    """The chunks' subsets of a face (and the running heads') share one program; a
    fallback face, which no chunk can prove the origin of, may come in several."""
    _hungry_course(course)
    assert run("build", str(course.root)).exit_code == 0
    programs = _programs_by_face(course.dist / "reader.pdf")
    from fontTools.ttLib import TTFont

    bundled = {TTFont(p)["name"].getDebugName(6) for p in THEME_FONTS.glob("*.ttf")}
    used = {name: objects for name, objects in programs.items() if name in bundled}
    assert {"Carlito", "Carlito-Bold", "Caladea-Regular"} <= set(used)
    assert all(len(objects) == 1 for objects in used.values()), used
    assert any(name.startswith("DejaVu") for name in programs), "the fallback face is used"
    single = _single_reference(course.root, tmp_path / "single.pdf")
    assert (course.dist / "reader.pdf").stat().st_size <= 1.25 * single.stat().st_size


def test_an_edit_without_new_glyphs_reuses_the_cut_fonts(course):
    from reader.build.pipeline import build

    _hungry_course(course)
    build(course.root)
    cuts = course.root / ".reader-cache" / "fonts"
    before = set(cuts.iterdir())
    path = course.root / "s/e3.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Ordinary words", "Words ordinary",
                                                             1), encoding="utf-8")
    build(course.root)
    assert set(cuts.iterdir()) == before
    path.write_text(path.read_text(encoding="utf-8") + "\nA new letter: ŧ.\n", encoding="utf-8")
    build(course.root)
    assert set(cuts.iterdir()) > before


# --- the assembly's font cutting, on chunks made by hand ----------------------------------------

BOLD = THEME_FONTS / "Carlito-Bold.ttf"


def _gid(char: str) -> int:
    from fontTools.ttLib import TTFont

    font = TTFont(BOLD)
    return font.getGlyphID(font.getBestCmap()[ord(char)])


def _chunk(program: bytes, gids: list[int]) -> bytes:
    """A one-page PDF drawing ``gids`` with ``program`` as WeasyPrint writes fonts."""
    pdf = pikepdf.new()
    stream = pikepdf.Stream(pdf, program)
    stream.Length1 = len(program)
    descriptor = pikepdf.Dictionary(Type=pikepdf.Name.FontDescriptor,
                                    FontName=pikepdf.Name("/ABCDEF+Carlito-Bold"), Flags=4,
                                    FontBBox=[0, -300, 1000, 1000], ItalicAngle=0, Ascent=900,
                                    Descent=-300, CapHeight=700, StemV=80, FontFile2=stream)
    widths = pikepdf.Array()
    for gid in gids:
        widths.extend([gid, pikepdf.Array([500])])
    cid_font = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.CIDFontType2,
                                  BaseFont=pikepdf.Name("/ABCDEF+Carlito-Bold"),
                                  CIDSystemInfo=pikepdf.Dictionary(Registry="Adobe",
                                                                   Ordering="Identity",
                                                                   Supplement=0),
                                  FontDescriptor=descriptor, W=widths,
                                  CIDToGIDMap=pikepdf.Name.Identity)
    font = pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type0,
        BaseFont=pikepdf.Name("/ABCDEF+Carlito-Bold"), Encoding=pikepdf.Name("/Identity-H"),
        DescendantFonts=[cid_font],
        ToUnicode=pikepdf.Stream(pdf, b"")))
    text = "".join(f"{g:04x}" for g in gids)
    page = pdf.add_blank_page(page_size=(200, 100))
    page.obj.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    page.obj.Contents = pikepdf.Stream(pdf, f"BT /F1 20 Tf 10 50 Td <{text}> Tj ET".encode())
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _with_placeholder(program: bytes, gid: int) -> bytes:
    """``program`` with glyph ``gid`` replaced by a one-point glyph and a made-up advance:
    what WeasyPrint's subsets hold in a slot they did not ask for (a renumbered part of a
    composite glyph)."""
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.tables._g_l_y_f import Glyph, GlyphCoordinates
    from fontTools.ttLib.tables.ttProgram import Program

    font = TTFont(io.BytesIO(program))
    name = font.getGlyphOrder()[gid]
    dot = Glyph()
    dot.numberOfContours, dot.endPtsOfContours = 1, [0]
    dot.coordinates, dot.flags, dot.program = GlyphCoordinates([(0, 0)]), bytearray([1]), Program()
    dot.program.fromBytecode(b"")
    font["glyf"][name] = dot
    font["hmtx"][name] = (1473, 0)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def _outline(program: bytes, gid: int) -> list:
    from fontTools.pens.recordingPen import DecomposingRecordingPen
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(program))
    glyphs = font.getGlyphSet()
    pen = DecomposingRecordingPen(glyphs)
    glyphs[font.getGlyphOrder()[gid]].draw(pen)
    return pen.value


def _assemble(*chunks: bytes, records: list | None = None) -> tuple[pikepdf.Pdf, list, dict]:
    """Chunks joined, their fonts proven (or ``records`` given instead) and shared:
    (the joined PDF, the records, what share_programs shared)."""
    from reader.pdf.fonts import font_records, share_programs

    out = pikepdf.new()
    sources = [pikepdf.open(io.BytesIO(data)) for data in chunks]
    proven = []
    for data, source in zip(chunks, sources):
        proven += font_records(data, [BOLD])
        out.pages.extend(source.pages)
    records = proven if records is None else records
    shared = share_programs(out, records, [THEME_FONTS])
    out.sources = sources  # the pages' objects are read from these until saved
    return out, records, shared


@pytest.mark.unit
def test_a_glyph_one_chunk_did_not_ask_for_never_replaces_another_chunks_glyph():
    from reader.pdf.fonts import subset_font

    original = BOLD.read_bytes()
    six, five = _gid("6"), _gid("5")
    drawing_six = subset_font(original, [six, five])
    # The first chunk holds a placeholder where "6" is: it drew only "5" and "i".
    without_six = _with_placeholder(subset_font(original, [five, _gid("i")]), six)
    assert _outline(without_six, six) == [("moveTo", ((0, 0),)), ("closePath", ())]
    out, records, _ = _assemble(_chunk(without_six, [five, _gid("i")]), _chunk(drawing_six, [six]))
    assert len(records) == 2, "both chunks' programs are proven cuts of Carlito-Bold"
    programs = {page.obj.Resources.Font.F1.DescendantFonts[0].FontDescriptor.FontFile2.objgen
                for page in out.pages}
    assert len(programs) == 1, "one program for the face"
    shared = out.pages[0].obj.Resources.Font.F1.DescendantFonts[0].FontDescriptor \
        .FontFile2.read_bytes()
    assert _outline(shared, six) == _outline(original, six)
    assert len(_outline(shared, six)) > 2
    assert _outline(shared, _gid("i")) == _outline(original, _gid("i"))


@pytest.mark.unit
def test_a_program_that_does_not_match_its_original_is_left_as_written():
    from reader.pdf.fonts import subset_font

    original = BOLD.read_bytes()
    six = _gid("6")
    wrong = _with_placeholder(subset_font(original, [six]), six)   # "6" drawn as a dot
    out, records, shared = _assemble(_chunk(wrong, [six]))
    assert shared == {}
    assert records == []
    kept = out.pages[0].obj.Resources.Font.F1.DescendantFonts[0].FontDescriptor.FontFile2
    assert kept.read_bytes() == wrong


@pytest.mark.unit
def test_records_from_a_damaged_cache_are_ignored():
    from reader.pdf.fonts import font_records, subset_font

    six = _gid("6")
    chunk = _chunk(subset_font(BOLD.read_bytes(), [six]), [six])
    (good,) = font_records(chunk, [BOLD])
    assert _assemble(chunk, records=[good])[2], "the good record is used"
    damaged = [{"program": 1}, "text", {"program": good["program"], "original": {}},
               {**good, "gids": ["x"]}, {**good, "gids": [-1]},
               {**good, "original": {"path": "/etc/hostname", "sha256": good["original"]
                                     ["sha256"]}},
               {**good, "original": {**good["original"], "sha256": "0" * 64}}]
    for record in damaged:
        assert _assemble(chunk, records=[record])[2] == {}, record


# --- item 17: the warning when HarfBuzz's subsetter is missing ----------------------------------

def test_missing_subsetter_is_said_once_per_build_with_the_fix(small_course, monkeypatch):
    from reader.pdf import engine

    data = yaml.safe_load((small_course.root / "course.yaml").read_text(encoding="utf-8"))
    data["classes"] = {"monday": {"instructor": "B"}, "tuesday": {"instructor": "C"}}
    small_course.manifest(data)
    monkeypatch.setattr(engine, "harfbuzz_subsetter_available", lambda: False)
    for args in ([], ["--all-classes"]):
        result = run("build", str(small_course.root), "--force", *args)
        assert result.exit_code == 0
        assert result.output.count("HarfBuzz's subsetter") == 1, result.output
        assert "apt install libharfbuzz-subset0" in result.output
    monkeypatch.undo()
    if engine.harfbuzz_subsetter_available():
        assert "libharfbuzz-subset0" not in run("build", str(small_course.root),
                                                "--force").output


@pytest.mark.unit
def test_subsetter_detection_fails_when_the_library_does_not_load(monkeypatch):
    from reader.pdf import engine

    monkeypatch.setattr(engine, "_SUBSETTER_NAMES", ("libreader-no-such-library.so.0",))
    engine.harfbuzz_subsetter_available.cache_clear()
    try:
        assert engine.harfbuzz_subsetter_available() is False
        assert "apt install libharfbuzz-subset0" in engine.subsetter_warning()
    finally:
        monkeypatch.undo()
        engine.harfbuzz_subsetter_available.cache_clear()
