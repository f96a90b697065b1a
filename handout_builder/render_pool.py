"""Parallel render stage: each job's HTML and PDF, in this process or spread over a pool of processes.

Workers are forked from the process that loaded and checked the library, so each starts with the
library, the templates and WeasyPrint already loaded instead of loading them again. A brochure's parts
are laid out on the same pool, alongside the handouts (brochure_parts.py).
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
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
    parts: dict[str, bytes] = field(default_factory=dict)  # brochure parts laid out now, by cache key
    part_keys: list[str] = field(default_factory=list)  # every cache key a brochure was made from


@dataclass(frozen=True)
class Work:
    """One job to render, with the content versions its footers print."""

    job: object  # build.Job
    version: str  # the output's
    chapter_versions: dict[str, str] = field(default_factory=dict)  # a brochure's chapters', by slug


class Session:
    """What rendering needs in one process: the library, one Jinja2 environment and one fetcher."""

    def __init__(self, library: Library, html_dir: Path | None, settings, stylesheets: dict[str, object]):
        from .pdf import SharedAssets, asset_roots, make_fetcher
        from .render import Renderer

        self.library = library
        self.root = library.root
        self.html_dir = html_dir
        self.settings = settings  # build.Settings
        self.problems = Problems(self.root)
        self.refused: list[str] = []
        self.fetcher = make_fetcher(asset_roots(self.root, library.clinic.brand_file), self.refused)
        self.renderer = Renderer(library, self.problems)
        self.assets = SharedAssets(self.fetcher, stylesheets)  # parsed once, by the build, before the fork

    def close(self) -> None:
        self.assets.close()

    def html(self, job, styled: str, version: str) -> str:
        """A handout's or the leaflet's HTML; `styled` is the variant whose styles it uses."""
        from .leaflet import leaflet_html
        from .render import PAPERS

        paper = PAPERS[job.edition.paper]
        if job.kind == LEAFLET:
            return leaflet_html(self.renderer, paper, styled, self.settings.include_drafts)
        return self.renderer.handout(job.slug, paper, styled, content_version=version)

    def brochure_html(self, work: Work, styled: str, fillers=(), page_numbers=None, page_labels=False) -> str:
        from .brochure import brochure_html
        from .render import PAPERS

        return brochure_html(self.renderer, PAPERS[work.job.edition.paper], styled, fillers,
                             self.settings.include_drafts, work.version, work.chapter_versions, page_numbers,
                             page_labels)

    def labels_html(self, job, styled: str, page_names: list[str]) -> str:
        from .brochure import page_labels_html
        from .render import PAPERS

        return page_labels_html(self.renderer, PAPERS[job.edition.paper], styled, page_names,
                                self.settings.include_drafts)

    def keep_html(self, job, html: str) -> None:
        from .output import write_atomic

        if self.html_dir is not None and html:
            write_atomic(self.html_dir / Path(job.path).with_suffix(".html"), html.encode("utf-8"))

    def pdf(self, job, html: str, version: str) -> tuple[bytes, int] | None:
        from .pdf import render_pdf

        if not html:
            return None  # a template problem was recorded
        self.keep_html(job, html)
        what = "the leaflet" if job.kind == LEAFLET else self.problems.display(self.library.handout(job.slug).path)
        html, reuse = self.assets.reuse(html)
        return render_pdf(html, self.root, self.fetcher, self.refused, what, self.problems,
                          content_version=version, reuse=reuse)

    def render(self, job, version: str) -> Rendered:
        """A handout or the leaflet (a brochure is made by brochure_parts.BrochureRun)."""
        from .imposition import impose_booklet
        from .leaflet import leaflet_problem

        self.problems.items = []
        notes: list[str] = []
        parts = job.edition.variant.split("+")
        styled = "+".join(PRINT_SHOP if p == BOOKLET else p for p in parts)
        result = self.pdf(job, self.html(job, styled, version), version)
        if result and job.kind == LEAFLET and (problem := leaflet_problem(result[1])):
            self.problems.add("the leaflet", None, problem)
            result = None
        if result and BOOKLET in parts:
            result = impose_booklet(result[0], self.settings.creep)
            notes.append(booklet_note(job))
        pdf, pages = result or (None, 0)
        return Rendered(job, pdf, pages, list(self.problems.items), notes)

    def render_part(self, html: str) -> tuple[bytes | None, list[Problem]]:
        """One brochure part (or its page labels) as a PDF to join."""
        from .pdf import render_part

        self.problems.items = []
        html, reuse = self.assets.reuse(html)
        pdf, _ = render_part(html, self.root, self.fetcher, self.refused, "the brochure", self.problems, reuse)
        problems = list(self.problems.items)
        return (None if problems else pdf), problems


def booklet_note(job) -> str:
    from .imposition import DUPLEX, SHEET_NAMES

    return (f"booklet: print on {SHEET_NAMES[job.edition.paper]} paper, double-sided, {DUPLEX}; "
            "fold the stack in half and staple along the fold")


_session: Session | None = None  # one per worker process


def _start_worker(library: Library, html_dir: Path | None, settings, stylesheets: dict[str, object],
                  parent: int) -> None:
    from multiprocessing.util import Finalize

    global _session
    _die_with_parent(parent)
    _session = Session(library, html_dir, settings, stylesheets)
    Finalize(_session, _session.close, exitpriority=10)  # run as the worker exits (atexit is not)


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


def _render_part_in_worker(html: str) -> tuple[bytes | None, list[Problem]]:
    return _session.render_part(html)


class _InThisProcess:
    """The pool's interface, for --jobs 1: each call runs when submitted."""

    def __init__(self, session: Session):
        self.session = session

    def submit(self, function, *args) -> Future:
        global _session
        _session, future = self.session, Future()
        future.set_result(function(*args))
        return future

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def render_all(library: Library, work: list[Work], html_dir: Path | None, settings, cache,
               stylesheets: dict[str, object], processes: int | None = None) -> list[Rendered]:
    from .brochure_parts import BrochureRun

    """Render the work, returned in the order given, over up to `processes` processes. `cache` is the
    brochures' part cache (part_cache.PartCache): read here; the build stores what was laid out.
    `stylesheets` are the build's parsed stylesheets (pdf.check_stylesheets), which every render uses."""
    brochures = [i for i, item in enumerate(work) if item.job.kind == BROCHURE]
    processes = min(processes or os.cpu_count() or 1, len(work) + 10 * len(brochures))
    here = Session(library, html_dir, settings, stylesheets)  # brochures' HTML, their last parts, their joins
    if processes <= 1:
        pool = _InThisProcess(here)
    else:
        pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork"),  # inherit the library
                                   initializer=_start_worker,
                                   initargs=(library, html_dir, settings, stylesheets, os.getpid()))
    try:
        with pool:
            # The brochures' parts go first: together they are the longest work.
            started: dict[str, Future] = {}

            def submit_part(html: str) -> Future:
                return pool.submit(_render_part_in_worker, html)

            runs = {i: BrochureRun(here, work[i], cache, submit_part, started) for i in brochures}
            futures = {i: pool.submit(_render_in_worker, item.job, item.version)
                       for i, item in enumerate(work) if i not in runs}
            results = {i: run.finish() for i, run in runs.items()}
            results.update({i: future.result() for i, future in futures.items()})
    finally:
        here.close()
    return [results[i] for i in range(len(work))]
