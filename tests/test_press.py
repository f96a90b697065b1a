"""The print-shop edition for a press (PDF/X-4 in the press's CMYK, still tagged) and the preflight a print
shop runs on it: the real content's brochure and the second example brand's pass; planted RGB, RGB text
and low-resolution images are caught, each by page.

The press profile is Ghostscript's generic CMYK profile from Debian's libgs-common (`make test` installs
it; no profile is kept in the repository), copied beside a copy of the brand file."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pikepdf
import pytest

from conftest import GHOSTSCRIPT_CMYK, REPO, make_project, press_brand, run
from test_accessibility import pdfua_problems, structure_problems

GHOSTSCRIPT_RGB = Path("/usr/share/color/icc/ghostscript/srgb.icc")
HARBOR = REPO / "examples/harbor-light/clinic.toml"


@pytest.fixture(scope="module")
def harbor_press_build(tmp_path_factory, press_profile) -> Path:
    folder = tmp_path_factory.mktemp("harbor-press")
    brand = press_brand(folder / "brand", HARBOR, press_profile)
    result = run("build", "--print-shop", "--brand", str(brand), "--out", str(folder / "out"), project=REPO)
    assert result.exit_code == 0, result.output
    return folder / "out"


def rgb_anywhere(path: Path) -> list[str]:
    """Every RGB colour a PDF names, looked for without the preflight's rules: a DeviceRGB, CalRGB or
    3-channel ICC colour space anywhere in the file, or an rg or RG operator in any content stream (pages,
    forms, tiling patterns), painted or not."""
    found = []

    def look(obj, item, depth=0):
        if isinstance(item, pikepdf.Name) and str(item) in ("/DeviceRGB", "/CalRGB"):
            found.append(f"{item} in {obj.objgen}")
        elif isinstance(item, pikepdf.Array):
            if len(item) == 2 and item[0] == "/ICCBased" and int(item[1].get("/N")) == 3:
                found.append(f"ICC-based RGB in {obj.objgen}")
            for element in item:
                if isinstance(element, pikepdf.Object) and not element.is_indirect and depth < 8:
                    look(obj, element, depth + 1)
        elif isinstance(item, (pikepdf.Dictionary, pikepdf.Stream)):
            for key in item.keys():
                value = item[key]
                if isinstance(value, pikepdf.Object) and not value.is_indirect and depth < 8:
                    look(obj, value, depth + 1)

    with pikepdf.open(path) as pdf:
        for obj in pdf.objects:
            look(obj, obj)
        contents = [page.obj for page in pdf.pages] + [
            obj for obj in pdf.objects if isinstance(obj, pikepdf.Stream)
            and (obj.get("/Subtype") == "/Form" or obj.get("/PatternType") == 1)]
        for content in contents:
            operators = {str(operator) for _, operator in pikepdf.parse_content_stream(content)}
            found += [f"{operator} in {content.objgen}" for operator in operators & {"rg", "RG"}]
    return found


@pytest.mark.parametrize("build", ["real_press_build", "harbor_press_build"])
def test_the_print_shop_brochure_passes_the_preflight(build, request, press_profile):
    out = request.getfixturevalue(build)
    path = out / "en/letter/brochure.print-shop.pdf"
    result = run("preflight", str(path))
    assert result.exit_code == 0, result.output
    pages = len(pikepdf.open(path).pages)
    assert result.output == f"{path}: ready for the print shop: PDF/X-4, {pages} pages, CMYK and grey only\n"
    assert pages % 4 == 0
    # Seen without the preflight's rules too: no RGB anywhere in the file.
    assert rgb_anywhere(path) == []
    [entry] = json.loads((out / "manifest.json").read_text())
    assert (entry["variant"], entry["path"]) == ("print-shop", "en/letter/brochure.print-shop.pdf")


def test_the_print_shop_brochure_is_pdfx4_with_the_press_profile_and_still_tagged(real_press_build, press_profile):
    path = real_press_build / "en/letter/brochure.print-shop.pdf"
    with pikepdf.open(path) as pdf:
        assert pdf.pdf_version == "1.6" and not pdf.is_encrypted
        [intent] = pdf.Root.OutputIntents
        assert intent.S == "/GTS_PDFX" and str(intent.OutputConditionIdentifier) == "Artifex CMYK SWOP Profile"
        # The profile embedded is the press's (as littleCMS writes it back), once for all the parts.
        profiles = [obj for obj in pdf.objects if isinstance(obj, pikepdf.Stream) and obj.get("/N") == 4
                    and "/Subtype" not in obj]
        assert len(profiles) == 1 and profiles[0].objgen == intent.DestOutputProfile.objgen
        assert profiles[0].read_bytes()[36:40] == b"acsp" and profiles[0].read_bytes()[12:20] == b"prtrCMYK"
        metadata = pdf.open_metadata()
        assert metadata["pdfxid:GTS_PDFXVersion"] == "PDF/X-4"
        assert metadata["pdfuaid:part"] == "1"
        assert str(pdf.docinfo.Trapped) == "/False"
        for page in pdf.pages:
            assert [float(v) for v in page.TrimBox] == [0, 0, 612, 792]
            assert [float(v) for v in page.BleedBox] == [-9, -9, 621, 801]
    assert structure_problems(path) == []
    assert pdfua_problems([path]) == {path.name: []}


def sample_press_project(folder: Path, profile: Path) -> Path:
    """The sample clinic with the press profile beside its brand file and a [print] table."""
    project = make_project(folder)
    shutil.copy(profile, project / "handouts/press.icc")
    clinic = project / "handouts/clinic.toml"
    clinic.write_text(clinic.read_text() + '\n[print]\nprofile = "press.icc"\n')
    return project


def test_the_print_shop_brochure_is_byte_reproducible(tmp_path, press_profile):
    """WeasyPrint gives each PDF/X part a random document id; the brochure's comes from its content."""
    built = []
    for name in ("first", "second"):
        project = sample_press_project(tmp_path / name, press_profile)
        assert run("build", "--print-shop", project=project).exit_code == 0
        built.append((project / "out/en/letter/brochure.print-shop.pdf").read_bytes())
    assert built[0] == built[1]


