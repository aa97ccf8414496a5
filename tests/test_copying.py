"""The copying guideline: one rule, seen the same in the build, permissions.csv and
`reader permissions`; a permission that clears an excerpt clears its warnings."""

from __future__ import annotations

import csv

import pytest

from conftest import excerpt, run
from reader.course.copying import Basis, basis


@pytest.mark.unit
@pytest.mark.parametrize("text, expected", [
    ("Public domain", Basis.PUBLIC_DOMAIN),
    ("Public domain in many jurisdictions; check locally before reuse", Basis.PUBLIC_DOMAIN),
    ("CC BY 4.0", Basis.OPEN_LICENCE),
    ("Creative Commons Attribution-NonCommercial", Basis.OPEN_LICENCE),
    ("Quoted for criticism and review (fair dealing)", Basis.FAIR_DEALING),
    ("Fair use", Basis.FAIR_DEALING),
    ("Licensed through the university's CLA licence", Basis.LIBRARY_LICENCE),
    ("Permission granted by Oxford University Press, ref. OUP-2027-114", Basis.PERMISSION),
    ("Ref. 2027-114", Basis.PERMISSION),
    ("", Basis.UNSTATED),
    (None, Basis.UNSTATED),
])
def test_basis_read_from_permission_text(text, expected):
    assert basis(text) is expected
    assert expected.clears is (expected not in (Basis.FAIR_DEALING, Basis.UNSTATED))


BURKE = " ".join(["The revolution in France has been a great and sudden change."] * 120)


def _rows(course) -> list[dict[str, str]]:  # noqa: ANN001
    return list(csv.DictReader(open(course.dist / "permissions.csv", encoding="utf-8")))


def test_public_domain_passage_is_not_warned_about_anywhere(course):
    """A 1,300-word Burke passage marked public domain: no warning in the build, the CSV or
    `reader permissions`, and --strict builds it."""
    course.write("s/burke.md", excerpt("Reflections", BURKE, author="Edmund Burke",
                                       source_title="Reflections on the Revolution in France",
                                       permission="Public domain"))
    course.manifest({"title": "Burke", "contents": [{"excerpt": "s/burke.md"}]})
    built = run("build", str(course.root), "--strict")
    assert built.exit_code == 0, built.output
    assert "guideline" not in built.stderr
    row = _rows(course)[0]
    assert row["words"] == "1320" and row["basis"] == "public domain"
    assert row["warnings"] == ""
    assert "warning" not in run("permissions", str(course.root)).output


def test_fair_dealing_passage_is_warned_about_everywhere(course):
    course.write("s/burke.md", excerpt("Reflections", BURKE, author="Edmund Burke",
                                       source_title="Reflections on the Revolution in France",
                                       permission="Quoted under fair dealing"))
    course.manifest({"title": "Burke", "contents": [{"excerpt": "s/burke.md"}]})
    built = run("build", str(course.root))
    assert built.exit_code == 0
    assert "Reading 1 is 1,320 words, over the 1,000-word guideline" in built.stderr
    assert "s/burke.md" in built.stderr   # located at the excerpt's file
    assert "over the 1,000-word guideline" in _rows(course)[0]["warnings"]
    assert "over the 1,000-word guideline" in run("permissions", str(course.root)).output
    assert run("build", str(course.root), "--strict").exit_code == 1


def test_the_same_work_means_the_same_everywhere(course):
    """Four readings from one book whose entries differ in publisher, year and quotes: one
    work for the terminal, the CSV and `reader permissions` alike; the cleared one is out."""
    variants = [("Press", 1950, "Stalin’s Russia"), ("Press Ltd", 1950, "Stalin's Russia"),
                ("Press", 1951, "STALIN'S RUSSIA"), ("Press", 1950, "Stalin's  Russia")]
    contents = []
    for n, (publisher, year, title) in enumerate(variants):
        text = excerpt(f"Passage {n}", "A short passage.", author="Ann Author",
                       source_title=title)
        text = text.replace("publisher: Press", f"publisher: {publisher}")
        text = text.replace("year: 1950", f"year: {year}")
        course.write(f"s/p{n}.md", text)
        contents.append({"excerpt": f"s/p{n}.md"})
    course.write("s/cleared.md", excerpt("Cleared", "Another passage.", author="Ann Author",
                                         source_title="Stalin's Russia",
                                         permission="Permission granted, ref. 77"))
    contents.append({"excerpt": "s/cleared.md"})
    course.manifest({"title": "Works", "contents": contents})
    built = run("build", str(course.root))
    assert built.exit_code == 0
    assert "4 excerpts from Stalin’s Russia (Reading 1, Reading 2, Reading 3, Reading 4); " \
           "the guideline allows 3" in built.stderr
    assert "4 excerpts by Ann Author" in built.stderr
    rows = _rows(course)
    assert all("4 excerpts from" in r["warnings"] for r in rows[:4])
    assert rows[4]["warnings"] == "" and rows[4]["basis"] == "permission"
    report = run("permissions", str(course.root)).output
    assert report.count("4 excerpts from") == 4
