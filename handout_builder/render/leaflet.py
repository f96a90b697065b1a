"""Render stage: a tri-fold leaflet (Letter or A4 landscape) that sums up the brochure's topics and
medicines from the same content, with the clinic's contact and a QR code to its website.
"""

from __future__ import annotations

from markupsafe import Markup

from ..editions import LEAFLET, Paper, Variant
from ..model import Emergency
from .brochure import qr_code
from .renderer import Notes, Renderer

SIDES = 2  # outside (flap | back | cover) and inside (three panels)


class LeafletNotes(Notes):
    """A leaflet has no room for a source list: its citation marks are left out (the full brochure,
    which the leaflet points to, has them)."""

    def cite(self, ids) -> Markup:
        return Markup("")


def leaflet_html(renderer: Renderer, paper: Paper, variant: Variant = Variant(), include_drafts: bool = False) -> str:
    library = renderer.library
    topics, drugs, reviewed_on = library.brochure_contents(include_drafts)
    # Each topic by its leaflet summary (or its own summary): key points would need a second leaflet.
    summaries = [(topic, topic.leaflet.summary or topic.summary) for topic in topics]
    # The flap opposite the cover: the topics' leaflet "call us if" items (or all of a topic's, if it
    # chose none), once each, in brochure order.
    call_us_if = list(dict.fromkeys(item for topic in topics
                                    for item in topic.leaflet.call_us_if or topic.call_us_if))
    # Above them, one emergency block for every risk the brochure's handouts name: a reader of the
    # leaflet alone still learns which signs mean 911, not a call to the clinic.
    emergency = Emergency.union(handout.emergency for handout in (*topics, *drugs))
    clinic = library.clinic
    # Styled by the leaflet's own variant stylesheets (styles/variants/leaflet*.css) plus the variant's.
    styled = Variant((LEAFLET, *variant.parts))
    return renderer.render(
        "leaflet.html.j2", plan=library.brochure, summaries=summaries, drugs=drugs, call_us_if=call_us_if,
        emergency=emergency, reviewed_on=reviewed_on,
        qr_svg=qr_code(clinic.website, f"QR code: {clinic.website}"),
        **renderer.common(paper, styled, LeafletNotes(library)))


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
