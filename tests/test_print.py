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
from handout_builder.editions import LARGE_PRINT, Edition, Variant
from handout_builder.deliver.printing import pdf_for_printing

QUEUE = "handouts-pdf"
LOGS: dict[str, Path] = {}  # a test scheduler's address -> its log folder (the page log has each job's options)
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
        # A4 by default: a Letter handout sent without its paper comes out shrunk onto A4.
        subprocess.run(["lpadmin", "-p", QUEUE, "-E", "-v", "cups-pdf:/", "-P", str(CUPS_PDF_PPD),
                        "-o", "PageSize=A4"], env=env, check=True, capture_output=True)
        LOGS[address] = root / "log"
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


def wait_for_job_pdf(folder: Path, job_id: str, title: str, since: float, timeout_s: float = 60) -> Path:
    """The PDF cups-pdf wrote for this job: "TITLE...job_N.pdf", written after `since` (other schedulers
    share the folder, and number their jobs from 1 too)."""
    number = job_id.rsplit("-", 1)[1]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for found in folder.glob(f"*job_{number}.pdf") if folder.is_dir() else ():
            if found.name.startswith(title) and found.stat().st_mtime >= since - 1:
                # cups-pdf creates the file before Ghostscript has finished writing it: wait for its end.
                while time.monotonic() < deadline and not found.read_bytes().rstrip().endswith(b"%%EOF"):
                    time.sleep(0.2)
                return found
        time.sleep(0.2)
    raise AssertionError(f"cups-pdf wrote no PDF for job {job_id} into {folder} within {timeout_s} s")


def job_options(address: str, job_id: str, timeout_s: float = 30) -> tuple[str, str, str]:
    """(job name, media, sides) of a finished job, from the scheduler's page log (its default format ends
    with %{job-name} %{media} %{sides})."""
    number = job_id.rsplit("-", 1)[1]
    log = LOGS[address] / "page_log"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for line in log.read_text().splitlines() if log.exists() else []:
            fields = line.split()
            if fields[:3] == [QUEUE, fields[1], number]:
                return fields[-3], fields[-2], fields[-1]
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} is not in the page log {log}")


def page_sizes_pt(path: Path) -> set[tuple[int, int]]:
    """Each page's paper, portrait, in whole points (a landscape leaflet is turned onto portrait paper)."""
    return {tuple(sorted((round(float(page.mediabox.width)), round(float(page.mediabox.height)))))
            for page in PdfReader(path).pages}


LETTER_PT, A4_PT = (612, 792), (595, 842)


@needs_cups
def test_print_builds_a_missing_handout_and_the_queue_prints_every_page(project, cups_server, monkeypatch):
    monkeypatch.setenv("CUPS_SERVER", cups_server)
    folder, since = cups_pdf_folder(), time.time()
    result = run("print", "testinib", "--printer", QUEUE, project=project)

    assert result.exit_code == 0, result.output
    assert f"wrote {project / 'out/en/letter/testinib.pdf'}" in result.output  # it was missing
    match = re.search(rf"sent (\S+) to printer {QUEUE}: job ({QUEUE}-\d+), 1 copy, double-sided", result.output)
    assert match, result.output
    assert match[1] == str(project / "out/en/letter/testinib.pdf")
    printed = wait_for_job_pdf(folder, match[2], "testinib.pdf", since)
    try:
        assert len(PdfReader(printed).pages) == len(PdfReader(match[1]).pages) == 3
    finally:
        printed.unlink()


