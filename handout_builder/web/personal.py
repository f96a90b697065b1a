"""Web stage: the clinician's page: one patient's copy of a handout (their name, plan and next visit on a
plan sheet in front of it), previewed, downloaded encrypted, emailed or printed.

The patient's fields arrive in the POST body, are checked by patient.check_request, go to a render worker
and come back inside the PDF, which is streamed from memory: they are never put in a URL, a cookie, the
session, a log line, a file, a cache, the audit log or the education record. Every response is no-store
(app.py).
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import date

from flask import Blueprint, Response, g, render_template, request

from ..deliver.batch import EMAIL
from ..deliver.mail import compose, send, smtp_settings
from ..deliver.patient import FIELDS, check_request
from ..deliver.printing import print_bytes
from ..editions import LANGUAGE_NAMES, LANGUAGES, PAPERS
from ..problems import BuildFailed, Problems
from . import db
from .access import allow
from .accounts import PERSONAL
from .state import setting
from .forms import Patient
from .i18n import _, ngettext
from .library import job_title, shelf
from .records import new_record_id, record_given
from .workers import RenderFailed

blueprint = Blueprint("personal", __name__, url_prefix="/patient")
ACTIONS = ("preview", "download", "email", "print", "password")
MIN_PDF_PASSWORD = 8
PASSWORD_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # read aloud or off a screen: no 0/o, 1/l/i


def made_up_password() -> str:
    """e.g. "k7qx-42md-p9tz": 12 random characters (about 59 bits), easy to read out over the phone."""
    letters = "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(12))
    return "-".join(letters[i:i + 4] for i in range(0, 12, 4))


def _page(form: Patient, errors: dict, status: int = 200, notice: str | None = None, made_up: bool = False,
          general: list[str] | None = None):
    items, failure = shelf()
    lang = form.lang.data if form.lang.data in LANGUAGES else g.lang
    handouts = [(item.slug, item.titles[lang]) for item in items if lang in item.titles]
    return render_template("app/personal.html", form=form, errors=errors, handouts=handouts, papers=PAPERS,
                           language_names=LANGUAGE_NAMES, notice=notice, made_up=made_up,
                           general=general or [], failure=failure,
                           mail_ready=bool(_mail_settings().host)), status


def _mail_settings():
    return smtp_settings(setting("clinic"), **setting("settings").smtp)


@blueprint.route("/", methods=["GET"])
@allow(PERSONAL)
def index():
    form = Patient(formdata=None)
    form.slug.data = request.args.get("slug", "")
    form.lang.data = request.args.get("lang") if request.args.get("lang") in LANGUAGES else g.lang
    form.paper.data = setting("settings").paper
    form.large_print.data = request.args.get("large_print") == "1"
    form.copies.data = 1
    return _page(form, {})


@blueprint.route("/", methods=["POST"])
@allow(PERSONAL)
def make():
    form = Patient()
    action = request.form.get("action")
    if not form.validate_on_submit() or action not in ACTIONS:
        errors = {name: [_("Choose between 1 and 50 copies.")] for name in form.errors if name == "copies"}
        if "csrf_token" in form.errors:
            from flask_wtf.csrf import CSRFError

            raise CSRFError()
        return _page(form, errors, 400)
    if action == "password":
        form.password.data = made_up_password()
        return _page(form, {}, made_up=True)

    errors: dict[str, list[str]] = {}

    def report(field: str, message: str) -> None:
        errors.setdefault(field if field in FIELDS else "general", []).append(message)

    values = {name: form[name].data or "" for name in FIELDS if name not in ("large_print", "password")}
    values["large_print"] = "yes" if form.large_print.data else ""
    needs_password = action in ("download", "email")
    values["password"] = (form.password.data or None) if needs_password else None
    generation = setting("workshop").current()
    if generation.failure is not None:
        return _page(form, {}, 503, general=[_("The handouts' content has problems, so no copy can be made "
                                               "until the content owner fixes them.")])
    personalizer = generation.personalizer
    patient_request = check_request(values, personalizer.slugs, personalizer.langs, date.today(), report)
    email = (form.email.data or "").strip()
    if needs_password and not form.password.data:
        report("password", _("Type a password for the PDF, or make one up: a copy that leaves the clinic "
                             "is always encrypted."))
    elif needs_password and len(form.password.data) < MIN_PDF_PASSWORD:
        report("password", _("Use at least %(n)d characters for the PDF's password.", n=MIN_PDF_PASSWORD))
    if action == "email":
        if not email:
            report("email", _("Type the patient's email address."))
        elif not EMAIL.match(email):
            report("email", _("That is not an email address."))
        elif not _mail_settings().host:
            report("email", _("This app has no mail server set up: download or print the copy instead."))
    if errors or patient_request is None:
        return _page(form, errors, 400)

    record = new_record_id() if action != "preview" else ""
    patient_request = replace(patient_request, personal=replace(patient_request.personal, record_id=record))
    try:
        data, pages = setting("workshop").render(patient_request)
    except BuildFailed as failure:
        for problem in failure.problems:
            field = next((name for name in FIELDS if problem.message.startswith(name)), None)
            if problem.code == "plan-too-long":
                field = "plan"
            report(field or "general", problem.message)
        return _page(form, errors, 400, general=errors.pop("general", None))
    except RenderFailed as failure:
        return _page(form, {}, 503, general=[str(failure)])

    slug, edition = patient_request.slug, patient_request.edition
    if action == "preview":
        return _pdf(data, slug, inline=True)
    if action == "download":
        with db.writing(g.db):
            record_given(g.db, g.user.name, slug, edition, "downloaded", personalised=True, record=record)
            db.audit(g.db, g.user.name, "downloaded a personalised copy", f"{edition.path(slug)}, record {record}")
        return _pdf(data, slug, inline=False)
    if action == "print":
        copies = form.copies.data or 1
        settings = setting("settings")
        try:
            with db.writing(g.db):
                job_id = print_bytes(data, job_title(slug), copies, settings.printer, paper=edition.paper)
                record_given(g.db, g.user.name, slug, edition, "printed", personalised=True, copies=copies,
                             record=record)
                db.audit(g.db, g.user.name, "printed a personalised copy",
                         f"{edition.path(slug)} x{copies}, job {job_id}, record {record}")
        except BuildFailed as failure:
            return _page(form, {}, 503, general=[_("Nothing was printed: %(why)s", why=failure.problems[0].message)])
        notice = ngettext("Sent to the printer: job %(job)s, %(num)d copy, double-sided. Record %(record)s.",
                          "Sent to the printer: job %(job)s, %(num)d copies, double-sided. Record %(record)s.",
                          copies, job=job_id, record=record)
        return _page(form, {}, notice=notice)
    # email
    library = personalizer.renderer(edition.lang).library
    settings = _mail_settings()
    message = compose(library.root, library.clinic, library.handout(slug), patient_request.personal.prescriber,
                      email, settings.sender, data, encrypted=True, lang=edition.lang)
    problems = Problems()
    with db.writing(g.db):
        sent = send(settings, [(1, message)], "the app", problems)
        if not sent:
            raise _NotSent(problems)
        record_given(g.db, g.user.name, slug, edition, "emailed", personalised=True, record=record)
        db.audit(g.db, g.user.name, "emailed a personalised copy", f"{edition.path(slug)}, record {record}")
    form.password.data = ""
    return _page(form, {}, notice=_("Emailed. Record %(record)s. Give the patient the PDF's password by "
                                    "phone or in person: it is not in the email.", record=record))


class _NotSent(Exception):
    def __init__(self, problems: Problems):
        self.problems = problems


@blueprint.errorhandler(_NotSent)
def not_sent(error: _NotSent):
    form = Patient()
    reasons = [problem.message for problem in error.problems.items] or [_("the mail server refused it")]
    return _page(form, {}, 503, general=[_("The email was not sent, and nothing was recorded: %(why)s",
                                           why="; ".join(reasons))])


def _pdf(data: bytes, slug: str, inline: bool) -> Response:
    """The copy from memory. The file is named by handout, never by patient."""
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{slug}.pdf"'
    return response
