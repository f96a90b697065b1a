"""Batch personalisation from a CSV, and delivery by SMTP (a real local server) or .eml drafts."""

from __future__ import annotations

import csv
import io
import re
import socket
from datetime import datetime, timezone
from email import message_from_bytes
from email.utils import parsedate_to_datetime
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
        assert f"{csv_path}:{line}: error: {message}" in result.stderr
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
    assert f"{csv_path}:4: error: unknown handout 'nosuch'" in result.stderr
    text = pdf_text(tmp_path / "o/row-0002-testinib.pdf")
    assert "Line one\nLine two" in text


def test_blank_lines_are_no_rows_and_keep_row_numbers_right(project, tmp_path):
    csv_path = tmp_path / "list.csv"
    csv_path.write_text("slug,patient,prescriber,plan,next_visit,lang,paper\n\n"
                        "testinib,Ann Lee,,,,en,letter\n\n\nnosuch,Bo Chan,,,,en,letter\n\n", encoding="utf-8")
    out = tmp_path / "o"
    result = run("batch", str(csv_path), "--out", str(out), "--jobs", "1", project=project)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "rendered 1 of 1 rows",
        f"{csv_path}:6: error: unknown handout 'nosuch' in 'en' (known: about-patches, testinib) [csv-row]"]
    assert "built 1 of 2 rows" in result.output
    assert [p.name for p in out.iterdir()] == ["row-0003-testinib.pdf"]


def test_a_csv_with_missing_columns_builds_nothing(project, tmp_path):
    csv_path = tmp_path / "list.csv"
    csv_path.write_text("slug,name\ntestinib,Ann\n")
    result = run("batch", str(csv_path), "--out", str(tmp_path / "o"), project=project)
    assert result.exit_code == 1
    assert f"{csv_path}:1: error: missing column 'patient'" in result.stderr
    assert f"{csv_path}:1: error: unknown column 'name'" in result.stderr
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
    assert_dated_and_identified(message, "sample-skin.example.org")
    assert "Testo (testinib cream)" in message["Subject"]
    body = message.get_body(("plain",)).get_content()
    assert "prepared by Dr Díaz" in body and "protected with a password" in body
    assert "Ann" not in body and "Ann" not in message["Subject"]
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "testinib.pdf"
    assert attachment.get_content() == (out / "row-0002-testinib.pdf").read_bytes()


def assert_dated_and_identified(message, domain: str) -> None:
    """RFC 5322: a Date (now, with the local offset) and a Message-ID made for the sender's domain."""
    sent_at = parsedate_to_datetime(message["Date"])
    assert sent_at.tzinfo is not None and abs((datetime.now(timezone.utc) - sent_at).total_seconds()) < 120
    assert re.fullmatch(rf"<[^@<>\s]+@{re.escape(domain)}>", message["Message-ID"]), message["Message-ID"]


class Received:
    """What a test SMTP server was sent: (recipients, content) per message, and whether it came over TLS."""

    def __init__(self):
        self.messages = []
        self.tls = []

    async def handle_DATA(self, server, session, envelope):
        self.tls.append(session.ssl is not None)
        self.messages.append((envelope.rcpt_tos, envelope.content))
        return "250 OK"


def authenticate(server, session, envelope, mechanism, auth_data):
    """The one login the test servers accept."""
    from aiosmtpd.smtp import AuthResult, LoginPassword

    return AuthResult(success=isinstance(auth_data, LoginPassword)
                      and (auth_data.login, auth_data.password) == (b"frontdesk", b"smtp-secret"),
                      handled=False)  # aiosmtpd answers a refusal with 535 itself


