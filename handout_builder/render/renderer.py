"""Render stage: the model to HTML through templates/ (Jinja2, autoescaped, strict about variables)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import jinja2
from markupsafe import Markup

from ..editions import GRAYSCALE, LARGE_PRINT, Paper, Variant
from ..model import Library, Source
from ..problems import Problems
from . import translation
from .charts import trial_chart
from .fonts import font_faces

CITE_MARK = re.compile(r'<sup class="cite" data-cite="([^"]*)"></sup>')
TERM_MARK = re.compile(r'<span data-term="([^"]*)">(.*?)</span>')
PAGE_PLACEHOLDERS = re.compile(r"(\{page\}|\{pages\})")


class Notes:
    """Numbers citations and marks glossary words for one output, in the order the template shows them.

    Each handout numbers its sources from 1; the brochure numbers them once for the whole booklet.
    """

    def __init__(self, library: Library):
        self.library = library
        self.cited: list[str] = []
        self.terms_used: list[str] = []

    def number(self, source_id: str) -> int:
        if source_id not in self.cited:
            self.cited.append(source_id)
        return self.cited.index(source_id) + 1

    def cite(self, ids) -> Markup:
        """A citation mark for a list of source ids (structured fields such as a status)."""
        numbers = sorted({self.number(i) for i in ids})
        if not numbers:
            return Markup("")
        links = ",".join(f'<a href="#source-{n}">{n}</a>' for n in numbers)
        return Markup(f'<sup class="cite">{links}</sup>')

    def prose(self, html: str) -> Markup:
        """Resolve the markers content/prose.py left in `html`."""
        html = CITE_MARK.sub(lambda m: str(self.cite(m[1].split())), str(html))
        return Markup(TERM_MARK.sub(self._term, html))

    def _term(self, match: re.Match) -> str:
        term = html.unescape(match[1])  # the marker holds the glossary key escaped ("Crohn&#39;s disease")
        if term in self.terms_used:
            return match[2]
        self.terms_used.append(term)
        return f'<dfn class="term">{match[2]}</dfn>'

    @property
    def sources(self) -> list[tuple[int, Source]]:
        return [(n, self.library.sources[i]) for n, i in enumerate(self.cited, start=1)]

    @property
    def words(self) -> list[tuple[str, str]]:
        return sorted(((t, self.library.glossary[t]) for t in self.terms_used), key=lambda x: x[0].lower())


def page_counter_css(label: str) -> Markup:
    """A translated "Page {page} of {pages}" as a CSS content value, for the page footer's margin box."""
    parts = []
    for piece in PAGE_PLACEHOLDERS.split(str(label)):
        if piece in ("{page}", "{pages}"):
            parts.append(f"counter({piece[1:-1]})")
        elif piece:
            escaped = piece.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ")
            parts.append(f'"{escaped}"')
    return Markup(" ".join(parts))


