"""Deliver stage: one patient's name and plan on a handout, rendered and optionally encrypted in
memory. The patient's data goes into the PDF's page content and nowhere else: not the file name, the
metadata, a log line, an error message or a file on disk.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..build.fingerprint import Inputs, content_version
from ..build.plan import Settings
from ..content.library import load_library
from ..content.project import languages
from ..editions import PAPERS, Edition
from ..pdf.engine import SharedAssets, asset_roots, check_stylesheets, lay_out, make_fetcher, write
from ..pdf.join import sheet_in_front, version_and_pages
from ..problems import BuildFailed, Problem, Problems
from ..render.renderer import Renderer
from .patient import Personal, Request, check_request

# Standard handouts a process keeps written, ready for the plan sheets in front of them: a PDF of some
# 50 to 100 KB each, so every edition a clinic gives (9 handouts, 2 languages, 2 sizes, 2 papers) fits.
LAYOUTS_KEPT = 100


@dataclass(frozen=True)
class Standard:
    """A standard handout edition written once, without patient data: what goes behind each plan sheet."""

    pdf: bytes
    pages: int


class Personalizer:
    """Loads a project once, then renders personalised handouts from it (one per batch worker).

    A personalised handout is a plan sheet (the patient's name and plan, one page) in front of the
    clinic's standard handout. The handout is written once per process and edition, or taken from the
    shared build when that is current (the content a Personalizer loaded does not change: the app loads
    a new one after an edit). Each copy lays out and writes only its sheet, and pikepdf puts the sheet
    in front of the handout's PDF (pdf/join.py, sheet_in_front) and encrypts it in the same pass:
    writing the handout's pages again for every copy took two thirds of its time.
    """

    def __init__(self, root: Path, brand_file: Path | None = None, layouts_kept: int = LAYOUTS_KEPT,
                 built: Path | None = None):
        self.root = root
        # The shared build's output folder (`make-handouts build`, the app's --out): a PDF there of the very
        # content version a copy needs is the standard handout already written.
        self.built = root / "out" if built is None else built
        self.layouts_kept = layouts_kept
        self.brand_file = brand_file
        self.langs = tuple(languages(root)) or ("en",)
        self._renderers: dict[str, Renderer] = {}
        library = self.library  # the first language: checks the content and the brand file now
        self.refused: list[str] = []
        self.fetcher = make_fetcher(asset_roots(root, library.clinic.brand_file), self.refused)
        # Patient fields are text, never a URL WeasyPrint fetches: only project assets are shared.
        problems = Problems(root)
        self.assets = SharedAssets(self.fetcher, check_stylesheets(root, self.fetcher, problems))
        problems.raise_if_any()
        # Standard handouts written without patient data, by Request.layout_key, least recently used first.
        self._standards: OrderedDict[tuple, Standard] = OrderedDict()

    def renderer(self, lang: str) -> Renderer:
        """The renderer of one language, its content loaded and checked on first use."""
        if lang not in self._renderers:
            self._renderers[lang] = Renderer(load_library(self.root, self.brand_file, lang), Problems(self.root))
        return self._renderers[lang]

    @property
    def library(self):
        """The library of the project's first language (English): the clinic, the brand file."""
        return self.renderer(self.langs[0]).library

    def slugs(self, lang: str) -> set[str]:
        return {h.slug for h in self.renderer(lang).library.handouts}

    def close(self) -> None:
        """Remove the folder WeasyPrint copies the @font-face fonts to. It does so itself only when its
        FontConfiguration is garbage collected, which a forked batch worker never is (it ends with
        os._exit). Renders no more afterwards; the library stays usable."""
        self._standards.clear()
        self.assets.close()

    def render(self, request: Request) -> tuple[bytes, int]:
        """The PDF bytes and page count; BuildFailed if a template or WeasyPrint problem came up."""
        problems = Problems(self.root)
        renderer = self.renderer(request.lang)
        renderer.problems = problems  # this request's problems, not an earlier one's
        handout = renderer.library.handout(request.slug)
        what = problems.display(handout.path)
        sheet_pdf = None
        standard = self._standard(request, renderer, what, problems)
        if standard is not None:
            html = renderer.plan_sheet(request.slug, PAPERS[request.paper], request.variant, request.personal,
                                       standard.pages)
            sheet = self._lay_out(html, what, problems) if html else None
            if sheet is not None and len(sheet.pages) > 1:
                problems.add(what, None, f"the plan sheet takes {len(sheet.pages)} pages; a plan must fit on "
                             "one: shorten the plan (fewer lines)", code="plan-too-long")
            if not problems:
                sheet_pdf = write(sheet, self.refused, what, problems)
        if problems:
            raise BuildFailed(_without_patient_data(problems.items, request.personal))
        return sheet_in_front(sheet_pdf, standard.pdf, request.password), standard.pages + 1

    def prepare(self, slug: str, edition: Edition) -> None:
        """Lay out and write one handout edition now, without patient data, so that each copy of it costs
        only its plan sheet (the app does this before forking its workers, which inherit them).
        BuildFailed on a problem."""
        problems = Problems(self.root)
        renderer = self.renderer(edition.lang)
        renderer.problems = problems
        blank = Request(slug, edition.lang, edition.paper, Personal("", "", "", None, date.today()), None,
                        edition.variant)
        self._standard(blank, renderer, problems.display(renderer.library.handout(slug).path), problems)
        problems.raise_if_any()

    @property
    def prepared(self) -> int:
        """How many handout editions are written, ready for plan sheets."""
        return len(self._standards)

    def render_rows(self, requests: list[Request]) -> list[tuple[bytes | None, list[Problem]]]:
        """Each request's PDF, or None and its problems: a bad row does not stop the others."""
        rendered = []
        for request in requests:
            try:
                rendered.append((self.render(request)[0], []))
            except BuildFailed as failure:
                rendered.append((None, failure.problems))
        return rendered

    def _standard(self, request: Request, renderer: Renderer, what: str, problems: Problems) -> Standard | None:
        """The handout of the request's edition, written without patient data; None on a problem."""
        key = request.layout_key
        if key in self._standards:
            self._standards.move_to_end(key)
            return self._standards[key]
        version = self._content_version(request, renderer)
        standard = self._built(request, version)
        if standard is not None:
            return self._keep(key, standard)
        html = renderer.handout(request.slug, PAPERS[request.paper], request.variant, content_version=version)
        if not html:
            return None
        layout = self._lay_out(html, what, problems)
        if problems:
            return None
        data = write(layout, self.refused, what, problems, content_version=version)
        if problems:
            return None
        return self._keep(key, Standard(data, len(layout.pages)))

    def _keep(self, key: tuple, standard: Standard) -> Standard:
        self._standards[key] = standard
        while len(self._standards) > self.layouts_kept:
            self._standards.popitem(last=False)
        return standard

    def _built(self, request: Request, version: str) -> Standard | None:
        """The shared build's PDF of this edition if the build wrote it (the manifest holds its digest: no
        other file put there, such as a personalised copy, is taken) and made it from exactly this content
        (its /ContentVersion fingerprints the sources, templates, styles and code); else None."""
        import hashlib

        from ..build.output import read_manifest

        path = request.edition.path(request.slug)
        entry = next((e for e in read_manifest(self.built) if e.path == path), None)
        try:
            data = (self.built / path).read_bytes() if entry else b""
        except OSError:
            return None
        if not data or hashlib.sha256(data).hexdigest() != entry.sha256:
            return None
        found = version_and_pages(data)
        return Standard(data, found[1]) if found and found[0] == version else None

    def _content_version(self, request: Request, renderer: Renderer) -> str:
        """The version the shared build prints on this handout: the pages behind the plan sheet trace
        to the same sources as the front desk's copy."""
        inputs = Inputs(self.root, self.brand_file, request.lang)
        kind = renderer.library.handout(request.slug).kind
        return content_version(inputs.fingerprint(request.slug, kind, *Settings().options(kind, request.edition)))

    def _lay_out(self, html: str, what: str, problems: Problems):
        html, reuse = self.assets.reuse(html)
        return lay_out(html, self.root, self.fetcher, self.refused, what, problems, reuse=reuse)


NO_GLYPH = re.compile(r'\.notdef glyph rendered for Unicode string unsupported by fonts: ".*" \((U\+[0-9A-F]+)\)')


def _without_patient_data(problems: list[Problem], personal: Personal) -> list[Problem]:
    """WeasyPrint's messages quote the text they choke on: say which field and character instead."""
    fields = {"patient": personal.patient, "prescriber": personal.prescriber, "plan": personal.plan}
    cleaned = []
    for problem in problems:
        message = problem.message
        match = NO_GLYPH.search(message)
        if match:
            char = chr(int(match[1][2:], 16))
            field = next((name for name, value in fields.items() if char in value), "a field")
            message = (f"{field} contains {match[1]}, which no installed font can print (it would show "
                       "as an empty box); write it another way")
        for value in fields.values():
            if value:
                message = message.replace(value, "[patient data]")
        cleaned.append(Problem(problem.path, problem.line, message, problem.code, problem.severity,
                               problem.in_file))
    return cleaned


# How the command line names each patient field.
OPTIONS = {"slug": "SLUG", "patient": "--patient", "prescriber": "--prescriber", "plan": "--plan",
           "next_visit": "--next-visit", "lang": "--lang", "paper": "--paper", "large_print": "--large-print",
           "password": "--password"}


@dataclass(frozen=True)
class Written:
    """A personalised copy written to disk: what `personalize` tells the user."""

    path: Path
    pages: int
    encrypted: bool

    def describe(self) -> str:
        return f"wrote {self.path} ({self.pages} page{'s' if self.pages != 1 else ''}); " + (
            "encrypted with AES-256" if self.encrypted else
            "not encrypted: no password given (use --password before emailing it)")


def personalize(root: Path, values: dict[str, str | None], output: Path, brand_file: Path | None = None
                ) -> Written:
    """One personalised handout from command-line values, written to `output` (atomically); BuildFailed
    names the bad options."""
    from ..build.output import COPY, output_folder_problem, write_atomic

    personalizer = Personalizer(root, brand_file)
    problems = Problems(root)
    request = check_request(values, personalizer.slugs, personalizer.langs, date.today(),
                            lambda field, message: problems.about(OPTIONS.get(field, field), message,
                                                                   code="patient-field"))
    if request and len(request.personal.patient) > 1 and request.personal.patient.casefold() in str(output).casefold():
        problems.about("--output", "the output file name contains the patient's name: name the file by "
                        "handout (e.g. the slug), so the name stays inside the PDF", code="patient-field")
    elif request and (refused := output_folder_problem(root, output, COPY)):  # quotes the path: checked above
        problems.items.append(refused)
    problems.raise_if_any()
    try:
        data, pages = personalizer.render(request)
    finally:
        personalizer.close()
    write_atomic(output, data)
    return Written(output, pages, bool(request.password))
