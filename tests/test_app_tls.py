"""`make-handouts serve --cert FILE --key FILE`: the real server over TLS on a non-loopback address, driven by
a real TLS client (Python's ssl, verifying a self-signed certificate made here)."""

from __future__ import annotations

import http.client
import io
import re
import socket
import ssl

import pytest
from pypdf import PdfReader

from app_helpers import PATIENT, Client, Server, add_accounts, app_project
from conftest import run, self_signed


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("app-tls")
    cert, key = self_signed(folder, "app", ("localhost",))
    running = Server(app_project(folder / "project"), folder,
                     args=("--host", "0.0.0.0", "--cert", str(cert), "--key", str(key), "--no-warm"))
    add_accounts(running.data_dir)
    running.start(wait_warm=False)
    running.wait_for("Serving on https://", 30)
    yield running, ssl.create_default_context(cafile=str(cert))
    running.stop()


def test_on_any_address_over_tls_the_app_signs_in_with_secure_cookies(tls_server):
    server, trust = tls_server
    client = Client(f"https://127.0.0.1:{server.port}", tls=trust)
    status, headers, body = client.get("/sign-in")
    assert status == 200 and b"csrf_token" in body
    cookie = headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=") and "; Secure" in cookie and "HttpOnly" in cookie
    assert headers["Strict-Transport-Security"] == "max-age=31536000"
    # A browser sends no Referer (the pages say Referrer-Policy: no-referrer), nor does this client: the
    # form token is what the sign-in needs.
    assert client.sign_in("doc") == 302
    status, _, body = client.get("/account")
    assert status == 200 and b"doc" in body
    client.get("/patient/")
    status, headers, body = client.post("/patient/", {"slug": "testinib", "patient": PATIENT, "plan": "Twice a day.",
                                                      "password": "pdf password", "action": "download"})
    assert status == 200 and headers["Content-Type"] == "application/pdf"  # the whole PDF through the relay
    reader = PdfReader(io.BytesIO(body))
    assert reader.decrypt("pdf password") and PATIENT in reader.pages[0].extract_text()
    assert PATIENT not in server.log()
    with socket.create_connection(("127.0.0.1", server.port)) as raw, \
            trust.wrap_socket(raw, server_hostname="localhost") as secure:
        assert secure.version() in ("TLSv1.2", "TLSv1.3")
    assert "0.0.0.0" in server.log() and "TLS" in server.log()


def test_plain_http_and_the_inner_port_serve_nothing(tls_server):
    server, _ = tls_server
    plain = http.client.HTTPConnection("127.0.0.1", server.port, timeout=15)
    with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
        plain.request("GET", "/sign-in")
        plain.getresponse()
    plain.close()
    inner = int(re.search(r"waitress behind it on 127\.0\.0\.1:(\d+)", server.log())[1])
    around = http.client.HTTPConnection("127.0.0.1", inner, timeout=15)
    around.request("GET", "/sign-in")
    response = around.getresponse()
    assert response.status == 403 and b"https://" in response.read()
    around.close()


def test_a_certificate_without_its_key_or_a_bad_one_is_refused_by_option(tmp_path):
    project = app_project(tmp_path / "p")
    cert, key = self_signed(tmp_path, "app")
    data = ["--data", str(tmp_path / "data")]
    result = run("serve", "--host", "0.0.0.0", "--cert", str(cert), *data, project=project)
    assert result.exit_code == 1 and "--key: error: --cert and --key go together" in result.output
    other_key = self_signed(tmp_path, "other")[1]
    result = run("serve", "--cert", str(cert), "--key", str(other_key), *data, project=project)
    assert result.exit_code == 1 and "--cert: error: the certificate and key could not be used together" in result.output
    # A passphrase-protected key is refused with the same message, without asking for the passphrase.
    from cryptography.hazmat.primitives import serialization

    private = serialization.load_pem_private_key(key.read_bytes(), password=None)
    locked = tmp_path / "locked-key.pem"
    locked.write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                             serialization.BestAvailableEncryption(b"secret")))
    result = run("serve", "--cert", str(cert), "--key", str(locked), *data, project=project)
    assert result.exit_code == 1 and "--cert: error: the certificate and key could not be used together" in result.output
    result = run("serve", "--host", "0.0.0.0", "--cert", str(cert), "--key", str(key), "--behind-proxy",
                 "127.0.0.1", *data, project=project)
    assert result.exit_code == 1 and "the TLS ends either here (--cert/--key) or at the proxy" in result.output
