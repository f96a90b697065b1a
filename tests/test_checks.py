"""`make-handouts check`: reading level, PEMAT items, contrast, alt text, review dates, drafts and the
boxed-warning rule for JAK inhibitors."""

from __future__ import annotations

import json
import re

import pytest
from pypdf import PdfReader

from conftest import LONG_WINDED_SECTION, pdf_text, run
from handout_builder.content.contrast import contrast_ratio
from handout_builder.checks.counting import Counts, visible_blocks
from handout_builder.checks.reading_en import count_english as count, syllables
from handout_builder.checks.review import add_months

TOPIC = "handouts/topics/about-patches.en.md"
DRUG = "handouts/drugs/testinib.en.yaml"
BRAND = "handouts/clinic.toml"


# --- reading level --------------------------------------------------------------------------------

def test_syllables_come_from_the_dictionary_and_unknown_words_are_counted_by_vowel_groups():
    # cmudict: vitiligo 4, patches 2, cannot 2, every 3; not in it: the drug and cell names.
    assert [syllables(w) for w in ("vitiligo", "patches", "cannot", "every", "skin")] == [4, 2, 2, 3, 1]
    assert [syllables(w) for w in ("melanocytes", "ruxolitinib", "Opzelura", "upadacitinib")] == [4, 5, 4, 6]
    assert syllables("follow-up") == 3
    assert syllables("12") == 1


def test_counts_and_grades_match_figures_worked_by_hand():
    # "Vitiligo(4) makes(1) pale(1) patches(2) on(1) your(1) skin(1)." 7 words, 11 syllables;
    # "You(1) cannot(2) catch(1) it(1)." 4 words, 5 syllables. One word of 3+ syllables.
    counts = count(["Vitiligo makes pale patches on your skin. You cannot catch it."])
    assert counts == Counts(sentences=2, words=11, syllables=16, polysyllables=1)
    # FK = 0.39 x 11/2 + 11.8 x 16/11 - 15.59 = 3.7186; SMOG = 1.043 x sqrt(1 x 30/2) + 3.1291 = 7.1687
    assert counts.grade == pytest.approx(3.7186, abs=1e-3)
    assert counts.smog == pytest.approx(7.1687, abs=1e-3)
    # A list item with no full stop is still a sentence of its own; "Dr." does not end one.
    assert count(["Use sunscreen", "Ask Dr. Lee. Call us"]).sentences == 3


def test_visible_text_drops_citation_numbers_and_splits_blocks():
    html = ('<p>Patches are pale<sup class="cite" data-cite="x"></sup>.</p><ul><li>One</li><li>Two &amp; '
            '<span data-term="melanocytes">melanocytes</span></li></ul>')
    assert visible_blocks(html) == ["Patches are pale.", "One", "Two & melanocytes"]


def test_check_prints_raw_and_adjusted_grades(project):
    result = run("check", "--today", "2026-11-01", project=project)
    assert result.exit_code == 0, result.output
    # "melanocytes" is a glossary term: one short word in the adjusted figure, four syllables raw.
    line = next(li for li in result.output.splitlines() if "section 'What happens in your skin'" in li)
    adjusted, raw = map(float, re.search(r"grade\s+(-?[\d.]+) \(raw\s+(-?[\d.]+)\)", line).groups())
    assert adjusted < raw
    assert "handout 'About patches'" in result.output
    assert "1 topics and 1 drugs checked: no problems." in result.output


def test_a_long_winded_section_fails_naming_file_section_grade_and_limit(project):
    topic = project / TOPIC
    text = topic.read_text()
    heading_line = len(text.splitlines()) + 2
    topic.write_text(text + LONG_WINDED_SECTION)
    result = run("check", "--today", "2026-11-01", project=project)
    assert result.exit_code == 1
    match = re.search(rf"^{TOPIC}:{heading_line}: error: section 'Why treatment takes time' reads at grade "
                      r"(\d+\.\d) \(limit 8\.0\) \[reading-level\]$", result.output, re.MULTILINE)
    assert match, result.output
    assert float(match[1]) > 8.0
    # The whole handout is graded too, against the stricter handout limit.
    assert re.search(rf"^{TOPIC}:2: error: handout 'About patches' reads at grade \d+\.\d \(limit 6\.0\) "
                     r"\[reading-level\]$",
                     result.output, re.MULTILINE)
    assert "the content needs work" in result.output


