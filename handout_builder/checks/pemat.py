"""Checks stage: the machine-checkable items of AHRQ's PEMAT-P, scored on each rendered handout.

Items a program cannot judge (is the purpose evident? is the order logical?) are listed for a human
reviewer, never scored as passed. Numbers follow PEMAT-P (understandability 1-19, actionability 20-26).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..model import Library, Topic
from .counting import HandoutReading, ReadingRules, visible_blocks
from .reading import rules_for

SECTION_WORDS = 250  # a "short section": about what fits beside one heading on a printed page
PASSIVE_SHARE = 0.15  # PEMAT asks for mostly active voice; above this share of sentences, it fails
GENERIC_HEADINGS = {"introduction", "overview", "information", "more information", "general", "other",
                    "details", "background", "notes", "miscellaneous", "section", "misc", "more", "faq"}
# Words a reader may not know, by their medical endings; each must be a glossary term or a drug name.
MEDICAL_WORD = re.compile(r"\b[A-Za-z]+(?:itis|osis|ocytes?|inib|emia|pathy|ectomy)\b", re.IGNORECASE)
EVERYDAY_WORDS = {"arthritis", "tuberculosis"}  # medical, but known to most adults: no definition needed
IRREGULAR_PARTICIPLES = ("given|taken|shown|known|seen|done|made|found|told|written|put|kept|left|held|"
                         "brought|caught|thought|sold|sent|spent|worn|begun|chosen|driven|eaten|broken")
PASSIVE = re.compile(r"\b(am|is|are|was|were|be|been|being)\s+(?:\w+ly\s+)?"
                     rf"(\w+ed|{IRREGULAR_PARTICIPLES})\b", re.IGNORECASE)
YOU = re.compile(r"\byou(?:r|rs|rself|'ll|'re|'ve|’ll|’re|’ve)?\b", re.IGNORECASE)
THIRD_PERSON = re.compile(r"\b(?:patients?|the patient's)\b", re.IGNORECASE)
FIGURE = re.compile(r"<figure\b.*?</figure>", re.IGNORECASE | re.DOTALL)
TABLE = re.compile(r"<table\b.*?</table>", re.IGNORECASE | re.DOTALL)
ACTIONS = re.compile(r'<section class="actions".*?</section>', re.DOTALL)
TOOL = re.compile(r'class="[^"]*\b(checklist|log|tracker)\b', re.IGNORECASE)


@dataclass(frozen=True)
class Wording:
    """The language-dependent parts of the automatable items (4, 5, 9, 21)."""

    medical_word: re.Pattern
    everyday_words: set[str]
    passive: re.Pattern
    you: re.Pattern
    you_word: str  # how the report names item 21's word
    third_person: re.Pattern
    generic_headings: set[str]


ENGLISH = Wording(MEDICAL_WORD, EVERYDAY_WORDS, PASSIVE, YOU, "you", THIRD_PERSON, GENERIC_HEADINGS)

ES_LETTERS = "A-Za-zÁÉÍÓÚÜÑáéíóúüñ"
ES_PARTICIPLE = (r"\w+(?:ado|ada|ados|adas|ido|ida|idos|idas)|hech[oa]s?|dich[oa]s?|vist[oa]s?|puest[oa]s?|"
                 r"escrit[oa]s?|abiert[oa]s?|cubiert[oa]s?|vuelt[oa]s?|rot[oa]s?|resuelt[oa]s?|impres[oa]s?")
# Spanish: the periphrastic passive, "ser" + participle ("fue aprobado", "son tratadas"). The reflexive
# "se" passive ("se aplica") is how Spanish usually says an action plainly, so it is not counted.
SPANISH = Wording(
    medical_word=re.compile(rf"\b[{ES_LETTERS}]+(?:itis|osis|citos?|inib|emia|patía|ectomía)\b", re.IGNORECASE),
    everyday_words={"artritis", "tuberculosis"},
    passive=re.compile(r"\b(es|son|fue|fueron|era|eran|será|serán|sido|ser|sea|sean|siendo|fuera|fueran)\s+"
                       rf"(?:\w+mente\s+)?({ES_PARTICIPLE})\b", re.IGNORECASE),
    # "usted" and its possessives; "tú" forms count too, if a handout is written that way.
    you=re.compile(r"\b(?:usted|ustedes|su|sus|suyo|suya|suyos|suyas|tú|tu|tus|contigo)\b", re.IGNORECASE),
    you_word="usted",
    third_person=re.compile(r"\b(?:pacientes?|enfermos?|enfermas?)\b", re.IGNORECASE),
    generic_headings={"introducción", "resumen", "información", "más información", "general", "otros",
                      "otras", "detalles", "antecedentes", "notas", "varios", "preguntas frecuentes", "más"},
)
WORDINGS = {"en": ENGLISH, "es": SPANISH}

HUMAN_ITEMS = {
    1: "purpose evident", 2: "no distracting content", 3: "common, everyday language",
    6: "numbers clear", 7: "no calculations expected", 10: "logical sequence",
    15: "visual aids where they help", 16: "visual aids reinforce the text", 18: "clear illustrations",
    24: "instructions for any calculation", 25: "explains how to use charts and tables",
    26: "visual aids make acting easier",
}
ACTIONABILITY_FROM = 20

PASS, FAIL, NOT_APPLICABLE, HUMAN = "pass", "FAIL", "n/a", "human"


@dataclass(frozen=True)
class Item:
    number: int
    name: str
    status: str  # PASS, FAIL, NOT_APPLICABLE or HUMAN
    note: str = ""
    line: int | None = None  # where a failure is, for the problem message

    @property
    def actionability(self) -> bool:
        return self.number >= ACTIONABILITY_FROM


@dataclass(frozen=True)
class Sheet:
    slug: str
    items: tuple[Item, ...]

    def percent(self, actionability: bool) -> float | None:
        scored = [i for i in self.items if i.actionability == actionability and i.status in (PASS, FAIL)]
        if not scored:
            return None
        return 100 * sum(i.status == PASS for i in scored) / len(scored)

    @property
    def failures(self) -> list[Item]:
        return [i for i in self.items if i.status == FAIL]

    def lines(self) -> list[str]:
        def shown(value: float | None) -> str:
            return "n/a" if value is None else f"{value:.0f}%"
        scored_u = sum(1 for i in self.items if not i.actionability and i.status in (PASS, FAIL))
        scored_a = sum(1 for i in self.items if i.actionability and i.status in (PASS, FAIL))
        out = [f"{self.slug}: understandability {shown(self.percent(False))} of {scored_u} automatable "
               f"items, actionability {shown(self.percent(True))} of {scored_a}"]
        for item in self.items:
            if item.status != HUMAN:
                note = f"  ({item.note})" if item.note else ""
                out.append(f"  {item.number:>2} {item.status:<4} {item.name}{note}")
        human = [i for i in self.items if i.status == HUMAN]
        out.append("  needs a human: " + "; ".join(f"{i.number} {i.name}" for i in human))
        return out


def _sentences(blocks: list[str], rules: ReadingRules) -> list[str]:
    return [s for block in blocks for s in rules.sentence_end.split(block) if rules.word.search(s)]


def score(handout_html: str, reading: HandoutReading, library: Library) -> Sheet:
    """Score one handout from its rendered HTML (what the reader gets) and its reading figures."""
    handout = reading.handout
    title_line = reading.whole.line
    wording = WORDINGS.get(library.lang, ENGLISH)
    blocks = visible_blocks(_body(handout_html))
    text = "\n".join(blocks)
    items = [Item(n, name, HUMAN) for n, name in HUMAN_ITEMS.items()]

    known = {t.lower() for t in library.glossary}
    for drug in library.drugs.values():
        known |= {w.lower() for w in (drug.brand, *drug.generic.split())}
    marked = handout_html.count('<dfn class="term"')
    # A word inside a glossary phrase ("dermatitis" in "atopic dermatitis") is defined by that phrase.
    phrases = sorted((t for t in library.glossary if " " in t), key=len, reverse=True)
    unphrased = re.sub("|".join(re.escape(p) for p in phrases), " ", text, flags=re.IGNORECASE) \
        if phrases else text
    unknown = sorted({m[0].lower() for m in wording.medical_word.finditer(unphrased)} - known
                     - {k + "s" for k in known} - wording.everyday_words)
    items.append(Item(4, "medical terms defined on first use", FAIL if unknown else PASS,
                      f"not in the glossary: {', '.join(unknown)}" if unknown else
                      f"{marked} glossary terms marked",
                      _first_line_with(handout.path, unknown[0]) if unknown else title_line))

    sentences = _sentences(blocks, rules_for(library.lang))
    passive = [s for s in sentences if wording.passive.search(s)]
    share = len(passive) / len(sentences) if sentences else 0.0
    items.append(Item(5, "active voice", PASS if share <= PASSIVE_SHARE else FAIL,
                      f"{share:.0%} of sentences look passive (limit {PASSIVE_SHARE:.0%})", title_line))

    long_sections = [s for s in reading.sections if s.raw.words > SECTION_WORDS]
    items.append(Item(8, "short sections", FAIL if long_sections else PASS,
                      "; ".join(f"{s.label} has {s.raw.words} words (limit {SECTION_WORDS})"
                                for s in long_sections),
                      long_sections[0].line if long_sections else None))

    items.append(_headings(handout, title_line, wording.generic_headings))

    has_summary = 'class="key-points"' in handout_html and 'class="summary"' in handout_html
    items.append(Item(11, "a summary of the main points", PASS if has_summary else FAIL,
                      "" if has_summary else "no key-points block with a summary", title_line))
    callout = re.search(r'class="(key-points|actions|boxed-warning)"', handout_html)
    items.append(Item(12, "visual cues for key points", PASS if callout else FAIL,
                      "" if callout else "no box (key points, actions, warning) is drawn", title_line))
    items.append(_figures(handout_html, title_line))
    items.append(_tables(handout_html, title_line))

    actions = ACTIONS.search(handout_html)
    has_action = bool(actions and "<li" in actions[0])
    items.append(Item(20, "at least one action the reader can take", PASS if has_action else FAIL,
                      "" if has_action else "no action box with items", title_line))
    you, others = len(wording.you.findall(text)), len(wording.third_person.findall(text))
    addressed = you > 0 and others * 5 <= you
    items.append(Item(21, f"addresses the reader as \"{wording.you_word}\"", PASS if addressed else FAIL,
                      f"\"{wording.you_word}\" {you} times, the third person {others} times", title_line))
    steps = bool(actions and re.search(r"<ol\b[^>]*>\s*<li", actions[0]))
    items.append(Item(22, "actions in numbered steps", PASS if steps else FAIL,
                      "" if steps else "the action box has no numbered list", title_line))
    tool = TOOL.search(handout_html)
    # Whether a checklist or log would help is a judgement: without one, a human decides.
    items.append(Item(23, "a tangible tool (checklist, log) where it helps", PASS if tool else HUMAN,
                      f"a {tool[1]}" if tool else ""))
    return Sheet(handout.slug, tuple(sorted(items, key=lambda i: i.number)))


def _first_line_with(path, word: str) -> int | None:
    """The line of the source file where a word first appears, so the author can jump to it."""
    pattern = re.compile(rf"\b{re.escape(word)}\b", re.IGNORECASE)
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if pattern.search(line):
            return number
    return None


def _body(handout_html: str) -> str:
    """The reading matter only: no running footer, sources or disclaimer."""
    body = handout_html.split("<main>", 1)[-1]
    body = re.sub(r'<section class="sources".*?</section>', "", body, flags=re.DOTALL)
    return re.sub(r'<p class="disclaimer">.*?</p>', "", body, flags=re.DOTALL)


def _headings(handout, title_line: int | None, generic_headings: set[str]) -> Item:
    if not isinstance(handout, Topic):
        # The drug template's own headings: nothing the author wrote to score.
        return Item(9, "informative headings", NOT_APPLICABLE, "drug pages use the template's headings")
    bad = []
    for section in handout.sections:
        if not section.heading:
            bad.append((section.line, "text before the first heading has none"))
        elif section.heading.strip(" ¿?¡!:.").lower() in generic_headings:
            bad.append((section.line, f"heading '{section.heading}' says nothing about its section"))
    return Item(9, "informative headings", FAIL if bad else PASS, "; ".join(m for _, m in bad),
                bad[0][0] if bad else title_line)


def _figures(handout_html: str, title_line: int | None) -> Item:
    figures = FIGURE.findall(handout_html)
    uncaptioned = [f for f in figures if not re.search(r"<figcaption[^>]*>\s*[^<\s]", f)]
    outside = FIGURE.sub("", handout_html)
    loose = [img for img in re.findall(r"<img\b[^>]*>", outside) if 'class="logo"' not in img]
    if not figures and not loose:
        return Item(17, "visual aids have captions", NOT_APPLICABLE, "no figures")
    if uncaptioned or loose:
        return Item(17, "visual aids have captions", FAIL,
                    f"{len(uncaptioned) + len(loose)} image(s) without a caption", title_line)
    return Item(17, "visual aids have captions", PASS, f"{len(figures)} figure(s)")


def _tables(handout_html: str, title_line: int | None) -> Item:
    tables = TABLE.findall(handout_html)
    if not tables:
        return Item(19, "tables have header cells", NOT_APPLICABLE, "no tables")
    headless = [t for t in tables if "<th" not in t]
    if headless:
        return Item(19, "tables have header cells", FAIL, f"{len(headless)} table(s) without header cells",
                    title_line)
    return Item(19, "tables have header cells", PASS, f"{len(tables)} table(s)")
