"""Web stage: the app's words in each user's language, from the project's gettext catalogs (the same
locales/<lang>/LC_MESSAGES/messages.po the handouts use, loaded by render/translation.py).

Templates call _() and the app's Python code calls `_` from here; both look up the language of the request
(the signed-in user's choice, or before sign-in the browser's).
"""

from __future__ import annotations

from flask import g, has_request_context

from ..editions import LANGUAGES, SOURCE_LANGUAGE
from ..problems import Problems
from ..render.translation import translations


def catalogs(root) -> dict:
    """Every language's catalog, loaded once; BuildFailed-style problems (an untranslated string) are the
    build's to report: the app shows what it has."""
    return {lang: translations(root, lang, Problems(root)) for lang in LANGUAGES}


def _translations():
    if not has_request_context() or "translations" not in g:
        return None
    return g.translations


def raw_gettext(message: str) -> str:
    """The translation, unformatted (Jinja's i18n extension formats it)."""
    found = _translations()
    return found.gettext(message) if found is not None else message


def raw_ngettext(singular: str, plural: str, n: int) -> str:
    found = _translations()
    if found is not None:
        return found.ngettext(singular, plural, n)
    return singular if n == 1 else plural


def gettext(message: str, **values) -> str:
    text = raw_gettext(message)
    return text % values if values else text


def ngettext(singular: str, plural: str, n: int, **values) -> str:
    return raw_ngettext(singular, plural, n) % {"num": n, **values}


_ = gettext


def best_language(accept_languages, chosen: str | None = None) -> str:
    if chosen in LANGUAGES:
        return chosen
    return accept_languages.best_match(LANGUAGES) or SOURCE_LANGUAGE