def running_smtp_server(**options):
    """A real SMTP server (aiosmtpd, in a thread) on a free port of 127.0.0.1, for a fixture to yield."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = Received()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
    controller.start()
    handler.port = port
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1 that accepts one login (without TLS) and keeps what it receives."""
    yield from running_smtp_server(authenticator=authenticate, auth_require_tls=False)


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
                 "--allow-unencrypted", project=project)
    assert result.exit_code == 0, result.output + result.stderr
    assert "sent 2 emails through 127.0.0.1" in result.output
    received = {tuple(to): message_from_bytes(content, policy=default) for to, content in smtp_server.messages}
    assert set(received) == {("ann@example.org",), ("bo@example.org",)}
    message = received[("ann@example.org",)]
    assert message["From"] == "desk@sample-skin.example.org"
    assert_dated_and_identified(message, "sample-skin.example.org")
    assert message["Message-ID"] != received[("bo@example.org",)]["Message-ID"]
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
    assert ("--smtp-password-env: error: set the environment variable MAKE_HANDOUTS_SMTP_PASSWORD to the SMTP "
            "password of frontdesk [smtp]") in result.stderr
    assert smtp_server.messages == []
    assert not (tmp_path / "o").exists() and "rendered" not in result.stderr  # found before any PDF was made


def test_email_refuses_rows_without_a_password_unless_allowed_and_names_them(project, tmp_path, smtp_server,
                                                                          monkeypatch):
    monkeypatch.setenv("MAKE_HANDOUTS_SMTP_PASSWORD", "smtp-secret")
    csv_path = tmp_path / "list.csv"
    write_csv(csv_path, [["testinib", "Ann Lee", "", "", "", "en", "letter", "ann@example.org", "pw"],
                         ["testinib", "Bo Chan", "", "", "", "en", "letter", "bo@example.org", ""],
                         ["about-patches", "Cy Dunn", "", "", "", "en", "letter", "cy@example.org", ""]])
    server = ["--smtp-host", "127.0.0.1", "--smtp-port", str(smtp_server.port), "--no-smtp-starttls",
              "--smtp-user", "frontdesk"]
    result = run("email", str(csv_path), "--out", str(tmp_path / "o"), *server, project=project)
    assert result.exit_code == 1
    for line in (3, 4):
        assert (f"{csv_path}:{line}: error: password is empty: the handout would be emailed unencrypted; give the "
                "row a password, or pass --allow-unencrypted to send it so [csv-row]") in result.stderr
    assert "sent 1 emails through 127.0.0.1" in result.output
    assert [to for to, _ in smtp_server.messages] == [["ann@example.org"]]
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["row-0002-testinib.pdf"]

    result = run("email", str(csv_path), "--out", str(tmp_path / "o2"), *server, "--allow-unencrypted",
                 project=project)
    assert result.exit_code == 0, result.output + result.stderr
    assert "sent 3 emails through 127.0.0.1" in result.output
    assert "encrypted (AES-256): 1; not encrypted (no password): 2" in result.output


def test_the_mail_server_and_login_are_checked_before_any_pdf_is_made(project, tmp_path, smtp_server,
                                                                     monkeypatch):
    csv_path = tmp_path / "list.csv"
    write_csv(csv_path, [["testinib", "Ann Lee", "", "", "", "en", "letter", "ann@example.org", "pw"]])
    with socket.socket() as probe:  # a port nothing listens on: the server is down
        probe.bind(("127.0.0.1", 0))
        down = probe.getsockname()[1]
    monkeypatch.setenv("MAKE_HANDOUTS_SMTP_PASSWORD", "smtp-secret")
    result = run("email", str(csv_path), "--out", str(tmp_path / "o"), "--smtp-host", "127.0.0.1",
                 "--smtp-port", str(down), "--no-smtp-starttls", project=project)
    assert result.exit_code == 1
    assert result.stderr == (f"the mail server: error: could not send through 127.0.0.1:{down}: "
                             "ConnectionRefusedError: Connection refused [smtp]\n"
                             "1 problem with the mail server; nothing was built or sent.\n")
    assert not (tmp_path / "o").exists()

    monkeypatch.setenv("MAKE_HANDOUTS_SMTP_PASSWORD", "not-the-password")
    result = run("email", str(csv_path), "--out", str(tmp_path / "o"), "--smtp-host", "127.0.0.1",
                 "--smtp-port", str(smtp_server.port), "--no-smtp-starttls", "--smtp-user", "frontdesk",
                 project=project)
    assert result.exit_code == 1
    assert "the mail server: error: 127.0.0.1 refused the login of frontdesk [smtp]" in result.stderr
    assert not (tmp_path / "o").exists() and "rendered" not in result.stderr
    assert smtp_server.messages == []


