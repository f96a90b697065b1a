"""`make-handouts print`: a real CUPS scheduler with a cups-pdf queue, started here on 127.0.0.1."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import run
from handout_builder.editions import Edition
from handout_builder.deliver.printing import pdf_for_printing

QUEUE = "handouts-pdf"
CUPS_PDF_PPD = Path("/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd")
CUPS_PDF_CONF = Path("/etc/cups/cups-pdf.conf")
needs_cups = pytest.mark.skipif(
    not all(shutil.which(p) for p in ("cupsd", "lp", "lpadmin")) or not CUPS_PDF_PPD.exists()
    or os.geteuid() != 0,  # the cups-pdf backend only runs under a root scheduler
    reason="CUPS with the cups-pdf printer is not installed, or not root (.ci/run installs it)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def cups_server():
    """A private cupsd on 127.0.0.1 with one cups-pdf queue; its address, for CUPS_SERVER."""
    with tempfile.TemporaryDirectory(prefix="handouts-cups-") as folder:
        yield from _run_cupsd(Path(folder))


def _run_cupsd(root: Path):
    # CUPS filters run as the unprivileged `lp` user: the spool must be reachable for it (pytest's own
    # temporary folders are private to root).
    root.chmod(0o755)
    for folder in ("conf/ppd", "spool/tmp", "cache", "state", "log"):
        (root / folder).mkdir(parents=True)
    (root / "spool/tmp").chmod(0o1777)
    port = free_port()
    (root / "conf/cupsd.conf").write_text(f"""Listen 127.0.0.1:{port}
LogLevel warn
WebInterface No
Browsing No
DefaultAuthType None
<Location />
  Order allow,deny
  Allow 127.0.0.1
</Location>
<Policy default>
  JobPrivateAccess all
  JobPrivateValues none
  SubscriptionPrivateAccess all
  SubscriptionPrivateValues none
  <Limit All>
    Order allow,deny
    Allow 127.0.0.1
  </Limit>
</Policy>
""")
    (root / "conf/cups-files.conf").write_text(f"""ServerRoot {root}/conf