class Renderer:
    """One Jinja2 environment for a project's templates/; renders handouts and the brochure to HTML."""

    def __init__(self, library: Library, problems: Problems):
        self.library = library
        self.root = library.root
        self.problems = problems
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(self.root / "templates"),
            autoescape=True,  # every template, whatever its name: content and patient data are text
            undefined=jinja2.StrictUndefined,
            trim_blocks=True, lstrip_blocks=True,
            extensions=["jinja2.ext.i18n"],
        )
        lang = library.lang
        translations = translation.translations(self.root, lang, problems)
        self.env.install_gettext_translations(translations, newstyle=True)
        self.env.filters["month_year"] = lambda value: translation.month_year(value, lang)
        self.env.filters["long_date"] = lambda value: translation.long_date(value, lang)
        self.env.filters["or_list"] = lambda items: translation.or_list(items, lang)
        self.env.filters["page_counter_css"] = page_counter_css
        self.env.filters["trial_chart"] = lambda drug, large_print=False: trial_chart(drug, translations.gettext,
                                                                                  large_print)

    def render(self, template: str, **context) -> str:
        try:
            return self.env.get_template(template).render(**context)
        except jinja2.TemplateSyntaxError as error:
            self.problems.add(Path(error.filename or self.root / "templates" / template), error.lineno,
                              f"template syntax error: {error.message}", code="template")
        except jinja2.UndefinedError as error:
            path, line = _template_position(error, self.root / "templates" / template)
            self.problems.add(path, line, f"undefined template variable: {error.message}", code="template")
        except jinja2.TemplateNotFound as error:
            self.problems.add(self.root / "templates" / template, None, f"template not found: {error.name}",
                              code="template")
        return ""

    def common(self, paper: Paper, variant: Variant, notes: Notes, full_sources: bool = False,
               content_version: str = "", page_labels: bool = True) -> dict:
        """What every template gets. Each part of the variant adds styles/variants/<part>.css after the
        base styles, then <part>.<paper>.css for what differs by paper (e.g. 3 mm of bleed on A4, 0.125 in
        on letter). `page_labels=False` leaves out "Page X of Y" (the brochure's parts: see brochure.py).
        `colours` are the styles' colour variables (by name, without "--"), which the drawings use too; the
        print-shop edition has them, the brand colours and the logo in the press's CMYK (`press`).
        """
        from .grayscale import grayscale_clinic
        from .press import PressEdition, style_colours

        clinic = self.library.clinic
        if variant.has(GRAYSCALE):
            clinic = grayscale_clinic(clinic)
        styles = self.stylesheet_paths(paper, variant)
        colours, logo_src, press = style_colours(styles), clinic.logo.as_uri(), None
        if variant.press and clinic.press is not None:
            press = PressEdition(clinic.press)
            colours, logo_src = press.variables(colours), press.logo_src(clinic.logo)
            clinic = press.clinic(clinic, grayscale=variant.has(GRAYSCALE))
        return dict(clinic=clinic, library=self.library, paper=paper, variant=variant,
                    notes=notes, lang=self.library.lang, stylesheets=[s.as_uri() for s in styles],
                    font_faces=font_faces(), full_sources=full_sources, content_version=content_version,
                    page_labels=page_labels, large_print=variant.has(LARGE_PRINT), colours=colours,
                    logo_src=logo_src, press=press)

    def stylesheet_paths(self, paper: Paper, variant: Variant) -> list[Path]:
        """The stylesheets of an output, resolved, in cascade order."""
        styles = sorted((self.root / "styles").glob("*.css"), key=_style_order)
        for part in variant.parts:
            for name in (f"{part}.css", f"{part}.{paper.name}.css"):
                variant_css = self.root / "styles" / "variants" / name
                if variant_css.is_file():
                    styles.append(variant_css)
        return [s.resolve() for s in styles]

    def handout(self, slug: str, paper: Paper, variant: Variant = Variant(), content_version: str = "") -> str:
        handout = self.library.handout(slug)
        return self.render("handout.html.j2", handout=handout,
                           **self.common(paper, variant, Notes(self.library), content_version=content_version))

    def plan_sheet(self, slug: str, paper: Paper, variant: Variant, personal, handout_pages: int) -> str:
        """The page in front of a personalised handout: `personal` (a deliver.patient.Personal) is the
        patient's name and plan; `handout_pages` the length of the handout it goes with."""
        return self.render("plan-sheet.html.j2", handout=self.library.handout(slug), personal=personal,
                           handout_pages=handout_pages, **self.common(paper, variant, Notes(self.library)))


def _style_order(path: Path) -> tuple[int, str]:
    """Stylesheets cascade in the design's order: fonts, variables, page rules, components, the rest."""
    order = ("fonts.css", "variables.css", "pages.css", "components.css")
    return (order.index(path.name) if path.name in order else len(order), path.name)


def _template_position(error: Exception, default: Path) -> tuple[Path, int | None]:
    """Find the template file and line of a runtime error in the traceback Jinja2 rewrote."""
    tb = error.__traceback__
    found = (default, None)
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            found = (Path(filename), tb.tb_lineno)
        tb = tb.tb_next
    return found