# --- PEMAT ---------------------------------------------------------------------------------------

def test_check_pemat_prints_a_sheet_for_every_handout(project):
    result = run("check", "--pemat", "--today", "2026-11-01", project=project)
    assert result.exit_code == 0, result.output
    # testinib's trial chart is a captioned figure, so item 17 is scored for it too; item 9 (headings) is
    # not scored for a drug: its headings are the template's.
    for slug, items in (("about-patches", 7), ("testinib", 7)):
        assert f"{slug}: understandability 100% of {items} automatable items, actionability 100% of 3" \
            in result.output
    assert "  22 pass actions in numbered steps" in result.output
    assert "   9 n/a  informative headings  (drug pages use the template's headings)" in result.output
    assert "needs a human: 1 purpose evident;" in result.output
    assert "23 a tangible tool (checklist, log) where it helps" in result.output


def test_generic_headings_and_talk_about_patients_fail_their_pemat_items(project):
    topic = project / TOPIC
    text = topic.read_text().replace("## How we can help", "## Overview")
    text = text.replace("We can treat it.", "Patients get treatment. Patients see us. Patients rest.")
    topic.write_text(text)
    line = text.splitlines().index("## Overview") + 1
    result = run("check", "--pemat", "--today", "2026-11-01", project=project)
    assert result.exit_code == 1
    assert (f"{TOPIC}:{line}: error: PEMAT item 9 (informative headings) fails: heading 'Overview' says "
            "nothing about its section [pemat]") in result.output
    assert "PEMAT item 21 (addresses the reader as \"you\") fails" in result.output
    assert "about-patches: understandability 86% of 7 automatable items, actionability 67% of 3" \
        in result.output


def test_a_medical_word_outside_the_glossary_fails_pemat_item_4_at_its_line(project):
    topic = project / TOPIC
    topic.write_text(topic.read_text().replace("We can treat it.", "We can treat it.\n\nIt is not dermatitis."))
    line = topic.read_text().splitlines().index("It is not dermatitis.") + 1
    result = run("check", "--today", "2026-11-01", project=project)
    assert result.exit_code == 1
    assert (f"{TOPIC}:{line}: error: PEMAT item 4 (medical terms defined on first use) fails: not in the "
            "glossary: dermatitis [pemat]") in result.output


# --- contrast and alt text -----------------------------------------------------------------------

def test_contrast_ratio_follows_wcag():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # just under AA
    assert contrast_ratio("#ffffff", "#204a87") == contrast_ratio("#204a87", "#ffffff")


def test_a_passing_palette_is_accepted(project):
    brand = project / BRAND
    brand.write_text(brand.read_text().replace("#204a87", "#595959").replace("#a33d00", "#949494"))
    assert run("check", "--today", "2026-11-01", project=project).exit_code == 0  # 7.0:1 and 3.0:1


def test_a_failing_palette_is_refused_by_check_and_build(project):
    brand = project / BRAND
    brand.write_text(brand.read_text().replace("#204a87", "#aaaaaa").replace("#a33d00", "#bbbbbb"))
    expected = [f"{BRAND}:10: error: colour primary #aaaaaa on white #ffffff has contrast 2.3:1; needs at least "
                "4.5:1 [contrast]",
                f"{BRAND}:11: error: colour accent #bbbbbb on white #ffffff has contrast 1.9:1; needs at least "
                "3.0:1 [contrast]"]
    for command in ("check", "build"):
        result = run(command, project=project)
        assert result.exit_code == 1
        assert result.output.splitlines()[:2] == expected
    assert not (project / "out").exists()


def test_check_grades_the_leaflet_and_reports_a_hard_leaflet_summary_at_its_line(project):
    result = run("check", "--today", "2026-11-01", project=project)
    assert result.exit_code == 0, result.output + result.stderr
    assert re.search(r"^leaflet \(en\)\n  grade +[\d.]+ .* the leaflet\n(  grade .*section 'Call us if'\n)",
                     result.output, re.MULTILINE)
    topic = project / TOPIC
    topic.write_text(topic.read_text().replace("reviewed_by:", "leaflet:\n  summary: Characteristically, "
                                               "depigmentation manifests asymmetrically, predominantly "
                                               "affecting photoexposed integumentary regions.\nreviewed_by:"))
    result = run("check", "--today", "2026-11-01", project=project)
    assert result.exit_code == 1
    problems = [line for line in result.stderr.splitlines() if "leaflet" in line]
    assert re.fullmatch(rf"{TOPIC}:11: error: the leaflet's section 'About patches' reads at grade \d+\.\d "
                        r"\(limit 8\.0\) \[reading-level\]", problems[-1]), problems


