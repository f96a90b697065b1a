"""Web stage: the app factory: settings, the blueprints (one per area), server-side sessions, CSRF, sign-in
rate limits, the security headers every response carries, the user's language and the error pages.
"""

from __future__ import annotations

import logging
import secrets
import sqlite3
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from flask import Flask, Response, g, render_template, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFError, CSRFProtect

from ..content.brand import read_brand_file
from ..editions import DEFAULT_PAPER, LANGUAGE_NAMES, LANGUAGES
from ..problems import Problems
from . import db, i18n
from .accounts import ROLE_AREAS, User
from .sessions import DatabaseSessions, forget_expired
from .state import CLINIC, JOBS, SETTINGS, WORKSHOP, keep
from .jobs import Jobs
from .workers import Workshop

log = logging.getLogger("handout_builder.web")

# Every page: scripts and styles from the app's own files only, nothing framed, nothing sent elsewhere.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
# A PDF opened in the browser: its viewer needs to run, but nothing else may.
PDF_CSP = "default-src 'none'; object-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'"
FORM_LIMIT = 256 * 1024  # a form of patient fields is a few KB; nothing is uploaded


@dataclass
class Settings:
    """Everything `make-handouts serve` is told."""

    root: Path
    data_dir: Path
    out_dir: Path
    brand_file: Path | None = None
    paper: str = DEFAULT_PAPER  # the clinic's paper: built and laid out in advance
    printer: str | None = None  # a CUPS queue; default: CUPS's default printer
    secure: bool = False  # served over HTTPS (--cert/--key, or behind a TLS proxy): cookies are Secure
    warm: bool = True
    processes: int | None = None
    smtp: dict = field(default_factory=dict)  # mail.smtp_settings options over the brand file's [smtp]
    login_limit: str = "10 per minute"


