"""Content stage: read and check the brand file (clinic identity, colours, logo, brochure order, mail
server)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from ..model import BrochurePlan, Clinic, MailServer
from ..problems import Problems
from .contrast import palette_problems
from .fields import Fields, read_text, toml_lines

COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
WEBSITE = re.compile(r"^https?://[^\s/$.?#][^\s]*$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LOGO_TYPES = (".svg", ".png")
TABLES = ("clinic", "colors", "brochure", "smtp")


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
    smtp = table("smtp", required=False)

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
                  smtp=_mail_server(smtp, path) if smtp is not None else None), \
        table("brochure", required=False)


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
    value = clinic.text("logo")
    if not value:
        return Path()
    folder = brand_file.resolve().parent
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", value) or value.startswith(("/", "\\")):
        clinic.report("logo", f"logo {value!r} is refused: give a file path relative to the brand file")
        return Path()
    target = (folder / value).resolve()
    if not target.is_relative_to(folder):
        clinic.report("logo", f"logo {value!r} is refused: it is outside the brand file's folder")
    elif target.suffix.lower() not in LOGO_TYPES:
        clinic.report("logo", f"logo {value!r} must be an SVG or PNG file")
    elif not target.is_file():
        clinic.report("logo", f"logo file not found: {value}", code="missing-file")
    return target


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