def test_check_refuses_a_leaflet_colour_below_aa(project):
    variables = project / "styles/variables.css"
    variables.write_text(variables.read_text().replace("--muted: #4a4a4a;", "--muted: #aaaaaa;"))
    result = run("check", "--today", "2026-11-01", project=project)
    assert result.exit_code == 1
    expected = ("styles/variables.css: error: leaflet: the disclaimer and the 'as of' dates, --muted #aaaaaa on "
                "--paper #ffffff, has contrast 2.3:1; needs at least 4.5:1 [contrast]")
    assert expected in result.stderr.splitlines()
    assert expected.replace("leaflet:", "leaflet (grayscale proof):") in result.stderr.splitlines()


def test_an_image_without_alt_text_is_refused(project):
    (project / "handouts/images").mkdir(exist_ok=True)
    (project / "handouts/images/patch.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    topic = project / TOPIC
    topic.write_text(topic.read_text() + "\n![](../images/patch.svg)\n")
    line = len(topic.read_text().splitlines())
    result = run("check", project=project)
    assert result.exit_code == 1
    assert (f"{TOPIC}:{line}: error: image ../images/patch.svg has no alt text: write "
            "![what it shows](../images/patch.svg) [alt-text]") in result.output


def test_a_template_that_drops_the_logo_alt_text_fails_the_check(project):
    template = project / "templates/handout.html.j2"
    template.write_text(template.read_text().replace('alt="{{ _("%(clinic)s logo", clinic=clinic.name) }}"', 'alt=""'))
    result = run("check", "--today", "2026-11-01", project=project)
    assert result.exit_code == 1
    assert f"{TOPIC}: error: image logo.svg has no alt text [alt-text]" in result.output
    assert f"{DRUG}: error: image logo.svg has no alt text [alt-text]" in result.output


# --- review dates and drafts ---------------------------------------------------------------------

def test_add_months_keeps_the_day_or_takes_the_month_end():
    from datetime import date

    assert add_months(date(2026, 9, 1), 12) == date(2027, 9, 1)
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)


def test_overdue_reviews_warn_and_fail_with_strict(project):
    # testinib was reviewed 2026-09-01 every 12 months; about-patches 2026-10-01.
    warning = (f"{DRUG}:54: warning: review overdue: reviewed 2026-09-01 by Dr. Test, due every 12 months, "
               "so by 2027-09-01 [review-overdue]")
    result = run("check", "--today", "2027-09-15", project=project)
    assert result.exit_code == 0
    assert warning in result.stderr
    assert "about-patches" not in result.stderr
    strict = run("check", "--today", "2027-09-15", "--strict", project=project)
    assert strict.exit_code == 1
    assert (f"{DRUG}:54: error: review overdue: reviewed 2026-09-01 by Dr. Test, due every 12 months, "
            "so by 2027-09-01 [review-overdue]") in strict.output
    assert run("check", "--today", "2027-08-31", "--strict", project=project).exit_code == 0


def test_list_shows_the_age_of_each_review_and_marks_overdue_ones(project):
    result = run("list", "--today", "2027-09-15", project=project)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].endswith("About patches  (11 months ago)")
    assert lines[1].endswith("Testo (testinib cream)  (12 months ago, OVERDUE since 2027-09-01)")
    rows = json.loads(run("list", "--json", "--today", "2027-09-15", project=project).output)
    assert [(r["slug"], r["review_age_months"], r["overdue"], r["review_due_on"]) for r in rows] == [
        ("about-patches", 11, False, "2027-10-01"), ("testinib", 12, True, "2027-09-01")]


def _grey_watermark_pixels(pdf_path, page: int = 0) -> int:
    """Pixels of exactly the watermark's light grey (#d0d0d0) on a rendered page."""
    import pypdfium2

    image = pypdfium2.PdfDocument(str(pdf_path))[page].render(scale=1).to_pil().convert("RGB")
    counts = {colour: n for n, colour in image.getcolors(maxcolors=1 << 24)}
    return counts.get((208, 208, 208), 0)


