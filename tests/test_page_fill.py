"""No page of any edition of the real content is empty or nearly empty: a sheet of paper spent on the
logo alone (the title and main points pushed to page 2), on the disclaimer, or on the tail of a sentence.

Every language, paper and variant that lays pages out differently: regular, large print, the print-shop
brochure (in RGB, as no press profile is given: the press's CMYK edition has the same pages; the booklet
imposes them two to a sheet; grayscale changes only colours) and the leaflet, on letter and A4, in English and Spanish. The real content is built once for the session (about
a minute and a half on two idle cores: the benchmark's figures), starting from `real_build`'s folder.
"""

from __future__ import annotations

import json
import re
import shutil
import tomllib
from pathlib import Path

import pytest

from conftest import REPO, run, translation_pairs

# A page with fewer lines of body text than this, in a band of less than a third of the page, is nearly
# empty: the footer, the page label and the brand header are not body text. Four lines are the
# disclaimer with a source, or a paragraph's end.
NEARLY_EMPTY = 6
# Each command builds both languages into the same folder as real_build's (English, letter, regular).
EDITIONS = (("--lang", "all"), ("--lang", "all", "--paper", "a4"), ("--lang", "all", "--large-print"),
            ("--lang", "all", "--large-print", "--paper", "a4"), ("--lang", "all", "--print-shop", "--leaflet"),
            ("--lang", "all", "--print-shop", "--leaflet", "--paper", "a4"))
# Designed pages that carry little text on purpose, known by their titles: the pages that pad a printed
# brochure to a multiple of four (templates/partials/filler-*.html.j2), in every language.
FILLER_TITLES = {text for english, translated in translation_pairs() if english in ("Notes", "Your care team")
                 for text in (english, translated)}


def running_lines() -> re.Pattern:
    """The lines every page repeats: the footer (clinic, phone, website; review date and version), however
    it wraps, "Page X of Y", and the brand header's clinic name."""
    clinic = tomllib.loads((REPO / "handouts/clinic.toml").read_text(encoding="utf-8"))["clinic"]
    website = re.sub(r"^https?://", "", clinic["website"]).rstrip("/")
    # The footer's pieces, joined by " · " and wrapped anywhere between them.
    piece = "|".join([*(re.escape(p) for p in (clinic["name"], clinic["phone"], website)),
                      r"(?:Reviewed|Revisado en) \w+(?: de)? \d{4}", r"(?:Version|Versión) [0-9a-f]{10}"])
    return re.compile(rf"(?:· )?(?:{piece})(?: · (?:{piece}))*(?: ·)?|(?:Page|Página) \d+ (?:of|de) \d+")


RUNNING = running_lines()


def body_lines(page) -> list[tuple[float, str]]:
    """The page's lines of body text, top to bottom (pypdfium2), each with its height on the page: its
    text runs that hold a word, the running lines left out, grouped by their height."""
    text_page = page.get_textpage()
    lines: list[tuple[float, float, list[str]]] = []  # (middle, half height, texts)
    for index in range(text_page.count_rects()):
        left, bottom, right, top = text_page.get_rect(index)
        text = " ".join(text_page.get_text_bounded(left, bottom, right, top).split())
        if not re.search(r"[^\W\d_]{2,}", text) or RUNNING.fullmatch(text):
            continue  # a list number, a bullet, a footer line
        middle, half = (bottom + top) / 2, (top - bottom) / 2
        for line in lines:
            if abs(line[0] - middle) < max(line[1], half):
                line[2].append(text)
                break
        else:
            lines.append((middle, half, [text]))
    return [(middle, " ".join(texts)) for middle, _, texts in sorted(lines, key=lambda line: -line[0])]


def tallest_drawing(page) -> float:
    """The height of the tallest drawing on the page (a diagram, a chart, a box), in points; a background
    that covers the page is not one."""
    import pypdfium2.raw as pdfium

    tallest = 0.0
    for item in page.get_objects(max_depth=1):
        if item.type != pdfium.FPDF_PAGEOBJ_TEXT:
            _, bottom, _, top = item.get_bounds()
            if top - bottom < 0.9 * page.get_height():
                tallest = max(tallest, top - bottom)
    return tallest


def nearly_empty(page, lines: list[tuple[float, str]]) -> bool:
    """Fewer than NEARLY_EMPTY lines, all in a band of less than a third of the page, and no drawing as
    tall: a diagram that fills a page has few lines of text, but it is not an empty page."""
    heights = [middle for middle, _ in lines]
    third = page.get_height() / 3
    return (len(lines) < NEARLY_EMPTY and (not heights or max(heights) - min(heights) < third)
            and tallest_drawing(page) < third)


def designed(entry: dict, number: int, lines: list[str]) -> bool:
    """A brochure's cover (its first page: logo, title, date) or a filler page, known by its title."""
    if entry["kind"] != "brochure":
        return False
    return number == 1 or bool(lines) and lines[0][1] in FILLER_TITLES


@pytest.fixture(scope="session")
def every_edition(real_build, tmp_path_factory) -> tuple[Path, list[dict]]:
    out = tmp_path_factory.mktemp("editions") / "out"
    shutil.copytree(real_build, out)  # its PDFs are up to date: kept, not built again
    for options in EDITIONS:
        result = run("build", *options, "--out", str(out), project=REPO)
        assert result.exit_code == 0, (options, result.output)
    return out, json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def test_every_edition_was_built(every_edition):
    _, entries = every_edition
    assert {(e["lang"], e["paper"], e["variant"]) for e in entries} == {
        (lang, paper, variant) for lang in ("en", "es") for paper in ("letter", "a4")
        for variant in ("regular", "large-print", "print-shop+rgb")} | {
        (lang, paper, "regular") for lang in ("en", "es") for paper in ("letter", "a4")}
    assert sum(e["kind"] == "leaflet" for e in entries) == 4
    # Per language and paper: 9 handouts and a brochure in two variants, the print-shop brochure, the leaflet.
    assert len(entries) == 4 * (2 * 10 + 2)


def test_no_page_of_any_edition_is_empty_or_nearly_empty(every_edition):
    import pypdfium2

    out, entries = every_edition
    sparse = []
    for entry in entries:
        pdf = pypdfium2.PdfDocument(out / entry["path"])
        try:
            for number, page in enumerate(pdf, start=1):
                lines = body_lines(page)
                if nearly_empty(page, lines) and not designed(entry, number, lines):
                    sparse.append(f"{entry['path']} page {number} of {len(pdf)}: {[t for _, t in lines]}")
        finally:
            pdf.close()
    assert sparse == []


def test_the_rule_sees_a_nearly_empty_page(tmp_path):
    """The check itself: a handout whose last page holds only its disclaimer is found."""
    import pypdfium2
    from weasyprint import HTML

    pages = ("<p>" + "A line of a long handout with many words in it. " * 400 + "</p>",
             "<p class='disclaimer'>This handout is general information. It does not replace advice.</p>")
    pdf_path = tmp_path / "sparse.pdf"
    HTML(string="<body>" + "".join(f"<section style='break-before: page'>{p}</section>" for p in pages)
         + "</body>").write_pdf(pdf_path)
    pdf = pypdfium2.PdfDocument(pdf_path)
    found = [nearly_empty(page, body_lines(page)) for page in pdf]
    assert found[-1] and not any(found[:-1]), found
    pdf.close()
