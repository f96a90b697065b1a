"""make-handouts: the command line. Thin: parse options, call handout_builder, print problems, exit.

Exit codes: 0 success, 1 problems in the input (content, brand file, options), 2 usage errors (click).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from handout_builder.problems import BuildFailed

PAPERS = ("letter", "a4")
LANGS = ("en", "es")  # the languages of handout_builder.translation.LANGUAGES


def _project(ctx: click.Context) -> Path:
    from handout_builder.project import find_project

    return find_project(ctx.obj["project"])


def _run(action):
    """Turn BuildFailed into its report and exit code 1; anything else is a bug and keeps its traceback."""
    try:
        return action()
    except BuildFailed as failure:
        click.echo(failure.report(), err=True)
        sys.exit(1)


@click.group()
@click.option("--project", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default="the current folder", help="The project folder (holding handouts/, templates/, styles/).")
@click.version_option(package_name="make-handouts")
@click.pass_context
def cli(ctx: click.Context, project: Path) -> None:
    """Build a clinic's printable patient handouts and brochure from its content files."""
    ctx.obj = {"project": project}


brand_option = click.option("--brand", type=click.Path(dir_okay=False, path_type=Path),
                            help="A brand file to use instead of handouts/clinic.toml.")
lang_option = click.option("--lang", type=click.Choice(LANGS), default="en", show_default=True,
                           help="The language of the handouts.")


def _langs(ctx: click.Context, lang: str) -> list[str]:
    """One language, or with "all" every language the project's content files are written in."""
    from handout_builder.project import languages

    return languages(_project(ctx)) if lang == "all" else [lang]


@cli.command()
@click.argument("slugs", nargs=-1)
@click.option("--paper", type=click.Choice(PAPERS), default="letter", show_default=True)
@click.option("--lang", type=click.Choice((*LANGS, "all")), default="en", show_default=True,
              help="The language to build, or all of those the content is written in.")
@brand_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder.  [default: out/ in the project]")
@click.option("--html", "html_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Also keep the rendered HTML here, to debug a layout in a browser.")
@click.option("--print-shop", is_flag=True, help="The brochure for a print shop: bleed, crop marks, "
              "pages padded to a multiple of 4.")
@click.option("--booklet", is_flag=True, help="The brochure imposed 2-up for saddle stitching on "
              "Tabloid (letter) or A3 (A4).")
@click.option("--creep", type=click.FloatRange(min=0), default=0.0, metavar="PT",
              help="Booklet creep compensation: how far (pt) the innermost pages move toward the spine.")
@click.option("--leaflet", is_flag=True, help="The tri-fold leaflet.")
@click.option("--grayscale", is_flag=True, help="A black-and-white proof of whatever is built.")
@click.option("--large-print", is_flag=True, help="The large-print edition (18 pt bold, one column) "
              "instead of the regular one, as NAME.large-print.pdf beside it.")
@click.option("--include-drafts", is_flag=True, help="Put draft handouts in the brochure too.")
@click.option("--force", is_flag=True, help="Rebuild even the PDFs whose inputs have not changed.")
@click.option("--jobs", type=click.IntRange(min=1), help="Processes that render.  [default: one per core]")
@click.pass_context
def build(ctx, slugs, paper, lang, brand, out_dir, html_dir, print_shop, booklet, creep, leaflet, grayscale,
          large_print, include_drafts, force, jobs):
    """Build the named handouts (topic or drug slugs), or every handout and the brochure.

    --print-shop, --booklet and --leaflet build those outputs instead (together, if several).
    --large-print builds only the large-print edition; run `build` without it for the regular one. Only PDFs
    whose inputs changed since the last build into the same folder are rebuilt.
    """
    from handout_builder.build import build as run_build

    if large_print and (print_shop or booklet or leaflet):
        # 18 pt text does not fit a tri-fold panel, and no print-shop large-print brochure is designed.
        raise click.UsageError("--large-print cannot be combined with --print-shop, --booklet or --leaflet")
    chosen = [name for name, on in (("print-shop", print_shop), ("booklet", booklet),
                                    ("leaflet", leaflet)) if on] or \
        ["large-print" if large_print else "regular"]
    if grayscale:
        chosen = ["grayscale" if v == "regular" else f"{v}+grayscale" for v in chosen]
    for language in _langs(ctx, lang):
        _run(lambda: run_build(_project(ctx), list(slugs), paper, brand, out_dir, html_dir,
                               variants=tuple(chosen), log=click.echo, creep=creep,
                               include_drafts=include_drafts, lang=language, force=force, jobs=jobs))


@cli.command()
@click.option("--paper", type=click.Choice(PAPERS), default="letter", show_default=True)
@brand_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder.  [default: out/ in the project]")
@click.option("--jobs", type=click.IntRange(min=1), help="Processes that render.  [default: one per core]")
@click.pass_context
def watch(ctx, paper, brand, out_dir, jobs):
    """Build, then rebuild what changed whenever content, templates, styles or the brand file change."""
    from handout_builder.watch import watch as run_watch

    _run(lambda: run_watch(_project(ctx), paper, brand, out_dir, jobs, log=click.echo))


