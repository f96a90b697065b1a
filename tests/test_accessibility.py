"""Accessibility of every built PDF: the structural PDF/UA checks, the `pdfua` checker, and the
large-print edition (18 pt and more, contents page numbers right), on the real content."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import REPO, assert_contents_match_chapters, run
from test_real_content import DRUGS, TOPICS

LARGE_PRINT_MIN_PT = 18.0
SVG_TEXT = re.compile(r"<text\b[^>]*>([^<]+)</text>")


@pytest.fixture(scope="module")
def large_print_build(tmp_path_factory) -> Path:
    """The real content built in large print (letter), with its HTML kept beside it."""
    folder = tmp_path_factory.mktemp("large-print")
    result = run("build", "--large-print", "--out", str(folder / "out"), "--html", str(folder / "html"),
                 project=REPO)
    assert result.exit_code == 0, result.output
    return folder


def built_pdfs(out: Path) -> list[Path]:
    return [out / e["path"] for e in json.loads((out / "manifest.json").read_text())]


def figure_elements(reader: PdfReader) -> list:
    """Every /Figure structure element in the tag tree."""
    figures = []

    def walk(node):
        node = node.get_object()
        if isinstance(node, list):
            for kid in node:
                walk(kid)
        elif hasattr(node, "keys"):
            if node.get("/S") == "/Figure":
                figures.append(node)
            if "/K" in node:
                walk(node["/K"])

    walk(reader.trailer["/Root"]["/StructTreeRoot"])
    return figures


def structure_problems(path: Path) -> list[str]:
    """The structural PDF/UA-1 checks that pypdf can make."""
    reader = PdfReader(path)
    root = reader.trailer["/Root"]
    problems = []
    if "/StructTreeRoot" not in root:
        problems.append("no StructTreeRoot")
    if not ("/MarkInfo" in root and bool(root["/MarkInfo"].get("/Marked"))):
        problems.append("MarkInfo /Marked is not true")
    if not root.get("/Lang"):
        problems.append("no /Lang")
    if not ("/ViewerPreferences" in root and bool(root["/ViewerPreferences"].get("/DisplayDocTitle"))):
        problems.append("DisplayDocTitle is not true")
    if not (reader.metadata and reader.metadata.title):
        problems.append("no title")
    figures = figure_elements(reader) if "/StructTreeRoot" in root else []
    problems += [f"a /Figure without /Alt on {path.name}" for f in figures if not str(f.get("/Alt", "")).strip()]
    for number, page in enumerate(reader.pages, start=1):
        for name, font in page["/Resources"].get("/Font", {}).items():
            font = font.get_object()
            if "/ToUnicode" not in font:
                problems.append(f"page {number}: font {name} has no ToUnicode")
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"] \
                if "/DescendantFonts" in font else font.get("/FontDescriptor")
            if not descriptor or not any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                problems.append(f"page {number}: font {name} is not embedded")
        if not page.extract_text().strip():
            problems.append(f"page {number}: no extractable text")
    return problems


def pdfua_problems(paths: list[Path]) -> dict[str, list[str]]:
    """What the `pdfua` checker must not find, per file: its errors (exit 3 means errors), and its
    UA-15-003 warning, a table whose header cells carry neither /Scope nor /Headers."""
    script = Path(sys.executable).parent / "pdfua"
    result = subprocess.run([str(script), "check", "--format", "json", *map(str, paths)],
                            capture_output=True, text=True)
    assert result.returncode in (0, 1, 2, 3), result.stderr
    reports, text, decoder = [], result.stdout.strip(), json.JSONDecoder()
    while text:  # one JSON document per file, one after the other
        report, end = decoder.raw_decode(text)
        reports.append(report)
        text = text[end:].strip()
    assert len(reports) == len(paths), result.stdout[:500]
    return {Path(r["file"]).name: [f"{f['rule_id']} {f['location']}: {f['message']}" for f in r["findings"]
                                   if f["severity"] == "error" or f["rule_id"] == "UA-15-003"] for r in reports}


def test_every_regular_and_large_print_pdf_passes_the_structural_pdfua_checks(real_build, large_print_build):
    paths = built_pdfs(real_build) + built_pdfs(large_print_build / "out")
    assert len(paths) == 2 * (len(TOPICS) + len(DRUGS) + 1)
    problems = {p.name: structure_problems(p) for p in paths}
    assert {name: found for name, found in problems.items() if found} == {}


def test_every_regular_and_large_print_pdf_has_no_pdfua_checker_errors(real_build, large_print_build):
    """No errors, and no table without header scopes (UA-15-003): the real content has tables in
    handouts and the brochure, regular and large print."""
    paths = built_pdfs(real_build) + built_pdfs(large_print_build / "out")
    found = pdfua_problems(paths)
    assert len(found) == len(paths)
    assert {name: problems for name, problems in found.items() if problems} == {}


def table_header_scopes(path: Path) -> list[tuple[str, str, str]]:
    """(section, cell position, /Scope) of every table header cell (/TH) of a PDF's structure tree."""
    import pikepdf

    scopes = []
    with pikepdf.open(path) as pdf:
        for row in pdf.objects:
            if not (isinstance(row, pikepdf.Dictionary) and row.get("/S") == "/TR"):
                continue
            cells = [kid for kid in row.K if isinstance(kid, pikepdf.Dictionary) and kid.get("/S") in ("/TH", "/TD")]
            for index, cell in enumerate(cells):
                if cell.S == "/TH":
                    position = "first" if index == 0 else "later"
                    scopes.append((str(row.P.S), position, str(cell.get("/A", {}).get("/Scope", "none"))))
    return scopes


