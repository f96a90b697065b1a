"""make-handouts: the command line. Thin: each command parses its options and calls one library function.

Exit codes: 0 success, 1 problems in the input (content, brand file, CSV, options), 2 usage errors (click),
3 a bug: an unexpected exception, printed with its traceback.
"""

from __future__ import annotations

import json
import sys
import traceback
from datetime import date
from pathlib import Path

import click

from handout_builder.editions import ALL_LANGUAGES, DEFAULT_PAPER, LANGUAGES, PAPERS, SOURCE_LANGUAGE
from handout_builder.problems import BuildFailed
from handout_builder.web.roles import ROLES

BUG = 3


class Commands(click.Group):
    """Turns the library's BuildFailed into its report and exit 1, once for every command; anything else
    unexpected is a bug: its traceback is kept and the exit code tells a script it was not the input."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BuildFailed as failure:
            click.echo(failure.report(), err=True)
            ctx.exit(1)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception:  # noqa: BLE001 - reported as a bug, with its traceback
            traceback.print_exc()
            click.echo("make-handouts: this is a bug in make-handouts, not a problem with your files; "
                       "please report it with the lines above", err=True)
            ctx.exit(BUG)


@click.group(cls=Commands)
@click.option("--project", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default="the current folder", help="The project folder (with handouts/, templates/, styles/).")
@click.version_option(package_name="make-handouts")
@click.pass_context
def cli(ctx: click.Context, project: Path) -> None:
    """Build a clinic's printable patient handouts and brochure from its content files."""
    ctx.obj = {"project": project}


def _root(ctx: click.Context) -> Path:
    from handout_builder.content.project import find_project

    return find_project(ctx.obj["project"])


def _day(value) -> date:
    return value.date() if value else date.today()


paper_option = click.option("--paper", type=click.Choice(list(PAPERS)), default=DEFAULT_PAPER, show_default=True)
brand_option = click.option("--brand", type=click.Path(dir_okay=False, path_type=Path),
                            help="A brand file to use instead of handouts/clinic.toml.")
lang_option = click.option("--lang", type=click.Choice(LANGUAGES), default=SOURCE_LANGUAGE, show_default=True,
                           help="The language of the handouts.")
out_option = click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
                          help="Output folder.  [default: out/ in the project]")
jobs_option = click.option("--jobs", type=click.IntRange(min=1), help="Processes that render.  [default: one per core]")
today_option = click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]),
                            help="The date reviews are aged against (YYYY-MM-DD).  [default: today]")


@cli.command()
@click.argument("slugs", nargs=-1)
@paper_option
@click.option("--lang", type=click.Choice((*LANGUAGES, ALL_LANGUAGES)), default=SOURCE_LANGUAGE, show_default=True,
              help="The language to build, or all of those the content is written in.")
@brand_option
@out_option
@click.option("--html", "html_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Also keep the rendered HTML here, to debug a layout in a browser.")
@click.option("--print-shop", is_flag=True, help="The brochure for a print shop: bleed, crop marks, 4n pages.")
@click.option("--booklet", is_flag=True, help="The brochure imposed 2-up for saddle stitching (Tabloid or A3).")
@click.option("--creep", type=click.FloatRange(min=0), default=0.0, metavar="PT",
              help="Booklet creep compensation: how far (pt) the innermost pages move toward the spine.")
@click.option("--leaflet", is_flag=True, help="The tri-fold leaflet.")
@click.option("--grayscale", is_flag=True, help="A black-and-white proof of whatever is built.")
@click.option("--large-print", is_flag=True, help="The large-print edition (18 pt bold), as NAME.large-print.pdf.")
@click.option("--include-drafts", is_flag=True, help="Put draft handouts in the brochure too.")
@click.option("--force", is_flag=True, help="Rebuild even the PDFs whose inputs have not changed.")
@jobs_option
@today_option
@click.pass_context
def build(ctx, slugs, paper, lang, brand, out_dir, html_dir, print_shop, booklet, creep, leaflet, grayscale,
          large_print, include_drafts, force, jobs, today):
    """Build the named handouts (topic or drug slugs, or brochure), or every handout and the brochure.

    --print-shop, --booklet and --leaflet build those outputs instead (together, if several); --large-print
    builds only the large-print edition. Only PDFs whose inputs changed since the last build are rebuilt.
    A build that renders runs the checks of `check` first: any error stops it; warnings (an overdue
    review) are printed.
    """
    from handout_builder.build.incremental import build as run_build
    from handout_builder.build.plan import Settings
    from handout_builder.content.project import chosen_languages
    from handout_builder.editions import variants_for

    try:
        variants = variants_for(print_shop=print_shop, booklet=booklet, leaflet=leaflet, large_print=large_print,
                                grayscale=grayscale)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    root = _root(ctx)
    run_build(root, slugs, langs=chosen_languages(root, lang), paper=paper, variants=variants, brand_file=brand,
              out_dir=out_dir, html_dir=html_dir, settings=Settings(include_drafts, creep), force=force, jobs=jobs,
              log=click.echo, warn=lambda line: click.echo(line, err=True), today=_day(today))