@pytest.fixture
def bare_smtp_server():
    """A real SMTP server on 127.0.0.1 that offers neither STARTTLS nor AUTH (as an old relay does)."""
    yield from running_smtp_server()


def test_a_server_without_starttls_or_auth_is_told_in_words(project, tmp_path, bare_smtp_server, monkeypatch):
    monkeypatch.setenv("MAKE_HANDOUTS_SMTP_PASSWORD", "smtp-secret")
    csv_path = tmp_path / "list.csv"
    write_csv(csv_path, [["testinib", "Ann Lee", "", "", "", "en", "letter", "ann@example.org", "pw"]])
    server = ["--out", str(tmp_path / "o"), "--smtp-host", "127.0.0.1", "--smtp-port", str(bare_smtp_server.port)]
    where = f"127.0.0.1:{bare_smtp_server.port}"

    result = run("email", str(csv_path), *server, project=project)  # STARTTLS is asked for by default
    assert result.exit_code == 1
    assert (f"the mail server: error: {where} does not offer STARTTLS, so the mail and the login would travel "
            "unencrypted: ") in result.stderr
    assert "--no-smtp-starttls" in result.stderr and "None" not in result.stderr

    result = run("email", str(csv_path), *server, "--no-smtp-starttls", "--smtp-user", "frontdesk", project=project)
    assert result.exit_code == 1
    assert (f"the mail server: error: {where} does not accept a login (it offers no SMTP AUTH), so it cannot "
            "check frontdesk's password: remove the user (--smtp-user or [smtp] user) if the server needs no "
            "login, or check the host and port [smtp]") in result.stderr
    assert not (tmp_path / "o").exists() and bare_smtp_server.messages == []

    result = run("email", str(csv_path), *server, "--no-smtp-starttls", project=project)  # no login: it sends
    assert result.exit_code == 0, result.output + result.stderr
    [(_, content)] = bare_smtp_server.messages
    assert_dated_and_identified(message_from_bytes(content, policy=default), "sample-skin.example.org")


BAD_200 = {  # line -> (fields that differ from a good row, the message), one kind of mistake each
    7: (dict(slug="nosuch"), "unknown handout 'nosuch'"),
    23: (dict(patient=""), "patient name is empty"),
    41: (dict(next_visit="2099-02-30"), "next_visit is not a date"),
    60: (dict(next_visit="2000-01-01"), "next_visit is in the past"),
    77: (dict(lang="xx"), "unknown language 'xx'"),
    98: (dict(paper="tabloid"), "unknown paper 'tabloid'"),
    120: (dict(email="not-an-address"), "email is not an email address"),
    142: (dict(patient="A" * 150), "patient is 150 characters"),
    166: (dict(plan="x" * 1300), "plan is 1300 characters"),
    199: (dict(prescriber="Dr\x07Who"), "prescriber contains the non-printing character U+0007"),
}


