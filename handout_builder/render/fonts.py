"""Render stage: where the shipped font's files are (Atkinson Hyperlegible, from its PyPI package) and
its @font-face data for the templates. Found without importing the package, so the no-change build can
hash the font files cheaply."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

FONT_PACKAGE = "fontpkg_atkinson_hyperlegible"
FONT_FAMILY = "Atkinson Hyperlegible"


@cache
def font_dir() -> Path | None:
    """The folder of the font's .ttf files; None if the package is not installed."""
    spec = importlib.util.find_spec(FONT_PACKAGE)
    return Path(spec.origin).parent / "files" if spec and spec.origin else None


def font_faces() -> list[dict]:
    """@font-face data for the shipped font, one face per file."""
    faces = []
    folder = font_dir()
    for path in sorted(folder.glob("*.ttf")) if folder else []:
        style = path.stem.split("-")[-1]
        faces.append(dict(family=FONT_FAMILY, uri=path.as_uri(),
                          weight="bold" if "Bold" in style else "normal",
                          style="italic" if "Italic" in style else "normal"))
    return faces
