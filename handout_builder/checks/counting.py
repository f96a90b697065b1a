"""Checks stage: reading figures, counted the same way in every language: sentences, words, syllables
(by the language's own counter) and the grades of each section and of the whole handout, on the text the
reader sees (key points, lists and boxes included; sources, footer and citation numbers left out).

Drug, brand and glossary terms count as one short word in the adjusted figure: the reader learns them
from the handout anyway, and their length says nothing about how hard the sentences are. The language's
rules (reading_en.py, reading_es.py) say how to count and score; reading.py picks them by language.
"""

from __future__ import annotations

import html as html_lib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from ..model import Drug, Handout, Library, Topic

TERM_STAND_IN = "term"  # what a drug, brand or glossary term counts as: one word, one syllable

BLOCK_END = re.compile(r"</(p|li|td|th|h[1-6]|dt|dd|caption|figcaption)>|<br\s*/?>", re.IGNORECASE)
CITATION_MARK = re.compile(r"<sup[^>]*>.*?</sup>", re.IGNORECASE | re.DOTALL)
TAG = re.compile(r"<[^>]+>")


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


def count(blocks: list[str], syllables: Callable[[str], int], word: re.Pattern, sentence_end: re.Pattern) -> Counts:
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
    word: re.Pattern  # what a word is (PEMAT counts sentences with these too)
    sentence_end: re.Pattern


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
    sections += _emergency_section(topic)
    sections.append(("What you can do", lines.get("what_you_can_do"),
                     [*topic.what_you_can_do, *topic.call_us_if]))
    return sections


def _emergency_section(handout: Handout) -> list[tuple[str, int | None, list[str]]]:
    """The emergency block the template prints above the action box: its signs (the block's fixed words
    are the template's, like the headings)."""
    if handout.emergency is None:
        return []
    return [("Call 911", handout.lines.get("emergency"), list(handout.emergency.signs))]


def _drug_sections(drug: Drug) -> list[tuple[str, int | None, list[str]]]:
    """The drug page's sections, in the template's order, each at the line of the field it comes from."""
    lines = drug.lines
    results = [cell for r in drug.results for cell in (r.measure, r.this_drug, r.comparison)]
    sections = [("The main points", lines.get("summary"), [drug.summary, *drug.key_points])]
    if drug.boxed_warning.printed:  # the box the template prints
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
        *_emergency_section(drug),
        (f"How to use {drug.brand}", lines.get("how_to_use"), [*drug.how_to_use, *drug.call_us_if]),
    ]
    return sections


def read_handout(handout: Handout, adjust: TermAdjuster, rules: ReadingRules) -> HandoutReading:
    parts = _topic_sections(handout) if isinstance(handout, Topic) else _drug_sections(handout)
    whole, sections = read_parts(f"handout '{handout.title}'", _title_line(handout), parts, adjust, rules)
    return HandoutReading(handout, whole, sections)


def read_parts(label: str, line: int | None, parts: list[tuple[str, int | None, list[str]]],
               adjust: TermAdjuster, rules: ReadingRules) -> tuple[Score, tuple[Score, ...]]:
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
