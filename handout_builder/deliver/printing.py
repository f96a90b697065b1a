"""Deliver stage: printing: send built PDFs (building them first if missing or stale), or a patient's copy
from memory, to a CUPS printer with `lp`, on the edition's paper and with the duplex its folds need."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..build.incremental import build
from ..editions import BROCHURE, LARGE_PRINT, LEAFLET, Edition
from ..problems import BuildFailed, Problem

NOT_PRINTED = "nothing was printed"
LP_TIMEOUT_S = 60
# CUPS media names of the papers (PWG 5101.1 / the PPD's PageSize): without one, CUPS prints on the queue's
# default paper and scales the page to it (a Letter handout shrunk onto A4).
MEDIA = {"letter": "Letter", "a4": "A4"}
# lpstat's words are translated into the user's language; the scheduler's state is read in English.
ENGLISH = {"LC_ALL": "C", "LANG": "C"}
NAME = "NAME"  # the print command's argument, as problems name it


@dataclass(frozen=True)
class PrintJob:
    pdf: Path
    printer: str
    job_id: str
    copies: int = 1
    two_sided: bool = True
    short_edge: bool = False  # flipped on the short edge: the tri-fold leaflet

    def describe(self) -> str:
        sides = ("double-sided, flipped on the short edge" if self.short_edge else "double-sided") \
            if self.two_sided else "one-sided"
        return (f"sent {self.pdf} to printer {self.printer}: job {self.job_id}, "
                f"{self.copies} cop{'y' if self.copies == 1 else 'ies'}, {sides}")


def print_handout(root: Path, name: str, edition: Edition, copies: int = 1, printer: str | None = None,
                  two_sided: bool = True, brand_file: Path | None = None, out_dir: Path | None = None,
                  log: Callable[[str], None] = print) -> PrintJob:
    """Print a handout, the brochure or the leaflet in the given edition: the front desk's one command.
    `name` is a slug, a drug's brand or generic name, "brochure", "leaflet", or a PDF of the output
    folder (whose path gives the edition instead)."""
    slug, edition = find_printable(root, name, edition, brand_file, out_dir)
    lp, printer = _lp_and_printer(printer)
    pdf = pdf_for_printing(root, slug, edition, brand_file, out_dir, log)
    short_edge = slug == LEAFLET  # a landscape sheet folded in three: its back is upright only so
    job_id = submit(lp, printer, [pdf], pdf.name, copies, two_sided, paper=edition.paper, short_edge=short_edge)
    return PrintJob(pdf, printer, job_id, copies, two_sided, short_edge and two_sided)


def print_pdfs(pdfs: list[Path], title: str, copies: int = 1, printer: str | None = None,
               two_sided: bool = True) -> PrintJob:
    """Built PDFs (the app's basket) as one job, so all of them are queued or none is: one document, each
    handout starting on a sheet of its own. Their paper (and the leaflet's duplex) is read from their
    paths in the output folder."""
    from ..pdf.join import stack_for_printing

    lp, printer = _lp_and_printer(printer)
    named = [Edition.of_path("/".join(pdf.parts[-3:])) for pdf in pdfs]
    papers = {found[1].paper for found in named if found}
    short_edge = len(pdfs) == 1 and bool(named[0]) and named[0][0] == LEAFLET
    data = stack_for_printing([pdf.read_bytes() for pdf in pdfs], two_sided) if len(pdfs) > 1 else None
    job_id = submit(lp, printer, [] if data else pdfs, title, copies, two_sided, data,
                    paper=papers.pop() if len(papers) == 1 and all(named) else None, short_edge=short_edge)
    return PrintJob(pdfs[0], printer, job_id, copies, two_sided, short_edge and two_sided)


def print_bytes(data: bytes, title: str, copies: int = 1, printer: str | None = None,
                two_sided: bool = True, paper: str | None = None) -> str:
    """A PDF made in memory (a patient's copy), handed to `lp` on its standard input: it is never a file of
    ours. `title` names the job in the queue: a handout's slug, never the patient. Returns the job id."""
    lp, printer = _lp_and_printer(printer)
    return submit(lp, printer, [], title, copies, two_sided, data, paper=paper)


def find_printable(root: Path, name: str, edition: Edition, brand_file: Path | None = None,
                   out_dir: Path | None = None) -> tuple[str, Edition]:
    """The slug and edition `name` stands for: a PDF path in the output folder (its edition wins over
    the options), "brochure" or "leaflet", a slug, or a drug's brand or generic name in the edition's
    language (`rinvoq`, `opzelura`)."""
    from ..build.fingerprint import Inputs

    if name.endswith(".pdf") or "/" in name or os.sep in name:
        slug, edition = _catalog_pdf(root, name, out_dir or root / "out")
    elif name in (BROCHURE, LEAFLET) or Inputs(root, brand_file, edition.lang).handouts([name]) is not None:
        slug = name  # an unknown slug is left to the build, which names the known ones
    else:
        slug = _by_drug_name(root, name, edition, brand_file)
    if slug == LEAFLET and edition.variant.has(LARGE_PRINT):
        _fail("the leaflet has no large-print edition (18 pt text does not fit its panels): print it without "
              "--large-print", NAME)
    return slug, edition


def _by_drug_name(root: Path, name: str, edition: Edition, brand_file: Path | None) -> str:
    from ..content.library import load_library

    library = load_library(root, brand_file, edition.lang)
    wanted = name.casefold().strip()
    found = sorted({drug.slug for drug in library.drugs.values()
                    if wanted in (drug.brand.casefold(), drug.generic.casefold())})
    if len(found) == 1:
        return found[0]
    known = sorted({*library.topics, *library.drugs, BROCHURE, LEAFLET}) + sorted(
        drug.brand for drug in library.drugs.values())
    if found:
        _fail(f"'{name}' names several handouts in '{edition.lang}' ({', '.join(found)}): give the slug", NAME)
    _fail(f"unknown handout '{name}' in '{edition.lang}': give a slug, a drug's brand name or a PDF of the "
          f"output folder (known: {', '.join(known)})", NAME)


def _catalog_pdf(root: Path, name: str, out_dir: Path) -> tuple[str, Edition]:
    """A PDF path as the catalog shows it (out/en/letter/upadacitinib.pdf), from here or the project."""
    out = out_dir.resolve()
    for path in (Path(name), root / name):
        try:
            found = Edition.of_path(path.resolve().relative_to(out).as_posix())
        except ValueError:
            continue  # not inside the output folder
        if found is None or (found[1].variant.printed and found[0] != BROCHURE):
            _fail(f"'{name}' is not a handout's PDF in {out_dir} (LANG/PAPER/SLUG[.EDITION].pdf)", NAME)
        if found[1].variant.printed:
            _fail(f"'{name}' is the {found[1].variant.label.lower()} edition of the brochure, made for printing "
                  "elsewhere, not on the clinic's printer: print the brochure itself (`print brochure`)", NAME)
        return found
    _fail(f"'{name}' is not in the output folder {out_dir}: print a PDF of it, a slug or a drug's brand name",
          NAME)


def _lp_and_printer(printer: str | None) -> tuple[str, str]:
    lp = shutil.which("lp")
    if lp is None:
        _fail("CUPS is not installed on this computer (no `lp` command): install cups-client, or open "
              "out/index.html and print the PDF from the browser")
    if not scheduler_running():
        server = os.environ.get("CUPS_SERVER")
        _fail("CUPS, the print service, is not running" + (f" at {server}" if server else "")
              + ": start it (`sudo systemctl start cups`), or ask whoever looks after the computers, then print "
              "again; or open out/index.html and print the PDF from the browser")
    printer = printer or default_printer()
    if not printer:
        _fail("no printer was named and CUPS has no default printer: pass --printer NAME "
              "(`lpstat -p` lists them) or set a default with `lpoptions -d NAME`")
    return lp, printer


def submit(lp: str, printer: str, pdfs: list[Path], title: str, copies: int, two_sided: bool,
           data: bytes | None = None, *, paper: str | None = None, short_edge: bool = False) -> str:
    """Queue the files (or `data`, on lp's standard input) as one job, on `paper` when known; its id. A
    stopped queue would take the job and print nothing: that is refused first, so nobody waits at a silent
    printer."""
    if stopped := queue_stopped(printer):
        _fail(stopped)
    sides = ("two-sided-short-edge" if short_edge else "two-sided-long-edge") if two_sided else "one-sided"
    media = ["-o", f"media={MEDIA[paper]}"] if paper else []
    command = [lp, "-d", printer, "-n", str(copies), "-o", f"sides={sides}", *media, "-t", title, "--",
               *(str(pdf) for pdf in pdfs)]
    try:
        sent = subprocess.run(command, capture_output=True, input=data, timeout=LP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        _fail(f"the printer '{printer}' did not answer within {LP_TIMEOUT_S} s")
    out, err = sent.stdout.decode(errors="replace"), sent.stderr.decode(errors="replace")
    job = re.search(r"request id is (\S+)", out)
    if sent.returncode != 0 or not job:
        reason = re.sub(r"^\S*lp: ", "", (err or out).strip()) or f"lp exited with {sent.returncode}"
        _fail(f"could not print to '{printer}': {reason}")
    return job[1]


def _lpstat(*args: str) -> str | None:
    """lpstat's answer in English, or None when there is no lpstat or it does not answer."""
    lpstat = shutil.which("lpstat")
    if lpstat is None:
        return None
    try:
        return subprocess.run([lpstat, *args], capture_output=True, text=True, timeout=LP_TIMEOUT_S,
                              env={**os.environ, **ENGLISH}).stdout
    except subprocess.TimeoutExpired:
        return None


def scheduler_running() -> bool:
    """Whether the CUPS scheduler answers (`lpstat -r`, which exits 0 either way); True when it cannot
    be asked, so that lp itself says what is wrong."""
    answer = _lpstat("-r")
    return answer is None or not answer.startswith("scheduler is not running")


def queue_stopped(printer: str) -> str | None:
    """Why the CUPS queue will not print now (stopped: `cupsdisable`), or None: an unknown queue or one
    that refuses jobs is left to lp, which says so itself."""
    answer = _lpstat("-p", printer)
    if answer is None:
        return None
    if re.search(rf"^printer {re.escape(printer)} disabled", answer, re.MULTILINE):
        reason = answer.split("\n", 1)[1].strip() if "\n" in answer.strip() else ""
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
    # The leaflet is a variant of the build, not a slug.
    slugs, variant = ([], edition.variant.adding(LEAFLET)) if slug == LEAFLET else ([slug], edition.variant)
    build(root, slugs, langs=[edition.lang], paper=edition.paper, variants=[variant], brand_file=brand_file,
          out_dir=out_dir, log=log)
    return out_dir / edition.path(slug)


def default_printer() -> str | None:
    """CUPS's default queue (`lpstat -d`), or None when there is none or no scheduler answers."""
    found = re.search(r"system default destination: (\S+)", _lpstat("-d") or "")
    return found[1] if found else None


def _fail(message: str, where: str = "the printer"):
    raise BuildFailed([Problem(where, None, message, "print", in_file=False)], NOT_PRINTED)
