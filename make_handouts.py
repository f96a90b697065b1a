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


@cli.command()
@click.argument("slugs", nargs=-1)
@click.option("--paper", type=click.Choice(PAPERS), default="letter", show_default=True)
@brand_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder.  [default: out/ in the project]")
@click.option("--html", "html_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Also keep the rendered HTML here, to debug a layout in a browser.")
@click.option("--include-drafts", is_flag=True, help="Put draft handouts in the brochure too.")
@click.option("--force", is_flag=True, help="Rebuild even the PDFs whose inputs have not changed.")
@click.option("--jobs", type=click.IntRange(min=1), help="Processes that render.  [default: one per core]")
@click.pass_context
def build(ctx, slugs, paper, brand, out_dir, html_dir, include_drafts, force, jobs):
    """Build the named handouts (topic or drug slugs), or every handout and the brochure.

    Only PDFs whose inputs changed since the last build into the same folder are rebuilt."""
    from handout_builder.build import build as run_build

    _run(lambda: run_build(_project(ctx), list(slugs), paper, brand, out_dir, html_dir, log=click.echo,
                           include_drafts=include_drafts, force=force, jobs=jobs))


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
@click.option("--pemat", is_flag=True, help="Print the PEMAT-P score sheet of every handout.")
@click.option("--strict", is_flag=True, help="Treat overdue reviews as errors, not warnings.")
@today_option
@click.pass_context
def check(ctx, brand, pemat, strict, today):
    """Check all content and the brand file without writing anything."""
    from handout_builder.check import check_library
    from handout_builder.content import load_library
    from handout_builder.readability import report_lines

    library = _run(lambda: load_library(_project(ctx), brand))
    report, problems = check_library(library, _day(today), strict)
    for reading in report.readings:
        click.echo("\n".join(report_lines(reading, problems.display(reading.handout.path))))
    if pemat:
        for sheet in report.sheets:
            click.echo("\n".join(sheet.lines()))
    for warning in report.warnings:
        click.echo(str(warning), err=True)
    _run(lambda: problems.raise_if_any("the content needs work"))
    click.echo(f"{len(library.topics)} topics and {len(library.drugs)} drugs checked: no problems.")


def _day(value):
    from datetime import date

    return value.date() if value else date.today()


@cli.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@brand_option
@today_option
@click.pass_context
def list_command(ctx, as_json, brand, today):
    """List every handout with its title and review date."""
    from handout_builder.build import list_handouts
    from handout_builder.content import load_library

    rows = list_handouts(_run(lambda: load_library(_project(ctx), brand)), _day(today))
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    width = max(len(r["slug"]) for r in rows)
    for r in rows:
        click.echo(f"{r['slug']:<{width}}  {r['kind']:<5}  reviewed {r['reviewed']:<14}  {r['title']}"
                   f"  ({r['review_age']})")


@cli.command(name="print")
@click.argument("slug")
@click.option("--lang", default="en", show_default=True, help="Language of the handout.")
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


if __name__ == "__main__":
    cli()
