"""Personalised handouts: the patient block, encryption, hostile fields, and where the name must not go."""

from __future__ import annotations

import unicodedata

import gc
import io
import logging
import tempfile
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from pypdf.generic import ByteStringObject, DictionaryObject, ArrayObject, StreamObject, TextStringObject

from conftest import pdf_text, run
from handout_builder.problems import BuildFailed
from handout_builder.deliver.patient import BIDI_CONTROLS, MAX_NAME, check_request
from handout_builder.deliver.personalize import Personalizer

PATIENT = "Zelda Quixotic-Farnsworth"
PLAN = "Apply a thin layer twice a day.\nStop if the skin burns."


def squashed(text: str) -> str:
    return " ".join(text.split())


def everything_in(reader: PdfReader) -> bytes:
    """Every string and every decoded stream reachable from the trailer: the info dictionary, the XMP
    metadata, the structure tree, the outline, fonts and page content (which holds glyph ids, not text)."""
    seen, chunks = set(), []

    def walk(obj):
        if hasattr(obj, "idnum"):
            if obj.idnum in seen:
                return
            seen.add(obj.idnum)
            obj = obj.get_object()
        if isinstance(obj, StreamObject):
            chunks.append(obj.get_data())
        if isinstance(obj, DictionaryObject):
            for value in obj.values():
                walk(value)
        elif isinstance(obj, ArrayObject):
            for value in obj:
                walk(value)
        elif isinstance(obj, (TextStringObject, ByteStringObject)):
            chunks.append(obj.original_bytes if hasattr(obj, "original_bytes") else bytes(obj))
            chunks.append(str(obj).encode("utf-8"))

    walk(reader.trailer)
    return b"\n".join(chunks)


def assert_name_not_in_pdf_objects(reader: PdfReader, name: str) -> None:
    data = everything_in(reader)
    assert len(data) > 10_000  # the walk reached the document, not just the trailer
    for encoding in ("utf-8", "utf-16-be", "latin-1"):
        assert name.encode(encoding) not in data, encoding
    assert reader.xmp_metadata is not None
    assert reader.metadata.title and name not in str(dict(reader.metadata))


@pytest.fixture(scope="module")
def personalizer(tmp_path_factory):
    from conftest import make_project

    return Personalizer(make_project(tmp_path_factory.mktemp("personal") / "project"))


def request_for(personalizer, **values):
    """The checked request (or None) and each problem's message; `fields` of the last call holds the field
    each problem was reported for."""
    problems: list[str] = []
    request_for.fields = []

    def report(field: str, message: str) -> None:
        request_for.fields.append(field)
        problems.append(message)

    request = check_request({"slug": "testinib", **values}, personalizer.slugs, personalizer.langs,
                            date(2030, 1, 1), report)
    return request, problems


def test_personalize_every_handout_encrypted_name_only_in_the_page_content(project, tmp_path, monkeypatch,
                                                                           caplog):
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    monkeypatch.setenv("TMPDIR", str(temp))
    caplog.set_level(logging.DEBUG)
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    slugs = [line.split()[0] for line in run("list", project=project).output.splitlines()]
    assert slugs == ["about-patches", "testinib"]  # a topic and a drug
    for slug in slugs:
        out = project / "handouts-to-send" / f"{slug}.pdf"
        result = run("personalize", slug, "--patient", PATIENT, "--prescriber", "Dr Ana Díaz", "--plan", PLAN,
                     "--next-visit", "2099-03-01", "--password", "-o", str(out), project=project,
                     input="s3cret pass\ns3cret pass\n")
        assert result.exit_code == 0, result.output
        assert "encrypted with AES-256" in result.output
        reader = PdfReader(out)
        assert reader.is_encrypted
        assert reader.decrypt("s3cret pass")
        encryption = reader.trailer["/Encrypt"]
        assert (encryption["/V"], encryption["/R"]) == (5, 6)  # AES-256
        permissions = reader.user_access_permissions
        from pypdf.constants import UserAccessPermissions as Allow
        assert Allow.PRINT in permissions and Allow.PRINT_TO_REPRESENTATION in permissions
        assert Allow.EXTRACT_TEXT_AND_GRAPHICS in permissions
        sheet = squashed(reader.pages[0].extract_text())
        assert sheet.startswith(f"Sample Skin Clinic Your plan Prepared for {PATIENT} by Dr Ana Díaz on")
        assert ("Apply a thin layer twice a day. Stop if the skin burns. Your next visit: March 1, 2099"
                in sheet)
        assert "/StructTreeRoot" in reader.trailer["/Root"]  # encryption kept the tags
        assert_name_not_in_pdf_objects(reader, PATIENT)
        assert PATIENT not in result.output and PATIENT not in str(out)
    assert PATIENT not in caplog.text
    gc.collect()  # WeasyPrint removes its font folder when its FontConfiguration goes away
    assert list(temp.iterdir()) == []  # nothing left in the temporary folder
    after = sorted(p.relative_to(project) for p in project.rglob("*"))
    assert [p for p in after if p not in before] == [
        p.relative_to(project) for p in [project / "handouts-to-send", *(
            project / "handouts-to-send" / f"{s}.pdf" for s in sorted(slugs))]]
    assert not (project / "out").exists()  # no manifest, no shared outputs