def test_a_200_row_csv_with_10_bad_rows_builds_190_pdfs_and_names_the_10_by_row(project, tmp_path,
                                                                               monkeypatch):
    """Acceptance: the whole batch on two processes, as the front desk would run it."""
    import tempfile

    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    rows, good = [], {}
    for line in range(2, 202):
        slug = ("testinib", "about-patches")[line % 2]
        values = dict(slug=slug, patient=f"Patient Number{line}", prescriber="Dr Díaz", plan="Twice a day.",
                      next_visit="2099-01-01", lang="en", paper=("letter", "a4")[line % 3 == 0], email="",
                      password="pw" if line % 4 == 0 else "")
        if line in BAD_200:
            values.update(BAD_200[line][0])
        else:
            good[f"row-{line:04d}-{slug}.pdf"] = line
        rows.append([values[column] for column in HEADER])
    csv_path = tmp_path / "clinic-list.csv"
    write_csv(csv_path, rows)
    out = tmp_path / "batch"
    result = run("batch", str(csv_path), "--out", str(out), "--jobs", "2", project=project)
    assert result.exit_code == 1
    reported = [line for line in result.stderr.splitlines() if line.startswith(f"{csv_path}:")]
    assert len(reported) == 10
    for line, (_, message) in BAD_200.items():
        assert any(r.startswith(f"{csv_path}:{line}: error: {message}") for r in reported), line
    assert "built 190 of 200 rows into" in result.output and "; 10 rows failed" in result.output
    # Off a terminal, progress is a line each time another 100 rows are done (rows finish a run at a time,
    # so the count passes 100 rather than lands on it), and one at the end.
    progress = [line for line in result.stderr.splitlines() if line.startswith("rendered ")]
    assert len(progress) == 2 and progress[1] == "rendered 190 of 190 rows", progress
    assert 100 <= int(progress[0].split()[1]) < 100 + 16 and progress[0].endswith(" of 190 rows")
    assert "Patient" not in result.output + result.stderr  # rows are named by number only
    assert sorted(p.name for p in out.iterdir()) == sorted(good)
    for name, line in good.items():
        data = (out / name).read_bytes()
        assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    for name in list(good)[::37]:  # a sample of the 190, read back
        reader = PdfReader(out / name)
        assert reader.is_encrypted == (good[name] % 4 == 0)
        if reader.is_encrypted:
            assert reader.decrypt("pw")
        text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
        assert f"Prepared for Patient Number{good[name]} by Dr Díaz" in text
    assert list(temp.iterdir()) == []  # no font folder or other temporary file left behind


@pytest.fixture
def tls_smtp_server(tmp_path):
    """A real SMTP server on 127.0.0.1 that requires STARTTLS before login, with a self-signed certificate
    made here; `certificate` is its PEM file for the client to trust."""
    import ssl

    from conftest import self_signed

    cert_path, key_path = self_signed(tmp_path, "smtp")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    for handler in running_smtp_server(authenticator=authenticate, tls_context=context, require_starttls=True,
                                       auth_require_tls=True):
        handler.certificate = cert_path
        yield handler


def test_starttls_with_the_servers_own_certificate_sends_encrypted(project, tmp_path, tls_smtp_server,
                                                                  monkeypatch):
    (project / "handouts/smtp-ca.pem").write_bytes(tls_smtp_server.certificate.read_bytes())
    with (project / "handouts/clinic.toml").open("a") as brand:  # ca_file is relative to the brand file
        brand.write(f'\n[smtp]\nhost = "127.0.0.1"\nport = {tls_smtp_server.port}\nstarttls = true\n'
                    'user = "frontdesk"\nca_file = "smtp-ca.pem"\n')
    monkeypatch.setenv("MAKE_HANDOUTS_SMTP_PASSWORD", "smtp-secret")
    csv_path = tmp_path / "list.csv"
    write_csv(csv_path, [["testinib", "Ann Lee", "Dr Díaz", "", "", "en", "letter", "ann@example.org", "pw"]])
    result = run("email", str(csv_path), "--out", str(tmp_path / "o"), project=project)
    assert result.exit_code == 0, result.output + result.stderr
    assert "sent 1 emails through 127.0.0.1" in result.output
    assert tls_smtp_server.tls == [True]  # the message went over the TLS session
    [(to, content)] = tls_smtp_server.messages
    assert to == ["ann@example.org"]
    [attachment] = list(message_from_bytes(content, policy=default).iter_attachments())
    assert attachment.get_content() == (tmp_path / "o/row-0002-testinib.pdf").read_bytes()


