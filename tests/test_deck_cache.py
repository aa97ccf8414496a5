"""The deck reuses unchanged items' slides: an edit rebuilds one item's slides, and the
deck it makes is the deck a cold build makes, byte for byte."""

from __future__ import annotations

import shutil

import yaml

from conftest import deck_slides, essay, notes_text, run, slide_text
from reader.build.pipeline import build


def _build(root):
    """A build that reuses the cache, even of an unchanged course (its stamp is removed;
    `force` would read nothing from the cache)."""
    from reader.build.pipeline import STAMP

    (root / "dist" / STAMP).unlink(missing_ok=True)
    return build(root)[0]


def test_an_edit_rebuilds_only_that_items_slides(small_course):
    course = small_course
    first = _build(course.root)
    items = 5
    assert len(first.deck_cache.built) == items and not first.deck_cache.reused
    path = course.root / "s/intro.md"
    path.write_text(path.read_text().replace("## What to look for", "## A brand-new heading"))
    second = _build(course.root)
    assert second.deck_cache.built == ["item-s_intro"]
    assert sorted(second.deck_cache.reused) == ["item-s_end", "item-s_numbers",
                                                "item-s_questions", "item-s_source"]
    slides = deck_slides(course.dist / "deck.pptx")
    texts = [slide_text(s) for s in slides]
    assert any("A brand-new heading" in t for t in texts)
    assert not any("What to look for" in t for t in texts)
    assert len(slides) == second.slides
    # Reused slides still carry the reader's page numbers, filled in for this build.
    for slide in slides:
        page = next((s.text_frame.text for s in slide.shapes if s.name == "Reader page"), None)
        if page is not None and slide.name in second.page_map.start:
            assert page == f"Reader p. {second.page_map.start[slide.name]}"
    assert all(notes_text(s).strip() for s in slides[1:])


def test_a_rebuild_from_the_cache_is_the_cold_build_byte_for_byte(small_course):
    course = small_course
    _build(course.root)
    path = course.root / "s/end.md"
    path.write_text(essay("Conclusion, revised", "It ends here, differently."))
    warm = _build(course.root)
    assert warm.deck_cache.built == ["item-s_end"] and warm.cache.rendered
    warm_deck = (course.dist / "deck.pptx").read_bytes()
    warm_pdf = (course.dist / "reader.pdf").read_bytes()
    shutil.rmtree(course.root / ".reader-cache")
    cold = build(course.root, force=True)[0]         # nothing changed: forced, and cold
    assert len(cold.deck_cache.built) == 5 and not cold.deck_cache.reused
    assert (course.dist / "deck.pptx").read_bytes() == warm_deck
    assert (course.dist / "reader.pdf").read_bytes() == warm_pdf


def test_a_changed_csv_or_picture_rebuilds_the_item_that_uses_it(course, tmp_path):
    from PIL import Image

    Image.new("RGB", (1200, 800), "navy").save(course.root / "map.png")
    course.write("s/pic.md", essay("With a map", "Text.\n\n![A map of the region](../map.png)"))
    course.write("s/data.csv", "Year,Output\n1928,100\n1932,80\n")
    course.write("s/t.yaml", yaml.safe_dump({"title": "Output", "data": "data.csv"}))
    course.write("s/other.md", essay("Untouched", "Nothing changes here."))
    course.manifest({"title": "Inputs", "contents": [
        {"essay": "s/pic.md"}, {"table": "s/t.yaml"}, {"essay": "s/other.md"}]})
    _build(course.root)
    course.write("s/data.csv", "Year,Output\n1928,100\n1932,70\n")
    assert _build(course.root).deck_cache.built == ["item-s_t"]
    Image.new("RGB", (1200, 800), "darkred").save(course.root / "map.png")
    assert _build(course.root).deck_cache.built == ["item-s_pic"]
    texts = " ".join(slide_text(s) for s in deck_slides(course.dist / "deck.pptx"))
    assert "70" in texts and "Untouched" in texts


def test_a_corrupt_slide_cache_entry_is_rebuilt_not_used(small_course):
    course = small_course
    _build(course.root)
    good = [slide_text(s) for s in deck_slides(course.dist / "deck.pptx")]
    # Five items, two dividers, the agenda and the sources; the title slide is always made.
    entries = sorted((course.root / ".reader-cache" / "slides").glob("*.zip"))
    assert len(entries) == 9
    for entry in entries:
        entry.write_bytes(entry.read_bytes()[:-50] + b"garbage")
    again = _build(course.root)
    assert len(again.deck_cache.discarded) == 5 and len(again.deck_cache.built) == 5
    assert not again.deck_cache.reused
    assert [slide_text(s) for s in deck_slides(course.dist / "deck.pptx")] == good
    third = _build(course.root)
    assert len(third.deck_cache.reused) == 5 and not third.deck_cache.built


def test_renaming_a_part_rebuilds_its_divider_not_its_items(small_course):
    course = small_course
    _build(course.root)
    manifest = (course.root / "course.yaml").read_text()
    (course.root / "course.yaml").write_text(manifest.replace("Second part", "Part renamed"))
    again = _build(course.root)
    assert not again.deck_cache.built and len(again.deck_cache.reused) == 5
    texts = [slide_text(s) for s in deck_slides(course.dist / "deck.pptx")]
    assert any("Part renamed" in t for t in texts)
    assert not any("Second part" in t for t in texts)


