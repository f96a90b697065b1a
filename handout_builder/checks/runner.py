"""Checks stage: every content check beyond loading (reading level, PEMAT, alt text, review dates, the
safety and plain-language rules, the leaflet, parity between languages), run on the model and on each
handout's rendered HTML; nothing is written. `make-handouts check` prints what this finds (and with
--claims the claims ledger); `build` runs the same checks first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..editions import PAPERS, SOURCE_LANGUAGE
from ..model import Library
from ..problems import BuildFailed, Problems
from ..render.brochure import brochure_html
from ..render.leaflet import leaflet_html
from ..render.renderer import Renderer
from .claims import Claim, ledger_lines, ledger_rows, page_claims
from .counting import HandoutReading, Score, failures, report_lines, score_failures, score_lines
from .leaflet import colour_problems, read_leaflet
from .pemat import Sheet, score
from .reading import read_library
from .review import future_message, overdue_message
from .safety import check_page
from .statements import read_page

IMAGE = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
SVG = re.compile(r"<svg\b.*?</svg>", re.IGNORECASE | re.DOTALL)


@dataclass
class CheckReport:
    """What the checks found in one language's library, besides its problems."""

    library: Library
    readings: list[HandoutReading] = field(default_factory=list)
    sheets: list[Sheet] = field(default_factory=list)
    leaflet: list[Score] = field(default_factory=list)  # the whole leaflet, then each panel
    claims: list[Claim] = field(default_factory=list)  # every cited statement, for sign-off


@dataclass
class CheckResult:
    """Every language's report and every problem (errors and warnings) of one `check`."""

    reports: list[CheckReport]
    problems: Problems

    def figures(self, pemat: bool = False) -> list[str]:
        """The reading figures of every handout (and the PEMAT sheets, if asked for), as `check` prints them."""
        lines = []
        for report in self.reports:
            for reading in report.readings:
                lines += report_lines(reading, self.problems.display(reading.handout.path))
            if report.leaflet:
                lines += score_lines(f"leaflet ({report.library.lang})", report.leaflet)
            if pemat:
                for sheet in report.sheets:
                    lines += sheet.lines()
        return lines

    def ledger(self) -> list[str]:
        """The claims ledger of every language, as `check --claims` prints it."""
        return [line for report in self.reports for line in ledger_lines(report.claims, report.library.lang)]

    def ledger_rows(self) -> list[dict]:
        """The claims ledger for scripts (`check --claims --json`)."""
        return [row for report in self.reports for row in ledger_rows(report.claims)]

    def passed(self) -> list[str]:
        """One line per language that passed (raise_if_any first)."""
        return [f"{r.library.lang}: {len(r.library.topics)} topics and {len(r.library.drugs)} drugs checked: "
                + (f"no problems ({len(self.problems.warnings)} warnings)." if self.problems.warnings else
                   "no problems.") for r in self.reports]


def check_library(library: Library, today: date, strict: bool = False, problems: Problems | None = None
                  ) -> CheckReport:
    """Run every check of one language; problems go to `problems`: overdue reviews and hard words are
    warnings unless strict."""
    problems = problems if problems is not None else Problems(library.root)
    report = CheckReport(library, readings=read_library(library))
    renderer = Renderer(library, problems)
    paper = PAPERS["letter"]
    for reading in report.readings:
        handout = reading.handout
        for line, message in failures(reading):
            problems.add(handout.path, line, message, code="reading-level")
        html = renderer.handout(handout.slug, paper)
        if not html:
            continue  # a template problem was recorded
        _check_alt_text(html, handout.path, problems)
        page = read_page(handout, html)
        check_page(page, library, problems, strict)
        report.claims += page_claims(page, library, problems.display)
        sheet = score(html, reading, library)
        report.sheets.append(sheet)
        for item in sheet.failures:
            problems.add(handout.path, item.line, f"PEMAT item {item.number} ({item.name}) fails: {item.note}",
                         code="pemat")
        if message := future_message(handout, today):
            problems.add(handout.path, handout.lines.get("reviewed_on"), message, code="review-date")
        elif message := overdue_message(handout, today):
            problems.add(handout.path, handout.lines.get("reviewed_on"), message, code="review-overdue",
                         severity="error" if strict else "warning")
    if library.brochure is not None:
        html = brochure_html(renderer, paper)
        if html:
            _check_alt_text(html, library.clinic.brand_file, problems)
        _check_leaflet(renderer, library, report, problems)
    return report


