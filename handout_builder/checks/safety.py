"""Checks stage: the safety and plain-language rules, run on each handout as it is printed (statements.py).

- emergency-routing: an emergency sign under "Call us if", under a heading or in a sentence that sends the
  reader to the clinic, or named in a handout with no emergency block (class "emergency", saying 911).
- undated-status: a regulatory status in a sentence with no date (a year), unless the sentence points at
  the handout's dated status table. The status rows themselves are dated by the template.
- numeracy: people counted with decimals ("29.9 in 100", "1.9 million") or a decimal percentage that is not
  a product's strength; and trial percentages the chart would draw as decimals.
- hard-word: a word rare in everyday language (wordfreq's Zipf scale below HARD_WORD_ZIPF), not in the
  glossary, not a drug, brand or maker name, and not explained in its sentence (or before, in the handout).
- source-strength: a cited statement of how to use a drug, its monitoring, boxed warning or pregnancy, or
  elsewhere one that gives a dose (an amount, outside approvals and a study's report), that cites
  no label or regulator source (sources.yaml `kind`).
Each language's words are in one module (safety_en.py, safety_es.py); a language with none is not checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from types import ModuleType

from ..model import Drug, Library
from ..problems import ERROR, WARNING, Problems
from . import safety_en, safety_es
from .reading import rules_for
from .statements import Page, Statement

WORDS: dict[str, ModuleType] = {"en": safety_en, "es": safety_es}

# Zipf is log10 of a word's uses per billion words: 3 is once in a million. In English, everyday words of
# illness sit above 3 ("rash" 3.7, "fever" 4.2, "swollen" 3.6) and the words of medical writing below it
# ("thrombosis" 2.9, "lymphocytes" 2.8, "malignancy" 2.7, "erythema" 2.3, "neutropenia" 2.2). Spanish forms
# score lower (a smaller corpus, and each word spread over more inflected forms: "sarpullido" 2.4 against
# "rash" 3.7), while its jargon scores about the same ("trombocitopenia" 2.2, "eritema" 2.5): 2.5 there.
# Household words the list underrates are in each language's EVERYDAY; the README lists what 2.5, 3.0 and
# 3.5 flag on the real content.
HARD_WORD_ZIPF = {"en": 3.0, "es": 2.5}
# The fields whose facts a patient acts on: they cite the label or a regulator.
STRICT_FIELDS = {"how_to_use": "how-to-use", "monitoring": "monitoring", "boxed_warning": "boxed-warning",
                 "pregnancy": "pregnancy"}
# Fields whose amounts are not doses to take: approvals (with their dates) and trial reports.
NOT_DOSING = ("status", "other_uses", "what_to_expect", "results")
YEAR = re.compile(r"\b(?:19[5-9]\d|20\d\d)\b")
LETTERS = r"[^\W\d_]+"
WORD = re.compile(rf"{LETTERS}(?:['’-]{LETTERS})*")


def _any(patterns, anchored: bool = True) -> re.Pattern:
    body = "|".join(f"(?:{p})" for p in patterns)
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)" if anchored else body, re.IGNORECASE)


@dataclass(frozen=True)
class Patterns:
    """One language's word lists, compiled."""

    signs: re.Pattern
    call_clinic: re.Pattern
    emergency_number: re.Pattern
    status: re.Pattern
    table: re.Pattern
    decimal_count: re.Pattern
    decimal_percent: re.Pattern
    strength: re.Pattern
    people: re.Pattern
    dose: re.Pattern
    study: re.Pattern
    explained_after: re.Pattern
    explained_before: re.Pattern
    everyday: frozenset[str]
    endings: tuple[str, ...]
    sentence_end: re.Pattern


@lru_cache(maxsize=None)
def patterns_for(lang: str, clinic_name: str) -> Patterns | None:
    words = WORDS.get(lang)
    if words is None:
        return None
    number = rf"{words.DECIMAL}(?:\s*(?:{'|'.join(words.RANGE)})\s*\d+(?:[.,]\d+)?)?"
    return Patterns(
        signs=_any(words.EMERGENCY_SIGNS),
        call_clinic=_any((*words.CALL_CLINIC, rf"call {re.escape(clinic_name)}")),
        emergency_number=_any(words.EMERGENCY_NUMBER),
        status=_any(words.STATUS),
        table=_any(words.TABLE_POINTER),
        decimal_count=re.compile(rf"(?<![\w.,]){number}\s+(?:(?:{'|'.join(words.PER)})\s+(?:10|100|1[,.]?000)\b|"
                                 rf"(?:{'|'.join(words.LARGE)})\b)", re.IGNORECASE),
        decimal_percent=re.compile(rf"(?<![\w.,]){number}\s*(?:{'|'.join(words.PERCENT)})", re.IGNORECASE),
        strength=_any(words.STRENGTH),
        people=_any(words.PEOPLE),
        dose=_any(words.DOSE),
        study=_any(words.STUDY),
        explained_after=re.compile(r"\s*(?:" + "|".join(words.EXPLAINED_AFTER) + ")", re.IGNORECASE),
        explained_before=re.compile("(?:" + "|".join(words.EXPLAINED_BEFORE) + r")$", re.IGNORECASE),
        everyday=frozenset(words.EVERYDAY),
        endings=words.ENDINGS,
        sentence_end=rules_for(lang).sentence_end,
    )