@cli.command()
@paper_option
@brand_option
@out_option
@jobs_option
@click.pass_context
def watch(ctx, paper, brand, out_dir, jobs):
    """Build, then rebuild what changed whenever content, templates, styles or the brand file change."""
    from handout_builder.build.watch import watch as run_watch

    run_watch(_root(ctx), paper, brand, out_dir, jobs, log=click.echo)


@cli.command()
@brand_option
@click.option("--lang", type=click.Choice((*LANGUAGES, ALL_LANGUAGES)), default=ALL_LANGUAGES, show_default=True,
              help="The language to check; with all, also that the languages have the same handouts and facts.")
@click.option("--pemat", is_flag=True, help="Print the PEMAT-P score sheet of every handout.")
@click.option("--strict", is_flag=True, help="Treat overdue reviews and hard words as errors, not warnings.")
@click.option("--claims", is_flag=True, help="Print the claims ledger (every cited statement and its sources) "
              "instead of the reading figures.")
@click.option("--json", "as_json", is_flag=True, help="With --claims: print the ledger as JSON for scripts.")
@today_option
@click.pass_context
def check(ctx, brand, lang, pemat, strict, claims, as_json, today):
    """Check all content and the brand file without writing anything."""
    from handout_builder.checks.runner import check_project
    from handout_builder.content.project import chosen_languages

    if as_json and not claims:
        raise click.UsageError("--json goes with --claims")
    root = _root(ctx)
    result = check_project(root, brand, chosen_languages(root, lang), _day(today), strict)
    if claims:
        lines = [json.dumps(result.ledger_rows(), indent=2, ensure_ascii=False)] if as_json else result.ledger()
    else:
        lines = result.figures(pemat)
    for line in lines:
        click.echo(line)
    result.problems.raise_if_any("the content needs work")
    for warning in result.problems.warnings:
        click.echo(str(warning), err=True)
    click.echo("\n".join(result.passed()), err=as_json)  # stdout stays JSON for scripts


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
def preflight(files):
    """Check PDFs as a print shop does before printing: PDF/X-4 and its output profile, CMYK or grey only,
    images at 300 ppi, fonts embedded, 3 mm (0.125 in) of bleed, pages a multiple of 4, no encryption.
    Every print-shop build runs it too. One line per problem, by page; exit 1 on an error."""
    from handout_builder.pdf.preflight import preflight_files

    click.echo("\n".join(preflight_files(list(files))))


@cli.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@brand_option
@lang_option
@today_option
@click.pass_context
def list_command(ctx, as_json, brand, lang, today):
    """List every handout with its title and review date."""
    from handout_builder.checks.review import list_project

    rows = list_project(_root(ctx), brand, lang, _day(today))
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    width = max(len(r["slug"]) for r in rows)
    for r in rows:
        click.echo(f"{r['slug']:<{width}}  {r['kind']:<5}  reviewed {r['reviewed']:<14}  {r['title']}"
                   f"  ({r['review_age']})")


@cli.command(name="print")
@click.argument("name")
@lang_option
@paper_option
@click.option("--large-print", is_flag=True, help="Print the large-print edition.")
@click.option("--copies", type=click.IntRange(1, 100), default=1, show_default=True)
@click.option("--printer", help="A CUPS queue (`lpstat -p` lists them).  [default: CUPS's default printer]")
@click.option("--single-sided", is_flag=True, help="Print on one side of the paper (default: both sides).")
@brand_option
@out_option
@click.pass_context
def print_command(ctx, name, lang, paper, large_print, copies, printer, single_sided, brand, out_dir):
    """Print on a CUPS printer, on the edition's paper, building the PDF first if needed.

    NAME is a handout's slug or a drug's brand name (upadacitinib, rinvoq), `brochure`, `leaflet`, or a PDF
    of the catalog (out/en/letter/upadacitinib.pdf: its path gives the language, paper and edition).
    Handouts and the brochure print double-sided, flipped on the long edge; the tri-fold leaflet on the
    short edge, so its back panels are upright.
    """
    from handout_builder.deliver.printing import print_handout
    from handout_builder.editions import Edition, variants_for

    edition = Edition(lang, paper, variants_for(large_print=large_print)[0])
    click.echo(print_handout(_root(ctx), name, edition, copies, printer, not single_sided, brand, out_dir,
                             log=click.echo).describe())


