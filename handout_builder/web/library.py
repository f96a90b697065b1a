"""Web stage: the front desk: find a handout as you type (titles, drug and brand names, in every language),
filter by language, paper and print size, preview it, print it double-sided, collect several in a basket
and print them as one job; favourites per user.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from flask import Blueprint, abort, flash, g, redirect, render_template, request, send_file, session, url_for

from ..build.catalog import write_thumbnail
from ..build.output import ManifestEntry
from ..deliver.printing import print_pdfs
from ..editions import DRUG, LANGUAGE_NAMES, LANGUAGES, LARGE_PRINT, PAPERS, SOURCE_LANGUAGE, Edition, Variant
from ..problems import BuildFailed
from . import db
from .access import allow
from .accounts import LIBRARY
from .state import setting
from .forms import Edition as EditionForm
from .forms import Copies, Plain
from .i18n import _, ngettext
from .records import record_given

blueprint = Blueprint("library", __name__, url_prefix="/handouts")
VARIANTS = {"regular": Variant(), LARGE_PRINT: Variant.of(LARGE_PRINT)}  # what the front desk prints
BASKET_MAX = 20


@dataclass(frozen=True)
class Shelved:
    """One handout as the search sees it: its titles and names in every language."""

    slug: str
    kind: str
    titles: dict  # lang -> title
    summaries: dict  # lang -> plain-text summary
    words: str  # everything searchable, folded (no case, no accents)
    reviewed: dict  # lang -> date


def fold(text: str) -> str:
    """Lower case without accents: "Opzelura", "opzelura" and "OPZELURA" match, as do "vitíligo" and "vitiligo"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_shelves: dict[str, list[Shelved]] = {}  # by content stamp: the latest content's, and the one before


def shelf_for(libraries: tuple) -> list[Shelved]:
    from ..checks.counting import visible_blocks

    found: dict[str, dict] = {}
    for library in libraries:
        for handout in library.handouts:
            item = found.setdefault(handout.slug, dict(kind=handout.kind, titles={}, summaries={}, words=[],
                                                       reviewed={}))
            item["titles"][library.lang] = handout.title
            item["summaries"][library.lang] = " ".join(visible_blocks(str(handout.summary)))
            item["reviewed"][library.lang] = handout.review.reviewed_on
            item["words"] += [handout.title, handout.slug.replace("-", " ")]
            if handout.kind == DRUG:
                item["words"] += [handout.generic, handout.brand, handout.drug_class, *handout.targets]
    english = {slug: item["titles"].get(SOURCE_LANGUAGE, next(iter(item["titles"].values())))
               for slug, item in found.items()}
    return [Shelved(slug, item["kind"], item["titles"], item["summaries"], fold(" ".join(item["words"])),
                    item["reviewed"])
            for slug, item in sorted(found.items(), key=lambda pair: (pair[1]["kind"] == DRUG, english[pair[0]].lower()))]


def shelf() -> tuple[list[Shelved], BuildFailed | None]:
    """Every handout (from the content as it is now), or the content's problems."""
    generation = setting("workshop").current()
    if generation.failure is not None:
        return [], generation.failure
    if generation.stamp not in _shelves:
        personalizer = generation.personalizer
        while len(_shelves) > 1:
            _shelves.pop(next(iter(_shelves)))
        _shelves[generation.stamp] = shelf_for(tuple(personalizer.renderer(lang).library
                                                     for lang in personalizer.langs))
    return _shelves[generation.stamp], None


def search(items: list[Shelved], query: str) -> list[Shelved]:
    """Handouts whose words contain every word of the query (as typed so far: "rinv" finds Rinvoq)."""
    terms = fold(query).split()
    return [item for item in items if all(term in item.words for term in terms)]


def chosen_edition(values) -> Edition:
    lang = values.get("lang") if values.get("lang") in LANGUAGES else g.lang
    paper = values.get("paper") if values.get("paper") in PAPERS else setting("settings").paper
    large = values.get("large_print") in ("y", "yes", "on", "1", "true")
    return Edition(lang, paper, VARIANTS[LARGE_PRINT] if large else Variant())


def _favourites() -> set[str]:
    return {row["slug"] for row in g.db.execute("SELECT slug FROM favourites WHERE user_id = ?", (g.user.id,))}


