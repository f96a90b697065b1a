"""`make-handouts serve --cert FILE --key FILE`: the real server over TLS on a non-loopback address, driven by
a real TLS client (Python's ssl, verifying a self-signed certificate made here)."""

from __future__ import annotations

import datetime
import http.client
import ipaddress
import re
import socket
import ssl

import pytest

from app_helpers import Client, Server, add_accounts, app_project
from conftest import run


def self_signed(folder):
    """A certificate for 127.0.0.1 and localhost, and its key, as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("app-tls")
    cert, key = self_signed(folder)
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
    cert, key = self_signed(tmp_path)
    data = ["--data", str(tmp_path / "data")]
    result = run("serve", "--host", "0.0.0.0", "--cert", str(cert), *data, project=project)
    assert result.exit_code == 1 and "--key: error: --cert and --key go together" in result.output
    (tmp_path / "other.pem").write_bytes(self_signed(tmp_path / "p")[1].read_bytes())
    result = run("serve", "--cert", str(cert), "--key", str(tmp_path / "other.pem"), *data, project=project)
    assert result.exit_code == 1 and "--cert: error: the certificate and key could not be used together" in result.output
    result = run("serve", "--host", "0.0.0.0", "--cert", str(cert), "--key", str(key), "--behind-proxy",
                 "127.0.0.1", *data, project=project)
    assert result.exit_code == 1 and "the TLS ends either here (--cert/--key) or at the proxy" in result.output