@cli.command()
@click.argument("slug")
@click.option("--patient", required=True, help="The patient's name, printed on the handout only.")
@click.option("--prescriber", default="", help="Who prepared it, e.g. 'Dr Ana Diaz'.")
@click.option("--plan", default="", help="The patient's instructions (plain text; line breaks are kept).")
@click.option("--next-visit", default="", metavar="YYYY-MM-DD", help="The date of the next visit.")
@lang_option
@paper_option
@click.option("--large-print", is_flag=True, help="The large-print edition (18 pt bold, one column).")
@click.option("--password", "ask_password", is_flag=True, help="Ask for a password and encrypt the PDF (AES-256).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The PDF to write. Name it by handout, not by patient.")
@brand_option
@click.pass_context
def personalize(ctx, slug, patient, prescriber, plan, next_visit, lang, paper, large_print, ask_password, output,
                brand):
    """Make one patient's copy of a handout: a plan sheet with their name and plan, then the handout."""
    from handout_builder.deliver.personalize import personalize as run_personalize

    # Asked for, not an option value: a password on the command line stays in the shell history.
    password = click.prompt("Password", hide_input=True, confirmation_prompt=True) if ask_password else None
    values = dict(slug=slug, patient=patient, prescriber=prescriber, plan=plan, next_visit=next_visit,
                  lang=lang, paper=paper, large_print="yes" if large_print else "", password=password)
    click.echo(run_personalize(_root(ctx), values, output, brand).describe())