today_option = click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]),
                            help="The date reviews are aged against (YYYY-MM-DD).  [default: today]")


@cli.command()
@brand_option
@click.option("--lang", type=click.Choice((*LANGS, "all")), default="all", show_default=True,
              help="The language to check; with all, also that every language has every handout, "
                   "reviewed on the same day, citing the same sources.")
@click.option("--pemat", is_flag=True, help="Print the PEMAT-P score sheet of every handout.")
@click.option("--strict", is_flag=True, help="Treat overdue reviews as errors, not warnings.")
@today_option
@click.pass_context
def check(ctx, brand, lang, pemat, strict, today):
    """Check all content and the brand file without writing anything."""
    from handout_builder.check import check_project
    from handout_builder.readability import report_lines, score_lines

    checked, problems = check_project(_project(ctx), brand, _langs(ctx, lang), _day(today), strict)
    for library, report in checked:
        for reading in report.readings:
            click.echo("\n".join(report_lines(reading, problems.display(reading.handout.path))))
        if report.leaflet:
            click.echo("\n".join(score_lines(f"leaflet ({library.lang})", report.leaflet)))
        if pemat:
            for sheet in report.sheets:
                click.echo("\n".join(sheet.lines()))
        for warning in report.warnings:
            click.echo(str(warning), err=True)
    _run(lambda: problems.raise_if_any("the content needs work"))
    for library, _ in checked:
        click.echo(f"{library.lang}: {len(library.topics)} topics and {len(library.drugs)} drugs checked: "
                   "no problems.")


def _day(value):
    from datetime import date

    return value.date() if value else date.today()


@cli.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@brand_option
@lang_option
@today_option
@click.pass_context
def list_command(ctx, as_json, brand, lang, today):
    """List every handout with its title and review date."""
    from handout_builder.build import list_handouts
    from handout_builder.content import load_library

    rows = list_handouts(_run(lambda: load_library(_project(ctx), brand, lang)), _day(today))
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    width = max(len(r["slug"]) for r in rows)
    for r in rows:
        click.echo(f"{r['slug']:<{width}}  {r['kind']:<5}  reviewed {r['reviewed']:<14}  {r['title']}"
                   f"  ({r['review_age']})")


@cli.command(name="print")
@click.argument("slug")
@lang_option
@click.option("--paper", type=click.Choice(PAPERS), default="letter", show_default=True)
@click.option("--large-print", is_flag=True, help="Print the large-print edition.")
@click.option("--copies", type=click.IntRange(1, 100), default=1, show_default=True)
@click.option("--printer", help="A CUPS queue (`lpstat -p` lists them).  [default: CUPS's default printer]")
@click.option("--single-sided", is_flag=True, help="Print on one side of the paper (default: both sides).")
@brand_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder.  [default: out/ in the project]")
@click.pass_context
def print_command(ctx, slug, lang, paper, large_print, copies, printer, single_sided, brand, out_dir):
    """Print a handout on a CUPS printer, double-sided, building it first if needed."""
    from handout_builder.build import Edition
    from handout_builder.printing import print_handout

    edition = Edition(lang, paper, "large-print" if large_print else "regular")
    job = _run(lambda: print_handout(_project(ctx), slug, edition, copies, printer, not single_sided, brand,
                                     out_dir, log=click.echo))
    sides = "one-sided" if single_sided else "double-sided"
    click.echo(f"sent {job.pdf} to printer {job.printer}: job {job.job_id}, "
               f"{copies} cop{'y' if copies == 1 else 'ies'}, {sides}")


@cli.command()
@click.argument("slug")
@click.option("--patient", required=True, help="The patient's name, printed on the handout only.")
@click.option("--prescriber", default="", help="Who prepared it, e.g. 'Dr Ana Diaz'.")
@click.option("--plan", default="", help="The patient's instructions (plain text; line breaks are kept).")
@click.option("--next-visit", default="", metavar="YYYY-MM-DD", help="The date of the next visit.")
@lang_option
@click.option("--paper", type=click.Choice(PAPERS), default="letter", show_default=True)
@click.option("--large-print", is_flag=True, help="The large-print edition (18 pt bold, one column).")
@click.option("--password", "ask_password", is_flag=True,
              help="Ask for a password and encrypt the PDF (AES-256) for email.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The PDF to write. Name it by handout, not by patient.")