@needs_cups
def test_print_puts_the_edition_on_its_own_paper_found_by_brand_name_or_catalog_path(project, cups_server,
                                                                                      monkeypatch):
    """The queue's paper is A4: a Letter handout prints on Letter, an A4 one on A4."""
    monkeypatch.setenv("CUPS_SERVER", cups_server)
    folder, since = cups_pdf_folder(), time.time()
    result = run("print", "Testo", "--printer", QUEUE, project=project)  # the drug's brand name, any case
    assert result.exit_code == 0, result.output
    job = re.search(rf"sent {re.escape(str(project))}/out/en/letter/testinib.pdf to printer {QUEUE}: "
                    rf"job ({QUEUE}-\d+), 1 copy, double-sided\n", result.output)
    assert job, result.output
    assert job_options(cups_server, job[1]) == ("testinib.pdf", "Letter", "two-sided-long-edge")
    printed = wait_for_job_pdf(folder, job[1], "testinib.pdf", since)
    try:
        assert page_sizes_pt(printed) == {LETTER_PT} and len(PdfReader(printed).pages) == 3
    finally:
        printed.unlink()

    # The catalog's path: its folders give language and paper, whatever the options say.
    result = run("print", "out/es/a4/testinib.pdf", "--paper", "letter", "--printer", QUEUE, project=project)
    assert result.exit_code == 0, result.output
    job = re.search(rf"sent {re.escape(str(project))}/out/es/a4/testinib.pdf to printer {QUEUE}: job (\S+),",
                    result.output)
    assert job, result.output
    assert job_options(cups_server, job[1]) == ("testinib.pdf", "A4", "two-sided-long-edge")
    printed = wait_for_job_pdf(folder, job[1], "testinib.pdf", since)
    try:
        assert page_sizes_pt(printed) == {A4_PT}
    finally:
        printed.unlink()


def test_print_finds_a_handout_by_brand_or_generic_name_or_catalog_path(project, tmp_path, monkeypatch):
    from handout_builder.deliver.printing import find_printable

    es_a4, es_a4_large = Edition("es", "a4"), Edition("es", "a4", Variant.of(LARGE_PRINT))
    for name, edition, found in (
            ("testo", es_a4, ("testinib", es_a4)),  # as `print opzelura --lang es --paper a4`
            ("TESTINIB CREAM", Edition(), ("testinib", Edition())),  # the generic name
            ("about-patches", es_a4, ("about-patches", es_a4)),
            ("brochure", Edition(), ("brochure", Edition())),
            ("out/es/a4/testinib.large-print.pdf", Edition(), ("testinib", es_a4_large)),
            (str(project / "out/en/letter/leaflet.pdf"), es_a4, ("leaflet", Edition()))):
        assert find_printable(project, name, edition) == found, name
    monkeypatch.chdir(tmp_path)  # a path from another folder is taken from the project
    assert find_printable(project, "out/es/a4/testinib.pdf", Edition()) == ("testinib", es_a4)


def test_print_names_what_it_cannot_find(project):
    out = project / "out"
    for args, message in (
            (["nosuch"], "unknown handout 'nosuch' in 'en': give a slug, a drug's brand name or a PDF of the "
                         "output folder (known: about-patches, brochure, leaflet, testinib, Testo)"),
            (["out/en/letter/testinib.booklet.pdf"],  # only the brochure has a booklet
             f"'out/en/letter/testinib.booklet.pdf' is not a handout's PDF in {out} (LANG/PAPER/SLUG[.EDITION].pdf)"),
            (["out/en/letter/brochure.print-shop.pdf"],
             "'out/en/letter/brochure.print-shop.pdf' is the print shop edition of the brochure, made for printing "
             "elsewhere, not on the clinic's printer: print the brochure itself (`print brochure`)"),
            ([str(project / "handouts/logo.pdf")], f"'{project / 'handouts/logo.pdf'}' is not in the output folder "
                                                   f"{out}: print a PDF of it, a slug or a drug's brand name"),
            (["leaflet", "--large-print"], "the leaflet has no large-print edition (18 pt text does not fit its "
                                           "panels): print it without --large-print")):
        result = run("print", *args, project=project)
        assert result.exit_code == 1
        assert result.output == f"NAME: error: {message} [print]\n1 problem with NAME; nothing was printed.\n"
    assert not out.exists()


