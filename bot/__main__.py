"""The command line: `python -m bot --help`."""

from __future__ import annotations

import secrets
import sys
import time
from datetime import date
from pathlib import Path

import click

from bot.certificates.cli import db, load_demo
from bot.errors import BotError, ConversationStoreUnavailable
from bot.handoff.cli import tickets
from bot.knowledge.compiler import check_generated, compile_knowledge, write_generated
from bot.knowledge.loader import current_knowledge, load_knowledge
from bot.knowledge.reviews import record_reviews, reviewed_parts, unreviewed
from bot.processes.conversation_retention import period_seconds, purge_conversations
from bot.review.cli import review, shell_user, staff
from bot.settings import PROJECT_ROOT, Settings, current_settings, load_settings


@click.group()
def cli() -> None:
    """The certificate assistant's tools."""


@cli.command()
def validate() -> None:
    """Check knowledge/ and report every mistake with file, entry and field."""
    kb = current_knowledge()
    click.echo(f"knowledge OK: {len(kb.faq)} FAQ entries, {len(kb.catalog)} catalog entries")


@cli.command()
@click.argument("parts", nargs=-1)
@click.option("--all-changed", is_flag=True, help="Every part whose text changed since its last recorded review.")
def reviewed(parts: tuple[str, ...], all_changed: bool) -> None:
    """Record that you reviewed PARTS against their sources today (faq/<id>, catalog/<id>,
    answer_templates, lookup_replies, scope): sets their `reviewed` date to today."""
    root = current_settings().knowledge_dir
    kb = load_knowledge(root, check_reviews=False)
    names = list(parts) + (unreviewed(kb, root) if all_changed else [])
    if not names:
        raise click.UsageError("name the parts you reviewed, or use --all-changed")
    try:
        recorded = record_reviews(kb, root, dict.fromkeys(names), date.today())
    except KeyError as error:
        known = ", ".join(part.name for part in reviewed_parts(kb, root))
        raise click.BadParameter(f"{error.args[0]!r} is not a part of the knowledge; use one of: {known}") from None
    click.echo(f"recorded today's review of {', '.join(recorded)}")


@cli.command("compile")
@click.option("--check", is_flag=True, help="Fail if the generated files are out of date; write nothing.")
def compile_command(check: bool) -> None:
    """Generate Rasa training data, responses and entity patterns from knowledge/."""
    settings = current_settings()
    files = compile_knowledge(load_knowledge(settings.knowledge_dir))
    if check:
        check_generated(files, settings.generated_dir)
        click.echo("generated files are up to date")
        return
    changed = write_generated(files, settings.generated_dir)
    click.echo(f"wrote {', '.join(changed)}" if changed else "generated files were already up to date")


@cli.command("build-web")
def build_web() -> None:
    """Prepare the chat widget's bundle for the web page (no outside fonts)."""
    from bot.processes.webpage import WEB_DIR, WIDGET_BUNDLE
    from bot.processes.widget_bundle import build_widget_bundle

    removed = build_widget_bundle(WEB_DIR / "node_modules" / "rasa-webchat" / "lib" / "index.js", WIDGET_BUNDLE)
    click.echo(f"wrote {WIDGET_BUNDLE} ({removed} outside font imports removed)")


MODEL_OPTION = click.option("--model", type=click.Path(dir_okay=False, path_type=Path), default=None,
                            help="The model to serve (default: BOT_MODEL, models/certificates.tar.gz).")


@cli.command()
@click.option("--run", "run_id", type=int, hidden=True, help="The console's record of this training.")
@click.option("--by", "actor", help="Who started it, for the record (default: your login name).")
def train(run_id: int | None, actor: str | None) -> None:
    """Train the model with the knowledge as it is now; running servers switch to it."""
    from bot.processes.training import run, training_log

    settings = current_settings()
    click.echo(f"training (Rasa's output: {training_log(settings)})...")
    click.echo(run(settings, run_id, actor or shell_user()))


