"""Web stage: marketing's page: build the brochure, its print-shop and booklet editions and the tri-fold
leaflet with live progress, then download them."""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, send_file, url_for

from ..build.incremental import build
from ..build.output import read_manifest
from ..content.project import languages
from ..editions import BROCHURE, LANGUAGE_NAMES, LEAFLET, PAPERS, variants_for
from . import db
from .access import allow
from .accounts import MARKETING
from .state import setting
from .forms import Build
from .i18n import _
from .jobs import job_page, job_status

blueprint = Blueprint("marketing", __name__, url_prefix="/brochures")
CHOICES = {"brochure": {}, "print-shop": {"print_shop": True}, "booklet": {"booklet": True},
           "leaflet": {"leaflet": True}}


def _made() -> list:
    """The brochures and leaflets built so far, newest edition names first."""
    out_dir = setting("settings").out_dir
    return [entry for entry in read_manifest(out_dir) if entry.kind in (BROCHURE, LEAFLET)]


@blueprint.route("/", methods=["GET"])
@allow(MARKETING)
def index():
    labels = {"brochure": _("The brochure"), "print-shop": _("The brochure for a print shop (bleed, crop marks)"),
              "booklet": _("The brochure as a booklet to print here (2 pages a side, folded)"),
              "leaflet": _("The tri-fold leaflet")}
    return render_template("app/marketing.html", form=Build(), labels=labels, papers=PAPERS, made=_made(),
                           language_names=LANGUAGE_NAMES, job=setting("jobs").latest(MARKETING))


@blueprint.route("/build", methods=["POST"])
@allow(MARKETING)
def start():
    form = Build()
    if not form.validate_on_submit():
        abort(400)
    settings = setting("settings")
    variants = variants_for(**CHOICES[form.what.data])
    job = setting("jobs").start(MARKETING, _("Build: %(what)s on %(paper)s", what=form.what.data,
                                             paper=PAPERS[form.paper.data].label),
                                g.user.name, build, root=settings.root, langs=languages(settings.root),
                                paper=form.paper.data, variants=variants, brand_file=settings.brand_file,
                                out_dir=settings.out_dir)
    with db.writing(g.db):
        db.audit(g.db, g.user.name, "build started", f"{form.what.data}, {form.paper.data}")
    return redirect(url_for(".job", job_id=job.id))


@blueprint.route("/jobs/<job_id>", methods=["GET"])
@allow(MARKETING)
def job(job_id: str):
    return job_page(setting("jobs"), MARKETING, job_id, "marketing", downloads=True)


@blueprint.route("/jobs/<job_id>/status", methods=["GET"])
@allow(MARKETING)
def status(job_id: str):
    return job_status(setting("jobs"), MARKETING, job_id, lambda outputs: [
        dict(output, url=url_for(".download", path=output["path"])) for output in outputs
        if output["kind"] in (BROCHURE, LEAFLET)])


@blueprint.route("/file/<path:path>", methods=["GET"])
@allow(MARKETING)
def download(path: str):
    """A built brochure or leaflet: only a path the manifest lists."""
    entry = next((entry for entry in _made() if entry.path == path), None)
    if entry is None:
        abort(404)
    return send_file(setting("settings").out_dir / entry.path, mimetype="application/pdf", as_attachment=True,
                     download_name=entry.path.replace("/", "-"))