def test_table_headers_carry_a_scope_from_the_html(real_build):
    """A drug's approval table: its head's headers head columns, each body row's first cell (<th
    scope="row">) heads its row."""
    scopes = table_header_scopes(real_build / "en/letter/upadacitinib.pdf")
    assert set(scopes) == {("/THead", "first", "/Column"), ("/THead", "later", "/Column"),
                           ("/TBody", "first", "/Row")}
    assert scopes.count(("/TBody", "first", "/Row")) == 2  # the United States and the European Union


def test_the_structural_check_catches_a_figure_without_alt_text(tmp_path, real_build):
    from pypdf import PdfWriter
    from pypdf.generic import NameObject

    writer = PdfWriter(clone_from=real_build / "en/letter/how-jak-inhibitors-work.pdf")
    removed = 0

    def strip(node):
        nonlocal removed
        node = node.get_object()
        if isinstance(node, list):
            for kid in node:
                strip(kid)
        elif hasattr(node, "keys"):
            if node.get("/S") == "/Figure" and "/Alt" in node:
                del node[NameObject("/Alt")]
                removed += 1
            if "/K" in node:
                strip(node["/K"])

    strip(writer.root_object["/StructTreeRoot"])
    writer.write(tmp_path / "no-alt.pdf")
    assert removed == 2  # the logo and the JAK diagram
    assert structure_problems(tmp_path / "no-alt.pdf").count("a /Figure without /Alt on no-alt.pdf") == 2