def test_a_brochure_without_a_print_table_is_built_in_rgb_and_says_so(tmp_path):
    project = make_project(tmp_path / "project")
    result = run("build", "--print-shop", project=project)
    assert result.exit_code == 0, result.output
    assert ("handouts/clinic.toml: warning: no [print] table, so the print-shop brochure is built in RGB (as "
            "brochure.print-shop.rgb.pdf), not as PDF/X-4 for a press: add [print] with profile = \"FILE.icc\", "
            "the print shop's CMYK press profile beside this file, to build it in the press's CMYK "
            "[print-profile]") in result.output
    [entry] = json.loads((project / "out/manifest.json").read_text())
    assert (entry["variant"], entry["path"]) == ("print-shop+rgb", "en/letter/brochure.print-shop.rgb.pdf")
    assert "Print shop, RGB" in (project / "out/index.html").read_text()
    with pikepdf.open(project / "out/en/letter/brochure.print-shop.rgb.pdf") as pdf:
        assert "/OutputIntents" not in pdf.Root and pdf.open_metadata()["pdfuaid:part"] == "1"
    result = run("preflight", str(project / "out/en/letter/brochure.print-shop.rgb.pdf"))
    assert result.exit_code == 1
    assert "error: not identified as PDF/X" in result.stderr


