"""Checks stage: the reading rules of each language (a small registry), and the reading figures of every
handout of a library by its language's rules."""

from __future__ import annotations

from ..model import Library
from .counting import HandoutReading, ReadingRules, TermAdjuster, read_handout
from .reading_en import ENGLISH
from .reading_es import SPANISH

RULES = {"en": ENGLISH, "es": SPANISH}


def rules_for(lang: str) -> ReadingRules:
    """The language's rules; a language with none of its own is counted as English."""
    return RULES.get(lang, ENGLISH)


def read_library(library: Library) -> list[HandoutReading]:
    adjust = TermAdjuster(library)
    rules = rules_for(library.lang)
    return [read_handout(h, adjust, rules) for h in library.handouts]
