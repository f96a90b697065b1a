"""Content stage: the brand colours against the backgrounds the styles put them on (WCAG 2.x, AA)."""

from __future__ import annotations

import math
from dataclasses import dataclass

WHITE = "#ffffff"  # --paper in styles/variables.css

BODY_TEXT = 4.5  # WCAG 1.4.3 AA: text
LARGE_TEXT = 3.0  # WCAG 1.4.3 AA: 18 pt, or 14 pt bold; also 1.4.11 for graphics


@dataclass(frozen=True)
class Use:
    """A brand colour drawn on a background by the styles, and the contrast that use needs."""

    colour: str  # key in [colors]
    background: str
    background_hex: str
    minimum: float
    where: str


# Contrast is symmetric, so "primary on white" also covers white text on primary (table header cells,
# the brochure cover). Header cells are body-size text, hence 4.5. The accent is not used for body text.
USES = (
    Use("primary", "white", WHITE, BODY_TEXT, "headings, table header cells, the cover"),
    Use("accent", "white", WHITE, LARGE_TEXT, "large text and graphics"),
)


def relative_luminance(hex_colour: str) -> float:
    """WCAG relative luminance of an sRGB colour written #rrggbb."""
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def palette_problems(palette: dict[str, str]) -> list[tuple[str, str]]:
    """(colour key, message) for every use whose contrast is too low."""
    found = []
    for use in USES:
        colour = palette.get(use.colour)
        if colour and (shortfall := too_low(colour, use.background_hex, use.minimum)):
            found.append((use.colour, f"colour {use.colour} {colour} on {use.background} {use.background_hex} "
                                      f"{shortfall}"))
    return found


def too_low(colour: str, background: str, minimum: float) -> str | None:
    """"has contrast r:1; needs at least m:1" when `colour` on `background` falls short, else None."""
    ratio = contrast_ratio(colour, background)
    if ratio >= minimum:
        return None
    # Rounded down, so a ratio just under the minimum never prints as the minimum itself.
    shown = math.floor(ratio * 10) / 10
    return f"has contrast {shown:.1f}:1; needs at least {minimum:.1f}:1"
