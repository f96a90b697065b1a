"""Build stage: the brochure's assembly: its parts (render/brochure.py) taken from the part cache or laid
out on the pool, then its contents page and page labels, then the join into one PDF (pdf/join.py); the
print-shop edition in the press's CMYK is finished (pdf/press.py) and preflighted (pdf/preflight.py): an
error there writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future

import pikepdf

from ..editions import BOOKLET, PRINT_SHOP
from ..pdf.imposition import booklet_note, impose_booklet
from ..pdf.join import anchor_pages, dangling_links, join, open_pdf
from ..pdf.marks import add_crop_marks
from ..problems import Elsewhere, Problem, Problems
from ..render.brochure import BACK, BACK_COVER, CONTENTS, fillers_for, page_numbers, split_parts
from .part_cache import PartCache
from .session import BROCHURE_PLACE, Rendered, Session, Work

LABELS = "page labels"  # the brochure's page-label document, cached like a part


class BrochureRun:
    """One brochure, made from parts: those the cache lacks are laid out on the pool (`submit`); then,
    in this process, the contents page, which prints the other parts' page numbers, the page labels and
    the join.

    Every part is laid out without "Page X of Y" and whatever page it starts on, so an edited chapter
    that grows by a page costs that chapter, the contents page and the labels, not the parts after it.
    A printed edition is padded to a multiple of four pages with designed pages (in the back part, with
    the back cover) once the other parts' page counts are known.
    """

    def __init__(self, session: Session, work: Work, cache: PartCache, submit: Callable[[str, bool], Future],
                 started: dict[str, Future]):
        self.session, self.work, self.cache, self.submit = session, work, cache, submit
        self.started = started  # cache key -> future, shared by the brochures of a build (print-shop, booklet)
        self.job = work.job
        self.printed = self.job.edition.variant.printed
        self.press = self.job.edition.variant.press  # PDF/X-4 in the press's CMYK, preflighted
        self.problems: list[Problem] = []
        self.keys: dict[str, str] = {}  # part name -> cache key
        self.html: dict[str, str] = {}
        self.rendered: dict[str, bytes] = {}  # cache key -> PDF laid out in this build
        self.pdfs: dict[str, object] = {}  # part name -> its PDF (pikepdf)
        self.parts = split_parts(self._brochure_html())
        # The contents page waits for the page numbers; a printed edition's back part for the page count.
        self.later = [CONTENTS] + ([BACK] if self.printed else [])
        first = sorted((p for p in self.parts if p.name not in self.later), key=lambda p: -len(p.html))
        self.pending = {part.name: self._start(part.name, part.html) for part in first}

    def _brochure_html(self, fillers=(), page_numbers=None, page_labels=False) -> str:
        self.session.problems.items = []
        html = self.session.brochure_html(self.work, fillers, page_numbers, page_labels)
        self.problems += self.session.problems.items
        return html

    def _start(self, name: str, html: str, here: bool = False) -> Future | bytes:
        """The part's PDF from the cache, or a future for it: from the pool, or laid out in this
        process (`here`: the few last parts, which would otherwise queue behind the handouts)."""
        self.html[name] = html
        key = self.keys[name] = self.cache.key(html)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        if key not in self.started:
            if here:
                self.started[key] = Future()
                self.started[key].set_result(self.session.render_part(html, self.press))
            else:
                self.started[key] = self.submit(html, self.press)
        return self.started[key]

    def _collect(self, pending: dict[str, Future | bytes]) -> None:
        for name, item in pending.items():
            pdf, problems = item.result() if isinstance(item, Future) else (item, [])
            if isinstance(item, Future) and pdf is not None:
                self.rendered[self.keys[name]] = pdf
            try:
                self.pdfs[name] = open_pdf(pdf) if pdf is not None else None
            except pikepdf.PdfError:  # a damaged cache entry: lay the part out again, here
                self.cache.forget(self.keys[name])
                pdf, problems = self.session.render_part(self.html[name], self.press)
                self.rendered[self.keys[name]] = pdf
                self.pdfs[name] = open_pdf(pdf) if pdf is not None else None
            self.problems += problems

    def finish(self) -> Rendered:
        self._collect(self.pending)
        if self.problems or not self.parts:
            return Rendered(self.job, None, 0, self.problems, [])
        lengths = {name: len(pdf.pages) for name, pdf in self.pdfs.items()}
        anchors = {name: anchor_pages(pdf) for name, pdf in self.pdfs.items()}
        lengths.update({CONTENTS: 1, BACK: lengths.get(BACK, 1)})  # guesses, checked below
        for _ in range(3):
            fillers = ()
            if self.printed:
                fillers = fillers_for(sum(lengths[p.name] for p in self.parts if p.name != BACK) + 1)
                lengths[BACK] = 1 + len(fillers)
            numbers = page_numbers(self.parts, lengths, anchors)
            final = {part.name: part for part in split_parts(self._brochure_html(fillers, numbers))}
            total = sum(lengths[part.name] for part in self.parts)
            names = [name for part in self.parts for name in part.page_names(lengths[part.name])]
            pending = {name: self._start(name, final[name].html, here=True) for name in self.later}
            pending[LABELS] = self._start(LABELS, self.session.labels_html(self.job, names), here=True)
            self._collect(pending)
            if self.problems:
                return Rendered(self.job, None, 0, self.problems, [])
            actual = {name: len(self.pdfs[name].pages) for name in self.later}
            if actual == {name: lengths[name] for name in self.later}:
                break
            lengths.update(actual)
        else:
            raise RuntimeError(f"the brochure's page count did not settle: pages per part {lengths}")
        self.parts = [final[part.name] if part.name in self.later else part for part in self.parts]
        if self.session.html_dir is not None:  # the whole brochure as one document, as asked for
            self.session.keep_html(self.job, self._brochure_html(fillers, numbers, page_labels=True))
        if len(self.pdfs[LABELS].pages) != total:
            raise RuntimeError(f"the page labels take {len(self.pdfs[LABELS].pages)} pages for a brochure of {total}")
        labelled = [name != BACK_COVER for name in names]
        joined = [(part.anchors, self.pdfs[part.name]) for part in self.parts]
        # What WeasyPrint reports for a link to a missing anchor in one document, across the parts.
        self.problems += [Problem(BROCHURE_PLACE, None, f"WeasyPrint: No anchor #{name} for internal URI reference",
                                  "weasyprint", in_file=False) for name in dangling_links(joined)]
        if self.problems:
            return Rendered(self.job, None, 0, self.problems, [])
        data = join(joined, self.pdfs[LABELS], labelled, self.work.version)
        if self.job.edition.variant.has(PRINT_SHOP):
            data = add_crop_marks(data)  # in a slug beyond the bleed (a booklet is cut to its trim instead)
        if self.press:
            data = self._press_ready(data)
            if data is None:
                return Rendered(self.job, None, 0, self.problems, [])
        used = sorted(self.keys.values())
        laid_out = len([key for key in used if key in self.rendered])
        kept = "; the others were kept from an earlier build" if laid_out < len(used) else ""
        notes = [f"{self.job.path}: {laid_out} of {len(used)} parts laid out{kept}"]
        if self.job.edition.variant.has(BOOKLET):
            data, total = impose_booklet(data, self.session.settings.creep)
            notes.append(booklet_note(self.job.edition.paper))
        return Rendered(self.job, data, total, self.problems, notes,
                        {key: pdf for key, pdf in self.rendered.items() if key in used}, used)

    def _press_ready(self, data: bytes) -> bytes | None:
        """The joined print-shop brochure, finished for the press and preflighted as the print shop will;
        None when the preflight finds an error (its problems, and any warnings, are the build's)."""
        from ..pdf.preflight import preflight
        from ..pdf.press import make_press_ready

        press = self.session.renderers[self.job.edition.lang].library.clinic.press
        data = make_press_ready(data, press.profile, self.work.version)
        found = Problems()
        preflight(data, Elsewhere(self.job.path), found)
        self.problems += found.items
        return None if found else data
