"""Build stage: what a build makes: the jobs for the named handouts (or everything) in each edition, and the
options that change some outputs' PDFs beyond their edition."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..editions import BOOKLET, BROCHURE, LEAFLET, RGB, Edition, Job, Variant

if TYPE_CHECKING:  # the no-change build reads this module and must not load the model (markupsafe)
    from ..model import Library
    from ..problems import Problems


@dataclass(frozen=True)
class Settings:
    """Build options that change some outputs' PDFs beyond their edition."""

    include_drafts: bool = False  # the brochure and leaflet list drafts too
    creep: float = 0.0  # booklet creep compensation, pt

    def options(self, kind: str, edition: Edition) -> tuple[str, ...]:
        """What goes into an output's fingerprint besides its input files."""
        drafts = ("with drafts",) if self.include_drafts and kind in (BROCHURE, LEAFLET) else ()
        creep = (f"creep {self.creep}",) if edition.variant.has(BOOKLET) else ()
        return (edition.lang, edition.paper, edition.variant.name, *drafts, *creep)


def outputs(edition: Edition, handouts: list[tuple[str, str]],
            slugs: list[str]) -> list[tuple[str, str, Edition]]:
    """(slug, kind, edition) of each output an edition makes, from (slug, kind) of every handout: the
    rule both the plan and the no-change check follow. The slug "brochure" names the brochure."""
    variant = edition.variant
    if variant.has(LEAFLET):  # "leaflet" picks the output; the variant is what else was asked for
        return [(LEAFLET, LEAFLET, Edition(edition.lang, edition.paper, variant.without(LEAFLET)))]
    if variant.printed:  # print production is for the brochure only
        return [(BROCHURE, BROCHURE, edition)]
    made = [(slug, kind, edition) for slug, kind in handouts if not slugs or slug in slugs]
    return made + ([(BROCHURE, BROCHURE, edition)] if not slugs or BROCHURE in slugs else [])


def plan(library: Library, slugs: list[str], paper: str, variants: list[Variant], problems: Problems,
         include_drafts: bool = False) -> list[Job]:
    """The jobs of one language: the named handouts, or every handout and the brochure when none is named."""
    known = {h.slug: h for h in library.handouts}
    for slug in slugs:
        if slug not in known and slug != BROCHURE:
            problems.about("SLUG", f"unknown handout '{slug}' in '{library.lang}' (known: "
                            f"{', '.join(sorted(known))})", code="unknown-handout")
    brochure = library.brochure
    newest = library.brochure_contents(include_drafts)[2]
    jobs = []
    for variant in variants:
        if variant.press and library.clinic.press is None:
            variant = variant.adding(RGB)
            problems.warn(library.clinic.brand_file, None, "no [print] table, so the print-shop brochure is "
                          f"built in RGB (as brochure{variant.file_suffix}.pdf), not as PDF/X-4 for a press: add "
                          '[print] with profile = "FILE.icc", the print shop\'s CMYK press profile beside this '
                          "file, to build it in the press's CMYK", code="print-profile")
        edition = Edition(library.lang, paper, variant)
        for slug, kind, made in outputs(edition, [(h.slug, h.kind) for h in library.handouts], slugs):
            if kind == BROCHURE:
                jobs.append(Job(slug, kind, brochure.title, newest.isoformat(), made))
            elif kind == LEAFLET:
                jobs.append(Job(slug, kind, f"{brochure.title} (leaflet)", newest.isoformat(), made))
            elif slug in known:
                handout = known[slug]
                jobs.append(Job(slug, kind, handout.title, handout.review.reviewed_on.isoformat(), made))
    return jobs
