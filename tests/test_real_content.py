"""The real content in handouts/: it passes every check, and a full build gives the clinic's PDFs
with the structure the front desk, patients and screen readers rely on."""

from __future__ import annotations

import json
import re

from pypdf import PdfReader

from conftest import REPO, assert_contents_match_chapters, assert_tagged, pdf_text, run

TOPICS = ["how-jak-inhibitors-work", "phototherapy", "side-effects-and-risks", "vitiligo-treatments",
          "what-is-vitiligo"]
DRUGS = ["baricitinib", "ritlecitinib", "ruxolitinib-cream", "upadacitinib"]


def test_real_content_passes_every_check():
    result = run("check", "--strict", project=REPO)
    assert result.exit_code == 0, result.output + result.stderr
    assert result.output.strip().endswith("5 topics and 4 drugs checked: no problems.")


def test_full_build_makes_every_handout_and_the_brochure_in_letter(real_build):
    manifest = json.loads((real_build / "manifest.json").read_text())
    assert sorted((e["kind"], e["slug"]) for e in manifest) == sorted(
        [("topic", s) for s in TOPICS] + [("drug", s) for s in DRUGS] + [("brochure", "brochure")])
    assert {(e["lang"], e["paper"], e["variant"]) for e in manifest} == {("en", "letter", "regular")}


def test_every_pdf_has_clinic_title_and_page_numbers(real_build):
    for entry in json.loads((real_build / "manifest.json").read_text()):
        text = pdf_text(real_build / entry["path"])
        assert "Maple Grove Dermatology" in text, entry["path"]
        assert "(555) 014-2300" in text, entry["path"]
        assert not re.search(r"\(555\)\s*\n\s*014", text), f"{entry['path']}: the phone number breaks over two lines"
        assert entry["title"] in " ".join(text.split()), entry["path"]
        assert "Page 1 of" in text, entry["path"]
        assert "Talk to your dermatologist" in text, entry["path"]


def test_regulatory_status_is_always_dated(real_build):
    for slug in DRUGS:
        text = " ".join(pdf_text(real_build / f"en/letter/{slug}.pdf").split())
        assert len(re.findall(r"\(checked (January|February|March|April|May|June|July|August|September|"
                              r"October|November|December) 20\d\d\)", text)) >= 2, slug


def test_unconfirmed_facts_are_not_printed_as_facts(real_build):
    # The facts sheet marks Litfulo's boxed warning as UNCONFIRMED: the handout must not say "Yes".
    table = " ".join(pdf_text(real_build / "en/letter/vitiligo-treatments.pdf").split())
    assert re.search(r"Litfulo ritlecitinib .*? Not confirmed: ask us", table)
    litfulo = " ".join(pdf_text(real_build / "en/letter/ritlecitinib.pdf").split())
    assert "Boxed warning: ask us" in litfulo
    for slug in ("upadacitinib", "baricitinib", "ritlecitinib"):  # approved for vitiligo nowhere yet
        text = " ".join(pdf_text(real_build / f"en/letter/{slug}.pdf").split())
        assert "Approved (checked" not in text, slug


def test_brochure_contents_page_numbers_match_where_chapters_start(real_build):
    reader = PdfReader(real_build / "en/letter/brochure.pdf")
    assert_contents_match_chapters(reader, len(TOPICS) + len(DRUGS) + 2)


def test_brochure_outline_has_every_topic_and_drug(real_build):
    reader = PdfReader(real_build / "en/letter/brochure.pdf")
    top = [item for item in reader.outline if not isinstance(item, list)]
    titles = [item.title for item in top]
    library_titles = {h["slug"]: h["title"] for h in json.loads(run("list", "--json", project=REPO).output)}
    for slug in TOPICS + DRUGS:
        assert library_titles[slug] in titles, slug
    assert "Words to know" in titles and "Sources" in titles
    for item in top:  # each bookmark opens the page its contents entry names
        page = reader.get_destination_page_number(item)
        assert item.title.split(" (")[0] in reader.pages[page].extract_text()


