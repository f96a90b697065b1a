"""Mail stage: a short plain-text message with the handout attached, sent through the clinic's SMTP
server, or written as a standard .eml draft when no server is configured.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import tomllib
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import jinja2

from .model import Clinic, Handout
from .output import write_atomic
from .problems import Problems
from .translation import translations

DEFAULT_PASSWORD_ENV = "MAKE_HANDOUTS_SMTP_PASSWORD"
MESSAGE_TEMPLATE = "email.txt.j2"
SMTP_KEYS = ("host", "port", "starttls", "user", "from", "ca_file")


@dataclass(frozen=True)
class SmtpSettings:
    """Where to send. The password is never stored: it is read from the environment variable named here."""

    host: str | None = None
    port: int = 587
    starttls: bool = True
    user: str | None = None
    password_env: str = DEFAULT_PASSWORD_ENV
    sender: str | None = None  # default: the clinic's email
    # The certificate(s) to trust for STARTTLS instead of the system's authorities: for a clinic server
    # with its own (or a self-signed) certificate. Verification itself is never turned off.
    ca_file: Path | None = None


def read_smtp_table(brand_file: Path, problems: Problems) -> dict:
    """The brand file's optional [smtp] table (host, port, starttls, user, from, ca_file), checked."""
    try:
        table = tomllib.loads(brand_file.read_text(encoding="utf-8")).get("smtp", {})
    except (OSError, tomllib.TOMLDecodeError):
        return {}  # the brand stage reports an unreadable brand file
    for key in table:
        if key not in SMTP_KEYS:
            problems.add(brand_file, None, f"[smtp] unknown key '{key}' (known: {', '.join(SMTP_KEYS)}); "
                         "the password is never kept in the brand file: it comes from an environment "
                         "variable")
    if "port" in table and not isinstance(table["port"], int):
        problems.add(brand_file, None, "[smtp] port must be a number, e.g. 587")
    if "starttls" in table and not isinstance(table["starttls"], bool):
        problems.add(brand_file, None, "[smtp] starttls must be true or false")
    if "ca_file" in table:
        ca_file = brand_file.parent / str(table["ca_file"])  # like every path in the brand file
        if not ca_file.is_file():
            problems.add(brand_file, None, f"[smtp] ca_file: no file {ca_file}")
        table["ca_file"] = ca_file
    return table


def smtp_settings(brand_file: Path, problems: Problems, **options) -> SmtpSettings:
    """Options given on the command line win over the brand file's [smtp] table."""
    table = read_smtp_table(brand_file, problems)
    given = {k: v for k, v in options.items() if v is not None}
    return SmtpSettings(host=given.get("host", table.get("host")), port=given.get("port", table.get("port", 587)),
                        starttls=given.get("starttls", table.get("starttls", True)),
                        user=given.get("user", table.get("user")),
                        password_env=given.get("password_env", DEFAULT_PASSWORD_ENV),
                        sender=given.get("sender", table.get("from")),
                        ca_file=given.get("ca_file", table.get("ca_file")))


def compose(root: Path, clinic: Clinic, handout: Handout, prescriber: str, to: str, sender: str | None,
            pdf: bytes, encrypted: bool, lang: str = "en") -> EmailMessage:
    """The message for one patient, in the handout's language. Its text and the attachment's name carry
    no patient name."""
    # A plain-text template: HTML escaping would print &#39; for an apostrophe. Only the clinic's and
    # prescriber's names and the handout title go in; header values are set here, not by the template.
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(root / "templates"), autoescape=False,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.i18n"])
    problems = Problems(root)
    env.install_gettext_translations(translations(root, lang, problems), newstyle=True)
    problems.raise_if_any()  # a missing catalog already stopped the PDF in this language
    subject, body = env.get_template(MESSAGE_TEMPLATE).render(
        clinic=clinic, handout=handout, prescriber=prescriber, encrypted=encrypted).split("\n", 1)
    message = EmailMessage(policy=SMTP)
    message["From"] = sender or clinic.email
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename=f"{handout.slug}.pdf")
    return message


def write_draft(path: Path, message: EmailMessage) -> None:
    """An .eml file a mail client opens as an unsent message (X-Unsent), ready to check and send."""
    message["X-Unsent"] = "1"
    write_atomic(path, message.as_bytes())


def send(settings: SmtpSettings, messages: list[tuple[int, EmailMessage]], where: str,
         problems: Problems) -> list[int]:
    """Send every message in one SMTP session (STARTTLS first when asked, then login if a user is set).
    Returns the rows sent; a refused message is a problem of its row, a refused session of the run.
    Messages quote no address: rows are named by their line."""
    password = os.environ.get(settings.password_env)
    if settings.user and not password:
        problems.add("smtp", None, f"set the environment variable {settings.password_env} to the SMTP "
                     f"password of {settings.user}")
        return []
    sent = []
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=30) as server:
            if settings.starttls:
                server.starttls(context=ssl.create_default_context(
                    cafile=str(settings.ca_file) if settings.ca_file else None))
            if settings.user:
                server.login(settings.user, password)
            for line, message in messages:
                try:
                    server.send_message(message)
                    sent.append(line)
                except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as error:
                    problems.add(where, line, f"the mail server refused the message (SMTP {_code(error)})")
    except ssl.SSLCertVerificationError as error:
        problems.add("smtp", None, f"the certificate of {settings.host} could not be verified "
                     f"({error.verify_message}); if the clinic's server has its own certificate, give it "
                     "with --smtp-ca-file or [smtp] ca_file")
    except smtplib.SMTPAuthenticationError:
        problems.add("smtp", None, f"the mail server {settings.host} refused the login of {settings.user}")
    except (smtplib.SMTPException, OSError) as error:
        problems.add("smtp", None, f"could not send through {settings.host}:{settings.port}: "
                     f"{type(error).__name__}: {error.strerror if isinstance(error, OSError) else error}")
    return sent


def _code(error: smtplib.SMTPException) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return ", ".join(str(code) for code, _ in error.recipients.values())
    return str(getattr(error, "smtp_code", "error"))