def test_a_draft_has_a_watermark_and_stays_out_of_the_brochure_unless_asked(project, sample_build):
    topic = project / TOPIC
    topic.write_text(topic.read_text().replace("review_every_months: 12", "review_every_months: 12\ndraft: true"))
    assert run("build", project=project).exit_code == 0
    out = project / "out/en/letter"
    # Anti-aliased text makes a few such pixels anywhere; the watermark makes thousands.
    assert _grey_watermark_pixels(out / "about-patches.pdf") > 3000
    assert _grey_watermark_pixels(sample_build / "en/letter/about-patches.pdf") < 300
    assert "/StructTreeRoot" in PdfReader(out / "about-patches.pdf").trailer["/Root"]  # still tagged
    assert "About patches" not in pdf_text(out / "brochure.pdf")
    assert "About patches" in pdf_text(sample_build / "en/letter/brochure.pdf")
    assert run("build", "--include-drafts", project=project).exit_code == 0
    assert "About patches" in pdf_text(out / "brochure.pdf")


def test_a_draft_stays_out_of_the_leaflet_unless_asked(project):
    topic = project / TOPIC
    topic.write_text(topic.read_text().replace("review_every_months: 12", "review_every_months: 12\ndraft: true"))
    leaflet = project / "out/en/letter/leaflet.pdf"
    assert run("build", "--leaflet", project=project).exit_code == 0
    assert "About patches" not in pdf_text(leaflet)
    assert run("build", "--leaflet", "--include-drafts", project=project).exit_code == 0
    assert "About patches" in pdf_text(leaflet)


# --- boxed warning for JAK inhibitors ------------------------------------------------------------

JAK_MESSAGE = ("a JAK inhibitor must say whether its label carries a boxed warning: give "
               "boxed_warning.present (true, false or unconfirmed) and the label in boxed_warning.sources")


def _new_jak_drug(project, boxed_warning: str) -> str:
    text = (project / DRUG).read_text()
    start = text.index("boxed_warning:")
    end = text.index("monitoring:")
    text = text[:start] + boxed_warning + text[end:]
    (project / "handouts/drugs/newjak.en.yaml").write_text(text.replace("Testo", "Newjak"))
    return "handouts/drugs/newjak.en.yaml"


def test_a_new_jak_drug_that_leaves_the_boxed_warning_unsaid_fails(project):
    path = _new_jak_drug(project, "boxed_warning:\n  text: Pills of this kind can cause serious infections.\n"
                                  "  sources: [test-label]\n")
    result = run("check", project=project)
    assert result.exit_code == 1
    assert f"{path}:44: error: {JAK_MESSAGE} [boxed-warning]" in result.output


def test_a_new_jak_drug_with_an_unsourced_boxed_warning_fails(project):
    path = _new_jak_drug(project, "boxed_warning:\n  present: false\n  text: None.\n  sources: []\n")
    result = run("check", project=project)
    assert result.exit_code == 1
    assert f"{path}:44: error: {JAK_MESSAGE} [boxed-warning]" in result.output


def test_a_new_jak_drug_that_states_its_boxed_warning_passes(project):
    _new_jak_drug(project, "boxed_warning:\n  present: false\n  text: The label has no boxed warning.\n"
                           "  sources: [test-label]\n")
    # English only: the sample's Spanish edition has no newjak yet (the parity check would say so).
    result = run("check", "--lang", "en", "--today", "2026-11-01", project=project)
    assert result.exit_code == 0, result.output


def test_a_drug_without_a_boxed_warning_has_no_boxed_warning_section_to_grade(project):
    """`present: false` prints no box; it used to be a string tested as a bool, so `check` graded a
    "Boxed warning" section that the PDF never printed."""
    drug = project / DRUG
    drug.write_text(drug.read_text().replace("  present: true\n", "  present: false\n"))
    result = run("check", "--lang", "en", "--today", "2026-11-01", project=project)
    assert result.exit_code == 0, result.output + result.stderr
    testinib = result.output.split("testinib (")[1].split("leaflet (")[0]
    assert "section 'Boxed warning'" not in testinib
    assert "section 'What it is'" in testinib
    assert run("build", "testinib", project=project).exit_code == 0
    assert "Boxed warning" not in pdf_text(project / "out/en/letter/testinib.pdf")


def test_a_boxed_warning_answer_is_not_a_bool():
    from handout_builder.model import Answer

    for answer in Answer:
        with pytest.raises(TypeError):
            bool(answer)
