"""Leaflet stage: a tri-fold leaflet (Letter or A4 landscape) that sums up the brochure's topics and
medicines from the same content, with the clinic's contact and a QR code to its website.
"""

from __future__ import annotations

import html as html_lib
import re
from pathlib import Path

from markupsafe import Markup

from .brochure import qr_code
from .contrast import BODY_TEXT, too_low
from .grayscale import grayscale_clinic
from .model import Clinic, Library
from .readability import Score, TermAdjuster, read_parts, rules_for
from .render import Notes, Paper, Renderer

LEAFLET = "leaflet"
SIDES = 2  # outside (flap | back | cover) and inside (three panels)

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
)
CUSTOM_PROPERTY = re.compile(r"(--[\w-]+)\s*:\s*(#[0-9a-fA-F]{6})\b")


class LeafletNotes(Notes):
    """A leaflet has no room for a source list: its citation marks are left out (the full brochure,
    which the leaflet points to, has them)."""

    def cite(self, ids) -> Markup:
        return Markup("")


def leaflet_html(renderer: Renderer, paper: Paper, variant: str = "regular", include_drafts: bool = False) -> str:
    library = renderer.library
    topics, drugs, reviewed_on = library.brochure_contents(include_drafts)
    # Each topic by its leaflet summary (or its own summary): key points would need a second leaflet.
    summaries = [(topic, topic.leaflet.summary or topic.summary) for topic in topics]
    # The flap opposite the cover: the topics' leaflet "call us if" items (or all of a topic's, if it
    # chose none), once each, in brochure order.
    call_us_if = list(dict.fromkeys(item for topic in topics
                                    for item in topic.leaflet.call_us_if or topic.call_us_if))
    clinic = library.clinic
    # Styled by the leaflet's own variant stylesheets (styles/variants/leaflet*.css) plus the variant's.
    parts = [LEAFLET, *(p for p in variant.split("+") if p != "regular")]
    return renderer.render(
        "leaflet.html.j2", plan=library.brochure, summaries=summaries, drugs=drugs, call_us_if=call_us_if,
        reviewed_on=reviewed_on,
        qr_svg=qr_code(clinic.website, f"QR code: {clinic.website}"),
        **renderer.common(paper, "+".join(parts), LeafletNotes(library)))


def leaflet_problem(pages: int) -> str | None:
    """Why a rendered leaflet cannot be folded, if it cannot: its text must fit two sides exactly.
    The outside's panels only set a minimum height, so a flap too full spills onto a page of its own
    (counted here) instead of being cut off unseen at the bottom of the sheet."""
    if pages == SIDES:
        return None
    return (f"the leaflet came out on {pages} sides instead of {SIDES}: the 'call us if' flap or the "
            "inside's summaries and medicines are too long for three panels; choose fewer items in the "
            "topics' leaflet.call_us_if, give topics a shorter leaflet.summary, or leave some topics out "
            "of the brochure list in clinic.toml")


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