def create_app(settings: Settings) -> Flask:
    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.config.update(SECRET_KEY=_secret_key(settings.data_dir), MAX_CONTENT_LENGTH=FORM_LIMIT,
                      WTF_CSRF_TIME_LIMIT=None,  # a form lives as long as its session, at most 8 hours
                      # No Referer check over https: the pages say Referrer-Policy: no-referrer, so a browser
                      # sends none and every form would be refused. The form token (bound to the session)
                      # and the SameSite, __Host- session cookie are the defence against cross-site posts.
                      WTF_CSRF_SSL_STRICT=False, SEND_FILE_MAX_AGE_DEFAULT=3600)
    keep(app, SETTINGS, settings)
    connections = threading.local()

    def connection() -> sqlite3.Connection:
        if getattr(connections, "db", None) is None:
            connections.db = db.connect(settings.data_dir)
        return connections.db

    forget_expired(connection())
    app.session_interface = DatabaseSessions(connection, "__Host-session" if settings.secure else "session",
                                             settings.secure)
    CSRFProtect(app)
    limiter = Limiter(get_remote_address, app=app, storage_uri="memory://", default_limits=[],
                      headers_enabled=False)
    workshop = Workshop(settings.root, settings.brand_file, settings.out_dir, (settings.paper,),
                        settings.processes, log=log.info)
    keep(app, WORKSHOP, workshop)
    keep(app, JOBS, Jobs(workshop.run))
    catalogs = i18n.catalogs(settings.root)
    # The app's language picker names each language in itself ("Español" in the English app), so a
    # reader finds their own; everywhere else a language is named in the reader's language.
    own_names = {code: catalogs[code].gettext(LANGUAGE_NAMES[code]) for code in LANGUAGES}
    clinic, _ = read_brand_file(settings.brand_file or settings.root / "handouts" / "clinic.toml", Problems())
    keep(app, CLINIC, clinic)

    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(i18n.raw_gettext, i18n.raw_ngettext, newstyle=True)
    app.jinja_env.undefined = jinja2.StrictUndefined

    from . import admin, auth, content, library, marketing, personal

    for blueprint in (auth.blueprint, library.blueprint, personal.blueprint, content.blueprint,
                      marketing.blueprint, admin.blueprint):
        app.register_blueprint(blueprint)
    # Only refused sign-ins count: ten people signing in at one front desk computer are not an attack.
    app.view_functions["auth.login"] = limiter.limit(
        settings.login_limit, methods=["POST"], deduct_when=lambda response: response.status_code == 401)(
        app.view_functions["auth.login"])
    _check_every_route_is_guarded(app)

    @app.before_request
    def who_and_which_language():
        g.started = time.perf_counter()
        g.db = connection()
        g.user = None
        user_id = getattr(_session(), "user_id", None)
        if user_id is not None:
            row = g.db.execute("SELECT id, name, role, lang FROM users WHERE id = ?", (user_id,)).fetchone()
            if row is not None and row["role"] in ROLE_AREAS:
                g.user = User(row["id"], row["name"], row["role"], row["lang"])
        g.lang = g.user.lang if g.user else i18n.best_language(request.accept_languages,
                                                               _session().get("lang"))
        g.translations = catalogs[g.lang]

    @app.after_request
    def headers(response: Response) -> Response:
        is_pdf = response.mimetype == "application/pdf"
        response.headers["Content-Security-Policy"] = PDF_CSP if is_pdf else CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if settings.secure:
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        if request.endpoint != "static" and not getattr(response, "cacheable", False):
            # Every page and PDF may carry a patient's data or a user's: none is kept by a browser or proxy.
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.teardown_request
    def access_log(error=None):
        # The method, the path (never the query string, never a form field), the status and who asked.
        response_status = g.pop("status", None)
        user = g.user.name if g.get("user") else "-"
        elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        log.info("%s %s %s %s %.0f ms", request.method, request.path, response_status or "-", user, elapsed)

    @app.after_request
    def remember_status(response: Response) -> Response:
        g.status = response.status_code
        return response

    @app.context_processor
    def page_context():
        user = g.get("user")
        return dict(clinic=clinic, user=user, lang=g.get("lang", "en"), languages=own_names,
                    areas=ROLE_AREAS.get(user.role, ()) if user else (), nav=_navigation(user),
                    app_languages=LANGUAGES)

    def error_page(status: int, title: str, message: str) -> tuple[str, int]:
        return render_template("app/error.html", title=title, message=message, status=status), status

    @app.errorhandler(CSRFError)
    def csrf_refused(error):
        return error_page(400, i18n._("The form was refused"),
                          i18n._("This form had expired or did not come from this app, so nothing was done. "
                                 "Go back, reload the page and try again."))

    @app.errorhandler(401)
    def not_signed_in(error):
        return error_page(401, i18n._("Please sign in"), i18n._("Your session has ended. Sign in again."))

    @app.errorhandler(403)
    def forbidden(error):
        return error_page(403, i18n._("Not for your role"),
                          i18n._("Your account cannot use this page. Ask an admin if you need it."))

    @app.errorhandler(404)
    def not_found(error):
        return error_page(404, i18n._("Not found"), i18n._("There is no such page."))

    @app.errorhandler(413)
    def too_large(error):
        return error_page(413, i18n._("Too much text"), i18n._("The form held more text than any field takes."))

    @app.errorhandler(429)
    def too_many(error):
        return error_page(429, i18n._("Too many tries"),
                          i18n._("Too many sign-in attempts in a short time. Wait a minute, then try again."))

    @app.errorhandler(Exception)
    def unexpected(error):
        from werkzeug.exceptions import HTTPException

        if isinstance(error, HTTPException):
            return error
        if isinstance(error, sqlite3.Error) and db.is_locked(error):
            log.warning("the database %s is locked by another program", db.database_path(settings.data_dir))
            return error_page(503, i18n._("The app's records are busy"),
                              i18n._("Another program is holding the app's records file, so nothing was done "
                                     "and nothing was recorded. Try again in a minute; if it goes on, tell "
                                     "your admin."))
        # On the patient pages the stack but not the message: an exception's text can quote a field.
        stack = "".join(traceback.format_tb(error.__traceback__))
        message = "(message withheld)" if request.blueprint == "personal" else str(error)
        log.error("bug on %s %s: %s %s\n%s", request.method, request.path, type(error).__name__, message, stack)
        return error_page(500, i18n._("Something went wrong"),
                          i18n._("The app hit a bug, so this was not done. Tell your admin the time it "
                                 "happened."))

    workshop.start(warm=settings.warm)
    return app


def _session():
    from flask import session

    return session


def _navigation(user: User | None) -> list[tuple[str, str]]:
    """(endpoint, label) of the pages the user may use, for the header."""
    if user is None:
        return []
    items = [("library.index", i18n._("Handouts"), "library"), ("library.basket", i18n._("Basket"), "library"),
             ("personal.index", i18n._("For a patient"), "personal"), ("content.index", i18n._("Content"), "content"),
             ("marketing.index", i18n._("Brochures"), "marketing"), ("admin.index", i18n._("Admin"), "admin")]
    return [(endpoint, label) for endpoint, label, area in items if user.may(area)]


def _check_every_route_is_guarded(app: Flask) -> None:
    unguarded = [rule.endpoint for rule in app.url_map.iter_rules()
                 if rule.endpoint != "static" and not hasattr(app.view_functions[rule.endpoint], "allowed")]
    if unguarded:
        raise RuntimeError(f"routes without @allow(...): {', '.join(sorted(unguarded))}")


def _secret_key(data_dir: Path) -> bytes:
    """The key that signs form tokens, kept in the data folder (private to this user) across restarts."""
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = data_dir / "secret-key"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip().encode()


def close(app: Flask) -> None:
    """Stop the app's workshop thread and render workers."""
    app.extensions[f"handouts.{WORKSHOP}"].close()
