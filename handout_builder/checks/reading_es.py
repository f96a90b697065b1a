"""Checks stage: the Spanish reading rules: the INFLESZ scale (Szigriszt-Pazos) with Fernández-Huerta beside it,
counted with a Spanish syllabifier.

INFLESZ (Barrio-Cantalejo et al., 2008) reads the Szigriszt-Pazos index as: below 40 very hard, 40-55
somewhat hard, 55-65 normal, 65-80 fairly easy ("bastante fácil"), above 80 very easy. Patient material
should be 60 or more per handout, aiming at 65. Drug, brand and glossary terms count as one short word,
as in English (counting.TermAdjuster).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .counting import Counts, ReadingRules, Score, count

HANDOUT_FLOOR = 60.0  # INFLESZ "normal" and up; the clinic aims at 65, "bastante fácil"
SECTION_FLOOR = 55.0  # no single section below "normal"
AIM = 65.0

LETTERS = "A-Za-zÁÉÍÓÚÜÑáéíóúüñ"
WORD = re.compile(rf"[{LETTERS}0-9]+(?:['’.\-][{LETTERS}0-9]+)*")
# A sentence ends at . ! or ? followed by a space, except after a title or a common abbreviation.
SENTENCE_END = re.compile(r"(?<!\bDr)(?<!\bDra)(?<!\bSr)(?<!\bSra)(?<!\bej)(?<!\bp\.ej)(?<!\betc)(?<!\bvs)"
                          r"[.!?]+[\"”’»)]*\s+")
STRONG = set("aeoáéóíú")  # a, e, o; an accented i or u is strong too: it breaks a diphthong (río, reúne)
WEAK = set("iuü")
# The u of que, qui, gue, gui is silent (not güe, güi: the diaeresis says it is spoken).
SILENT_U = re.compile(r"(?<=q)u|(?<=g)u(?=[eéií])")
# y is a vowel at the end of a word or before a consonant (hoy, muy, rey, y); before a vowel it is a
# consonant (ya, mayo).
VOWEL_Y = re.compile(r"y(?![aeiouáéíóúü])")


def syllables(word: str) -> int:
    """Syllables in one Spanish word by the spelling rules: each vowel group is one syllable (a diphthong
    or triphthong) unless it holds two strong vowels (hiatus: le-er, ca-í-da) or a doubled weak one
    (chi-i-ta). An h, like any consonant, separates vowel groups. A number counts as one."""
    parts = [p for p in re.split(r"[-.'’]", word) if p]
    return max(sum(_syllables(p) for p in parts), 1)


def _syllables(word: str) -> int:
    word = unicodedata.normalize("NFC", word.lower())
    if word.isdigit():
        return 1
    word = VOWEL_Y.sub("i", SILENT_U.sub("", word))
    total = 0
    for group in re.findall(r"[aeiouáéíóúü]+", word):
        strong = sum(1 for ch in group if ch in STRONG)
        doubled_weak = sum(1 for a, b in zip(group, group[1:]) if a == b and a in WEAK)
        total += max(strong, 1) + doubled_weak
    if total == 0 and word:  # an acronym read letter by letter (FDA, EMA): at least one
        total = 1
    return total


def szigriszt_pazos(counts: Counts) -> float:
    """206.835 - 62.3 x syllables/word - words/sentence."""
    if not counts.words:
        return 100.0
    return 206.835 - 62.3 * counts.syllables / counts.words - counts.words / counts.sentences


def fernandez_huerta(counts: Counts) -> float:
    """206.84 - 0.60 x syllables per 100 words - 1.02 x sentences per 100 words."""
    if not counts.words:
        return 100.0
    return (206.84 - 0.60 * 100 * counts.syllables / counts.words
            - 1.02 * 100 * counts.sentences / counts.words)


def inflesz_band(value: float) -> str:
    for floor, name in ((80, "muy fácil"), (65, "bastante fácil"), (55, "normal"), (40, "algo difícil")):
        if value >= floor:
            return name
    return "muy difícil"


@dataclass(frozen=True)
class InfleszScore(Score):
    """A Spanish score: higher is easier, and `limit` is a floor."""

    @property
    def passes(self) -> bool:
        return round(szigriszt_pazos(self.adjusted), 1) >= self.limit

    def failure(self) -> str:
        value = szigriszt_pazos(self.adjusted)
        return (f"{self.label} scores {value:.1f} on the INFLESZ scale ({inflesz_band(value)}; "
                f"at least {self.limit:.0f}, aim at {AIM:.0f})")

    def figures(self) -> str:
        value = szigriszt_pazos(self.adjusted)
        mark = "" if self.passes else f"  BELOW {self.limit:.0f}"
        return (f"INFLESZ {value:5.1f} (raw {szigriszt_pazos(self.raw):5.1f}, {inflesz_band(value)})  "
                f"Fernández-Huerta {fernandez_huerta(self.adjusted):5.1f} "
                f"(raw {fernandez_huerta(self.raw):5.1f})  {self.label}{mark}")


def count_spanish(blocks: list[str]) -> Counts:
    return count(blocks, syllables, WORD, SENTENCE_END)


SPANISH = ReadingRules(count_spanish, InfleszScore, SECTION_FLOOR, HANDOUT_FLOOR, WORD, SENTENCE_END)
