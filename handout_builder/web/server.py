"""Web stage: `make-handouts serve`: the app on waitress (never Flask's development server).

It listens on this computer only (127.0.0.1) unless it serves TLS or sits behind a TLS proxy. waitress
speaks plain HTTP, so on a network the TLS ends either in this process (`--cert/--key`: tls.py relays
each connection to waitress on a loopback socket), or at a proxy on this computer (Caddy, nginx), whose
X-Forwarded-* headers the app trusts, refusing every request that does not come through it.
"""

from __future__ import annotations

import ipaddress
import logging
import sys
from pathlib import Path

from ..build.output import BUILD, refuse_output_folders
from ..problems import Problems
from .app import Settings, close, create_app
from .tls import IDLE_TIMEOUT_S

LOOPBACK_NAMES = ("localhost",)


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class OnlyThroughProxy:
    """WSGI: serve only requests from the trusted proxy's address, then trust its X-Forwarded-* headers
    (one hop: for, proto, host, port) through werkzeug's ProxyFix."""

    def __init__(self, app, proxy: str):
        from werkzeug.middleware.proxy_fix import ProxyFix

        self.proxy = proxy
        self.app = ProxyFix(app, x_for=1, x_proto=1, x_host=1, x_port=1)

    def __call__(self, environ, start_response):
        if environ.get("REMOTE_ADDR") != self.proxy:
            start_response("403 Forbidden", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"Use the clinic's address for this app (its TLS proxy), not this port.\n"]
        return self.app(environ, start_response)


def check_address(host: str, behind_proxy: str | None, cert: Path | None = None, key: Path | None = None) -> None:
    problems = Problems()
    if (cert is None) != (key is None):
        problems.about("--key" if key is None else "--cert", "--cert and --key go together: the certificate "
                       "chain (PEM) and its private key", code="address")
    if cert is not None and behind_proxy is not None:
        problems.about("--behind-proxy", "the TLS ends either here (--cert/--key) or at the proxy, not both",
                       code="address")
    if behind_proxy is None and cert is None and not is_loopback(host):
        problems.about("--host", f"{host} is reachable from other computers, and waitress serves plain HTTP: "
                       "serve TLS with --cert FILE --key FILE, or put a TLS proxy (Caddy, nginx) in front and "
                       "pass --behind-proxy with its address (e.g. --behind-proxy 127.0.0.1), or serve on "
                       "127.0.0.1", code="address")
    if behind_proxy is not None:
        try:
            ipaddress.ip_address(behind_proxy)
        except ValueError:
            problems.about("--behind-proxy", f"'{behind_proxy}' is not an IP address: give the proxy's address "
                           "as it connects to the app (e.g. 127.0.0.1)", code="address")
    problems.raise_if_any("the app was not started")


def configure_logging() -> None:
    """One line per record on standard error. The app's own access line carries the method, path, status
    and user; waitress logs no access line, and nothing logs a query string or a form field."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    # WeasyPrint's per-render messages belong to the render's problems, not the server's log.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.WARNING)


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000, behind_proxy: str | None = None,
          threads: int = 8, cert: Path | None = None, key: Path | None = None) -> None:
    """Start the app and serve until interrupted: over TLS with `cert` and `key`. BuildFailed for an
    address it must not listen on, or a certificate it cannot use."""
    import waitress

    check_address(host, behind_proxy, cert, key)
    # The app builds into --out: refused at start, as `build --out` is, not at the first rebuild.
    refuse_output_folders(settings.root, (settings.out_dir, BUILD), action="the app was not started")
    front = None
    if cert is not None:
        from .tls import TlsFront, tls_context

        context = tls_context(cert, key)
        try:
            front = TlsFront(context, host, port)
        except OSError as error:
            problems = Problems()
            problems.about("--port", f"cannot listen on {host}:{port}: {error.strerror or error}", code="address")
            problems.raise_if_any("the app was not started")
    configure_logging()
    settings.secure = behind_proxy is not None or front is not None
    app = create_app(settings)
    application = OnlyThroughProxy(app, behind_proxy) if behind_proxy else front.only_relayed(app) if front else app
    log = logging.getLogger("handout_builder.web")
    log.info("project %s, data in %s, PDFs in %s", settings.root, settings.data_dir, settings.out_dir)
    options = dict(threads=threads, ident="", channel_timeout=IDLE_TIMEOUT_S)
    try:
        if front is None:
            waitress.serve(application, host=host, port=port, **options)
        else:
            server = waitress.create_server(application, sockets=[front.inner], url_scheme="https", **options)
            front.start()
            log.info("Serving on https://%s:%d (TLS; waitress behind it on 127.0.0.1:%d, for the TLS front only)",
                     host, port, front.inner_address[1])
            try:
                server.run()
            finally:
                front.close()
    finally:
        close(app)


def default_data_dir(root: Path) -> Path:
    return root / "app-data"
