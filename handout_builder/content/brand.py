"""Content stage: read and check the brand file (clinic identity, colours, logo, brochure order, mail
server, the print shop's colour profile)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from ..model import CMYK, BrochurePlan, Clinic, MailServer, Press
from ..problems import Problems
from .contrast import USES, palette_problems, too_low
from .fields import Fields, read_text, toml_lines

COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
WEBSITE = re.compile(r"^https?://[^\s/$.?#][^\s]*$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LOGO_TYPES = (".svg", ".png")
PROFILE_TYPES = (".icc", ".icm")
TABLES = ("clinic", "colors", "brochure", "smtp", "print")


def read_brand_file(path: Path, problems: Problems, within: Path | None = None
                    ) -> tuple[Clinic | None, Fields | None]:
    """Read the clinic and colours; return the brochure table's reader too (it may be absent). `within`:
    the folder the file must really be in (the project's brand file is not a link to one elsewhere)."""
    text = read_text(path, problems, "brand file", within)
    if text is None:
        return None, None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"\(at line (\d+)", str(error))
        message = re.sub(r" \(at line .*", "", str(error))
        problems.add(path, int(match[1]) if match else None, f"invalid TOML: {message}", code="toml")
        return None, None
    lines = toml_lines(text)

    def table(name: str, required: bool = True) -> Fields | None:
        if name not in data:
            if required:
                problems.add(path, None, f"missing table [{name}]", code="schema")
            return None
        return Fields(data[name], path, problems, name, line=lines.get((name, "")),
                      lines={k: n for (t, k), n in lines.items() if t == name and k})

    for name in data:
        if name not in TABLES:
            problems.add(path, lines.get((name, "")) or lines.get(("", name)),
                         f"unknown table [{name}] (known: {', '.join(f'[{t}]' for t in TABLES)})", code="schema")
    clinic, colors = table("clinic"), table("colors")
    if clinic is None or colors is None:
        return None, table("brochure", required=False)
    smtp, press = table("smtp", required=False), table("print", required=False)

    name, phone = clinic.text("name"), clinic.text("phone")
    website, address, email = clinic.text("website"), clinic.text("address"), clinic.text("email")
    if website and not WEBSITE.match(website):
        clinic.report("website", f"website must be a web address starting with https://, found {website!r}")
    if email and not EMAIL.match(email):
        clinic.report("email", f"email is not an email address: {email!r}")
    logo = _logo(clinic, path)
    clinic.done()
    palette = {}
    for key in ("primary", "accent"):
        value = colors.text(key)
        if value and not COLOR.match(value):
            colors.report(key, f"colour '{key}' must be written #rrggbb, found {value!r}")
        palette[key] = value.lower()
    colors.done()
    valid = {key: value for key, value in palette.items() if COLOR.match(value)}
    for key, message in palette_problems(valid):
        colors.report(key, message, code="contrast")
    return Clinic(name=name, phone=phone, website=website, address=address, email=email, logo=logo,
                  primary=palette["primary"], accent=palette["accent"], brand_file=path.resolve(),
                  smtp=_mail_server(smtp, path) if smtp is not None else None,
                  press=_press(press, path, valid) if press is not None else None), \
        table("brochure", required=False)


def _press(table: Fields, brand_file: Path, palette: dict[str, str]) -> Press | None:
    """The optional [print] table: the print shop's press profile, and the brand colours in its inks
    ([c, m, y, k] in percent), or converted from [colors] through the profile. Each print colour must
    keep its contrast as it prints."""
    from .press import press_colours, profile_problem

    profile = _brand_file_path(table, "profile", brand_file, PROFILE_TYPES, "an ICC profile (.icc or .icm)")
    inks = {key: _cmyk(table, key) for key in ("primary", "accent")}
    table.done()
    if profile is None:
        return None
    if problem := profile_problem(profile):
        table.report("profile", f"profile {profile.name} {problem}", code="print-profile")
        return None
    press = press_colours(profile)
    for use in USES:
        given = inks[use.colour]
        if given is None and use.colour not in palette:
            continue
        printed = press.screen(given if given is not None else press.cmyk(palette[use.colour]))
        if shortfall := too_low(printed, use.background_hex, use.minimum):
            what = (f"[{', '.join(f'{round(v * 100):g}' for v in given)}]" if given is not None
                    else f"{palette[use.colour]} (converted through {profile.name}; give it in CMYK here)")
            table.report(use.colour if given is not None else "profile",
                         f"colour {use.colour} {what} prints as {printed}: on {use.background} "
                         f"{use.background_hex} it {shortfall}", code="contrast")
    return Press(profile=profile, primary=inks["primary"], accent=inks["accent"])


