"""Web stage: the admin's pages: accounts (add, remove, set a password), the audit log, and the education
record, exported as CSV for the clinic's records."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, url_for

from . import db
from .access import allow
from .accounts import ADMIN, ROLES, create_user, list_users, remove_user, set_password
from .state import setting
from .forms import Named, NewUser, Plain
from .i18n import _
from .records import as_csv, recent

blueprint = Blueprint("admin", __name__, url_prefix="/admin")


def _page(form: NewUser, errors: dict, status: int = 200):
    audit = g.db.execute("SELECT at, user, action, detail FROM audit ORDER BY id DESC LIMIT 40").fetchall()
    return render_template("app/admin.html", form=form, errors=errors, users=list_users(g.db), roles=ROLES,
                           audit=audit, given=recent(g.db, 20), named=Named(), plain=Plain(),
                           workers=setting("workshop").status()), status


@blueprint.route("/", methods=["GET"])
@allow(ADMIN)
def index():
    return _page(NewUser(formdata=None), {})


@blueprint.route("/users", methods=["POST"])
@allow(ADMIN)
def add_user():
    form = NewUser()
    if not form.validate_on_submit():
        abort(400)
    errors: dict[str, list[str]] = {}
    if form.password.data != form.again.data:
        errors["again"] = [_("The two passwords differ.")]
    else:
        for field, message in create_user(g.db, (form.name.data or "").strip(), form.role.data or "",
                                          form.password.data or "", form.lang.data or "en", by=g.user.name):
            errors.setdefault(field, []).append(message)
    if errors:
        return _page(form, errors, 400)
    flash(_("Added %(name)s.", name=form.name.data.strip()), "done")
    return redirect(url_for(".index"))


@blueprint.route("/users/remove", methods=["POST"])
@allow(ADMIN)
def remove():
    form = Named()
    if not form.validate_on_submit():
        abort(400)
    if form.name.data == g.user.name:
        flash(_("You cannot remove your own account."), "error")
    elif remove_user(g.db, form.name.data, by=g.user.name):
        flash(_("Removed %(name)s.", name=form.name.data), "done")
    return redirect(url_for(".index"))


@blueprint.route("/record.csv", methods=["POST"])
@allow(ADMIN)
def record_csv():
    """The education record (POST: exporting it is written to the audit log)."""
    if not Plain().validate_on_submit():
        abort(400)
    with db.writing(g.db):
        db.audit(g.db, g.user.name, "exported the education record")
    response = Response(as_csv(g.db), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="education-record.csv"'
    return response



@blueprint.route("/users/password", methods=["POST"])
@allow(ADMIN)
def new_password():
    """Set another user's password (they forgot theirs); their sessions end."""
    form = NewUser()
    if not form.validate_on_submit():
        abort(400)
    if form.password.data != form.again.data:
        flash(_("The two passwords differ."), "error")
        return redirect(url_for(".index"))
    problems = set_password(g.db, (form.name.data or "").strip(), form.password.data or "", by=g.user.name)
    for _field, message in problems:
        flash(message, "error")
    if not problems:
        flash(_("Changed the password of %(name)s.", name=form.name.data.strip()), "done")
    return redirect(url_for(".index"))
