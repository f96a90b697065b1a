"""Web stage: the content owner's pages: the `check` report (problems by file and line, reading levels per
handout and section, review dates and overdue reviews) and a rebuild with live progress.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, g, redirect, render_template, url_for

from ..build.incremental import build
from ..checks.review import list_handouts
from ..checks.runner import check_project
from ..content.project import languages
from ..editions import LANGUAGE_NAMES
from . import db
from .access import allow
from .accounts import CONTENT
from .state import setting
from .forms import Plain
from .i18n import _
from .jobs import job_page, job_status

blueprint = Blueprint("content", __name__, url_prefix="/content")


def jobs():
    return setting("jobs")


@blueprint.route("/", methods=["GET"])
@allow(CONTENT)
def index():
    settings = setting("settings")
    today = date.today()
    result = check_project(settings.root, settings.brand_file, languages(settings.root), today)
    reviews = [row for report in result.reports for row in list_handouts(report.library, today)]
    reviews.sort(key=lambda row: (not row["overdue"], row["review_due_on"], row["slug"], row["lang"]))
    return render_template("app/content.html", result=result, errors=result.problems.errors,
                           warnings=result.problems.warnings, reviews=reviews, language_names=LANGUAGE_NAMES,
                           plain=Plain(), job=jobs().latest(CONTENT), today=today)


@blueprint.route("/rebuild", methods=["POST"])
@allow(CONTENT)
def rebuild():
    if not Plain().validate_on_submit():
        abort(400)
    settings = setting("settings")
    job = jobs().start(CONTENT, _("Rebuild every handout and the brochure"), g.user.name, build,
                       root=settings.root, langs=languages(settings.root), paper=settings.paper,
                       brand_file=settings.brand_file, out_dir=settings.out_dir)
    with db.writing(g.db):
        db.audit(g.db, g.user.name, "rebuild started", f"{settings.paper}, every language")
    return redirect(url_for(".job", job_id=job.id))


@blueprint.route("/jobs/<job_id>", methods=["GET"])
@allow(CONTENT)
def job(job_id: str):
    return job_page(jobs(), CONTENT, job_id, "content", downloads=False)


@blueprint.route("/jobs/<job_id>/status", methods=["GET"])
@allow(CONTENT)
def status(job_id: str):
    return job_status(jobs(), CONTENT, job_id)
