"""Parallel render stage: each job's HTML and PDF, in this process or spread over a pool of processes.

Workers are forked from the process that loaded and checked the library, so each starts with the
library, the templates and WeasyPrint already loaded instead of loading them again.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .build import BOOKLET, BROCHURE, LEAFLET, PRINT_SHOP
from .model import Library
from .problems import Problem, Problems


@dataclass
class Rendered:
    job: object  # build.Job
    pdf: bytes | None
    pages: int
    problems: list[Problem]
    notes: list[str]  # what the build should tell the user (e.g. how to print a booklet)


class Session:
    """What rendering needs in one process: the library, one Jinja2 environment and one fetcher."""

    def __init__(self, library: Library, html_dir: Path | None, settings):
        from .pdf import asset_roots, make_fetcher
        from .render import Renderer

        self.library = library
        self.root = library.root
        self.html_dir = html_dir
        self.settings = settings  # build.Settings
        self.problems = Problems(self.root)
        self.refused: list[str] = []
        self.fetcher = make_fetcher(asset_roots(self.root, library.clinic.brand_file), self.refused)
        self.renderer = Renderer(library, self.problems)

    def html(self, job, styled: str, version: str, fillers: tuple[str, ...] = ()) -> str:
        """The job's HTML; `styled` is the variant whose styles it uses (a booklet is a print-shop
        brochure, imposed afterwards)."""
        from .brochure import brochure_html
        from .leaflet import leaflet_html
        from .render import PAPERS

        paper = PAPERS[job.edition.paper]
        if job.kind == BROCHURE:
            return brochure_html(self.renderer, paper, styled, fillers, self.settings.include_drafts, version)
        if job.kind == LEAFLET:
            return leaflet_html(self.renderer, paper, styled, self.settings.include_drafts)
        return self.renderer.handout(job.slug, paper, styled, content_version=version)

    def pdf(self, job, html: str, version: str) -> tuple[bytes, int] | None:
        from .output import write_atomic
        from .pdf import render_pdf

        if not html:
            return None  # a template problem was recorded
        if self.html_dir is not None:
            write_atomic(self.html_dir / Path(job.path).with_suffix(".html"), html.encode("utf-8"))
        what = f"the {job.kind}" if job.kind in (BROCHURE, LEAFLET) else \
            self.problems.display(self.library.handout(job.slug).path)
        return render_pdf(html, self.root, self.fetcher, self.refused, what, self.problems,
                          content_version=version)

    def render(self, job, version: str) -> Rendered:
        from .brochure import fillers_for
        from .imposition import DUPLEX, SHEET_NAMES, impose_booklet
        from .leaflet import leaflet_problem

        self.problems.items = []
        notes: list[str] = []
        parts = job.edition.variant.split("+")
        styled = "+".join(PRINT_SHOP if p == BOOKLET else p for p in parts)
        result = self.pdf(job, self.html(job, styled, version), version)
        # A printed brochure is folded sheets of four pages: pad it with designed pages, once.
        if result and job.kind == BROCHURE and PRINT_SHOP in styled.split("+") and result[1] % 4:
            result = self.pdf(job, self.html(job, styled, version, fillers_for(result[1])), version)
            if result and result[1] % 4:
                raise RuntimeError(f"padding the brochure left {result[1]} pages, not a multiple of 4")
        if result and job.kind == LEAFLET and (problem := leaflet_problem(result[1])):
            self.problems.add("the leaflet", None, problem)
            result = None
        if result and BOOKLET in parts:
            result = impose_booklet(result[0], self.settings.creep)
            notes.append(f"booklet: print on {SHEET_NAMES[job.edition.paper]} paper, double-sided, {DUPLEX}; "
                         "fold the stack in half and staple along the fold")
        pdf, pages = result or (None, 0)
        return Rendered(job, pdf, pages, list(self.problems.items), notes)


_session: Session | None = None  # one per worker process


def _start_worker(library: Library, html_dir: Path | None, settings, parent: int) -> None:
    global _session
    _die_with_parent(parent)
    _session = Session(library, html_dir, settings)


def _die_with_parent(parent: int) -> None:
    """A killed build must not leave workers behind: they would hang forever, holding the output
    folder's lock (inherited across fork). Linux ends them with their parent; elsewhere, best effort."""
    import ctypes
    import signal
    import sys

    if sys.platform.startswith("linux"):
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)


def _render_in_worker(job, version: str) -> Rendered:
    return _session.render(job, version)


def render_all(library: Library, work: list[tuple[object, str]], html_dir: Path | None, settings,
               processes: int | None = None) -> list[Rendered]:
    """Render (job, content version) pairs, in the order given; over up to `processes` processes."""
    processes = min(processes or os.cpu_count() or 1, len(work))
    if processes <= 1:
        session = Session(library, html_dir, settings)
        return [session.render(job, version) for job, version in work]
    # Longest first (the brochure), so no worker is left with it at the end.
    order = sorted(range(len(work)), key=lambda i: work[i][0].kind != BROCHURE)
    context = multiprocessing.get_context("fork")  # the children inherit the loaded library
    with ProcessPoolExecutor(processes, mp_context=context, initializer=_start_worker,
                             initargs=(library, html_dir, settings, os.getpid())) as pool:
        futures = {i: pool.submit(_render_in_worker, *work[i]) for i in order}
        return [futures[i].result() for i in range(len(work))]
