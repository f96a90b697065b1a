"""Incremental builds: what each kind of input change rebuilds, --force, deleted outputs, and a no-change
build that decides without loading WeasyPrint."""

from __future__ import annotations

import json
import subprocess
import time
import sys
from pathlib import Path

import pytest

from conftest import REPO, run
from handout_builder.build import fingerprint
from handout_builder.build.fingerprint import Inputs

ALL = {"about-patches", "testinib", "brochure"}


def fingerprints(project: Path, lang: str = "en") -> dict[str, str]:
    inputs = Inputs(project, lang=lang)
    return {slug: inputs.fingerprint(slug, kind, lang, "letter", "regular")
            for slug, kind in [*inputs.handouts([]), ("brochure", "brochure")]}


def changed_outputs(project: Path, edit) -> set[str]:
    before = fingerprints(project)
    edit()
    after = fingerprints(project)
    return {slug for slug in before if before[slug] != after[slug]}


def append(path: Path, text: str = "\n# edited\n"):
    return lambda: path.write_text(path.read_text() + text)


def without_drug_table(project: Path) -> None:
    topic = project / "handouts/topics/about-patches.en.md"
    topic.write_text(topic.read_text().replace("[[drug-table]]", ""))


@pytest.mark.parametrize("relative, rebuilt", [
    ("handouts/topics/about-patches.en.md", {"about-patches", "brochure"}),
    ("handouts/drugs/testinib.en.yaml", {"testinib", "brochure"}),
    ("handouts/sources.yaml", ALL),
    ("handouts/glossary.en.yaml", ALL),
    ("handouts/clinic.toml", ALL),
    ("handouts/logo.svg", ALL),
    ("templates/partials/footer.html.j2", ALL),
    ("styles/components.css", ALL),
])
def test_each_input_file_invalidates_exactly_the_outputs_that_read_it(project, relative, rebuilt):
    without_drug_table(project)
    text = "\n<!-- edited -->\n" if relative.endswith((".svg", ".j2")) else "\n/* edited */\n" \
        if relative.endswith(".css") else "\n# edited\n"
    assert changed_outputs(project, append(project / relative, text)) == rebuilt


def test_a_translation_edit_rebuilds_that_language_only(project):
    """A template's words live in the language's gettext catalog: a changed Spanish string rebuilds every
    Spanish PDF (a build once printed the old string after 'No approval found' was retranslated), and
    no English one."""
    catalog = project / "locales/es/LC_MESSAGES/messages.po"
    english, before = fingerprints(project), fingerprints(project, "es")
    catalog.write_text(catalog.read_text().replace('msgstr "En revisión"', 'msgstr "Se está revisando"'))
    assert fingerprints(project) == english
    after = fingerprints(project, "es")
    assert set(before) == ALL and all(after[slug] != before[slug] for slug in before)


def test_a_drug_table_topic_depends_on_every_drug(project):
    assert changed_outputs(project, append(project / "handouts/drugs/testinib.en.yaml")) == ALL


def test_a_brand_file_elsewhere_and_its_logo_are_inputs(project, tmp_path):
    brand = tmp_path / "brand" / "clinic.toml"
    brand.parent.mkdir()
    brand.write_text((project / "handouts/clinic.toml").read_text())
    (brand.parent / "logo.svg").write_text((project / "handouts/logo.svg").read_text())
    before = Inputs(project, brand).fingerprint("testinib", "drug", "en", "letter", "regular")
    append(brand.parent / "logo.svg", "<!-- new logo -->")()
    assert Inputs(project, brand).fingerprint("testinib", "drug", "en", "letter", "regular") != before


def test_fonts_versions_and_options_are_inputs(project, tmp_path, monkeypatch):
    fonts = tmp_path / "fonts"
    fonts.mkdir()
    for font in sorted(fingerprint.font_dir().glob("*.ttf")):
        (fonts / font.name).write_bytes(font.read_bytes())
    monkeypatch.setattr(fingerprint, "font_dir", lambda: fonts)
    before = fingerprints(project)

    font = sorted(fonts.glob("*.ttf"))[0]
    font.write_bytes(font.read_bytes() + b"\0")
    after_font = fingerprints(project)
    assert all(after_font[slug] != before[slug] for slug in ALL)

    monkeypatch.setattr(fingerprint, "_version", lambda package: "999")
    assert all(fingerprints(project)[slug] != after_font[slug] for slug in ALL)

    inputs = Inputs(project)
    options = {inputs.fingerprint("testinib", "drug", *edition) for edition in
               [("en", "letter", "regular"), ("en", "a4", "regular"), ("en", "letter", "large-print"),
                ("es", "letter", "regular")]}
    assert len(options) == 4


