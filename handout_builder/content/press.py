"""Content stage: the print shop's colour profile (the brand file's [print] table): whether a file is a
press profile, and colours converted through it by littleCMS (Pillow's ImageCms).

How a colour written for the screen (sRGB) becomes the press's CMYK:
- a grey (red = green = blue) prints in black ink alone, as dark between the press's paper and its
  darkest black as it is between white and black on screen (L*, black point compensation): text never
  prints in four inks that must register;
- any other colour goes through the profile, relative colorimetric with black point compensation;
- a CMYK colour is shown on screen (to check its contrast) through the profile, relative colorimetric.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from ..model import CMYK
from .contrast import relative_luminance

ICC_HEADER = 128  # bytes; the signature "acsp" is at 36, the device class at 12, the colour space at 16


def profile_problem(path: Path) -> str | None:
    """Why `path` is not a press profile (an ICC output profile for CMYK), or None when it is one."""
    try:
        header = path.read_bytes()[:ICC_HEADER]
    except OSError as error:
        return f"cannot be read ({error.strerror})"
    if len(header) < ICC_HEADER or header[36:40] != b"acsp":
        return "is not an ICC colour profile"
    device_class, space = header[12:16].decode("latin-1"), header[16:20].decode("latin-1").strip()
    if device_class != "prtr":
        kinds = {"mntr": "a display", "scnr": "a scanner", "spac": "a colour space", "link": "a device link",
                 "abst": "an abstract", "nmcl": "a named colour"}
        return (f"is {kinds.get(device_class, f'a {device_class!r}')} profile, not an output (printer) profile: "
                "ask the print shop for its press profile")
    if space != "CMYK":
        return f"is a profile for {space} output, not CMYK: ask the print shop for its CMYK press profile"
    from PIL import ImageCms

    try:
        ImageCms.getOpenProfile(str(path))
    except (ImageCms.PyCMSError, OSError) as error:
        return f"cannot be read by littleCMS ({error})"
    return None


def profile_name(path: Path) -> str:
    """The profile's own description, e.g. "Coated FOGRA39 (ISO 12647-2:2004)"."""
    from PIL import ImageCms

    profile = ImageCms.getOpenProfile(str(path)).profile
    return (profile.model or profile.profile_description or path.name).strip()


def css_cmyk(cmyk: CMYK, alpha: float = 1) -> str:
    """A CMYK colour as CSS writes it (and WeasyPrint reads it, in CSS and SVG): device-cmyk(c m y k)."""
    channels = " ".join(f"{round(value, 3):g}" for value in cmyk)
    return f"device-cmyk({channels})" if alpha >= 1 else f"device-cmyk({channels} / {round(alpha, 3):g})"


class PressColours:
    """Colours through one press profile (see the module's docstring)."""

    def __init__(self, profile: Path):
        from PIL import ImageCms

        self.profile = profile
        press = ImageCms.getOpenProfile(str(profile))
        srgb, lab = ImageCms.createProfile("sRGB"), ImageCms.createProfile("LAB")
        relative = ImageCms.Intent.RELATIVE_COLORIMETRIC
        self._to_press = ImageCms.buildTransform(srgb, press, "RGB", "CMYK", relative,
                                                 flags=ImageCms.Flags.BLACKPOINTCOMPENSATION)
        self._to_screen = ImageCms.buildTransform(press, srgb, "CMYK", "RGB", relative)
        # L* of black ink alone, from none (the paper) to full, in 256 steps: greys print on this ramp.
        ramp = self._pixels([(0, 0, 0, k) for k in range(256)], ImageCms.buildTransform(
            press, lab, "CMYK", "LAB", relative))
        self._black_ramp = [l_star * 100 / 255 for l_star, _, _ in ramp]

    @staticmethod
    def _pixels(values: list[tuple], transform) -> list[tuple]:
        from PIL import Image

        picture = Image.new(transform.input_mode, (len(values), 1))
        for x, value in enumerate(values):
            picture.putpixel((x, 0), value)
        converted = transform.apply(picture)
        return [converted.getpixel((x, 0)) for x in range(len(values))]

    def cmyk(self, hex_colour: str) -> CMYK:
        """An sRGB colour (#rrggbb) in the press's inks, each from 0 to 1."""
        red, green, blue = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
        if red == green == blue:
            return (0.0, 0.0, 0.0, self._black_for(_l_star(hex_colour)))
        [inks] = self._pixels([(red, green, blue)], self._to_press)
        return tuple(value / 255 for value in inks)

    def _black_for(self, l_star: float) -> float:
        """The black ink whose L* sits where `l_star` sits between white (100) and black (0)."""
        paper, darkest = self._black_ramp[0], self._black_ramp[-1]
        target = darkest + (paper - darkest) * l_star / 100
        for k in range(1, 256):
            lighter, darker = self._black_ramp[k - 1], self._black_ramp[k]
            if darker <= target:
                share = (lighter - target) / (lighter - darker) if lighter > darker else 1.0
                return round((k - 1 + share) / 255, 3)
        return 1.0

    def screen(self, cmyk: CMYK) -> str:
        """A CMYK colour as it prints, shown in sRGB (#rrggbb): the paper is white."""
        [rgb] = self._pixels([tuple(round(v * 255) for v in cmyk)], self._to_screen)
        return "#" + "".join(f"{v:02x}" for v in rgb)

    def image(self, picture):
        """An RGB picture (Pillow) in the press's inks: a CMYK picture."""
        from PIL import ImageCms

        return ImageCms.applyTransform(picture.convert("RGB"), self._to_press)


@cache
def press_colours(profile: Path) -> PressColours:
    """One converter per profile and process: building littleCMS's transforms takes a few milliseconds."""
    return PressColours(profile)


def _l_star(hex_colour: str) -> float:
    """CIE L* of an sRGB colour (D65), from its relative luminance."""
    y = relative_luminance(hex_colour)
    return 116 * (y ** (1 / 3) if y > 216 / 24389 else (24389 / 27 * y + 16) / 116) - 16
