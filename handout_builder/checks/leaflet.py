"""Checks stage: the tri-fold leaflet's own checks: the reading level of its rendered text, whole and panel
by panel, and the contrast of every text colour it draws, in colour and in the grayscale proof."""

from __future__ import annotations

import html as html_lib
import re
from pathlib import Path

from ..content.contrast import BODY_TEXT, too_low
from ..model import Clinic, Library
from ..render.grayscale import grayscale_clinic
from .counting import Score, TermAdjuster, read_parts
from .reading import rules_for

PANEL = re.compile(r'<section\b[^>]*\baria-label="([^"]*)"[^>]*>(.*?)</section>', re.DOTALL)
# Headings, the clinic's name and contact details and the QR code are not sentences (the handouts' grades
# leave out headings and footers too).
NOT_PROSE = re.compile(r'<(address|figure|svg|h[1-6])\b.*?</\1>|<p class="(back|cover)-clinic">.*?</p>',
                       re.DOTALL | re.IGNORECASE)
# Every text colour the leaflet's styles draw on a background (custom properties of styles/variables.css,
# the brand's from the brand file). All at the body-text minimum: the "as of" dates are 9.5 pt.
COLOUR_PAIRS = (
    ("--brand-primary", "--paper", "panel headings"),
    ("--paper", "--brand-primary", "the cover panel's text"),
    ("--ink", "--paper", "body text"),
    ("--muted", "--paper", "the disclaimer and the 'as of' dates"),
    ("--ink", "--tint", "the words to know"),
    ("--brand-primary", "--tint", "the words-to-know heading"),
    ("--warning-ink", "--warning-tint", "the emergency block's heading"),
    ("--ink", "--warning-tint", "the emergency block's signs"),
)
CUSTOM_PROPERTY = re.compile(r"(--[\w-]+)\s*:\s*(#[0-9a-fA-F]{6})\b")


def read_leaflet(html: str, library: Library) -> tuple[Score, list[tuple[Path, Score]]]:
    """The reading level of the rendered leaflet's text, whole and panel by panel; a topic's panel is
    reported at its file and summary line, the others at the brand file (which orders the leaflet)."""
    topics = {topic.title: topic for topic in library.topics.values()}
    parts, paths = [], []
    for label, inner in PANEL.findall(html):
        topic = topics.get(html_lib.unescape(label))
        line = topic.lines.get("leaflet") if topic and topic.leaflet.summary else None
        parts.append((html_lib.unescape(label), line or (topic.lines.get("summary") if topic else None),
                      [NOT_PROSE.sub("", inner)]))
        paths.append(topic.path if topic else library.clinic.brand_file)
    whole, panels = read_parts("the leaflet", None, parts, TermAdjuster(library), rules_for(library.lang))
    return whole, list(zip(paths, panels))


def colour_problems(clinic: Clinic, variables_css: Path) -> list[tuple[Path, str]]:
    """(file, message) for every text colour on the leaflet that misses WCAG AA on its background, in
    colour and in the grayscale proof."""
    neutral = dict(CUSTOM_PROPERTY.findall(variables_css.read_text(encoding="utf-8")))
    found = []
    for edition, shown in (("", clinic), (" (grayscale proof)", grayscale_clinic(clinic))):
        palette = {**neutral, "--brand-primary": shown.primary, "--brand-accent": shown.accent}
        for text, background, where in COLOUR_PAIRS:
            if shortfall := too_low(palette[text], palette[background], BODY_TEXT):
                brand = "--brand-" in text + background
                found.append((clinic.brand_file if brand else variables_css,
                              f"leaflet{edition}: {where}, {text} {palette[text]} on {background} "
                              f"{palette[background]}, {shortfall}"))
    return found
