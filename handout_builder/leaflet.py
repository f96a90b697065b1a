"""Leaflet stage: a tri-fold leaflet (Letter or A4 landscape) that sums up the brochure's topics and
medicines from the same content, with the clinic's contact and a QR code to its website.
"""

from __future__ import annotations

from markupsafe import Markup

from .brochure import qr_code
from .render import Notes, Paper, Renderer

LEAFLET = "leaflet"
SIDES = 2  # outside (flap | back | cover) and inside (three panels)


class LeafletNotes(Notes):
    """A leaflet has no room for a source list: its citation marks are left out (the full brochure,
    which the leaflet points to, has them)."""

    def cite(self, ids) -> Markup:
        return Markup("")


def leaflet_html(renderer: Renderer, paper: Paper, variant: str = "regular") -> str:
    library = renderer.library
    plan = library.brochure
    topics = [library.topics[slug] for slug in plan.topics]
    drugs = [library.drugs[slug] for slug in plan.drugs]
    # The flap opposite the cover: every "call us if" of the topics, once each, in brochure order.
    call_us_if = list(dict.fromkeys(item for topic in topics for item in topic.call_us_if))
    clinic = library.clinic
    # Styled by the leaflet's own variant stylesheets (styles/variants/leaflet*.css) plus the variant's.
    parts = [LEAFLET, *(p for p in variant.split("+") if p != "regular")]
    return renderer.render(
        "leaflet.html.j2", plan=plan, topics=topics, drugs=drugs, call_us_if=call_us_if,
        reviewed_on=max(h.review.reviewed_on for h in (*topics, *drugs)),
        qr_svg=qr_code(clinic.website, f"QR code: {clinic.website}"),
        **renderer.common(paper, "+".join(parts), LeafletNotes(library)))


def leaflet_problem(pages: int) -> str | None:
    """Why a rendered leaflet cannot be folded, if it cannot: its text must fit two sides exactly."""
    if pages == SIDES:
        return None
    return (f"the leaflet came out on {pages} sides instead of {SIDES}: the topics' summaries and key "
            "points (or the 'call us if' lists) are too long for three panels; shorten them, or leave "
            "some topics out of the brochure list in clinic.toml")
