"""Visual aids: the JAK diagram, the trial chart drawn from the drug data, the session log and the
questions checklist, each captioned, with alt text, and seen by the PEMAT checks."""

from __future__ import annotations

import re

from pypdf import PdfReader

from conftest import REPO, pdf_text, run
from test_accessibility import figure_elements


def figure_alts(path) -> list[str]:
    return [str(figure.get("/Alt", "")) for figure in figure_elements(PdfReader(path))]


def test_trial_chart_is_laid_out_from_the_drug_data():
    from handout_builder.render.charts import BAR_SPACE, trial_chart
    from handout_builder.content.library import load_library

    chart = trial_chart(load_library(REPO).drugs["ruxolitinib-cream"])
    bars = [(g.heading, b.label, b.value, b.length) for g in chart.groups for b in g.bars]
    # Rounded figures (the FDA page's "about 30% vs about 8-13%"); week 52 is "about half", with no
    # percentage, so it is in the results table but not drawn as an exact bar.
    assert bars == [
        ("TRuE-V1, week 24", "With Opzelura", "30 in 100", round(BAR_SPACE * 0.30, 1)),
        ("TRuE-V1, week 24", "Without the medicine", "8 in 100", round(BAR_SPACE * 0.08, 1)),
        ("TRuE-V2, week 24", "With Opzelura", "30 in 100", round(BAR_SPACE * 0.30, 1)),
        ("TRuE-V2, week 24", "Without the medicine", "13 in 100", round(BAR_SPACE * 0.13, 1))]
    assert chart.sources == ("fda-opzelura-vitiligo-2022", "mdedge-true-v-eadv-2021")
    assert "TRuE-V2, week 24: with Opzelura, 30 in 100; without the medicine, 13 in 100" in chart.title


def test_a_changed_figure_in_the_drug_file_changes_the_chart(project):
    drug = project / "handouts/drugs/testinib.en.yaml"
    drug.write_text(drug.read_text().replace("this_drug_percent: 30", "this_drug_percent: 64"))
    result = run("build", "testinib", project=project)
    assert result.exit_code == 0, result.output
    pdf = project / "out/en/letter/testinib.pdf"
    assert "64 in 100" in pdf_text(pdf)
    assert any("with Testo, 64 in 100" in alt for alt in figure_alts(pdf))


def test_real_handouts_carry_the_visual_aids_with_captions_and_alt_text(real_build):
    letter = real_build / "en/letter"
    diagram = " ".join(pdf_text(letter / "how-jak-inhibitors-work.pdf").split())
    assert "A JAK inhibitor blocks the signal here" in diagram
    assert "How a JAK inhibitor that blocks JAK1 and JAK2 breaks the loop. T cells send IFN-gamma." in diagram
    assert any(alt.startswith("Diagram of a loop.") and "stops the step from the JAKs to the STATs" in alt
               for alt in figure_alts(letter / "how-jak-inhibitors-work.pdf"))
    chart = " ".join(pdf_text(letter / "ruxolitinib-cream.pdf").split())
    assert re.search(r"About how many people in 100 reached the goal \(F-VASI75: white on the face down by "
                     r"three quarters or more\) in each study\. Longer bars mean more people\.\d+,\d+", chart)
    assert "No comparison group after week 24" in chart  # the week-52 row, in the table only
    log = " ".join(pdf_text(letter / "phototherapy.pdf").split())
    assert "My light session log." in log and "Date Time in the light Redness after Notes" in log
    checklist = " ".join(pdf_text(letter / "vitiligo-treatments.pdf").split())
    assert "Questions to ask your dermatologist." in checklist and "My own questions:" in checklist


def test_pemat_sees_the_captioned_figures_and_the_tools():
    result = run("check", "--pemat", project=REPO)
    assert result.exit_code == 0, result.output
    sheets = {m[1]: m[0] for m in re.finditer(r"^(\S+): understandability.*?(?=^\S+: understandability|\Z)",
                                              result.output, flags=re.MULTILINE | re.DOTALL)}
    for slug in ("how-jak-inhibitors-work", "ruxolitinib-cream", "phototherapy", "vitiligo-treatments"):
        assert re.search(r"17 pass visual aids have captions  \(1 figure", sheets[slug]), slug
    assert "23 pass a tangible tool (checklist, log) where it helps  (a log)" in sheets["phototherapy"]
    assert "23 pass a tangible tool (checklist, log) where it helps  (a checklist)" in \
        sheets["vitiligo-treatments"]
