"""Branding from one file: switching the brand file changes the name, colours, logo and QR target
everywhere, and leaves no trace of the default clinic in the output."""

from __future__ import annotations

import json
import zlib

import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader

from conftest import REPO, pdf_text, run

HARBOR = REPO / "examples/harbor-light/clinic.toml"
DEFAULT_TRACES = ("Sample Skin Clinic", "(555) 010-0000", "sample-skin.example.org", "Testville")


@pytest.fixture(scope="module")
def harbor_build(tmp_path_factory):
    from conftest import make_project

    project = make_project(tmp_path_factory.mktemp("brand") / "project")
    result = run("build", "--brand", str(HARBOR), "--html", str(project / "html"), project=project)
    assert result.exit_code == 0, result.output
    return project


def pdf_strings(path) -> bytes:
    """Every object of a PDF, streams decompressed: metadata, XMP, bookmarks, link targets, text."""
    raw = path.read_bytes()
    chunks = [raw]
    reader = PdfReader(path)
    for number in range(1, reader.trailer["/Size"]):
        obj = reader.get_object(number)
        chunks.append(repr(obj).encode())
        if hasattr(obj, "get_data"):
            try:
                chunks.append(obj.get_data())
            except (zlib.error, NotImplementedError, ValueError):
                pass
    return b"\n".join(chunks)


def test_brand_name_and_contact_everywhere(harbor_build):
    manifest = json.loads((harbor_build / "out/manifest.json").read_text())
    assert len(manifest) == 3
    for entry in manifest:
        path = harbor_build / "out" / entry["path"]
        text = pdf_text(path)
        assert "Harbor Light Skin Center" in text
        assert "(555) 019-7750" in text
        assert PdfReader(path).metadata.author == "Harbor Light Skin Center"
        for trace in DEFAULT_TRACES:
            assert trace not in text
            assert trace.encode() not in pdf_strings(path)
    for html in (harbor_build / "html").rglob("*.html"):
        for trace in DEFAULT_TRACES + ("#204a87", "#a33d00"):
            assert trace not in html.read_text()


def test_brand_colours_reach_the_page(harbor_build):
    brochure = pypdfium2.PdfDocument(harbor_build / "out/en/letter/brochure.pdf")
    cover = brochure[0].render(scale=0.5).to_pil().convert("RGB")
    assert cover.getpixel((cover.width - 10, cover.height - 10)) == (0x0F, 0x5C, 0x4C)
    handout = pypdfium2.PdfDocument(harbor_build / "out/en/letter/about-patches.pdf")
    page = handout[0].render(scale=1).to_pil().convert("RGB")
    colours = {colour for _, colour in page.getcolors(maxcolors=1 << 20)}
    assert (0x0F, 0x5C, 0x4C) in colours  # headings, rules and box borders
    assert (0x20, 0x4A, 0x87) not in colours  # the sample clinic's primary


def test_qr_code_points_at_the_brand_website(harbor_build):
    brochure = pypdfium2.PdfDocument(harbor_build / "out/en/letter/brochure.pdf")
    back = brochure[len(brochure) - 1].render(scale=3).to_pil()
    codes = zxingcpp.read_barcodes(back)
    assert [c.text for c in codes] == ["https://harborlight-skin.example.net/vitiligo"]


def test_default_brand_qr_code(sample_build):
    brochure = pypdfium2.PdfDocument(sample_build / "en/letter/brochure.pdf")
    back = brochure[len(brochure) - 1].render(scale=3).to_pil()
    assert [c.text for c in zxingcpp.read_barcodes(back)] == ["https://sample-skin.example.org"]
