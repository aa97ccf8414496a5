"""An attacker's view of a course: nothing outside the course folder gets in, nothing goes out.

Policy (docs/format.md, reader.course.markdown, reader.pdf.engine.make_fetcher):

* images must be files inside the course; anything else is an error naming the file and line;
* raw HTML typed into a course file is printed literally, never interpreted;
* course text is data, never a Jinja template;
* links are printed, and never point at local files;
* stylesheets and templates may load files from the course and reader's theme only;
* no build opens a network connection.

A secret file and a secret picture sit beside the course folder (``tmp_path``); no
byte of them may reach dist/.
"""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
import zipfile
from pathlib import Path

import pytest
import yaml

from conftest import (Course, deck_slides, good_dist, essay, excerpt, notes_text, pdf_pages, run,
                      slide_text, snapshot)

MARKER = "TOPSECRET-9f3a"


# --- fixtures ---------------------------------------------------------------------

def _png_bytes(colour: str = "red") -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (1200, 800), colour).save(buffer, "PNG")
    return buffer.getvalue()


class Secrets:
    def __init__(self, folder: Path):
        self.folder = folder
        self.txt = folder / "secret.txt"
        self.png = folder / "secret.png"
        self.css = folder / "secret.css"
        self.j2 = folder / "secret.html.j2"
        self.txt.write_text(f"{MARKER}\nthe launch codes\n", encoding="utf-8")
        self.png.write_bytes(_png_bytes())
        self.css.write_text(f'body::after {{ content: "{MARKER}" }}\n', encoding="utf-8")
        self.j2.write_text(f"<html><body><p>{MARKER}</p></body></html>\n", encoding="utf-8")


@pytest.fixture
def secrets(tmp_path: Path) -> Secrets:
    return Secrets(tmp_path)


def one_essay(course: Course, body: str, title: str = "An essay", **manifest) -> Course:
    """A course of one essay, e.md, at the course root (so ../ leaves the course)."""
    course.write("e.md", f"---\ntitle: {title}\n---\n{body}")
    course.manifest({"title": "Contained", "contents": [{"essay": "e.md"}], **manifest})
    return course


_BASELINE: dict[str, Path] = {}


@pytest.fixture
def built(course: Course, secrets: Secrets, tmp_path_factory) -> Course:  # noqa: ANN001
    """A one-essay course with a good build in dist/ (built once per worker, then copied)."""
    one_essay(course, "A harmless paragraph.\n")
    good_dist(course, _BASELINE, tmp_path_factory, "contained-baseline")
    return course


# --- reading the outputs back ---------------------------------------------------------

def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def pdf_text(path: Path) -> str:
    return _normal(" ".join(pdf_pages(path)))


def deck_text(path: Path) -> str:
    return _normal(" ".join(slide_text(s) + " " + notes_text(s) for s in deck_slides(path)))


def pdf_images(path: Path) -> list[str]:
    """Every image XObject in the PDF, looking inside form XObjects too."""
    from pypdf import PdfReader

    found: list[str] = []
    seen: set[int] = set()

    def walk(resources, where: str) -> None:  # noqa: ANN001
        if not resources or "/XObject" not in resources:
            return
        for name, ref in resources["/XObject"].items():
            key = getattr(ref, "idnum", None)
            obj = ref.get_object()
            if key is not None:
                if key in seen:
                    continue
                seen.add(key)
            if obj.get("/Subtype") == "/Image":
                found.append(f"{where} {name}")
            elif obj.get("/Subtype") == "/Form":
                walk(obj.get("/Resources"), f"{where} {name}")

    reader = PdfReader(str(path))
    for number, page in enumerate(reader.pages, 1):
        walk(page.get("/Resources"), f"page {number}")
    return found


def pdf_links(path: Path) -> list[str]:
    """Every link action's target: /URI values, and the kind of any other action."""
    from pypdf import PdfReader

    out: list[str] = []
    for page in PdfReader(str(path)).pages:
        for ref in page.get("/Annots") or []:
            annot = ref.get_object()
            if annot.get("/Subtype") == "/FileAttachment":
                out.append("FileAttachment")
            action = annot.get("/A")
            if action is None:
                continue
            action = action.get_object()
            kind = action.get("/S")
            if kind == "/URI":
                out.append(str(action.get("/URI")))
            elif kind not in ("/GoTo",):
                out.append(f"{kind} {action}")
    return out


