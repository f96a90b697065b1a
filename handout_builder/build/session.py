"""Build stage: what one process needs to render a build's jobs (a Session: the libraries of every
language, their Jinja2 environments, one fetcher and the shared stylesheets and fonts), the work it is
given (Work) and what it gives back (Rendered)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..editions import BOOKLET, LEAFLET, PAPERS, Job
from ..model import Library
from ..problems import Elsewhere, Problem, Problems
from .plan import Settings

# Where problems of outputs made from many files are reported.
LEAFLET_PLACE, BROCHURE_PLACE = Elsewhere("the leaflet"), Elsewhere("the brochure")


@dataclass
class Rendered:
    job: Job
    pdf: bytes | None
    pages: int
    problems: list[Problem]
    notes: list[str]  # what the build should tell the user (e.g. how to print a booklet)
    parts: dict[str, bytes] = field(default_factory=dict)  # brochure parts laid out now, by cache key
    part_keys: list[str] = field(default_factory=list)  # every cache key a brochure was made from


@dataclass(frozen=True)
class Work:
    """One job to render, with the content versions its footers print."""

    job: Job
    version: str  # the output's
    chapter_versions: dict[str, str] = field(default_factory=dict)  # a brochure's chapters', by slug


class Session:
    """What rendering needs in one process: the libraries by language, one Jinja2 environment for each,
    one fetcher, and the stylesheets, fonts and images shared by every render."""

    def __init__(self, libraries: dict[str, Library], html_dir: Path | None, settings: Settings,
                 stylesheets: dict[str, object]):
        from ..pdf.engine import SharedAssets, asset_roots, make_fetcher
        from ..render.renderer import Renderer

        first = next(iter(libraries.values()))
        self.root = first.root
        self.html_dir = html_dir
        self.settings = settings
        self.problems = Problems(self.root)
        self.refused: list[str] = []
        self.fetcher = make_fetcher(asset_roots(self.root, first.clinic.brand_file), self.refused)
        self.renderers = {lang: Renderer(library, self.problems) for lang, library in libraries.items()}
        self.assets = SharedAssets(self.fetcher, stylesheets)  # parsed once, by the build, before the fork

    def close(self) -> None:
        self.assets.close()

    def html(self, job: Job, version: str) -> str:
        """A handout's or the leaflet's HTML, drawn with the styles of its variant."""
        from ..render.leaflet import leaflet_html

        renderer = self.renderers[job.edition.lang]
        paper, styled = PAPERS[job.edition.paper], job.edition.variant.styled
        if job.kind == LEAFLET:
            return leaflet_html(renderer, paper, styled, self.settings.include_drafts)
        return renderer.handout(job.slug, paper, styled, content_version=version)

    def brochure_html(self, work: Work, fillers=(), page_numbers=None, page_labels=False) -> str:
        from ..render.brochure import brochure_html

        job = work.job
        return brochure_html(self.renderers[job.edition.lang], PAPERS[job.edition.paper], job.edition.variant.styled,
                             fillers, self.settings.include_drafts, work.version, work.chapter_versions,
                             page_numbers, page_labels)

    def labels_html(self, job: Job, page_names: list[str]) -> str:
        from ..render.brochure import page_labels_html

        return page_labels_html(self.renderers[job.edition.lang], PAPERS[job.edition.paper],
                                job.edition.variant.styled, page_names, self.settings.include_drafts)

    def keep_html(self, job: Job, html: str) -> None:
        from .output import write_atomic

        if self.html_dir is not None and html:
            write_atomic(self.html_dir / Path(job.path).with_suffix(".html"), html.encode("utf-8"))

    def pdf(self, job: Job, html: str, version: str) -> tuple[bytes, int] | None:
        from ..pdf.engine import render_pdf

        if not html:
            return None  # a template problem was recorded
        self.keep_html(job, html)
        library = self.renderers[job.edition.lang].library
        what = LEAFLET_PLACE if job.kind == LEAFLET else self.problems.display(library.handout(job.slug).path)
        html, reuse = self.assets.reuse(html)
        return render_pdf(html, self.root, self.fetcher, self.refused, what, self.problems,
                          content_version=version, reuse=reuse)

    def render(self, job: Job, version: str) -> Rendered:
        """A handout or the leaflet (a brochure is made by brochure_parts.BrochureRun)."""
        from ..pdf.imposition import booklet_note, impose_booklet
        from ..render.leaflet import leaflet_problem

        self.problems.items = []
        notes: list[str] = []
        result = self.pdf(job, self.html(job, version), version)
        if result and job.kind == LEAFLET and (problem := leaflet_problem(result[1])):
            self.problems.add(LEAFLET_PLACE, None, problem, code="leaflet")
            result = None
        if result and job.edition.variant.has(BOOKLET):
            result = impose_booklet(result[0], self.settings.creep)
            notes.append(booklet_note(job.edition.paper))
        pdf, pages = result or (None, 0)
        return Rendered(job, pdf, pages, list(self.problems.items), notes)

    def render_part(self, html: str, press: bool = False) -> tuple[bytes | None, list[Problem]]:
        """One brochure part (or its page labels) as a PDF to join; a `press` part is PDF/X-4 (the
        print-shop edition in the press's CMYK)."""
        from ..pdf.engine import render_part

        self.problems.items = []
        html, reuse = self.assets.reuse(html)
        pdf, _ = render_part(html, self.root, self.fetcher, self.refused, BROCHURE_PLACE, self.problems, reuse,
                             press=press)
        problems = list(self.problems.items)
        return (None if problems else pdf), problems
