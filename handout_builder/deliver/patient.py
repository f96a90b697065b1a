"""Deliver stage: the patient fields of a personalised copy, checked by one validator for the command
line, a CSV row and the app's forms. Messages name the field, never its value.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from ..editions import LARGE_PRINT, PAPERS, Edition, Variant

# Longer than this, a name or prescriber no longer fits on the "Prepared for" line.
MAX_NAME = 100
# About a third of a page in the plan box; a longer plan belongs in a letter, not on a handout.
MAX_PLAN = 1200
MAX_PASSWORD = 127  # AES-256 in PDF 2.0 uses at most 127 bytes of the password
# Control, surrogate, private-use and unassigned characters, and line/paragraph separators: none of them
# prints as text, and some can hide what the patient reads.
REFUSED_CATEGORIES = ("Cc", "Cs", "Co", "Cn", "Zl", "Zp")
# The bidirectional controls and isolates (format characters, so not in the categories above): invisible,
# they reorder the text around them, so "Use \u202e01\u202c pumps" prints "Use 10 pumps". Right-to-left
# letters need none of them: the bidi algorithm orders an Arabic or Hebrew name by itself.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Why a bidi control is refused, by field: a password is never printed, but PDF 2.0 passes it through
# SASLprep, which refuses these characters, so a reader could not open the copy.
BIDI_HARM = {"password": "which a PDF password may not hold (the copy might not open)"}
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
YES, NO = ("yes", "y", "true", "1"), ("no", "n", "false", "0", "")


@dataclass(frozen=True)
class Personal:
    """What is printed for one patient. Plain text: the template escapes it and keeps the plan's lines."""

    patient: str
    prescriber: str
    plan: str
    next_visit: date | None
    prepared_on: date  # today: the only place the clock is read
    # The education record's opaque id for this copy (the app's), printed small on the sheet; no patient
    # data goes into it or into the record.
    record_id: str = ""


@dataclass(frozen=True)
class Request:
    """One personalised PDF to make."""

    slug: str
    lang: str
    paper: str
    personal: Personal
    password: str | None = None
    variant: Variant = Variant()  # or large print

    @property
    def edition(self) -> Edition:
        return Edition(self.lang, self.paper, self.variant)

    @property
    def layout_key(self) -> tuple[str, Edition]:
        """What the handout behind the plan sheet depends on: one layout serves every such request."""
        return self.slug, self.edition


FIELDS = ("slug", "patient", "prescriber", "plan", "next_visit", "lang", "paper", "large_print", "password")


def check_request(values: dict[str, str | None], slugs_in: Callable[[str], set[str]], langs: tuple[str, ...],
                  today: date, report: Callable[[str, str], None]) -> Request | None:
    """Check one patient's fields (FIELDS); call `report(field, message)` for each problem and return None
    if any. `slugs_in(lang)` gives the handouts written in a language.

    Messages name the field, never its value: a message can end up in a log or a terminal scroll-back.
    """
    problems_seen: list[str] = []

    def problem(message: str, field: str) -> None:
        problems_seen.append(message)
        report(field, message)

    lang = (values.get("lang") or "").strip() or langs[0]
    if lang not in langs:
        problem(f"unknown language '{_shown(lang)}' (available: {', '.join(langs)})", "lang")
    slug = (values.get("slug") or "").strip()
    if not slug:
        problem("slug is empty: name a topic or drug handout", "slug")
    elif lang in langs and slug not in (known := slugs_in(lang)):
        problem(f"unknown handout '{_shown(slug)}' in '{lang}' (known: {', '.join(sorted(known))})", "slug")
    paper = (values.get("paper") or "").strip() or "letter"
    if paper not in PAPERS:
        problem(f"unknown paper '{_shown(paper)}' (known: {', '.join(PAPERS)})", "paper")
    large_print = (values.get("large_print") or "").strip().casefold()
    if large_print not in YES + NO:
        problem(f"large_print is '{_shown(large_print)}': write yes or no (or leave it empty)", "large_print")

    patient = _one_line(values.get("patient"), "patient", problem)
    if patient == "":
        problem("patient name is empty", "patient")
    prescriber = _one_line(values.get("prescriber"), "prescriber", problem)
    plan = (values.get("plan") or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    _check_characters(plan.replace("\n", ""), "plan", problem)
    if len(plan) > MAX_PLAN:
        problem(f"plan is {len(plan)} characters; at most {MAX_PLAN} fit in the plan box", "plan")

    next_visit = None
    text = (values.get("next_visit") or "").strip()
    if text:
        try:
            if not ISO_DATE.match(text):
                raise ValueError
            next_visit = date.fromisoformat(text)
        except ValueError:
            problem("next_visit is not a date written YYYY-MM-DD, e.g. 2025-06-30", "next_visit")
        else:
            if next_visit < today:
                problem("next_visit is in the past", "next_visit")

    password = values.get("password") or None
    if password is not None:
        _check_characters(password, "password", problem)
        if len(password.encode("utf-8")) > MAX_PASSWORD:
            problem(f"password is longer than {MAX_PASSWORD} bytes", "password")

    if problems_seen:
        return None
    return Request(slug, lang, paper, Personal(patient or "", prescriber or "", plan, next_visit, today), password,
                   Variant.of(LARGE_PRINT) if large_print in YES else Variant())


def _shown(value: str) -> str:
    """A user value quoted in a message: short and printable, so a stray field cannot flood a log."""
    value = "".join(c if c.isprintable() else "?" for c in value)
    return value if len(value) <= 40 else value[:40] + "..."


def _one_line(value: str | None, field: str, problem) -> str | None:
    """A name field: spaces collapsed (HTML collapses them anyway), no line breaks, short enough to fit."""
    value = value or ""
    if "\n" in value or "\r" in value:
        problem(f"{field} has a line break: write it on one line", field)
        return None
    if not _check_characters(value, field, problem):
        return None
    value = " ".join(value.split())
    if len(value) > MAX_NAME:
        problem(f"{field} is {len(value)} characters; at most {MAX_NAME} fit on the handout", field)
        return None
    return value


def _check_characters(value: str, field: str, problem) -> bool:
    for char in value:
        if char in BIDI_CONTROLS:
            harm = BIDI_HARM.get(field, "which can reorder what prints")
            problem(f"{field} contains the bidirectional control U+{ord(char):04X}, {harm}; remove it", field)
            return False
        if unicodedata.category(char) in REFUSED_CATEGORIES and char != " ":
            problem(f"{field} contains the non-printing character U+{ord(char):04X}; remove it", field)
            return False
    # Format characters (soft hyphen, zero-width joiner) are invisible: a name of only those prints blank.
    if value.strip() and not any(unicodedata.category(c)[0] in "LNPS" for c in value):
        problem(f"{field} has no visible character", field)
        return False
    return True
