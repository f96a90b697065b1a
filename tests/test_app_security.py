"""The app's security baseline against the real server over HTTP: every route refuses a missing session
and each wrong role, forms need their CSRF token, cookies and headers, sessions that end (idle, in all,
on sign-out), hostile input in the patient fields, the address rules, the accounts command, and the 11th
quick wrong password (last: it blocks this address for a minute)."""

from __future__ import annotations

import io
import re
import sqlite3

import pytest
from pypdf import PdfReader

from app_helpers import PASSWORD, PATIENT, ROLES, Client, Server, add_accounts, app_project
from conftest import run
from handout_builder.web.accounts import ROLE_AREAS

ALLOWED_TO_ANYONE = {"auth.login", "auth.language", "auth.brand_css", "auth.logo", "static"}
SIGNED_IN_ONLY = {"auth.home", "auth.logout", "auth.account"}
SAMPLE_VALUES = {"lang": "en", "paper": "letter", "variant": "regular", "slug": "testinib", "job_id": "nothing",
                 "path": "en/letter/brochure.pdf", "filename": "app.css"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("app-security")
    running = Server(app_project(folder / "project"), folder, args=("--no-warm",))
    add_accounts(running.data_dir)
    running.start(wait_warm=False)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def routes(server):
    """(endpoint, methods, path) of every route of the app, from its own url_map."""
    from handout_builder.web.app import Settings, close, create_app

    app = create_app(Settings(server.project, server.data_dir, server.project / "out", warm=False))
    try:
        found = []
        for rule in app.url_map.iter_rules():
            path = rule.rule
            for name in rule.arguments:
                path = re.sub(rf"<(?:\w+:)?{name}>", SAMPLE_VALUES[name], path)
            found.append((rule.endpoint, sorted(rule.methods - {"HEAD", "OPTIONS"}), path,
                          getattr(app.view_functions[rule.endpoint], "allowed", None)))
        return found
    finally:
        close(app)


def test_every_route_carries_the_role_decorator(routes):
    assert len(routes) > 25
    assert [endpoint for endpoint, _, _, allowed in routes if allowed is None] == ["static"]


def test_every_route_refuses_a_missing_session(server, routes):
    client = Client(server.base)
    client.get("/sign-in")  # a form token, so that POSTs reach the role check
    for endpoint, methods, path, _ in routes:
        if endpoint in ALLOWED_TO_ANYONE:
            continue
        for method in methods:
            status, headers, _ = client.request(method, path, {} if method == "POST" else None)
            if method == "GET":
                assert status == 302 and headers["Location"].startswith("/sign-in?next="), (endpoint, status)
            else:
                assert status == 401, (endpoint, status)


def test_every_route_refuses_each_wrong_role(server, routes):
    for name, role in ROLES.items():
        client = Client(server.base)
        assert client.sign_in(name) == 302
        for endpoint, methods, path, allowed in routes:
            if endpoint in ALLOWED_TO_ANYONE | SIGNED_IN_ONLY or allowed in ROLE_AREAS[role]:
                continue
            for method in methods:
                status, _, body = client.request(method, path, {} if method == "POST" else None)
                assert status == 403, (name, endpoint, method, status)
                assert b"Your account cannot use this page." in body


def test_a_form_without_its_csrf_token_is_refused_and_does_nothing(server):
    client = Client(server.base)
    client.sign_in("desk")
    status, _, body = client.post("/handouts/basket/add", {"slug": "testinib", "lang": "en", "paper": "letter"},
                                  with_token=False)
    assert status == 400 and b"This form had expired or did not come from this app" in body
    status, _, body = client.get("/handouts/basket")
    assert b"The basket is empty." in body
    status, _, _ = client.post("/handouts/basket/add", {"slug": "testinib", "lang": "en", "paper": "letter",
                                                        "csrf_token": "forged"})
    assert status == 400


def test_headers_cookies_and_no_store(server):
    client = Client(server.base)
    status, headers, _ = client.get("/sign-in")
    assert headers["Content-Security-Policy"].startswith("default-src 'none'; script-src 'self'; style-src 'self'")
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"
    cookie = headers["Set-Cookie"]
    assert re.match(r"session=[\w-]{40,}; HttpOnly; Path=/; SameSite=Lax$", cookie), cookie
    assert "Secure" not in cookie  # plain HTTP on this computer; behind a TLS proxy it is (below)
    client.sign_in("doc")
    status, headers, body = client.post("/patient/", {"slug": "testinib", "patient": PATIENT, "action": "preview"})
    assert status == 200 and headers["Content-Type"] == "application/pdf" and headers["Cache-Control"] == "no-store"
    status, headers, _ = client.get("/static/app.css")
    assert "no-store" not in headers.get("Cache-Control", "")  # the app's own files may be kept
    # No page of the app has an inline script or style.
    for path in ("/handouts/", "/patient/", "/account"):
        page = client.get(path)[2].decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)", page) and " style=" not in page and "<style" not in page


