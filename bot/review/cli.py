"""`python -m bot review ...` and `python -m bot staff ...`: the review queue and the staff
accounts from the shell, for support staff and scripts (--json)."""

from __future__ import annotations

import getpass
import json
import os
import sys
from datetime import datetime

import click

from bot.review.accounts import account_names, add_account, remove_account
from bot.review.decisions import decide
from bot.review.grouping import Group
from bot.review.knowledge_edit import Edit
from bot.review.outcomes import QUEUE_OUTCOMES
from bot.review.store import Filters, ReviewStore, when
from bot.settings import current_settings
from bot.text import LANGUAGES, shortened

# How much of a group's most asked wording the table shows.
_SHOWN = 48


def _store() -> ReviewStore:
    return ReviewStore(current_settings().tracker_db_url)


def shell_user() -> str:
    """Who is deciding, for the record: the shell's user."""
    return f"shell:{os.environ.get('USER') or getpass.getuser()}"


def group_summary(group: Group) -> dict[str, object]:
    return {"group": group.id, "count": group.count, "languages": group.languages, "outcomes": group.outcomes,
            "last_asked": when(group.last_asked), "wordings": group.wordings,
            "questions": [question.id for question in group.questions]}


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON, for scripts.")
@click.option("--language", type=click.Choice(LANGUAGES), help="Only groups with questions in this language.")
@click.option("--outcome", type=click.Choice(QUEUE_OUTCOMES), help="Only groups with questions that ended so.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Only groups asked on or after this day.")
@click.pass_context
def review(ctx: click.Context, as_json: bool, language: str | None, outcome: str | None,
           since: datetime | None) -> None:
    """What the assistant could not answer, grouped by likeness, the most asked first;
    then `accept`, `out-of-scope`, `new-entry` or `dismiss` a group."""
    if ctx.invoked_subcommand:
        return
    groups = _store().groups(Filters(language, outcome, since.timestamp() if since else None))
    if as_json:
        click.echo(json.dumps([group_summary(group) for group in groups], ensure_ascii=False, indent=2))
        return
    if not groups:
        click.echo("nothing to review")
        return
    click.echo(f"{'group':<8} {'asked':>5}  {'language':<8} {'last asked':<16}  {'ended as':<22} wording")
    for group in groups:
        wording = group.wordings[0]
        wording = shortened(wording, _SHOWN)
        click.echo(f"{group.id:<8} {group.count:>5}  {','.join(group.languages):<8} {when(group.last_asked):<16}  "
                   f"{','.join(group.outcomes):<22} {wording}")


def _decide(group_id: str, decision: str, entry_id: str | None = None, aspect: str | None = None) -> Group:
    """Carries out a decision on a group and shows the change it made to the files."""
    store = _store()
    group = store.group(group_id)
    edit = decide(store, current_settings(), group, decision, shell_user(), entry_id, aspect)
    if edit is not None:
        _show(edit)
    return group


def _show(edit: Edit) -> None:
    if edit.diff:
        click.echo(edit.diff, nl=False)
        click.echo("Run `make train` to answer them; commit the change for review.")
    else:
        click.echo("The knowledge already has these wordings: nothing changed.")


@review.command()
@click.argument("group_id", metavar="GROUP")
@click.option("--entry", "entry_id", required=True, help="The FAQ or catalog entry that answers them.")
@click.option("--aspect", help="For a catalog entry: needed, expiry, verify or overview.")
def accept(group_id: str, entry_id: str, aspect: str | None) -> None:
    """Add the group's wordings to an entry's phrasings and show the change."""
    _decide(group_id, "accept", entry_id, aspect)


@review.command("out-of-scope")
@click.argument("group_id", metavar="GROUP")
def out_of_scope(group_id: str) -> None:
    """Mark the group as unrelated requests: they join the out-of-scope training data."""
    _decide(group_id, "out-of-scope")


@review.command("new-entry")
@click.argument("group_id", metavar="GROUP")
def new_entry(group_id: str) -> None:
    """Mark the group as needing a new entry (listed by `review new-entries`)."""
    group = _decide(group_id, "new-entry")
    click.echo(f"{group.id}: {group.count} question(s) listed as needing a new entry")


@review.command()
@click.argument("group_id", metavar="GROUP")
def dismiss(group_id: str) -> None:
    """Take the group off the queue without changing anything."""
    group = _decide(group_id, "dismiss")
    click.echo(f"{group.id}: {group.count} question(s) dismissed")


@review.command("new-entries")
@click.option("--json", "as_json", is_flag=True, help="Print JSON, for scripts.")
def new_entries(as_json: bool) -> None:
    """The questions marked as needing a new entry, for whoever writes entries."""
    questions = _store().new_entry_requests()
    if as_json:
        click.echo(json.dumps(questions, ensure_ascii=False, indent=2))
        return
    for question in questions:
        click.echo(f"{when(question['asked_at'])}  {question['language']}  {question['text']}")


@click.group()
def staff() -> None:
    """Staff accounts of the review console."""


@staff.command("add")
@click.argument("name")
def staff_add(name: str) -> None:
    """Create the account NAME (or give it a new password), the password read from
    standard input (asked twice at a terminal)."""
    if sys.stdin.isatty():
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    add_account(_store(), name, password, shell_user())
    click.echo(f"account {name!r} can now log in to the staff console")


@staff.command("remove")
@click.argument("name")
def staff_remove(name: str) -> None:
    """Delete the account NAME and end its logins."""
    remove_account(_store(), name, shell_user())
    click.echo(f"account {name!r} removed")


@staff.command("list")
def staff_list() -> None:
    """The accounts' names."""
    for name in account_names(_store()):
        click.echo(name)
