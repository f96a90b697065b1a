"""Emergency blocks (issue 14): a handout's `emergency:` risks, read from handouts/emergency.<lang>.yaml,
checked strictly, and printed apart from and above "Call us if", in the sample clinic and in every real
drug handout, in both languages."""

from __future__ import annotations

import re

import pytest

from conftest import REPO, pdf_text, run
from handout_builder.content.library import load_library
from handout_builder.editions import PAPERS
from handout_builder.problems import Problems
from handout_builder.render.renderer import Renderer
from test_validation import DRUG, edit, problems_of

RISKS = "handouts/emergency.en.yaml"
LANGS = ("en", "es")
REAL_DRUGS = ("baricitinib", "ritlecitinib", "ruxolitinib-cream", "upadacitinib")


def line_of(project, relative: str, text: str) -> int:
    return next(n for n, line in enumerate((project / relative).read_text().splitlines(), 1) if text in line)


def html_of(root, slug: str, lang: str) -> str:
    library = load_library(root, lang=lang)
    return Renderer(library, Problems(root)).handout(slug, PAPERS["letter"])


# --- reading --------------------------------------------------------------------------------------

def test_a_drug_reads_its_risks_in_order_with_each_sign_once(project):
    drug = load_library(project).drugs["testinib"]
    assert [risk.id for risk in drug.emergency.risks] == ["stroke", "heart-attack"]
    assert [str(sign) for sign in drug.emergency.signs] == [
        "Weakness on one side of your body", "Sudden trouble breathing", "Chest pain"]
    assert drug.emergency.risk_names == ("a stroke", "a heart attack")
    assert drug.emergency.sources == ("test-label",)
    assert load_library(project).topics["about-patches"].emergency is None  # the field is optional


def test_every_real_drug_and_the_side_effects_topic_name_the_boxed_warning_risks():
    for lang in LANGS:
        library = load_library(REPO, lang=lang)
        for handout in (*library.drugs.values(), library.topics["side-effects-and-risks"]):
            assert [r.id for r in handout.emergency.risks] == ["heart-attack", "stroke", "lung-clot"], handout.slug
            assert not any("911" in item for item in handout.call_us_if), handout.slug


# --- validation: one test per rule, the exact message with path and line ---------------------------

def test_unknown_risk_id(project):
    edit(project, DRUG, "emergency: [stroke, heart-attack]", "emergency: [stroke, heart-atack]")
    line = line_of(project, DRUG, "emergency:")
    assert problems_of(project) == [
        f"{DRUG}:{line}: error: unknown emergency risk 'heart-atack' (known, in {RISKS}: heart-attack, stroke, "
        "untested) [emergency]"]


def test_unknown_risk_id_in_a_block_list_points_at_its_own_line(project):
    edit(project, DRUG, "emergency: [stroke, heart-attack]", "emergency:\n  - stroke\n  - brain-freeze")
    line = line_of(project, DRUG, "- brain-freeze")
    assert problems_of(project) == [
        f"{DRUG}:{line}: error: unknown emergency risk 'brain-freeze' (known, in {RISKS}: heart-attack, stroke, "
        "untested) [emergency]"]


def test_risk_listed_twice(project):
    edit(project, DRUG, "emergency: [stroke, heart-attack]", "emergency: [stroke, stroke]")
    line = line_of(project, DRUG, "emergency:")
    assert problems_of(project) == [f"{DRUG}:{line}: error: emergency risk 'stroke' is listed twice [emergency]"]


def test_risk_without_sources_cannot_be_named(project):
    edit(project, DRUG, "emergency: [stroke, heart-attack]", "emergency: [untested]")
    line = line_of(project, DRUG, "emergency:")
    assert problems_of(project) == [
        f"{DRUG}:{line}: error: emergency risk 'untested' has no sources in {RISKS}: cite where a label or "
        "regulator names the risk before a handout names it [citation]"]


def test_emergency_list_without_the_emergency_file(project):
    (project / RISKS).unlink()
    line = line_of(project, DRUG, "emergency:")
    assert problems_of(project) == [
        f"{DRUG}:{line}: error: 'emergency' names risks, but there is no {RISKS} to give their signs: add it "
        "(see handouts/README.md) [emergency]"]


