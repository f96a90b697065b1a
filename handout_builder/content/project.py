"""Content stage: find the project folder (the one holding handouts/, templates/ and styles/), its
languages and its content files by name.

Kept apart from the parsers so that commands (and the no-change build) can find the project cheaply.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..editions import ALL_LANGUAGES, SOURCE_LANGUAGE
from ..problems import BuildFailed, Problem

PROJECT_FOLDERS = ("handouts", "templates", "styles")
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
# Far above any real handout (the largest is about 15 KB): a pasted book or a runaway file is refused
# before the parsers spend minutes on it (content/fields.py, and the no-change build's look at the brand file).
MAX_FILE_BYTES = 512 * 1024
CONTENT_FILE = re.compile(r"^(?P<slug>[^.]+)\.(?P<lang>[a-z]{2})\.(?P<ext>md|yaml)$")


def find_project(start: Path) -> Path:
    """The folder holding handouts/, templates/ and styles/: `start` or one of its parents."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if all((folder / name).is_dir() for name in PROJECT_FOLDERS):
            return folder
    raise BuildFailed([Problem("--project", None, f"no project folder found in {start} or above (one holding "
                               "handouts/, templates/ and styles/); run inside it or pass --project DIR",
                               "no-project", in_file=False)], "nothing was done")


def languages(root: Path) -> list[str]:
    """The languages the project's content files are written in, English (the reference) first."""
    found = {match["lang"] for folder in ("topics", "drugs")
             for path in sorted((root / "handouts" / folder).glob("*.*"))
             if (match := CONTENT_FILE.match(path.name))}
    return sorted(found, key=lambda lang: (lang != SOURCE_LANGUAGE, lang))


def catalog_path(root: Path, lang: str) -> Path:
    """The gettext catalog with a language's words for the templates (render/translation.py reads it)."""
    return root / "locales" / lang / "LC_MESSAGES" / "messages.po"


def chosen_languages(root: Path, lang: str) -> list[str]:
    """One language, or with "all" every language the project's content is written in."""
    return languages(root) if lang == ALL_LANGUAGES else [lang]


def content_file(name: str, ext: str) -> tuple[str, str] | None:
    """(slug, lang) of a content file named <slug>.<lang>.<ext>, or None when the name is not one."""
    match = CONTENT_FILE.match(name)
    if not match or match["ext"] != ext or not SLUG.match(match["slug"]):
        return None
    return match["slug"], match["lang"]
