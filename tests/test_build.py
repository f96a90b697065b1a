"""Building the sample clinic: outputs, manifest, PDF structure and metadata."""

from __future__ import annotations

import hashlib
import json

from pypdf import PdfReader

from conftest import assert_tagged, pdf_text, run


def test_build_writes_every_handout_the_brochure_and_the_manifest(sample_build):
    manifest = json.loads((sample_build / "manifest.json").read_text())
    assert [(e["slug"], e["kind"], e["paper"], e["variant"]) for e in manifest] == [
        ("about-patches", "topic", "letter", "regular"),
        ("brochure", "brochure", "letter", "regular"),
        ("testinib", "drug", "letter", "regular"),
    ]
    for entry in manifest:
        data = (sample_build / entry["path"]).read_bytes()
        assert entry["bytes"] == len(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["pages"] == len(PdfReader(sample_build / entry["path"]).pages)
        assert entry["lang"] == "en"


def test_every_pdf_names_the_clinic_title_and_page_numbers(sample_build):
    for entry in json.loads((sample_build / "manifest.json").read_text()):
        text = pdf_text(sample_build / entry["path"])
        assert "Sample Skin Clinic" in text
        assert "(555) 010-0000" in text
        assert entry["title"].split(" (")[0] in text
        assert "Page 1 of" in text
        assert "Talk to your dermatologist" in text


def test_pdfs_are_tagged_with_metadata_and_embedded_fonts(sample_build):
    reader = PdfReader(sample_build / "en/letter/testinib.pdf")
    assert_tagged(reader)
    meta = reader.metadata
    assert meta.title == "Testo (testinib cream) | Sample Skin Clinic"
    assert meta.author == "Sample Skin Clinic"
    assert meta.subject.startswith("Testo is a cream for pale patches")
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = (font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
                          if "/DescendantFonts" in font else font["/FontDescriptor"])
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), font
            assert "/ToUnicode" in font


def test_a4_paper(project):
    result = run("build", "testinib", "--paper", "a4", project=project)
    assert result.exit_code == 0, result.output
    box = PdfReader(project / "out/en/a4/testinib.pdf").pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)


def test_letter_is_the_default(sample_build):
    box = PdfReader(sample_build / "en/letter/testinib.pdf").pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)


def test_build_prints_every_written_path(project):
    result = run("build", "about-patches", project=project)
    assert result.exit_code == 0
    pdf = project / "out/en/letter/about-patches.pdf"
    pages = len(PdfReader(pdf).pages)
    assert pages > 1  # the sample topic runs onto a second page: the plural is exercised
    assert f"wrote {pdf} ({pages} pages)" in result.output
    assert f"wrote {project / 'out/manifest.json'}" in result.output
    assert "brochure" not in result.output


def test_a_glossary_word_with_an_apostrophe_is_defined_in_words_to_know(project):
    glossary = project / "handouts/glossary.en.yaml"
    glossary.write_text(glossary.read_text() + "Crohn's disease: a long-lasting illness of the gut.\n")
    topic = project / "handouts/topics/about-patches.en.md"
    topic.write_text(topic.read_text().replace("We can treat it.", "We can treat it, even with Crohn's disease."))
    result = run("build", "about-patches", project=project)
    assert result.exit_code == 0, result.output + result.stderr  # was a KeyError: a crash, exit 3
    text = pdf_text(project / "out/en/letter/about-patches.pdf")
    assert "Crohn's disease\na long-lasting illness of the gut." in text.replace("’", "'")
