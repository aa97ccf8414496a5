"""The deck for a screen reader: every slide has a real title placeholder, read first, and
every picture and chart says what it shows (its alt text, PowerPoint's "descr")."""

from __future__ import annotations

import pytest

from conftest import Course, deck_slides, run
from webcheck import write_accessible_course


@pytest.fixture(scope="module")
def slides(tmp_path_factory):
    root = tmp_path_factory.mktemp("deck-a11y") / "course"
    root.mkdir()
    write_accessible_course(Course(root), outputs=["pdf", "pptx"])
    result = run("build", str(root))
    assert result.exit_code == 0, result.output
    return deck_slides(root / "dist" / "deck.pptx")


def test_every_slide_has_a_title_placeholder_read_first(slides):
    from pptx.enum.shapes import PP_PLACEHOLDER

    for number, slide in enumerate(slides, 1):
        title = slide.shapes.title
        assert title is not None, f"slide {number} has no title placeholder"
        assert title.placeholder_format.type in (PP_PLACEHOLDER.TITLE,
                                                 PP_PLACEHOLDER.CENTER_TITLE)
        assert title.text_frame.text.strip(), f"slide {number}'s title is empty"
        first = list(slide.shapes)[0]           # the order a screen reader reads shapes in
        assert first.shape_id == title.shape_id, f"slide {number}: the title is not first"


def test_pictures_and_charts_carry_their_alt_text(slides):
    """The description is the alt text; the slide's title is its section's (or item's)
    title, never the alt text, and a chart's slide is titled as its table."""
    described = {}
    for slide in slides:
        for shape in slide.shapes:
            if shape.shape_type == 13 or getattr(shape, "has_chart", False):   # picture
                descr = shape._element.xpath("./*[1]/p:cNvPr/@descr")
                assert descr, f"{slide.shapes.title.text}: a picture or chart without descr"
                described[descr[0]] = slide.shapes.title.text_frame.text
    assert described["Map of the grain regions, 1928"] == "Reading the sources"
    chart = next(d for d in described if d.startswith("bar chart of Planned, Collected by "
                                                      "Year"))
    assert described[chart] == "Grain procurement (million tonnes)"
    # the decorative rule says nothing (an empty description), as it should
    assert "" in described
