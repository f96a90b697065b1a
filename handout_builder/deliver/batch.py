"""Deliver stage: a CSV of patients to one personalised PDF per row. Each row is checked on its own (a bad
row is reported by its line number and skipped), and rows render on the library's pool, on every core.

Files are named by row number and slug, never by patient.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from concurrent.futures import as_completed
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..build.output import write_atomic
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
    """The rows to build, and the rows refused with their problems."""

    csv_path: Path
    rows: list[Row]
    problems: list[Problem]
    total: int
    personalizer: Personalizer


@dataclass
class BatchResult:
    built: list[tuple[Row, Path]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    failed_lines: set[int] = field(default_factory=set)


def plan_batch(root: Path, csv_path: Path, brand_file: Path | None = None, need_email: bool = False,
               today: date | None = None, name_column: str | None = None,
               allow_unencrypted: bool = False) -> BatchPlan:
    """Read and check every row. A problem with the file itself (not found, missing columns) is
    BuildFailed; a problem with one row only refuses that row.

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
    personalizer = Personalizer(root, brand_file)
    today = today or date.today()
    problems = Problems()
    where = str(csv_path)
    try:
        text = csv_path.read_text(encoding="utf-8-sig")  # Excel writes a byte-order mark
    except FileNotFoundError:
        raise BuildFailed([Problem(where, None, "CSV file not found", "missing-file")], "nothing was built") from None
    except UnicodeDecodeError:
        raise BuildFailed([Problem(where, None, "the CSV is not UTF-8 text: save it as 'CSV UTF-8'", "encoding")],
                          "nothing was built") from None
    reader = csv.DictReader(text.splitlines(keepends=True))
    header = reader.fieldnames or []
    missing = [c for c in COLUMNS + ((name_column,) if name_column else ()) if c not in header]
    unknown = [c for c in header if c not in COLUMNS + OPTIONAL_COLUMNS and c != name_column]
    if missing or unknown:
        for message in ([f"missing column '{c}'" for c in missing]
                        + [f"unknown column '{c}'" for c in unknown]):
            problems.add(where, 1, message + f" (columns: {', '.join(COLUMNS + OPTIONAL_COLUMNS)})", code="csv")
        problems.raise_if_any()

    rows: list[Row] = []
    label_lines: dict[str, int] = {}
    total = 0
    line = reader.line_num + 1
    for record in reader:
        total += 1
        row_problems: list[str] = []

        def report(field: str, message: str) -> None:
            row_problems.append(message)

        if None in record:
            report("", "more fields than columns: check the quoting")
        request = check_request(record, personalizer.slugs, personalizer.langs, today, report)
        email = (record.get("email") or "").strip() or None
        if email is not None and not EMAIL.match(email):
            report("email", "email is not an email address")
        elif email is None and need_email:
            report("email", "email is empty: it is needed to send the handout")
        elif need_email and request and not request.password and not allow_unencrypted:
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
            for message in row_problems:
                problems.add(where, line, message, code="csv-row")
        else:
            rows.append(Row(line, request, email, label))
        line = reader.line_num + 1  # a quoted field may span lines: the next row starts after this one
    return BatchPlan(csv_path, rows, problems.items, total, personalizer)


# Rows are rendered in runs of the same handout edition, so that a process lays each handout out once and
# puts a plan sheet in front of it for every row of the run. Short runs keep the progress bar moving and
# both cores busy to the end.
RUN_LENGTH = 16


def runs(rows: list[Row]) -> list[list[Row]]:
    """The rows grouped by the handout edition they need, in runs of at most RUN_LENGTH rows."""
    grouped: dict[tuple, list[Row]] = {}
    for row in rows:
        grouped.setdefault(row.request.layout_key, []).append(row)
    return [group[start:start + RUN_LENGTH] for group in grouped.values()
            for start in range(0, len(group), RUN_LENGTH)]


