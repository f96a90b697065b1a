"""Build stage: the incremental build. Load every language's content and run on it the checks `check`
runs (checks/runner.check_build: errors stop the build, warnings are printed), plan and render every
requested PDF in memory, and only then write them (atomically), the manifest and the catalog. A build with
any problem, in any language, writes nothing.

An output whose fingerprint (fingerprint.py) is unchanged is kept, and a build where nothing changed
decides so from the raw files alone: it parses nothing and imports neither WeasyPrint nor the parsers.
One build at a time writes a folder (a lock).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from ..editions import BROCHURE, DEFAULT_PAPER, SOURCE_LANGUAGE, Edition, Job, Variant
from ..problems import BuildFailed, Problems
from .fingerprint import Inputs, Record, content_version
from .output import (BUILD, CATALOG, HTML, ManifestEntry, build_lock, catalog_page, entry_for, refuse_output_folders,
                     read_manifest, remove_leftovers, remove_leftovers_if_idle, retract, update_manifest,
                     write_atomic)
from .plan import Settings, outputs
from .recover import recover_manifest


def build(root: Path, slugs: list[str] | tuple[str, ...] = (), *,
          langs: list[str] | tuple[str, ...] = (SOURCE_LANGUAGE,), paper: str = DEFAULT_PAPER, variants: list[Variant] | tuple[Variant, ...] = (Variant(),),
          brand_file: Path | None = None, out_dir: Path | None = None, html_dir: Path | None = None,
          settings: Settings = Settings(), force: bool = False, jobs: int | None = None,
          log: Callable[[str], None] = print, warn: Callable[[str], None] | None = None,
          today: date | None = None) -> list[ManifestEntry]:
    """Build the named handouts (or every handout and the brochure) in every language and variant asked
    for, into `out_dir` (default: the project's out/); return their manifest entries.

    Outputs whose fingerprint is unchanged and whose file is intact are kept, unless `force`; keeping the
    HTML (`html_dir`) renders everything asked for. `jobs` processes render (default: one per core).
    A build that renders anything first runs the content checks, with reviews aged against `today`
    (default: today); their warnings go to `warn` (default: `log`).
    """
    out_dir = out_dir or root / "out"
    refuse_output_folders(root, (out_dir, BUILD), (html_dir, HTML))
    slugs = list(slugs)
    inputs = {lang: Inputs(root, brand_file, lang) for lang in langs}
    if not force and html_dir is None:
        kept = up_to_date(root, slugs, langs=langs, paper=paper, variants=variants, brand_file=brand_file,
                          out_dir=out_dir, settings=settings, inputs=inputs)
        if kept is not None:
            remove_leftovers_if_idle(out_dir)  # a killed build's temporary files
            log(f"up to date: {len(kept)} PDF{'s' if len(kept) != 1 else ''} in {out_dir}")
            return kept
    return _build(root, inputs, slugs, paper, variants, brand_file, out_dir, html_dir, settings,
                  force or html_dir is not None, jobs, log, warn or log, today or date.today())


def up_to_date(root: Path, slugs: list[str] | tuple[str, ...] = (), *,
               langs: list[str] | tuple[str, ...] = (SOURCE_LANGUAGE,), paper: str = DEFAULT_PAPER,
               variants: list[Variant] | tuple[Variant, ...] = (Variant(),), brand_file: Path | None = None,
               out_dir: Path | None = None, settings: Settings = Settings(),
               inputs: dict[str, Inputs] | None = None) -> list[ManifestEntry] | None:
    """The manifest entries of what `build` with these arguments makes, if every one is built and current;
    None if a build is needed. Read from raw files only: quick, nothing imported, no lock needed (every
    file is replaced atomically, and a record that does not match the PDFs sends the build down the full
    path, which takes the lock and looks again)."""
    inputs = inputs or {lang: Inputs(root, brand_file, lang) for lang in langs}
    editions = {lang: [Edition(lang, paper, variant) for variant in variants] for lang in langs}
    return _all_fresh(inputs, list(slugs), editions, out_dir or root / "out", settings)


def _all_fresh(inputs: dict[str, Inputs], slugs: list[str], editions: dict[str, list[Edition]], out_dir: Path,
               settings: Settings) -> list[ManifestEntry] | None:
    """The manifest entries of every wanted output if all are up to date, judged from raw files only
    (nothing parsed, WeasyPrint not imported); None if anything needs the full build (which writes the
    catalog pages too, if one is missing)."""
    if not all((out_dir / page).is_file() for page in {CATALOG, *map(catalog_page, inputs)}):
        return None
    record = Record(out_dir)
    paths = set()
    for lang, lang_inputs in inputs.items():
        handouts = lang_inputs.handouts(slugs)
        if handouts is None:
            return None
        for edition in editions[lang]:
            for slug, kind, made in outputs(edition, handouts, slugs):
                path = made.path(slug)
                if not record.is_fresh(path, lang_inputs.fingerprint(slug, kind, *settings.options(kind, made))):
                    return None
                paths.add(path)
    entries = [e for e in read_manifest(out_dir) if e.path in paths]
    return entries if len(entries) == len(paths) else None


def _build(root, inputs, slugs, paper, variants, brand_file, out_dir, html_dir, settings, force, processes,
           log, warn, today) -> list[ManifestEntry]:
    from ..checks.runner import check_build
    from ..content.library import load_library
    from ..pdf.engine import asset_roots, check_stylesheets, make_fetcher
    from .part_cache import PartCache
    from .plan import plan

    # Every language is loaded, checked and planned before anything is rendered or written.
    problems = Problems(root)
    libraries, jobs = {}, []
    for lang in inputs:
        try:
            libraries[lang] = library = load_library(root, brand_file, lang)
        except BuildFailed as failure:
            problems.items += failure.problems
            continue
        jobs += plan(library, slugs, paper, list(variants), problems, settings.include_drafts)
    problems.raise_if_any()
    # What `check` finds stops the build too (an untranslated template string, a section at grade 17).
    check_build(root, brand_file, libraries, today, problems)
    problems.raise_if_any()
    for warning in problems.warnings:
        warn(str(warning))
    problems.items = []

    first = next(iter(libraries.values()))
    stylesheets = check_stylesheets(root, make_fetcher(asset_roots(root, first.clinic.brand_file), []), problems)
    problems.raise_if_any()

    # Only a build with no problem creates the output folder; from here on it is this build's alone.
    with build_lock(out_dir):
        remove_leftovers(out_dir)
        recover_manifest(root, out_dir, warn)
        record = Record(out_dir)
        fingerprints = {job.path: _fingerprint(inputs, settings, job) for job in jobs}
        before = read_manifest(out_dir)
        listed = {e.path for e in before}  # a killed build may have retracted a fresh file
        stale = [job for job in jobs if force or job.path not in listed
                 or not record.is_fresh(job.path, fingerprints[job.path])]
        cache = PartCache(out_dir, inputs[first.lang].shared())
        work = [_work(inputs, settings, job, fingerprints[job.path]) for job in stale]
        rendered = render_all(libraries, work, html_dir, settings, cache, stylesheets, processes)
        for result in rendered:
            problems.items += result.problems
            for note in result.notes:
                log(note)
        problems.raise_if_any()
        for warning in sorted(set(problems.warnings), key=lambda p: p.sort_key()):
            log(str(warning))

        # Manifest entries for files about to be replaced go first, so a kill never leaves a wrong one.
        retract(out_dir, {job.path for job in stale})
        written, built = [], {}
        try:
            for result in rendered:
                job, data, pages = result.job, result.pdf, result.pages
                for key, part in result.parts.items():  # the brochure's freshly laid-out parts, for next time
                    cache.put(key, part)
                write_atomic(out_dir / job.path, data)
                log(f"wrote {out_dir / job.path} ({pages} page{'s' if pages != 1 else ''})")
                edition = job.edition
                entry = entry_for(data, slug=job.slug, kind=job.kind, lang=edition.lang, paper=edition.paper,
                                  variant=edition.variant.name, path=job.path, title=job.title,
                                  reviewed_on=job.reviewed_on, pages=pages)
                written.append(entry)
                built[job.path] = (fingerprints[job.path], entry.sha256)
            if len(stale) < len(jobs):
                kept = len(jobs) - len(stale)
                log(f"up to date: {kept} more PDF{'s' if kept != 1 else ''}")
            for result in rendered:
                if result.part_keys:
                    cache.keep(result.job.path, result.part_keys)
            entries = update_manifest(out_dir, written, earlier=before)
            log(f"wrote {out_dir / 'manifest.json'}")
            record.save(built)  # last: an output counts as fresh only once everything about it is on disk
        except BuildFailed as failure:  # a full disk: the files not yet replaced are the old ones, listed again
            try:
                update_manifest(out_dir, written, earlier=before)
            except BuildFailed:
                pass  # the retracted manifest stays: every entry in it still describes its file
            raise BuildFailed(failure.problems, f"the build stopped: {len(written)} of {len(stale)} PDFs were "
                              "written, each complete; the others are as they were") from None
        # Every build rewrites the catalog, from the whole manifest: a one-handout build (or `print`) too.
        _write_catalog(first, out_dir, entries, problems, log)
        wanted = {job.path for job in jobs}
        return [e for e in entries if e.path in wanted]


def _fingerprint(inputs: dict[str, Inputs], settings: Settings, job: Job) -> str:
    return inputs[job.edition.lang].fingerprint(job.slug, job.kind, *settings.options(job.kind, job.edition))


def _work(inputs: dict[str, Inputs], settings: Settings, job: Job, fingerprint: str):
    """The job with the content versions its footers print. A brochure's chapters print the version of
    their own content, so an edit changes the pages of the chapters it touches, and only theirs (the
    cover prints the brochure's)."""
    from .session import Work

    chapters = {}
    if job.kind == BROCHURE:
        lang_inputs = inputs[job.edition.lang]
        chapters = {slug: content_version(lang_inputs.fingerprint(slug, kind, *settings.options(kind, job.edition)))
                    for slug, kind in lang_inputs.handouts([]) or []}
    return Work(job, content_version(fingerprint), chapters)


def render_all(libraries: dict, work: list, html_dir: Path | None, settings: Settings, cache,
               stylesheets: dict[str, object], processes: int | None = None) -> list:
    """Render the work (session.Work), returned in the order given (session.Rendered), on the pool.

    `cache` is the brochures' part cache (part_cache.PartCache): read here; the build stores what was laid
    out. `stylesheets` are the build's parsed stylesheets (pdf.engine.check_stylesheets), which every
    render uses. A brochure's parts are laid out on the same pool, alongside the handouts; its HTML, its
    last parts and its join are made in this process.
    """
    from .brochure_parts import BrochureRun
    from .pool import Pool, close_at_exit, cores
    from .session import Session

    def make_session() -> Session:
        session = Session(libraries, html_dir, settings, stylesheets)
        close_at_exit(session, session.close)
        return session

    brochures = [i for i, item in enumerate(work) if item.job.kind == BROCHURE]
    processes = min(processes or cores(), len(work) + 10 * len(brochures)) or 1
    here = Session(libraries, html_dir, settings, stylesheets)
    try:
        with Pool(make_session, processes, here=here) as pool:
            # The brochures' parts go first: together they are the longest work.
            started: dict = {}

            def submit_part(html: str, press: bool):
                return pool.submit("render_part", html, press)

            runs = {i: BrochureRun(here, work[i], cache, submit_part, started) for i in brochures}
            futures = {i: pool.submit("render", item.job, item.version)
                       for i, item in enumerate(work) if i not in runs}
            results = {i: run.finish() for i, run in runs.items()}
            results.update({i: future.result() for i, future in futures.items()})
    finally:
        here.close()
    return [results[i] for i in range(len(work))]


def _write_catalog(library, out_dir: Path, entries: list[ManifestEntry], problems: Problems, log) -> None:
    """The front desk's out/index.html (and each other language's page), from every PDF in the manifest."""
    from .catalog import write_catalog

    pages = []
    try:
        pages = write_catalog(library, out_dir, entries, problems)
    except BuildFailed as failure:  # a page that cannot be written (a full disk)
        problems.items += failure.problems
    problems.raise_if_any("the PDFs were written, the catalog was not")
    for page in pages:
        log(f"wrote {page}")