def test_a_raster_logo_is_converted_through_the_profile_and_a_small_one_refused_by_page(tmp_path, press_profile):
    from PIL import Image

    project = sample_press_project(tmp_path / "project", press_profile)
    handouts = project / "handouts"
    clinic = handouts / "clinic.toml"
    clinic.write_text(clinic.read_text().replace('logo = "logo.svg"', 'logo = "logo.png"'))
    Image.new("RGB", (600, 600), (32, 74, 135)).save(handouts / "logo.png")
    result = run("build", "--print-shop", project=project)
    assert result.exit_code == 0, result.output
    with pikepdf.open(project / "out/en/letter/brochure.print-shop.pdf") as pdf:
        images = [obj for obj in pdf.objects if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image"]
        assert [str(image.ColorSpace) for image in images] == ["/DeviceCMYK"]
        cyan, magenta, yellow, black = pikepdf.PdfImage(images[0]).as_pil_image().getpixel((300, 300))
        assert cyan > 150 and magenta > 80 and yellow < 80  # a dark blue, in the press's inks
    shutil.rmtree(project / "out")
    Image.new("RGB", (120, 120), (32, 74, 135)).save(handouts / "logo.png")
    result = run("build", "--print-shop", project=project)
    assert result.exit_code == 1
    cover, back_cover, summary = result.stderr.splitlines()
    assert cover == (
        "en/letter/brochure.print-shop.pdf: page 1: error: the image at 1.0 in, 1.5 in from the top left (120 × 120 px) "
        "prints at 1.10 × 1.10 in: 109 ppi; a press needs 300 ppi (at least 200): give it 330 × 330 px "
        "[image-resolution]")
    last = re.fullmatch(
        r"en/letter/brochure.print-shop.pdf: page (\d+): error: the image at 0.8 in, 1.5 in from the top left "
        r"\(120 × 120 px\) prints at 1.00 × 1.00 in: 120 ppi; a press needs 300 ppi \(at least 200\): give it "
        r"300 × 300 px \[image-resolution\]", back_cover)
    assert last and int(last[1]) % 4 == 0  # the back cover, the last page
    assert summary == "2 problems with en/letter/brochure.print-shop.pdf; nothing was built."
    assert not (project / "out").exists()


def test_an_rgb_colour_in_the_styles_stops_the_print_shop_build(tmp_path, press_profile):
    """The build preflights the print-shop brochure before it writes it: a colour written in RGB outside
    the colour variables (which are converted) is an error, by page, and nothing is written."""
    project = sample_press_project(tmp_path / "project", press_profile)
    components = project / "styles/components.css"
    components.write_text(components.read_text() + "\n.contents-heading { color: rgb(200, 0, 0); }\n")
    result = run("build", "--print-shop", project=project)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "en/letter/brochure.print-shop.pdf: page 2: error: RGB colour (DeviceRGB) in text: a press prints CMYK "
        "and grey only [rgb-colour]",
        "1 problem with en/letter/brochure.print-shop.pdf; nothing was built."]
    assert not (project / "out").exists()


# The preflight on PDFs made for the test: WeasyPrint's PDF/X-4 from tiny HTML, or pikepdf's.

PAGE = "<section style='break-before: page'>{}</section>"


def press_pdf(folder: Path, profile: Path, pages: list[str], bleed: str = "0.125in") -> Path:
    """A PDF/X-4 of `pages` (HTML bodies, one per page) on letter, in CMYK through `profile`."""
    from weasyprint import HTML

    shutil.copy(profile, folder / "press.icc")
    html = f"""<html lang="en"><head><title>Test</title>
    <meta name="dcterms.created" content="2026-01-01"><meta name="dcterms.modified" content="2026-01-01">
    <style>@color-profile device-cmyk {{ src: url(press.icc); components: c, m, y, k; }}
    @page {{ size: letter; bleed: {bleed}; margin: 1in; }} body {{ margin: 0; color: device-cmyk(0 0 0 0.9); }}
    img {{ width: 1in; height: 1in; display: block; }}</style></head>
    <body>{''.join(PAGE.format(page) for page in pages)}</body></html>"""
    path = folder / "test.pdf"
    HTML(string=html, base_url=str(folder) + "/").write_pdf(path, pdf_variant="pdf/x-4", pdf_tags=True)
    return path


def png(folder: Path, name: str, size: int, mode: str = "RGB") -> str:
    from PIL import Image

    Image.new(mode, (size, size), (200, 30, 30) if mode == "RGB" else 90).save(folder / name)
    return f"<img src='{name}' alt='a square'>"


def test_the_preflight_finds_an_rgb_image_rgb_text_and_a_150_ppi_image_each_by_page(tmp_path, press_profile):
    path = press_pdf(tmp_path, press_profile, [
        "<p>All in CMYK.</p>",
        png(tmp_path, "rgb.png", 300),
        "<p style='color: rgb(200, 0, 0)'>Red in RGB.</p>",
        png(tmp_path, "grey.png", 150, mode="L")])
    result = run("preflight", str(path))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{path}: page 2: error: the image at 1.0 in, 1.0 in from the top left (300 × 300 px) is RGB (DeviceRGB): "
        "a press prints CMYK and grey only [rgb-colour]",
        f"{path}: page 3: error: RGB colour (DeviceRGB) in text: a press prints CMYK and grey only [rgb-colour]",
        f"{path}: page 4: error: the image at 1.0 in, 1.0 in from the top left (150 × 150 px) prints at "
        "1.00 × 1.00 in: 150 ppi; a press needs 300 ppi (at least 200): give it 300 × 300 px [image-resolution]",
        "3 problems in 1 file; the PDF is not ready for the print shop."]