def font_programs_per_face(reader) -> dict[str, int]:
    """Face name (subset prefix dropped) -> how many distinct embedded program objects it has."""
    programs: dict[str, set] = {}

    def walk(resources, seen) -> None:
        resources = resources.get_object() if resources is not None else {}
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            fonts = [d.get_object() for d in font.get("/DescendantFonts", [])] or [font]
            for each in fonts:
                descriptor = each["/FontDescriptor"].get_object()
                face = str(descriptor["/FontName"]).split("+")[-1]
                for key in ("/FontFile2", "/FontFile3", "/FontFile"):
                    if key in descriptor:
                        programs.setdefault(face, set()).add(descriptor.raw_get(key).idnum)
        for xobject in (resources.get("/XObject") or {}).values():
            if xobject.idnum not in seen:
                seen.add(xobject.idnum)
                walk(xobject.get_object().get("/Resources"), seen)

    for page in reader.pages:
        walk(page.get("/Resources"), set())
    return {face: len(ids) for face, ids in sorted(programs.items())}


def test_brochure_is_one_tagged_document(real_build):
    reader = PdfReader(real_build / "en/letter/brochure.pdf")
    assert_tagged(reader)
    assert reader.metadata.title == "Vitiligo and its treatments | Maple Grove Dermatology"
    assert reader.metadata.author == "Maple Grove Dermatology"
    # One embedded program per font face, not one per chapter as a merge would give: every font
    # dictionary of a face, on every page and in every form, points at the same program object.
    assert font_programs_per_face(reader) == {"Atkinson-Hyperlegible": 1, "Atkinson-Hyperlegible-Bold": 1}
    # Continuous page numbers across chapters (the back cover, like the front, has no footer).
    n = len(reader.pages)
    for number in range(1, n):
        assert f"Page {number} of {n}" in reader.pages[number - 1].extract_text()


def test_the_font_program_count_sees_a_merge_of_two_handouts(real_build, tmp_path):
    from pypdf import PdfWriter

    writer = PdfWriter()
    for slug in ("upadacitinib", "baricitinib"):
        writer.append(real_build / f"en/letter/{slug}.pdf")
    writer.write(tmp_path / "merged.pdf")
    assert font_programs_per_face(PdfReader(tmp_path / "merged.pdf")) == {
        "Atkinson-Hyperlegible": 2, "Atkinson-Hyperlegible-Bold": 2}


def test_real_print_shop_brochure_booklet_and_leaflet_build(tmp_path, real_press_build):
    """The print products from the real content: print-shop (for a press, built once: conftest) and booklet
    on letter, the leaflet on A4 (letter's leaflet is the tighter fit in width, A4's in height; both papers
    would double the time)."""
    out = tmp_path / "out"
    result = run("build", "--booklet", "--out", str(out), project=REPO)
    assert result.exit_code == 0, result.output
    shop = PdfReader(real_press_build / "en/letter/brochure.print-shop.pdf")
    assert len(shop.pages) % 4 == 0
    assert len(PdfReader(out / "en/letter/brochure.booklet.pdf").pages) == len(shop.pages) // 2
    result = run("build", "--leaflet", "--paper", "a4", "--out", str(out), project=REPO)
    assert result.exit_code == 0, result.output
    leaflet = PdfReader(out / "en/a4/leaflet.pdf")
    assert len(leaflet.pages) == 2
    outside, inside = (" ".join(page.extract_text().split()) for page in leaflet.pages)
    assert "Call 911" in outside and "Phone (555) 014-2300" in outside  # the flap's last lines are there
    for slug in TOPICS:
        assert re.search(r"^title: (.*)$", (REPO / f"handouts/topics/{slug}.en.md").read_text(),
                         re.MULTILINE)[1] in inside
    assert len(re.findall(r"(?:United States|Europe): [A-Za-z ]+ \(checked \w+ 20\d\d\)", inside)) == 2 * len(DRUGS)


def test_every_drug_pdf_prints_the_emergency_block_above_call_us_if(real_build):
    """Issue 14: the signs that mean 911 are printed apart from, and before, "Call us if" (never under it)."""
    for slug in [*DRUGS, "side-effects-and-risks"]:
        text = " ".join(pdf_text(real_build / f"en/letter/{slug}.pdf").split())
        block = text.index("Call 911 (or your local emergency number) if you have any of these signs:")
        call_us = text.index("Call us if")
        assert block < call_us, slug
        assert "Chest pain" in text[block:call_us] and "911" not in text[call_us:], slug
