"""`build` runs the checks `check` runs: their errors stop it (nothing written, earlier PDFs untouched),
their warnings are printed; and the documented rules that only people enforced before: at most five key
points, no review date in the future."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import LONG_WINDED_SECTION, edit, run

TOPIC = "handouts/topics/about-patches.en.md"
TOPIC_ES = "handouts/topics/about-patches.es.md"
DRUG = "handouts/drugs/testinib.en.yaml"
TODAY = ("--today", "2026-11-01")  # after the sample's reviews (2026-09-01, 2026-10-01), before any is due


def failed_build(project: Path, *args: str) -> list[str]:
    """The problem lines of a build that must stop before writing anything."""
    result = run("build", *TODAY, *args, project=project)
    assert result.exit_code == 1, result.output
    assert not (project / "out").exists(), "a build that fails its checks writes nothing"
    lines = result.stderr.strip().splitlines()
    assert lines[-1].endswith("nothing was built.")
    return lines[:-1]


def test_a_section_far_above_grade_8_stops_the_build(project):
    topic = project / TOPIC
    text = topic.read_text()
    heading_line = len(text.splitlines()) + 2
    topic.write_text(text + LONG_WINDED_SECTION)
    problems = failed_build(project)
    assert any(re.fullmatch(rf"{TOPIC}:{heading_line}: error: section 'Why treatment takes time' reads at "
                            r"grade \d+\.\d \(limit 8\.0\) \[reading-level\]", p) for p in problems), problems
    # The same lines as `check` prints.
    checked = run("check", *TODAY, project=project)
    assert checked.exit_code == 1
    assert set(problems) <= set(checked.stderr.splitlines())


def test_a_medical_word_outside_the_glossary_stops_the_build(project):
    edit(project, TOPIC, "We can treat it.", "We can treat it.\n\nIt is not dermatitis.")
    line = (project / TOPIC).read_text().splitlines().index("It is not dermatitis.") + 1
    assert (f"{TOPIC}:{line}: error: PEMAT item 4 (medical terms defined on first use) fails: not in the "
            "glossary: dermatitis [pemat]") in failed_build(project)


def test_a_spanish_handout_behind_the_english_stops_the_build_of_either(project):
    edit(project, TOPIC, "reviewed_on: 2026-10-01", "reviewed_on: 2026-10-15")
    message = (f"{TOPIC_ES}:12: error: stale: reviewed_on is 2026-10-01, but {TOPIC} was reviewed on 2026-10-15; "
               "bring the translation up to date and give it the same date [parity]")
    assert message in failed_build(project, "--lang", "all")
    # Building the Spanish alone compares it with the English too: it is the edition that fell behind.
    assert message in failed_build(project, "--lang", "es")
    result = run("build", *TODAY, "--lang", "en", project=project)
    assert result.exit_code == 0, result.output


def test_a_failed_check_leaves_earlier_pdfs_untouched(project):
    assert run("build", *TODAY, project=project).exit_code == 0
    pdf = project / "out/en/letter/about-patches.pdf"
    before = pdf.read_bytes(), (project / "out/manifest.json").read_bytes()
    edit(project, TOPIC, "We can treat it.", "We can treat it.\n\nIt is not dermatitis.")
    result = run("build", *TODAY, project=project)
    assert result.exit_code == 1
    assert "PEMAT item 4" in result.stderr
    assert (pdf.read_bytes(), (project / "out/manifest.json").read_bytes()) == before


def test_an_overdue_review_is_a_warning_and_the_build_goes_on(project):
    result = run("build", "--today", "2027-09-15", project=project)
    assert result.exit_code == 0, result.output
    assert (f"{DRUG}:54: warning: review overdue: reviewed 2026-09-01 by Dr. Test, due every 12 months, so by "
            "2027-09-01 [review-overdue]") in result.stderr.splitlines()
    assert (project / "out/en/letter/testinib.pdf").is_file()


def test_the_no_change_build_runs_no_checks(project):
    # Deciding that nothing changed reads raw files only; the checks run when something is rendered.
    assert run("build", *TODAY, project=project).exit_code == 0
    result = run("build", "--today", "2027-09-15", project=project)
    assert result.exit_code == 0
    assert result.output.startswith("up to date: 3 PDFs")
    assert "review-overdue" not in result.output


def test_a_review_date_in_the_future_is_an_error(project):
    problem = (f"{TOPIC}:12: error: reviewed_on 2026-10-01 is in the future (today is 2026-09-15): give the "
               "day the review was done [review-date]")
    result = run("build", "--today", "2026-09-15", "--lang", "en", project=project)
    assert result.exit_code == 1
    assert problem in result.stderr.splitlines()
    assert not (project / "out").exists()
    assert problem in run("check", "--today", "2026-09-15", project=project).stderr.splitlines()


def test_at_most_five_key_points(project):
    edit(project, TOPIC, "  - Treatment can help [@test-label].",
         "  - Treatment can help [@test-label].\n  - Three.\n  - Four.\n  - Five.\n  - Six.")
    problem = f"{TOPIC}:4: error: 'key_points' has 6 items; at most 5 [schema]"
    assert failed_build(project) == [problem]
    assert problem in run("check", project=project).stderr.splitlines()
    edit(project, TOPIC, "  - Six.\n", "")
    assert run("build", *TODAY, project=project).exit_code == 0


def test_at_most_five_key_points_in_a_drug_file_too(project):
    edit(project, DRUG, "  - It takes months to work.",
         "  - It takes months to work.\n  - Three.\n  - Four.\n  - Five.\n  - Six.")
    assert failed_build(project) == [f"{DRUG}:10: error: 'key_points' has 6 items; at most 5 [schema]"]


def test_a_rare_medical_word_is_a_warning_in_the_build(project):
    # The suffix list of PEMAT item 4 misses these; the hard-word rule (checks/safety.py) finds them.
    edit(project, DRUG, "  - It takes months to work.\n",
         "  - It takes months to work.\n  - It can cause thrombocytopenia and neutropenia.\n")
    line = (project / DRUG).read_text().splitlines().index("  - It can cause thrombocytopenia and neutropenia.") + 1
    result = run("build", *TODAY, project=project)
    assert result.exit_code == 0, result.output
    warnings = result.stderr.splitlines()
    assert (f'{DRUG}:{line}: warning: "thrombocytopenia" is not an everyday word (Zipf 2.24, below 3.0): use a '
            "plainer word, explain it in the same sentence, or add it to the glossary [hard-word]") in warnings
    assert any(w.startswith(f'{DRUG}:{line}: warning: "neutropenia" is not an everyday word') for w in warnings)
    assert (project / "out/en/letter/testinib.pdf").is_file()