def pdf_embedded_files(path: Path) -> list[str]:
    from pypdf import PdfReader

    root = PdfReader(str(path)).trailer["/Root"]
    names = root.get("/Names")
    if names is None:
        return []
    names = names.get_object()
    return [str(names["/EmbeddedFiles"])] if "/EmbeddedFiles" in names else []


def assert_no_secret(course: Course) -> None:
    """The marker is nowhere in dist/: not in the PDF's text or bytes, not in the deck."""
    pdf = course.dist / "reader.pdf"
    deck = course.dist / "deck.pptx"
    assert MARKER not in pdf_text(pdf)
    assert MARKER.encode() not in pdf.read_bytes()
    assert MARKER not in deck_text(deck)
    with zipfile.ZipFile(deck) as archive:
        for name in archive.namelist():
            assert MARKER.encode() not in archive.read(name), f"secret in deck part {name}"
    for path in course.dist.rglob("*"):
        if path.is_file() and path.suffix not in (".pdf", ".pptx"):
            assert MARKER.encode() not in path.read_bytes(), path


def assert_failed_cleanly(result, where: str, phrase: str) -> None:  # noqa: ANN001
    report = f"exit {result.exit_code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert "Traceback" not in result.output, report
    assert result.exit_code == 1, report
    assert re.search(r"error: " + where + r"(?![\d.\w])", result.stderr), \
        f"stderr should name {where!r}\n{report}"
    assert phrase.lower() in result.stderr.lower(), f"stderr should say {phrase!r}\n{report}"


# --- images: only files inside the course ----------------------------------------------

def _image_cases():  # noqa: ANN202
    def md(src: str):  # noqa: ANN202
        # the image stands on line 6 of e.md (front matter is lines 1-3)
        return lambda c, s: one_essay(c, f"Some text.\n\n![A picture]({src(s)})\n")

    def symlinked(c: Course, s: Secrets) -> Course:
        (c.root / "img").mkdir()
        os.symlink(s.png, c.root / "img" / "link.png")
        return one_essay(c, "Some text.\n\n![A picture](img/link.png)\n")

    def reference_style(c: Course, s: Secrets) -> Course:
        return one_essay(c, "Some text.\n\n![A picture][pic]\n\n[pic]: ../secret.png\n")

    def in_footnote(c: Course, s: Secrets) -> Course:
        return one_essay(c, "Some text.[^1]\n\n[^1]: See ![A picture](../secret.png)\n")

    def in_question(c: Course, s: Secrets) -> Course:
        one_essay(c, "Some text.\n")
        c.write("q.yaml", "title: Questions\nquestions:\n"
                          f"  - What is this? ![A picture]({s.png.as_uri()})\n")   # line 3
        c.manifest({"title": "Contained", "contents": [{"essay": "e.md"},
                                                       {"questions": "q.yaml"}]})
        return c

    def in_headnote(c: Course, s: Secrets) -> Course:
        one_essay(c, "Some text.\n")
        c.write("x.md", "---\ntitle: A source\nauthor: Ada\nsource:\n  title: A Book\n"
                        "headnote: Look ![A picture](../secret.png)\n---\nThe passage.\n")  # l6
        c.manifest({"title": "Contained", "contents": [{"essay": "e.md"},
                                                       {"excerpt": "x.md"}]})
        return c

    b64 = base64.b64encode(_png_bytes()).decode()
    return [
        pytest.param(md(lambda s: "../secret.png"), r"e\.md:6", "outside the course",
                     id="dotdot"),
        pytest.param(md(lambda s: "%2e%2e/secret.png"), r"e\.md:6", "outside the course",
                     id="percent-encoded-dotdot"),
        pytest.param(md(lambda s: s.png.as_uri()), r"e\.md:6", "URL", id="file-url"),
        pytest.param(md(lambda s: str(s.png)), r"e\.md:6", "absolute path", id="absolute"),
        pytest.param(md(lambda s: "http://127.0.0.1:9/x.png"), r"e\.md:6", "URL", id="http"),
        pytest.param(md(lambda s: f"data:image/png;base64,{b64}"), r"e\.md:6", "URL",
                     id="data-uri"),
        pytest.param(symlinked, r"e\.md:6", "outside the course", id="symlink-in-course"),
        pytest.param(reference_style, r"e\.md:6", "outside the course", id="reference-style"),
        pytest.param(in_footnote, r"e\.md:6", "outside the course", id="in-footnote"),
        pytest.param(in_question, r"q\.yaml:3", "image", id="in-question-text"),
        pytest.param(in_headnote, r"x\.md:6", "image", id="in-excerpt-headnote"),
    ]


