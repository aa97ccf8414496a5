"""A course's templates are untrusted: they can print the course and nothing else.

The catalogue below is what an attacker writes into a template override; each must end
in a located template error (or print nothing it should not), never read or write a file
outside the course, never run for long. A property-based test then throws generated
expressions at the sandbox, and generated values at theme.toml.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import Course, essay, run

CANARY = "CANARY-7f31-OUTSIDE"


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(CANARY + "\n", encoding="utf-8")
    return path


def _course(course: Course) -> Course:
    course.write("a.md", essay("An essay", "A paragraph of the essay."))
    course.manifest({"title": "Attacked", "contents": [{"essay": "a.md"}]})
    return course


def _override(course: Course, expression: str) -> None:
    """Put ``expression`` into the essay's macro of the theme's items template."""
    from reader.course.theme import BUILTIN

    text = (BUILTIN / "items.html.j2").read_text(encoding="utf-8")
    text = text.replace('  <div class="prose">', "  " + expression + '\n  <div class="prose">', 1)
    course.write("templates/items.html.j2", text)


ATTACKS = [
    ("{{ course.root.read_text() }}", "template error"),
    ("{{ course.title.__class__.__mro__[1].__subclasses__() }}", "unsafe"),
    ("{{ ''.__class__.__base__.__subclasses__() }}", "unsafe"),
    ("{{ course['items'][0].html.__html__.__globals__ }}", "unsafe"),
    ("{{ lipsum.__globals__['os'].popen('id').read() }}", "undefined"),
    ("{{ cycler.__init__.__globals__.os.popen('id').read() }}", "template error"),
    ("{{ joiner.__init__.__globals__ }}", "template error"),
    ("{% set n = namespace(x=1) %}{{ n.__init__.__globals__ }}", "undefined"),
    ("{{ self.__init__.__globals__ }}", "unsafe"),
    ("{{ self._TemplateReference__context }}", "unsafe"),
    ("{{ open('SECRET').read() }}", "undefined"),
    ("{{ course.get.__self__ }}", "unsafe"),
    ("{{ course.title.format.__globals__ }}", "unsafe"),
    ("{{ '{0.__class__}'.format(course) }}", "not safely callable"),
    ("{{ course.items.pop() }}", "template error"),
    ("{{ course.update(title='x') }}", "not safely callable"),
    ("{{ range(10**9) | list | length }}", "more work"),
    ("{% for i in range(99999) %}{% for j in range(99999) %}.{% endfor %}{% endfor %}",
     "steps"),
    ("{{ 'x' * 10**9 }}", "over 100,000"),
    ("{{ 9 ** 9 ** 9 }}", "power"),
    ("{{ 'x' | center(10**9) }}", "No filter named 'center'"),
    ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "more work"),
    ('{% include "SECRET" %}', "outside the course"),
    ('{% import "SECRET" as s %}', "outside the course"),
    ('{% include "../../secret.txt" %}', "template"),
    ('{% include "reader.html.j2" %}', "more work"),
]


@pytest.mark.slow
@pytest.mark.parametrize("attack, phrase", ATTACKS,
                         ids=[f"attack-{n}" for n in range(len(ATTACKS))])
def test_a_template_attack_is_refused_with_its_line(course: Course, secret: Path,
                                                    attack: str, phrase: str) -> None:
    _course(course)
    _override(course, attack.replace("SECRET", str(secret)))
    started = time.monotonic()
    result = run("build", str(course.root))
    assert time.monotonic() - started < 60
    report = f"exit {result.exit_code}\n{result.stderr}"
    assert result.exit_code == 1, report
    assert "Traceback" not in result.output + result.stderr, report
    assert "internal error" not in result.stderr, report
    assert re.search(r"templates/items\.html\.j2:\d+", result.stderr), report
    assert phrase in result.stderr, report
    assert CANARY not in result.output + result.stderr
    assert not (course.root / "dist" / "reader.pdf").exists()


def test_plain_template_code_still_works(course: Course) -> None:
    """What a designer writes is unaffected: loops, conditions, filters, macros, reading
    methods of text and mappings."""
    _course(course)
    _override(course, "<p class=\"x\">{{ item.title_text | upper }} "
                      "{% for i in range(3) %}{{ loop.cycle('a', 'b') }}{% endfor %} "
                      "{{ course.get('title') }} {{ course.title.split(' ') | join('+') }}</p>")
    result = run("build", str(course.root))
    assert result.exit_code == 0, result.output
    from pypdf import PdfReader

    text = " ".join(p.extract_text() for p in PdfReader(str(course.dist / "reader.pdf")).pages)
    assert "AN ESSAY aba Attacked" in text


# --- generated attacks -------------------------------------------------------------------------

NAMES = ["course", "sections", "section", "item", "charts", "table_fits", "toc_pages", "loop",
         "self", "range", "lipsum", "cycler", "joiner", "namespace", "dict", "config",
         "request", "g", "os", "__builtins__", "style"]
ATTRIBUTES = ["__class__", "__mro__", "__subclasses__", "__globals__", "__init__",
              "__builtins__", "__dict__", "__self__", "__func__", "__code__", "root", "path",
              "read_text", "write_text", "open", "mro", "items", "keys", "values", "get",
              "title", "html", "format", "environment", "_TemplateReference__context",
              "f_globals", "gi_frame", "func_globals", "__getitem__", "pop", "update"]
ARGUMENTS = ["", "'SECRET'", "0", "1", "'os'", "'__import__'", "course", "10**9"]


@st.composite
def expressions(draw) -> str:  # noqa: ANN001
    text = draw(st.sampled_from(NAMES))
    for _ in range(draw(st.integers(0, 4))):
        text += "." + draw(st.sampled_from(ATTRIBUTES))
        if draw(st.booleans()):
            text += f"({draw(st.sampled_from(ARGUMENTS))})"
        elif draw(st.booleans()):
            text += f"[{draw(st.sampled_from(ARGUMENTS[1:]))}]"
    return text


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):  # noqa: ANN201
    root = tmp_path_factory.mktemp("fuzz") / "course"
    root.mkdir()
    course = _course(Course(root))
    secret = root.parent / "secret.txt"
    secret.write_text(CANARY + "\n", encoding="utf-8")
    return course, secret


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(expression=expressions())
def test_no_generated_expression_reaches_outside(attacked, expression: str) -> None:
    """The HTML step of the reader (every template the course overrides runs there) with
    a generated expression in the template: a located CourseError or HTML without the
    canary of a file beside the course."""
    from reader.build.pipeline import load_course
    from reader.course.manifest import load_manifest
    from reader.course.theme import theme_for
    from reader.errors import CourseError
    from reader.pdf.book import body_chunks
    from reader.pdf.html import HtmlBuilder

    course, secret = attacked
    _override(course, "{{ " + expression.replace("SECRET", str(secret)) + " }}")
    manifest = load_manifest(course.root)
    model = load_course(manifest, manifest.variant())
    try:
        builder = HtmlBuilder(model, theme_for(model.templates, model.root), {})
        html = builder.render([c.section() for c in body_chunks(model)], front=True)
    except CourseError as exc:
        assert "template error" in str(exc) and CANARY not in str(exc)
        return
    assert CANARY not in html


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(section=st.sampled_from(["colours", "fonts", "deck", "other"]),
       key=st.sampled_from(["accent", "ink", "body", "heading", "deck", "title", "body_x"]),
       value=st.one_of(st.text(max_size=60), st.integers(-10, 200),
                       st.sampled_from(["../../secret", "/etc/passwd", "</style><script>",
                                        "red; } body { background: url(SECRET) }",
                                        'Carlito", "x', "javascript:alert(1)", "#7A2E1F",
                                        "navy", "rgb(1,2,3)"])))
def test_no_generated_theme_token_reaches_a_stylesheet(attacked, section: str, key: str,
                                                       value: object) -> None:
    """theme.toml values are checked by type: whatever is written there, the CSS reader
    writes from them holds only colours, sizes and family names."""
    import json

    from reader.course.theme import theme_for
    from reader.errors import CourseError

    course, secret = attacked
    literal = json.dumps(value.replace("SECRET", str(secret))) if isinstance(value, str) \
        else str(value)
    course.write("templates/theme.toml", f"[{section}]\n{key} = {literal}\n")
    try:
        css = theme_for(course.root / "templates", course.root).css_variables()
    except CourseError as exc:
        assert "theme.toml:" in str(exc)
        return
    finally:
        (course.root / "templates" / "theme.toml").unlink()
    assert CANARY not in css and str(secret) not in css
    for bad in ("</", "<", "url(", "javascript", ";}", "}", "{ "):
        assert bad not in css.replace(":root {\n", "").rstrip("}\n"), css