def test_sign_out_ends_the_session_on_the_server(server):
    client = Client(server.base)
    client.sign_in("desk")
    stolen = [(c.name, c.value) for c in client.cookies]
    assert client.post("/sign-out", {})[0] == 302
    thief = Client(server.base)
    for name, value in stolen:
        thief.opener.addheaders = [("Cookie", f"{name}={value}")]
    status, headers, _ = thief.get("/handouts/")
    assert status == 302 and headers["Location"].startswith("/sign-in")


@pytest.mark.parametrize("column, hours", [("seen", 0.26), ("started", 8.1)])
def test_a_session_ends_after_15_minutes_idle_or_8_hours_in_all(server, column, hours):
    client = Client(server.base)
    client.sign_in("desk")
    assert client.get("/handouts/")[0] == 200
    with sqlite3.connect(server.data_dir / "app.sqlite3") as connection:  # the clock moved on
        connection.execute(f"UPDATE sessions SET {column} = {column} - ?", (hours * 3600,))
    status, headers, _ = client.get("/handouts/")
    assert status == 302 and headers["Location"].startswith("/sign-in")
    assert b"Your session ended. Please sign in again." in client.get(headers["Location"])[2]


HOSTILE = {
    "html": "<b>Zelda</b> <img src=x onerror=alert(1)>",
    "script": "</textarea><script>alert(1)</script>",
    "template": "{{ 7*7 }} {% raw %}",
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_text_in_the_patient_fields_is_printed_as_text(server, kind):
    client = Client(server.base)
    client.sign_in("doc")
    value = HOSTILE[kind]
    status, headers, body = client.post("/patient/", {"slug": "testinib", "patient": value, "plan": value,
                                                      "prescriber": value, "action": "preview"})
    assert status == 200 and headers["Content-Type"] == "application/pdf"
    sheet = " ".join(PdfReader(io.BytesIO(body)).pages[0].extract_text().split())
    assert " ".join(value.split()) in sheet  # as typed, not run: "{{ 7*7 }}" is not 49
    # Re-shown in the form (a password made up): escaped, never markup.
    status, _, page = client.post("/patient/", {"slug": "testinib", "patient": value, "plan": value,
                                                "action": "password"})
    if kind == "template":
        assert b'value="{{ 7*7 }} {% raw %}"' in page  # shown as typed: what a user types is never run
    else:
        assert value.encode() not in page and b"&lt;" in page


@pytest.mark.parametrize("field, value, message", [
    ("patient", "x" * 10_000, "patient is 10000 characters; at most 100 fit on the handout"),
    ("plan", "y" * 10_000, "plan is 10000 characters; at most 1200 fit in the plan box"),
    ("patient", "\u200b\u200d", "patient has no visible character"),
    ("plan", "Use \u202e01\u202c pumps",
     "plan contains the bidirectional control U+202E, which can reorder what prints; remove it"),
    ("next_visit", "01/02/2030", "next_visit is not a date written YYYY-MM-DD"),
])
def test_refused_patient_fields_are_said_beside_the_field(server, field, value, message):
    client = Client(server.base)
    client.sign_in("doc")
    fields = {"slug": "testinib", "patient": PATIENT, "action": "preview", field: value}
    status, headers, body = client.post("/patient/", fields)
    page = body.decode()
    assert status == 400 and headers["Cache-Control"] == "no-store", page[:500]
    beside = re.search(rf'<span class="field-error" id="{field}-error">(.*?)</span>', page, re.DOTALL)
    assert beside and message in beside[1], page[page.find("field-error") - 200:][:600]
    assert f'aria-describedby="{field}-error"' in page or f'{field}-error"' in page


def test_a_right_to_left_name_is_printed_as_written(server):
    client = Client(server.base)
    client.sign_in("doc")
    status, headers, body = client.post("/patient/", {"slug": "testinib", "patient": "محمد الأحمد", "action": "preview"})
    assert status == 200 and headers["Content-Type"] == "application/pdf"
    assert "محمد" in PdfReader(io.BytesIO(body)).pages[0].extract_text()


def test_other_addresses_need_a_tls_proxy(tmp_path):
    result = run("serve", "--host", "0.0.0.0", "--data", str(tmp_path / "data"), project=app_project(tmp_path / "p"))
    assert result.exit_code == 1
    assert "--host: error: 0.0.0.0 is reachable from other computers, and waitress serves plain HTTP" in result.output
    result = run("serve", "--host", "0.0.0.0", "--behind-proxy", "proxy.local", project=tmp_path / "p")
    assert result.exit_code == 1 and "'proxy.local' is not an IP address" in result.output


def test_behind_the_proxy_only_its_requests_are_served_and_cookies_are_secure(server):
    from werkzeug.test import Client as WsgiClient

    from handout_builder.web.app import Settings, close, create_app
    from handout_builder.web.server import OnlyThroughProxy

    app = create_app(Settings(server.project, server.data_dir, server.project / "out", secure=True, warm=False))
    try:
        wsgi = WsgiClient(OnlyThroughProxy(app, "10.0.0.5"))
        direct = wsgi.get("/sign-in", environ_base={"REMOTE_ADDR": "192.0.2.7"})
        assert direct.status_code == 403
        proxied = wsgi.get("/sign-in", environ_base={"REMOTE_ADDR": "10.0.0.5"},
                           headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "192.0.2.7",
                                    "X-Forwarded-Host": "handouts.clinic.example"})
        assert proxied.status_code == 200
        cookie = proxied.headers["Set-Cookie"]
        assert cookie.startswith("__Host-session=") and "; Secure" in cookie and "HttpOnly" in cookie
        assert proxied.headers["Strict-Transport-Security"] == "max-age=31536000"
    finally:
        close(app)