def check_page(page: Page, library: Library, problems: Problems, strict: bool = False) -> None:
    """Every safety and plain-language rule on one printed handout."""
    patterns = patterns_for(library.lang, library.clinic.name)
    if patterns is None:
        return
    path = page.handout.path
    emergency_block = has_emergency_block(page, patterns)
    for statement in page.statements:
        for sentence in _sentences(statement.text, patterns):
            for line, message in _emergency_routing(statement, sentence, patterns, emergency_block):
                problems.add(path, line, message, code="emergency-routing")
            for line, message in _undated_status(statement, sentence, patterns, page.dated_table):
                problems.add(path, line, message, code="undated-status")
            for line, message in _numeracy(statement, sentence, patterns):
                problems.add(path, line, message, code="numeracy")
        for line, message in _source_strength(statement, page, library, patterns):
            problems.add(path, line, message, code="source-strength")
    for line, message in _chart_figures(page):
        problems.add(path, line, message, code="numeracy")
    for line, message in _hard_words(page, library, patterns, HARD_WORD_ZIPF[library.lang]):
        problems.add(path, line, message, code="hard-word", severity=ERROR if strict else WARNING)


def _sentences(text: str, patterns: Patterns) -> list[str]:
    return [s for s in patterns.sentence_end.split(text) if s.strip()]


def has_emergency_block(page: Page, patterns: Patterns) -> bool:
    """The handout prints an emergency block: an element of class "emergency" that sends the reader to
    emergency care (911, the emergency number)."""
    text = " ".join(block.text for block in page.blocks_in("emergency"))
    return bool(patterns.emergency_number.search(text))


# --- emergency-routing ------------------------------------------------------------------------------

def _emergency_routing(statement: Statement, sentence: str, patterns: Patterns, emergency_block: bool):
    place = statement.place
    if "emergency" in place.boxes:
        return
    signs = list(dict.fromkeys(m[0] for m in patterns.signs.finditer(sentence)))
    if not signs:
        return
    named = ", ".join(f'"{s}"' for s in signs)
    what = f"emergency sign{'s' if len(signs) > 1 else ''} {named}"
    line = statement.line_of(signs[0])
    routing = [h for h in place.headings if patterns.call_clinic.search(h)]
    if routing or "call-us-if" in place.boxes:
        under = f'the heading "{routing[-1]}"' if routing else 'the "Call us if" list'
        yield line, (f"{what} under {under}: a reader with {'them' if len(signs) > 1 else 'it'} would phone "
                     "the clinic instead of 911; name emergency signs only in the emergency block")
    elif (call := patterns.call_clinic.search(sentence)) and not patterns.emergency_number.search(sentence):
        yield line, (f'{what} in a sentence that says "{call[0]}": a reader with '
                     f"{'them' if len(signs) > 1 else 'it'} would phone the clinic instead of 911")
    elif not emergency_block:
        yield line, (f"{what} named, but the handout has no emergency block (what to do and to call 911 "
                     "for these signs)")


# --- undated-status ---------------------------------------------------------------------------------

def _undated_status(statement: Statement, sentence: str, patterns: Patterns, dated_table: bool):
    if statement.field == "status":  # the status rows print their own "checked <month year>"
        return
    status = patterns.status.search(sentence)
    # A statement that names the dated table ("The table below shows whether each one is approved") points
    # the reader at the dates.
    if not status or YEAR.search(sentence) or (dated_table and patterns.table.search(statement.text)):
        return
    yield statement.line_of(status[0]), (
        f'regulatory status "{status[0]}" with no date: say when it was last confirmed (e.g. '
        '"in February 2026", "as of June 2026"), or point to the dated status table ("the table below")')


# --- numeracy -------------------------------------------------------------------------------------

def _numeracy(statement: Statement, sentence: str, patterns: Patterns):
    for match in patterns.decimal_count.finditer(sentence):
        yield statement.line_of(match[0]), (
            f'"{match[0]}" counts people with a decimal: write a whole number, e.g. "about '
            f'{_rounded(match[0])} in 100"' if re.search(r"\d\s+\D", match[0]) else
            f'"{match[0]}" counts people with a decimal: round it to a whole number')
    for match in patterns.decimal_percent.finditer(sentence):
        if statement.field == "form" or _is_strength(sentence, match, patterns):
            continue
        yield statement.line_of(match[0]), (
            f'"{match[0]}" is a decimal percentage: patients read whole counts, e.g. "about '
            f'{_rounded(match[0])} in 100"')


def _rounded(text: str) -> int:
    return round(float(re.search(r"\d+(?:[.,]\d+)?", text)[0].replace(",", ".")))


def _is_strength(sentence: str, match: re.Match, patterns: Patterns) -> bool:
    """A product's strength: a product word among the three words before or the one after ("1.5% cream",
    "the cream (1.5%)"), and no people word there."""
    before = " ".join(sentence[:match.start()].split()[-3:])
    after = " ".join(sentence[match.end():].split()[:1])
    near = f"{before} {after}"
    return bool(patterns.strength.search(near)) and not patterns.people.search(near)