def test_without_a_password_the_output_says_it_is_not_encrypted(project):
    out = project / "copy.pdf"
    result = run("personalize", "testinib", "--patient", PATIENT, "-o", str(out), project=project)
    assert result.exit_code == 0, result.output
    assert "not encrypted: no password given" in result.output
    reader = PdfReader(out)
    assert not reader.is_encrypted
    assert f"Prepared for {PATIENT} on" in squashed(pdf_text(out))
    assert "Your plan" not in pdf_text(out)  # no plan, no next visit: no plan box
    assert_name_not_in_pdf_objects(reader, PATIENT)


def test_shared_handouts_have_no_personal_block(sample_build):
    assert "Prepared for" not in pdf_text(sample_build / "en/letter/testinib.pdf")


def test_an_output_file_named_after_the_patient_is_refused(project):
    result = run("personalize", "testinib", "--patient", "Ann Lee", "-o", str(project / "ann lee.pdf"),
                 project=project)
    assert result.exit_code == 1
    assert "--output: error: the output file name contains the patient's name" in result.output
    assert not (project / "ann lee.pdf").exists()


@pytest.mark.parametrize("field, value, message", [
    ("patient", "", "patient name is empty"),
    ("patient", "A" * 500, f"patient is 500 characters; at most {MAX_NAME} fit on the handout"),
    ("patient", "Ann\nLee", "patient has a line break: write it on one line"),
    ("patient", "Ann\x07Lee", "patient contains the non-printing character U+0007; remove it"),
    ("prescriber", "Dr\u2028Who", "prescriber contains the non-printing character U+2028; remove it"),
    ("patient", "\u00ad\u200d", "patient has no visible character"),
    ("plan", "x" * 1201, "plan is 1201 characters; at most 1200 fit in the plan box"),
    ("next_visit", "31/12/2099", "next_visit is not a date written YYYY-MM-DD, e.g. 2025-06-30"),
    ("next_visit", "2029-12-31", "next_visit is in the past"),
    ("lang", "fr", "unknown language 'fr' (available: en, es)"),
    ("large_print", "maybe", "large_print is 'maybe': write yes or no (or leave it empty)"),
    ("paper", "legal", "unknown paper 'legal' (known: letter, a4)"),
])
def test_fields_that_cannot_be_printed_are_refused_clearly(personalizer, field, value, message):
    values = {"patient": "Ann Lee", field: value}
    request, problems = request_for(personalizer, **values)
    assert request is None
    assert problems == [message]
    assert request_for.fields == [field]  # the app shows the message beside this field


HOSTILE = {
    "html": '<img src="file:///etc/passwd"><script>alert(1)</script><b>Ann</b>',
    "css": "</p><style>body { display: none }</style>",
    "jinja": "{{ clinic.name }} {% raw %}",
    "url": "https://tracker.example/pixel.png?id=1",
    "rtl": "מרים כהן عائشة",
    "emoji": "Ann ❤ ☺ Lee",  # in the fonts here; an emoji outside them is refused (below)
}


@pytest.mark.parametrize("kind", HOSTILE)
def test_hostile_fields_print_as_plain_text_and_fetch_nothing(personalizer, kind, tmp_path):
    value = HOSTILE[kind]
    request, problems = request_for(personalizer, patient=value, prescriber=value,
                                    plan=f"{value}\n{value}\n" + "long plan " * 50)
    assert problems == []
    data, pages = personalizer.render(request)
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    text = "".join(pdf_text(path).split())  # a long value may wrap anywhere
    if kind != "rtl":  # right-to-left runs extract in visual order
        assert f"Preparedfor{''.join(value.split())}by{''.join(value.split())}" in text
    for word in value.split():
        assert word in text
    assert personalizer.refused == []
    assert pages == 4  # the plan sheet and the 3-page sample handout


def test_characters_no_font_can_print_are_refused_without_quoting_the_name(personalizer):
    request, problems = request_for(personalizer, patient="Ann \U0001F469 Lee")
    assert problems == []
    with pytest.raises(BuildFailed) as failure:
        personalizer.render(request)
    assert [p.message for p in failure.value.problems] == [
        "patient contains U+1F469, which no installed font can print (it would show as an empty box); "
        "write it another way"]


