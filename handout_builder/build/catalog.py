"""Build stage: the catalog, out/index.html, the front desk's page to find any built PDF and open it to print."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from itertools import groupby
from pathlib import Path

from ..editions import BROCHURE, DRUG, LANGUAGE_NAMES, PAPERS, TOPIC, Variant
from ..render.renderer import Renderer
from ..render.translation import month_year
from .output import CATALOG, ManifestEntry, write_atomic

THUMBS = "thumbs"
THUMB_WIDTH_PX = 240  # shown at half size: sharp on high-density screens, a few KB each
KIND_HEADINGS = {TOPIC: "Topics", DRUG: "Drugs", BROCHURE: "Brochure"}


@dataclass(frozen=True)
class Tile:
    """One PDF as the catalog shows it: a thumbnail link with its edition and page count."""

    entry: ManifestEntry
    thumb: str
    language: str
    paper: str
    variant_label: str  # "" for the regular edition

    @property
    def search_text(self) -> str:
        e = self.entry
        words = [e.title, e.slug, e.slug.replace("-", " "), e.kind, e.lang, self.language, e.paper,
                 self.paper, e.variant, self.variant_label or "regular"]
        return " ".join(words).lower()


@dataclass(frozen=True)
class Card:
    """One handout in one language, with every edition of it that was built."""

    title: str
    kind: str
    reviewed: str
    tiles: list[Tile]


def write_catalog(renderer: Renderer, out_dir: Path, entries: list[ManifestEntry]) -> Path | None:
    """Render page-1 thumbnails and write out/index.html; None if the template had a problem."""
    thumbs = {e.path: write_thumbnail(out_dir, e) for e in entries}
    prune_thumbnails(out_dir, set(thumbs.values()))
    sections = [(KIND_HEADINGS.get(kind, kind.title()), list(cards))
                for kind, cards in groupby(cards_for(entries, thumbs), key=lambda c: c.kind)]
    html = renderer.render("catalog.html.j2", clinic=renderer.library.clinic, sections=sections,
                           count=len(entries))
    if not html:
        return None
    write_atomic(out_dir / CATALOG, html.encode("utf-8"))
    return out_dir / CATALOG


def cards_for(entries: list[ManifestEntry], thumbs: dict[str, str]) -> list[Card]:
    kinds = list(KIND_HEADINGS)

    # One card per handout, with every edition of it (each language, paper and variant) as a tile; cards
    # are ordered by the English title, which the front desk knows them by.
    english = {e.slug: e.title for e in entries if e.lang == "en"}

    def card_key(e: ManifestEntry):
        return (kinds.index(e.kind) if e.kind in kinds else len(kinds),
                english.get(e.slug, e.title).lower(), e.slug)

    def tile_key(e: ManifestEntry):
        return (e.lang != "en", e.lang, not Variant.read(e.variant).is_regular, e.variant,
                list(PAPERS).index(e.paper) if e.paper in PAPERS else 9)

    cards = []
    for _, group in groupby(sorted(entries, key=card_key), key=card_key):
        group = sorted(group, key=tile_key)
        first = group[0]
        tiles = [Tile(e, thumbs[e.path], LANGUAGE_NAMES.get(e.lang, e.lang.upper()),
                      PAPERS[e.paper].label if e.paper in PAPERS else e.paper, Variant.read(e.variant).label)
                 for e in group]
        cards.append(Card(first.title, first.kind, month_year(date.fromisoformat(first.reviewed_on)), tiles))
    return cards


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
