"""`python -m bot db ...`: the certificate database commands for operators and support staff."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click
from click.termui import progressbar

from bot.certificates.backends import open_certificate_database, store_from_settings
from bot.certificates.demo import demo_records
from bot.certificates.importer import import_file, write_rejects
from bot.certificates.lookup import CertificateLookup, render
from bot.certificates.model import NUMBER_EXAMPLE, NUMBER_FORMAT, is_valid_number, normalize_number
from bot.knowledge.loader import current_knowledge
from bot.knowledge.mentions import MentionFinder
from bot.settings import Settings, current_settings
from bot.text import DEFAULT_LANGUAGE, LANGUAGES

# The demo data set `make run` loads into an empty database.
DEMO_SIZE, DEMO_SEED = 200, 1
# Files with more lines than this get a progress bar.
PROGRESS_BAR_LINES = 10_000


def _count_lines(file: Path) -> int:
    if not file.is_file():
        return 0
    with file.open("rb") as handle:
        return sum(1 for _ in handle)


@click.group()
def db() -> None:
    """The certificate database (BOT_LOOKUP_BACKEND: SQLite at BOT_DATABASE, default
    var/certificates.db, or PostgreSQL at BOT_CERTIFICATES_DB_URL)."""


@db.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--rejects", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write rejected rows (default: FILE with .rejected.csv).")
def import_command(file: Path, rejects: Path | None) -> None:
    """Import certificates from a CSV or JSON Lines FILE (upsert by certificate number)."""
    settings, kb = current_settings(), current_knowledge()
    mentions = MentionFinder(kb)
    database = open_certificate_database(settings)
    lines = _count_lines(file)
    with progressbar(length=lines, label=f"importing {file.name}", file=sys.stderr,
                           hidden=lines <= PROGRESS_BAR_LINES) as bar:
        summary = import_file(database, file, mentions.from_text, date.today(), progress=bar.update)
    for item in summary.rejected[:20]:
        click.echo(f"{file}, line {item.line}: {item.reason}", err=True)
    if len(summary.rejected) > 20:
        click.echo(f"... and {len(summary.rejected) - 20} more rejected rows", err=True)
    if summary.rejected:
        reject_path = rejects or file.with_suffix(".rejected.csv")
        write_rejects(summary.rejected, reject_path)
        click.echo(f"rejected rows written to {reject_path}", err=True)
    click.echo(f"{summary}; {database.count()} certificates in {database.location}")


@db.command()
@click.option("--size", default=DEMO_SIZE, show_default=True, help="How many demo certificates.")
@click.option("--seed", default=DEMO_SEED, show_default=True, help="Random seed: the same seed gives the same data.")
@click.option("--if-empty", is_flag=True, help="Only load the demo when the database holds no certificates.")
def demo(size: int, seed: int, if_empty: bool) -> None:
    """Load a clearly fictional demo data set covering every lookup state."""
    click.echo(load_demo(current_settings(), size, seed, if_empty))


def load_demo(settings: Settings, size: int = DEMO_SIZE, seed: int = DEMO_SEED, if_empty: bool = False) -> str:
    """Loads the demo certificates into the database the settings name; says what it did."""
    database = open_certificate_database(settings)
    if if_empty and database.count():
        return f"{database.location} already holds certificates; demo not loaded"
    inserted, updated, unchanged = database.upsert(demo_records(size, seed, date.today()))
    return f"demo data: {inserted} inserted, {updated} updated, {unchanged} unchanged in {database.location}"


@db.command()
@click.argument("number")
@click.option("--name", required=True, help="The holder's name, as on the certificate.")
@click.option("--language", type=click.Choice(LANGUAGES), default=DEFAULT_LANGUAGE, show_default=True,
              help="The language of the answer.")
def status(number: str, name: str, language: str) -> None:
    """Show exactly what the assistant would answer for NUMBER and --name (when no lookup
    limit applies: this check is not counted)."""
    settings, kb = current_settings(), current_knowledge()
    normalized = normalize_number(number)
    if not is_valid_number(normalized):
        raise click.BadParameter(f"{number!r} is not {NUMBER_FORMAT} (for example {NUMBER_EXAMPLE})",
                                 param_hint="NUMBER")
    lookup = CertificateLookup.without_limits(kb, settings, store_from_settings(settings))
    outcome = lookup.check(normalized, name, client="support staff", today=date.today(), language=language)
    click.echo(render(kb, outcome, language))
