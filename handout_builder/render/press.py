"""Render stage: the colours an edition draws with, and the print-shop edition's in the press's CMYK.

Every colour of a handout or the brochure comes from one of: the styles' colour variables (custom
properties such as --ink, written #rrggbb in styles/), the brand colours, the drawings in the templates
(which take their colours from the same variables: `colours.ink`, `colours.paper`), the logo and the QR
code. The print-shop edition writes each of them as device-cmyk(), converted through the print shop's
profile (content/press.py says how; the brand file may give its colours in CMYK itself), and names the
profile in an @color-profile rule, from which WeasyPrint writes the PDF/X OutputIntent. Raster images are
converted in the PDF (pdf/press.py): a PNG cannot hold CMYK.
"""

from __future__ import annotations

import base64
import re
from dataclasses import replace
from pathlib import Path

from ..content.press import css_cmyk, press_colours
from ..model import Clinic, Press

# A colour variable as the styles write it: `--ink: #1a1a1a;`.
COLOUR_VARIABLE = re.compile(r"--([a-z][a-z0-9-]*)\s*:\s*(#[0-9a-fA-F]{6})\s*[;}]")
# Where an SVG names a colour: as an attribute (fill="#fff") or a CSS declaration (style="fill: red").
SVG_PAINTS = r"fill|stroke|stop-color|flood-color|lighting-color|color"
SVG_ATTRIBUTE = re.compile(rf"(?<![\w-])({SVG_PAINTS})(\s*=\s*)([\"'])(.*?)\3")
SVG_DECLARATION = re.compile(rf"(?<![\w-])({SVG_PAINTS})(\s*:\s*)([^;\"'{{}}<>]+)")
SVG_ROOT = re.compile(r"<svg\b[^>]*>")


def style_colours(stylesheets: list[Path]) -> dict[str, str]:
    """The colour variables the stylesheets set (name without "--" -> #rrggbb), the later sheets winning,
    as in the cascade."""
    colours: dict[str, str] = {}
    for path in stylesheets:
        colours.update((name, value.lower()) for name, value in COLOUR_VARIABLE.findall(path.read_text()))
    return colours


class PressEdition:
    """What the print-shop edition draws with: every colour in the press's CMYK, through its profile."""

    def __init__(self, press: Press):
        self.press = press
        self.converter = press_colours(press.profile)
        self.profile_uri = press.profile.as_uri()

    def colour(self, hex_colour: str) -> str:
        return css_cmyk(self.converter.cmyk(hex_colour))

    def variables(self, colours: dict[str, str]) -> dict[str, str]:
        return {name: self.colour(value) for name, value in colours.items()}

    def clinic(self, clinic: Clinic, grayscale: bool = False) -> Clinic:
        """The clinic with its brand colours as the press prints them: as the brand file's [print] gives
        them, or converted (always converted in grayscale, which has made them greys)."""
        def ink(given, hex_colour: str) -> str:
            return css_cmyk(given) if given is not None and not grayscale else self.colour(hex_colour)

        return replace(clinic, primary=ink(self.press.primary, clinic.primary),
                       accent=ink(self.press.accent, clinic.accent))

    def svg(self, text: str) -> str:
        """An SVG with every colour it names in the press's CMYK; what it paints without naming a colour
        (SVG's default fill is black) in black ink."""
        def paint(value: str) -> str:
            from tinycss2.color5 import parse_color

            color = parse_color(value.strip())
            if color is None or isinstance(color, str) or color.space == "device-cmyk":
                return value  # none, url(#pattern), currentColor, or already CMYK
            red, green, blue = (round(max(0.0, min(1.0, c)) * 255) for c in color.to("srgb").coordinates)
            cmyk = css_cmyk(self.converter.cmyk(f"#{red:02x}{green:02x}{blue:02x}"), color.alpha)
            return value[:len(value) - len(value.lstrip())] + cmyk + value[len(value.rstrip()):]

        text = SVG_ATTRIBUTE.sub(lambda m: m[1] + m[2] + m[3] + paint(m[4]) + m[3], text)
        text = SVG_DECLARATION.sub(lambda m: m[1] + m[2] + paint(m[3]), text)
        root = SVG_ROOT.search(text)
        if root and not re.search(r"\sfill\s*=", root[0]):
            at = root.start() + len("<svg")
            text = text[:at] + f' fill="{self.colour("#000000")}"' + text[at:]
        return text

    def logo_src(self, logo: Path) -> str:
        """The logo as the press edition shows it: an SVG logo converted, inline (data: URL); a raster
        logo as it is (its pixels are converted in the PDF)."""
        if logo.suffix.lower() != ".svg":
            return logo.as_uri()
        svg = self.svg(logo.read_text(encoding="utf-8"))
        return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
