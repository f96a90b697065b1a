"""Batch personalisation from a CSV, and delivery by SMTP (a real local server) or .eml drafts."""

from __future__ import annotations

import csv
import io
import socket
from email import message_from_bytes
from email.parser import BytesParser
from email.policy import default

import pytest
from pypdf import PdfReader

from conftest import pdf_text, run

HEADER = ["slug", "patient", "prescriber", "plan", "next_visit", "lang", "paper", "email", "password"]
BAD = {  # line -> (row, message)
    3: (["nosuch", "Bad Slug", "", "", "", "en", "letter", "", ""], "unknown handout 'nosuch'"),
    5: (["testinib", "", "", "", "", "en", "letter", "", ""], "patient name is empty"),
    8: (["testinib", "Bad Date", "", "", "2099-02-30", "en", "letter", "", ""], "next_visit is not a date"),
    11: (["testinib", "Bad Lang", "", "", "", "xx", "letter", "", ""], "unknown language 'xx'"),
    14: (["about-patches", "Bad Paper", "", "", "", "en", "tabloid", "", ""], "unknown paper 'tabloid'"),
    17: (["testinib", "Bad Email", "", "", "", "en", "letter", "not-an-address", ""],
         "email is not an email address"),
}


def write_csv(path, rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def batch_rows(count: int) -> list[list[str]]:
    """`count` rows, the BAD ones at their lines (line 1 is the header)."""
    rows = []
    for line in range(2, count + 2):
        if line in BAD:
            rows.append(BAD[line][0])
        else:
            slug = "testinib" if line % 2 else "about-patches"
            rows.append([slug, f"Patient Number{line}", "Dr Díaz", "Twice a day.", "2099-01-01", "en",
                         "letter", "", "pw" if line % 3 == 0 else ""])
    return rows


def test_batch_builds_good_rows_reports_bad_rows_by_line_and_exits_1(project, tmp_path):
    csv_path = tmp_path / "clinic-list.csv"
    write_csv(csv_path, batch_rows(24))
    out = tmp_path / "batch"
    result = run("batch", str(csv_path), "--out", str(out), "--jobs", "2", project=project)
    assert result.exit_code == 1
    for line, (_, message) in BAD.items():
        assert f"{csv_path}:{line}: {message}" in result.stderr
    good = [line for line in range(2, 26) if line not in BAD]
    assert sorted(p.name for p in out.iterdir()) == [
        f"row-{line:04d}-{'testinib' if line % 2 else 'about-patches'}.pdf" for line in good]
    assert f"built {len(good)} of 24 rows into {out}; {len(BAD)} rows failed" in result.output
    assert "Patient" not in result.output + result.stderr  # rows are named by number only
    for line in (2, 6, 7):
        path = out / f"row-{line:04d}-{'testinib' if line % 2 else 'about-patches'}.pdf"
        reader = PdfReader(path)
        assert reader.is_encrypted == (line % 3 == 0)
        if reader.is_encrypted:
            reader.decrypt("pw")
        assert f"Prepared for Patient Number{line} by Dr Díaz" in " ".join(
            " ".join(p.extract_text() for p in reader.pages).split())
    assert not (project / "out").exists()


def test_a_quoted_multi_line_plan_keeps_row_numbers_right(project, tmp_path):
    csv_path = tmp_path / "list.csv"
    write_csv(csv_path, [["testinib", "Ann Lee", "", "Line one\nLine two", "", "en", "a4", "", ""],
                         ["nosuch", "Bo Chan", "", "", "", "en", "letter", "", ""]])
    result = run("batch", str(csv_path), "--out", str(tmp_path / "o"), "--jobs", "1", project=project)
    assert result.exit_code == 1
    assert f"{csv_path}:4: unknown handout 'nosuch'" in result.stderr
    text = pdf_text(tmp_path / "o/row-0002-testinib.pdf")
    assert "Line one\nLine two" in text


def test_a_csv_with_missing_columns_builds_nothing(project, tmp_path):
    csv_path = tmp_path / "list.csv"
    csv_path.write_text("slug,name\ntestinib,Ann\n")
    result = run("batch", str(csv_path), "--out", str(tmp_path / "o"), project=project)
    assert result.exit_code == 1
    assert f"{csv_path}:1: missing column 'patient'" in result.stderr
    assert f"{csv_path}:1: unknown column 'name'" in result.stderr
    assert not (tmp_path / "o").exists()


def test_without_a_server_send_writes_eml_drafts_with_the_attachment(project, tmp_path):
    csv_path = tmp_path / "list.csv"
    write_csv(csv_path, [["testinib", "Ann O'Lee", "Dr Díaz", "", "", "en", "letter", "ann@example.org", "pw"]])
    out = tmp_path / "o"
    result = run("batch", str(csv_path), "--out", str(out), "--send", project=project)
    assert result.exit_code == 0, result.output + result.stderr
    assert f"no SMTP server configured: wrote 1 .eml drafts to {out}" in result.output
    message = BytesParser(policy=default).parse((out / "row-0002-testinib.eml").open("rb"))
    assert message["To"] == "ann@example.org"
    assert message["From"] == "hello@sample-skin.example.org"
    assert message["X-Unsent"] == "1"
    assert "Testo (testinib cream)" in message["Subject"]
    body = message.get_body(("plain",)).get_content()
    assert "prepared by Dr Díaz" in body and "protected with a password" in body
    assert "Ann" not in body and "Ann" not in message["Subject"]
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "testinib.pdf"
    assert attachment.get_content() == (out / "row-0002-testinib.pdf").read_bytes()


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1 that accepts one login and keeps what it receives."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    class Keep:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append((envelope.rcpt_tos, envelope.content))
            return "250 OK"

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            b"frontdesk", b"smtp-secret")
        return AuthResult(success=ok)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = Keep()
    controller = Controller(handler, hostname="127.0.0.1", port=port, authenticator=authenticate,
                            auth_require_tls=False)
    controller.start()
    handler.port = port
    yield handler
    controller.stop()


