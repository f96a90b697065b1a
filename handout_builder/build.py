"""Build stage: load and check everything, render every requested PDF in memory, and only then write
them (atomically) and the manifest. A build with any problem writes nothing.

Builds are incremental: an output whose fingerprint (fingerprint.py) is unchanged is kept, and a build
where nothing changed decides so from the raw files alone. One build at a time writes a folder (a lock).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from .fingerprint import Inputs, Record, content_version
from .output import (ManifestEntry, build_lock, entry_for, read_manifest, remove_leftovers, retract,
                     update_manifest, write_atomic)
from .problems import Problems

if TYPE_CHECKING:
    from .model import Library

BROCHURE = "brochure"
REGULAR = "regular"
PRINT_SHOP = "print-shop"
BOOKLET = "booklet"  # the print-shop edition imposed 2-up: rendered with the print-shop styles
LEAFLET = "leaflet"  # leaflet.LEAFLET; the stages that render are imported only when something renders
CATALOG = "index.html"  # catalog.INDEX; not imported from there, as the catalog stage loads pypdfium2


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


def plan(library: Library, slugs: list[str], editions: list[Edition], problems: Problems,
         include_drafts: bool = False) -> list[Job]:
    """The jobs for the named handouts, or for every handout and the brochure when none is named."""
    known = {h.slug: h for h in library.handouts}
    for slug in slugs:
        if slug not in known:
            problems.add("command line", None, f"unknown handout '{slug}' (known: {', '.join(sorted(known))})")
    brochure = library.brochure
    newest = library.brochure_contents(include_drafts)[2]
    jobs = []
    for edition in editions:
        for slug, kind, made in outputs(edition, [(h.slug, h.kind) for h in library.handouts], slugs):
            if kind == BROCHURE:
                jobs.append(Job(slug, kind, brochure.title, newest.isoformat(), made))
            elif kind == LEAFLET:
                jobs.append(Job(slug, kind, f"{brochure.title} (leaflet)", newest.isoformat(), made))
            else:
                handout = known[slug]
                jobs.append(Job(slug, kind, handout.title, handout.review.reviewed_on.isoformat(), made))
    return jobs


def outputs(edition: Edition, handouts: list[tuple[str, str]],
            slugs: list[str]) -> list[tuple[str, str, Edition]]:
    """(slug, kind, edition) of each output an edition makes, from (slug, kind) of every handout: the
    rule both the plan and the no-change check follow."""
    parts = edition.variant.split("+")
    if LEAFLET in parts:  # "leaflet" picks the output; the variant is what else was asked for
        rest = "+".join(p for p in parts if p != LEAFLET) or REGULAR
        return [(LEAFLET, LEAFLET, Edition(edition.lang, edition.paper, rest))]
    if PRINT_SHOP in parts or BOOKLET in parts:  # print production is for the brochure only
        return [(BROCHURE, BROCHURE, edition)]
    made = [(slug, kind, edition) for slug, kind in handouts if not slugs or slug in slugs]
    return made + ([] if slugs else [(BROCHURE, BROCHURE, edition)])


def build(root: Path, slugs: list[str] | None = None, paper: str = "letter", brand_file: Path | None = None,
          out_dir: Path | None = None, html_dir: Path | None = None, variants: tuple[str, ...] = (REGULAR,),
          log: Callable[[str], None] = print, creep: float = 0.0, include_drafts: bool = False,
          force: bool = False, jobs: int | None = None, lang: str = "en") -> list[ManifestEntry]:
    """Build PDFs into `out_dir` (default: the project's out/) and return their manifest entries.

    A variant joins its parts with "+": "print-shop", "booklet" (with `creep` in pt), "leaflet" and
    "grayscale" combine, e.g. "booklet+grayscale".

    Outputs whose fingerprint is unchanged and whose file is intact are kept, unless `force`; keeping
    the HTML (`html_dir`) renders everything asked for. `jobs` processes render (default: one per core).
    """
    out_dir = out_dir or root / "out"
    slugs = list(slugs or [])
    settings = Settings(include_drafts, creep)
    inputs = Inputs(root, brand_file, lang)
    if not force and html_dir is None:
        # Reading needs no lock: every file is replaced atomically, and a record that does not match
        # the PDFs sends the build down the full path, which takes the lock and looks again.
        kept = _all_fresh(inputs, slugs, [Edition(lang, paper, v) for v in variants], out_dir, settings)
        if kept is not None:
            log(f"up to date: {len(kept)} PDF{'s' if len(kept) != 1 else ''} in {out_dir}")
            return kept
    return _build(root, inputs, slugs, paper, brand_file, out_dir, html_dir, variants, log, settings,
                  force or html_dir is not None, jobs)


@dataclass(frozen=True)
class Settings:
    """Build options that change some outputs' PDFs beyond their edition."""

    include_drafts: bool = False  # the brochure and leaflet list drafts too
    creep: float = 0.0  # booklet creep compensation, pt

    def options(self, kind: str, edition: Edition) -> tuple[str, ...]:
        """What goes into an output's fingerprint besides its input files."""
        drafts = ("with drafts",) if self.include_drafts and kind in (BROCHURE, LEAFLET) else ()
        creep = (f"creep {self.creep}",) if BOOKLET in edition.variant.split("+") else ()
        return (edition.lang, edition.paper, edition.variant, *drafts, *creep)


def _all_fresh(inputs: Inputs, slugs: list[str], editions: list[Edition], out_dir: Path,
               settings: Settings) -> list[ManifestEntry] | None:
    """The manifest entries of every wanted output if all are up to date, judged from raw files only
    (nothing parsed, WeasyPrint not imported); None if anything needs the full build."""
    handouts = inputs.handouts(slugs)
    if handouts is None or (not slugs and not (out_dir / CATALOG).is_file()):
        return None
    record = Record(out_dir)
    paths = set()
    for edition in editions:
        for slug, kind, made in outputs(edition, handouts, slugs):
            path = made.path(slug)
            if not record.is_fresh(path, inputs.fingerprint(slug, kind, *settings.options(kind, made))):
                return None
            paths.add(path)
    entries = [e for e in read_manifest(out_dir) if e.path in paths]
    return entries if len(entries) == len(paths) else None


def _build(root, inputs, slugs, paper, brand_file, out_dir, html_dir, variants, log, settings, force,
           processes) -> list[ManifestEntry]:
    from .content import load_library
    from .pdf import asset_roots, check_stylesheets, make_fetcher
    from .part_cache import PartCache
    from .render import Renderer
    from .render_pool import Work, render_all

    library = load_library(root, brand_file, inputs.lang)
    problems = Problems(root)
    editions = [Edition(library.lang, paper, variant) for variant in variants]
    jobs = plan(library, slugs, editions, problems, settings.include_drafts)
    problems.raise_if_any()

    stylesheets = check_stylesheets(root, make_fetcher(asset_roots(root, library.clinic.brand_file), []), problems)
    renderer = Renderer(library, problems)  # loads the templates' translations: an untranslated string stops here
    problems.raise_if_any()

    # Only a build with no problem creates the output folder; from here on it is this build's alone.
    with build_lock(out_dir):
        remove_leftovers(out_dir)
        record = Record(out_dir)
        fingerprints = {job.path: inputs.fingerprint(job.slug, job.kind,
                                                     *settings.options(job.kind, job.edition))
                        for job in jobs}
        listed = {e.path for e in read_manifest(out_dir)}  # a killed build may have retracted a fresh file
        stale = [job for job in jobs if force or job.path not in listed
                 or not record.is_fresh(job.path, fingerprints[job.path])]
        cache = PartCache(out_dir, inputs.shared())
        rendered = render_all(library, [Work(job, content_version(fingerprints[job.path]),
                                             chapter_versions(inputs, settings, job)) for job in stale],
                              html_dir, settings, cache, stylesheets, processes)
        for result in rendered:
            problems.items += result.problems
            for note in result.notes:
                log(note)
        problems.raise_if_any()

        # Manifest entries for files about to be replaced go first, so a kill never leaves a wrong one.
        retract(out_dir, {job.path for job in stale})
        written, built = [], {}
        for result in rendered:
            job, data, pages = result.job, result.pdf, result.pages
            for key, part in result.parts.items():  # the brochure's freshly laid-out parts, for next time
                cache.put(key, part)
            write_atomic(out_dir / job.path, data)
            log(f"wrote {out_dir / job.path} ({pages} page{'s' if pages != 1 else ''})")
            entry = entry_for(data, slug=job.slug, kind=job.kind, lang=job.edition.lang,
                              paper=job.edition.paper, variant=job.edition.variant, path=job.path,
                              title=job.title, reviewed_on=job.reviewed_on, pages=pages)
            written.append(entry)
            built[job.path] = (fingerprints[job.path], entry.sha256)
        if len(stale) < len(jobs):
            log(f"up to date: {len(jobs) - len(stale)} more PDF{'s' if len(jobs) - len(stale) != 1 else ''}")
        for result in rendered:
            if result.part_keys:
                cache.keep(result.job.path, result.part_keys)
        entries = update_manifest(out_dir, written)
        log(f"wrote {out_dir / 'manifest.json'}")
        record.save(built)  # last: an output counts as fresh only once everything about it is on disk
        if not slugs:
            write_full_build_catalog(renderer, out_dir, entries, problems, log)
        wanted = {job.path for job in jobs}
        return [e for e in entries if e.path in wanted]


def chapter_versions(inputs: Inputs, settings: Settings, job: Job) -> dict[str, str]:
    """The content version each chapter of a brochure prints in its footer: the version of its content,
    so an edit changes the pages of the chapters it touches, and only theirs (the cover prints the
    brochure's)."""
    if job.kind != BROCHURE:
        return {}
    return {slug: content_version(inputs.fingerprint(slug, kind, *settings.options(kind, job.edition)))
            for slug, kind in inputs.handouts([]) or []}


def write_full_build_catalog(renderer, out_dir, entries, problems, log) -> None:
    """The front desk's out/index.html, after a full build, from every PDF in the manifest."""
    from .catalog import write_catalog

    index = write_catalog(renderer, out_dir, entries)
    problems.raise_if_any("the PDFs were written, the catalog was not")
    log(f"wrote {index}")


def list_handouts(library: Library, today: date) -> list[dict]:
    from .translation import month_year
    from .review import review_age

    return [dict(slug=h.slug, kind=h.kind, title=h.title, lang=h.lang,
                 reviewed_on=h.review.reviewed_on.isoformat(), reviewed=month_year(h.review.reviewed_on, h.lang),
                 reviewed_by=h.review.reviewed_by, draft=h.review.draft,
                 review_age_months=age.months, review_due_on=age.due_on.isoformat(), overdue=age.overdue,
                 review_age=age.describe())
            for h in library.handouts for age in [review_age(h, today)]]