def test_an_image_under_300_ppi_is_a_warning(tmp_path, press_profile):
    path = press_pdf(tmp_path, press_profile, ["<p>One</p>", png(tmp_path, "grey.png", 250, mode="L"),
                                               "<p>Three</p>", "<p>Four</p>"])
    result = run("preflight", str(path))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"{path}: page 2: warning: the image at 1.0 in, 1.0 in from the top left (250 × 250 px) prints at "
        "1.00 × 1.00 in: 250 ppi; a press needs 300 ppi (at least 200): give it 300 × 300 px [image-resolution]",
        f"{path}: ready for the print shop: PDF/X-4, 4 pages, CMYK and grey only"]


def test_the_preflight_reads_nested_forms_their_placement_and_annotations(tmp_path, press_profile):
    """An image drawn inside a form inside a form, each scaling it: its resolution is the placed one. An
    annotation's appearance is read too."""
    pdf = pikepdf.open(press_pdf(tmp_path, press_profile, ["<p>1</p>", "<p>2</p>", "<p>3</p>", "<p>4</p>"]))
    image = pdf.make_stream(bytes(600 * 600), Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image,
                            Width=600, Height=600, ColorSpace=pikepdf.Name.DeviceRGB, BitsPerComponent=8)
    inner = pdf.make_stream(b"q 72 0 0 72 0 0 cm /Im Do Q", Type=pikepdf.Name.XObject,
                            Subtype=pikepdf.Name.Form, BBox=[0, 0, 72, 72], Matrix=[2, 0, 0, 2, 0, 0],
                            Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im=image)))
    outer = pdf.make_stream(b"/Inner Do", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form,
                            BBox=[0, 0, 500, 500], Matrix=[2, 0, 0, 2, 100, 100],
                            Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Inner=inner)))
    page = pdf.pages[2]
    page.add_resource(outer, pikepdf.Name.XObject, pikepdf.Name.Outer)
    page.contents_add(pdf.make_stream(b"q /Outer Do Q"))
    # And a sticky note on page 4 whose appearance is drawn in RGB.
    appearance = pdf.make_stream(b"1 0 0 rg 0 0 20 20 re f", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form,
                                 BBox=[0, 0, 20, 20])
    note = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Text, Rect=[0, 0, 20, 20],
                                                AP=pikepdf.Dictionary(N=appearance)))
    pdf.pages[3].obj.Annots = pikepdf.Array([note])
    path = tmp_path / "nested.pdf"
    pdf.save(path)
    result = run("preflight", str(path))
    assert result.exit_code == 1
    # 72 pt scaled twice by 2: 4 in wide, so 600 px is 150 ppi. (WeasyPrint's page content turns the page
    # upside down first, so the image's corner at 100, 100 is 100 pt from the top.)
    assert f"{path}: page 4: error: RGB colour (DeviceRGB) in fills: a press prints CMYK and grey only " \
           "[rgb-colour]" in result.stderr.splitlines()
    assert [line for line in result.stderr.splitlines() if "page 3" in line] == [
        f"{path}: page 3: error: the image at 1.4 in, 1.4 in from the top left (600 × 600 px) is RGB (DeviceRGB): a "
        "press prints CMYK and grey only [rgb-colour]",
        f"{path}: page 3: error: the image at 1.4 in, 1.4 in from the top left (600 × 600 px) prints at 4.00 × 4.00 in: "
        "150 ppi; a press needs 300 ppi (at least 200): give it 1200 × 1200 px [image-resolution]"]


