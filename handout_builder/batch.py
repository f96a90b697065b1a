"""Batch stage: a CSV of patients to one personalised PDF per row. Each row is checked on its own (a bad
row is reported by its line number and skipped), and rows render on every core.

Files are named by row number and slug, never by patient.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from .mail import SmtpSettings, compose, send, write_draft
from .output import write_atomic
from .personalize import Personalizer, Request, check_request
from .problems import BuildFailed, Problem, Problems

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
               today: date | None = None, name_column: str | None = None) -> BatchPlan:
    """Read and check every row. A problem with the file itself (not found, missing columns) is
    BuildFailed; a problem with one row only refuses that row.

    `name_column` names files by an extra column the clinic chooses (e.g. a visit number) instead of by
    row number; the patient's columns are refused: no patient name in a file name.
    """
    if name_column in COLUMNS + OPTIONAL_COLUMNS:
        raise BuildFailed([Problem("command line", None, f"--name-column '{name_column}': files can be named "
                                   "by an extra column of the CSV (e.g. a visit number), not by "
                                   + ("patient data" if name_column not in ("slug", "lang", "paper")
                                      else "a value many rows share"))], "nothing was built")
    personalizer = Personalizer(root, brand_file)
    today = today or date.today()
    problems = Problems()
    where = str(csv_path)
    try:
        text = csv_path.read_text(encoding="utf-8-sig")  # Excel writes a byte-order mark
    except FileNotFoundError:
        raise BuildFailed([Problem(where, None, "CSV file not found")], "nothing was built") from None
    except UnicodeDecodeError:
        raise BuildFailed([Problem(where, None, "the CSV is not UTF-8 text: save it as 'CSV UTF-8'")],
                          "nothing was built") from None
    reader = csv.DictReader(text.splitlines(keepends=True))
    header = reader.fieldnames or []
    missing = [c for c in COLUMNS + ((name_column,) if name_column else ()) if c not in header]
    unknown = [c for c in header if c not in COLUMNS + OPTIONAL_COLUMNS and c != name_column]
    if missing or unknown:
        for message in ([f"missing column '{c}'" for c in missing]
                        + [f"unknown column '{c}'" for c in unknown]):
            problems.add(where, 1, message + f" (columns: {', '.join(COLUMNS + OPTIONAL_COLUMNS)})")
        problems.raise_if_any()

    rows: list[Row] = []
    label_lines: dict[str, int] = {}
    total = 0
    line = reader.line_num + 1
    for record in reader:
        total += 1
        row_problems: list[str] = []
        report = row_problems.append
        if None in record:
            report("more fields than columns: check the quoting")
        request = check_request(record, personalizer.slugs, personalizer.langs, today, report)
        email = (record.get("email") or "").strip() or None
        if email is not None and not EMAIL.match(email):
            report("email is not an email address")
        elif email is None and need_email:
            report("email is empty: it is needed to send the handout")
        label = (record.get(name_column) or "").strip() if name_column else None
        if name_column:
            if not FILE_LABEL.match(label):
                report(f"{name_column} cannot name a file: use 1 to 64 letters, digits, '.', '_' or '-'")
            elif request and len(request.personal.patient) > 1 and (
                    request.personal.patient.casefold().replace(" ", "") in label.casefold()):
                report(f"{name_column} contains the patient's name: it would be in the file name")
            elif label.casefold() in label_lines:  # case-insensitive file systems
                report(f"{name_column} repeats line {label_lines[label.casefold()]}: file names must differ")
            else:
                label_lines[label.casefold()] = line
        if row_problems or request is None:
            for message in row_problems:
                problems.add(where, line, message)
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
        grouped.setdefault(row.request.edition, []).append(row)
    return [group[start:start + RUN_LENGTH] for group in grouped.values()
            for start in range(0, len(group), RUN_LENGTH)]


# Each worker process renders with one Personalizer, kept for every row it renders. With the "fork"
# start method (Linux) it is the parent's, already loaded, checked and warmed up by the first row: a
# worker then starts in milliseconds instead of importing WeasyPrint and loading the project again.
_worker: Personalizer | None = None


def _inherit_worker(personalizer: Personalizer) -> None:
    global _worker
    _worker = personalizer
    _remove_own_font_folder_at_exit(personalizer)


def _start_worker(root: Path, brand_file: Path | None) -> None:
    """Where processes cannot fork: load the project in the worker."""
    global _worker
    _worker = Personalizer(root, brand_file)
    _remove_own_font_folder_at_exit(_worker)


def _remove_own_font_folder_at_exit(personalizer: Personalizer) -> None:
    """A worker ends with os._exit, so WeasyPrint never removes a font folder the worker made itself
    (the one it inherited belongs to the parent, which removes it)."""
    from multiprocessing.util import Finalize

    inherited = personalizer.assets.font_config._folder

    def remove_if_own() -> None:
        if personalizer.assets.font_config._folder != inherited:
            personalizer.close()

    Finalize(None, remove_if_own, exitpriority=10)


def _render_in_worker(requests: list[Request]) -> list[tuple[bytes | None, list[str]]]:
    return [_render(_worker, request) for request in requests]


def _render(personalizer: Personalizer, request: Request) -> tuple[bytes | None, list[str]]:
    try:
        data, _pages = personalizer.render(request)
    except BuildFailed as failure:
        return None, [str(p) for p in failure.problems]
    return data, []


def build_batch(plan: BatchPlan, out_dir: Path, jobs: int | None = None, brand_file: Path | None = None,
                on_done: Callable[[int], None] = lambda n: None) -> BatchResult:
    """Render every checked row (on `jobs` processes, default every core) and write each PDF as it comes."""
    import multiprocessing

    result = BatchResult(problems=list(plan.problems), failed_lines={p.line for p in plan.problems})
    work = runs(plan.rows)
    jobs = jobs or os.cpu_count() or 1
    jobs = min(jobs, len(work)) or 1

    def finished(run: list[Row], rendered: list[tuple[bytes | None, list[str]]]) -> None:
        for row, (data, messages) in zip(run, rendered):
            if data is None:
                result.failed_lines.add(row.line)
                result.problems += [Problem(str(plan.csv_path), row.line, m) for m in messages]
            else:
                path = out_dir / f"{row.stem}.pdf"
                write_atomic(path, data)
                result.built.append((row, path))
        on_done(len(run))

    def render_here(run: list[Row]) -> None:
        finished(run, [_render(plan.personalizer, row.request) for row in run])

    try:
        if jobs == 1:
            for run in work:
                render_here(run)
        elif "fork" in multiprocessing.get_all_start_methods():
            # The first row renders here: fonts and text shaping warm up once, before the workers fork
            # (they inherit its handout's layout too); the rest of its run goes to the workers.
            (first, *rest), *work = work
            render_here([first])
            work = [rest, *work] if rest else work
            context, start, args = multiprocessing.get_context("fork"), _inherit_worker, (plan.personalizer,)
        else:
            context, start, args = multiprocessing.get_context(), _start_worker, (plan.personalizer.root,
                                                                                  brand_file)
        if jobs > 1:
            with ProcessPoolExecutor(jobs, mp_context=context, initializer=start, initargs=args) as pool:
                futures = {pool.submit(_render_in_worker, [row.request for row in run]): run for run in work}
                for future in as_completed(futures):
                    finished(futures[future], future.result())
    finally:
        plan.personalizer.close()  # forked workers shared its font folder; nothing is left in /tmp
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
