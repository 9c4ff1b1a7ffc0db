"""The command line: `python -m bot --help`."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import click

from bot.certificates.cli import db
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


@cli.command()
@click.option("--model", type=click.Path(dir_okay=False, path_type=Path), default="models/certificates.tar.gz",
              show_default=True)
@click.option("--port", type=int, default=5005, show_default=True, help="Rasa server port (REST channel).")
@click.option("--action-port", type=int, default=5055, show_default=True, help="Action server port.")
def serve(model: Path, port: int, action_port: int) -> None:
    """Run the action server and the Rasa server until Ctrl-C."""
    from bot.stack import StackConfig, running_stack, stop_on_signals

    stop_on_signals()
    config = StackConfig(model=model, rasa_port=port, action_port=action_port)
    try:
        with running_stack(config):
            click.echo(f"The assistant is up. REST channel: POST {config.rest_url}  (Ctrl-C stops it)")
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        click.echo("stopped")


@cli.command()
@click.option("--model", type=click.Path(dir_okay=False, path_type=Path), default="models/certificates.tar.gz",
              show_default=True)
@click.option("--action-port", type=int, default=5055, show_default=True, help="Action server port.")
def shell(model: Path, action_port: int) -> None:
    """Talk to the assistant in the terminal, with the action server running."""
    from bot.stack import RASA_WITH_FALLBACK, StackConfig, action_server, server_environment

    config = StackConfig(model=model, action_port=action_port)
    with action_server(config, log=subprocess.DEVNULL):
        subprocess.run(
            [*RASA_WITH_FALLBACK, "shell", "--model", str(model), "--endpoints", "endpoints.yml"],
            env=server_environment(config),
            check=False,
        )


cli.add_command(db)


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