def test_starttls_refuses_a_certificate_it_cannot_verify_and_sends_nothing(project, tmp_path,
                                                                          tls_smtp_server, monkeypatch):
    monkeypatch.setenv("MAKE_HANDOUTS_SMTP_PASSWORD", "smtp-secret")
    csv_path = tmp_path / "list.csv"
    write_csv(csv_path, [["testinib", "Ann Lee", "", "", "", "en", "letter", "ann@example.org", "pw"]])
    common = ["--out", str(tmp_path / "o"), "--smtp-host", "127.0.0.1", "--smtp-port",
              str(tls_smtp_server.port), "--smtp-user", "frontdesk"]
    result = run("email", str(csv_path), *common, project=project)
    assert result.exit_code == 1
    assert ("the mail server: error: the certificate of 127.0.0.1 could not be verified (self-signed "
            "certificate); if the clinic's server has its own certificate, give it with --smtp-ca-file or [smtp] "
            "ca_file [smtp]") in result.stderr
    assert tls_smtp_server.messages == []
    result = run("email", str(csv_path), *common, "--smtp-ca-file", str(tls_smtp_server.certificate),
                 project=project)
    assert result.exit_code == 0, result.output + result.stderr
    assert tls_smtp_server.tls == [True]


def test_files_can_be_named_by_a_column_the_clinic_chooses_never_by_a_patient_column(project, tmp_path):
    csv_path = tmp_path / "list.csv"
    csv_path.write_text("slug,patient,prescriber,plan,next_visit,lang,paper,visit\n"
                        "testinib,Ann Lee,,,,en,letter,V-1001\n"
                        "about-patches,Bo Chan,,,,en,a4,V-1002\n"
                        "testinib,Cy Dee,,,,en,letter,../etc/x\n"
                        "testinib,Di Eng,,,,en,letter,v-1001\n"
                        "testinib,Ed Fox,,,,en,letter,EdFox-7\n", encoding="utf-8")
    out = tmp_path / "o"
    result = run("batch", str(csv_path), "--out", str(out), "--jobs", "1", "--name-column", "visit",
                 project=project)
    assert result.exit_code == 1
    assert sorted(p.name for p in out.iterdir()) == ["V-1001-testinib.pdf", "V-1002-about-patches.pdf"]
    assert (f"{csv_path}:4: error: visit cannot name a file: use 1 to 64 letters, digits, '.', '_' or '-'"
            in result.stderr)
    assert f"{csv_path}:5: error: visit repeats line 2: file names must differ" in result.stderr
    assert f"{csv_path}:6: error: visit contains the patient's name: it would be in the file name" in result.stderr
    for column in ("patient", "prescriber", "email"):
        result = run("batch", str(csv_path), "--out", str(tmp_path / column), "--name-column", column,
                     project=project)
        assert result.exit_code == 1
        assert (f"--name-column: error: '{column}': files can be named by an extra column of the CSV "
                "(e.g. a visit number), not by patient data [option]") in result.output + result.stderr
        assert not (tmp_path / column).exists()