@pytest.mark.parametrize("make, where, phrase", _image_cases())
def test_images_must_be_files_inside_the_course(course: Course, secrets: Secrets, make,
                                                where: str, phrase: str) -> None:  # noqa: ANN001
    make(course, secrets)
    result = run("build", str(course.root))
    assert_failed_cleanly(result, where, phrase)
    assert "image" in result.stderr.lower()
    assert not (course.dist / "reader.pdf").exists()
    assert not (course.dist / "deck.pptx").exists()


# --- raw HTML is text ---------------------------------------------------------------------

def raw_html_body(s: Secrets) -> str:
    return (
        "Before the tags.\n\n"
        '<img src="../secret.png">\n\n'
        f'<link rel=stylesheet href="{s.css.as_uri()}">\n\n'
        f'<iframe src="{s.txt.as_uri()}"></iframe>\n\n'
        f'<object data="{s.txt.as_uri()}"></object>\n\n'
        f'<link rel=attachment href="{s.txt.as_uri()}">\n\n'
        "<script>alert(1)</script>\n\n"
        f'Inline <img src="{s.png.as_uri()}"> and '
        "<span style='background: url(../secret.png)'>styled</span> text.\n\n"
        "After the tags.\n"
    )


@pytest.fixture
def raw_html_course(course: Course, secrets: Secrets) -> Course:
    one_essay(course, raw_html_body(secrets))
    course.write("x.md", excerpt("A source", raw_html_body(secrets),
                                 headnote=f'<img src="{secrets.png.as_uri()}"> HN1'))
    course.write("q.yaml", yaml.safe_dump({"title": "Questions", "questions": [
        {"text": f'Why <script>x()</script> <img src="{secrets.png.as_uri()}">?',
         "notes": f'<iframe src="{secrets.txt.as_uri()}"></iframe>'}]}))
    course.manifest({"title": "Contained", "edition": "instructor",
                     "contents": [{"essay": "e.md"}, {"excerpt": "x.md"},
                                  {"questions": "q.yaml"}]})
    result = run("build", str(course.root))
    assert result.exit_code == 0, result.output
    return course


def test_raw_html_is_printed_literally(raw_html_course: Course) -> None:
    text = pdf_text(raw_html_course.dist / "reader.pdf")
    for tag in ("<script>alert(1)</script>", "<img src=", "<link rel=stylesheet",
                "<iframe src=", "<object data=", "<span style=", "<link rel=attachment"):
        assert tag in text, f"{tag!r} should be printed as text"
    assert "Before the tags." in text and "After the tags." in text
    assert "Why <script>x()</script>" in text      # question text (Markdown inline)
    assert "HN1" in text, text
    assert "&lt;" not in text and "&amp;" not in text, text


def test_raw_html_loads_nothing(raw_html_course: Course) -> None:
    pdf = raw_html_course.dist / "reader.pdf"
    assert pdf_images(pdf) == []
    assert pdf_embedded_files(pdf) == []
    assert not [link for link in pdf_links(pdf) if not link.startswith("http")]
    assert_no_secret(raw_html_course)


def test_raw_html_in_the_deck_is_text(raw_html_course: Course) -> None:
    text = deck_text(raw_html_course.dist / "deck.pptx")
    assert MARKER not in text
    with zipfile.ZipFile(raw_html_course.dist / "deck.pptx") as archive:
        media = [n for n in archive.namelist() if n.startswith("ppt/media/")]
    assert media == [], "the deck should hold no pictures from a course without images"


# --- stylesheets and templates ------------------------------------------------------------