def _results(query: str, edition: Edition, only_favourites: bool) -> dict:
    items, failure = shelf()
    favourites = _favourites()
    found = [item for item in search(items, query) if edition.lang in item.titles]
    if only_favourites:
        found = [item for item in found if item.slug in favourites]
    found.sort(key=lambda item: item.slug not in favourites)  # favourites first, else in shelf order
    return dict(found=found, total=len(items), favourites=favourites, failure=failure, edition=edition,
                query=query, only_favourites=only_favourites, variant_name=edition.variant.name,
                count_text=ngettext("%(num)d handout", "%(num)d handouts", len(found)))


@blueprint.route("/", methods=["GET"])
@allow(LIBRARY)
def index():
    edition = chosen_edition(request.args)
    context = _results(request.args.get("q", "")[:100], edition, request.args.get("favourites") == "1")
    return render_template("app/library.html", form=EditionForm(), plain=Plain(), papers=PAPERS,
                           language_names=LANGUAGE_NAMES, basket=len(session.get("basket", [])), **context)


@blueprint.route("/results", methods=["GET"])
@allow(LIBRARY)
def results():
    """The result list alone, for search as you type (static/search.js swaps it in)."""
    edition = chosen_edition(request.args)
    context = _results(request.args.get("q", "")[:100], edition, request.args.get("favourites") == "1")
    return render_template("app/_results.html", form=EditionForm(), **context)


def _edition_from_path(lang: str, paper: str, variant: str) -> Edition:
    if lang not in LANGUAGES or paper not in PAPERS or variant not in VARIANTS:
        abort(404)
    return Edition(lang, paper, VARIANTS[variant])


def _entry(slug: str, edition: Edition) -> ManifestEntry:
    items, failure = shelf()
    if not any(item.slug == slug and edition.lang in item.titles for item in items):
        abort(404)
    entries = setting("workshop").built([slug], edition)
    return entries[0]


@blueprint.route("/pdf/<lang>/<paper>/<variant>/<slug>.pdf", methods=["GET"])
@allow(LIBRARY)
def pdf(lang: str, paper: str, variant: str, slug: str):
    """The built handout, to read in the browser's PDF viewer (the preview)."""
    entry = _entry(slug, _edition_from_path(lang, paper, variant))
    return send_file(setting("settings").out_dir / entry.path, mimetype="application/pdf",
                     download_name=f"{slug}.pdf", conditional=False)


@blueprint.route("/thumb/<lang>/<paper>/<variant>/<slug>.png", methods=["GET"])
@allow(LIBRARY)
def thumbnail(lang: str, paper: str, variant: str, slug: str):
    entry = _entry(slug, _edition_from_path(lang, paper, variant))
    out_dir = setting("settings").out_dir
    relative = setting("workshop").run(write_thumbnail, out_dir, entry).result()
    response = send_file(out_dir / relative, mimetype="image/png", max_age=3600)
    response.cacheable = True  # a picture of the standard handout: no patient's or user's data
    return response


def job_title(what: str) -> str:
    """How a job from the app is named in the printer's queue: a handout's slug, never a patient."""
    return f"app-{what}"


def _printed_message(job_id: str, copies: int, titles: list[str]) -> str:
    return ngettext("Sent to the printer: job %(job)s, %(num)d copy of %(what)s, double-sided.",
                    "Sent to the printer: job %(job)s, %(num)d copies of %(what)s, double-sided.",
                    copies, job=job_id, what=", ".join(titles))


@blueprint.route("/print", methods=["POST"])
@allow(LIBRARY)
def print_one():
    form = EditionForm()
    if not form.validate_on_submit():
        flash(_("Choose between 1 and 50 copies."), "error")
        return redirect(url_for(".index"))
    edition = chosen_edition(request.form)
    entry = _entry(form.slug.data, edition)
    copies = form.copies.data or 1
    settings = setting("settings")
    try:
        with db.writing(g.db):  # recorded only if it was sent; a locked file stops it before printing
            job = print_pdfs([settings.out_dir / entry.path], job_title(entry.slug), copies, settings.printer)
            record_given(g.db, g.user.name, entry.slug, edition, "printed", personalised=False, copies=copies)
            db.audit(g.db, g.user.name, "printed", f"{edition.path(entry.slug)} x{copies}, job {job.job_id}")
    except BuildFailed as failure:
        flash(_("Nothing was printed: %(why)s", why=failure.problems[0].message), "error")
        return redirect(url_for(".index", **_keep(edition)))
    flash(_printed_message(job.job_id, copies, [entry.title]), "done")
    return redirect(url_for(".index", **_keep(edition)))