def test_users_command_refuses_weak_passwords_and_lists_removes_and_resets(tmp_path):
    project = app_project(tmp_path / "p")
    data = ["--data", str(tmp_path / "data")]
    result = run("users", "add", "ana", "--role", "admin", *data, project=project, input="password1234\npassword1234\n")
    assert result.exit_code == 1
    assert "the password: error: the password is one of the most common passwords: choose another" in result.output
    result = run("users", "add", "ana", "--role", "admin", *data, project=project, input="short\nshort\n")
    assert result.exit_code == 1 and "has 5 characters: use at least 12" in result.output
    result = run("users", "add", "ana", "--role", "admin", *data, project=project,
                 input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0 and result.output.endswith(f"added ana (admin) to {tmp_path / 'data/app.sqlite3'}\n")
    assert PASSWORD not in (tmp_path / "data/app.sqlite3").read_bytes().decode("latin-1")  # only its argon2 hash
    assert run("users", "list", *data, project=project).output.startswith("ana  admin  ")
    result = run("users", "passwd", "ana", *data, project=project, input="another fine phrase\nanother fine phrase\n")
    assert result.exit_code == 0 and "their sessions ended" in result.output
    assert run("users", "remove", "ana", *data, project=project).output == "removed ana\n"
    assert run("users", "remove", "ana", *data, project=project).exit_code == 1


def test_the_eleventh_quick_wrong_password_is_refused_with_429(server):
    client = Client(server.base)
    client.get("/sign-in")
    statuses = [client.post("/sign-in", {"name": "desk", "password": f"wrong {n}", "next": ""})[0]
                for n in range(11)]
    assert statuses == [401] * 10 + [429]
    status, _, body = client.post("/sign-in", {"name": "desk", "password": PASSWORD, "next": ""})
    assert status == 429 and b"Too many sign-in attempts" in body  # even the right one, for a minute