def _css_cases():  # noqa: ANN202
    def extra_css(css):  # noqa: ANN001, ANN202
        return lambda c, s: c.write("templates/extra.css", css(s)) and None

    def symlink(name: str, target):  # noqa: ANN001, ANN202
        def make(c: Course, s: Secrets) -> None:
            (c.root / "templates").mkdir(exist_ok=True)
            os.symlink(target(s), c.root / "templates" / name)
        return make

    def outside_templates(c: Course, s: Secrets) -> None:
        folder = s.folder / "evil-templates"
        folder.mkdir()
        shutil.copy(s.css, folder / "extra.css")
        c.manifest({"title": "Contained", "templates": "../evil-templates",
                    "contents": [{"essay": "e.md"}]})

    def include_outside(c: Course, s: Secrets) -> None:
        c.write("templates/reader.html.j2", '{% include "../../secret.txt" %}\n')

    return [
        pytest.param(extra_css(lambda s: f'@import url("{s.css.as_uri()}");\n'),
                     "extra.css:1:9: url(file:", id="import-file-url"),
        pytest.param(extra_css(lambda s: '@import url("../../secret.css");\n'),
                     "extra.css:1:9: url(../../secret.css): '../../secret.css' leads outside "
                     "the course", id="import-relative"),
        pytest.param(extra_css(lambda s: 'body { background: url("../../secret.png") }\n'),
                     "extra.css:1:20: url(../../secret.png): '../../secret.png' leads "
                     "outside the course", id="background-relative"),
        pytest.param(extra_css(lambda s: f'body {{ background: url("{s.png.as_uri()}") }}\n'),
                     "extra.css:1:20: url(file:", id="background-file-url"),
        pytest.param(extra_css(lambda s: "@font-face { font-family: Evil; src: url("
                                         f'"{s.txt.as_uri()}") }}\nbody {{ font-family: Evil }}\n'),
                     "extra.css:1:38: url(file:", id="font-face-file-url"),
        pytest.param(symlink("extra.css", lambda s: s.css), "outside the course",
                     id="extra-css-symlink"),
        pytest.param(symlink("reader.css", lambda s: s.css), "outside the course",
                     id="reader-css-symlink"),
        pytest.param(symlink("reader.html.j2", lambda s: s.j2), "outside the course",
                     id="template-symlink"),
        pytest.param(outside_templates, "outside the course", id="templates-dir-outside"),
        pytest.param(include_outside, "template", id="jinja-include-outside"),
    ]


@pytest.mark.parametrize("make, phrase", _css_cases())
def test_theme_files_cannot_reach_outside(built: Course, secrets: Secrets, make,
                                          phrase: str) -> None:  # noqa: ANN001
    before = snapshot(built.dist)
    make(built, secrets)
    result = run("build", str(built.root))
    report = f"exit {result.exit_code}\nstderr:\n{result.stderr}"
    assert "Traceback" not in result.output, report
    assert MARKER not in pdf_text(built.dist / "reader.pdf"), "the secret reached the PDF"
    assert result.exit_code == 1, report
    assert phrase in result.stderr, report
    assert MARKER not in result.output
    assert snapshot(built.dist) == before, f"dist/ changed\n{report}"


# --- course text is not a template -----------------------------------------------------

def test_jinja_in_course_text_is_printed_literally(course: Course) -> None:
    course.write("e.md", essay("Sum {{ 7*7 }}", """
        Loop {% for x in range(3) %}X{% endfor %} done.

        Config {{ config.items() }} and {{ cycler.__init__.__globals__ }} end.
        """))
    course.manifest({"title": "Course {{ 7*7 }}", "subtitle": "{% raw %}raw{% endraw %}",
                     "contents": [{"part": "Part {{ 6*6 }}", "items": [{"essay": "e.md"}]}]})
    result = run("build", str(course.root))
    assert result.exit_code == 0, result.output
    text = pdf_text(course.dist / "reader.pdf")
    for literal in ("Sum {{ 7*7 }}", "Course {{ 7*7 }}", "Part {{ 6*6 }}",
                    "{% for x in range(3) %}X{% endfor %}", "{% raw %}raw{% endraw %}",
                    "{{ config.items() }}"):
        assert literal in text, literal
    assert "49" not in text and "36" not in text and "XXX" not in text
    deck = deck_text(course.dist / "deck.pptx")
    assert "Sum {{ 7*7 }}" in deck and "Course {{ 7*7 }}" in deck
    assert "49" not in deck


