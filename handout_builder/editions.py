"""Editions, shared by every stage: the one vocabulary of what is built (kinds, papers, languages,
variants) and the records that name an output (Edition, Job).

A leaf: it imports nothing from the project. A variant is written as its parts joined by "+", e.g.
"booklet+grayscale"; only this module composes or reads that string (Variant).
"""

from __future__ import annotations

from dataclasses import dataclass


def N_(text: str) -> str:
    """Marks a label for translation (pybabel extracts it, see babel.cfg); it is translated where shown."""
    return text


# What an output is.
TOPIC, DRUG, BROCHURE, LEAFLET = "topic", "drug", "brochure", "leaflet"
HANDOUT_KINDS = (TOPIC, DRUG)
KINDS = (TOPIC, DRUG, BROCHURE, LEAFLET)

# The languages `--lang` offers, English (the templates' source language) first; each other needs a
# translation catalog (locales/<lang>/).
SOURCE_LANGUAGE = "en"
LANGUAGES = ("en", "es")
LANGUAGE_NAMES = {"en": N_("English"), "es": N_("Spanish")}  # in English; each is translated where shown
ALL_LANGUAGES = "all"  # `--lang all`: every language the project's content is written in


@dataclass(frozen=True)
class Paper:
    name: str  # as options and file paths say it
    css_size: str  # for @page size
    label: str  # as people say it


PAPERS = {"letter": Paper("letter", "letter", N_("Letter")), "a4": Paper("a4", "A4", N_("A4"))}
DEFAULT_PAPER = "letter"

# Variant parts. Print-shop, booklet and leaflet pick what is built (the brochure, imposed, or the
# tri-fold); large print and grayscale change how it looks. The print-shop edition is CMYK (PDF/X-4, through
# the print shop's colour profile, the brand file's [print] table); without that profile it is built in RGB,
# and says so: RGB is a part of its variant, never asked for (build/plan.py adds it).
REGULAR = "regular"
PRINT_SHOP, BOOKLET, LARGE_PRINT, GRAYSCALE, RGB = "print-shop", "booklet", "large-print", "grayscale", "rgb"
PARTS = (PRINT_SHOP, BOOKLET, LEAFLET, LARGE_PRINT, GRAYSCALE, RGB)  # the order in a variant's name
PRINTED = (PRINT_SHOP, BOOKLET)  # print production: the brochure only
PART_LABELS = {PRINT_SHOP: N_("print shop"), BOOKLET: N_("booklet"), LEAFLET: N_("leaflet"),
               LARGE_PRINT: N_("large print"), GRAYSCALE: N_("grayscale"), RGB: N_("RGB")}


@dataclass(frozen=True)
class Variant:
    """How an edition looks beyond language and paper: the regular edition, or a set of parts."""

    parts: tuple[str, ...] = ()  # in PARTS order, none twice; () is the regular edition

    def __post_init__(self):
        unknown = [p for p in self.parts if p not in PARTS]
        if unknown:
            raise ValueError(f"unknown variant part {unknown[0]!r} (known: {', '.join(PARTS)})")
        object.__setattr__(self, "parts", tuple(p for p in PARTS if p in self.parts))

    @classmethod
    def read(cls, name: str) -> Variant:
        """The variant a name stands for: "regular", "large-print", "print-shop+grayscale"..."""
        return cls(() if name == REGULAR else tuple(name.split("+")))

    @classmethod
    def of(cls, *parts: str) -> Variant:
        return cls(tuple(parts))

    @property
    def name(self) -> str:
        return "+".join(self.parts) or REGULAR

    def __str__(self) -> str:
        return self.name

    def has(self, part: str) -> bool:
        return part in self.parts

    def without(self, part: str) -> Variant:
        return Variant(tuple(p for p in self.parts if p != part))

    def adding(self, part: str) -> Variant:
        return Variant((*self.parts, part))

    @property
    def is_regular(self) -> bool:
        return not self.parts

    @property
    def printed(self) -> bool:
        """A print-shop or booklet edition: bleed and crop marks, padded to a multiple of 4 pages."""
        return any(p in PRINTED for p in self.parts)

    @property
    def press(self) -> bool:
        """The print-shop edition in the print shop's CMYK (PDF/X-4), not its RGB stand-in."""
        return self.has(PRINT_SHOP) and not self.has(RGB)

    @property
    def styled(self) -> Variant:
        """The variant whose styles it is drawn with: a booklet is the print-shop edition, imposed."""
        return Variant(tuple(PRINT_SHOP if p == BOOKLET else p for p in self.parts))

    @property
    def file_suffix(self) -> str:
        """What the file name adds: "", ".large-print", ".booklet.grayscale"."""
        return "".join(f".{p}" for p in self.parts)

    @property
    def label(self) -> str:
        """As the catalog shows it: "" for the regular edition, "Large print", "Print shop, grayscale",
        "Print shop, RGB"."""
        return self.describe()

    def describe(self, translate=lambda label: label) -> str:
        """The label in a reader's language: `translate` is that language's gettext."""
        label = ", ".join(translate(PART_LABELS[p]) for p in self.parts)
        return label[:1].upper() + label[1:]


def variants_for(*, print_shop: bool = False, booklet: bool = False, leaflet: bool = False,
                 large_print: bool = False, grayscale: bool = False) -> list[Variant]:
    """The variants the build options ask for: each of print-shop, booklet and leaflet is an output of
    its own (together, if several), else the regular or large-print edition; grayscale goes with each.
    ValueError for a combination nothing is designed for."""
    if large_print and (print_shop or booklet or leaflet):
        # 18 pt text does not fit a tri-fold panel, and no print-shop large-print brochure is designed.
        raise ValueError("--large-print cannot be combined with --print-shop, --booklet or --leaflet")
    chosen = [part for part, on in ((PRINT_SHOP, print_shop), (BOOKLET, booklet), (LEAFLET, leaflet)) if on]
    if not chosen and large_print:
        chosen = [LARGE_PRINT]
    extra = (GRAYSCALE,) if grayscale else ()
    return [Variant((part, *extra)) for part in chosen] or [Variant(extra)]


@dataclass(frozen=True)
class Edition:
    """How an output is made: language, paper and variant."""

    lang: str = SOURCE_LANGUAGE
    paper: str = DEFAULT_PAPER
    variant: Variant = Variant()

    def path(self, slug: str) -> str:
        """Output path relative to the output folder: the file name says what it is."""
        return f"{self.lang}/{self.paper}/{slug}{self.variant.file_suffix}.pdf"

    @classmethod
    def of_path(cls, path: str) -> tuple[str, Edition] | None:
        """The slug and edition an output path names (the reverse of `path`); None for any other path."""
        folders = path.split("/")
        if len(folders) != 3 or folders[0] not in LANGUAGES or folders[1] not in PAPERS:
            return None
        slug, *parts, extension = folders[2].split(".")
        if extension != "pdf" or not slug or len(set(parts)) != len(parts):
            return None
        try:
            variant = Variant(tuple(parts))
        except ValueError:
            return None
        edition = cls(folders[0], folders[1], variant)
        return (slug, edition) if edition.path(slug) == path else None  # parts in their one order


@dataclass(frozen=True)
class Job:
    """One PDF to make."""

    slug: str
    kind: str  # one of KINDS
    title: str
    reviewed_on: str
    edition: Edition

    @property
    def path(self) -> str:
        return self.edition.path(self.slug)
