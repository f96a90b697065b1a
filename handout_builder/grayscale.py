"""Grayscale proof stage: the brand colours mapped to greys that keep WCAG AA contrast on white paper."""

from __future__ import annotations

from dataclasses import replace

from .model import Clinic

# WCAG 2 AA for normal-size text; the brand colours carry headings, table headers and body-size text.
AA_CONTRAST = 4.5
WHITE = "#ffffff"


def _linear(channel: int) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(colour: str) -> float:
    """WCAG relative luminance of a "#rrggbb" colour."""
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _linear(r) + 0.7152 * _linear(g) + 0.0722 * _linear(b)


def contrast(a: str, b: str) -> float:
    lighter, darker = sorted((luminance(a), luminance(b)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def to_grey(colour: str) -> str:
    """The grey of the same luminance (so every contrast ratio stays as it was), darkened if needed
    until it reaches AA against white: a pale brand colour must not become unreadable grey text."""
    grey = max(range(256), key=lambda v: -abs(luminance(f"#{v:02x}{v:02x}{v:02x}") - luminance(colour)))
    while grey > 0 and contrast(f"#{grey:02x}{grey:02x}{grey:02x}", WHITE) < AA_CONTRAST:
        grey -= 1
    return f"#{grey:02x}{grey:02x}{grey:02x}"


def grayscale_clinic(clinic: Clinic) -> Clinic:
    """The clinic with its brand colours as greys, for offices that print in black and white."""
    return replace(clinic, primary=to_grey(clinic.primary), accent=to_grey(clinic.accent))