@needs_cups
def test_print_brochure_long_edge_and_leaflet_short_edge_on_the_real_queue(project, cups_server, monkeypatch):
    monkeypatch.setenv("CUPS_SERVER", cups_server)
    folder, since = cups_pdf_folder(), time.time()
    for name, sides, said in (("brochure", "two-sided-long-edge", "double-sided"),
                              ("leaflet", "two-sided-short-edge", "double-sided, flipped on the short edge")):
        result = run("print", name, "--printer", QUEUE, project=project)
        assert result.exit_code == 0, result.output
        built = project / f"out/en/letter/{name}.pdf"
        assert f"wrote {built} (" in result.output
        job = re.search(rf"sent {re.escape(str(built))} to printer {QUEUE}: job (\S+), 1 copy, {said}\n",
                        result.output)
        assert job, result.output
        assert job_options(cups_server, job[1]) == (f"{name}.pdf", "Letter", sides)
        printed = wait_for_job_pdf(folder, job[1], f"{name}.pdf", since)
        try:
            assert len(PdfReader(printed).pages) == len(PdfReader(built).pages)
            assert page_sizes_pt(printed) == {LETTER_PT}
        finally:
            printed.unlink()
    assert [line for line in result.output.splitlines() if line.startswith("wrote") and ".pdf " in line] == [
        f"wrote {project / 'out/en/letter/leaflet.pdf'} (2 pages)"]  # only the leaflet: the brochure is current


@needs_cups
def test_a_stopped_queue_is_said_whatever_the_language_and_nothing_is_sent(project, cups_server, monkeypatch):
    monkeypatch.setenv("CUPS_SERVER", cups_server)
    subprocess.run(["cupsdisable", "-r", "out of paper", QUEUE], check=True, capture_output=True)
    try:
        monkeypatch.setenv("LANG", "es_ES.UTF-8")  # lpstat answers in Spanish: "la impresora ... deshabilitada"
        for variable in ("LC_ALL", "LC_MESSAGES"):  # either would override LANG and keep lpstat in English
            monkeypatch.delenv(variable, raising=False)
        result = run("print", "testinib", "--printer", QUEUE, project=project)
        assert result.exit_code == 1
        assert result.output.endswith(
            f"the printer: error: the printer '{QUEUE}' is stopped (out of paper): nothing was sent; start it again "
            f"(`cupsenable {QUEUE}`) and print once more [print]\n1 problem with the printer; nothing was printed.\n")
        queued = subprocess.run(["lpstat", "-o", QUEUE], capture_output=True, text=True).stdout
        assert queued == ""
    finally:
        subprocess.run(["cancel", "-a", QUEUE], check=True, capture_output=True)  # a job sent by mistake
        subprocess.run(["cupsenable", QUEUE], check=True, capture_output=True)


@needs_cups
def test_print_uses_the_default_printer_and_fails_cleanly_on_an_unknown_one(project, cups_server, monkeypatch):
    monkeypatch.setenv("CUPS_SERVER", cups_server)
    assert run("build", "about-patches", project=project).exit_code == 0
    result = run("print", "about-patches", project=project)  # CUPS runs, but no printer is its default yet
    assert result.exit_code == 1
    assert ("the printer: error: no printer was named and CUPS has no default printer: pass --printer NAME"
            in result.output)
    result = run("print", "about-patches", "--printer", "no-such-printer", project=project)
    assert result.exit_code == 1
    assert "the printer: error: could not print to 'no-such-printer': " in result.output
    assert result.output.endswith("1 problem with the printer; nothing was printed.\n")

    subprocess.run(["lpadmin", "-d", QUEUE], check=True, capture_output=True)
    folder, since = cups_pdf_folder(), time.time()
    result = run("print", "about-patches", "--single-sided", project=project)
    assert result.exit_code == 0, result.output
    assert "wrote" not in result.output  # already built and current
    job = re.search(rf"to printer {QUEUE}: job ({QUEUE}-\d+), 1 copy, one-sided", result.output)
    assert job, result.output
    assert job_options(cups_server, job[1]) == ("about-patches.pdf", "Letter", "one-sided")
    wait_for_job_pdf(folder, job[1], "about-patches.pdf", since).unlink()


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
def test_print_with_cups_not_running_says_so(project, monkeypatch):
    server = f"127.0.0.1:{free_port()}"  # nothing listens there
    monkeypatch.setenv("CUPS_SERVER", server)
    for printer in ((), ("--printer", QUEUE)):  # lp alone would say "the printer or class does not exist"
        result = run("print", "testinib", *printer, project=project)
        assert result.exit_code == 1
        assert result.output == (
            f"the printer: error: CUPS, the print service, is not running at {server}: start it (`sudo systemctl "
            "start cups`), or ask whoever looks after the computers, then print again; or open out/index.html and "
            "print the PDF from the browser [print]\n1 problem with the printer; nothing was printed.\n")
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
