"""Deliver stage: a CSV of patients to one personalised PDF per row. Each row is checked on its own (a bad
row is reported by its line number and skipped), and rows render on the library's pool, on every core.

Files are named by row number and slug, never by patient.
"""

from __future__ import annotations

import csv
import re
import itertools
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, wait
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..build.output import COPIES, check_writable, refuse_output_folders, write_atomic
from ..problems import BuildFailed, Problem, Problems
from .mail import SmtpSettings, compose, send, write_draft
from .patient import Request, check_request
from .personalize import Personalizer

COLUMNS = ("slug", "patient", "prescriber", "plan", "next_visit", "lang", "paper")
OPTIONAL_COLUMNS = ("email", "password", "large_print")
# One plain address: no display name, no list, nothing that could add a header.
EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")
# A value from the --name-column column, as a file name: no path separators, no spaces, no surprises.
FILE_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class Row:
    """One checked CSV row: what to build and where to send it."""

    line: int  # the CSV line the row starts on: how rows are named in every message
    request: Request
    email: str | None
    label: str | None = None  # the row's value in the --name-column column, checked

    @property
    def stem(self) -> str:
        if self.label:
            return f"{self.label}-{self.request.slug}"
        return f"row-{self.line:04d}-{self.request.slug}"


@dataclass
class BatchPlan:
    """A checked CSV: its problems and counts. The rows themselves are read again from the file when they
    are built (`rows`), so a batch holds a few rows at a time, however long the file."""

    csv_path: Path
    problems: list[Problem]  # the refused rows', by line
    total: int  # rows in the file
    good: int  # rows that passed the checks
    personalizer: Personalizer
    need_email: bool
    today: date
    name_column: str | None
    allow_unencrypted: bool = False  # a row to email without a password is refused unless this
    stamp: tuple | None = None  # the file as it was checked (inode, size, time): it is read again to build

    def rows(self) -> Iterator[Row]:
        """The rows that passed the checks, in file order, streamed from the file."""
        for row, _ in _checked_rows(self):
            if row is not None:
                yield row


def plan_batch(root: Path, csv_path: Path, brand_file: Path | None = None, need_email: bool = False,
               today: date | None = None, name_column: str | None = None,
               allow_unencrypted: bool = False) -> BatchPlan:
    """Read and check every row. A problem with the file itself (not found, not UTF-8, missing or repeated
    columns) is BuildFailed; a problem with one row only refuses that row.

    `name_column` names files by an extra column the clinic chooses (e.g. a visit number) instead of by
    row number; the patient's columns are refused: no patient name in a file name. A row to email
    without a password is refused unless `allow_unencrypted`.
    """
    if name_column in COLUMNS + OPTIONAL_COLUMNS:
        raise BuildFailed([Problem("--name-column", None, f"'{name_column}': files can be named by an extra "
                                   "column of the CSV (e.g. a visit number), not by "
                                   + ("patient data" if name_column not in ("slug", "lang", "paper")
                                      else "a value many rows share"), "option", in_file=False)],
                          "nothing was built")
    plan = BatchPlan(csv_path, [], 0, 0, Personalizer(root, brand_file), need_email, today or date.today(),
                     name_column, allow_unencrypted)
    problems = Problems()
    for row, messages in _checked_rows(plan):
        plan.total += 1
        plan.good += row is not None
        for line, message in messages:
            problems.add(str(csv_path), line, message, code="csv-row")
    plan.problems = problems.items
    return plan


def _checked_rows(plan: BatchPlan) -> Iterator[tuple[Row | None, list[tuple[int, str]]]]:
    """Each row of the CSV, streamed: the checked Row (None if refused) and its problems by line. The
    file's own problems (unreadable, not UTF-8, bad columns) are BuildFailed."""
    where = str(plan.csv_path)

    def file_problem(line: int | None, message: str, code: str = "csv") -> BuildFailed:
        return BuildFailed([Problem(where, line, message, code)], "nothing was built")

    try:
        handle = plan.csv_path.open(encoding="utf-8-sig", newline="")  # Excel writes a byte-order mark
    except FileNotFoundError:
        raise file_problem(None, "CSV file not found", "missing-file") from None
    except OSError as error:
        raise file_problem(None, f"the CSV cannot be read: {error.strerror}", "missing-file") from None
    status = os.fstat(handle.fileno())
    stamp = (status.st_ino, status.st_size, status.st_mtime_ns)
    if plan.stamp is None:
        plan.stamp = stamp
    elif stamp != plan.stamp:  # saved again while the batch ran: its rows may not be the ones checked
        handle.close()
        raise BuildFailed([Problem(where, None, "the CSV changed while the batch ran; run it again", "csv")],
                          "the batch stopped")
    reader = csv.reader(handle)
    with handle:
        try:
            header = next(reader, [])
            _check_header(where, header, plan.name_column)
            label_lines: dict[str, int] = {}
            line = reader.line_num + 1
            for fields in reader:
                if fields:  # a blank line is no row (a spreadsheet often ends with some)
                    yield _check_row(plan, dict(zip(header, fields)), len(fields) > len(header), line,
                                     label_lines)
                line = reader.line_num + 1  # a quoted field may span lines: the next row starts after this one
        except UnicodeDecodeError:
            raise file_problem(_undecodable_line(plan.csv_path), "the CSV is not UTF-8 text: save it as "
                               "'CSV UTF-8'", "encoding") from None
        except csv.Error as error:  # e.g. a field longer than the csv module reads (128 kB)
            raise file_problem(reader.line_num, f"the CSV cannot be read here: {error}") from None