def _cmyk(table: Fields, key: str) -> CMYK | None:
    """An optional colour in the press's inks: [cyan, magenta, yellow, black], each a percentage."""
    value = table.data.get(key)
    table.read.add(key)
    if value is None:
        return None
    if not (isinstance(value, list) and len(value) == 4
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 100 for v in value)):
        table.report(key, f"'{key}' must be the colour in the press's inks, [cyan, magenta, yellow, black], "
                     f"each a percentage from 0 to 100 (e.g. [100, 70, 0, 20]); found {value!r}")
        return None
    return tuple(v / 100 for v in value)


def _mail_server(smtp: Fields, brand_file: Path) -> MailServer:
    """The optional [smtp] table: where the clinic's mail goes out. The password is never kept here."""
    host = smtp.text("host", required=False) or None
    port = smtp.integer("port", required=False)
    if port is not None and not 1 <= port <= 65535:
        smtp.report("port", f"port must be from 1 to 65535, found {port}")
        port = None
    starttls = smtp.boolean("starttls", required=False) if "starttls" in smtp.data else None
    user = smtp.text("user", required=False) or None
    sender = smtp.text("from", required=False) or None
    if sender and not EMAIL.match(sender):
        smtp.report("from", f"from is not an email address: {sender!r}")
    ca_file = None
    if value := smtp.text("ca_file", required=False):
        ca_file = brand_file.parent / value  # like every path in the brand file
        if not ca_file.is_file():
            smtp.report("ca_file", f"ca_file: no file {value} beside the brand file", code="missing-file")
    for key in smtp.data:
        if key not in smtp.read:
            smtp.report(key, f"unknown field '{key}' in 'smtp' (known fields: ca_file, from, host, port, "
                        "starttls, user); the password is never kept in the brand file: it comes from an "
                        "environment variable")
    return MailServer(host=host, port=port, starttls=starttls, user=user, sender=sender, ca_file=ca_file)


def _logo(clinic: Fields, brand_file: Path) -> Path:
    """The logo must be an SVG or PNG file beside the brand file (or below it): nothing else is read."""
    return _brand_file_path(clinic, "logo", brand_file, LOGO_TYPES, "an SVG or PNG file") or Path()


def _brand_file_path(fields: Fields, key: str, brand_file: Path, suffixes: tuple[str, ...],
                     kind: str) -> Path | None:
    """A file the brand file names (the logo, the press profile): a path relative to the brand file,
    inside its folder (nothing else is read), with one of `suffixes`; None (reported) when it is not."""
    value = fields.text(key)
    if not value:
        return None
    folder = brand_file.resolve().parent
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", value) or value.startswith(("/", "\\")):
        fields.report(key, f"{key} {value!r} is refused: give a file path relative to the brand file")
        return None
    target = (folder / value).resolve()
    if not target.is_relative_to(folder):
        fields.report(key, f"{key} {value!r} is refused: it is outside the brand file's folder")
    elif target.suffix.lower() not in suffixes:
        fields.report(key, f"{key} {value!r} must be {kind}")
    elif not target.is_file():
        fields.report(key, f"{key} file not found: {value}", code="missing-file")
    else:
        return target
    return None


def read_brochure_plan(table: Fields, clinic_name: str, lang: str = "en") -> BrochurePlan:
    """The brochure's order; its title and subtitle in `lang` come from a [brochure.<lang>] table when
    the language is not English (the order is the same in every language)."""
    title = table.text("title")
    subtitle = table.text("subtitle", required=False)
    for key, value in table.data.items():
        if re.match(r"^[a-z]{2}$", str(key)) and isinstance(value, dict) and key != lang:
            table.read.add(key)  # another language's title: not this edition's business
    if lang != "en":
        translated = table.table(lang)
        title = translated.text("title")
        subtitle = translated.text("subtitle", required=False)
        translated.done()
    topics = table.texts("topics")
    drugs = table.texts("drugs")
    table.done()
    return BrochurePlan(title=title, subtitle=subtitle or clinic_name,
                        topics=tuple(t for t, _ in topics), drugs=tuple(d for d, _ in drugs))
