"""Fast tests of the screen editions' pure parts: the body reshaped for screens, the chart's
scale, and the plain-data view templates receive."""

from __future__ import annotations

from pathlib import Path

import pytest

from reader.web.body import Image, screen_body
from reader.web.chart import chart_svg, nice_ticks

pytestmark = pytest.mark.unit


def body(html: str, **options):  # noqa: ANN003
    options.setdefault("prefix", "item-1")
    options.setdefault("images", {})
    return screen_body(html, **options)


def test_headings_move_up_and_never_skip_a_level():
    result = body("<h3>A</h3><h5>B</h5><h6>C</h6><h3>D</h3><h4>E</h4>")
    assert str(result.html) == "<h2>A</h2><h3>B</h3><h4>C</h4><h2>D</h2><h3>E</h3>"


def test_footnotes_become_numbered_links_to_notes():
    result = body('<p>One.<span class="footnote">First <em>note</em>.</span> Two.'
                  '<span class="footnote">Second.</span></p>')
    assert str(result.html) == (
        '<p>One.<a class="noteref" href="#item-1-note-1" id="item-1-ref-1" '
        'role="doc-noteref"><sup>1</sup></a> Two.<a class="noteref" href="#item-1-note-2" '
        'id="item-1-ref-2" role="doc-noteref"><sup>2</sup></a></p>')
    assert [str(n) for n in result.notes] == ["First <em>note</em>.", "Second."]


def test_a_paragraph_holding_only_an_image_is_a_figure():
    images = {"file:///c/map.png": Image("images/ab-map.png", "A map", False),
              "file:///c/rule.png": Image("images/cd-rule.png", "ignored", True)}
    result = body('<p><img src="file:///c/map.png" alt="A map" title="The caption" /></p>'
                  '<p>Text <img src="file:///c/rule.png" alt="x" /> inline.</p>', images=images)
    assert str(result.html) == (
        '<figure><img src="images/ab-map.png" alt="A map" /><figcaption>The caption'
        '</figcaption></figure><p>Text <img src="images/cd-rule.png" alt="" /> inline.</p>')


def test_anything_unexpected_is_dropped():
    result = body('<p><img src="https://evil.example/x.png" alt="remote" />'
                  '<a href="javascript:alert(1)">click</a><a href="file:///etc/passwd">f</a>'
                  '<script>alert(1)</script><iframe src="x"></iframe>'
                  '<span onclick="x()">t</span></p>')
    html = str(result.html)
    assert "evil" not in html and "javascript" not in html and "file:" not in html
    assert "<script" not in html and "<iframe" not in html and "onclick" not in html
    assert "<a>click</a>" in html and "alert(1)" in html    # the text stays, as text


def test_table_cells_align_by_class_and_headers_have_scope():
    result = body('<table><thead><tr><th style="text-align:right">N</th></tr></thead>'
                  '<tbody><tr><td style="text-align:right">1</td></tr></tbody></table>'
                  '<p>Table: Counts of things</p>')
    assert str(result.html) == (
        '<table><caption>Counts of things</caption><thead><tr><th class="align-right" '
        'scope="col">N</th></tr></thead><tbody><tr><td class="align-right">1</td></tr>'
        '</tbody></table>')


def test_page_markers_stand_before_the_first_block_of_each_page():
    html = ('<p id="item-1-b1">a</p><p id="item-1-b2">b</p><p id="item-1-b3">c</p>'
            '<p id="item-1-b4">d</p>')
    result = body(html, block_pages={"item-1-b1": 14, "item-1-b2": 14, "item-1-b3": 15,
                                     "item-1-b4": 17}, first_page=14)
    out = str(result.html)
    assert result.pages == [15, 17]
    assert out.index('id="page-15"') < out.index('id="item-1-b3"')
    assert out.index('id="page-17"') < out.index('id="item-1-b4"')
    assert 'id="page-14"' not in out          # the item's first page: the template's marker
    assert out.count("page-marker") == 2


def test_without_block_anchors_there_are_no_markers_inside_the_item():
    result = body("<p>a</p><p>b</p>", block_pages={}, first_page=14)
    assert result.pages == [] and "page-marker" not in str(result.html)


def test_nice_ticks_cover_the_data_from_zero():
    assert nice_ticks(3, 97) == [0, 20, 40, 60, 80, 100]
    assert nice_ticks(-12, 30)[0] <= -12 and nice_ticks(-12, 30)[-1] >= 30
    assert nice_ticks(5, 5) == [0, 1, 2, 3, 4, 5]


def test_chart_svg_is_an_image_named_and_described():
    chart = {"type": "line", "x": "Year", "description": "Line chart <of> things",
             "categories": ["1928", "1929"], "series": [{"name": "A", "values": [1.0, 2.0]}]}
    svg = str(chart_svg(chart, "Title & more", "c1", ["#112233"]))
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert 'role="img"' in svg and 'aria-labelledby="c1-title"' in svg
    assert "<title id=\"c1-title\">Chart: Title &amp; more</title>" in svg
    assert "Line chart &lt;of&gt; things" in svg and "<polyline" in svg


def test_the_view_is_plain_data_all_the_way_down(small_course):
    from reader.course.manifest import load_manifest
    from reader.course.model import build_course
    from reader.course.pagemap import PageMap
    from reader.course.view import check_plain, course_view

    manifest = load_manifest(small_course.root)
    course = build_course(manifest, manifest.variant())
    page_map = PageMap(start={"item-s_intro": 3, "item-s_intro-b2": 4, "part-1": 1},
                       pages={"item-s_intro": 2, "part-1": 1})
    view = course_view(course, page_map)
    check_plain(view)
    item = view["items"][0]
    assert (item["page"], item["page_last"], item["block_pages"]) == \
        (3, 4, {"item-s_intro-b2": 4})
    assert "SECRET-NOTE" not in repr(view)          # student edition: no teaching notes
    with pytest.raises(TypeError, match="PosixPath"):
        check_plain({"a": [{"b": Path("/etc")}]})
    with pytest.raises(TypeError):
        check_plain({"f": open})


def test_chart_svg_says_its_unit_over_the_axis_below_the_legend():
    """The title's '(millions)' (Table.unit, in the view) over the value axis; the top tick
    at or above the largest value; the legend on its own line above the unit."""
    import re

    chart = {"type": "bar", "x": "Animal", "description": "d", "unit": "millions",
             "categories": ["Horses", "Sheep and goats"],
             "series": [{"name": "1928", "values": [35.0, 147.0]},
                        {"name": "1933", "values": [17.0, 50.0]}]}
    svg = str(chart_svg(chart, "Livestock (millions)", "c1", ["#112233", "#445566"]))
    unit = re.search(r'<text class="unit" x="[\d.]+" y="([\d.]+)">millions</text>', svg)
    ticks = [(float(y), float(v)) for y, v in
             re.findall(r'<text class="tick" x="[\d.]+" y="([\d.]+)"[^>]*>([\d,]+)<', svg)]
    legend = [float(y) for y in re.findall(r'<text class="legend" x="[\d.]+" y="([\d.]+)"', svg)]
    assert unit and max(v for _, v in ticks) >= 147
    top_tick_y = min(y for y, _ in ticks)
    assert max(legend) + 14 <= float(unit.group(1)) < top_tick_y
