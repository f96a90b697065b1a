"""Web stage: where the app's PDFs are made. Personalised copies render on the library's one process pool
(build/pool.py), kept warm: a Personalizer in the server process holds every standard handout edition
written once (the standard build's PDFs, read back, and the large-print editions it lays out), then the
workers fork from it and inherit them, so a patient's copy costs its plan sheet.

Everything else the server process itself does with WeasyPrint or pdfium (builds, thumbnails, the warm-up
layouts) runs on one thread, the "workshop" thread, and the pool's workers are forked only from that
thread: a fork copies the locks other threads hold, and no other thread is ever inside those libraries.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from ..build.incremental import build, up_to_date
from ..build.output import ManifestEntry
from ..build.pool import Pool, close_at_exit, cores
from ..content.project import PROJECT_FOLDERS, languages
from ..deliver.patient import Request
from ..deliver.personalize import LAYOUTS_KEPT, Personalizer
from ..editions import LARGE_PRINT, Edition, Variant
from ..problems import BuildFailed
from .i18n import _

RENDER_TIMEOUT_S = 120
# A replaced pool is closed this much later, once the copies it was given are made.
RETIRE_AFTER_S = 60


class RenderFailed(Exception):
    """A copy could not be made for a reason that is not the input's: said in the page as it is."""


@dataclass
class Generation:
    """The renderer of one state of the content: its Personalizer (or why it did not load) and its pool."""

    stamp: str
    personalizer: Personalizer | None = None
    failure: BuildFailed | None = None
    pool: Pool | None = None
    warm: bool = False
    retired: bool = False
    editions: list[tuple[str, Edition]] = field(default_factory=list)


