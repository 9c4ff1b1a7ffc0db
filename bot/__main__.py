"""The command line: `python -m bot --help`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bot.compiler import ENTITY_PATTERNS, check_generated, compile_knowledge, write_generated
from bot.errors import BotError
from bot.knowledge_loader import load_knowledge
from bot.settings import load_settings


@click.group()
def cli() -> None:
    """The certificate assistant's tools."""


@cli.command()
def validate() -> None:
    """Check knowledge/ and report every mistake with file, entry and field."""
    settings = load_settings()
    kb = load_knowledge(settings.knowledge_dir)
    click.echo(f"knowledge OK: {len(kb.faq)} FAQ entries, {len(kb.catalog)} catalog entries")


@cli.command("compile")
@click.option("--check", is_flag=True, help="Fail if the generated files are out of date; write nothing.")
def compile_command(check: bool) -> None:
    """Generate Rasa training data, responses and spaCy patterns from knowledge/."""
    settings = load_settings()
    files = compile_knowledge(load_knowledge(settings.knowledge_dir), settings.language)
    if check:
        check_generated(files, settings.generated_dir)
        click.echo("generated files are up to date")
        return
    changed = write_generated(files, settings.generated_dir)
    click.echo(f"wrote {', '.join(changed)}" if changed else "generated files were already up to date")


@cli.command("build-spacy")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
def build_spacy(out_dir: Path) -> None:
    """Build the spaCy entity pipeline that config.yml loads, into OUT_DIR."""
    from bot.spacy_pipeline import build_entity_pipeline

    count = build_entity_pipeline(load_settings().generated_dir / ENTITY_PATTERNS, out_dir)
    click.echo(f"built {out_dir} with {count} patterns")


def main() -> None:
    try:
        cli(standalone_mode=False)
    except BotError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except click.exceptions.Abort:
        sys.exit(130)


if __name__ == "__main__":
    main()