def test_a_long_unbroken_plan_wraps_inside_the_page(personalizer, tmp_path):
    request, _ = request_for(personalizer, patient="Ann Lee", plan="x" * 1000)
    data, _ = personalizer.render(request)
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    assert "x" * 1000 in pdf_text(path).replace("\n", "")
    import pypdfium2
    page = pypdfium2.PdfDocument(data)[0]
    for index in range(page.get_textpage().count_chars()):
        left, _, right, _ = page.get_textpage().get_charbox(index)
        assert right <= page.get_width() - 0.7 * 72  # inside the right margin


# Arbitrary printable Unicode: validation refuses control, unassigned and bidi control characters, tested
# above and in test_patient_fields.py.
NAMES = st.text(st.characters(exclude_categories=("Cc", "Cs", "Co", "Cn", "Zl", "Zp"),
                              exclude_characters="".join(BIDI_CONTROLS)),
                min_size=1, max_size=30).filter(
    lambda s: any(unicodedata.category(c)[0] in "LNPS" for c in s))


def visible(text: str) -> str:
    """What a reader (and text extraction) sees: format characters such as U+00AD are invisible."""
    return squashed("".join(c for c in text if unicodedata.category(c) != "Cf"))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=NAMES)
def test_any_printable_name_gives_a_valid_pdf_with_the_name_in_its_text(personalizer, tmp_path, name):
    request, problems = request_for(personalizer, patient=name, prescriber="Dr Who")
    assert problems == []
    try:
        data, pages = personalizer.render(request)
    except BuildFailed as failure:  # a character no installed font has is refused, and said so
        for problem in failure.problems:
            assert "which no installed font can print" in problem.message
            assert squashed(name) not in problem.message
        return
    path = tmp_path / "property.pdf"
    path.write_bytes(data)
    reader = PdfReader(path)
    assert len(reader.pages) == pages
    assert visible(name) in visible(pdf_text(path))


def test_every_real_drug_handout_personalised_encrypted_name_only_inside(tmp_path, monkeypatch, caplog):
    """Acceptance: each drug handout of the real content, with a password; the name and plan are in the
    decrypted text, and the name is in no file name, no metadata (info, XMP), no log line, no temp file."""
    from conftest import REPO
    from test_batch import write_csv

    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    caplog.set_level(logging.DEBUG)
    drugs = sorted(p.name.split(".")[0] for p in (REPO / "handouts/drugs").glob("*.en.yaml"))
    assert len(drugs) >= 4
    csv_path = tmp_path / "list.csv"
    write_csv(csv_path, [[slug, PATIENT, "Dr Ana Díaz", PLAN, "2099-03-01", "en", "letter", "", "s3cret pass"]
                         for slug in drugs])
    out = tmp_path / "to-send"
    result = run("batch", str(csv_path), "--out", str(out), "--jobs", "1", project=REPO)
    assert result.exit_code == 0, result.output + result.stderr
    assert f"encrypted (AES-256): {len(drugs)}; not encrypted (no password): 0" in result.output
    # Named by the line each row starts on: two lines a row, as the plan has a line break.
    assert sorted(p.name for p in out.iterdir()) == [f"row-{2 + 2 * n:04d}-{slug}.pdf"
                                                     for n, slug in enumerate(drugs)]
    for path in out.iterdir():
        reader = PdfReader(path)
        assert reader.is_encrypted and reader.decrypt("s3cret pass")
        sheet = squashed(reader.pages[0].extract_text())
        assert f"Your plan Prepared for {PATIENT} by Dr Ana Díaz on" in sheet
        assert "Apply a thin layer twice a day. Stop if the skin burns." in sheet
        assert_name_not_in_pdf_objects(reader, PATIENT)  # info dictionary and XMP included
        assert b"Quixotic" not in reader.xmp_metadata.stream.get_data()
        assert "Quixotic" not in path.name
    assert "Quixotic" not in caplog.text + result.output + result.stderr
    assert list(temp.iterdir()) == []  # the shared font folder was removed


def test_the_handout_behind_the_plan_sheet_is_the_shared_one(personalizer, sample_build, tmp_path):
    """The plan sheet is page 1; then come the front desk's pages, text and content version alike."""
    request, _ = request_for(personalizer, patient="Ann Lee", plan="Twice a day.")
    data, pages = personalizer.render(request)
    path = tmp_path / "personal.pdf"
    path.write_bytes(data)
    personal, shared = PdfReader(path), PdfReader(sample_build / "en/letter/testinib.pdf")
    assert pages == len(personal.pages) == len(shared.pages) + 1
    assert "Page " not in personal.pages[0].extract_text()  # the sheet has no page number of its own
    assert [p.extract_text() for p in personal.pages[1:]] == [p.extract_text() for p in shared.pages]
    assert "Version " in shared.pages[0].extract_text()
    assert personal.metadata.title == shared.metadata.title
    def chapters(reader):  # top-level bookmarks (nested ones come as lists)
        return [item.title for item in reader.outline if not isinstance(item, list)]
    assert chapters(personal) == ["Your plan", *chapters(shared)]