def _chart_figures(page: Page):
    """The trial chart draws results' percentages as "N in 100": a decimal one is a decimal count."""
    handout = page.handout
    if not isinstance(handout, Drug):
        return
    text = page.source.text
    for match in re.finditer(r"^\s*(?:this_drug_percent|comparison_percent):\s*(\d+\.\d*[1-9]\d*)\s*$", text,
                             re.MULTILINE):
        yield page.source.line(match.start(1)), (
            f"{match[1]} is drawn in the chart as \"{match[1]} in 100\": round it to a whole number "
            f"({round(float(match[1]))})")


# --- source-strength --------------------------------------------------------------------------------

def _source_strength(statement: Statement, page: Page, library: Library, patterns: Patterns):
    if not statement.sources:
        return
    what = STRICT_FIELDS.get(statement.field)
    if (what is None and statement.field not in NOT_DOSING and patterns.dose.search(statement.text)
            and not patterns.study.search(statement.text)
            and (isinstance(page.handout, Drug) or _names_a_drug(statement.text, library))):
        what = "dosing"
    if what is None:
        return
    sources = [library.sources[i] for i in statement.sources if i in library.sources]
    if any(s.primary for s in sources):
        return
    cited = ", ".join(f"{s.id} ({s.kind})" for s in sources)
    yield statement.line, (f"a {what} statement cites no label or regulator source, only {cited}: cite the "
                           "drug's label or the FDA or EMA for what patients act on")


def _names_a_drug(text: str, library: Library) -> bool:
    names = {n.lower() for d in library.drugs.values() for n in (d.brand, d.generic.split()[0])}
    return any(w.lower() in names for w in WORD.findall(text))


# --- hard-word --------------------------------------------------------------------------------------

def _hard_words(page: Page, library: Library, patterns: Patterns, threshold: float):
    """The first unexplained use of each rare word in the handout, in reading order."""
    known = _known_words(library) | patterns.everyday
    explained: set[str] = set()
    reported: set[str] = set()
    for statement in page.statements:
        for sentence in _sentences(statement.text, patterns):
            for n, match in enumerate(WORD.finditer(sentence)):
                word = match[0]
                if not _ordinary(word, first=n == 0):
                    continue
                key = word.lower()
                if key in explained or key in reported or _forms(key, patterns.endings) & known:
                    continue
                zipf = _rarest_part(key, library.lang, patterns.endings)
                if zipf >= threshold:
                    continue
                if (patterns.explained_after.match(sentence, match.end())
                        or patterns.explained_before.search(sentence, 0, match.start())):
                    explained.add(key)
                    continue
                reported.add(key)
                yield statement.line_of(word), (
                    f'"{word}" is not an everyday word (Zipf {zipf:.2f}, below {threshold:.1f}): use a '
                    "plainer word, explain it in the same sentence, or add it to the glossary")


@lru_cache(maxsize=None)
def _forms(word: str, endings: tuple[str, ...]) -> frozenset[str]:
    """The word and the word without each inflection it may carry ("clots": "clot"); an ending "X>Y" is
    replaced ("enfermaron": "enfermar")."""
    forms = {word}
    for ending in endings:
        old, _, new = ending.partition(">")
        if word.endswith(old) and len(word) - len(old) >= 3:
            forms.add(word[:-len(old)] + new)
    return frozenset(forms)


def _unaccented(word: str) -> str:
    return word.translate(str.maketrans("áéíóú", "aeiou"))


def _ordinary(word: str, first: bool) -> bool:
    """A word in lower case (or capitalised to begin a sentence): names and abbreviations are left out."""
    rest = word[1:] if first else word
    return not any(c.isupper() for c in rest)


def _known_words(library: Library) -> frozenset[str]:
    """Glossary words (and their plurals), drug, brand and maker names: the reader is taught or needs no
    teaching."""
    words = set()
    for term in library.glossary:
        words |= {w.lower() for w in WORD.findall(term)}
    for drug in library.drugs.values():
        words |= {w.lower() for w in WORD.findall(f"{drug.brand} {drug.generic} {drug.maker}")}
    return frozenset(words | {w + "s" for w in words} | {w + "es" for w in words})


@lru_cache(maxsize=None)
def _rarest_part(word: str, lang: str, endings: tuple[str, ...]) -> float:
    """How common a word is: a hyphenated word is as rare as its rarest part ("non-melanoma"), and a part
    as common as its commonest form without an inflection ("clots" as "clot": the list counts each form
    apart, and "redness" is as plain as "red")."""
    from wordfreq import zipf_frequency  # its word lists load on first use: only `check` needs them

    def common(part: str) -> float:
        forms = list(_forms(part, endings))
        # A pronoun joined to a Spanish verb brings a written accent ("pregúntele" is "pregunte" + "le").
        forms += [_unaccented(f) for f in forms]
        return max(zipf_frequency(form, lang) for form in forms)

    return min(common(part) for part in word.split("-") if part)
