"""Deliver stage: printing: send one built PDF to a CUPS printer with `lp`, building it first if missing or stale."""

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
    lp = shutil.which("lp")
    if lp is None:
        _fail("CUPS is not installed on this computer (no `lp` command): install cups-client, or open "
              "out/index.html and print the PDF from the browser")
    printer = printer or default_printer()
    if not printer:
        _fail("no printer was named and CUPS has no default printer: pass --printer NAME "
              "(`lpstat -p` lists them) or set a default with `lpoptions -d NAME`")
    pdf = pdf_for_printing(root, slug, edition, brand_file, out_dir, log)
    sides = "two-sided-long-edge" if two_sided else "one-sided"
    command = [lp, "-d", printer, "-n", str(copies), "-o", f"sides={sides}", "-t", pdf.name, "--", str(pdf)]
    try:
        sent = subprocess.run(command, capture_output=True, text=True, timeout=LP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        _fail(f"the printer '{printer}' did not answer within {LP_TIMEOUT_S} s")
    job = re.search(r"request id is (\S+)", sent.stdout)
    if sent.returncode != 0 or not job:
        reason = (sent.stderr or sent.stdout).strip().removeprefix("lp: ") or f"lp exited with {sent.returncode}"
        _fail(f"could not print to '{printer}': {reason}")
    return PrintJob(pdf, printer, job[1], copies, two_sided)


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