def _check_leaflet(renderer: Renderer, library: Library, report: CheckReport, problems: Problems) -> None:
    """The leaflet passes the handouts' checks: reading level on its own text, contrast of its colours."""
    html = leaflet_html(renderer, PAPERS["letter"])
    if not html:
        return  # a template problem was recorded
    _check_alt_text(html, library.clinic.brand_file, problems)
    whole, panels = read_leaflet(html, library)
    report.leaflet = [whole, *(score for _, score in panels)]
    for line, message in score_failures([whole]):
        problems.add(library.clinic.brand_file, line, message, code="reading-level")
    for path, panel in panels:
        for line, message in score_failures([panel]):
            problems.add(path, line, f"the leaflet's {message}", code="reading-level")
    for path, message in colour_problems(library.clinic, library.root / "styles" / "variables.css"):
        problems.add(path, None, message, code="contrast")


def _check_alt_text(html: str, where, problems: Problems) -> None:
    """Every image a reader could miss needs a text alternative: alt on <img>, a <title> in an <svg>."""
    for tag in IMAGE.findall(html):
        alt = re.search(r'\balt="([^"]*)"', tag)
        if not alt or not alt[1].strip():
            src = re.search(r'\bsrc="([^"]*)"', tag)
            name = src[1].rsplit("/", 1)[-1] if src else "an image"
            problems.add(where, None, f"image {name} has no alt text", code="alt-text")
    for svg in SVG.findall(html):
        if 'aria-hidden="true"' in svg.split(">", 1)[0]:
            continue  # decorative, marked so
        if not re.search(r"<title>\s*[^<\s]", svg) and "aria-label=" not in svg.split(">", 1)[0]:
            problems.add(where, None, "an inline SVG image has no <title> or aria-label (its alt text)",
                         code="alt-text")


def check_project(root: Path, brand_file: Path | None, langs: list[str], today: date,
                  strict: bool = False) -> CheckResult:
    """Check each language's content, then that the languages match (parity.py). A language whose files
    do not load is reported with the others' problems, and left out of the later checks."""
    from ..content.library import load_library
    from .parity import check_missing, check_parity

    problems = Problems(root)
    check_missing(root, langs, problems)
    reports: list[CheckReport] = []
    for lang in langs:
        try:
            library = load_library(root, brand_file, lang)
        except BuildFailed as failure:
            problems.items.extend(failure.problems)
            continue
        reports.append(check_library(library, today, strict, problems))
    if len(reports) > 1:
        check_parity({report.library.lang: report.library for report in reports}, problems)
    return CheckResult(reports, problems)


def check_build(root: Path, brand_file: Path | None, libraries: dict[str, Library], today: date,
                problems: Problems) -> None:
    """What `build` checks before it renders: every check `check` runs on each language built (overdue
    reviews are warnings), and that each translation matches the source language, which is loaded to
    compare with when only translations are built (a Spanish edition must not fall behind the English)."""
    from ..content.library import load_library
    from ..content.project import languages
    from .parity import check_missing, check_parity

    for library in libraries.values():
        check_library(library, today, problems=problems)
    translations = [lang for lang in libraries if lang != SOURCE_LANGUAGE]
    if not translations or SOURCE_LANGUAGE not in languages(root):
        return
    compared = {SOURCE_LANGUAGE: libraries.get(SOURCE_LANGUAGE)}
    if compared[SOURCE_LANGUAGE] is None:
        try:
            compared[SOURCE_LANGUAGE] = load_library(root, brand_file, SOURCE_LANGUAGE)
        except BuildFailed as failure:
            problems.items.extend(failure.problems)
            return
    compared.update((lang, libraries[lang]) for lang in translations)
    check_missing(root, list(compared), problems)
    check_parity(compared, problems)