def test_each_row_has_its_own_language_and_print_size(project, tmp_path):
    csv_path = tmp_path / "list.csv"
    csv_path.write_text("slug,patient,prescriber,plan,next_visit,lang,paper,large_print,email\n"
                        "testinib,Ann Lee,Dr Díaz,Dos veces al día.,2099-01-01,es,a4,,ana@example.org\n"
                        "testinib,Bo Chan,,Twice a day.,,en,letter,yes,bo@example.org\n"
                        "about-patches,Cy Dee,,,,es,letter,yes,cy@example.org\n"
                        "testinib,Di Eng,,,,es,letter,maybe,di@example.org\n", encoding="utf-8")
    out = tmp_path / "o"
    result = run("batch", str(csv_path), "--out", str(out), "--jobs", "2", "--send", "--allow-unencrypted",
                 project=project)
    assert result.exit_code == 1
    assert f"{csv_path}:5: error: large_print is 'maybe': write yes or no (or leave it empty)" in result.stderr
    assert "built 3 of 4 rows" in result.output
    spanish = PdfReader(out / "row-0002-testinib.pdf")
    sheet = " ".join(spanish.pages[0].extract_text().split())
    assert "Su plan Preparado para Ann Lee por Dr Díaz el" in sheet
    assert "Su próxima visita: 1 de enero de 2099" in sheet
    assert spanish.trailer["/Root"]["/Lang"] == "es"
    assert round(float(spanish.pages[0].mediabox.width)) == 595  # A4
    from test_accessibility import LARGE_PRINT_MIN_PT, text_sizes
    regular, large = (min(size for _, size in text_sizes(PdfReader(out / name).pages[0]))
                      for name in ("row-0002-testinib.pdf", "row-0003-testinib.pdf"))
    assert regular < LARGE_PRINT_MIN_PT <= large  # the large_print column chose the edition
    assert "Página 1 de" in PdfReader(out / "row-0004-about-patches.pdf").pages[1].extract_text()
    # The email goes out in the row's language too.
    message = BytesParser(policy=default).parse((out / "row-0002-testinib.eml").open("rb"))
    assert message["Subject"].startswith("Su hoja informativa de Sample Skin Clinic: ")
    body = message.get_body(("plain",)).get_content()
    assert body.startswith("Hola:\n\nLe enviamos su hoja informativa «") and "preparada por Dr Díaz" in body
    assert "Ann" not in body + message["Subject"]


def test_email_names_files_by_a_chosen_column_too(project, tmp_path):
    csv_path = tmp_path / "list.csv"
    csv_path.write_text("slug,patient,prescriber,plan,next_visit,lang,paper,email,visit\n"
                        "testinib,Ann Lee,,,,en,letter,ann@example.org,V-1001\n", encoding="utf-8")
    out = tmp_path / "o"
    result = run("email", str(csv_path), "--out", str(out), "--name-column", "visit", "--allow-unencrypted",
                 project=project)
    assert result.exit_code == 0, result.output + result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["V-1001-testinib.eml", "V-1001-testinib.pdf"]


# --- the file itself: columns, separators (issue 15 item 2) ---------------------------------------------

def test_a_repeated_column_is_refused_naming_it_and_nothing_is_built(project, tmp_path):
    """With two patient columns the last one won: another row's name on the sheet, and no word said."""
    csv_path = tmp_path / "list.csv"
    csv_path.write_text("slug,patient,prescriber,plan,next_visit,lang,paper,patient\n"
                        "testinib,Ana Perez,,,,en,letter,Maria Lopez\n", encoding="utf-8")
    out = tmp_path / "o"
    result = run("batch", str(csv_path), "--out", str(out), project=project)
    assert result.exit_code == 1
    assert (f"{csv_path}:1: error: column 'patient' appears twice; keep one (the PDF would print one of them "
            "and silently drop the others) [csv]") in result.stderr
    assert "Maria" not in result.output + result.stderr and "Ana" not in result.output + result.stderr
    assert not out.exists()


def test_a_column_repeated_three_times_is_named_once(project, tmp_path):
    csv_path = tmp_path / "list.csv"
    csv_path.write_text("slug,patient,prescriber,plan,plan,next_visit,lang,paper,plan\n", encoding="utf-8")
    result = run("batch", str(csv_path), "--out", str(tmp_path / "o"), project=project)
    assert result.exit_code == 1
    assert [line for line in result.stderr.splitlines() if "appears" in line] == [
        f"{csv_path}:1: error: column 'plan' appears 3 times; keep one (the PDF would print one of them and "
        "silently drop the others) [csv]"]