@cli.command()
@MODEL_OPTION
def serve(model: Path | None) -> None:
    """Run the assistant until Ctrl-C: action server, Rasa server and web page.

    Addresses, ports and channels come from the environment (see the README).
    """
    from bot.processes.stack import StackConfig, running_stack, stop_on_signals

    stop_on_signals()
    settings = current_settings()
    config = StackConfig(settings, model or settings.model_path)
    channels = ["REST", "web widget (socket.io)"]
    channels += ["Telegram"] if config.settings.server.telegram else []
    channels += ["Slack"] if config.settings.server.slack else []
    try:
        with running_stack(config, with_page=True):
            click.echo(f"The assistant is up. Web page: http://localhost:{config.web_port}/  "
                       f"REST: POST {config.rest_url}")
            click.echo(f"Channels: {', '.join(channels)}. "
                       f"HTTP API: {'on, token required' if config.api_token else 'off'}. Ctrl-C stops it.")
            _purge_old_conversations_daily(config.settings)
    except KeyboardInterrupt:
        click.echo("stopped")


@cli.command("serve-scaled")
@MODEL_OPTION
@click.option("--replicas", type=click.IntRange(1, 16), default=3, show_default=True,
              help="How many Rasa server replicas (each loads the model: about 1 GB).")
def serve_scaled(model: Path | None, replicas: int) -> None:
    """Run the assistant scaled out until Ctrl-C: replicas behind nginx, sharing
    PostgreSQL (BOT_POSTGRES_URL) and Redis (BOT_REDIS_URL)."""
    from bot.processes.scaled import ScaledConfig, run_scaled
    from bot.processes.stack import stop_on_signals

    stop_on_signals()
    settings = load_settings(scaled=True)
    click.echo(load_demo(settings, if_empty=True))  # as `make run` does for SQLite
    config = ScaledConfig(settings, model or settings.model_path, replicas)
    try:
        with run_scaled(config):
            click.echo(f"The assistant is up: {replicas} replicas behind nginx. Web page: "
                       f"http://localhost:{config.web_port}/  REST: POST {config.rest_url}  Ctrl-C stops it.")
            _purge_old_conversations_daily(settings)
    except KeyboardInterrupt:
        click.echo("stopped")


def _purge_old_conversations_daily(settings: Settings) -> None:
    """Applies the retention period now and once a day, until interrupted."""
    while True:
        _purge_old_conversations(settings)
        time.sleep(24 * 3600)


def _purge_old_conversations(settings: Settings) -> None:
    try:
        removed = purge_conversations(settings.tracker_db_url, settings.conversation_retention_days * 24 * 3600)
    except ConversationStoreUnavailable as error:
        click.echo(f"error: {error}; will try again in a day", err=True)
        return
    click.echo(f"{removed} conversation(s) older than {settings.conversation_retention_days} days deleted")


@cli.group()
def conversations() -> None:
    """The stored conversations."""


@conversations.command()
@click.option("--older-than", "older_than", metavar="PERIOD",
              help="Delete conversations untouched for longer than this: 30d (days) or 12h (hours). "
                   "[default: BOT_CONVERSATION_RETENTION_DAYS, 30d]")
def purge(older_than: str | None) -> None:
    """Delete old conversations from the conversation store (BOT_TRACKER_DB_URL)."""
    settings = current_settings()
    older_than = older_than or f"{settings.conversation_retention_days}d"
    try:
        seconds = period_seconds(older_than)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--older-than") from None
    removed = purge_conversations(settings.tracker_db_url, seconds)
    click.echo(f"{removed} conversation(s) untouched for more than {older_than} deleted")


@cli.command()
@MODEL_OPTION
@click.option("--debug", is_flag=True, help="Show the intent, its confidence and what answered each message.")
def shell(model: Path | None, debug: bool) -> None:
    """Talk to the assistant in the terminal, with the full stack running."""
    from bot.processes.shell import ShellSession, run_shell
    from bot.processes.stack import StackConfig, free_port, running_stack, stop_on_signals

    stop_on_signals()
    # On localhost and free ports, so the shell also works while `make run` is up; the HTTP
    # API only for --debug, behind a token made for this run; one server process, for one
    # person at a terminal.
    settings = current_settings().with_server(host="127.0.0.1", rasa_port=free_port(), action_port=free_port(),
                                              workers=1, api_token=secrets.token_urlsafe(24) if debug else "")
    config = StackConfig(settings, model or settings.model_path)
    log_path = PROJECT_ROOT / "build" / "shell-servers.log"
    log_path.parent.mkdir(exist_ok=True)
    click.echo(f"Starting the assistant (about half a minute; server logs: {log_path})...")
    try:
        with log_path.open("wb") as log, running_stack(config, log):
            run_shell(ShellSession(config, debug))
    except KeyboardInterrupt:
        click.echo("")


cli.add_command(db)
cli.add_command(review)
cli.add_command(staff)
cli.add_command(tickets)


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
