"""Render stage: the clinic brochure's HTML (cover, contents, topics, drugs, words and sources, back
cover), cut into parts that are laid out apart and joined into one PDF (pdf/join.py).

Why parts: laying out the whole 35-page brochure took 2.7 s, the longest step of a build after a one-drug
edit. A part's PDF depends only on its own HTML, so a build lays out again only the parts whose HTML
changed (build/part_cache.py), and the parts of a cold build are laid out side by side. What spans the parts is
made at the join: the contents page gets the page numbers as text, "Page X of Y" comes from a document of
its own (page_labels_html), and links between parts go through the joined PDF's named destinations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import segno
from markupsafe import Markup

from ..editions import Paper, Variant
from .renderer import Notes, Renderer

# Written by templates/brochure.html.j2 before each part; content cannot forge one (autoescape).
PART_MARK = re.compile(r"<!-- part: ([a-z0-9-]+) -->\n")
BODY = re.compile(r"(<body[^>]*>\n?)(.*)(</body>)", re.S)
ID = re.compile(r'\bid="([^"]+)"')
COVER, CONTENTS, BACK = "cover", "contents", "back"  # parts the assembly treats apart
BACK_COVER = "back-cover"  # the back cover's named page (pages.css): no page label
# The contents entries that are not handouts.
END_ANCHORS = ("words-to-know", "sources")


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


@dataclass(frozen=True)
class Part:
    """One part of the brochure as an HTML document of its own."""

    name: str  # "cover", "contents", a handout's slug, "end" or "back"
    html: str
    anchors: frozenset[str]  # the ids it holds: links from other parts land here

    def page_names(self, pages: int) -> list[str]:
        """The named page (pages.css) of each of its pages: the page labels are drawn on the same."""
        if self.name in (COVER, CONTENTS):
            return [self.name] * pages
        if self.name == BACK:
            return [""] * (pages - 1) + [BACK_COVER]
        return [""] * pages


def brochure_html(renderer: Renderer, paper: Paper, variant: Variant = Variant(),
                  fillers: tuple[str, ...] = (), include_drafts: bool = False, content_version: str = "",
                  chapter_versions: dict[str, str] | None = None, page_numbers: dict[str, int] | None = None,
                  page_labels: bool = True) -> str:
    """The whole brochure as one HTML document; draft handouts stay out of it unless asked for (they
    still build on their own). `chapter_versions` are the content versions printed in each chapter's
    footer (by slug; the cover prints `content_version`, the brochure's); `page_numbers` the contents
    page's numbers."""
    library = renderer.library
    topics, drugs, reviewed_on = library.brochure_contents(include_drafts)
    website = library.clinic.website
    common = renderer.common(paper, variant, Notes(library), full_sources=True, content_version=content_version,
                             page_labels=page_labels)
    qr_svg = qr_code(website, f"QR code: {website}")
    if common["press"] is not None:
        qr_svg = Markup(common["press"].svg(qr_svg))  # black ink: segno writes only #rrggbb colours
    return renderer.render(
        "brochure.html.j2", plan=library.brochure, topics=topics, drugs=drugs, reviewed_on=reviewed_on,
        qr_svg=qr_svg, fillers=fillers, chapter_versions=chapter_versions or {}, page_numbers=page_numbers or {},
        **common)


def split_parts(html: str) -> list[Part]:
    """Cut a brochure document (rendered without page labels) into its parts, each a whole document
    with the same head."""
    match = BODY.search(html)
    if not match:
        return []  # a template problem was recorded
    head, body_open, body, tail = html[:match.start()], match[1], match[2], html[match.start(3):]
    pieces = PART_MARK.split(body)
    return [Part(name, head + body_open + piece + tail, frozenset(ID.findall(piece)))
            for name, piece in zip(pieces[1::2], pieces[2::2])]


def page_numbers(parts: list[Part], lengths: dict[str, int],
                 anchor_pages: dict[str, dict[str, int]]) -> dict[str, int]:
    """The page number of each contents entry (a handout's slug, "words-to-know", "sources"), from each
    part's page count and the page within it (from 0) that holds each of its anchors."""
    wanted = {part.name for part in parts} | set(END_ANCHORS)
    numbers, first = {}, 1
    for part in parts:
        for anchor, index in anchor_pages.get(part.name, {}).items():
            if anchor in wanted and anchor in part.anchors:
                numbers[anchor] = first + index
        first += lengths[part.name]
    return numbers


def page_labels_html(renderer: Renderer, paper: Paper, variant: Variant, page_names: list[str],
                     include_drafts: bool = False) -> str:
    """A document of empty pages, each with only its "Page X of Y" drawn (see pdf/join.py): one per page of
    the brochure, on the same named page (the cover's label is in the cover's colour, the back cover
    has none)."""
    library = renderer.library
    _, _, reviewed_on = library.brochure_contents(include_drafts)
    return renderer.render("page-labels.html.j2", plan=library.brochure, reviewed_on=reviewed_on,
                           page_names=page_names, **renderer.common(paper, variant, Notes(library)))
