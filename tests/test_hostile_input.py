"""Hostile and broken input files: each gets `path:line: error: message [code]` and exit 1, never a
traceback; a real bug keeps its traceback and exits 3. Impossible dates, encodings, byte-order marks,
YAML anchors and aliases (the alias bomb), oversized files, and links to files outside the project."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from conftest import edit, run
from handout_builder.content.fields import MAX_FILE_BYTES

TOPIC = "handouts/topics/about-patches.en.md"
DRUG = "handouts/drugs/testinib.en.yaml"
SOURCES = "handouts/sources.yaml"
GLOSSARY = "handouts/glossary.en.yaml"
BRAND = "handouts/clinic.toml"
CONTENT_FILES = (TOPIC, DRUG, SOURCES, GLOSSARY, BRAND)


def problems(project: Path, *args: str) -> list[str]:
    """The problem lines a command prints; it must fail as bad input does (exit 1, nothing written)."""
    result = run(*args, project=project)
    assert result.exit_code == 1, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    assert not (project / "out").exists()
    lines = result.stderr.strip().splitlines()
    assert lines[-1].endswith(("nothing was built.", "the content needs work."))
    return lines[:-1]


# --- impossible dates -----------------------------------------------------------------------------------

@pytest.mark.parametrize("command", [("build",), ("check", "--lang", "en"), ("list",)])
def test_an_impossible_review_date_is_reported_at_its_line(project, command):
    edit(project, TOPIC, "reviewed_on: 2026-10-01", "reviewed_on: 2026-02-30")
    assert problems(project, *command) == [
        f"{TOPIC}:12: error: 'reviewed_on' is 2026-02-30, a day that does not exist (day is out of range "
        "for month): give a real date, YYYY-MM-DD [schema]"]


def test_an_impossible_month_in_a_status_date_is_reported_at_its_line(project):
    edit(project, DRUG, "    as_of: 2026-06-02", "    as_of: 2026-13-01")
    assert problems(project, "build") == [
        f"{DRUG}:18: error: 'as_of' is 2026-13-01, a day that does not exist (month must be in 1..12): "
        "give a real date, YYYY-MM-DD [schema]"]


# --- encodings -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("relative", CONTENT_FILES)
def test_a_utf8_byte_order_mark_is_accepted_in_every_content_file(project, relative):
    path = project / relative
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    result = run("list", "--json", project=project)
    assert result.exit_code == 0, result.output
    assert {row["slug"] for row in json.loads(result.stdout)} == {"about-patches", "testinib"}


@pytest.mark.parametrize("relative", CONTENT_FILES)
def test_a_utf16_content_file_is_refused_with_a_message(project, relative):
    path = project / relative
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))  # with its byte-order mark
    # (Without its sources, every citation is also unknown: reported too.)
    assert (f"{relative}: error: not UTF-8 text (byte 0xff at line 1) (it looks like UTF-16): save it as UTF-8 "
            "[encoding]") in problems(project, "list")


@pytest.mark.parametrize("relative", CONTENT_FILES)
def test_utf16_without_a_byte_order_mark_is_refused_too(project, relative):
    path = project / relative
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16-le"))  # every ASCII byte then a NUL
    assert (f"{relative}: error: not UTF-8 text (a NUL byte at line 1; it looks like UTF-16): save it as UTF-8 "
            "[encoding]") in problems(project, "list")


# --- size --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("relative", CONTENT_FILES)
def test_an_oversized_content_file_is_refused_before_it_is_parsed(project, relative):
    path = project / relative
    comment = b"\n#" if relative != TOPIC else b"\n"
    path.write_bytes(path.read_bytes() + comment + b"x" * (MAX_FILE_BYTES + 10 * 1024))
    started = time.perf_counter()
    assert (f"{relative}: error: the file is {path.stat().st_size // 1024} KB; content files are at most 512 KB "
            "[file-size]") in problems(project, "list")
    assert time.perf_counter() - started < 5


CATALOG = "locales/es/LC_MESSAGES/messages.po"


def test_a_utf16_translation_catalog_is_refused_with_a_message(project):
    path = project / CATALOG
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))
    assert problems(project, "build", "--lang", "es") == [
        f"{CATALOG}: error: not UTF-8 text (byte 0xff at line 1) (it looks like UTF-16): save it as UTF-8 [encoding]"]


def test_an_oversized_translation_catalog_is_refused(project):
    path = project / CATALOG
    path.write_bytes(path.read_bytes() + b"\n#" + b"x" * MAX_FILE_BYTES)
    assert problems(project, "build", "--lang", "es") == [
        f"{CATALOG}: error: the file is {path.stat().st_size // 1024} KB; content files are at most 512 KB [file-size]"]


# --- anchors and aliases --------------------------------------------------------------------------------

ANCHOR = ("error: invalid YAML: anchor '&{name}' is not allowed: content files write every value out "
          "(no anchors or aliases) [yaml]")
ALIAS = ("error: invalid YAML: alias '*{name}' is not allowed: content files write every value out "
         "(no anchors or aliases) [yaml]")


def test_an_anchor_in_a_drug_file_is_refused_at_its_line(project):
    edit(project, DRUG, "targets: [JAK1, JAK2]", "targets: &both [JAK1, JAK2]")
    assert problems(project, "check", "--lang", "en") == [f"{DRUG}:8: " + ANCHOR.format(name="both")]


def test_an_alias_in_front_matter_is_refused_at_its_line(project):
    # The anchor's own line is reported first; an alias alone (its anchor undefined) at its own line.
    edit(project, TOPIC, "what_you_can_do:\n  - Use sunscreen on pale patches.",
         "what_you_can_do:\n  - *points")
    assert problems(project, "build") == [f"{TOPIC}:8: " + ALIAS.format(name="points")]


def test_a_yaml_alias_bomb_is_refused_at_once(project):
    # Nested aliases: each level holds nine of the one before. The real one (8 levels, 600 bytes) took
    # 957 MB and 25 s to load; this one has 5 levels, enough to show it is refused before it is built.
    lines = ['lol: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * 9) + "]" for n in range(1, 6)]
    (project / SOURCES).write_text("\n".join(lines) + "\n", encoding="utf-8")
    started = time.perf_counter()
    assert f"{SOURCES}:1: " + ANCHOR.format(name="l0") in problems(project, "list")
    assert time.perf_counter() - started < 5


def test_a_table_as_a_field_name_is_refused_at_its_line(project):
    edit(project, DRUG, "maker: Test Pharma", "? {a: b}\n: Test Pharma")
    assert problems(project, "list") == [
        f"{DRUG}:3: error: invalid YAML: a field name must be a word, found a table [yaml]"]


def test_a_merge_key_without_an_alias_still_works(project):
    # `<<` with an inline table needs no anchor: not every YAML feature is refused, only anchors and aliases.
    edit(project, SOURCES, "test-review:\n", "test-review:\n  <<: {publisher: Journal of Tests}\n")
    edit(project, SOURCES, "  publisher: Journal of Tests\n  year: 2024", "  year: 2024")
    result = run("list", project=project)
    assert result.exit_code == 0, result.output


# --- links to files outside the project -------------------------------------------------------------------

@pytest.fixture
def elsewhere(tmp_path) -> Path:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    return folder


def link_outside(project: Path, relative: str, elsewhere: Path) -> Path:
    """Move a content file out of the project and leave a link to it in its place."""
    path = project / relative
    target = elsewhere / path.name
    path.rename(target)
    path.symlink_to(target)
    return target


@pytest.mark.parametrize("relative", CONTENT_FILES)
def test_a_content_file_linked_from_outside_the_project_is_refused(project, relative, elsewhere):
    target = link_outside(project, relative, elsewhere)
    what = "brand file" if relative == BRAND else "file"
    assert (f"{relative}: error: {what} is a link to {target}, outside handouts/: content files must be in the "
            "project, not linked from elsewhere [link]") in problems(project, "build")


def test_a_new_topic_linked_from_outside_is_not_published(project, elsewhere):
    outside = elsewhere / "secret.en.md"
    outside.write_text((project / TOPIC).read_text().replace("About patches", "Not ours"))
    (project / "handouts/topics/secret.en.md").symlink_to(outside)
    assert problems(project, "build") == [
        f"handouts/topics/secret.en.md: error: file is a link to {outside}, outside handouts/: content "
        "files must be in the project, not linked from elsewhere [link]"]


def test_a_linked_topics_folder_outside_the_project_is_refused(project, elsewhere):
    folder = project / "handouts/topics"
    folder.rename(elsewhere / "topics")
    folder.symlink_to(elsewhere / "topics")
    lines = problems(project, "list")
    assert lines == [f"handouts/topics/about-patches.en.md: error: file is a link to "
                     f"{elsewhere / 'topics/about-patches.en.md'}, outside handouts/: content files must be in "
                     "the project, not linked from elsewhere [link]"]


def test_a_link_to_another_file_inside_handouts_is_followed(project):
    # Kept in a folder of drafts beside the published files, and linked: still the project's own file.
    drafts = project / "handouts/drafts"
    drafts.mkdir()
    (project / GLOSSARY).rename(drafts / "glossary.en.yaml")
    (project / GLOSSARY).symlink_to(drafts / "glossary.en.yaml")
    result = run("list", project=project)
    assert result.exit_code == 0, result.output


def test_a_brand_file_given_with_brand_may_be_kept_anywhere(project, elsewhere):
    for name in ("clinic.toml", "logo.svg"):
        (elsewhere / name).write_bytes((project / "handouts" / name).read_bytes())
    result = run("list", "--brand", str(elsewhere / "clinic.toml"), project=project)
    assert result.exit_code == 0, result.output


# --- bugs and bad input --------------------------------------------------------------------------------

def test_a_bug_keeps_its_traceback_and_exits_3(project, monkeypatch):
    import handout_builder.checks.review as review

    def planted(*args):
        raise RuntimeError("a planted bug")

    monkeypatch.setattr(review, "list_handouts", planted)
    result = run("list", project=project)
    assert result.exit_code == 3
    assert "Traceback (most recent call last):" in result.stderr
    assert "RuntimeError: a planted bug" in result.stderr
    assert result.stderr.rstrip().endswith(
        "make-handouts: this is a bug in make-handouts, not a problem with your files; please report it "
        "with the lines above")


HOSTILE = {
    "impossible date": (TOPIC, "reviewed_on: 2026-10-01", "reviewed_on: 2026-02-31"),
    "impossible month": (DRUG, "as_of: 2026-02-03", "as_of: 2026-00-03"),
    "impossible datetime": (DRUG, "reviewed_on: 2026-09-01", "reviewed_on: 2026-09-31 10:00:00"),
    "anchor": (SOURCES, "test-label:", "test-label: &label"),
    "alias": (GLOSSARY, "melanocytes: the cells", "melanocytes: *cells"),
    "a tag": (DRUG, "generic: testinib cream", "generic: !!python/object:os.system echo"),
    "a binary value": (DRUG, "generic: testinib cream", "generic: !!binary aGVsbG8="),
    "a set": (DRUG, "generic: testinib cream", "generic: !!set {a, b}"),
    "a NUL": (TOPIC, "About patches", "About\0patches"),
    "a key that is a table": (DRUG, "maker: Test Pharma", "? {a: b}\n: Test Pharma"),
    "a key that is a list": (SOURCES, "test-label:", "[test, label]:"),
    "not valid TOML": (BRAND, "[colors]", "[colors"),
    "an impossible TOML date": (BRAND, 'name = "Sample Skin Clinic"', "name = 2026-02-30"),
}


@pytest.mark.parametrize("case", HOSTILE)
@pytest.mark.parametrize("command", [("build",), ("check",), ("list",)])
def test_bad_input_never_exits_as_a_bug(project, case, command):
    relative, old, new = HOSTILE[case]
    edit(project, relative, old, new)
    result = run(*command, project=project)
    assert result.exit_code == 1, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    assert not (project / "out").exists()
