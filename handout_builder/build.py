"""Build stage: load and check everything, render every requested PDF in memory, and only then write
them (atomically) and the manifest. A build with any problem writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .brochure import brochure_html, fillers_for
from .content import load_library
from .imposition import DUPLEX, SHEET_NAMES, impose_booklet
from .leaflet import LEAFLET, leaflet_html, leaflet_problem
from .model import Library
from .output import ManifestEntry, entry_for, update_manifest, write_atomic
from .pdf import asset_roots, check_stylesheets, make_fetcher, render_pdf
from .problems import Problems
from .render import PAPERS, Renderer, month_year
from .review import review_age

BROCHURE = "brochure"
REGULAR = "regular"
PRINT_SHOP = "print-shop"
BOOKLET = "booklet"  # the print-shop edition imposed 2-up: rendered with the print-shop styles


@dataclass(frozen=True)
class Edition:
    """How an output is made: language, paper and variant ("regular", or e.g. "large-print")."""

    lang: str = "en"
    paper: str = "letter"
    variant: str = REGULAR

    def path(self, slug: str) -> str:
        """Output path relative to the output folder: the file name says what it is."""
        suffix = "" if self.variant == REGULAR else "." + self.variant.replace("+", ".")
        return f"{self.lang}/{self.paper}/{slug}{suffix}.pdf"


@dataclass(frozen=True)
class Job:
    """One PDF to make."""

    slug: str
    kind: str  # topic, drug, brochure or leaflet
    title: str
    reviewed_on: str
    edition: Edition

    @property
    def path(self) -> str:
        return self.edition.path(self.slug)


def plan(library: Library, slugs: list[str], editions: list[Edition], problems: Problems) -> list[Job]:
    """The jobs for the named handouts, or for every handout and the brochure when none is named."""
    known = {h.slug: h for h in library.handouts}
    for slug in slugs:
        if slug not in known:
            problems.add("command line", None, f"unknown handout '{slug}' (known: {', '.join(sorted(known))})")
    brochure = library.brochure
    newest = max(library.handout(s).review.reviewed_on for s in (*brochure.topics, *brochure.drugs))
    jobs = []
    for edition in editions:
        parts = edition.variant.split("+")
        if LEAFLET in parts:  # "leaflet" picks the output; the variant is what else was asked for
            rest = "+".join(p for p in parts if p != LEAFLET) or REGULAR
            jobs.append(Job(LEAFLET, LEAFLET, f"{brochure.title} (leaflet)", newest.isoformat(),
                            Edition(edition.lang, edition.paper, rest)))
            continue
        if PRINT_SHOP in parts or BOOKLET in parts:  # print production is for the brochure only
            jobs.append(Job(BROCHURE, BROCHURE, brochure.title, newest.isoformat(), edition))
            continue
        jobs += [Job(h.slug, h.kind, h.title, h.review.reviewed_on.isoformat(), edition)
                 for h in library.handouts if not slugs or h.slug in slugs]
        if not slugs:
            jobs.append(Job(BROCHURE, BROCHURE, brochure.title, newest.isoformat(), edition))
    return jobs


def build(root: Path, slugs: list[str] | None = None, paper: str = "letter", brand_file: Path | None = None,
          out_dir: Path | None = None, html_dir: Path | None = None, variants: tuple[str, ...] = (REGULAR,),
          log: Callable[[str], None] = print, creep: float = 0.0,
          include_drafts: bool = False, lang: str = "en") -> list[ManifestEntry]:
    """Build PDFs into `out_dir` (default: the project's out/) and return their manifest entries.

    A variant joins its parts with "+": "print-shop", "booklet" (with `creep` in pt), "leaflet" and
    "grayscale" combine, e.g. "booklet+grayscale".
    """
    library = load_library(root, brand_file, lang)
    out_dir = out_dir or root / "out"
    problems = Problems(root)
    editions = [Edition(library.lang, paper, variant) for variant in variants]
    jobs = plan(library, list(slugs or []), editions, problems)
    problems.raise_if_any()

    refused: list[str] = []
    fetcher = make_fetcher(asset_roots(root, library.clinic.brand_file), refused)
    check_stylesheets(root, fetcher, problems)
    problems.raise_if_any()

    renderer = Renderer(library, problems)
    rendered: list[tuple[Job, bytes, int]] = []
    for job in jobs:
        paper_ = PAPERS[job.edition.paper]
        parts = job.edition.variant.split("+")
        styled = "+".join(PRINT_SHOP if p == BOOKLET else p for p in parts)
        if job.kind == BROCHURE:
            make_html = lambda fillers=(): brochure_html(renderer, paper_, styled, fillers,
                                                                   include_drafts)  # noqa: E731
        elif job.kind == LEAFLET:
            make_html = lambda: leaflet_html(renderer, paper_, styled)  # noqa: E731
        else:
            make_html = lambda: renderer.handout(job.slug, paper_, styled)  # noqa: E731
        what = f"the {job.kind}" if job.kind in (BROCHURE, LEAFLET) else \
            problems.display(library.handout(job.slug).path)

        def render(html: str) -> tuple[bytes, int] | None:
            if not html:
                return None  # a template problem was recorded
            if html_dir is not None:
                write_atomic(html_dir / Path(job.path).with_suffix(".html"), html.encode("utf-8"))
            return render_pdf(html, root, fetcher, refused, what, problems)

        result = render(make_html())
        # A printed brochure is folded sheets of four pages: pad it with designed pages, once.
        if result and job.kind == BROCHURE and PRINT_SHOP in styled.split("+") and result[1] % 4:
            result = render(make_html(fillers_for(result[1])))
            if result and result[1] % 4:
                raise RuntimeError(f"padding the brochure left {result[1]} pages, not a multiple of 4")
        if result and job.kind == LEAFLET and (problem := leaflet_problem(result[1])):
            problems.add(what, None, problem)
            continue
        if result and BOOKLET in parts:
            result = impose_booklet(result[0], creep)
            log(f"booklet: print on {SHEET_NAMES[job.edition.paper]} paper, double-sided, {DUPLEX}; "
                "fold the stack in half and staple along the fold")
        if result:
            rendered.append((job, *result))
    problems.raise_if_any()

    written = []
    for job, data, pages in rendered:
        write_atomic(out_dir / job.path, data)
        log(f"wrote {out_dir / job.path} ({pages} page{'s' if pages != 1 else ''})")
        written.append(entry_for(data, slug=job.slug, kind=job.kind, lang=job.edition.lang,
                                 paper=job.edition.paper, variant=job.edition.variant, path=job.path,
                                 title=job.title, reviewed_on=job.reviewed_on, pages=pages))
    entries = update_manifest(out_dir, written)
    log(f"wrote {out_dir / 'manifest.json'}")
    if not slugs:
        write_full_build_catalog(renderer, out_dir, entries, problems, log)
    return written


def write_full_build_catalog(renderer, out_dir, entries, problems, log) -> None:
    """The front desk's out/index.html, after a full build, from every PDF in the manifest."""
    from .catalog import write_catalog

    index = write_catalog(renderer, out_dir, entries)
    problems.raise_if_any("the PDFs were written, the catalog was not")
    log(f"wrote {index}")


def list_handouts(library: Library, today: date) -> list[dict]:
    return [dict(slug=h.slug, kind=h.kind, title=h.title, lang=h.lang,
                 reviewed_on=h.review.reviewed_on.isoformat(), reviewed=month_year(h.review.reviewed_on, h.lang),
                 reviewed_by=h.review.reviewed_by, draft=h.review.draft,
                 review_age_months=age.months, review_due_on=age.due_on.isoformat(), overdue=age.overdue,
                 review_age=age.describe())
            for h in library.handouts for age in [review_age(h, today)]]
