"""Check stage: the content checks beyond loading (reading level, PEMAT, alt text, review dates), run on
the model and on each handout's rendered HTML; nothing is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from .brochure import brochure_html
from .leaflet import colour_problems, leaflet_html, read_leaflet
from .model import Library
from .pemat import Sheet, score
from .problems import BuildFailed, Problem, Problems
from .readability import HandoutReading, Score, failures, read_library, score_failures
from .render import PAPERS, Renderer
from .review import overdue_message

IMAGE = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
SVG = re.compile(r"<svg\b.*?</svg>", re.IGNORECASE | re.DOTALL)


@dataclass
class CheckReport:
    readings: list[HandoutReading] = field(default_factory=list)
    sheets: list[Sheet] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    leaflet: list[Score] = field(default_factory=list)  # the whole leaflet, then each panel


def check_library(library: Library, today: date, strict: bool = False) -> tuple[CheckReport, Problems]:
    """Run every check; errors go to the returned Problems, overdue reviews are warnings unless strict."""
    problems = Problems(library.root)
    report = CheckReport(readings=read_library(library))
    renderer = Renderer(library, problems)
    paper = PAPERS["letter"]
    for reading in report.readings:
        handout = reading.handout
        for line, message in failures(reading):
            problems.add(handout.path, line, message)
        html = renderer.handout(handout.slug, paper)
        if not html:
            continue  # a template problem was recorded
        _check_alt_text(html, handout.path, problems)
        sheet = score(html, reading, library)
        report.sheets.append(sheet)
        for item in sheet.failures:
            problems.add(handout.path, item.line, f"PEMAT item {item.number} ({item.name}) fails: {item.note}")
        if message := overdue_message(handout, today):
            line = handout.lines.get("reviewed_on")
            if strict:
                problems.add(handout.path, line, message)
            else:
                report.warnings.append(Problem(problems.display(handout.path), line, f"warning: {message}"))
    if library.brochure is not None:
        html = brochure_html(renderer, paper)
        if html:
            _check_alt_text(html, library.clinic.brand_file, problems)
        _check_leaflet(renderer, library, report, problems)
    return report, problems


def _check_leaflet(renderer: Renderer, library: Library, report: CheckReport, problems: Problems) -> None:
    """The leaflet passes the handouts' checks: reading level on its own text, contrast of its colours."""
    html = leaflet_html(renderer, PAPERS["letter"])
    if not html:
        return  # a template problem was recorded
    _check_alt_text(html, library.clinic.brand_file, problems)
    whole, panels = read_leaflet(html, library)
    report.leaflet = [whole, *(score for _, score in panels)]
    for line, message in score_failures([whole]):
        problems.add(library.clinic.brand_file, line, message)
    for path, score in panels:
        for line, message in score_failures([score]):
            problems.add(path, line, f"the leaflet's {message}")
    for path, message in colour_problems(library.clinic, library.root / "styles" / "variables.css"):
        problems.add(path, None, message)


def _check_alt_text(html: str, where, problems: Problems) -> None:
    """Every image a reader could miss needs a text alternative: alt on <img>, a <title> in an <svg>."""
    for tag in IMAGE.findall(html):
        alt = re.search(r'\balt="([^"]*)"', tag)
        if not alt or not alt[1].strip():
            src = re.search(r'\bsrc="([^"]*)"', tag)
            name = src[1].rsplit("/", 1)[-1] if src else "an image"
            problems.add(where, None, f"image {name} has no alt text")
    for svg in SVG.findall(html):
        if 'aria-hidden="true"' in svg.split(">", 1)[0]:
            continue  # decorative, marked so
        if not re.search(r"<title>\s*[^<\s]", svg) and "aria-label=" not in svg.split(">", 1)[0]:
            problems.add(where, None, "an inline SVG image has no <title> or aria-label (its alt text)")


def check_project(root: Path, brand_file: Path | None, langs: list[str], today: date, strict: bool = False
                  ) -> tuple[list[tuple[Library, CheckReport]], Problems]:
    """Check each language's content, then that the languages match (parity.py). A language whose files
    do not load is reported with the others' problems, and left out of the later checks."""
    from .content import load_library
    from .parity import check_missing, check_parity

    problems = Problems(root)
    check_missing(root, langs, problems)
    checked: list[tuple[Library, CheckReport]] = []
    for lang in langs:
        try:
            library = load_library(root, brand_file, lang)
        except BuildFailed as failure:
            problems.items.extend(failure.problems)
            continue
        report, found = check_library(library, today, strict)
        problems.items.extend(found.items)
        checked.append((library, report))
    if len(checked) > 1:
        check_parity({library.lang: library for library, _ in checked}, problems)
    return checked, problems