@pytest.mark.parametrize("separator, name", [(";", "semicolons"), ("\t", "tabs")])
def test_a_csv_saved_with_another_separator_says_so(project, tmp_path, separator, name):
    """A spreadsheet set to a European locale saves 'CSV' with semicolons."""
    csv_path = tmp_path / "list.csv"
    csv_path.write_text(separator.join(["slug", "patient", "prescriber", "plan", "next_visit", "lang", "paper"])
                        + "\n" + separator.join(["testinib", "Ann Lee", "", "", "", "en", "letter"]) + "\n",
                        encoding="utf-8")
    result = run("batch", str(csv_path), "--out", str(tmp_path / "o"), project=project)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"{csv_path}:1: error: the columns are separated by {name}, not commas: save the file as 'CSV UTF-8 "
        "(comma delimited)', or export it with ',' as the separator [csv]")
    assert "missing column" not in result.stderr  # one message that says what is wrong, not eight
    assert not (tmp_path / "o").exists()


def test_a_csv_that_is_not_utf8_names_the_line(project, tmp_path):
    csv_path = tmp_path / "list.csv"
    lines = ["slug,patient,prescriber,plan,next_visit,lang,paper"] + ["testinib,Ann Lee,,,,en,letter"] * 3000
    csv_path.write_bytes("\n".join(lines).encode() + b"\ntestinib,Jos\xe9 Ruiz,,,,en,letter\n")  # Latin-1
    result = run("batch", str(csv_path), "--out", str(tmp_path / "o"), project=project)
    assert result.exit_code == 1
    assert (f"{csv_path}:3002: error: the CSV is not UTF-8 text: save it as 'CSV UTF-8' [encoding]"
            in result.stderr)
    assert not (tmp_path / "o").exists()  # found before a row is rendered


def test_a_field_too_long_for_the_csv_reader_is_a_message_not_a_traceback(project, tmp_path):
    csv_path = tmp_path / "list.csv"
    csv_path.write_text("slug,patient,prescriber,plan,next_visit,lang,paper\n"
                        f'testinib,Ann Lee,,"{"x" * 200_000}",,en,letter\n', encoding="utf-8")
    result = run("batch", str(csv_path), "--out", str(tmp_path / "o"), project=project)
    assert result.exit_code == 1
    assert f"{csv_path}:2: error: the CSV cannot be read here: field larger than field limit" in result.stderr


# --- long files: streamed, bounded (issue 15 item 10) ------------------------------------------------------

def test_rows_go_out_in_runs_as_they_are_read_holding_a_bounded_number():
    from types import SimpleNamespace

    from handout_builder.deliver.batch import RUN_LENGTH, runs

    read = []

    def rows(count):
        for n in range(count):
            read.append(n)
            yield SimpleNamespace(n=n, request=SimpleNamespace(layout_key=("slug", n % 50)))

    work = runs(rows(100_000), held=3000, burst=4)
    first = next(work)
    assert len(read) < 3200  # the first run went before the file was read to its end
    held_most, editions = 0, [first[0].request.layout_key]
    for run in work:
        assert len({row.request.layout_key for row in run}) == 1 and len(run) <= RUN_LENGTH
        held_most = max(held_most, len(read) - run[-1].n)
        editions.append(run[0].request.layout_key)
    assert held_most <= 3001 + 4 * RUN_LENGTH
    assert len(read) == 100_000
    # An edition's runs come four in a row: each process gets the edition it has laid out.
    assert editions[:4] == [editions[0]] * 4 and editions[4:8] == [editions[4]] * 4 != editions[:4]


