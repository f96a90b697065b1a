"""Personalisation stage: one patient's name and plan on a handout, rendered and optionally encrypted in
memory. The patient's data goes into the PDF's page content and nowhere else: not the file name, the
metadata, a log line, an error message or a file on disk.
"""

from __future__ import annotations

import io
import re
import secrets
import unicodedata
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .build import REGULAR, Edition, Settings
from .content import load_library
from .fingerprint import Inputs, content_version
from .pdf import SharedAssets, asset_roots, check_stylesheets, lay_out, make_fetcher, write
from .project import languages
from .problems import BuildFailed, Problem, Problems
from .render import PAPERS, Renderer

# Longer than this, a name or prescriber no longer fits on the "Prepared for" line.
MAX_NAME = 100
# About a third of a page in the plan box; a longer plan belongs in a letter, not on a handout.
MAX_PLAN = 1200
MAX_PASSWORD = 127  # AES-256 in PDF 2.0 uses at most 127 bytes of the password
# Control, surrogate, private-use and unassigned characters, and line/paragraph separators: none of them
# prints as text, and some (bidi controls aside) can hide or reorder what the patient reads.
REFUSED_CATEGORIES = ("Cc", "Cs", "Co", "Cn", "Zl", "Zp")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
YES, NO = ("yes", "y", "true", "1"), ("no", "n", "false", "0", "")
LARGE_PRINT = "large-print"  # the build's variant of that name (styles/variants/large-print.css)
# Laid-out handouts a process keeps for the plan sheets in front of them (a batch groups its rows by
# handout edition; a few are enough).
LAYOUTS_KEPT = 6


@dataclass(frozen=True)
class Personal:
    """What is printed for one patient. Plain text: the template escapes it and keeps the plan's lines."""

    patient: str
    prescriber: str
    plan: str
    next_visit: date | None
    prepared_on: date  # today: the only place the clock is read


@dataclass(frozen=True)
class Request:
    """One personalised PDF to make."""

    slug: str
    lang: str
    paper: str
    personal: Personal
    password: str | None = None
    variant: str = REGULAR  # or LARGE_PRINT

    @property
    def edition(self) -> tuple[str, str, str, str]:
        """What the handout behind the plan sheet depends on: one layout serves every such request."""
        return self.slug, self.lang, self.paper, self.variant