def test_markup_characters_in_titles_are_literal(course: Course) -> None:
    course.write("e.md", essay("Wages < Prices & Rents", "Bread & roses; 1 < 2 & 3 > 2."))
    course.write("x.md", excerpt("Tom & Jerry <b>not bold</b>", "A passage & more.",
                                 author="Smith & Sons", source_title="Profit & Loss <1912>"))
    course.manifest({"title": "Bread & Roses <1912>", "course": "HIST & ECON",
                     "contents": [{"part": "A < B & C", "items": [{"essay": "e.md"},
                                                                  {"excerpt": "x.md"}]}]})
    result = run("build", str(course.root))
    assert result.exit_code == 0, result.output
    text = pdf_text(course.dist / "reader.pdf")
    deck = deck_text(course.dist / "deck.pptx")
    problems = [f"PDF lacks {literal!r}" for literal in (
        "Bread & Roses <1912>", "HIST & ECON", "A < B & C", "Wages < Prices & Rents",
        "Tom & Jerry <b>not bold</b>", "Bread & roses; 1 < 2 & 3 > 2.", "Profit & Loss <1912>")
        if literal not in text]
    problems += [f"PDF shows the entity {e!r}" for e in ("&amp;", "&lt;", "&gt;") if e in text]
    problems += [f"deck lacks {literal!r}" for literal in (
        "Bread & Roses <1912>", "Wages < Prices & Rents", "Tom & Jerry <b>not bold</b>")
        if literal not in deck]
    problems += [f"deck shows the entity {e!r}" for e in ("&amp;", "&lt;", "&gt;") if e in deck]
    assert problems == [], f"{problems}\nPDF text:\n{text}\ndeck text:\n{deck}"


# --- links ------------------------------------------------------------------------------

def test_links_never_point_at_local_files(course: Course, secrets: Secrets) -> None:
    one_essay(course, "Read [the passwords](file:///etc/passwd), "
                      "[the secret](../secret.txt), "
                      f"[the secret again]({secrets.txt.as_uri()}), "
                      "[a script](javascript:alert(1)) and "
                      "[the web](https://example.org/page).\n")
    course.write("q.yaml", "title: Questions\nquestions:\n"
                           "  - 'See [this](file:///etc/passwd) first.'\n"
                           "  - text: 'And [that](../secret.txt).'\n"
                           "    notes: 'Or [here](file:///etc/shadow).'\n")
    course.write("x.md", excerpt("A source", "The passage.",
                                 headnote="Compare [it](file:///etc/passwd)."))
    course.manifest({"title": "Contained", "edition": "instructor",
                     "contents": [{"essay": "e.md"}, {"excerpt": "x.md"},
                                  {"questions": "q.yaml"}]})
    result = run("build", str(course.root))
    assert result.exit_code == 0, result.output
    pdf = course.dist / "reader.pdf"
    links = pdf_links(pdf)
    assert "https://example.org/page" in links, links   # the check can see links at all
    bad = [link for link in links if not link.startswith(("http://", "https://", "mailto:"))]
    assert bad == [], f"links to local files or scripts in the PDF: {bad}"
    text = pdf_text(pdf)
    assert "the passwords" in text and "the web" in text   # link text is kept
    assert_no_secret(course)


# --- the network ------------------------------------------------------------------------

def network_calls(args: list[str], cwd: Path) -> tuple[int, list[str]]:
    """Run `reader ARGS` under strace -f (workers included); its exit code and every
    attempt to reach the network: a connect or send to an internet address, a DNS lookup."""
    import subprocess
    import sys

    strace = shutil.which("strace")
    if strace is None:
        pytest.skip("strace not installed")
    log = cwd / "net.log"
    proc = subprocess.run([strace, "-f", "-qq", "-o", str(log), "-e",
                           "trace=connect,sendto,sendmsg", sys.executable, "-m", "reader.cli",
                           *args], cwd=cwd, capture_output=True, text=True, timeout=300)
    calls = [line for line in log.read_text(errors="replace").splitlines()
             if "AF_INET" in line]
    return proc.returncode, calls