def text_sizes(page) -> list[tuple[str, float]]:
    """Each text run on one page (pypdf's) with its size on paper, as text_runs reads it."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_page(page)
    data = io.BytesIO()
    writer.write(data)
    return [(text, size) for _, text, size in text_runs(data.getvalue())]


def text_runs(path: Path | bytes) -> list[tuple[int, str, float]]:
    """Every run of text in a PDF as PDFium (a viewer's engine) draws it: (page, text, size on paper in pt).
    A character's size is its font size scaled by the matrix it is drawn with, text matrix and CTM
    together, through forms and SVG drawings scaled to their column; a run is a stretch of characters of
    one size on one line."""
    import ctypes

    import pypdfium2
    import pypdfium2.raw as pdfium

    runs = []
    document = pypdfium2.PdfDocument(path)
    for number, page in enumerate(document, start=1):
        text_page = page.get_textpage()
        run, size = "", None
        for index in range(text_page.count_chars()):
            char = chr(pdfium.FPDFText_GetUnicode(text_page, index))
            matrix = pdfium.FS_MATRIX()
            pdfium.FPDFText_GetMatrix(text_page, index, ctypes.byref(matrix))
            char_size = round(pdfium.FPDFText_GetFontSize(text_page, index)
                              * math.sqrt(abs(matrix.a * matrix.d - matrix.b * matrix.c)), 2)
            if char in "\r\n" or char_size != size:
                if run.strip():
                    runs.append((number, run.strip(), size))
                run, size = ("", None) if char in "\r\n" else (char, char_size)
            else:
                run += char
        if run.strip():
            runs.append((number, run.strip(), size))
    return runs


def test_large_print_text_is_18_pt_or_more(large_print_build):
    """Every large-print PDF, the brochure and each handout, every run of text: the labels drawn inside
    the visual aids (the trial chart, the JAK diagram) too."""
    small, runs, drawn, unread = [], 0, 0, {}
    for path in built_pdfs(large_print_build / "out"):
        html = (large_print_build / "html" / path.relative_to(large_print_build / "out")).with_suffix(".html")
        drawn_words = {word for label in SVG_TEXT.findall(html.read_text()) for word in label.split()}
        found = text_runs(path)
        runs += len(found)
        drawn += len(drawn_words)
        for number, text, size in found:
            if size < LARGE_PRINT_MIN_PT - 0.05:
                small.append((path.name, number, text[:40], size))
        # The words drawn in the SVGs were among the runs read: they were measured too.
        if missing := drawn_words - {word for _, text, _ in found for word in text.split()}:
            unread[path.name] = sorted(missing)
    assert runs > 2000
    assert drawn > 80 and unread == {}
    assert small == [], small


def test_large_print_brochure_contents_page_numbers_match_where_chapters_start(large_print_build):
    reader = PdfReader(large_print_build / "out/en/letter/brochure.large-print.pdf")
    assert_contents_match_chapters(reader, len(TOPICS) + len(DRUGS) + 2)


def test_large_print_is_its_own_variant_beside_the_regular_files(large_print_build):
    manifest = json.loads((large_print_build / "out/manifest.json").read_text())
    assert {e["variant"] for e in manifest} == {"large-print"}
    assert sorted(e["path"] for e in manifest) == sorted(
        f"en/letter/{slug}.large-print.pdf" for slug in [*TOPICS, *DRUGS, "brochure"])


def test_a_large_print_build_leaves_the_regular_files_beside_it_as_they_were(sample_build, tmp_path):
    from conftest import make_project

    project = make_project(tmp_path / "project")
    assert run("build", project=project).exit_code == 0
    out = project / "out"
    regular = {p: p.read_bytes() for p in out.glob("en/letter/*.pdf")}
    assert sorted(p.name for p in regular) == ["about-patches.pdf", "brochure.pdf", "testinib.pdf"]
    assert run("build", "--large-print", project=project).exit_code == 0
    assert {p: p.read_bytes() for p in regular} == regular  # untouched
    manifest = json.loads((out / "manifest.json").read_text())
    assert sorted((e["path"], e["variant"]) for e in manifest) == sorted(
        [(f"en/letter/{p.name}", "regular") for p in regular]
        + [(f"en/letter/{p.stem}.large-print.pdf", "large-print") for p in regular])
    assert all((out / e["path"]).is_file() for e in manifest)


def test_large_print_refuses_print_production_options(project):
    result = run("build", "--large-print", "--leaflet", project=project)
    assert result.exit_code == 2
    assert "--large-print cannot be combined with --print-shop, --booklet or --leaflet" in result.output
