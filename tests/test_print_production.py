"""Print production, read back from the PDFs: print-shop boxes, bleed and crop marks, padding to four,
the booklet's sheet order and fold, the leaflet's panels and folds, the grayscale proof."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from pypdf import PdfReader

from conftest import make_project, pdf_text, run
from handout_builder.content.contrast import BODY_TEXT as AA_CONTRAST
from handout_builder.content.contrast import contrast_ratio as contrast
from handout_builder.content.contrast import relative_luminance as luminance
from handout_builder.render.grayscale import to_grey
from handout_builder.pdf.imposition import creep_shift, sheet_order

BLEED = 9.0  # 0.125 in
SLUG = 24.0  # pt of paper around the bleed, where the crop marks are
A4_BLEED = 3 / 25.4 * 72
PRIMARY = (0x20, 0x4A, 0x87)  # the sample clinic's brand colour
SCALE = 2  # pixels per point in the rendered pictures


@pytest.fixture(scope="module")
def print_build(tmp_path_factory):
    """The sample clinic's print-shop brochure (in RGB: its brand file has no [print] table), booklet and
    leaflet (letter), built once."""
    folder = make_project(tmp_path_factory.mktemp("print") / "project")
    result = run("build", "--print-shop", "--booklet", "--leaflet", project=folder)
    assert result.exit_code == 0, result.output
    return folder / "out", result.output


def render(path, index):
    """Page `index` of a PDF as an RGB picture, SCALE pixels per point."""
    import pypdfium2

    return pypdfium2.PdfDocument(path)[index].render(scale=SCALE).to_pil().convert("RGB")


def ink(picture, box) -> int:
    """How many pixels in box (left, top, right, bottom; in points) are not white."""
    crop = picture.crop(tuple(round(v * SCALE) for v in box)).convert("L")
    return sum(crop.histogram()[:230])


def texts_with_x(page) -> list[tuple[float, str]]:
    """Every piece of text on a page with its x position on the page, in points."""
    found = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            found.append((tm[4] * cm[0] + tm[5] * cm[2] + cm[4], text))

    page.extract_text(visitor_text=visit)
    return found


def text_between(page, left: float, right: float) -> str:
    """The text shown between two x positions of a page, as PDFium (a viewer's engine) places it: it
    applies the matrix a form is drawn with (the brochure's page labels are forms), which pypdf's text
    visitor leaves out."""
    import io

    import pypdfium2
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_page(page)
    data = io.BytesIO()
    writer.write(data)
    pdfium_page = pypdfium2.PdfDocument(data.getvalue())[0]
    text = pdfium_page.get_textpage().get_text_bounded(left=left, bottom=0, right=right,
                                                       top=pdfium_page.get_height())
    return " ".join(text.split())


def test_print_shop_pages_have_bleed_trimbox_a_slug_and_a_multiple_of_four(print_build):
    out, _ = print_build
    reader = PdfReader(out / "en/letter/brochure.print-shop.rgb.pdf")
    assert len(reader.pages) % 4 == 0
    for page in reader.pages:
        media, trim, bleed, crop = ([float(v) for v in box]
                                    for box in (page.mediabox, page.trimbox, page.bleedbox, page.cropbox))
        assert trim == [0, 0, 612, 792]
        assert bleed == [-BLEED, -BLEED, 612 + BLEED, 792 + BLEED]  # trim + bleed on every side
        assert media == crop == [-BLEED - SLUG, -BLEED - SLUG, 612 + BLEED + SLUG, 792 + BLEED + SLUG]


def test_the_screen_edition_has_no_bleed_or_marks(sample_build):
    reader = PdfReader(sample_build / "en/letter/brochure.pdf")
    for page in reader.pages:
        assert [float(v) for v in page.mediabox] == [0, 0, 612, 792]
        assert [float(v) for v in page.trimbox] == [0, 0, 612, 792]
    picture = render(sample_build / "en/letter/brochure.pdf", 1)
    assert ink(picture, (0, 0, 20, 20)) == 0


def test_print_shop_has_crop_marks_in_the_slug_beyond_the_bleed_and_the_cover_colour_in_the_bleed(print_build):
    out, _ = print_build
    path = out / "en/letter/brochure.print-shop.rgb.pdf"
    outside = BLEED + SLUG  # from the trim to the paper's edge
    width, height = 612 + 2 * outside, 792 + 2 * outside
    trim = (outside, outside, width - outside, height - outside)  # left, top, right, bottom in the picture
    for index in (0, 1):  # the cover (its colour runs into the bleed) and a white page
        picture = render(path, index)
        # Each of the eight marks: a line level with a trim edge, wholly in the slug, clear of the bleed.
        for x in (trim[0], trim[2]):
            for y in (trim[1], trim[3]):
                side = -1 if x == trim[0] else 1
                level = -1 if y == trim[1] else 1
                near, far = BLEED + 3, BLEED + 3 + 18
                horizontal = sorted((x + side * near, x + side * far))
                vertical = sorted((y + level * near, y + level * far))
                assert ink(picture, (horizontal[0] + 1, y - 1, horizontal[1] - 1, y + 1)) > 0, (index, x, y)
                assert ink(picture, (x - 1, vertical[0] + 1, x + 1, vertical[1] - 1)) > 0, (index, x, y)
        # Nothing else in the slug: no mark reaches into the bleed, nothing runs around the page.
        bleed_box = (SLUG, SLUG, width - SLUG, height - SLUG)
        assert ink(picture, (width / 2 - 40, 0, width / 2 + 40, SLUG - 1)) == 0  # marks, not a frame
        assert ink(picture, (0, height / 2 - 40, SLUG - 1, height / 2 + 40)) == 0
        ring = [(bleed_box[0] + 0.5, bleed_box[1] + 0.5, trim[0] - 0.5, trim[1] - 0.5),  # the bleed at a corner
                (trim[2] + 0.5, trim[3] + 0.5, bleed_box[2] - 0.5, bleed_box[3] - 0.5)]
        for box in ring:
            if index == 1:
                assert ink(picture, box) == 0, box  # a white page: the bleed is empty, no mark is on it
            else:
                corner = picture.getpixel((round((box[0] + 2) * SCALE), round((box[1] + 2) * SCALE)))
                assert all(abs(a - b) <= 2 for a, b in zip(corner, PRIMARY)), corner
    cover = render(path, 0)
    for x, y in ((SLUG + 2, height / 2), (width / 2, SLUG + 2), (width - SLUG - 2, height / 2),
                 (width / 2, height - SLUG - 2)):
        assert all(abs(a - b) <= 2 for a, b in zip(cover.getpixel((x * SCALE, y * SCALE)), PRIMARY))
    page = PdfReader(path).pages[1]
    assert b"/Artifact <</Type /Page>> BDC" in page.get_contents().get_data()  # skipped by screen readers
    assert list(page["/Resources"]["/ColorSpace"]["/CropMarkRegistration"])[:2] == ["/Separation", "/All"]


def test_print_shop_on_a4_has_3_mm_of_bleed(project):
    result = run("build", "--print-shop", "--paper", "a4", project=project)
    assert result.exit_code == 0, result.output
    page = PdfReader(project / "out/en/a4/brochure.print-shop.rgb.pdf").pages[0]
    trim, bleed, media = page.trimbox, page.bleedbox, page.mediabox
    assert abs(float(trim.width) - 595.28) < 0.05 and abs(float(trim.height) - 841.89) < 0.05
    for inner, outer in ((trim.left, bleed.left), (trim.bottom, bleed.bottom)):
        assert abs(float(inner) - float(outer) - A4_BLEED) < 0.05
    for inner, outer in ((trim.right, bleed.right), (trim.top, bleed.top)):
        assert abs(float(outer) - float(inner) - A4_BLEED) < 0.05
    assert [float(m) - float(b) for m, b in zip(media, bleed)] == [-SLUG, -SLUG, SLUG, SLUG]


def test_print_shop_pads_to_four_with_designed_pages_never_blanks(tmp_path):
    project = make_project(tmp_path / "project")
    topics = project / "handouts/topics"
    shutil.copy(topics / "about-patches.en.md", topics / "more-patches.en.md")
    clinic = project / "handouts/clinic.toml"
    clinic.write_text(clinic.read_text().replace('topics = ["about-patches"]',
                                                 'topics = ["about-patches", "more-patches"]'))
    result = run("build", "--print-shop", project=project)
    assert result.exit_code == 0, result.output
    reader = PdfReader(project / "out/en/letter/brochure.print-shop.rgb.pdf")
    assert len(reader.pages) % 4 == 0
    texts = [page.extract_text() for page in reader.pages]
    assert all(text.strip() for text in texts)  # no stray blank page
    # Two topics make 10 pages: a notes page and the care-team page come before the back cover.
    assert texts[-3].startswith("Notes")
    assert texts[-2].startswith("Your care team") and "(555) 010-0000" in texts[-2]
    assert "Questions about vitiligo" in texts[-1]  # the back cover stays last


def test_sheet_order_and_creep():
    assert sheet_order(8) == [(8, 1), (2, 7), (6, 3), (4, 5)]
    with pytest.raises(ValueError):
        sheet_order(6)
    assert [creep_shift(s, 3, 4.0) for s in range(3)] == [0.0, 2.0, 4.0]


def page_number(half: str, pages: int) -> int:
    """Which brochure page a half-sheet shows: its footer, or the cover's or back cover's words."""
    if match := re.search(rf"Page (\d+) of {pages}", half):
        return int(match[1])
    if "Questions about vitiligo" in half:
        return pages
    assert "Sample brochure" in half, half
    return 1


def test_booklet_sheets_are_in_saddle_stitch_order_on_tabloid(print_build):
    out, output = print_build
    pages = len(PdfReader(out / "en/letter/brochure.print-shop.rgb.pdf").pages)
    reader = PdfReader(out / "en/letter/brochure.booklet.pdf")
    assert len(reader.pages) == pages // 2
    found = []
    for sheet in reader.pages:
        assert [float(v) for v in sheet.mediabox] == [0, 0, 1224, 792]
        found.append((page_number(text_between(sheet, 0, 612), pages),
                      page_number(text_between(sheet, 612, 1224), pages)))
    assert found == sheet_order(pages)
    assert "flip on short edge" in output and "Tabloid" in output


def test_booklet_has_no_bleed_or_marks_across_the_fold(print_build):
    out, _ = print_build
    front = render(out / "en/letter/brochure.booklet.pdf", 0)  # back cover | cover
    assert ink(front, (612 - 12, 10, 611, 782)) == 0  # the cover's colour stops at the fold
    assert ink(front, (613, 10, 625, 782)) > 0.9 * 12 * 772 * SCALE * SCALE
    for corner in ((0, 0, 12, 12), (0, 780, 12, 792)):
        assert ink(front, corner) == 0  # no crop marks on the office booklet


def test_booklet_creep_moves_inner_pages_toward_the_spine(print_build, project):
    result = run("build", "--booklet", "--creep", "6", project=project)
    assert result.exit_code == 0, result.output
    plain, crept = (PdfReader(out / "en/letter/brochure.booklet.pdf") for out in (print_build[0], project / "out"))
    outer = [(min(x for x, _ in texts_with_x(r.pages[0]) if x < 612)) for r in (plain, crept)]
    inner = [(min(x for x, _ in texts_with_x(r.pages[-1]) if x < 612)) for r in (plain, crept)]
    assert abs(outer[1] - outer[0]) < 0.01  # the outermost sheet does not move
    assert abs(inner[1] - inner[0] - 6) < 0.01  # the innermost moves the full creep toward the spine


def test_leaflet_panels_in_fold_order(print_build):
    out, _ = print_build
    manifest = json.loads((out / "manifest.json").read_text())
    assert ("leaflet", "leaflet", "regular") in [(e["slug"], e["kind"], e["variant"]) for e in manifest]
    reader = PdfReader(out / "en/letter/leaflet.pdf")
    assert len(reader.pages) == 2
    assert [float(v) for v in reader.pages[0].mediabox] == [0, 0, 792, 612]
    outside, inside = reader.pages
    flap, back, cover = (text_between(outside, a * 72, b * 72) for a, b in ((0, 3.625), (3.625, 7.3125),
                                                                              (7.3125, 11)))
    assert "Call us if" in flap and "A patch gets red or sore." in flap
    assert "1 Test Road" in back and "Scan for the full booklet" in back
    assert "Sample brochure" in cover and "Sample Skin Clinic" in cover
    first, second = (text_between(inside, a * 72, b * 72) for a, b in ((0, 3.6875), (3.6875, 7.375)))
    assert "About patches" in first and "Patches are pale areas of skin." in first
    assert "Testo (testinib cream)" in second
    assert "[" not in pdf_text(out / "en/letter/leaflet.pdf")  # no dangling citation marks


@pytest.mark.parametrize("paper, folds", [("letter", ((3.625, 7.3125), (3.6875, 7.375))),
                                          ("a4", ((97 / 25.4, 197 / 25.4), (100 / 25.4, 200 / 25.4)))])
def test_leaflet_has_no_ink_across_its_folds(print_build, project, paper, folds):
    if paper == "letter":
        path = print_build[0] / "en/letter/leaflet.pdf"
    else:
        result = run("build", "--leaflet", "--paper", "a4", project=project)
        assert result.exit_code == 0, result.output
        path = project / "out/en/a4/leaflet.pdf"
    height = float(PdfReader(path).pages[0].mediabox.height)
    for side, side_folds in enumerate(folds):
        picture = render(path, side)
        assert ink(picture, (0, 0, picture.width / SCALE, height)) > 0
        for fold in side_folds:
            assert ink(picture, (fold * 72 - 9, 0, fold * 72 + 9, height)) == 0, (side, fold)


def test_grey_keeps_the_luminance_and_reaches_aa():
    grey = to_grey("#204a87")
    assert grey[1:3] == grey[3:5] == grey[5:7]
    assert abs(luminance(grey) - luminance("#204a87")) < 0.01
    pale = to_grey("#f5c400")  # a yellow that fails AA on white as it is
    assert contrast("#f5c400", "#ffffff") < AA_CONTRAST <= contrast(pale, "#ffffff")


def test_grayscale_leaflet_prints_the_brand_colour_as_grey(project):
    result = run("build", "--leaflet", "--grayscale", project=project)
    assert result.exit_code == 0, result.output
    entry = json.loads((project / "out/manifest.json").read_text())[0]
    assert (entry["kind"], entry["variant"], entry["path"]) == ("leaflet", "grayscale",
                                                               "en/letter/leaflet.grayscale.pdf")
    picture = render(project / "out/en/letter/leaflet.grayscale.pdf", 0)
    r, g, b = picture.getpixel((round(9.5 * 72 * SCALE), round(7 * 72 * SCALE)))  # the cover card
    assert r == g == b and contrast(f"#{r:02x}{g:02x}{b:02x}", "#ffffff") >= AA_CONTRAST
    warning_free = pdf_text(project / "out/en/letter/leaflet.grayscale.pdf")
    assert "Call us if" in warning_free  # the meaning is in words, not colour


def test_the_leaflet_shows_a_topics_own_leaflet_texts(project):
    topic = project / "handouts/topics/about-patches.en.md"
    topic.write_text(topic.read_text().replace(
        "  - A patch gets red or sore.\n",
        "  - A patch gets red or sore.\n  - A patch bleeds.\n"
        "leaflet:\n  summary: Patches are pale skin.\n  call_us_if:\n    - A patch bleeds.\n"))
    result = run("build", "--leaflet", project=project)
    assert result.exit_code == 0, result.output
    outside, inside = PdfReader(project / "out/en/letter/leaflet.pdf").pages
    flap = text_between(outside, 0, 3.625 * 72)
    assert "A patch bleeds." in flap and "red or sore" not in flap  # the chosen item only
    assert "Patches are pale skin." in inside.extract_text()
    assert "Patches are pale areas" not in inside.extract_text()


def test_a_flap_too_full_is_refused_not_cut_off(project):
    topic = project / "handouts/topics/about-patches.en.md"
    # Too many for the flap, few enough for the handout's own checks (PEMAT: short sections), which run first.
    many = "".join(f"  - Call us about thing number {n} that can happen to your skin.\n" for n in range(18))
    topic.write_text(topic.read_text().replace("  - A patch gets red or sore.\n", many))
    result = run("build", "--leaflet", project=project)
    assert result.exit_code == 1
    assert re.match(r"the leaflet: error: the leaflet came out on \d+ sides instead of 2: the 'call us if' flap "
                    r"or the inside's summaries and medicines are too long", result.stderr), result.stderr
    assert not (project / "out").exists()
