"""Checks stage: every topic and drug exists in every language the project has, reviewed on the same day
and citing the same sources, so no edition is missing a handout or lags behind a newer review."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from ..content.project import CONTENT_FILE
from ..model import Drug, Handout, Library
from ..problems import Problems

CITE_ID = re.compile(r'data-cite="([^"]*)"')


def cited_sources(handout: Handout) -> set[str]:
    """Every source a handout cites, in its prose ([@id]) and in its structured fields (sources: [...])."""
    found: set[str] = set()

    def walk(value, name: str = "") -> None:
        if isinstance(value, str):
            for ids in CITE_ID.findall(value):
                found.update(ids.split())
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            for field in dataclasses.fields(value):
                if field.name not in ("path", "lines"):
                    walk(getattr(value, field.name), field.name)
        elif isinstance(value, (tuple, list)):
            if name == "sources":
                found.update(v for v in value if isinstance(v, str))
            else:
                for item in value:
                    walk(item)

    walk(handout)
    return found


def check_missing(root: Path, langs: list[str], problems: Problems) -> None:
    """Every content file has a counterpart in each other language: found from the file names alone, so
    it is reported even when the language with the gap cannot load (its brochure names a missing drug)."""
    reference = langs[0]
    for folder, ext in (("topics", "md"), ("drugs", "yaml")):
        slugs = {lang: {m["slug"] for p in (root / "handouts" / folder).glob(f"*.{lang}.{ext}")
                        if (m := CONTENT_FILE.match(p.name))} for lang in langs}
        for lang in langs[1:]:
            for slug in sorted(slugs[reference] - slugs[lang]):
                problems.add(root / "handouts" / folder / f"{slug}.{lang}.{ext}", None,
                             f"missing: handouts/{folder}/{slug}.{reference}.{ext} has no '{lang}' version", code="parity")
            for slug in sorted(slugs[lang] - slugs[reference]):
                problems.add(root / "handouts" / folder / f"{slug}.{lang}.{ext}", None,
                             f"no '{reference}' version of '{slug}': every language has the same handouts", code="parity")


def check_parity(libraries: dict[str, Library], problems: Problems) -> None:
    """Compare each handout with its version in the reference language (the first): review date, sources
    and, for drugs, the structured facts. Each problem names the translated file to fix."""
    reference_lang, reference = next(iter(libraries.items()))
    for lang, library in list(libraries.items())[1:]:
        _compare_emergency_lists(reference, library, problems)
        for original in reference.handouts:
            translated = library.topics.get(original.slug) or library.drugs.get(original.slug)
            if translated is not None:
                _compare(original, translated, problems)


def _compare_emergency_lists(reference: Library, translated: Library, problems: Problems) -> None:
    """Each language's emergency file has the same risks, citing the same sources."""
    if not reference.emergency and not translated.emergency:
        return
    path = translated.root / "handouts" / f"emergency.{translated.lang}.yaml"
    original = problems.display(reference.root / "handouts" / f"emergency.{reference.lang}.yaml")
    theirs, ours = reference.emergency, translated.emergency
    for risk_id in sorted(theirs.keys() - ours.keys()):
        problems.add(path, None, f"risk '{risk_id}' of {original} is missing", code="parity")
    for risk_id in sorted(ours.keys() - theirs.keys()):
        problems.add(path, None, f"risk '{risk_id}' is not in {original}", code="parity")
    for risk_id in sorted(theirs.keys() & ours.keys()):
        if set(theirs[risk_id].sources) != set(ours[risk_id].sources):
            problems.add(path, None, f"risk '{risk_id}' cites {', '.join(ours[risk_id].sources) or 'nothing'}, "
                         f"but {original} cites {', '.join(theirs[risk_id].sources) or 'nothing'}", code="parity")


def _compare(original: Handout, translated: Handout, problems: Problems) -> None:
    theirs, ours = original.review.reviewed_on, translated.review.reviewed_on
    if ours != theirs:
        state = "stale" if ours < theirs else "newer than the original"
        problems.add(translated.path, translated.lines.get("reviewed_on"),
                     f"{state}: reviewed_on is {ours.isoformat()}, but {problems.display(original.path)} "
                     f"was reviewed on {theirs.isoformat()}; bring the translation up to date and give it the "
                     "same date", code="parity")
    for what, theirs_fact, ours_fact in _facts(original, translated):
        if theirs_fact != ours_fact:
            problems.add(translated.path, None, f"{what} is {ours_fact}, but {problems.display(original.path)} "
                         f"says {theirs_fact}", code="parity")
    missing, extra = cited_sources(original) - cited_sources(translated), \
        cited_sources(translated) - cited_sources(original)
    if missing or extra:
        said = [f"does not cite {', '.join(sorted(missing))}" if missing else "",
                f"cites {', '.join(sorted(extra))} which the original does not" if extra else ""]
        problems.add(translated.path, None, f"sources differ from {problems.display(original.path)}: "
                     + "; ".join(s for s in said if s), code="parity")


def _risk_ids(handout: Handout) -> tuple[str, ...]:
    return tuple(risk.id for risk in handout.emergency.risks) if handout.emergency else ()


def _facts(original: Handout, translated: Handout):
    """The facts a translation must not change: the emergency risks a handout names; a drug's approval
    status and dates, its boxed warning and its trial figures. (Topics carry their other facts in prose;
    their sources are compared instead.)"""
    yield "emergency", ", ".join(_risk_ids(original)) or "none", ", ".join(_risk_ids(translated)) or "none"
    if not isinstance(original, Drug) or not isinstance(translated, Drug):
        return
    for region in ("us", "eu"):
        a, b = getattr(original, f"status_{region}"), getattr(translated, f"status_{region}")
        yield f"status.{region}.vitiligo", a.vitiligo, b.vitiligo
        yield f"status.{region}.as_of", a.as_of.isoformat(), b.as_of.isoformat()
    yield "boxed_warning.present", original.boxed_warning.present.value, translated.boxed_warning.present.value
    yield "the number of results", len(original.results), len(translated.results)
    # Trial names may be translated ("TRuE-V1 y TRuE-V2"); the week and the figures may not.
    for n, (a, b) in enumerate(zip(original.results, translated.results), start=1):
        for name in ("week", "this_drug_percent", "comparison_percent"):
            yield f"results[{n}].{name}", getattr(a, name), getattr(b, name)
