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

from .build import BROCHURE
from .model import Library
from .problems import Problem, Problems


@dataclass
class Rendered:
    job: object  # build.Job
    pdf: bytes | None
    pages: int
    problems: list[Problem]


class Session:
    """What rendering needs in one process: the library, one Jinja2 environment and one fetcher."""

    def __init__(self, library: Library, html_dir: Path | None, include_drafts: bool = False):
        from .pdf import asset_roots, make_fetcher
        from .render import Renderer

        self.library = library
        self.root = library.root
        self.html_dir = html_dir
        self.include_drafts = include_drafts
        self.problems = Problems(self.root)
        self.refused: list[str] = []
        self.fetcher = make_fetcher(asset_roots(self.root, library.clinic.brand_file), self.refused)
        self.renderer = Renderer(library, self.problems)

    def render(self, job, version: str) -> Rendered:
        from .brochure import brochure_html
        from .output import write_atomic
        from .pdf import render_pdf
        from .render import PAPERS

        self.problems.items = []
        paper = PAPERS[job.edition.paper]
        if job.kind == BROCHURE:
            html = brochure_html(self.renderer, paper, job.edition.variant, self.include_drafts, version)
            what = "the brochure"
        else:
            html = self.renderer.handout(job.slug, paper, job.edition.variant, content_version=version)
            what = self.problems.display(self.library.handout(job.slug).path)
        result = None
        if html:  # else a template problem was recorded
            if self.html_dir is not None:
                write_atomic(self.html_dir / Path(job.path).with_suffix(".html"), html.encode("utf-8"))
            result = render_pdf(html, self.root, self.fetcher, self.refused, what, self.problems,
                                content_version=version)
        pdf, pages = result or (None, 0)
        return Rendered(job, pdf, pages, list(self.problems.items))


_session: Session | None = None  # one per worker process


def _start_worker(library: Library, html_dir: Path | None, include_drafts: bool, parent: int) -> None:
    global _session
    _die_with_parent(parent)
    _session = Session(library, html_dir, include_drafts)


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


def render_all(library: Library, work: list[tuple[object, str]], html_dir: Path | None,
               processes: int | None = None, include_drafts: bool = False) -> list[Rendered]:
    """Render (job, content version) pairs, in the order given; over up to `processes` processes."""
    processes = min(processes or os.cpu_count() or 1, len(work))
    if processes <= 1:
        session = Session(library, html_dir, include_drafts)
        return [session.render(job, version) for job, version in work]
    # Longest first (the brochure), so no worker is left with it at the end.
    order = sorted(range(len(work)), key=lambda i: work[i][0].kind != BROCHURE)
    context = multiprocessing.get_context("fork")  # the children inherit the loaded library
    with ProcessPoolExecutor(processes, mp_context=context, initializer=_start_worker,
                             initargs=(library, html_dir, include_drafts, os.getpid())) as pool:
        futures = {i: pool.submit(_render_in_worker, *work[i]) for i in order}
        return [futures[i].result() for i in range(len(work))]
