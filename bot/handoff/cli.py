"""`python -m bot tickets`: the questions users left for staff, and answering one from the
shell (the answer is read from standard input and sent to the user's channel by the
assistant's server, as from the console)."""

from __future__ import annotations

import json
import sys

import click

from bot.errors import BotError
from bot.handoff.desk import Desk
from bot.handoff.store import HandoffStore, Ticket
from bot.knowledge.loader import current_knowledge
from bot.review.cli import shell_user
from bot.review.store import ReviewStore, when
from bot.settings import current_settings
from bot.text import shortened

# How much of a question the table shows.
_SHOWN = 60


def _desk() -> Desk:
    settings = current_settings()
    return Desk(HandoffStore(ReviewStore(settings.tracker_db_url)), settings, current_knowledge)


def ticket_summary(ticket: Ticket) -> dict[str, object]:
    return {"id": ticket.id, "created": when(ticket.created_at), "channel": ticket.channel,
            "language": ticket.language, "question": ticket.question, "contact": ticket.contact,
            "answered_by": ticket.answered_by, "answer": ticket.answer, "delivery": ticket.delivery}


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON, for scripts.")
@click.option("--all", "everything", is_flag=True, help="Answered tickets too.")
@click.pass_context
def tickets(ctx: click.Context, as_json: bool, everything: bool) -> None:
    """The questions users left for staff, oldest first (open ones only, unless --all);
    then `answer ID`."""
    if ctx.invoked_subcommand:
        return
    found = _desk().store.tickets(open_only=not everything)
    if as_json:
        click.echo(json.dumps([ticket_summary(ticket) for ticket in found], ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo("no open tickets" if not everything else "no tickets")
        return
    for ticket in found:
        question = " ".join(ticket.question.split())
        shown = shortened(question, _SHOWN)
        state = f"answered, {ticket.delivery}" if ticket.answered_at else "open"
        contact = f"  contact: {ticket.contact}" if ticket.contact else ""
        click.echo(f"{ticket.id:>5}  {when(ticket.created_at)}  {ticket.channel:<8} {ticket.language}  "
                   f"[{state}]  {shown}{contact}")


@tickets.command()
@click.argument("ticket_id", type=int)
@click.option("--by", "actor", help="Who answers, for the record (default: the shell's user).")
def answer(ticket_id: int, actor: str | None) -> None:
    """Answer ticket TICKET_ID with the text on standard input; it goes to the user's channel."""
    text = sys.stdin.read().strip()
    if not text:
        raise click.UsageError("write the answer on standard input, e.g. echo 'text' | python -m bot tickets answer 3")
    desk = _desk()
    actor = actor or shell_user()
    try:
        desk.answer_ticket(ticket_id, actor, text)
    except BotError as error:
        raise click.ClickException(str(error)) from None
    desk.store.store.record(actor, "ticket_answered", f"ticket {ticket_id}")
    click.echo(f"answered ticket {ticket_id}; the assistant's server sends it to the user's channel "
               f"(`python -m bot tickets --all` shows whether it was delivered)")