class Workshop:
    """The app's PDF making, for every request thread."""

    def __init__(self, root: Path, brand_file: Path | None, out_dir: Path, warm_papers: tuple[str, ...],
                 processes: int | None = None, log: Callable[[str], None] = print):
        self.root = root
        self.brand_file = brand_file
        self.out_dir = out_dir
        self.warm_papers = warm_papers
        self.processes = processes or cores()
        self.log = log
        self.thread = ThreadPoolExecutor(1, thread_name_prefix="workshop")
        self._lock = threading.Lock()
        self._generation: Generation | None = None

    # --- the workshop thread -------------------------------------------------------------------------

    def run(self, function: Callable, *args, **kwargs) -> Future:
        """Run on the workshop thread (after what is already queued there)."""
        return self.thread.submit(function, *args, **kwargs)

    def built(self, slugs: list[str], edition: Edition, log: Callable[[str], None] | None = None
              ) -> list[ManifestEntry]:
        """The manifest entries of built, current PDFs of these handouts, building them first if needed
        (BuildFailed if the content has a problem)."""
        options = dict(langs=[edition.lang], paper=edition.paper, variants=[edition.variant],
                       brand_file=self.brand_file, out_dir=self.out_dir)
        entries = up_to_date(self.root, slugs, **options)
        if entries is None:
            entries = self.run(build, self.root, slugs, log=log or self.log, **options).result()
        return entries

    # --- personalised copies -------------------------------------------------------------------------

    def start(self, warm: bool = True) -> None:
        """Load the content (now) and lay out the standard editions (on the workshop thread, in turns
        with whatever else comes: the app serves while it warms up)."""
        self._replace(warm)

    def render(self, request: Request) -> tuple[bytes, int]:
        """A patient's copy: PDF bytes and pages. BuildFailed for a problem of the content or the fields;
        RenderFailed when the worker died or took too long."""
        generation = self.current()
        if generation.failure is not None:
            raise generation.failure
        pool = generation.pool
        if pool.in_this_process or not pool.running:
            # Forking workers (or rendering in this process): on the workshop thread only.
            future = self.run(pool.submit, "render", request).result()
        else:
            future = pool.submit("render", request)
        try:
            return future.result(timeout=RENDER_TIMEOUT_S)
        except BrokenProcessPool:
            self.log("a render worker died while making a copy; the next copy starts a fresh one")
            raise RenderFailed(_("The program that makes the PDF stopped before it finished, so nothing was "
                                 "made and nothing was recorded. Please try again: a fresh one is starting.")
                               ) from None
        except FutureTimeout:
            raise RenderFailed(_("Making the PDF took longer than %(n)d seconds, so it was stopped. Please "
                                 "try again.", n=RENDER_TIMEOUT_S)) from None

    def current(self) -> Generation:
        """The generation for the content as it is on disk now: a changed file (an author's edit) loads
        the content again, so no copy is ever made from text that has since changed."""
        stamp = content_stamp(self.root, self.brand_file)
        with self._lock:
            generation = self._generation
        if generation is None or generation.stamp != stamp:
            return self._replace(True, stamp)
        return generation

    def status(self) -> dict:
        generation = self._generation
        if generation is None or generation.personalizer is None:
            return {"laid_out": 0, "editions": 0, "warm": False}
        return {"laid_out": generation.personalizer.prepared, "editions": len(generation.editions),
                "warm": generation.warm, "workers": generation.pool.processes}

    def close(self) -> None:
        with self._lock:
            generation, self._generation = self._generation, None
        self.thread.shutdown(wait=True, cancel_futures=True)
        if generation is not None and generation.pool is not None:
            generation.retired = True
            generation.pool.close()

    def _replace(self, warm: bool, stamp: str | None = None) -> Generation:
        with self._lock:
            stamp = stamp or content_stamp(self.root, self.brand_file)
            if self._generation is not None and self._generation.stamp == stamp:
                return self._generation
            generation = self.run(self._load, stamp).result()
            old, self._generation = self._generation, generation
        if old is not None:
            self._retire(old)
        if warm and generation.personalizer is not None:
            self._warm(generation)
        return generation

    def _load(self, stamp: str) -> Generation:
        generation = Generation(stamp)
        try:
            personalizer = Personalizer(self.root, self.brand_file, layouts_kept=LAYOUTS_KEPT, built=self.out_dir)
            generation.editions = [(slug, Edition(lang, paper, variant))
                                   for lang in personalizer.langs for slug in sorted(personalizer.slugs(lang))
                                   for paper in self.warm_papers for variant in (Variant(), Variant.of(LARGE_PRINT))]
            personalizer.layouts_kept = len(generation.editions) + LAYOUTS_KEPT
        except BuildFailed as failure:
            self.log(f"the content has {len(failure.problems)} problems: personalised copies wait for a fix")
            generation.failure = failure
            return generation
        generation.personalizer = personalizer
        generation.pool = self._pool(personalizer)
        return generation

    def _pool(self, personalizer: Personalizer) -> Pool:
        def in_worker() -> Personalizer:
            # The forked worker renders with the server's Personalizer and the layouts it had then. Its
            # font folder is the server's; one the worker made itself is removed as it exits.
            inherited = personalizer.assets.font_config._folder
            close_at_exit(personalizer, lambda: personalizer.close()
                          if personalizer.assets.font_config._folder != inherited else None)
            return personalizer

        return Pool(in_worker, self.processes, here=personalizer)

    def _warm(self, generation: Generation) -> None:
        """Queue the standard build, then one layout per standard edition (those the build wrote are read
        from it instead), then a fresh pool forked from the laid-out process."""
        def lay_out(slug: str, edition: Edition) -> None:
            if not generation.retired:
                try:
                    generation.personalizer.prepare(slug, edition)
                except BuildFailed as failure:  # that edition renders (and reports) on demand instead
                    self.log(f"could not lay out {edition.path(slug)} in advance: {failure.summary()}")

        def fork_warm_workers() -> None:
            if generation.retired:
                return
            cold, generation.pool = generation.pool, self._pool(generation.personalizer)
            if not generation.pool.in_this_process:
                generation.pool.submit("slugs", generation.personalizer.langs[0])  # fork them now, here
            generation.warm = True
            _close_later(cold)
            self.log(f"ready: {generation.personalizer.prepared} handout editions laid out, "
                     f"{generation.pool.processes} render workers")

        self.run(self._build_standard)
        for slug, edition in generation.editions:
            self.run(lay_out, slug, edition)
        self.run(fork_warm_workers)

    def _build_standard(self) -> None:
        """Every handout and the brochure on the clinic's paper, in every language, as `make build` does:
        the front desk's previews, prints and thumbnails are then ready (nothing is done if current)."""
        try:
            entries = build(self.root, langs=languages(self.root), paper=self.warm_papers[0],
                            brand_file=self.brand_file, out_dir=self.out_dir, log=lambda line: None)
        except BuildFailed as failure:
            self.log(f"the standard handouts were not built: {failure.summary()}")
        else:
            self.log(f"built: {len(entries)} standard PDFs current in {self.out_dir}")

    def _retire(self, generation: Generation) -> None:
        generation.retired = True
        if generation.pool is not None:
            _close_later(generation.pool)


def _close_later(pool: Pool) -> None:
    timer = threading.Timer(RETIRE_AFTER_S, pool.close)
    timer.daemon = True
    timer.start()


def content_stamp(root: Path, brand_file: Path | None) -> str:
    """What the content, templates, styles and catalogs look like on disk (names, sizes, times): cheap
    enough for every request, and different after any edit."""
    digest = hashlib.sha256()
    folders = [root / name for name in (*PROJECT_FOLDERS, "locales")]
    if brand_file is not None:
        folders.append(Path(brand_file).resolve().parent)
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            try:
                stat = path.stat()
            except OSError:
                continue
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()