def test_email_sends_through_smtp_configured_in_the_brand_file(project, tmp_path, smtp_server, monkeypatch):
    with (project / "handouts/clinic.toml").open("a") as brand:
        brand.write(f'\n[smtp]\nhost = "127.0.0.1"\nport = {smtp_server.port}\nstarttls = false\n'
                    'user = "frontdesk"\nfrom = "desk@sample-skin.example.org"\n')
    monkeypatch.setenv("CLINIC_SMTP", "smtp-secret")
    csv_path = tmp_path / "list.csv"
    write_csv(csv_path, [["testinib", "Ann Lee", "Dr Díaz", "Twice a day.", "", "en", "letter",
                          "ann@example.org", "pw"],
                         ["about-patches", "Bo Chan", "", "", "", "en", "a4", "bo@example.org", ""]])
    result = run("email", str(csv_path), "--out", str(tmp_path / "o"), "--smtp-password-env", "CLINIC_SMTP",
                 project=project)
    assert result.exit_code == 0, result.output + result.stderr
    assert "sent 2 emails through 127.0.0.1" in result.output
    received = {tuple(to): message_from_bytes(content, policy=default) for to, content in smtp_server.messages}
    assert set(received) == {("ann@example.org",), ("bo@example.org",)}
    message = received[("ann@example.org",)]
    assert message["From"] == "desk@sample-skin.example.org"
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "testinib.pdf"
    pdf = tmp_path / "received.pdf"
    pdf.write_bytes(attachment.get_content())
    reader = PdfReader(pdf)
    assert reader.is_encrypted and reader.decrypt("pw")
    assert "Prepared for Ann Lee by Dr Díaz" in " ".join(reader.pages[0].extract_text().split())


def test_a_missing_smtp_password_is_reported_and_nothing_is_sent(project, tmp_path, smtp_server, monkeypatch):
    monkeypatch.delenv("MAKE_HANDOUTS_SMTP_PASSWORD", raising=False)
    csv_path = tmp_path / "list.csv"
    write_csv(csv_path, [["testinib", "Ann Lee", "", "", "", "en", "letter", "ann@example.org", ""]])
    result = run("batch", str(csv_path), "--out", str(tmp_path / "o"), "--send", "--smtp-host", "127.0.0.1",
                 "--smtp-port", str(smtp_server.port), "--no-smtp-starttls", "--smtp-user", "frontdesk",
                 project=project)
    assert result.exit_code == 1
    assert ("smtp: set the environment variable MAKE_HANDOUTS_SMTP_PASSWORD to the SMTP password of "
            "frontdesk") in result.stderr
    assert smtp_server.messages == []
