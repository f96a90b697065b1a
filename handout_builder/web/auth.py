"""Web stage: signing in and out, and each user's own settings (language, password)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, g, redirect, render_template, request, send_file, session, url_for

from . import db
from .access import ANYONE, SIGNED_IN, allow
from .accounts import find_user, set_password, verify_password
from .state import setting
from .forms import Language, NewPassword, Plain, SignIn
from .i18n import _
from .sessions import forget_expired

blueprint = Blueprint("auth", __name__)


def _home() -> str:
    user = g.user
    if user is not None and not user.may("library"):
        return url_for("admin.index")
    return url_for("library.index")


def _safe_next(target: str | None) -> str | None:
    """Only a path of this app: never another site (an open redirect), never a query string."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target \
            and "?" not in target:
        return target
    return None


@blueprint.route("/", methods=["GET"])
@allow(SIGNED_IN)
def home():
    return redirect(_home())


@blueprint.route("/sign-in", methods=["GET", "POST"])
@allow(ANYONE)
def login():
    form = SignIn()
    if request.method == "GET":
        if g.user is not None:
            return redirect(_home())
        form.next.data = _safe_next(request.args.get("next")) or ""
        return render_template("app/login.html", form=form, error=None,
                               expired=getattr(session, "expired", False))
    error = None
    if form.validate_on_submit():
        user, stored = find_user(g.db, form.name.data.strip())
        if verify_password(stored, form.password.data) and user is not None:
            forget_expired(g.db)
            with db.writing(g.db):
                db.audit(g.db, user.name, "signed in")
            session.sign_in(user.id)
            g.user = user
            return redirect(_safe_next(form.next.data) or _home())
        with db.writing(g.db):
            db.audit(g.db, form.name.data.strip()[:40] or "-", "sign-in refused")
        error = _("That user name and password do not match an account.")
    else:
        error = _("Type your user name and your password.")
    return render_template("app/login.html", form=form, error=error, expired=False), 401


@blueprint.route("/sign-out", methods=["POST"])
@allow(SIGNED_IN)
def logout():
    if not Plain().validate_on_submit():
        abort(400)
    with db.writing(g.db):
        db.audit(g.db, g.user.name, "signed out")
    session.sign_out()
    return redirect(url_for("auth.login"))


@blueprint.route("/language", methods=["POST"])
@allow(ANYONE)
def language():
    form = Language()
    if form.validate_on_submit():
        if g.user is not None:
            with db.writing(g.db):
                g.db.execute("UPDATE users SET lang = ? WHERE id = ?", (form.lang.data, g.user.id))
        else:
            session["lang"] = form.lang.data
    return redirect(_safe_next(request.form.get("back")) or _home())


@blueprint.route("/account", methods=["GET", "POST"])
@allow(SIGNED_IN)
def account():
    form = NewPassword()
    errors: dict[str, list[str]] = {}
    done = False
    if request.method == "POST" and form.validate_on_submit():
        _, stored = find_user(g.db, g.user.name)
        if not verify_password(stored, form.current.data or ""):
            errors["current"] = [_("That is not your current password.")]
        elif form.password.data != form.again.data:
            errors["again"] = [_("The two new passwords differ.")]
        else:
            for field, message in set_password(g.db, g.user.name, form.password.data or "", by=g.user.name):
                errors.setdefault(field, []).append(message)
            done = not errors
            if done:
                session.sign_out()  # every session of the account ended with the old password
                return redirect(url_for("auth.login"))
    return render_template("app/account.html", form=form, errors=errors, done=done), 400 if errors else 200


@blueprint.route("/brand.css", methods=["GET"])
@allow(ANYONE)
def brand_css():
    """The clinic's colours (from the brand file) as CSS custom properties, for static/app.css."""
    clinic = setting("clinic")
    primary, accent = (clinic.primary, clinic.accent) if clinic else ("#1f4e79", "#8a3b00")
    response = Response(f":root {{ --brand-primary: {primary}; --brand-accent: {accent}; }}\n", mimetype="text/css")
    response.cacheable = True
    return response


@blueprint.route("/brand/logo", methods=["GET"])
@allow(ANYONE)
def logo():
    clinic = setting("clinic")
    if clinic is None or not clinic.logo.is_file():
        abort(404)
    response = send_file(clinic.logo, mimetype="image/svg+xml" if clinic.logo.suffix == ".svg" else "image/png",
                         max_age=3600)
    response.cacheable = True
    return response