def _undecodable_line(path: Path) -> int | None:
    """The first line that is not UTF-8 (the reader decodes ahead of the row it is on)."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, 1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return None


SEPARATORS = {";": "semicolons", "\t": "tabs"}


def _check_header(where: str, header: list[str], name_column: str | None) -> None:
    """Every required column, no unknown one, none twice; a file saved with another separator is named
    as such (a spreadsheet set to another locale saves 'CSV' with semicolons)."""
    known = COLUMNS + OPTIONAL_COLUMNS + ((name_column,) if name_column else ())
    problems = Problems()
    for separator, name in SEPARATORS.items():
        if len(header) == 1 and sum(c in known for c in header[0].split(separator)) >= 2:
            problems.add(where, 1, f"the columns are separated by {name}, not commas: save the file as "
                         "'CSV UTF-8 (comma delimited)', or export it with ',' as the separator", code="csv")
            problems.raise_if_any()
    for column in dict.fromkeys(c for c in header if header.count(c) > 1):
        times = header.count(column)
        problems.add(where, 1, f"column '{column}' appears {'twice' if times == 2 else f'{times} times'}; "
                     "keep one (the PDF would print one of them and silently drop the others)", code="csv")
    missing = [c for c in COLUMNS + ((name_column,) if name_column else ()) if c not in header]
    unknown = dict.fromkeys(c for c in header if c not in known)
    for message in [f"missing column '{c}'" for c in missing] + [f"unknown column '{c}'" for c in unknown]:
        problems.add(where, 1, message + f" (columns: {', '.join(COLUMNS + OPTIONAL_COLUMNS)})", code="csv")
    problems.raise_if_any()


def _check_row(plan: BatchPlan, record: dict[str, str], too_many_fields: bool, line: int,
               label_lines: dict[str, int]) -> tuple[Row | None, list[tuple[int, str]]]:
    """One row, checked by the patient-field validator and the batch's own rules (email, file label)."""
    row_problems: list[str] = []

    def report(field: str, message: str) -> None:
        row_problems.append(message)

    if too_many_fields:
        report("", "more fields than columns: check the quoting")
    personalizer, name_column = plan.personalizer, plan.name_column
    request = check_request(record, personalizer.slugs, personalizer.langs, plan.today, report)
    email = (record.get("email") or "").strip() or None
    if email is not None and not EMAIL.match(email):
        report("email", "email is not an email address")
    elif email is None and plan.need_email:
        report("email", "email is empty: it is needed to send the handout")
    elif plan.need_email and request and not request.password and not plan.allow_unencrypted:
        report("password", "password is empty: the handout would be emailed unencrypted; give the row a "
               "password, or pass --allow-unencrypted to send it so")
    label = (record.get(name_column) or "").strip() if name_column else None
    if name_column:
        if not FILE_LABEL.match(label):
            report(name_column, f"{name_column} cannot name a file: use 1 to 64 letters, digits, '.', '_' or '-'")
        elif request and len(request.personal.patient) > 1 and (
                request.personal.patient.casefold().replace(" ", "") in label.casefold()):
            report(name_column, f"{name_column} contains the patient's name: it would be in the file name")
        elif label.casefold() in label_lines:  # case-insensitive file systems
            report(name_column, f"{name_column} repeats line {label_lines[label.casefold()]}: file names "
                   "must differ")
        else:
            label_lines[label.casefold()] = line
    if row_problems or request is None:
        return None, [(line, message) for message in row_problems]
    return Row(line, request, email, label), []


# Rows are rendered in runs of the same handout edition, so that a process lays each handout out once and
# puts a plan sheet in front of it for every row of the run. Short runs keep the progress bar moving and
# both cores busy to the end.
RUN_LENGTH = 16
# Runs given to the pool and not yet written, per process: enough to keep every process busy, few enough
# that the PDFs waiting to be written stay a few MB.
RUNS_PER_PROCESS = 2
# A worker's memory grows by about 55 kB with each copy it renders (in WeasyPrint's layout and writing,
# measured with the same name on every copy, encrypted or not): after this many rows each, the batch
# starts fresh workers (each lays out again the few editions it renders, a few seconds' work).
ROWS_PER_WORKER = 1500
# Rows held back while runs fill: the most a batch keeps in memory whatever the file's length (a few MB).
ROWS_HELD = 4000


