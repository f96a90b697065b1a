"""Brochure stage: the whole clinic brochure as one HTML document (cover, contents, topics, drugs,
sources, back cover), rendered once so page numbers, bookmarks and tags span the booklet.
"""

from __future__ import annotations

import segno
from markupsafe import Markup

from .render import Notes, Paper, Renderer


def qr_code(url: str, label: str) -> Markup:
    """An inline SVG QR code; its <title> becomes the figure's alt text in the tagged PDF."""
    svg = segno.make(url, error="m").svg_inline(border=2,  # the quiet zone scanners need
                                                omitsize=True, title=label,
                                                svgclass="qr-code", dark="#000")
    return Markup(svg)


# Designed pages, in the order they are added before the back cover, to pad a printed brochure to a
# multiple of four pages (a folded sheet holds four): never a stray blank page.
FILLERS = {0: (), 1: ("notes",), 2: ("notes", "care-team"), 3: ("notes", "notes", "care-team")}


def fillers_for(pages: int) -> tuple[str, ...]:
    """The filler pages that bring a brochure of `pages` pages up to a multiple of four."""
    return FILLERS[-pages % 4]


def brochure_html(renderer: Renderer, paper: Paper, variant: str = "regular",
                  fillers: tuple[str, ...] = (), include_drafts: bool = False, content_version: str = "") -> str:
    """The brochure; draft handouts stay out of it unless asked for (they still build on their own)."""
    library = renderer.library
    topics, drugs, reviewed_on = library.brochure_contents(include_drafts)
    clinic = library.clinic
    return renderer.render(
        "brochure.html.j2", plan=library.brochure, topics=topics, drugs=drugs, reviewed_on=reviewed_on,
        qr_svg=qr_code(clinic.website, f"QR code: {clinic.website}"), fillers=fillers,
        **renderer.common(paper, variant, Notes(library), full_sources=True, content_version=content_version))
