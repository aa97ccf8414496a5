"""The tagged PDF (pdf_variant: pdf/ua-1) has the structure it promises, read back with
pikepdf from the structure tree: headings in order, lists, tables with header cells,
figures with their alt text, the document's language and title, standard roles.

What is not tested here (and not claimed): that the reading order of the tags matches
the visual order on every page, colour contrast, that every piece of page content is
either tagged or an artifact (a full PDF/UA validator such as veraPDF does that; it is not
packaged for Debian), and the two gaps marked xfail below.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conftest import Course, run
from webcheck import write_accessible_course

# PDF 1.7 (ISO 32000-1, 14.8.4) standard structure types.
STANDARD = {
    "Document", "Part", "Art", "Sect", "Div", "BlockQuote", "Caption", "TOC", "TOCI", "Index",
    "NonStruct", "Private", "P", "H", "H1", "H2", "H3", "H4", "H5", "H6", "L", "LI", "Lbl",
    "LBody", "Table", "TR", "TH", "TD", "THead", "TBody", "TFoot", "Span", "Quote", "Note",
    "Reference", "BibEntry", "Code", "Link", "Annot", "Ruby", "RB", "RT", "RP", "Warichu",
    "WT", "WP", "Figure", "Formula", "Form"}


@pytest.fixture(scope="module")
def tagged(tmp_path_factory):
    import pikepdf

    root = tmp_path_factory.mktemp("tagged") / "course"
    root.mkdir()
    write_accessible_course(Course(root), outputs=["pdf"])
    result = run("build", str(root), "--tagged")
    assert result.exit_code == 0, result.output
    pdf = pikepdf.open(root / "dist" / "reader.pdf")
    yield pdf
    pdf.close()


def elements(node) -> Iterator:  # noqa: ANN001
    """Every structure element under ``node``, in document order."""
    import pikepdf

    kids = node.get("/K")
    if kids is None:
        return
    for kid in (kids if isinstance(kids, pikepdf.Array) else [kids]):
        if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
            yield kid
            yield from elements(kid)


def role(element) -> str:  # noqa: ANN001
    return str(element["/S"])[1:]


def test_catalog_language_title_and_marking(tagged):
    root = tagged.Root
    assert bool(root.MarkInfo.Marked)
    assert str(root.Lang) == "en"
    assert str(tagged.docinfo["/Title"]) == "An Accessible Course"
    assert bool(root.ViewerPreferences.DisplayDocTitle)   # the title, not the file name
    with tagged.open_metadata() as xmp:
        assert xmp.get("dc:title") == "An Accessible Course"
        assert xmp.get("pdfuaid:part") == "1"
    assert all(page.get("/Tabs") == "/S" for page in tagged.pages)


def test_roles_are_standard_or_mapped(tagged):
    tree = tagged.Root.StructTreeRoot
    role_map = {str(k)[1:]: str(v)[1:] for k, v in tree.get("/RoleMap", {}).items()}
    for custom, standard in role_map.items():
        assert standard in STANDARD, f"RoleMap maps {custom} to {standard}, not standard"
    used = {role(e) for e in elements(tree)}
    unknown = {r for r in used if r not in STANDARD and r not in role_map}
    assert unknown == set()


def test_headings_never_skip_a_level(tagged):
    levels = [int(role(e)[1]) for e in elements(tagged.Root.StructTreeRoot)
              if role(e) in {"H1", "H2", "H3", "H4", "H5", "H6"}]
    assert levels[0] == 1 and {1, 2, 3, 4} <= set(levels)   # the essay's sections, nested
    for before, after in zip(levels, levels[1:]):
        assert after <= before + 1, f"H{after} follows H{before}"


def test_lists_are_lists_of_items(tagged):
    lists = [e for e in elements(tagged.Root.StructTreeRoot) if role(e) == "L"]
    assert lists
    for element in lists:
        kids = [role(k) for k in elements(element) if k.get("/P") == element]
        assert kids and set(kids) <= {"LI", "Caption"}, kids
    items = [e for e in elements(tagged.Root.StructTreeRoot) if role(e) == "LI"]
    assert all(any(role(k) == "LBody" for k in elements(li)) for li in items)


def test_tables_have_header_cells(tagged):
    tables = [e for e in elements(tagged.Root.StructTreeRoot) if role(e) == "Table"]
    assert len(tables) == 2                          # the essay's and the table item's
    for table in tables:
        roles = [role(e) for e in elements(table)]
        assert "TH" in roles and "TD" in roles and "TR" in roles


def test_figures_carry_their_alt_text(tagged):
    figures = [e for e in elements(tagged.Root.StructTreeRoot) if role(e) == "Figure"]
    alts = [str(f.get("/Alt")) for f in figures if "/Alt" in f]
    assert "Map of the grain regions, 1928" in alts
    assert any(alt.startswith("Chart: Grain procurement") for alt in alts)


@pytest.mark.xfail(strict=True, reason="WeasyPrint 70 tags an image with alt=\"\" as a "
                   "Figure without /Alt; a decorative image should be an artifact")
def test_a_decorative_image_is_not_a_figure(tagged):
    figures = [e for e in elements(tagged.Root.StructTreeRoot) if role(e) == "Figure"]
    assert all("/Alt" in f for f in figures)


@pytest.mark.xfail(strict=True, reason="WeasyPrint 70 writes the document's /Lang only, not "
                   "the lang of an element (the French excerpt)")
def test_a_passage_in_another_language_says_so(tagged):
    langs = {str(e.get("/Lang")) for e in elements(tagged.Root.StructTreeRoot) if "/Lang" in e}
    assert "fr" in langs
