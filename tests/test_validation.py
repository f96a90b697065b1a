"""One test per validation rule: the exact `path:line: message`, exit 1, and nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run

TOPIC = "handouts/topics/about-patches.en.md"
DRUG = "handouts/drugs/testinib.en.yaml"
BRAND = "handouts/clinic.toml"


def edit(project: Path, relative: str, old: str, new: str) -> None:
    path = project / relative
    text = path.read_text()
    assert old in text, f"{old!r} not in {relative}"
    path.write_text(text.replace(old, new, 1))


def problems_of(project: Path, *args: str) -> list[str]:
    """Build (default: everything) and return the reported problem lines; the build must fail cleanly."""
    result = run(*(args or ("build",)), project=project)
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert lines[-1].endswith("nothing was built.") or lines[-1].endswith("nothing was done.")
    assert not (project / "out").exists(), "a failed build must not write anything"
    return lines[:-1]


def test_malformed_front_matter(project):
    edit(project, TOPIC, "title: About patches", "title: [About patches")
    assert problems_of(project) == [
        f"{TOPIC}:3: error: invalid YAML: expected ',' or ']', but got ':' "
        "(while parsing a flow sequence started on line 2) [yaml]"]


def test_front_matter_not_closed(project):
    path = project / TOPIC
    path.write_text(path.read_text().replace("---\n", "", 1))
    assert problems_of(project)[0] == (
        f"{TOPIC}:1: error: a topic starts with front matter: a '---' line, the fields, and another '---' line [front-matter]")


def test_malformed_brand_toml(project):
    edit(project, BRAND, 'phone = "(555) 010-0000"', 'phone = "(555) 010-0000')
    assert problems_of(project) == [f"{BRAND}:3: error: invalid TOML: Illegal character '\\n' [toml]"]


def test_empty_drug_file(project):
    (project / DRUG).write_text("")
    assert problems_of(project) == [f"{DRUG}:1: error: no fields found: the file (or front matter) is empty [schema]"]


def test_missing_required_field(project):
    edit(project, TOPIC, "summary: Patches are pale areas of skin [@test-review].\n", "")
    assert problems_of(project) == [f"{TOPIC}:2: error: missing required field 'summary' (text) [schema]"]


def test_missing_required_field_in_a_nested_table(project):
    edit(project, DRUG, "    as_of: 2026-02-03\n", "")
    assert problems_of(project) == [f"{DRUG}:20: error: missing required field 'as_of' in 'status.eu' "
                                    "(a date, YYYY-MM-DD) [schema]"]


def test_unknown_key(project):
    edit(project, DRUG, "maker: Test Pharma", "maker: Test Pharma\ncolour: blue")
    [problem] = problems_of(project)
    assert problem.startswith(f"{DRUG}:4: error: unknown field 'colour' (known fields: ")
    assert "boxed_warning" in problem


def test_unknown_key_in_brand_file(project):
    edit(project, BRAND, 'accent = "#a33d00"', 'accent = "#a33d00"\nbackground = "#ffffff"')
    [problem] = problems_of(project)
    assert problem == (f"{BRAND}:12: error: unknown field 'background' in 'colors' (known fields: accent, primary) [schema]")


def test_wrong_type(project):
    edit(project, TOPIC, "reviewed_on: 2026-10-01", "reviewed_on: October 2026")
    assert problems_of(project) == [
        f"{TOPIC}:12: error: 'reviewed_on' must be a date written YYYY-MM-DD, found 'October 2026' [schema]"]


def test_value_not_in_choices(project):
    edit(project, DRUG, "    vitiligo: approved", "    vitiligo: yes please")
    assert problems_of(project) == [
        f"{DRUG}:16: error: 'vitiligo' must be one of: approved, under review, not approved; found 'yes please' [schema]"]


def test_duplicate_key(project):
    edit(project, DRUG, "maker: Test Pharma", "maker: Test Pharma\nmaker: Other Pharma")
    assert problems_of(project) == [f"{DRUG}:4: error: invalid YAML: duplicate key 'maker' [yaml]"]


def test_unknown_source(project):
    edit(project, TOPIC, "Treatment can help [@test-label]", "Treatment can help [@no-such-source]")
    assert problems_of(project) == [f"{TOPIC}:6: error: unknown source 'no-such-source': add it to sources.yaml [citation]"]


def test_malformed_citation(project):
    edit(project, TOPIC, "Treatment can help [@test-label]", "Treatment can help [@Test Label]")
    assert problems_of(project) == [
        f"{TOPIC}:6: error: malformed citation [@Test Label]: write [@source-id] or [@one; @two] [citation]"]


def test_unknown_slug_on_the_command_line(project):
    assert problems_of(project, "build", "no-such-handout") == [
        "SLUG: error: unknown handout 'no-such-handout' in 'en' (known: about-patches, testinib) [unknown-handout]"]


def test_unknown_slug_in_the_brochure_order(project):
    edit(project, BRAND, 'topics = ["about-patches"]', 'topics = ["about-patches", "nope"]')
    assert problems_of(project) == [
        f"{BRAND}:16: error: [brochure] topics names unknown topic 'nope' (known: about-patches) [schema]"]


def test_missing_logo(project):
    (project / "handouts/logo.svg").unlink()
    assert problems_of(project) == [f"{BRAND}:7: error: logo file not found: logo.svg [missing-file]"]


def test_missing_image(project):
    edit(project, TOPIC, "We can treat it.", "We can treat it.\n\n![A patch](images/nope.svg)")
    assert problems_of(project) == [
        f"{TOPIC}:24: error: image images/nope.svg not found (SVG or PNG files in handouts/images/) [image]"]


def test_image_without_alt_text(project):
    (project / "handouts/images").mkdir(exist_ok=True)
    (project / "handouts/images/patch.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    edit(project, TOPIC, "We can treat it.", "We can treat it.\n\n![](images/patch.svg)")
    assert problems_of(project) == [
        f"{TOPIC}:24: error: image images/patch.svg has no alt text: write ![what it shows](images/patch.svg) [alt-text]"]


def test_link_in_body(project):
    edit(project, TOPIC, "We can treat it.", "We can [treat it](https://example.org).")
    assert problems_of(project) == [
        f"{TOPIC}:22: error: links are not allowed in handout text (https://example.org): a printed page "
        "cannot be clicked; put web addresses in sources.yaml [link]"]


def test_unknown_component(project):
    edit(project, TOPIC, "[[drug-table]]", "[[drug-chart]]")
    assert problems_of(project) == [f"{TOPIC}:24: error: unknown component [[drug-chart]]; known: [[drug-table]], "
                                    "[[jak-signal-diagram]], [[phototherapy-log]], [[questions-checklist]] [component]"]


def test_bad_colour(project):
    edit(project, BRAND, 'primary = "#204a87"', 'primary = "blue"')
    assert problems_of(project) == [f"{BRAND}:10: error: colour 'primary' must be written #rrggbb, found 'blue' [schema]"]


def test_bad_file_name(project):
    (project / "handouts/topics/Notes.txt").write_text("notes")
    assert problems_of(project) == [
        "handouts/topics/Notes.txt: error: unexpected file name: content files are named <slug>.<language>.md, "
        "e.g. what-is-vitiligo.en.md (slug: lowercase letters, digits and hyphens) [file-name]"]


def test_broken_template_variable(project):
    edit(project, "templates/partials/topic.html.j2", "{{ handout.title }}</h1>", "{{ handout.titel }}</h1>")
    assert problems_of(project) == [
        "templates/partials/topic.html.j2:3: error: undefined template variable: "
        "'handout_builder.model.Topic object' has no attribute 'titel' [template]"]


def test_css_warning_is_a_problem(project):
    (project / "styles/components.css").write_text(
        (project / "styles/components.css").read_text() + "\nh1 { colr: red; }\n")
    [problem] = problems_of(project)
    line = len((project / "styles/components.css").read_text().splitlines())
    assert problem == f"styles/components.css:{line}: error: CSS: Ignored `colr: red` at {line}:6, unknown property. [css]"


def test_every_problem_is_reported_at_once(project):
    edit(project, TOPIC, "reviewed_on: 2026-10-01", "reviewed_on: soon")
    edit(project, DRUG, "route: topical", "route: nasal")
    result = run("build", project=project)
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"{DRUG}:5: error: 'route' must be one of: topical, oral; found 'nasal' [schema]",
        f"{TOPIC}:12: error: 'reviewed_on' must be a date written YYYY-MM-DD, found 'soon' [schema]",
        "2 problems in 2 files; nothing was built.",
    ]


def test_check_reports_the_same_problems_without_writing(project):
    edit(project, DRUG, "route: topical", "route: nasal")
    result = run("check", project=project)
    assert result.exit_code == 1
    assert f"{DRUG}:5: error: 'route' must be one of: topical, oral; found 'nasal' [schema]" in result.stderr
    assert not (project / "out").exists()


def test_a_failed_build_leaves_earlier_outputs_untouched(project):
    assert run("build", project=project).exit_code == 0
    before = {p: p.read_bytes() for p in (project / "out").rglob("*") if p.is_file()}
    edit(project, "templates/partials/drug.html.j2", "maker=handout.maker", "maker=handout.makr")
    assert run("build", project=project).exit_code == 1
    after = {p: p.read_bytes() for p in (project / "out").rglob("*") if p.is_file()}
    assert after == before  # same files, same bytes, no temporary files left behind


def test_no_project_folder(tmp_path):
    result = run("build", project=tmp_path)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"--project: error: no project folder found in {tmp_path} or above (one holding handouts/, templates/ "
        "and styles/); run inside it or pass --project DIR [no-project]",
        "1 problem with --project; nothing was done."]


def commands() -> list[str]:
    from make_handouts import cli

    return sorted(cli.commands)


def test_the_command_list_is_the_documented_one():
    assert {"build", "watch", "check", "list", "print", "personalize", "batch", "email"} <= set(commands())


@pytest.mark.parametrize("command", commands())
def test_help_on_every_command(command):
    from make_handouts import cli

    result = run(command, "--help")
    assert result.exit_code == 0
    assert result.output.startswith(f"Usage: cli {command} [OPTIONS]")
    summary = cli.commands[command].help.split("\n")[0][:40]
    assert " ".join(summary.split()) in " ".join(result.output.split())
    for param in cli.commands[command].params:
        for option in param.opts:
            if option.startswith("--"):
                assert option in result.output, (command, option)
    listing = run("--help").output
    assert f"  {command} " in listing  # the group's help lists it


def test_a_leaflet_call_us_if_item_must_be_one_of_the_topics_own(project):
    edit(project, TOPIC, "reviewed_by:", "leaflet:\n  call_us_if:\n    - A patch gets itchy.\nreviewed_by:")
    assert problems_of(project) == [f"{TOPIC}:13: error: leaflet.call_us_if item 'A patch gets itchy.' is not one of "
                                    "this topic's call_us_if items: copy the item exactly [leaflet]"]


def test_unknown_key_in_a_topics_leaflet_table(project):
    edit(project, TOPIC, "reviewed_by:", "leaflet:\n  blurb: Short.\nreviewed_by:")
    assert problems_of(project) == [f"{TOPIC}:12: error: unknown field 'blurb' in 'leaflet' "
                                    "(known fields: call_us_if, summary) [schema]"]


def test_source_year_is_optional_but_must_be_a_year(project):
    edit(project, "handouts/sources.yaml", "  year: 2024\n", "")  # an undated source is fine
    edit(project, "handouts/sources.yaml", "  year: 2025", "  year: twenty")
    assert problems_of(project) == [
        "handouts/sources.yaml:4: error: 'year' must be a whole number of at least 1900, found 'twenty' [schema]"]


# --- bugs found by the code review (each failed before the package was reshaped) -------------------

def test_a_content_file_that_is_not_utf8_is_a_problem_not_a_traceback(project):
    path = project / TOPIC
    data = path.read_bytes().replace("Patches".encode(), "Patch\xe9s".encode("latin-1"), 1)
    line = data[:data.index(b"\xe9")].count(b"\n") + 1
    path.write_bytes(data)
    for command in ("check", "build", "list"):
        result = run(command, project=project)
        assert result.exit_code == 1, command
        assert f"{TOPIC}: error: not UTF-8 text (byte 0xe9 at line {line}): save it as UTF-8 [encoding]" \
            in result.stderr, command
    assert not (project / "out").exists()


def test_a_glossary_that_is_not_utf8_is_a_problem_not_a_traceback(project):
    path = project / "handouts/glossary.en.yaml"
    path.write_bytes(path.read_bytes() + b"caf\xe9: a drink.\n")
    line = path.read_bytes().count(b"\n")
    assert problems_of(project) == [
        f"handouts/glossary.en.yaml: error: not UTF-8 text (byte 0xe9 at line {line}): save it as UTF-8 [encoding]"]


def test_a_utf16_content_file_is_named_as_such(project):
    path = project / DRUG
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))
    assert problems_of(project) == [
        f"{DRUG}: error: not UTF-8 text (byte 0xff at line 1) (it looks like UTF-16): save it as UTF-8 [encoding]"]


def test_check_validates_the_brand_files_smtp_table(project):
    brand = project / BRAND
    brand.write_text(brand.read_text() + '\n[smtp]\nhost = "mail.example.org"\nprot = 587\nport = "587"\n'
                     'starttls = "yes"\n')
    lines = brand.read_text().splitlines()
    port, prot, starttls = (lines.index(text) + 1 for text in ('port = "587"', "prot = 587", 'starttls = "yes"'))
    result = run("check", "--today", "2026-11-01", project=project)
    assert result.exit_code == 1
    problems = [line for line in result.stderr.splitlines() if "smtp" in line or "'port'" in line
                or "'starttls'" in line]
    assert problems == [
        f"{BRAND}:{prot}: error: unknown field 'prot' in 'smtp' (known fields: ca_file, from, host, port, "
        "starttls, user); the password is never kept in the brand file: it comes from an environment "
        "variable [schema]",
        f"{BRAND}:{port}: error: 'port' must be a whole number of at least 1, found '587' [schema]",
        f"{BRAND}:{starttls}: error: 'starttls' must be true or false, found 'yes' [schema]"]