def test_a_batch_gives_the_pool_a_few_runs_at_a_time(project, tmp_path, monkeypatch):
    """The runs submitted and not yet written stay bounded however long the file (every run was submitted
    at once, and every PDF kept to the end: 10,000 rows took 1.3 GB); the rows read ahead are the runs()
    test's."""
    import handout_builder.build.pool as pool
    from handout_builder.deliver import batch

    monkeypatch.setattr(batch, "RUN_LENGTH", 2)
    submitted, done, most = [0], [0], [0]
    submit = pool.Pool.submit

    def counted(self, method, *requests):
        submitted[0] += len(requests[0])
        most[0] = max(most[0], submitted[0] - done[0])  # rows given to the pool and not yet written
        return submit(self, method, *requests)

    def progress(rows_done, total):
        done[0] = rows_done - 1  # the first row renders in this process, before the pool

    monkeypatch.setattr(pool.Pool, "submit", counted)
    csv_path = tmp_path / "list.csv"
    write_csv(csv_path, [["testinib", f"Patient Number{n}", "", "", "", "en", "letter", "", ""]
                         for n in range(41)])
    report = batch.run_batch(project, csv_path, tmp_path / "o", jobs=2, progress=progress)
    assert not report.failed and report.lines[0] == f"built 41 of 41 rows into {tmp_path / 'o'}"
    assert len(list((tmp_path / "o").iterdir())) == 41
    assert submitted[0] == 40
    assert most[0] <= batch.RUNS_PER_PROCESS * 2 * batch.RUN_LENGTH


def test_a_csv_saved_again_while_the_batch_runs_stops_it(project, tmp_path, monkeypatch):
    """The rows are read again to be built: a file saved in between may not hold the rows checked."""
    from handout_builder.deliver import batch

    csv_path = tmp_path / "list.csv"
    csv_path.write_text("slug,patient,prescriber,plan,next_visit,lang,paper\ntestinib,Ann Lee,,,,en,letter\n",
                        encoding="utf-8")
    plan_batch = batch.plan_batch

    def then_saved(*args, **kwargs):
        plan = plan_batch(*args, **kwargs)
        csv_path.write_text(csv_path.read_text() + "testinib,Bo Chan,,,,xx,letter\n", encoding="utf-8")
        return plan

    monkeypatch.setattr(batch, "plan_batch", then_saved)
    result = run("batch", str(csv_path), "--out", str(tmp_path / "o"), project=project)
    assert result.exit_code == 1
    assert f"{csv_path}: error: the CSV changed while the batch ran; run it again [csv]" in result.stderr
    assert list((tmp_path / "o").iterdir()) == []


def test_a_long_batch_starts_fresh_workers_every_so_many_rows(project, tmp_path, monkeypatch):
    """A worker grows with every copy it renders: a long batch's memory stays flat with fresh ones."""
    import os

    from handout_builder.deliver import batch
    from handout_builder.deliver.personalize import Personalizer

    monkeypatch.setattr(batch, "RUN_LENGTH", 2)
    monkeypatch.setattr(batch, "ROWS_PER_WORKER", 4)
    workers = tmp_path / "workers"
    render_rows = Personalizer.render_rows

    def noted(self, requests):  # in the forked workers too
        with workers.open("a") as handle:
            handle.write(f"{os.getpid()}\n")
        return render_rows(self, requests)

    monkeypatch.setattr(Personalizer, "render_rows", noted)
    csv_path = tmp_path / "list.csv"
    write_csv(csv_path, [["testinib", f"Patient Number{n}", "", "", "", "en", "letter", "", ""] for n in range(25)])
    result = run("batch", str(csv_path), "--out", str(tmp_path / "o"), "--jobs", "2", project=project)
    assert result.exit_code == 0, result.stderr
    assert len(list((tmp_path / "o").iterdir())) == 25
    pids = set(workers.read_text().split()) - {str(os.getpid())}
    assert len(pids) >= 4  # two workers, then two fresh ones at least
    text = pdf_text(tmp_path / "o/row-0026-testinib.pdf")
    assert "Prepared for Patient Number24" in " ".join(text.split())