def check_request(values: dict[str, str | None], slugs_in: Callable[[str], set[str]], langs: tuple[str, ...],
                  today: date, report) -> Request | None:
    """Check one patient's fields; call `report(message)` for each problem and return None if any.
    `slugs_in(lang)` gives the handouts written in a language.

    Messages name the field, never its value: a message can end up in a log or a terminal scroll-back.
    """
    problems_seen: list[str] = []

    def problem(message: str) -> None:
        problems_seen.append(message)
        report(message)

    lang = (values.get("lang") or "").strip() or langs[0]
    if lang not in langs:
        problem(f"unknown language '{_shown(lang)}' (available: {', '.join(langs)})")
    slug = (values.get("slug") or "").strip()
    if not slug:
        problem("slug is empty: name a topic or drug handout")
    elif lang in langs and slug not in (known := slugs_in(lang)):
        problem(f"unknown handout '{_shown(slug)}' in '{lang}' (known: {', '.join(sorted(known))})")
    paper = (values.get("paper") or "").strip() or "letter"
    if paper not in PAPERS:
        problem(f"unknown paper '{_shown(paper)}' (known: {', '.join(PAPERS)})")
    large_print = (values.get("large_print") or "").strip().casefold()
    if large_print not in YES + NO:
        problem(f"large_print is '{_shown(large_print)}': write yes or no (or leave it empty)")

    patient = _one_line(values.get("patient"), "patient", problem)
    if patient == "":
        problem("patient name is empty")
    prescriber = _one_line(values.get("prescriber"), "prescriber", problem)
    plan = (values.get("plan") or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    _check_characters(plan.replace("\n", ""), "plan", problem)
    if len(plan) > MAX_PLAN:
        problem(f"plan is {len(plan)} characters; at most {MAX_PLAN} fit in the plan box")

    next_visit = None
    text = (values.get("next_visit") or "").strip()
    if text:
        try:
            if not ISO_DATE.match(text):
                raise ValueError
            next_visit = date.fromisoformat(text)
        except ValueError:
            problem("next_visit is not a date written YYYY-MM-DD, e.g. 2025-06-30")
        else:
            if next_visit < today:
                problem("next_visit is in the past")

    password = values.get("password") or None
    if password is not None:
        _check_characters(password, "password", problem)
        if len(password.encode("utf-8")) > MAX_PASSWORD:
            problem(f"password is longer than {MAX_PASSWORD} bytes")

    if problems_seen:
        return None
    return Request(slug, lang, paper, Personal(patient or "", prescriber or "", plan, next_visit, today), password,
                   LARGE_PRINT if large_print in YES else REGULAR)


def _shown(value: str) -> str:
    """A user value quoted in a message: short and printable, so a stray field cannot flood a log."""
    value = "".join(c if c.isprintable() else "?" for c in value)
    return value if len(value) <= 40 else value[:40] + "..."


def _one_line(value: str | None, field: str, problem) -> str | None:
    """A name field: spaces collapsed (HTML collapses them anyway), no line breaks, short enough to fit."""
    value = value or ""
    if "\n" in value or "\r" in value:
        problem(f"{field} has a line break: write it on one line")
        return None
    if not _check_characters(value, field, problem):
        return None
    value = " ".join(value.split())
    if len(value) > MAX_NAME:
        problem(f"{field} is {len(value)} characters; at most {MAX_NAME} fit on the handout")
        return None
    return value


def _check_characters(value: str, field: str, problem) -> bool:
    for char in value:
        if unicodedata.category(char) in REFUSED_CATEGORIES and char != " ":
            problem(f"{field} contains the non-printing character U+{ord(char):04X}; remove it")
            return False
    # Format characters (soft hyphen, zero-width joiner) are invisible: a name of only those prints blank.
    if value.strip() and not any(unicodedata.category(c)[0] in "LNPS" for c in value):
        problem(f"{field} has no visible character")
        return False
    return True


class Personalizer:
    """Loads a project once, then renders personalised handouts from it (one per batch worker).

    A personalised handout is a plan sheet (the patient's name and plan, one page) in front of the
    clinic's standard handout. The handout is laid out once per process and edition, and its pages are
    written again behind each patient's sheet: laying out a 4-page handout costs about four times what
    writing it does, and the sheet is a single short page.
    """

    def __init__(self, root: Path, brand_file: Path | None = None):
        self.root = root
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
        # Handouts laid out without patient data, by Request.edition, least recently used first.
        self._layouts: OrderedDict[tuple, object] = OrderedDict()

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
        self._layouts.clear()
        self.assets.close()

    def render(self, request: Request) -> tuple[bytes, int]:
        """The PDF bytes and page count; BuildFailed if a template or WeasyPrint problem came up."""
        problems = Problems(self.root)
        renderer = self.renderer(request.lang)
        renderer.problems = problems  # this request's problems, not an earlier one's
        handout = renderer.library.handout(request.slug)
        what = problems.display(handout.path)
        data = pages = None
        handout_layout = self._handout_layout(request, renderer, what, problems)
        if handout_layout is not None:
            html = renderer.plan_sheet(request.slug, PAPERS[request.paper], request.variant, request.personal,
                                       len(handout_layout.pages))
            sheet = self._lay_out(html, what, problems) if html else None
            if sheet is not None and len(sheet.pages) > 1:
                problems.add(what, None, f"the plan sheet takes {len(sheet.pages)} pages; a plan must fit on "
                             "one: shorten the plan (fewer lines)")
            if not problems:
                combined = handout_layout.copy([sheet.pages[0], *handout_layout.pages])
                data = write(combined, self.refused, what, problems)
                pages = len(combined.pages)
        if problems:
            raise BuildFailed(_without_patient_data(problems.items, request.personal))
        if request.password:
            data = encrypt(data, request.password)
        return data, pages

    def _handout_layout(self, request: Request, renderer: Renderer, what: str, problems: Problems):
        """The handout laid out for the request's edition, without patient data; None on a problem."""
        key = request.edition
        if key in self._layouts:
            self._layouts.move_to_end(key)
            return self._layouts[key]
        html = renderer.handout(request.slug, PAPERS[request.paper], request.variant,
                                content_version=self._content_version(request, renderer))
        if not html:
            return None
        layout = self._lay_out(html, what, problems)
        if problems:
            return None
        self._layouts[key] = layout
        while len(self._layouts) > LAYOUTS_KEPT:
            self._layouts.popitem(last=False)
        return layout

    def _content_version(self, request: Request, renderer: Renderer) -> str:
        """The version the shared build prints on this handout: the pages behind the plan sheet trace
        to the same sources as the front desk's copy."""
        inputs = Inputs(self.root, self.brand_file, request.lang)
        kind = renderer.library.handout(request.slug).kind
        edition = Edition(request.lang, request.paper, request.variant)
        return content_version(inputs.fingerprint(request.slug, kind, *Settings().options(kind, edition)))

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
        cleaned.append(Problem(problem.path, problem.line, message))
    return cleaned


def encrypt(data: bytes, password: str) -> bytes:
    """AES-256, with printing at full quality and text extraction (screen readers) still allowed."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.constants import UserAccessPermissions as Allow

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    allowed = (Allow.PRINT | Allow.PRINT_TO_REPRESENTATION | Allow.EXTRACT
               | Allow.EXTRACT_TEXT_AND_GRAPHICS)
    # The owner password is random and thrown away: nobody can lift the restrictions afterwards.
    writer.encrypt(user_password=password, owner_password=secrets.token_urlsafe(32),
                   algorithm="AES-256", permissions_flag=allowed)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def personalize(root: Path, values: dict[str, str | None], brand_file: Path | None = None
                ) -> tuple[bytes, int, Request]:
    """One personalised handout from command-line values; BuildFailed names the bad options."""
    personalizer = Personalizer(root, brand_file)
    problems = Problems(root)
    request = check_request(values, personalizer.slugs, personalizer.langs, date.today(),
                            lambda message: problems.add("command line", None, message))
    output = (values.get("output") or "").casefold()
    if request and len(request.personal.patient) > 1 and request.personal.patient.casefold() in output:
        problems.add("command line", None, "the output file name contains the patient's name: name the "
                     "file by handout (e.g. the slug), so the name stays inside the PDF")
    problems.raise_if_any()
    try:
        data, pages = personalizer.render(request)
    finally:
        personalizer.close()
    return data, pages, request

