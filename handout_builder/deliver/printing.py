"""Deliver stage: printing: send built PDFs (building them first if missing or stale), or a patient's copy
from memory, to a CUPS printer with `lp`."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..build.incremental import build
from ..editions import Edition
from ..problems import BuildFailed, Problem

NOT_PRINTED = "nothing was printed"
LP_TIMEOUT_S = 60


@dataclass(frozen=True)
class PrintJob:
    pdf: Path
    printer: str
    job_id: str
    copies: int = 1
    two_sided: bool = True

    def describe(self) -> str:
        return (f"sent {self.pdf} to printer {self.printer}: job {self.job_id}, "
                f"{self.copies} cop{'y' if self.copies == 1 else 'ies'}, "
                f"{'double-sided' if self.two_sided else 'one-sided'}")


def print_handout(root: Path, slug: str, edition: Edition, copies: int = 1, printer: str | None = None,
                  two_sided: bool = True, brand_file: Path | None = None, out_dir: Path | None = None,
                  log: Callable[[str], None] = print) -> PrintJob:
    """Print a handout's PDF in the given edition: the front desk's one command."""
    lp, printer = _lp_and_printer(printer)
    pdf = pdf_for_printing(root, slug, edition, brand_file, out_dir, log)
    job_id = submit(lp, printer, [pdf], pdf.name, copies, two_sided)
    return PrintJob(pdf, printer, job_id, copies, two_sided)


def print_pdfs(pdfs: list[Path], title: str, copies: int = 1, printer: str | None = None,
               two_sided: bool = True) -> PrintJob:
    """Built PDFs (the app's basket) as one job, so all of them are queued or none is: one document, each
    handout starting on a sheet of its own."""
    from ..pdf.join import stack_for_printing

    lp, printer = _lp_and_printer(printer)
    data = stack_for_printing([pdf.read_bytes() for pdf in pdfs], two_sided) if len(pdfs) > 1 else None
    job_id = submit(lp, printer, [] if data else pdfs, title, copies, two_sided, data)
    return PrintJob(pdfs[0], printer, job_id, copies, two_sided)


def print_bytes(data: bytes, title: str, copies: int = 1, printer: str | None = None,
                two_sided: bool = True) -> str:
    """A PDF made in memory (a patient's copy), handed to `lp` on its standard input: it is never a file of
    ours. `title` names the job in the queue: a handout's slug, never the patient. Returns the job id."""
    lp, printer = _lp_and_printer(printer)
    return submit(lp, printer, [], title, copies, two_sided, data)


def _lp_and_printer(printer: str | None) -> tuple[str, str]:
    lp = shutil.which("lp")
    if lp is None:
        _fail("CUPS is not installed on this computer (no `lp` command): install cups-client, or open "
              "out/index.html and print the PDF from the browser")
    printer = printer or default_printer()
    if not printer:
        _fail("no printer was named and CUPS has no default printer: pass --printer NAME "
              "(`lpstat -p` lists them) or set a default with `lpoptions -d NAME`")
    return lp, printer


def submit(lp: str, printer: str, pdfs: list[Path], title: str, copies: int, two_sided: bool,
           data: bytes | None = None) -> str:
    """Queue the files (or `data`, on lp's standard input) as one job; its id. A stopped queue would take
    the job and print nothing: that is refused first, so nobody waits at a silent printer."""
    if stopped := queue_stopped(printer):
        _fail(stopped)
    sides = "two-sided-long-edge" if two_sided else "one-sided"
    command = [lp, "-d", printer, "-n", str(copies), "-o", f"sides={sides}", "-t", title, "--",
               *(str(pdf) for pdf in pdfs)]
    try:
        sent = subprocess.run(command, capture_output=True, input=data, timeout=LP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        _fail(f"the printer '{printer}' did not answer within {LP_TIMEOUT_S} s")
    out, err = sent.stdout.decode(errors="replace"), sent.stderr.decode(errors="replace")
    job = re.search(r"request id is (\S+)", out)
    if sent.returncode != 0 or not job:
        reason = (err or out).strip().removeprefix("lp: ") or f"lp exited with {sent.returncode}"
        _fail(f"could not print to '{printer}': {reason}")
    return job[1]


def queue_stopped(printer: str) -> str | None:
    """Why the CUPS queue will not print now (stopped: `cupsdisable`), or None: an unknown queue or one
    that refuses jobs is left to lp, which says so itself."""
    lpstat = shutil.which("lpstat")
    if lpstat is None:
        return None
    try:
        answer = subprocess.run([lpstat, "-p", printer], capture_output=True, text=True, timeout=LP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return f"the printer '{printer}' did not answer within {LP_TIMEOUT_S} s"
    if re.search(rf"^printer {re.escape(printer)} disabled", answer.stdout, re.MULTILINE):
        reason = answer.stdout.split("\n", 1)[1].strip() if "\n" in answer.stdout.strip() else ""
        return (f"the printer '{printer}' is stopped" + (f" ({reason})" if reason else "")
                + f": nothing was sent; start it again (`cupsenable {printer}`) and print once more")
    return None


def pdf_for_printing(root: Path, slug: str, edition: Edition, brand_file: Path | None = None,
                     out_dir: Path | None = None, log: Callable[[str], None] = print) -> Path:
    """The built PDF, after building it if it is missing, altered or out of date.

    Never print a half-written or stale handout: the build's fingerprints decide (every input of the
    PDF, and the file's own hash), and a current PDF is left as it is without rendering anything.
    """
    out_dir = out_dir or root / "out"
    build(root, [slug], langs=[edition.lang], paper=edition.paper, variants=[edition.variant], brand_file=brand_file,
          out_dir=out_dir, log=log)
    return out_dir / edition.path(slug)


def default_printer() -> str | None:
    """CUPS's default queue (`lpstat -d`), or None when there is none or no scheduler answers."""
    lpstat = shutil.which("lpstat")
    if lpstat is None:
        return None
    try:
        answer = subprocess.run([lpstat, "-d"], capture_output=True, text=True, timeout=LP_TIMEOUT_S).stdout
    except subprocess.TimeoutExpired:
        return None
    found = re.search(r"system default destination: (\S+)", answer)
    return found[1] if found else None


def _fail(message: str):
    raise BuildFailed([Problem("the printer", None, message, "print", in_file=False)], NOT_PRINTED)