def test_editions_do_not_share_slides(small_course):
    """The instructor edition's question slides carry notes; the student's never do."""
    course = small_course
    student = build(course.root)[0]
    teacher = build(course.root, edition="instructor")[0]
    assert len(teacher.deck_cache.built) == len(student.deck_cache.built) == 5
    notes = " ".join(notes_text(s) for s in deck_slides(course.dist / "deck.pptx"))
    assert "SECRET-NOTE" in notes
    again = build(course.root)[0]
    assert len(again.deck_cache.reused) == 5 and not again.deck_cache.built
    notes = " ".join(notes_text(s) for s in deck_slides(course.dist / "deck.pptx"))
    assert "SECRET-NOTE" not in notes


def _picture_course(course):
    """A template with a logo, an essay using that logo and a photo, a second essay using
    the photo, a table with a chart: every kind of part a group can share or own."""
    import copy
    import hashlib

    from PIL import Image
    from pptx import Presentation
    from pptx.oxml.ns import qn
    from pptx.util import Inches

    Image.new("RGB", (900, 600), "navy").save(course.root / "logo.png")
    Image.new("RGB", (1200, 800), "darkgreen").save(course.root / "photo.png")
    template = Presentation()   # the logo on the master, as templates have it
    scratch = template.slides.add_slide(template.slide_layouts[6])
    picture = scratch.shapes.add_picture(str(course.root / "logo.png"), 0, 0, Inches(0.5))
    _, rid = template.slide_master.part.get_or_add_image_part(str(course.root / "logo.png"))
    element = copy.deepcopy(picture._element)
    element.blipFill.blip.set(qn("r:embed"), rid)
    template.slide_master.shapes._spTree.append(element)
    (course.root / "templates").mkdir()
    template.save(course.root / "templates" / "deck.pptx")
    course.write("s/logo.md", essay("Logo essay", "Words.\n\n![The logo](../logo.png)\n\n"
                                                  "![A green photo](../photo.png)"))
    course.write("s/photo.md", essay("Photo essay", "Words.\n\n![The photo again](../photo.png)"))
    course.write("s/t.yaml", yaml.safe_dump({
        "title": "Output", "columns": ["Year", "Grain"], "rows": [[1928, 73], [1932, 70]],
        "chart": {"type": "bar", "x": "Year", "y": ["Grain"]}}))
    course.manifest({"title": "Pictures", "deck_template": "templates/deck.pptx",
                     "contents": [{"essay": "s/logo.md"}, {"essay": "s/photo.md"},
                                  {"table": "s/t.yaml"}]})
    return {hashlib.sha256((course.root / n).read_bytes()).hexdigest(): n
            for n in ("logo.png", "photo.png")}


def _pictures_by_alt(path):
    import hashlib

    found = {}
    for slide in deck_slides(path):
        for shape in slide.shapes:
            if shape.shape_type == 13:  # picture
                alt = shape._element.xpath("./p:nvPicPr/p:cNvPr/@descr")
                found[alt[0] if alt else shape.name] = hashlib.sha256(shape.image.blob).hexdigest()
    return found


def test_each_picture_slide_shows_its_own_picture_from_the_cache_too(course):
    files = _picture_course(course)
    _build(course.root)
    for deck in ("cold", "warm"):
        shown = {alt: files.get(digest) for alt, digest in
                 _pictures_by_alt(course.dist / "deck.pptx").items()}
        assert shown == {"The logo": "logo.png", "A green photo": "photo.png",
                         "The photo again": "photo.png"}, (deck, shown)
        path = course.root / "s/photo.md"
        path.write_text(path.read_text() + f"\nAdded after the {deck} build.\n")
        assert _build(course.root).deck_cache.built == ["item-s_photo"]


def test_a_deck_from_the_cache_matches_a_cold_one_with_pictures_and_charts(course):
    _picture_course(course)
    _build(course.root)
    path = course.root / "s/photo.md"
    path.write_text(path.read_text().replace("Words.", "Changed words."))
    _build(course.root)
    warm = (course.dist / "deck.pptx").read_bytes()
    shutil.rmtree(course.root / ".reader-cache")
    _build(course.root)
    assert (course.dist / "deck.pptx").read_bytes() == warm


def test_reused_slides_get_this_builds_page_numbers_in_every_path(course):
    """Slides are cached with page tokens, never numbers: a class built in a pool worker
    (no background deck) and then the base course both show where items are now."""
    course.write("s/a.md", essay("Growing essay", "Short."))
    course.write("s/b.md", essay("Later essay", "Text."))
    course.manifest({"title": "Pages", "classes": {"mon": {"subtitle": "Monday"}},
                     "contents": [{"essay": "s/a.md"}, {"essay": "s/b.md"}]})

    def later_page(dist):
        for slide in deck_slides(dist / "deck.pptx"):
            for shape in slide.shapes:
                if shape.name == "Reader page" and slide.name == "item-s_b":
                    return shape.text_frame.text
        raise AssertionError("no page reference on item-s_b's slides")

    assert run("build", "--all-classes", str(course.root)).exit_code == 0
    before = later_page(course.dist / "mon")
    course.write("s/a.md", essay("Growing essay", "\n\n".join(["Many words here. " * 60] * 12)))
    assert run("build", "--all-classes", str(course.root)).exit_code == 0
    for dist in (course.dist / "mon", course.dist):
        result = build(course.root, force=True, class_name="mon" if dist != course.dist
                       else None)[0]
        assert later_page(dist) == f"Reader p. {result.page_map.start['item-s_b']}" != before