def _keep(edition: Edition) -> dict:
    """The filters, for the page after an action."""
    keep = {"lang": edition.lang, "paper": edition.paper}
    if edition.variant.has(LARGE_PRINT):
        keep["large_print"] = "1"
    return keep


@blueprint.route("/favourite", methods=["POST"])
@allow(LIBRARY)
def favourite():
    form = EditionForm()
    if not form.validate_on_submit():
        abort(400)
    slug = form.slug.data
    if slug not in {item.slug for item in shelf()[0]}:
        abort(404)
    with db.writing(g.db):
        if g.db.execute("DELETE FROM favourites WHERE user_id = ? AND slug = ?", (g.user.id, slug)).rowcount == 0:
            g.db.execute("INSERT INTO favourites (user_id, slug) VALUES (?, ?)", (g.user.id, slug))
    return redirect(url_for(".index", **_keep(chosen_edition(request.form))))


# --- the basket: several handouts printed as one job ----------------------------------------------------

def _basket() -> list[dict]:
    return list(session.get("basket", []))


@blueprint.route("/basket", methods=["GET"])
@allow(LIBRARY)
def basket():
    items, failure = shelf()
    titles = {item.slug: item.titles for item in items}
    lines = [dict(item, title=titles.get(item["slug"], {}).get(item["lang"], item["slug"]),
                  edition=_edition_from_path(item["lang"], item["paper"], item["variant"]))
             for item in _basket()]
    return render_template("app/basket.html", lines=lines, form=EditionForm(), plain=Plain(),
                           language_names=LANGUAGE_NAMES, papers=PAPERS)


@blueprint.route("/basket/add", methods=["POST"])
@allow(LIBRARY)
def basket_add():
    form = EditionForm()
    if not form.validate_on_submit():
        abort(400)
    edition = chosen_edition(request.form)
    _entry_known(form.slug.data, edition)
    line = {"slug": form.slug.data, "lang": edition.lang, "paper": edition.paper, "variant": edition.variant.name}
    basket = _basket()
    if line not in basket and len(basket) < BASKET_MAX:
        basket.append(line)
        session["basket"] = basket
    flash(ngettext("The basket holds %(num)d handout.", "The basket holds %(num)d handouts.", len(basket)), "done")
    return redirect(url_for(".index", **_keep(edition)))


def _entry_known(slug: str, edition: Edition) -> None:
    items, _failure = shelf()
    if not any(item.slug == slug and edition.lang in item.titles for item in items):
        abort(404)


@blueprint.route("/basket/remove", methods=["POST"])
@allow(LIBRARY)
def basket_remove():
    form = EditionForm()
    if not form.validate_on_submit():
        abort(400)
    edition = chosen_edition(request.form)
    line = {"slug": form.slug.data, "lang": edition.lang, "paper": edition.paper, "variant": edition.variant.name}
    session["basket"] = [item for item in _basket() if item != line]
    return redirect(url_for(".basket"))


@blueprint.route("/basket/print", methods=["POST"])
@allow(LIBRARY)
def basket_print():
    form = Copies()
    lines = _basket()
    if not lines:
        return redirect(url_for(".basket"))
    if not form.validate_on_submit():
        flash(_("Choose between 1 and 50 copies."), "error")
        return redirect(url_for(".basket"))
    copies = form.copies.data or 1
    settings = setting("settings")
    try:
        editions = [(line["slug"], _edition_from_path(line["lang"], line["paper"], line["variant"])) for line in lines]
        entries = [_entry(slug, edition) for slug, edition in editions]
        with db.writing(g.db):
            job = print_pdfs([settings.out_dir / entry.path for entry in entries], job_title("basket"), copies,
                             settings.printer)
            for slug, edition in editions:
                record_given(g.db, g.user.name, slug, edition, "printed", personalised=False, copies=copies)
            db.audit(g.db, g.user.name, "printed basket", f"{len(entries)} handouts x{copies}, job {job.job_id}")
    except BuildFailed as failure:
        flash(_("Nothing was printed: %(why)s", why=failure.problems[0].message), "error")
        return redirect(url_for(".basket"))
    session["basket"] = []
    flash(_printed_message(job.job_id, copies, [entry.title for entry in entries]), "done")
    return redirect(url_for(".basket"))


@blueprint.route("/basket/empty", methods=["POST"])
@allow(LIBRARY)
def basket_empty():
    if not Plain().validate_on_submit():
        abort(400)
    session["basket"] = []
    return redirect(url_for(".basket"))
