"""Build stage: load and check everything, render every requested PDF in memory, and only then write
them (atomically) and the manifest. A build with any problem writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .brochure import brochure_html
from .content import load_library
from .model import Library
from .output import ManifestEntry, entry_for, update_manifest, write_atomic
from .pdf import asset_roots, check_stylesheets, make_fetcher, render_pdf
from .problems import Problems
from .render import PAPERS, Renderer, month_year

BROCHURE = "brochure"


@dataclass(frozen=True)
class Job:
    """One PDF to make."""

    slug: str
    kind: str
    title: str
    reviewed_on: str
    path: str  # relative to the output folder

    @property
    def is_brochure(self) -> bool:
        return self.kind == BROCHURE


def plan(library: Library, slugs: list[str], paper: str, problems: Problems) -> list[Job]:
    """The jobs for the named handouts, or for every handout and the brochure when none is named."""
    known = {h.slug: h for h in library.handouts}
    for slug in slugs:
        if slug not in known:
            problems.add("command line", None, f"unknown handout '{slug}' (known: {', '.join(sorted(known))})")
    folder = f"{library.lang}/{paper}"
    jobs = [Job(h.slug, h.kind, h.title, h.review.reviewed_on.isoformat(), f"{folder}/{h.slug}.pdf")
            for h in library.handouts if not slugs or h.slug in slugs]
    if not slugs:
        plan_ = library.brochure
        newest = max((library.handout(s).review.reviewed_on for s in (*plan_.topics, *plan_.drugs)))
        jobs.append(Job(BROCHURE, BROCHURE, plan_.title, newest.isoformat(), f"{folder}/{BROCHURE}.pdf"))
    return jobs


def build(root: Path, slugs: list[str] | None = None, paper: str = "letter", brand_file: Path | None = None,
          out_dir: Path | None = None, html_dir: Path | None = None,
          log: Callable[[str], None] = print) -> list[ManifestEntry]:
    """Build PDFs into `out_dir` (default: the project's out/) and return their manifest entries."""
    library = load_library(root, brand_file)
    out_dir = out_dir or root / "out"
    problems = Problems(root)
    jobs = plan(library, list(slugs or []), paper, problems)
    problems.raise_if_any()

    refused: list[str] = []
    fetcher = make_fetcher(asset_roots(root, library.clinic.brand_file), refused)
    check_stylesheets(root, fetcher, problems)
    problems.raise_if_any()

    renderer = Renderer(library, problems)
    rendered: list[tuple[Job, bytes, int]] = []
    for job in jobs:
        if job.is_brochure:
            html = brochure_html(renderer, PAPERS[paper])
        else:
            html = renderer.handout(job.slug, PAPERS[paper])
        if not html:
            continue  # a template problem was recorded
        if html_dir is not None:
            write_atomic(html_dir / Path(job.path).with_suffix(".html"), html.encode("utf-8"))
        what = str(library.handout(job.slug).path.relative_to(root)) if not job.is_brochure \
            else "the brochure"
        result = render_pdf(html, root, fetcher, refused, what, problems)
        if result:
            rendered.append((job, *result))
    problems.raise_if_any()

    written = []
    for job, data, pages in rendered:
        write_atomic(out_dir / job.path, data)
        log(f"wrote {out_dir / job.path} ({pages} page{'s' if pages != 1 else ''})")
        written.append(entry_for(data, slug=job.slug, kind=job.kind, lang=library.lang, paper=paper,
                                 variant="regular", path=job.path, title=job.title,
                                 reviewed_on=job.reviewed_on, pages=pages))
    update_manifest(out_dir, written)
    log(f"wrote {out_dir / 'manifest.json'}")
    return written


def list_handouts(library: Library) -> list[dict]:
    return [dict(slug=h.slug, kind=h.kind, title=h.title, lang=h.lang,
                 reviewed_on=h.review.reviewed_on.isoformat(), reviewed=month_year(h.review.reviewed_on),
                 reviewed_by=h.review.reviewed_by, draft=h.review.draft)
            for h in library.handouts]
