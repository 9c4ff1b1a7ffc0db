"""Deletes conversations nobody has written to for longer than the retention period.

Works on the table of Rasa's SQL tracker store (`events`: one row per event, with the
conversation's `sender_id` and a Unix `timestamp`) with SQLAlchemy alone, so that the
purge runs without loading Rasa. What was recorded of the messages for review
(bot.review.tables) goes after the same period.
"""

from __future__ import annotations

import re
import time

import sqlalchemy as sa

from bot.errors import ConversationStoreUnavailable
from bot.handoff.store import CLOSED
from bot.review.tables import feedback, handoff_messages, handoffs, outbox, tickets, turns

_EVENTS = sa.table("events", sa.column("sender_id"), sa.column("timestamp"))
_PERIOD = re.compile(r"(\d+)\s*([dh])")
_UNIT_SECONDS = {"d": 24 * 3600, "h": 3600}


def period_seconds(text: str) -> int:
    """'30d' or '12h' in seconds; ValueError for anything else."""
    match = _PERIOD.fullmatch(text.strip().lower())
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"{text!r} is not a period such as 30d (days) or 12h (hours)")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def purge_conversations(database_url: str, older_than_seconds: float, now: float | None = None) -> int:
    """Deletes every conversation whose latest event is older than that; returns how many."""
    cutoff = (time.time() if now is None else now) - older_than_seconds
    engine = sa.create_engine(database_url)
    try:
        with engine.begin() as connection:
            if sa.inspect(connection).has_table(turns.name):
                connection.execute(sa.delete(turns).where(turns.c.asked_at < cutoff))
            if sa.inspect(connection).has_table(feedback.name):
                connection.execute(sa.delete(feedback).where(feedback.c.at < cutoff))
            if sa.inspect(connection).has_table(handoffs.name):
                _purge_handoffs(connection, cutoff)
            if not sa.inspect(connection).has_table("events"):
                return 0
            stale = (sa.select(_EVENTS.c.sender_id).group_by(_EVENTS.c.sender_id)
                     .having(sa.func.max(_EVENTS.c.timestamp) < cutoff))
            senders = [row[0] for row in connection.execute(stale)]
            for start in range(0, len(senders), 500):  # bounded IN lists
                batch = senders[start:start + 500]
                connection.execute(sa.delete(_EVENTS).where(_EVENTS.c.sender_id.in_(batch)))
            return len(senders)
    except sa.exc.SQLAlchemyError as error:
        raise ConversationStoreUnavailable(
            f"could not purge the conversation store at {engine.url!r}: {type(error).__name__}") from error
    finally:
        engine.dispose()


def _purge_handoffs(connection: sa.engine.Connection, cutoff: float) -> None:
    """Handoffs that ended before the cutoff with what was said in them, and older tickets
    and outgoing messages; a conversation still with staff stays."""
    ended = sa.select(handoffs.c.id).where(handoffs.c.status == CLOSED, handoffs.c.requested_at < cutoff)
    connection.execute(sa.delete(handoff_messages).where(handoff_messages.c.handoff_id.in_(ended)))
    connection.execute(sa.delete(handoffs).where(handoffs.c.status == CLOSED, handoffs.c.requested_at < cutoff))
    connection.execute(sa.delete(tickets).where(tickets.c.created_at < cutoff))
    connection.execute(sa.delete(outbox).where(outbox.c.created_at < cutoff))