def runs(rows: Iterable[Row], held: int = ROWS_HELD, burst: int = 1) -> Iterator[list[Row]]:
    """The rows grouped by the handout edition they need, in runs of at most RUN_LENGTH rows, streamed.
    An edition's runs go `burst` at a time, one after another, once it has rows for them all (or, the
    fullest edition's, when `held` rows are waiting): every process then gets runs of the edition it laid
    out last, not a round of more editions than it keeps laid out."""
    groups: dict[tuple, list[Row]] = {}
    waiting = 0
    for row in rows:
        group = groups.setdefault(row.request.layout_key, [])
        group.append(row)
        waiting += 1
        if len(group) == RUN_LENGTH * burst or waiting > held:
            key = (row.request.layout_key if len(group) == RUN_LENGTH * burst
                   else max(groups, key=lambda k: len(groups[k])))
            group = groups.pop(key)
            waiting -= len(group)
            yield from _in_runs(group)
    for group in groups.values():
        yield from _in_runs(group)


def _in_runs(rows: list[Row]) -> Iterator[list[Row]]:
    for start in range(0, len(rows), RUN_LENGTH):
        yield rows[start:start + RUN_LENGTH]


@dataclass
class BatchResult:
    built: list[int] = field(default_factory=list)  # the lines of the rows written, in the order written
    encrypted: int = 0
    problems: list[Problem] = field(default_factory=list)
    failed_lines: set[int] = field(default_factory=set)