def test_unknown_field_in_the_emergency_file(project):
    edit(project, RISKS, "    name: a stroke\n", "    name: a stroke\n    colour: red\n")
    line = line_of(project, RISKS, "colour: red")
    assert problems_of(project) == [
        f"{RISKS}:{line}: error: unknown field 'colour' in 'risks.stroke' (known fields: name, signs, sources) "
        "[schema]"]


def test_unknown_source_in_the_emergency_file(project):
    edit(project, RISKS, "    sources: [test-label]\n", "    sources: [no-such-label]\n")
    line = line_of(project, RISKS, "no-such-label")
    assert problems_of(project) == [
        f"{RISKS}:{line}: error: unknown source 'no-such-label': add it to sources.yaml [citation]"]


def test_risk_without_signs(project):
    edit(project, RISKS, "    signs:\n      - Chest pain\n      - Sudden trouble breathing\n", "    signs: []\n")
    line = line_of(project, RISKS, "signs: []")
    assert problems_of(project) == [f"{RISKS}:{line}: error: 'signs' needs at least 1 item [schema]"]


def test_parity_names_a_translation_that_names_other_risks(project):
    es_drug = DRUG.replace(".en.", ".es.")
    edit(project, es_drug, "emergency: [stroke, heart-attack]", "emergency: [stroke]")
    result = run("check", project=project)
    assert result.exit_code == 1
    assert (f"{es_drug}: error: emergency is stroke, but {DRUG} says stroke, heart-attack [parity]"
            in result.output)


def test_parity_names_an_emergency_file_that_fell_behind(project):
    edit(project, "handouts/emergency.es.yaml", "  untested:\n", "  untried:\n")
    result = run("check", project=project)
    assert result.exit_code == 1
    assert ("handouts/emergency.es.yaml: error: risk 'untested' of handouts/emergency.en.yaml is missing [parity]"
            in result.output)
    assert "handouts/emergency.es.yaml: error: risk 'untried' is not in handouts/emergency.en.yaml [parity]" in result.output


def test_a_correct_emergency_list_passes(project):
    result = run("check", project=project)
    assert result.exit_code == 0, result.output


# --- rendering --------------------------------------------------------------------------------------

def _block_then_call_us(html: str) -> tuple[str, str]:
    """The emergency block's HTML and the "call us if" list's, checking the block comes first and apart
    (it ends before the action box, which holds the "call us if" list, starts)."""
    block = re.search(r'<div class="emergency"[^>]*>(.*?)</div>', html, re.DOTALL)
    actions = html.index('<section class="actions"')
    call_us = re.search(r'<ul class="call-us-if">(.*?)</ul>', html, re.DOTALL)
    assert block and call_us, "no emergency block or no call-us-if list"
    assert block.end() < actions < call_us.start()
    return block[1], call_us[1]


@pytest.mark.parametrize("lang, heading, why", [
    ("en", "Call 911 (or your local emergency number) if you have any of these signs:",
     "They can be signs of a stroke or a heart attack."),
    ("es", "Llame al 911 (o al número de emergencias de su zona) si tiene alguna de estas señales:",
     "Pueden ser señales de un derrame cerebral o un ataque al corazón."),
])
def test_the_sample_drug_prints_its_block_above_call_us_if(project, lang, heading, why):
    block, _ = _block_then_call_us(html_of(project, "testinib", lang))
    assert heading in block and why in block
    assert block.count("<li>") == 3  # "Sudden trouble breathing" once, though both risks list it


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("slug", [*REAL_DRUGS, "side-effects-and-risks"])
def test_every_real_drug_handout_prints_the_block_above_call_us_if(slug, lang):
    block, call_us = _block_then_call_us(html_of(REPO, slug, lang))
    assert "911" in block and "911" not in call_us
    signs = load_library(REPO, lang=lang).emergency
    for sign in {str(s) for risk in ("heart-attack", "stroke", "lung-clot") for s in signs[risk].signs}:
        assert sign in block and sign not in call_us, sign


def test_a_topic_without_emergency_risks_prints_no_block(project):
    assert 'class="emergency"' not in html_of(project, "about-patches", "en")


def test_the_leaflet_flap_puts_the_block_above_call_us_if(project):
    result = run("build", "--leaflet", project=project)
    assert result.exit_code == 0, result.output
    outside = " ".join(pdf_text(project / "out/en/letter/leaflet.pdf").split())
    assert outside.index("Call 911") < outside.index("Call us if") < outside.index("Phone")