BATCH_OPTIONS = (  # batch and email: the CSV, then the mail server (the brand file's [smtp] table is the default)
    click.argument("csv_file", type=click.Path(dir_okay=False, path_type=Path)),
    click.option("--smtp-host", "host", help="SMTP server. Without one, .eml drafts are written beside the PDFs."),
    click.option("--smtp-port", "port", type=int, help="SMTP port.  [default: [smtp] port, or 587]"),
    click.option("--smtp-starttls/--no-smtp-starttls", "starttls", default=None, help="Use STARTTLS (default: yes)."),
    click.option("--smtp-user", "user", help="SMTP login.  [default: [smtp] user]"),
    click.option("--smtp-ca-file", "ca_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                 help="Trust this certificate (PEM) for STARTTLS, e.g. the clinic server's own."),
    click.option("--smtp-password-env", "password_env", metavar="NAME",
                 help="The environment variable holding the SMTP password.  [default: MAKE_HANDOUTS_SMTP_PASSWORD]"),
    click.option("--from", "sender", help="The sender address.  [default: [smtp] from, or the clinic's email]"),
    click.option("--name-column", metavar="COLUMN", help="Name each PDF COLUMN-SLUG.pdf by this extra CSV column "
                 "(e.g. a visit number) instead of row-NNNN-SLUG.pdf; never a patient's column."),
    click.option("--allow-unencrypted", is_flag=True, help="Email the rows without a password too, unencrypted "
                 "(without it, each such row is refused by its line)."),
    jobs_option, brand_option)


def batch_options(command):
    for option in reversed(BATCH_OPTIONS):
        command = option(command)
    return command


def _batch(ctx, csv_file, out_dir, send, jobs, brand, name_column, allow_unencrypted, **smtp) -> None:
    from handout_builder.deliver.batch import progress_on, run_batch

    report = run_batch(_root(ctx), csv_file, out_dir, jobs=jobs, brand_file=brand, send_email=send, smtp=smtp,
                       name_column=name_column, allow_unencrypted=allow_unencrypted,
                       progress=progress_on(sys.stderr))
    for problem in report.problems:
        click.echo(str(problem), err=True)
    click.echo("\n".join(report.lines))
    if report.failed:
        ctx.exit(1)


@cli.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Output folder for the PDFs (named row-NNNN-SLUG.pdf).")
@click.option("--send", is_flag=True, help="Email each PDF to the row's address (or write .eml drafts).")
@batch_options
@click.pass_context
def batch(ctx, out_dir, send, **options):
    """Make one personalised handout per row of a CSV (slug, patient, prescriber, plan, next_visit,
    lang, paper, and optional email, password, large_print)."""
    _batch(ctx, out_dir=out_dir, send=send, **options)


@cli.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Output folder for the PDFs and any .eml drafts.")
@batch_options
@click.pass_context
def email(ctx, out_dir, **options):
    """Same as `batch --send`: build each row's handout and email it (or write an .eml draft)."""
    _batch(ctx, out_dir=out_dir, send=True, **options)


data_option = click.option("--data", "data_dir", type=click.Path(file_okay=False, path_type=Path),
                           help="The app's data folder (accounts, sessions, the education record).  "
                                "[default: app-data/ in the project]")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on. Any other than this computer's needs --behind-proxy.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@data_option
@click.option("--behind-proxy", metavar="ADDRESS",
              help="A TLS proxy (Caddy, nginx) at ADDRESS forwards to the app: only its requests are served, and "
                   "its X-Forwarded-* headers are trusted.")
@click.option("--cert", type=click.Path(dir_okay=False, path_type=Path),
              help="Serve HTTPS with this certificate chain (PEM); needs --key. Then --host may be any address.")
@click.option("--key", type=click.Path(dir_okay=False, path_type=Path), help="The certificate's private key (PEM).")
@click.option("--printer", help="The CUPS queue to print on.  [default: CUPS's default printer]")
@paper_option
@brand_option
@out_option
@click.option("--no-warm", is_flag=True, help="Do not lay out the standard handouts in advance (quicker start, "
              "slower first copies).")
@click.option("--threads", type=click.IntRange(1, 64), default=8, show_default=True,
              help="Requests served at once.")
@jobs_option
@click.pass_context
def serve(ctx, host, port, data_dir, behind_proxy, cert, key, printer, paper, brand, out_dir, no_warm, threads, jobs):
    """Start the clinic's app in the browser: http://127.0.0.1:8000 (create an account first: `users add`)."""
    from handout_builder.web.app import Settings
    from handout_builder.web.server import default_data_dir, serve as run_server

    root = _root(ctx)
    settings = Settings(root, data_dir or default_data_dir(root), out_dir or root / "out", brand, paper, printer,
                        warm=not no_warm, processes=jobs)
    run_server(settings, host, port, behind_proxy, threads, cert, key)


@cli.group()
def users():
    """The app's accounts: add, list, remove, change a password."""


def _data_dir(ctx, data_dir: Path | None) -> Path:
    from handout_builder.web.server import default_data_dir

    return data_dir or default_data_dir(_root(ctx))


def _new_password(name: str) -> str:
    # Asked for, never an option: a password on the command line stays in the shell history.
    return click.prompt(f"Password for {name} (at least 12 characters)", hide_input=True, confirmation_prompt=True)


@users.command(name="add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--lang", type=click.Choice(LANGUAGES), default=SOURCE_LANGUAGE, show_default=True,
              help="The language of the app's pages for this user.")
@data_option
@click.pass_context
def users_add(ctx, name, role, lang, data_dir):
    """Add an account (the password is asked for twice)."""
    from handout_builder.web.accounts import add_account

    click.echo(add_account(_data_dir(ctx, data_dir), name, role, _new_password(name), lang))


@users.command(name="list")
@data_option
@click.pass_context
def users_list(ctx, data_dir):
    """List the accounts and their roles."""
    from handout_builder.web.accounts import account_lines

    click.echo("\n".join(account_lines(_data_dir(ctx, data_dir))))


@users.command(name="remove")
@click.argument("name")
@data_option
@click.pass_context
def users_remove(ctx, name, data_dir):
    """Remove an account and end its sessions (the education record keeps its name)."""
    from handout_builder.web.accounts import remove_account

    click.echo(remove_account(_data_dir(ctx, data_dir), name))


@users.command(name="passwd")
@click.argument("name")
@data_option
@click.pass_context
def users_passwd(ctx, name, data_dir):
    """Set a new password for an account (asked for twice); its sessions end."""
    from handout_builder.web.accounts import change_password

    click.echo(change_password(_data_dir(ctx, data_dir), name, _new_password(name)))


if __name__ == "__main__":
    cli()