def build_batch(plan: BatchPlan, out_dir: Path, jobs: int | None = None,
                on_done: Callable[[int], None] = lambda n: None) -> BatchResult:
    """Render every checked row on the pool (`jobs` processes, default every core) and write each PDF as
    it comes, holding a few runs at a time. A file that cannot be written (a full disk) stops the batch:
    BuildFailed, the PDFs written before it complete and kept."""
    from ..build.pool import Pool, close_at_exit, cores

    result = BatchResult(problems=list(plan.problems), failed_lines={p.line for p in plan.problems})
    personalizer = plan.personalizer

    def finished(run: list[Row], rendered: list[tuple[bytes | None, list[Problem]]]) -> None:
        for row, (data, problems) in zip(run, rendered):
            if data is None:  # e.g. a plan too long for its sheet: the row's problem, at the row's line
                result.failed_lines.add(row.line)
                result.problems += [Problem(str(plan.csv_path), row.line, f"{p.path}: {p.message}", p.code)
                                    for p in problems]
                continue
            try:
                write_atomic(out_dir / f"{row.stem}.pdf", data)
            except BuildFailed as failure:
                raise BuildFailed(failure.problems, f"the batch stopped: {len(result.built)} PDFs were written "
                                  f"into {out_dir} before it, each complete; no email was sent") from None
            result.built.append(row.line)
            result.encrypted += bool(row.request.password)
        on_done(len(run))

    def in_worker() -> Personalizer:
        # A forked worker renders with the parent's Personalizer, already loaded and warmed up by the
        # first row. It ends with os._exit, so WeasyPrint never removes a font folder the worker made
        # itself (the one it inherited is the parent's, which removes it).
        inherited = personalizer.assets.font_config._folder
        close_at_exit(personalizer, lambda: personalizer.close()
                      if personalizer.assets.font_config._folder != inherited else None)
        return personalizer

    processes = min(jobs or cores(), -(-plan.good // RUN_LENGTH)) or 1
    work = runs(plan.rows(), burst=RUNS_PER_PROCESS * processes)
    try:
        with Pool(in_worker, processes, here=personalizer) as pool:
            first = next(work, None)
            if processes > 1 and first:
                # The first row renders here: fonts and text shaping warm up once, before the workers
                # fork (they inherit its standard handout's PDF too); the rest of its run goes to the workers.
                finished(first[:1], personalizer.render_rows([first[0].request]))
                first = first[1:]
            work = itertools.chain([first] if first else [], work)
            in_flight: dict = {}
            rows_per_worker = 0.0
            for run in itertools.chain(work, [None]):
                # Fresh workers, forked again from this process, once each has rendered its share.
                recycle = run is not None and processes > 1 and rows_per_worker >= ROWS_PER_WORKER
                # Hold at most RUNS_PER_PROCESS runs a process; before recycling and after the last run,
                # wait for them all.
                while in_flight and (run is None or recycle or len(in_flight) >= RUNS_PER_PROCESS * processes):
                    done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                    for future in done:
                        finished(in_flight.pop(future), future.result())
                if run is None:
                    break
                if recycle:
                    pool.close()
                    rows_per_worker = 0.0
                in_flight[pool.submit("render_rows", [row.request for row in run])] = run
                rows_per_worker += len(run) / processes
    finally:
        personalizer.close()  # forked workers shared its font folder; nothing is left in /tmp
    result.problems.sort(key=lambda p: (p.line or 0, p.message))
    return result


@dataclass
class Delivery:
    sent: list[int] = field(default_factory=list)  # row lines
    drafts: list[Path] = field(default_factory=list)


def deliver(plan: BatchPlan, result: BatchResult, out_dir: Path, settings: SmtpSettings) -> Delivery:
    """Email each built PDF whose row has an address: through SMTP if a host is set, else as .eml drafts
    beside the PDFs. Problems join the result's, by row. The rows are read from the file again and each
    message made as it is sent, so a long batch holds one attachment at a time."""
    delivery = Delivery()
    built = set(result.built)

    def messages() -> Iterator[tuple[Row, Path, object]]:
        for row in plan.rows():
            if row.email and row.line in built:
                path = out_dir / f"{row.stem}.pdf"
                library = plan.personalizer.renderer(row.request.lang).library
                yield row, path, compose(library.root, library.clinic, library.handout(row.request.slug),
                                         row.request.personal.prescriber, row.email, settings.sender,
                                         path.read_bytes(), encrypted=bool(row.request.password),
                                         lang=row.request.lang)

    if settings.host:
        problems = Problems()
        delivery.sent = send(settings, ((row.line, m) for row, _, m in messages()), str(plan.csv_path), problems)
        result.problems += problems.items
        result.failed_lines |= {p.line for p in problems.items if p.line}
    else:
        for row, path, message in messages():
            draft = path.with_suffix(".eml")
            write_draft(draft, message)
            delivery.drafts.append(draft)
    return delivery


@dataclass
class BatchReport:
    """What `batch` and `email` tell the user: the rows' problems (by line), and what was built and sent."""

    problems: list[Problem]
    lines: list[str]

    @property
    def failed(self) -> bool:
        return bool(self.problems)


def run_batch(root: Path, csv_path: Path, out_dir: Path, *, jobs: int | None = None, brand_file: Path | None = None,
              send_email: bool = False, smtp: dict | None = None, name_column: str | None = None,
              allow_unencrypted: bool = False,
              progress: Callable[[int, int], None] = lambda done, total: None) -> BatchReport:
    """`batch` and `email`: check every row, render the good ones into `out_dir`, and email them (or write
    .eml drafts) when `send_email`. BuildFailed for a problem with the file, the output folder or the mail
    settings as a whole; a bad row only fails that row. `progress(done, total)` is called as rows finish."""
    from .mail import check_server, smtp_settings

    refuse_output_folders(root, (out_dir, COPIES))
    plan = plan_batch(root, csv_path, brand_file, need_email=send_email, name_column=name_column,
                      allow_unencrypted=allow_unencrypted)
    settings = smtp_settings(plan.personalizer.library.clinic, **(smtp or {})) if send_email else None
    if settings and settings.host:
        check_server(settings)  # before any rendering: a wrong password is not found 10,000 rows later
    if plan.good:
        check_writable(out_dir)  # before the first row renders, not after
    done = 0

    def rows_done(count: int) -> None:
        nonlocal done
        done += count
        progress(done, plan.good)

    result = build_batch(plan, out_dir, jobs, on_done=rows_done)
    delivery = deliver(plan, result, out_dir, settings) if send_email else None
    built = len(result.built)
    lines = [f"built {built} of {plan.total} rows into {out_dir}"
             + (f"; {len(result.failed_lines)} rows failed" if result.failed_lines else "")]
    if built:
        lines.append(f"encrypted (AES-256): {result.encrypted}; not encrypted (no password): {built - result.encrypted}")
    if delivery is not None:
        lines.append(f"sent {len(delivery.sent)} emails through {settings.host}" if settings.host else
                     f"no SMTP server configured: wrote {len(delivery.drafts)} .eml drafts to {out_dir}")
    return BatchReport(result.problems, lines)


def progress_on(stream) -> Callable[[int, int], None]:
    """Rows rendered so far, on `stream`: one updating line on a terminal, else a line each time another
    100 rows are done, and at the end (a log or a scheduled job still sees the batch moving). Rows finish
    a run at a time, so the count passes a hundred rather than lands on it."""
    terminal = stream.isatty()
    hundreds_shown = 0

    def show(done: int, total: int) -> None:
        nonlocal hundreds_shown
        if terminal:
            stream.write(f"\rrendered {done} of {total} rows" + ("\n" if done == total else ""))
        elif done == total or done // 100 > hundreds_shown:
            stream.write(f"rendered {done} of {total} rows\n")
        hundreds_shown = done // 100
        stream.flush()
    return show