@brand_option
@click.pass_context
def personalize(ctx, slug, patient, prescriber, plan, next_visit, lang, paper, large_print, ask_password, output,
                brand):
    """Make one patient's copy of a handout: a plan sheet with their name and plan, then the handout."""
    from handout_builder.output import write_atomic
    from handout_builder.personalize import personalize as run_personalize

    # Asked for, not an option value: a password on the command line stays in the shell history.
    password = click.prompt("Password", hide_input=True, confirmation_prompt=True) if ask_password else None
    values = dict(slug=slug, patient=patient, prescriber=prescriber, plan=plan, next_visit=next_visit,
                  lang=lang, paper=paper, large_print="yes" if large_print else "", password=password,
                  output=str(output))
    data, pages, _ = _run(lambda: run_personalize(_project(ctx), values, brand))
    write_atomic(output, data)
    click.echo(f"wrote {output} ({pages} page{'s' if pages != 1 else ''}); " + (
        "encrypted with AES-256" if password else "not encrypted: no password given (use --password "
        "before emailing it)"))


def smtp_options(command):
    for option in reversed((
        click.option("--smtp-host", help="SMTP server (default: the brand file's [smtp] host). "
                     "Without one, .eml drafts are written beside the PDFs."),
        click.option("--smtp-port", type=int, help="SMTP port.  [default: [smtp] port, or 587]"),
        click.option("--smtp-starttls/--no-smtp-starttls", default=None,
                     help="Use STARTTLS.  [default: [smtp] starttls, or yes]"),
        click.option("--smtp-user", help="SMTP login.  [default: [smtp] user]"),
        click.option("--smtp-ca-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="Trust this certificate (PEM) for STARTTLS, e.g. the clinic server's own.  "
                     "[default: [smtp] ca_file, or the system's authorities]"),
        click.option("--smtp-password-env", metavar="NAME", help="The environment variable holding the "
                     "SMTP password.  [default: MAKE_HANDOUTS_SMTP_PASSWORD]"),
        click.option("--from", "sender", help="The sender address.  [default: [smtp] from, or the "
                     "clinic's email]"),
    )):
        command = option(command)
    return command


def _batch(ctx, csv_file, out_dir, jobs, brand, send, smtp, name_column=None):
    from handout_builder.batch import build_batch, deliver, plan_batch
    from handout_builder.mail import smtp_settings
    from handout_builder.problems import Problems

    root = _project(ctx)
    plan = _run(lambda: plan_batch(root, csv_file, brand, need_email=send, name_column=name_column))
    settings = None
    if send:
        problems = Problems(root)
        settings = smtp_settings(plan.personalizer.library.clinic.brand_file, problems, **smtp)
        _run(problems.raise_if_any)
    with click.progressbar(length=len(plan.rows), label="rendering", file=sys.stderr) as bar:
        result = build_batch(plan, out_dir, jobs, brand, on_done=bar.update)
    delivery = deliver(plan, result, settings) if send else None
    for problem in result.problems:
        click.echo(str(problem), err=True)
    encrypted = sum(1 for row, _ in result.built if row.request.password)
    click.echo(f"built {len(result.built)} of {plan.total} rows into {out_dir}"
               + (f"; {len(result.failed_lines)} rows failed" if result.failed_lines else ""))
    if result.built:
        plain = len(result.built) - encrypted
        click.echo(f"encrypted (AES-256): {encrypted}; not encrypted (no password): {plain}")
    if delivery is not None:
        click.echo(f"sent {len(delivery.sent)} emails through {settings.host}" if settings.host else
                   f"no SMTP server configured: wrote {len(delivery.drafts)} .eml drafts to {out_dir}")
    if result.problems:
        sys.exit(1)


jobs_option = click.option("--jobs", type=click.IntRange(1),
                           help="Processes to render with.  [default: every core]")
name_column_option = click.option(
    "--name-column", metavar="COLUMN", help="Name each PDF COLUMN-SLUG.pdf by this extra CSV column (e.g. a "
    "visit number) instead of row-NNNN-SLUG.pdf; never a patient's column.")


@cli.command()
@click.argument("csv_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Output folder for the PDFs (named row-NNNN-SLUG.pdf).")
@jobs_option
@click.option("--send", is_flag=True, help="Email each PDF to the row's address (or write .eml drafts).")
@name_column_option
@smtp_options
@brand_option
@click.pass_context
def batch(ctx, csv_file, out_dir, jobs, send, name_column, brand, **smtp):
    """Make one personalised handout per row of a CSV (slug, patient, prescriber, plan, next_visit,
    lang, paper, and optional email, password, large_print)."""
    _batch(ctx, csv_file, out_dir, jobs, brand, send, _smtp(smtp), name_column)


@cli.command()
@click.argument("csv_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Output folder for the PDFs and any .eml drafts.")
@jobs_option
@name_column_option
@smtp_options
@brand_option
@click.pass_context
def email(ctx, csv_file, out_dir, jobs, name_column, brand, **smtp):
    """Same as `batch --send`: build each row's handout and email it (or write an .eml draft)."""
    _batch(ctx, csv_file, out_dir, jobs, brand, True, _smtp(smtp), name_column)


def _smtp(options: dict) -> dict:
    return dict(host=options["smtp_host"], port=options["smtp_port"], starttls=options["smtp_starttls"],
                user=options["smtp_user"], password_env=options["smtp_password_env"], sender=options["sender"],
                ca_file=options["smtp_ca_file"])


if __name__ == "__main__":
    cli()
