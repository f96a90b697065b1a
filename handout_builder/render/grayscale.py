"""Render stage: the grayscale proof's brand colours, mapped to greys that keep WCAG AA contrast on white
paper."""

from __future__ import annotations

from dataclasses import replace

from ..content.contrast import BODY_TEXT, WHITE, contrast_ratio, relative_luminance
from ..model import Clinic


def to_grey(colour: str) -> str:
    """The grey of the same luminance (so every contrast ratio stays as it was), darkened if needed
    until it reaches AA against white: a pale brand colour must not become unreadable grey text."""
    target = relative_luminance(colour)
    grey = min(range(256), key=lambda v: abs(relative_luminance(f"#{v:02x}{v:02x}{v:02x}") - target))
    while grey > 0 and contrast_ratio(f"#{grey:02x}{grey:02x}{grey:02x}", WHITE) < BODY_TEXT:
        grey -= 1
    return f"#{grey:02x}{grey:02x}{grey:02x}"


def grayscale_clinic(clinic: Clinic) -> Clinic:
    """The clinic with its brand colours as greys, for offices that print in black and white."""
    return replace(clinic, primary=to_grey(clinic.primary), accent=to_grey(clinic.accent))
