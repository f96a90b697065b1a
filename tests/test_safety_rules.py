"""`make-handouts check`'s safety and plain-language rules (emergency-routing, undated-status, numeracy,
hard-word, source-strength), the sources' kinds, and the claims ledger: each rule is shown failing on a
mistake planted in the sample clinic, at its file and line, and passing on correct text."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run

TOPIC = "handouts/topics/about-patches.en.md"
DRUG = "handouts/drugs/testinib.en.yaml"
DRUG_ES = "handouts/drugs/testinib.es.yaml"
SOURCES = "handouts/sources.yaml"
TODAY = ("--today", "2026-11-01")


def plant(project: Path, name: str, old: str, new: str) -> int:
    """Replace `old` with `new` in a content file; the line where `new` begins."""
    path = project / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    return text[:text.index(old)].count("\n") + 1


def problems(project: Path, *options: str, code: str) -> list[str]:
    result = run("check", *TODAY, *options, project=project)
    return [line for line in result.output.splitlines() if line.endswith(f"[{code}]")]


def test_the_sample_clinic_passes_every_rule(project):
    result = run("check", "--strict", *TODAY, project=project)
    assert result.exit_code == 0, result.output


# --- emergency-routing ----------------------------------------------------------------------------

def test_an_emergency_sign_under_call_us_if_is_an_error_at_its_line(project):
    line = plant(project, DRUG, "  - Your skin gets very red.\n",
                 "  - Your skin gets very red.\n  - You have signs of a stroke.\n") + 1
    assert problems(project, code="emergency-routing") == [
        f'{DRUG}:{line}: error: emergency sign "stroke" under the heading "Call us if": a reader with it would '
        "phone the clinic instead of 911; name emergency signs only in the emergency block [emergency-routing]"]


def test_spanish_signs_under_llamenos_si_are_errors(project):
    line = plant(project, DRUG_ES, "  - Su piel se pone muy roja.\n",
                 "  - Su piel se pone muy roja.\n  - Tiene dolor de pecho o le falta el aire.\n") + 1
    assert problems(project, "--lang", "es", code="emergency-routing") == [
        f'{DRUG_ES}:{line}: error: emergency signs "dolor de pecho", "le falta el aire" under the heading '
        '"Llámenos si": a reader with them would phone the clinic instead of 911; name emergency signs only in '
        "the emergency block [emergency-routing]"]


def test_a_template_heading_that_says_call_us_routes_the_signs_below_it(project):
    """Review W1: "Serious: call us right away" printed above "heart attack" and "stroke"."""
    template = project / "templates/partials/drug.html.j2"
    text = template.read_text()
    heading = next(h for h in ('_("Serious: call us right away")', '_("Serious side effects")') if h in text)
    template.write_text(text.replace(heading, '"Serious: call us right away"'))
    line = plant(project, DRUG, "    - Signs of infection, like fever.\n",
                 "    - Signs of infection, like fever.\n    - A heart attack\n      or a stroke.\n") + 1
    assert problems(project, code="emergency-routing") == [
        f'{DRUG}:{line}: error: emergency signs "heart attack", "stroke" under the heading "Serious: call us '
        'right away": a reader with them would phone the clinic instead of 911; name emergency signs only in '
        "the emergency block [emergency-routing]"]


def test_a_sentence_that_says_call_us_about_a_sign_is_an_error(project):
    line = plant(project, TOPIC, "We can treat it.\n",
                 "We can treat it. If you faint,\ncall us right away.\n") + 1
    assert problems(project, code="emergency-routing") == [
        f'{TOPIC}:{line - 1}: error: emergency sign "you faint" in a sentence that says "call us": a reader with '
        "it would phone the clinic instead of 911 [emergency-routing]"]


def test_a_sign_named_in_a_handout_without_an_emergency_block_is_an_error_at_its_line(project):
    plant(project, DRUG, "emergency: [stroke, heart-attack]\n", "")  # the sample drug's block goes
    line = plant(project, DRUG, "  text: Pills of this kind can cause serious infections [@test-label].\n",
                 "  text: >-\n    Pills of this kind can cause serious infections and\n"
                 "    blood clots in the lungs [@test-label].\n") + 2
    assert problems(project, code="emergency-routing") == [
        f'{DRUG}:{line}: error: emergency sign "blood clots in the lungs" named, but the handout has no '
        "emergency block (what to do and to call 911 for these signs) [emergency-routing]"]


def _plant_emergency_block(project: Path) -> None:
    """Content printed inside an emergency block: "call us if" items that say 911 go in a box of their own,
    class "emergency", above "Call us if" (the real block prints the signs of emergency.<lang>.yaml)."""
    template = project / "templates/partials/actions.html.j2"
    text = template.read_text()
    block = ('  <section class="emergency"><h3>Call 911 (or your local emergency number)</h3><ul>\n'
             '{% for item in handout.call_us_if if "911" in item %}<li>{{ notes.prose(item) }}</li>{% endfor %}\n'
             "  </ul></section>\n")
    text = text.replace('  <h3>{{ _("Call us if") }}</h3>', block + '  <h3>{{ _("Call us if") }}</h3>')
    template.write_text(text.replace("{% for item in handout.call_us_if %}",
                                     '{% for item in handout.call_us_if if "911" not in item %}'))


def test_signs_in_the_emergency_block_and_signs_named_beside_one_pass(project):
    _plant_emergency_block(project)
    plant(project, DRUG, "  - Your skin gets very red.\n",
          "  - Your skin gets very red.\n  - Call 911 if you have chest pain, trouble breathing or a face that droops.\n")
    plant(project, DRUG, "Pills of this kind can cause serious infections",
          "Pills of this kind can cause heart attacks, strokes and serious infections")
    result = run("check", "--strict", *TODAY, project=project)
    assert result.exit_code == 0, result.output


def test_an_emergency_block_that_does_not_say_911_does_not_count(project):
    template = project / "templates/partials/emergency.html.j2"
    text = template.read_text()
    assert "Call 911 (or your local emergency number) if" in text
    template.write_text(text.replace("Call 911 (or your local emergency number) if", "Be careful if"))
    line = plant(project, DRUG, "Pills of this kind can cause serious infections",
                 "Pills of this kind can cause strokes and serious infections")
    assert problems(project, code="emergency-routing") == [
        f'{DRUG}:{line}: error: emergency sign "strokes" named, but the handout has no emergency block (what to do '
        "and to call 911 for these signs) [emergency-routing]"]


# --- undated-status -------------------------------------------------------------------------------

def test_a_status_without_a_date_is_an_error(project):
    line = plant(project, DRUG, "  - It takes months to work.\n",
                 "  - It takes months to work.\n  - It is not approved in Europe.\n") + 1
    assert problems(project, code="undated-status") == [
        f'{DRUG}:{line}: error: regulatory status "not approved" with no date: say when it was last confirmed '
        '(e.g. "in February 2026", "as of June 2026"), or point to the dated status table ("the table below") '
        "[undated-status]"]


def test_a_spanish_status_without_a_date_is_an_error(project):
    line = plant(project, DRUG_ES, "  - Tarda meses en hacer efecto.\n",
                 "  - Tarda meses en hacer efecto.\n  - Está en revisión en Europa.\n") + 1
    assert problems(project, "--lang", "es", code="undated-status") == [
        f'{DRUG_ES}:{line}: error: regulatory status "en revisión" with no date: say when it was last confirmed '
        '(e.g. "in February 2026", "as of June 2026"), or point to the dated status table ("the table below") '
        "[undated-status]"]


def test_a_dated_status_and_one_that_points_at_the_dated_table_pass(project):
    plant(project, DRUG, "  - It takes months to work.\n",
          "  - It takes months to work.\n  - It was not approved in Europe in February 2026.\n")
    plant(project, TOPIC, "We can treat it.\n", "We can treat it. The table below says which medicines are "
          "approved.\n")
    plant(project, DRUG_ES, "  - Tarda meses en hacer efecto.\n",
          "  - Tarda meses en hacer efecto.\n  - En febrero de 2026 estaba en revisión en Europa.\n")
    result = run("check", "--strict", *TODAY, project=project)
    assert result.exit_code == 0, result.output


def test_pointing_at_a_table_the_handout_does_not_print_is_still_undated(project):
    plant(project, TOPIC, "\n[[drug-table]]\n", "\n")
    line = plant(project, TOPIC, "We can treat it.\n", "We can treat it. The table below says which medicines "
                 "are approved.\n")
    assert [p.split(": error: ")[0] for p in problems(project, code="undated-status")] == [f"{TOPIC}:{line}"]


# --- numeracy -------------------------------------------------------------------------------------

def test_people_counted_with_decimals_are_errors_in_text_and_in_the_chart(project):
    line = plant(project, DRUG, "    this_drug: 3 in 10 people\n    this_drug_percent: 30\n",
                 "    this_drug: 29.9 in 100 people\n    this_drug_percent: 29.9\n")
    assert problems(project, code="numeracy") == [
        f'{DRUG}:{line}: error: "29.9 in 100" counts people with a decimal: write a whole number, e.g. "about 30 '
        'in 100" [numeracy]',
        f'{DRUG}:{line + 1}: error: 29.9 is drawn in the chart as "29.9 in 100": round it to a whole number (30) '
        "[numeracy]"]


def test_spanish_decimal_counts_and_decimal_percentages_are_errors(project):
    line = plant(project, DRUG_ES, "what_to_expect: El color puede tardar 6 meses en volver.\n",
                 "what_to_expect: >-\n  El color puede tardar 6 meses en volver. Mejoraron 29,9 de cada 100\n"
                 "  personas. En otro estudio, el 12,9 % mejoró.\n") + 1
    assert problems(project, "--lang", "es", code="numeracy") == [
        f'{DRUG_ES}:{line}: error: "29,9 de cada 100" counts people with a decimal: write a whole number, e.g. '
        '"about 30 in 100" [numeracy]',
        f'{DRUG_ES}:{line + 1}: error: "12,9 %" is a decimal percentage: patients read whole counts, e.g. "about '
        '13 in 100" [numeracy]']


def test_a_decimal_percentage_of_people_is_an_error_but_a_strength_passes(project):
    line = plant(project, DRUG, "what_to_expect: It can take 6 months to see colour come back.\n",
                 "what_to_expect: >-\n  It can take 6 months to see colour come back. In a study, 29.9% of\n"
                 "  people on the cream got better.\n") + 1
    plant(project, DRUG, "form: a cream you rub on the skin\n", "form: a 1.5% cream you rub on the skin\n")
    plant(project, DRUG, "  - Rub a thin layer on the patches.\n",
          "  - Rub a thin layer of the cream (1.5%) on the patches.\n")
    assert problems(project, code="numeracy") == [
        f'{DRUG}:{line}: error: "29.9%" is a decimal percentage: patients read whole counts, e.g. "about 30 in '
        '100" [numeracy]']


# --- hard-word ------------------------------------------------------------------------------------

def test_a_rare_word_is_a_warning_and_an_error_with_strict(project):
    line = plant(project, DRUG, "  - It takes months to work.\n",
                 "  - It takes months to work.\n  - It can cause thrombocytopenia and neutropenia.\n") + 1
    warning = (f'{DRUG}:{line}: warning: "thrombocytopenia" is not an everyday word (Zipf 2.24, below 3.0): use a '
               "plainer word, explain it in the same sentence, or add it to the glossary [hard-word]")
    result = run("check", *TODAY, project=project)
    assert result.exit_code == 0, result.output
    assert warning in result.output.splitlines()
    assert f'{DRUG}:{line}: warning: "neutropenia" is not an everyday word (Zipf 2.16' in result.output
    assert warning.replace(": warning: ", ": error: ") in problems(project, "--strict", code="hard-word")


def test_a_rare_spanish_word_is_reported(project):
    line = plant(project, DRUG_ES, "  - Tarda meses en hacer efecto.\n",
                 "  - Tarda meses en hacer efecto.\n  - Puede causar trombocitopenia.\n") + 1
    assert problems(project, "--lang", "es", "--strict", code="hard-word") == [
        f'{DRUG_ES}:{line}: error: "trombocitopenia" is not an everyday word (Zipf 2.21, below 2.5): use a plainer '
        "word, explain it in the same sentence, or add it to the glossary [hard-word]"]


def test_a_rare_word_explained_in_its_sentence_in_the_glossary_or_a_drug_name_passes(project):
    plant(project, DRUG, "  - It takes months to work.\n",
          "  - It takes months to work.\n  - It can cause neutropenia (too few white blood cells).\n"
          "  - Later, neutropenia goes away. Testinib and melanocytes are fine too.\n")
    plant(project, DRUG_ES, "  - Tarda meses en hacer efecto.\n",
          "  - Tarda meses en hacer efecto.\n  - Puede causar una trombocitopenia, es decir, pocas plaquetas.\n")
    result = run("check", "--strict", *TODAY, project=project)
    assert result.exit_code == 0, result.output


# --- source-strength and the sources' kinds -------------------------------------------------------

NEWS = "test-news:\n  title: A news story\n  publisher: Daily Test\n  kind: secondary\n"


def test_use_and_pregnancy_facts_citing_only_secondary_sources_are_errors(project):
    (project / SOURCES).write_text((project / SOURCES).read_text() + NEWS)
    use = plant(project, DRUG, "  - Rub a thin layer on the patches.\n",
                "  - Rub a thin layer on the patches [@test-news].\n")
    pregnancy = plant(project, DRUG, "pregnancy: Ask us before you use it if you are pregnant.\n",
                      "pregnancy: >-\n  Ask us before you use it if you are pregnant. It harmed animals\n"
                      "  in studies [@test-news; @test-review].\n") + 1
    assert problems(project, code="source-strength") == [
        f"{DRUG}:{use}: error: a how-to-use statement cites no label or regulator source, only test-news "
        "(secondary): cite the drug's label or the FDA or EMA for what patients act on [source-strength]",
        f"{DRUG}:{pregnancy}: error: a pregnancy statement cites no label or regulator source, only test-news "
        "(secondary), test-review (peer-reviewed): cite the drug's label or the FDA or EMA for what patients act "
        "on [source-strength]"]


def test_a_secondary_source_that_relays_the_label_counts_as_the_label_and_the_ledger_says_so(project):
    (project / SOURCES).write_text((project / SOURCES).read_text() + NEWS)
    plant(project, DRUG, "pregnancy: Ask us before you use it if you are pregnant.\n",
          "pregnancy: Ask us before you use it if you are pregnant. It harmed animals in studies [@test-news].\n")
    assert len(problems(project, code="source-strength")) == 1
    plant(project, SOURCES, "  kind: secondary\n", "  kind: secondary\n  relays: label\n")
    assert problems(project, code="source-strength") == []
    ledger = run("check", "--claims", *TODAY, "--lang", "en", project=project).output
    assert "secondary     test-news: Daily Test (no date)  (relays the label)" in ledger
    plant(project, SOURCES, "  relays: label\n", "  relays: the news\n")
    result = run("check", *TODAY, project=project)
    assert result.exit_code == 1
    assert "'relays' must be one of: label; found 'the news' [schema]" in result.output


def test_a_dose_in_a_topic_citing_only_news_is_an_error_and_with_the_label_passes(project):
    (project / SOURCES).write_text((project / SOURCES).read_text() + NEWS)
    line = plant(project, TOPIC, "We can treat it.\n", "We can treat it. Use no more than one 60 gram tube of "
                 "Testo a week [@test-news].\n")
    assert problems(project, code="source-strength") == [
        f"{TOPIC}:{line}: error: a dosing statement cites no label or regulator source, only test-news "
        "(secondary): cite the drug's label or the FDA or EMA for what patients act on [source-strength]"]
    plant(project, TOPIC, "[@test-news]", "[@test-news; @test-label]")
    assert problems(project, code="source-strength") == []


def test_a_source_kind_is_required_and_checked(project):
    text = (project / SOURCES).read_text()
    (project / SOURCES).write_text(text.replace("  kind: peer-reviewed\n", "  kind: blog\n")
                                   .replace("  kind: label\n", ""))
    result = run("check", *TODAY, project=project)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith(SOURCES)]
    assert lines == [
        f"{SOURCES}:1: error: missing required field 'kind' in 'test-label' (one of label, regulator, "
        "peer-reviewed, guideline, secondary) [schema]",
        f"{SOURCES}:10: error: 'kind' must be one of: label, regulator, peer-reviewed, guideline, secondary; "
        "found 'blog' [schema]"]


# --- the claims ledger ----------------------------------------------------------------------------

def test_the_claims_ledger_lists_every_cited_statement_with_its_sources_and_their_kinds(project):
    result = run("check", "--claims", "--json", "--lang", "en", *TODAY, project=project)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    label = {"id": "test-label", "kind": "label", "weak": None, "publisher": "Test Agency", "year": 2025,
             "title": "Testinib label", "relays_label": False}
    assert {"path": DRUG, "line": 9, "lang": "en", "slug": "testinib", "field": "summary",
            "text": "Testo is a cream for pale patches.", "sources": [label], "strong": True} in rows
    assert {"path": DRUG, "line": 15, "lang": "en", "slug": "testinib", "field": "status",
            "text": "United States (FDA): approved for vitiligo, as of 2026-06-02", "sources": [label],
            "strong": True} in rows
    review = {"id": "test-review", "kind": "peer-reviewed", "weak": None, "publisher": "Journal of Tests",
              "year": 2024, "title": "A review of patches", "relays_label": False}
    assert {"path": TOPIC, "line": 18, "lang": "en", "slug": "about-patches",
            "field": "section 'What happens in your skin'", "text": "Your melanocytes stop making colour.",
            "sources": [review], "strong": False} in rows
    assert {"path": DRUG, "line": 56, "lang": "en", "slug": "testinib", "field": "emergency",
            "text": "Call 911 for the signs of a stroke: Weakness on one side of your body; Sudden trouble "
                    "breathing", "sources": [label], "strong": True} in rows
    assert all(row["sources"] for row in rows)  # only cited statements
    text = run("check", "--claims", "--lang", "en", *TODAY, project=project).output.splitlines()
    assert text[0].startswith("Claims ledger (en): ")
    assert f"{TOPIC}:18: [section 'What happens in your skin'] Your melanocytes stop making colour." in text
    assert "    peer-reviewed test-review: Journal of Tests (2024)" in text


def test_json_without_claims_is_a_usage_error(project):
    assert run("check", "--json", project=project).exit_code == 2
