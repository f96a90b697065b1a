"""Deliver stage: email: a short plain-text message with the handout attached, sent through the clinic's SMTP
server, or written as a standard .eml draft when no server is configured.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import urlsplit

import jinja2

from ..build.output import write_atomic
from ..model import Clinic, Handout, MailServer
from ..problems import BuildFailed, Problems
from ..render.translation import translations

DEFAULT_PASSWORD_ENV = "MAKE_HANDOUTS_SMTP_PASSWORD"
MESSAGE_TEMPLATE = "email.txt.j2"
MAIL_SERVER = "the mail server"  # where its problems are: it is not a file


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


def smtp_settings(clinic: Clinic, **options) -> SmtpSettings:
    """Options given on the command line win over the brand file's [smtp] table (checked by the content
    stage, with the rest of the brand file)."""
    table = clinic.smtp or MailServer()
    given = {k: v for k, v in options.items() if v is not None}

    def pick(name: str, default):
        value = given.get(name, getattr(table, name))
        return default if value is None else value

    return SmtpSettings(host=pick("host", None), port=pick("port", 587), starttls=pick("starttls", True),
                        user=pick("user", None), password_env=given.get("password_env", DEFAULT_PASSWORD_ENV),
                        sender=pick("sender", None), ca_file=pick("ca_file", None))


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
    # RFC 5322 requires Date; a Message-ID lets mail systems (and spam filters) tell messages apart. The
    # id is made for the sender's domain, never this computer's host name.
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=_domain(sender or clinic.email, clinic.website))
    message.set_content(body)
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename=f"{handout.slug}.pdf")
    return message


def write_draft(path: Path, message: EmailMessage) -> None:
    """An .eml file a mail client opens as an unsent message (X-Unsent), ready to check and send."""
    message["X-Unsent"] = "1"
    write_atomic(path, message.as_bytes())


def check_server(settings: SmtpSettings) -> None:
    """Open a session, start TLS and log in, then leave: a batch calls this before it renders anything,
    so a missing password, a refused login or a server that is down is reported first (BuildFailed)."""
    problems = Problems()
    try:
        with _session(settings, problems):
            pass
    except _NoSession:
        pass
    problems.raise_if_any("nothing was built or sent")


def send(settings: SmtpSettings, messages: Iterable[tuple[int, EmailMessage]], where: str,
         problems: Problems) -> list[int]:
    """Send every message in one SMTP session (STARTTLS first when asked, then login if a user is set).
    Returns the rows sent; a refused message is a problem of its row, a refused session of the run.
    Messages quote no address: rows are named by their line."""
    sent = []
    try:
        with _session(settings, problems) as server:
            for line, message in messages:
                try:
                    server.send_message(message)
                    sent.append(line)
                except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as error:
                    problems.add(where, line, f"the mail server refused the message (SMTP {_code(error)})",
                                 code="smtp")
    except _NoSession:
        pass
    return sent


class _NoSession(Exception):
    """The session could not start or broke off; its problem is already reported."""


@contextmanager
def _session(settings: SmtpSettings, problems: Problems) -> Iterator[smtplib.SMTP]:
    """An SMTP session, encrypted and logged in as the settings ask. Any failure of the server (down,
    refused, no STARTTLS or AUTH, a bad certificate) becomes one problem of the mail server, in words,
    and _NoSession."""
    password = os.environ.get(settings.password_env)
    if settings.user and not password:
        problems.about("--smtp-password-env", f"set the environment variable {settings.password_env} to the "
                       f"SMTP password of {settings.user}", code="smtp")
        raise _NoSession
    server_name = f"{settings.host}:{settings.port}"

    def unsupported(message: str) -> None:  # the server lacks what the settings need (STARTTLS, AUTH)
        problems.about(MAIL_SERVER, message, code="smtp")
        raise _NoSession

    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=30) as server:
            server.ehlo_or_helo_if_needed()
            if settings.starttls:
                if not server.has_extn("starttls"):
                    unsupported(
                        f"{server_name} does not offer STARTTLS, so the mail and the login would travel "
                        "unencrypted: ask whoever runs the server to turn STARTTLS on, or use the clinic's "
                        "server that has it; only for a server on this computer, turn encryption off with "
                        "--no-smtp-starttls or [smtp] starttls = false")
                server.starttls(context=ssl.create_default_context(
                    cafile=str(settings.ca_file) if settings.ca_file else None))
                server.ehlo()  # what the server offers once encrypted
            if settings.user:
                if not server.has_extn("auth"):
                    unsupported(
                        f"{server_name} does not accept a login (it offers no SMTP AUTH"
                        + (" after STARTTLS" if settings.starttls else "") + f"), so it cannot check "
                        f"{settings.user}'s password: remove the user (--smtp-user or [smtp] user) if the server "
                        "needs no login, or check the host and port")
                server.login(settings.user, password)
            yield server
    except ssl.SSLCertVerificationError as error:
        problems.about(MAIL_SERVER, f"the certificate of {settings.host} could not be verified "
                       f"({error.verify_message}); if the clinic's server has its own certificate, give it "
                       "with --smtp-ca-file or [smtp] ca_file", code="smtp")
        raise _NoSession from None
    except smtplib.SMTPAuthenticationError:
        problems.about(MAIL_SERVER, f"{settings.host} refused the login of {settings.user}", code="smtp")
        raise _NoSession from None
    except (smtplib.SMTPException, OSError) as error:
        # SMTPException is an OSError without a strerror: its text is the message itself.
        reason = (error.strerror if isinstance(error, OSError) else None) or str(error) or "no answer"
        problems.about(MAIL_SERVER, f"could not send through {server_name}: {type(error).__name__}: {reason}",
                       code="smtp")
        raise _NoSession from None



def _domain(address: str, website: str) -> str:
    """The domain a Message-ID is made for: the sender's address's, else the clinic's website's."""
    return address.rpartition("@")[2] or urlsplit(website).hostname or "localhost"


def _code(error: smtplib.SMTPException) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return ", ".join(str(code) for code, _ in error.recipients.values())
    return str(getattr(error, "smtp_code", "error"))
