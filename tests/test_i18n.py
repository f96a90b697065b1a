"""The Spanish edition: translated templates (gettext catalogs), dates in Spanish, `--lang`, the Spanish
reading-level scale and PEMAT wording, and the parity check between languages."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from pypdf import PdfReader

from conftest import REPO, make_project, pdf_text, run, translation_pairs
from handout_builder.checks.pemat import SPANISH
from handout_builder.checks.counting import Counts
from handout_builder.checks.reading_es import count_spanish, fernandez_huerta, syllables, szigriszt_pazos
from handout_builder.render.translation import long_date, month_year

CATALOG = REPO / "locales" / "es" / "LC_MESSAGES" / "messages.po"
ES_DRUG = "handouts/drugs/testinib.es.yaml"


def catalog_pairs(printed_only: bool = True) -> list[tuple[str, str]]:
    """(English, Spanish) of the strings the PDFs print; with `printed_only=False` also the app's own
    pages' (they share the catalog; a plural's are tuples)."""
    with CATALOG.open("rb") as po:
        return [(m.id, m.string) for m in read_po(po) if m.id and (not printed_only or (
            isinstance(m.id, str) and not all(path.startswith("handout_builder/web/") for path, _ in m.locations)))]


def fixed_strings(text: str) -> list[str]:
    """The literal pieces of a catalog string, placeholders and markup taken out."""
    pieces = re.split(r"%\(\w+\)s|<[^>]+>", text)
    return [p.strip(" .,:()") for p in pieces if len(p.strip(" .,:()")) >= 4]


@pytest.fixture(scope="module")
def spanish_build(tmp_path_factory) -> Path:
    folder = make_project(tmp_path_factory.mktemp("es") / "project")
    result = run("build", "--lang", "es", project=folder)
    assert result.exit_code == 0, result.output
    return folder / "out"


# --- Spanish syllables and reading level ------------------------------------------------------------

@pytest.mark.parametrize("word, expected", [
    ("vitíligo", 4), ("melanocitos", 5), ("tratamiento", 4), ("ciudad", 2), ("cuidado", 3),  # diphthongs
    ("país", 2), ("río", 2), ("leía", 3), ("reúne", 3), ("aéreo", 4), ("poeta", 3), ("chiita", 3),  # hiatus
    ("averiguáis", 4), ("buey", 1), ("Uruguay", 3),  # triphthongs
    ("que", 1), ("guerra", 2), ("aquí", 2), ("pingüino", 3),  # silent u; spoken ü
    ("hoy", 1), ("muy", 1), ("y", 1), ("ya", 1), ("mayo", 2),  # y as a vowel or a consonant
    ("ahora", 3), ("inhibidores", 5), ("ruxolitinib", 5), ("dermatólogo", 5), ("12", 1),
])
def test_spanish_syllables(word, expected):
    assert syllables(word) == expected


def test_inflesz_and_fernandez_huerta_match_figures_worked_by_hand():
    # "Use(2) la(1) crema(2) dos(1) veces(2) al(1) día(2)." 7 words, 11 syllables;
    # "No(1) se(1) contagia(3)." 3 words, 5 syllables. 2 sentences, 10 words, 16 syllables.
    counts = count_spanish(["Use la crema dos veces al día. No se contagia."])
    assert counts == Counts(sentences=2, words=10, syllables=16, polysyllables=1)
    # Szigriszt-Pazos = 206.835 - 62.3 x 16/10 - 10/2 = 102.155
    assert szigriszt_pazos(counts) == pytest.approx(102.155)
    # Fernández-Huerta = 206.84 - 0.60 x 160 - 1.02 x 20 = 90.44
    assert fernandez_huerta(counts) == pytest.approx(90.44)
    # "Dra." does not end a sentence; ¿...? does.
    assert count_spanish(["Llame a la Dra. Ruiz. ¿Tiene dudas? Pregunte"]).sentences == 3


def test_spanish_passive_voice_is_ser_with_a_participle():
    assert SPANISH.passive.search("El medicamento fue aprobado en 2022.")
    assert SPANISH.passive.search("Las manchas son tratadas con luz.")
    assert not SPANISH.passive.search("Use la crema en las manchas.")
    assert not SPANISH.passive.search("Se aplica dos veces al día.")


def test_check_scores_spanish_on_the_inflesz_scale(project):
    result = run("check", "--lang", "es", "--today", "2026-11-01", "--pemat", project=project)
    assert result.exit_code == 0, result.output
    line = next(li for li in result.output.splitlines() if "handout 'Las manchas'" in li)
    assert re.search(r"INFLESZ\s+[\d.]+ \(raw\s+[\d.]+, [a-zá ]+\)\s+Fernández-Huerta", line)
    assert 'addresses the reader as "usted"' in result.output
    assert "es: 1 topics and 1 drugs checked: no problems." in result.output


def test_a_hard_spanish_handout_fails_the_gate_naming_file_and_line(project):
    topic = project / "handouts/topics/about-patches.es.md"
    hard = ("La despigmentación cutánea característica se manifiesta habitualmente mediante "
            "manifestaciones clínicas heterogéneas e imprevisibles independientemente de la edad")
    text = topic.read_text(encoding="utf-8").replace("Lo podemos tratar.", hard + ".")
    topic.write_text(text, encoding="utf-8")
    line = text.splitlines().index(hard + ".") + 1
    result = run("check", "--lang", "es", "--today", "2026-11-01", project=project)
    assert result.exit_code == 1
    assert re.search(r"handouts/topics/about-patches\.es\.md:\d+: error: handout 'Las manchas' scores [\d.]+ on "
                     r"the INFLESZ scale \(\w[\w ]*; at least 60, aim at 65\) \[reading-level\]", result.output)
    assert re.search(rf"about-patches\.es\.md:{line - 2}: error: section 'Cómo le podemos ayudar' scores",
                     result.output)


# --- parity between languages ----------------------------------------------------------------------

def test_parity_names_a_missing_spanish_drug_file(project):
    (project / ES_DRUG).unlink()
    result = run("check", "--today", "2026-11-01", project=project)
    assert result.exit_code == 1
    assert f"{ES_DRUG}: error: missing: handouts/drugs/testinib.en.yaml has no 'es' version [parity]" in result.output


def test_parity_names_a_stale_spanish_drug_file(project):
    path = project / ES_DRUG
    text = path.read_text(encoding="utf-8").replace("reviewed_on: 2026-09-01", "reviewed_on: 2025-09-01")
    path.write_text(text, encoding="utf-8")
    line = text.splitlines().index("reviewed_on: 2025-09-01") + 1
    result = run("check", "--today", "2026-11-01", project=project)
    assert result.exit_code == 1
    assert (f"{ES_DRUG}:{line}: error: stale: reviewed_on is 2025-09-01, but handouts/drugs/testinib.en.yaml was "
            "reviewed on 2026-09-01") in result.output


def test_parity_names_other_sources_and_changed_facts(project):
    path = project / ES_DRUG
    text = path.read_text(encoding="utf-8")
    text = text.replace("infecciones graves [@test-label]", "infecciones graves [@test-review]")
    text = text.replace("    vitiligo: not approved", "    vitiligo: approved")
    path.write_text(text, encoding="utf-8")
    result = run("check", "--today", "2026-11-01", project=project)
    assert result.exit_code == 1
    assert (f"{ES_DRUG}: error: sources differ from handouts/drugs/testinib.en.yaml: cites test-review which the "
            "original does not [parity]") in result.output
    assert (f"{ES_DRUG}: error: status.eu.vitiligo is approved, but handouts/drugs/testinib.en.yaml says not "
            "approved [parity]" in result.output)


def test_a_spanish_jak_inhibitor_must_state_its_boxed_warning(project):
    path = project / ES_DRUG
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"boxed_warning:\n(  .*\n)+", "", text), encoding="utf-8")
    result = run("check", "--lang", "es", "--today", "2026-11-01", project=project)
    assert result.exit_code == 1
    assert "a JAK inhibitor must say whether its label carries a boxed warning" in result.output


# --- translated templates --------------------------------------------------------------------------

def test_the_catalog_has_every_template_string_and_nothing_else():
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    # The same extraction as `pybabel extract -F babel.cfg`: the templates, charts.py and the app (web/).
    method_map, options = parse_mapping_cfg((REPO / "babel.cfg").open())
    in_templates = {message for _, _, message, _, _ in extract_from_dir(REPO, method_map, options)}
    in_catalog = dict(catalog_pairs(printed_only=False))
    assert in_templates == set(in_catalog), "run pybabel extract and update (see babel.cfg)"
    assert all(value if isinstance(value, str) else all(value) for value in in_catalog.values())


def test_an_untranslated_string_stops_the_spanish_build(project):
    po = project / "locales/es/LC_MESSAGES/messages.po"
    text = po.read_text(encoding="utf-8")
    po.write_text(text.replace('msgstr "Contenido"', 'msgstr ""'), encoding="utf-8")
    line = text.splitlines().index('msgid "Contents"') + 1
    result = run("build", "--lang", "es", project=project)
    assert result.exit_code == 1
    assert f"locales/es/LC_MESSAGES/messages.po:{line}: error: untranslated (or fuzzy) string: 'Contents' " \
        "[translation]" in result.output
    assert not (project / "out").exists()


def test_dates_in_the_readers_language():
    day = date(2026, 9, 1)
    assert (month_year(day), month_year(day, "es")) == ("September 2026", "septiembre de 2026")
    assert long_date(day, "es") == "1 de septiembre de 2026"


def test_build_lang_es_builds_every_spanish_pdf(spanish_build):
    entries = json.loads((spanish_build / "manifest.json").read_text())
    assert sorted((e["lang"], e["path"]) for e in entries) == [
        ("es", "es/letter/about-patches.pdf"), ("es", "es/letter/brochure.pdf"), ("es", "es/letter/testinib.pdf")]
    for entry in entries:
        reader = PdfReader(spanish_build / entry["path"])
        assert reader.trailer["/Root"]["/Lang"] == "es"
    brochure = PdfReader(spanish_build / "es/letter/brochure.pdf")
    assert [o.title for o in brochure.outline if not isinstance(o, list)] == [
        "Las manchas", "Testo (testinib crema)", "Palabras que debe conocer", "Fuentes"]
    text = pdf_text(spanish_build / "es/letter/brochure.pdf")
    assert "Folleto de muestra" in text and "Contenido" in text and "Revisado en octubre de 2026" in text


def test_no_english_template_string_in_a_spanish_pdf_and_the_reverse(spanish_build, sample_build):
    pairs = [(en, es) for en, es in translation_pairs() if en != es]
    english = {p for en, _ in pairs for p in fixed_strings(en)} - {p for _, es in pairs for p in fixed_strings(es)}
    spanish = {p for _, es in pairs for p in fixed_strings(es)} - {p for en, _ in pairs for p in fixed_strings(en)}
    for out, lang, foreign, own in ((spanish_build, "es", english, "Lo más importante"),
                                    (sample_build, "en", spanish, "The main points")):
        pdfs = sorted((out / lang).rglob("*.pdf"))
        assert len(pdfs) == 3
        for pdf in pdfs:
            text = " ".join(pdf_text(pdf).split())
            found = sorted(s for s in foreign if re.search(rf"(?<!\w){re.escape(s)}(?!\w)", text))
            assert not found, f"{pdf.name} ({lang}) shows {found}"
            assert re.search(r"(Page|Página) 1 (of|de) \d", text)
        assert own in pdf_text(out / lang / "letter" / "about-patches.pdf")


def test_spanish_on_a4(project):
    result = run("build", "--lang", "es", "--paper", "a4", "testinib", project=project)
    assert result.exit_code == 0, result.output
    page = PdfReader(project / "out/es/a4/testinib.pdf").pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
    assert "Página 1 de 3" in pdf_text(project / "out/es/a4/testinib.pdf")


def test_lang_all_builds_both_languages_into_one_manifest(project):
    result = run("build", "--lang", "all", "testinib", project=project)
    assert result.exit_code == 0, result.output
    entries = json.loads((project / "out/manifest.json").read_text())
    assert sorted(e["path"] for e in entries) == ["en/letter/testinib.pdf", "es/letter/testinib.pdf"]


def test_list_and_personalize_in_spanish(project, tmp_path):
    listed = json.loads(run("list", "--lang", "es", "--json", "--today", "2026-11-01", project=project).output)
    assert {(r["slug"], r["lang"], r["reviewed"]) for r in listed} == {
        ("about-patches", "es", "octubre de 2026"), ("testinib", "es", "septiembre de 2026")}
    out = tmp_path / "testinib.pdf"
    result = run("personalize", "testinib", "--lang", "es", "--patient", "Ana Ruiz", "--prescriber", "Dra. Gil",
                 "--next-visit", "2099-12-03", "-o", str(out), project=project)
    assert result.exit_code == 0, result.output
    text = " ".join(pdf_text(out).split())
    assert "Preparado para Ana Ruiz por Dra. Gil el" in text
    assert "Su próxima visita: 3 de diciembre de 2099" in text


def test_large_print_on_a4_in_spanish(project):
    result = run("build", "--lang", "es", "--large-print", "--paper", "a4", project=project)
    assert result.exit_code == 0, result.output + (result.stderr or "")
    manifest = json.loads((project / "out/manifest.json").read_text())
    assert {(e["lang"], e["paper"], e["variant"]) for e in manifest} == {("es", "a4", "large-print")}
    for entry in manifest:
        path = project / "out" / entry["path"]
        assert path.name.endswith(".large-print.pdf")
        reader = PdfReader(path)
        assert reader.trailer["/Root"]["/Lang"] == "es"
        box = reader.pages[0].mediabox
        assert (round(float(box.width)), round(float(box.height))) == (595, 842)
        text = pdf_text(path)
        assert "Página 2 de" in text and "Page 2 of" not in text


def test_a_bad_spanish_file_stops_an_all_languages_build_before_anything_is_written(project):
    path = project / ES_DRUG
    path.write_text(path.read_text(encoding="utf-8").replace("route: topical", "route: nasal"), encoding="utf-8")
    result = run("build", "--lang", "all", project=project)
    assert result.exit_code == 1
    assert f"{ES_DRUG}:5: error: 'route' must be one of: topical, oral; found 'nasal' [schema]" in result.stderr
    assert result.stderr.strip().endswith("1 problem in 1 file; nothing was built.")
    assert not (project / "out").exists()  # not even the English PDFs


def test_each_string_has_one_entry_and_one_spanish_word_for_a_handout():
    """A msgid twice in the catalog: one translation silently wins (the app's 'Find a handout' hid the
    catalog's). And a handout is an 'hoja informativa' everywhere, the brochure a 'folleto'."""
    po = (REPO / "locales/es/LC_MESSAGES/messages.po").read_text(encoding="utf-8")
    ids = re.findall(r'^msgid "(.+)"$', po, flags=re.MULTILINE)
    assert sorted({i for i in ids if ids.count(i) > 1}) == []
    checked = 0
    for msgid, msgstr in catalog_pairs(printed_only=False):
        english, spanish = " ".join(msgid) if isinstance(msgid, tuple) else msgid, str(msgstr)
        if re.search(r"\bhandouts?\b", english.replace("make-handouts", ""), re.IGNORECASE):
            checked += 1
            assert "folleto" not in spanish.lower() or "brochure" in english, (msgid, msgstr)
    assert checked > 20  # the app's pages, the catalog and the handouts