def test_a_comment_edit_in_a_subpackage_module_rebuilds_everything(project, tmp_path, monkeypatch):
    """The code is hashed recursively, by each module's path inside the library: a module in a stage
    subpackage counts as much as a top-level one."""
    import shutil

    library = tmp_path / "handout_builder"
    shutil.copytree(fingerprint.LIBRARY_FOLDER, library, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(fingerprint, "LIBRARY_FOLDER", library)
    assert built(run("build", project=project)) == ALL
    assert built(run("build", project=project)) == set()
    module = library / "render" / "renderer.py"
    module.write_text(module.read_text() + "# a comment\n")
    assert built(run("build", project=project)) == ALL
    code = [part for part in Inputs(project)._shared_parts() if part[0] == "code"]
    assert ("code", "render/renderer.py") in {part[:2] for part in code}
    assert all(not Path(part[1]).is_absolute() for part in code)


def test_fingerprints_do_not_depend_on_where_the_project_is(project, tmp_path):
    from conftest import make_project

    assert fingerprints(project) == fingerprints(make_project(tmp_path / "elsewhere"))


def built(result) -> set[str]:
    return {Path(line.split()[1]).stem for line in result.output.splitlines()
            if line.startswith("wrote ") and line.endswith(")")}


def test_a_drug_edit_rebuilds_that_drug_and_the_brochure_only(project):
    without_drug_table(project)
    assert built(run("build", project=project)) == ALL
    assert built(run("build", project=project)) == set()

    append(project / "handouts/drugs/testinib.en.yaml")()
    result = run("build", project=project)
    assert built(result) == {"testinib", "brochure"}
    assert "up to date: 1 more PDF" in result.output

    (project / "out/en/letter/about-patches.pdf").unlink()
    assert built(run("build", project=project)) == {"about-patches"}
    (project / "out/en/letter/testinib.pdf").write_bytes(b"%PDF-1.7 edited by hand")
    assert built(run("build", project=project)) == {"testinib"}
    assert built(run("build", "--force", project=project)) == ALL

    manifest = json.loads((project / "out/manifest.json").read_text())
    assert sorted(e["slug"] for e in manifest) == sorted(ALL)


def test_a_no_change_build_imports_neither_weasyprint_nor_the_parsers(sample_build):
    project = sample_build.parent
    script = ("import sys; from make_handouts import cli\n"
              "try:\n    cli(['--project', sys.argv[1], 'build'])\nexcept SystemExit as end:\n"
              "    assert not end.code, end.code\n"
              "heavy = {'weasyprint', 'pypdf', 'segno', 'jinja2', 'yaml', 'markdown_it'} & set(sys.modules)\n"
              "print('heavy:', sorted(heavy))\n")
    result = subprocess.run([sys.executable, "-c", script, str(project)], capture_output=True, text=True,
                            cwd=REPO, check=True)
    assert "up to date: 3 PDFs" in result.stdout
    assert "heavy: []" in result.stdout


def test_watch_rebuilds_what_changed_reports_problems_and_keeps_going(project):
    import threading

    from handout_builder.build.watch import watch

    lines: list[str] = []
    stop = threading.Event()
    drug = project / "handouts/drugs/testinib.en.yaml"
    good = drug.read_text()
    watcher = threading.Thread(target=watch, kwargs=dict(root=project, jobs=1, log=lines.append,
                                                         stop_event=stop))
    watcher.start()

    def wait_for(text: str, after: int) -> int:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            for n, line in enumerate(lines[after:], start=after):
                if text in line:
                    return n + 1
            time.sleep(0.1)
        stop.set()
        raise AssertionError(f"{text!r} not logged; log: {lines}")

    try:
        seen = wait_for("watching", 0)
        assert sum(line.startswith("wrote ") and line.endswith(")") for line in lines) == 3  # the PDFs
        drug.write_text(good.replace("reviewed_by: ", "reviewed_by_typo: ", 1))
        seen = wait_for("nothing was built", seen)
        assert any("handouts/drugs/testinib.en.yaml" in line and "reviewed_by" in line for line in lines)
        drug.write_text(good + "\n# fixed\n")
        seen = wait_for("wrote " + str(project / "out/manifest.json"), seen)
        rebuilt = [line for line in lines[seen - 5:] if line.startswith("wrote ") and line.endswith(")")]
        assert {Path(line.split()[1]).stem for line in rebuilt} == ALL  # the topic has a [[drug-table]]
    finally:
        stop.set()
        watcher.join(timeout=30)
    assert not watcher.is_alive()
