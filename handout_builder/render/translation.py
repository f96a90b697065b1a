"""Render stage: the templates' fixed strings from gettext catalogs, and dates in the reader's language.

The catalogs are the project's locales/<lang>/LC_MESSAGES/messages.po (extracted from templates/ with
`pybabel extract -F babel.cfg`). They are compiled in memory when loaded, so there is no build step and
no generated .mo file to commit or to forget to refresh. English is the templates' source language.
"""

from __future__ import annotations

import io
from datetime import date
from functools import cache
from pathlib import Path

from babel.dates import format_date, format_skeleton
from babel.support import NullTranslations, Translations

from ..content.project import catalog_path
from ..editions import SOURCE_LANGUAGE
from ..problems import Problems


def translations(root: Path, lang: str, problems: Problems) -> NullTranslations:
    """The catalog for `lang`; a missing one is a problem (a Spanish edition with English headings is
    worse than none). English needs none."""
    if lang == SOURCE_LANGUAGE:
        return NullTranslations()
    path = catalog_path(root, lang)
    if not path.is_file():
        problems.add(path, None, f"no translation catalog for '{lang}': the templates' headings and labels "
                     "cannot be translated", code="translation")
        return NullTranslations()
    from ..content.fields import read_text

    text = read_text(path, problems, "translation catalog")  # size-limited UTF-8, as every content file
    if text is None:
        return NullTranslations()
    return _compiled(path, text, problems)


@cache
def _load(text: str) -> tuple[Translations, tuple[tuple[int | None, str], ...]]:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    catalog = read_po(io.StringIO(text))
    untranslated = tuple((message.lineno, message.id) for message in catalog
                         if message.id and (not message.string or message.fuzzy))
    compiled = io.BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries are left out, as msgfmt does
    compiled.seek(0)
    return Translations(compiled), untranslated


def _compiled(path: Path, text: str, problems: Problems) -> Translations:
    compiled, untranslated = _load(text)
    for line, message_id in untranslated:
        # An untranslated string would print in English in the middle of a Spanish handout.
        shown = message_id if isinstance(message_id, str) else message_id[0]
        problems.add(path, line, f"untranslated (or fuzzy) string: {shown!r}", code="translation")
    return compiled


def or_list(items, lang: str = SOURCE_LANGUAGE) -> str:
    """"a heart attack, a stroke or a blood clot"; in Spanish "... o ...", "u" before an o sound."""
    items = [str(item) for item in items]
    if len(items) < 2:
        return "".join(items)
    word = "or"
    if lang == "es":
        word = "u" if items[-1].lower().lstrip("h").startswith("o") else "o"
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


def month_year(value: date, lang: str = SOURCE_LANGUAGE) -> str:
    """"November 2026", "noviembre de 2026"."""
    return format_skeleton("yMMMM", value, locale=lang)


def long_date(value: date, lang: str = SOURCE_LANGUAGE) -> str:
    """"November 22, 2026", "22 de noviembre de 2026"."""
    return format_date(value, format="long", locale=lang)