RequestRoot {root}/spool
TempDir {root}/spool/tmp
CacheDir {root}/cache
StateDir {root}/state
ErrorLog {root}/log/error_log
AccessLog {root}/log/access_log
PageLog {root}/log/page_log
ServerBin /usr/lib/cups
DataDir /usr/share/cups
""")
    cupsd = subprocess.Popen(["cupsd", "-f", "-c", str(root / "conf/cupsd.conf"),
                              "-s", str(root / "conf/cups-files.conf")])
    address = f"127.0.0.1:{port}"
    env = {**os.environ, "CUPS_SERVER": address}
    try:
        for _ in range(100):
            if subprocess.run(["lpstat", "-r"], env=env, capture_output=True, text=True).stdout.startswith(
                    "scheduler is running"):
                break
            time.sleep(0.1)
        subprocess.run(["lpadmin", "-p", QUEUE, "-E", "-v", "cups-pdf:/", "-P", str(CUPS_PDF_PPD)],
                       env=env, check=True, capture_output=True)
        yield address
    finally:
        cupsd.terminate()
        cupsd.wait(timeout=10)


def cups_pdf_folder() -> Path:
    """Where cups-pdf writes a job from this user: `Out` in its configuration (default ${HOME}/PDF)."""
    out = "${HOME}/PDF"
    for line in CUPS_PDF_CONF.read_text().splitlines():
        if line.startswith("Out "):
            out = line.split(None, 1)[1].strip()
    return Path(out.replace("${HOME}", str(Path.home())).replace("${USER}", os.environ.get("USER", "root")))


def wait_for_new_pdf(folder: Path, before: set[Path], timeout_s: float = 60) -> Path:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        new = set(folder.glob("*.pdf")) - before if folder.is_dir() else set()
        if new:
            found = new.pop()
            # cups-pdf creates the file before Ghostscript has finished writing it: wait for its end.
            while time.monotonic() < deadline and not found.read_bytes().rstrip().endswith(b"%%EOF"):
                time.sleep(0.2)
            time.sleep(0.2)
            return found
        time.sleep(0.2)
    raise AssertionError(f"cups-pdf wrote no PDF into {folder} within {timeout_s} s")


@needs_cups
def test_print_builds_a_missing_handout_and_the_queue_prints_every_page(project, cups_server, monkeypatch):
    monkeypatch.setenv("CUPS_SERVER", cups_server)
    folder = cups_pdf_folder()
    before = set(folder.glob("*.pdf")) if folder.is_dir() else set()

    result = run("print", "testinib", "--printer", QUEUE, project=project)

    assert result.exit_code == 0, result.output
    assert f"wrote {project / 'out/en/letter/testinib.pdf'}" in result.output  # it was missing
    match = re.search(rf"sent (\S+) to printer {QUEUE}: job ({QUEUE}-\d+), 1 copy, double-sided", result.output)
    assert match, result.output
    assert match[1] == str(project / "out/en/letter/testinib.pdf")
    printed = wait_for_new_pdf(folder, before)
    try:
        assert len(PdfReader(printed).pages) == len(PdfReader(match[1]).pages) == 3
    finally:
        printed.unlink()


@needs_cups
def test_print_uses_the_default_printer_and_fails_cleanly_on_an_unknown_one(project, cups_server, monkeypatch):
    monkeypatch.setenv("CUPS_SERVER", cups_server)
    assert run("build", "about-patches", project=project).exit_code == 0
    result = run("print", "about-patches", "--printer", "no-such-printer", project=project)
    assert result.exit_code == 1
    assert "the printer: error: could not print to 'no-such-printer': " in result.output
    assert result.output.endswith("1 problem with the printer; nothing was printed.\n")

    subprocess.run(["lpadmin", "-d", QUEUE], check=True, capture_output=True)
    folder = cups_pdf_folder()
    before = set(folder.glob("*.pdf")) if folder.is_dir() else set()
    result = run("print", "about-patches", "--single-sided", project=project)
    assert result.exit_code == 0, result.output
    assert "wrote" not in result.output  # already built and current
    assert f"to printer {QUEUE}: job {QUEUE}-" in result.output and "one-sided" in result.output
    wait_for_new_pdf(folder, before).unlink()


def test_print_without_cups_says_so(project, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no lp anywhere
    result = run("print", "testinib", project=project)
    assert result.exit_code == 1
    assert result.output == (
        "the printer: error: CUPS is not installed on this computer (no `lp` command): install cups-client, or "
        "open out/index.html and print the PDF from the browser [print]\n"
        "1 problem with the printer; nothing was printed.\n")
    assert not (project / "out").exists()


@pytest.mark.skipif(shutil.which("lp") is None, reason="CUPS' lp is not installed (.ci/run installs it)")
def test_print_with_no_printer_says_how_to_name_one(project, monkeypatch):
    monkeypatch.setenv("CUPS_SERVER", f"127.0.0.1:{free_port()}")  # nothing listens there
    result = run("print", "testinib", project=project)
    assert result.exit_code == 1
    assert ("the printer: error: no printer was named and CUPS has no default printer: pass --printer NAME"
            in result.output)
    assert not (project / "out").exists()


def test_a_stale_or_altered_pdf_is_rebuilt_before_printing(project):
    log = []
    built = []  # the lines that say a file was written: the PDF, the manifest and the catalog, per build
    edition = Edition("en", "a4")

    def record(line: str) -> None:
        log.append(line)
        if line.startswith("wrote "):
            built.append(line)

    pdf = pdf_for_printing(project, "testinib", edition, log=record)
    assert pdf == project / "out/en/a4/testinib.pdf" and len(built) == 3
    assert pdf_for_printing(project, "testinib", edition, log=record) == pdf and len(built) == 3
    assert log[-1].startswith("up to date: 1 PDF")

    drug = project / "handouts/drugs/testinib.en.yaml"
    drug.write_text(drug.read_text() + "\n# edited after the build\n")  # builds skip mere touches
    os.utime(drug, (pdf.stat().st_mtime + 5,) * 2)
    pdf_for_printing(project, "testinib", edition, log=record)
    assert len(built) == 6

    pdf.write_bytes(pdf.read_bytes() + b"\n%")  # not the file the manifest describes
    os.utime(pdf, (pdf.stat().st_mtime + 10,) * 2)
    pdf_for_printing(project, "testinib", edition, log=record)
    assert len(built) == 9