def test_a_plan_too_long_for_its_sheet_is_refused_by_field(personalizer):
    request, problems = request_for(personalizer, patient="Ann Lee", plan="Take it.\n" * 40)
    assert problems == []
    with pytest.raises(BuildFailed) as failure:
        personalizer.render(request)
    assert [p.message for p in failure.value.problems] == [
        "the plan sheet takes 2 pages; a plan must fit on one: shorten the plan (fewer lines)"]


def test_spanish_large_print_copy(project, tmp_path):
    out = tmp_path / "rinvoq.pdf"
    result = run("personalize", "testinib", "--patient", PATIENT, "--plan", "Una vez al día.", "--lang", "es",
                 "--large-print", "-o", str(out), project=project)
    assert result.exit_code == 0, result.output
    reader = PdfReader(out)
    sheet = squashed(reader.pages[0].extract_text())
    assert f"Su plan Preparado para {PATIENT} el" in sheet and "Una vez al día." in sheet
    assert "Página 1 de" in reader.pages[1].extract_text()
    assert reader.trailer["/Root"]["/Lang"] == "es"
    from test_accessibility import LARGE_PRINT_MIN_PT, text_sizes
    assert min(size for _, size in text_sizes(reader.pages[0])) >= LARGE_PRINT_MIN_PT  # the sheet too


def test_a_personalised_copy_is_as_accessible_as_the_shared_one(personalizer, tmp_path):
    """The plan sheet and the reused handout pages make one tagged document (PDF/UA-1)."""
    from test_accessibility import pdfua_problems, structure_problems

    paths = []
    for lang, large_print in (("en", ""), ("es", "yes")):
        request, _ = request_for(personalizer, patient="Ann Lee", plan="Twice a day.", lang=lang,
                                 large_print=large_print, next_visit="2099-01-01")
        path = tmp_path / f"{lang}.pdf"
        path.write_bytes(personalizer.render(request)[0])
        paths.append(path)
        assert structure_problems(path) == []
        assert PdfReader(path).trailer["/Root"]["/Lang"] == lang
    assert pdfua_problems(paths) == {"en.pdf": [], "es.pdf": []}


def test_a_current_shared_build_is_the_handout_behind_the_sheet_and_a_stale_one_is_not(project):
    """The build's PDF of the very content version is reused as it is (marked here, in its keywords, with
    its manifest digest updated, to see it come through); a file the manifest does not describe (another
    patient's copy put there) is not; after an edit the version no longer matches, and the handout is
    written afresh."""
    import hashlib
    import json

    import pikepdf

    from conftest import edit

    assert run("build", project=project).exit_code == 0
    built = project / "out" / "en" / "letter" / "testinib.pdf"
    personalizer = Personalizer(project)
    request, _ = request_for(personalizer, patient="Ann Lee", plan="Twice a day.")
    built.write_bytes(personalizer.render(request)[0])  # a copy with Ann Lee's sheet, where the build wrote
    request, _ = request_for(personalizer, patient="Bo Park", plan="Twice a day.")
    text = pdf_text_of(Personalizer(project).render(request)[0])
    assert "Bo Park" in text and "Ann Lee" not in text

    assert run("build", "--force", project=project).exit_code == 0
    with pikepdf.open(built, allow_overwriting_input=True) as pdf:
        pdf.docinfo["/Keywords"] = "from the shared build"
        pdf.save(built)
    manifest = json.loads((project / "out/manifest.json").read_text())
    for entry in manifest:
        if entry["path"] == "en/letter/testinib.pdf":
            entry["sha256"] = hashlib.sha256(built.read_bytes()).hexdigest()
    (project / "out/manifest.json").write_text(json.dumps(manifest))
    reader = PdfReader(io.BytesIO(Personalizer(project).render(request)[0]))
    assert reader.metadata["/Keywords"] == "from the shared build"
    assert len(reader.pages) == len(PdfReader(built).pages) + 1

    edit(project, "handouts/drugs/testinib.en.yaml", "Testo", "Testa")
    personalizer = Personalizer(project)
    request, _ = request_for(personalizer, patient="Ann Lee", plan="Twice a day.")
    reader = PdfReader(io.BytesIO(personalizer.render(request)[0]))
    assert reader.metadata["/Keywords"] != "from the shared build"
    assert "Testa" in reader.pages[1].extract_text()


def pdf_text_of(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