def _network_cases():  # noqa: ANN202
    def http_image(c: Course) -> None:
        one_essay(c, "Text.\n\n![remote](http://127.0.0.1:9/x.png)\n\n"
                     '<img src="http://127.0.0.1:9/y.png">\n')

    def raw_html(c: Course) -> None:
        one_essay(c, '<img src="http://127.0.0.1:9/y.png">\n\n'
                     '<link rel=stylesheet href="http://example.invalid/x.css">\n\n'
                     '<iframe src="https://example.invalid/"></iframe>\n\n'
                     "[a link](http://127.0.0.1:9/page)\n")

    def remote_css(c: Course) -> None:
        one_essay(c, "Text.\n")
        c.write("templates/extra.css", '@import url("http://127.0.0.1:9/x.css");\n'
                                       'body { background: url("https://example.invalid/b.png") }\n'
                                       '@font-face { font-family: R; '
                                       'src: url("http://127.0.0.1:9/f.ttf") }\n')

    return [pytest.param(http_image, 1, id="http-image-and-raw-html"),
            pytest.param(raw_html, 0, id="raw-html-with-urls"),
            pytest.param(remote_css, 1, id="remote-css")]


@pytest.mark.parametrize("make, exit_code", _network_cases())
def test_builds_never_touch_the_network(course: Course, make, exit_code: int) -> None:  # noqa: ANN001
    make(course)
    code, calls = network_calls(["build", str(course.root)], course.root.parent)
    assert calls == [], f"network attempts: {calls}"
    assert code == exit_code


def test_the_network_check_sees_a_connection(tmp_path: Path) -> None:
    """The check works: a process that does connect is caught, workers or not."""
    import subprocess
    import sys

    strace = shutil.which("strace")
    if strace is None:
        pytest.skip("strace not installed")
    log = tmp_path / "net.log"
    subprocess.run([strace, "-f", "-qq", "-o", str(log), "-e", "trace=connect", sys.executable,
                    "-c", "import socket\ntry: socket.create_connection(('127.0.0.1', 9))\n"
                          "except OSError: pass"], timeout=60)
    assert "AF_INET" in log.read_text()


# --- the whole attack at once ----------------------------------------------------------

def test_secret_never_reaches_pdf_or_deck(course: Course, secrets: Secrets) -> None:
    """Everything that builds, in one course: the secret is nowhere in dist/."""
    body = raw_html_body(secrets) + (
        f"\n[leak]({secrets.txt.as_uri()}) and [leak2](../secret.txt)\n\n"
        "{% include '../secret.txt' %} {{ self }}\n")
    course.write("e.md", essay("Essay <img src='../secret.png'>", body,
                               slides=[f"<iframe src='{secrets.txt.as_uri()}'>",
                                       "{% include '../secret.txt' %}"]))
    course.write("x.md", excerpt("Source", body, headnote="<object data='../secret.txt'>"))
    course.write("q.yaml", "title: Questions\nquestions:\n"
                           "  - text: \"<object data='../secret.txt'></object>?\"\n"
                           f"    notes: \"<link rel=attachment href='{secrets.txt.as_uri()}'>\"\n")
    course.write("t.yaml", "title: Numbers\ncolumns: ['<img src=../secret.png>', N]\n"
                           "rows:\n  - [\"<iframe src='../secret.txt'>\", 1]\n"
                           "chart: {type: bar, x: '<img src=../secret.png>', y: N}\n")
    course.manifest({"title": "All at once", "edition": "instructor",
                     "contents": [{"essay": "e.md"}, {"excerpt": "x.md"},
                                  {"table": "t.yaml"}, {"questions": "q.yaml"}]})
    result = run("build", str(course.root))
    assert result.exit_code == 0, result.output
    assert MARKER not in result.output
    pdf = course.dist / "reader.pdf"
    assert pdf_images(pdf) == []
    assert pdf_embedded_files(pdf) == []
    assert_no_secret(course)
    deck = deck_text(course.dist / "deck.pptx")
    assert "<iframe src=" in deck   # the slide bullet was kept as text