def test_the_preflight_checks_identification_boxes_pages_fonts_transparency_and_encryption(tmp_path):
    """A plain PDF (pikepdf's): everything a press file must have and this one lacks, once each."""
    pdf = pikepdf.new()
    font = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica)
    group = pikepdf.Dictionary(S=pikepdf.Name.Transparency, CS=pikepdf.Name.DeviceRGB)
    for _ in range(3):
        pdf.add_blank_page(page_size=(612, 792))
    page = pdf.pages[0]
    page.obj.Group = group
    page.add_resource(pdf.make_indirect(font), pikepdf.Name.Font, pikepdf.Name.F1)
    page.contents_add(pdf.make_stream(b"BT /F1 12 Tf 0 0 0 1 k 72 72 Td (Hi) Tj ET"))
    page.obj.MediaBox = page.obj.BleedBox = [-3, -3, 615, 795]
    page.obj.TrimBox = [0, 0, 612, 792]
    path = tmp_path / "plain.pdf"
    pdf.save(path, encryption=pikepdf.Encryption(owner="owner", user=""))
    result = run("preflight", str(path))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{path}: error: 3 pages: a folded booklet needs a multiple of 4 (add 1) [page-count]",
        f"{path}: error: no PDF/X OutputIntent (/OutputIntents with /S /GTS_PDFX): the print shop cannot tell which "
        "press the colours are for [output-intent]",
        f"{path}: error: not identified as PDF/X: no GTS_PDFXVersion in its XMP metadata or document information "
        "(build it with --print-shop and a [print] table in the brand file) [pdfx-version]",
        f"{path}: error: the PDF is encrypted: a print shop takes no encrypted file [encrypted]",
        f"{path}: error: the document information has no /Trapped True or False, which PDF/X requires [pdfx-version]",
        f"{path}: page 1: error: font Helvetica is not embedded [font]",
        f"{path}: page 1: error: the bleed is 3.0 pt on its narrowest side; a print shop needs 0.125 in (9 pt) on "
        "letter beyond the trim on every side [bleed]",
        f"{path}: page 1: error: the page is a transparency group that blends in RGB (DeviceRGB); PDF/X-4 needs the "
        "press's CMYK (or no blending space) [transparency]",
        f"{path}: page 2: error: no TrimBox and no BleedBox: a print shop needs the trim and the bleed of every page "
        "[page-boxes]",
        f"{path}: page 3: error: no TrimBox and no BleedBox: a print shop needs the trim and the bleed of every page "
        "[page-boxes]",
        "10 problems in 1 file; the PDF is not ready for the print shop."]


def test_a4_needs_3_mm_of_bleed(tmp_path, press_profile):
    path = press_pdf(tmp_path, press_profile, ["1", "2", "3", "4"], bleed="2mm")
    pdf = pikepdf.open(path)
    for page in pdf.pages:  # the same page on A4's width and height, with 2 mm of bleed
        page.obj.TrimBox = [0, 0, 595.28, 841.89]
        page.obj.BleedBox = [-5.67, -5.67, 600.95, 847.56]
        page.obj.MediaBox = [-5.67, -5.67, 600.95, 847.56]
    pdf.save(tmp_path / "a4.pdf")
    result = run("preflight", str(tmp_path / "a4.pdf"))
    assert result.exit_code == 1
    assert f"{tmp_path / 'a4.pdf'}: page 1: error: the bleed is 5.7 pt on its narrowest side; a print shop needs " \
           "3 mm (8.5 pt) beyond the trim on every side [bleed]" in result.stderr.splitlines()


# The [print] table of the brand file: one test per rule.

def brand_problems(project: Path, table: str, profile: Path | None = GHOSTSCRIPT_CMYK) -> list[str]:
    if profile is not None:
        shutil.copy(profile, project / "handouts/press.icc")
    clinic = project / "handouts/clinic.toml"
    clinic.write_text(clinic.read_text() + "\n[print]\n" + table)
    result = run("check", project=project)
    assert result.exit_code == 1, result.output
    return [line for line in result.stderr.splitlines() if line.startswith("handouts/clinic.toml")]


def test_print_table_unknown_key(project, press_profile):
    assert brand_problems(project, 'profile = "press.icc"\nink = "cmyk"\n') == [
        "handouts/clinic.toml:25: error: unknown field 'ink' in 'print' (known fields: accent, primary, profile) "
        "[schema]"]


def test_print_table_needs_a_profile(project):
    assert brand_problems(project, 'primary = [100, 70, 0, 20]\n', profile=None) == [
        "handouts/clinic.toml:23: error: missing required field 'profile' in 'print' (text) [schema]"]


def test_print_profile_missing(project):
    assert brand_problems(project, 'profile = "shop.icc"\n', profile=None) == [
        "handouts/clinic.toml:24: error: profile file not found: shop.icc [missing-file]"]


def test_print_profile_outside_the_brand_folder(project, press_profile):
    assert brand_problems(project, 'profile = "../press.icc"\n') == [
        "handouts/clinic.toml:24: error: profile '../press.icc' is refused: it is outside the brand file's folder "
        "[schema]"]


def test_print_profile_must_be_an_icc_file(project, press_profile):
    assert brand_problems(project, 'profile = "logo.svg"\n') == [
        "handouts/clinic.toml:24: error: profile 'logo.svg' must be an ICC profile (.icc or .icm) [schema]"]