def build_batch(plan: BatchPlan, out_dir: Path, jobs: int | None = None,
                on_done: Callable[[int], None] = lambda n: None) -> BatchResult:
    """Render every checked row on the pool (`jobs` processes, default every core) and write each PDF as
    it comes."""
    from ..build.pool import Pool, close_at_exit, cores

    result = BatchResult(problems=list(plan.problems), failed_lines={p.line for p in plan.problems})
    work = runs(plan.rows)
    personalizer = plan.personalizer

    def finished(run: list[Row], rendered: list[tuple[bytes | None, list[Problem]]]) -> None:
        for row, (data, problems) in zip(run, rendered):
            if data is None:  # e.g. a plan too long for its sheet: the row's problem, at the row's line
                result.failed_lines.add(row.line)
                result.problems += [Problem(str(plan.csv_path), row.line, f"{p.path}: {p.message}", p.code)
                                    for p in problems]
            else:
                path = out_dir / f"{row.stem}.pdf"
                write_atomic(path, data)
                result.built.append((row, path))
        on_done(len(run))

    def in_worker() -> Personalizer:
        # A forked worker renders with the parent's Personalizer, already loaded and warmed up by the
        # first row. It ends with os._exit, so WeasyPrint never removes a font folder the worker made
        # itself (the one it inherited is the parent's, which removes it).
        inherited = personalizer.assets.font_config._folder
        close_at_exit(personalizer, lambda: personalizer.close()
                      if personalizer.assets.font_config._folder != inherited else None)
        return personalizer

    processes = min(jobs or cores(), len(work)) or 1
    try:
        with Pool(in_worker, processes, here=personalizer) as pool:
            if processes > 1 and work:
                # The first row renders here: fonts and text shaping warm up once, before the workers
                # fork (they inherit its handout's layout too); the rest of its run goes to the workers.
                (first, *rest), *work = work
                finished([first], personalizer.render_rows([first.request]))
                work = [rest, *work] if rest else work
            futures = {pool.submit("render_rows", [row.request for row in run]): run for run in work}
            for future in as_completed(futures):
                finished(futures[future], future.result())
    finally:
        personalizer.close()  # forked workers shared its font folder; nothing is left in /tmp
    result.built.sort(key=lambda item: item[0].line)
    result.problems.sort(key=lambda p: (p.line or 0, p.message))
    return result


@dataclass
class Delivery:
    sent: list[int] = field(default_factory=list)  # row lines
    drafts: list[Path] = field(default_factory=list)


def deliver(plan: BatchPlan, result: BatchResult, settings: SmtpSettings) -> Delivery:
    """Email each built PDF whose row has an address: through SMTP if a host is set, else as .eml drafts
    beside the PDFs. Problems join the result's, by row."""
    delivery = Delivery()
    messages = []
    for row, path in result.built:
        if row.email:
            library = plan.personalizer.renderer(row.request.lang).library
            message = compose(library.root, library.clinic, library.handout(row.request.slug),
                              row.request.personal.prescriber, row.email, settings.sender,
                              path.read_bytes(), encrypted=bool(row.request.password), lang=row.request.lang)
            messages.append((row, path, message))
    if settings.host:
        problems = Problems()
        delivery.sent = send(settings, [(row.line, m) for row, _, m in messages], str(plan.csv_path), problems)
        result.problems += problems.items
        result.failed_lines |= {p.line for p in problems.items if p.line}
    else:
        for row, path, message in messages:
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
    .eml drafts) when `send_email`. BuildFailed for a problem with the file or the mail settings as a
    whole; a bad row only fails that row. `progress(done, total)` is called as rows finish."""
    from ..build.output import COPIES, output_folder_problem
    from .mail import check_server, smtp_settings

    if refused := output_folder_problem(root, out_dir, COPIES):
        raise BuildFailed([refused])
    plan = plan_batch(root, csv_path, brand_file, need_email=send_email, name_column=name_column,
                      allow_unencrypted=allow_unencrypted)
    settings = smtp_settings(plan.personalizer.library.clinic, **(smtp or {})) if send_email else None
    if settings and settings.host:
        try:
            check_server(settings)  # before any rendering: a wrong password is not found 10,000 rows later
        except BuildFailed:
            plan.personalizer.close()  # its font folder: no row will render
            raise
    done = 0

    def rows_done(count: int) -> None:
        nonlocal done
        done += count
        progress(done, len(plan.rows))

    result = build_batch(plan, out_dir, jobs, on_done=rows_done)
    delivery = deliver(plan, result, settings) if send_email else None
    encrypted = sum(1 for row, _ in result.built if row.request.password)
    lines = [f"built {len(result.built)} of {plan.total} rows into {out_dir}"
             + (f"; {len(result.failed_lines)} rows failed" if result.failed_lines else "")]
    if result.built:
        lines.append(f"encrypted (AES-256): {encrypted}; not encrypted (no password): {len(result.built) - encrypted}")
    if delivery is not None:
        lines.append(f"sent {len(delivery.sent)} emails through {settings.host}" if settings.host else
                     f"no SMTP server configured: wrote {len(delivery.drafts)} .eml drafts to {out_dir}")
    return BatchReport(result.problems, lines)


def progress_on(stream) -> Callable[[int, int], None]:
    """Rows rendered so far, on `stream`: one updating line on a terminal, else a line every 100 rows (a
    log or a scheduled job still sees the batch moving)."""
    terminal = stream.isatty()

    def show(done: int, total: int) -> None:
        if terminal:
            stream.write(f"\rrendered {done} of {total} rows" + ("\n" if done == total else ""))
        elif done == total or done // 100 > (done - 1) // 100:
            stream.write(f"rendered {done} of {total} rows\n")
        stream.flush()
    return show
