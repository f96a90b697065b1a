"""Build stage: the catalog, the front desk's page to find any built PDF and open it to print: out/index.html
in English and out/index.<lang>.html in each other language that has PDFs, every word through the
templates' gettext catalogs, with a link to each other language's page."""

from __future__ import annotations

import dataclasses
import io
from dataclasses import dataclass
from datetime import date
from itertools import groupby
from pathlib import Path

from ..editions import (BROCHURE, DRUG, LANGUAGE_NAMES, LANGUAGES, LEAFLET, PAPERS, SOURCE_LANGUAGE, TOPIC, N_,
                        Variant)
from ..model import Library
from ..problems import Problems
from .output import ManifestEntry, catalog_page, write_atomic

THUMBS = "thumbs"
THUMB_WIDTH_PX = 240  # shown at half size: sharp on high-density screens, a few KB each
KIND_HEADINGS = {TOPIC: N_("Topics"), DRUG: N_("Drugs"), BROCHURE: N_("Brochure"), LEAFLET: N_("Leaflet")}


@dataclass(frozen=True)
class Tile:
    """One PDF as the catalog shows it: a thumbnail link with its edition and page count, in the page's
    language, and the words a search matches in every language (so "spanish", "español", "large print"
    and "letra grande" all find the large-print Spanish edition, whatever the page's language)."""

    entry: ManifestEntry
    thumb: str
    language: str
    paper: str
    variant_label: str  # "" for the regular edition
    search_text: str


@dataclass(frozen=True)
class Card:
    """One handout, with every edition of it that was built (each language, paper and variant)."""

    title: str
    lang: str  # the title's language
    kind: str
    reviewed: str
    tiles: list[Tile]


@dataclass(frozen=True)
class Page:
    """One language's catalog page, as the language switch links it."""

    lang: str
    name: str  # the language's name in that language: "English", "Español"
    href: str


def write_catalog(library: Library, out_dir: Path, entries: list[ManifestEntry], problems: Problems) -> list[Path]:
    """Render page-1 thumbnails and write each language's page; [] (with the problem recorded) if a
    template or a translation catalog had a problem. The page of a language no PDF is in is removed."""
    from ..render.renderer import Renderer
    from ..render.translation import translations

    langs = [lang for lang in LANGUAGES if lang == SOURCE_LANGUAGE or any(e.lang == lang for e in entries)]
    words = {lang: translations(library.root, lang, problems).gettext for lang in langs}
    if problems:
        return []
    thumbs = {e.path: write_thumbnail(out_dir, e) for e in entries}
    prune_thumbnails(out_dir, set(thumbs.values()))
    pages = [Page(lang, words[lang](LANGUAGE_NAMES[lang]), catalog_page(lang)) for lang in langs]
    html = {}
    for lang in langs:
        # The catalog reads only the clinic and the language from its library.
        renderer = Renderer(dataclasses.replace(library, lang=lang), problems)
        gettext = words[lang]
        sections = [(gettext(KIND_HEADINGS.get(kind, kind)), list(cards))
                    for kind, cards in groupby(cards_for(entries, thumbs, lang, words), key=lambda c: c.kind)]
        html[lang] = renderer.render("catalog.html.j2", clinic=library.clinic, lang=lang, sections=sections,
                                     count=len(entries), pages=pages)
    if problems or not all(html.values()):
        return []
    written = []
    for lang in langs:
        write_atomic(out_dir / catalog_page(lang), html[lang].encode("utf-8"))
        written.append(out_dir / catalog_page(lang))
    for lang in set(LANGUAGES) - set(langs):
        (out_dir / catalog_page(lang)).unlink(missing_ok=True)
    return written


def cards_for(entries: list[ManifestEntry], thumbs: dict[str, str], lang: str = SOURCE_LANGUAGE,
              words: dict | None = None) -> list[Card]:
    """One card per handout, its title in the page's language when that edition exists, ordered by it."""
    from ..render.translation import month_year

    words = words or {lang: lambda text: text}
    gettext = words[lang]
    kinds = list(KIND_HEADINGS)
    by_slug: dict[str, list[ManifestEntry]] = {}
    for e in entries:
        by_slug.setdefault(e.slug, []).append(e)

    def tile_key(e: ManifestEntry):
        return (e.lang != lang, e.lang != SOURCE_LANGUAGE, e.lang, not Variant.read(e.variant).is_regular,
                e.variant, list(PAPERS).index(e.paper) if e.paper in PAPERS else 9)

    cards = []
    for group in by_slug.values():
        group = sorted(group, key=tile_key)
        first = group[0]  # in the page's language if there is one, else English
        tiles = [Tile(e, thumbs[e.path], gettext(LANGUAGE_NAMES.get(e.lang, e.lang.upper())),
                      gettext(PAPERS[e.paper].label) if e.paper in PAPERS else e.paper,
                      Variant.read(e.variant).describe(gettext), search_words(e, words))
                 for e in group]
        cards.append(Card(first.title, first.lang, first.kind,
                          month_year(date.fromisoformat(first.reviewed_on), lang), tiles))
    return sorted(cards, key=lambda c: (kinds.index(c.kind) if c.kind in kinds else len(kinds), c.title.lower(),
                                        c.tiles[0].entry.slug))


def search_words(e: ManifestEntry, words: dict) -> str:
    """What a search matches for one PDF: its title and name, and its kind, language, paper and variant
    in every language the catalog has ("spanish español", "large print letra grande")."""
    variant = Variant.read(e.variant)
    found = [e.title, e.slug, e.slug.replace("-", " "), e.kind, e.lang, e.paper, e.variant]
    for gettext in words.values():
        found += [gettext(KIND_HEADINGS.get(e.kind, e.kind)), gettext(LANGUAGE_NAMES.get(e.lang, e.lang)),
                  gettext(PAPERS[e.paper].label) if e.paper in PAPERS else e.paper,
                  variant.describe(gettext) if variant.parts else gettext(N_("regular"))]
    return " ".join(dict.fromkeys(word.lower() for word in found))


def write_thumbnail(out_dir: Path, entry: ManifestEntry) -> str:
    """Page 1 as a small PNG beside the PDFs. The name carries the PDF's hash, so an unchanged PDF is
    not rendered again and a browser never shows a thumbnail of an older edition."""
    import pypdfium2

    relative = f"{THUMBS}/{Path(entry.path).with_suffix('')}.{entry.sha256[:12]}.png"
    target = out_dir / relative
    if target.is_file():
        return relative
    pdf = pypdfium2.PdfDocument(out_dir / entry.path)
    try:
        page = pdf[0]
        image = page.render(scale=THUMB_WIDTH_PX / page.get_width()).to_pil()
        page.close()
    finally:
        pdf.close()
    buffer = io.BytesIO()
    # A 64-colour palette keeps a page of text legible at this size and the file small.
    image.convert("RGB").quantize(64).save(buffer, format="PNG", optimize=True)
    write_atomic(target, buffer.getvalue())
    return relative


def prune_thumbnails(out_dir: Path, keep: set[str]) -> None:
    """Remove thumbnails of PDFs that were rebuilt or are gone."""
    for png in (out_dir / THUMBS).rglob("*.png"):
        if png.relative_to(out_dir).as_posix() not in keep:
            png.unlink()