def test_print_profile_must_be_a_press_profile(project):
    assert GHOSTSCRIPT_RGB.is_file()
    assert brand_problems(project, 'profile = "press.icc"\n', profile=GHOSTSCRIPT_RGB) == [
        "handouts/clinic.toml:24: error: profile press.icc is a display profile, not an output (printer) profile: "
        "ask the print shop for its press profile [print-profile]"]


def test_print_profile_must_be_for_cmyk(project, press_profile, tmp_path):
    grey = tmp_path / "grey.icc"
    data = bytearray(press_profile.read_bytes())
    data[16:20] = b"GRAY"
    grey.write_bytes(bytes(data))
    assert brand_problems(project, 'profile = "press.icc"\n', profile=grey) == [
        "handouts/clinic.toml:24: error: profile press.icc is a profile for GRAY output, not CMYK: ask the print "
        "shop for its CMYK press profile [print-profile]"]


def test_print_profile_must_be_a_profile(project, tmp_path):
    fake = tmp_path / "fake.icc"
    fake.write_bytes(b"not a profile" * 20)
    assert brand_problems(project, 'profile = "press.icc"\n', profile=fake) == [
        "handouts/clinic.toml:24: error: profile press.icc is not an ICC colour profile [print-profile]"]


def test_print_colours_are_four_percentages(project, press_profile):
    assert brand_problems(project, 'profile = "press.icc"\nprimary = [100, 70, 0]\naccent = "#b45309"\n') == [
        "handouts/clinic.toml:25: error: 'primary' must be the colour in the press's inks, [cyan, magenta, yellow, "
        "black], each a percentage from 0 to 100 (e.g. [100, 70, 0, 20]); found [100, 70, 0] [schema]",
        "handouts/clinic.toml:26: error: 'accent' must be the colour in the press's inks, [cyan, magenta, yellow, "
        "black], each a percentage from 0 to 100 (e.g. [100, 70, 0, 20]); found '#b45309' [schema]"]


def test_print_colours_keep_their_contrast_as_they_print(project, press_profile):
    assert brand_problems(project, 'profile = "press.icc"\nprimary = [30, 15, 0, 0]\n') == [
        "handouts/clinic.toml:25: error: colour primary [30, 15, 0, 0] prints as #b1c7e7: on white #ffffff it has "
        "contrast 1.7:1; needs at least 4.5:1 [contrast]"]


# Colours through the profile.

def test_greys_print_in_black_ink_alone_and_colours_through_the_profile(press_profile):
    from handout_builder.content.press import press_colours

    press = press_colours(press_profile)
    assert press.cmyk("#ffffff") == (0, 0, 0, 0) and press.cmyk("#000000") == (0, 0, 0, 1.0)
    greys = [press.cmyk(f"#{v:02x}{v:02x}{v:02x}") for v in (0x1a, 0x4a, 0x9a, 0xc8)]
    assert all(c == m == y == 0 for c, m, y, _ in greys)
    assert [k for *_, k in greys] == sorted((k for *_, k in greys), reverse=True)  # lighter greys, less ink
    cyan, magenta, yellow, black = press.cmyk("#1d4e89")  # the brand's blue
    assert cyan > 0.8 and magenta > 0.5 and yellow < 0.3


def test_an_svg_logo_is_drawn_in_the_press_colours(press_profile):
    from handout_builder.model import Press
    from handout_builder.render.press import PressEdition

    press = PressEdition(Press(press_profile))
    svg = press.svg('<svg xmlns="http://www.w3.org/2000/svg"><rect fill="#ffffff" style="stroke: red"/>'
                    '<path d="M0 0" fill="none"/><circle fill="url(#g)"/><style>.a { fill: rgb(0, 0, 0) }</style></svg>')
    assert svg == ('<svg fill="device-cmyk(0 0 0 1)" xmlns="http://www.w3.org/2000/svg">'
                   f'<rect fill="device-cmyk(0 0 0 0)" style="stroke: {press.colour("#ff0000")}"/>'
                   '<path d="M0 0" fill="none"/><circle fill="url(#g)"/>'
                   '<style>.a { fill: device-cmyk(0 0 0 1) }</style></svg>')


def test_a_variant_says_whether_it_is_for_a_press():
    from handout_builder.editions import PRINT_SHOP, RGB, Variant

    assert Variant.of(PRINT_SHOP).press and not Variant.of(PRINT_SHOP, RGB).press
    assert Variant.read("print-shop+grayscale+rgb").label == "Print shop, grayscale, RGB"
    assert Variant.of(PRINT_SHOP, RGB).file_suffix == ".print-shop.rgb"
