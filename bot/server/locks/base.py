"""What the assistant's lock stores share: Rasa's ticket locks, asking promptly for the
next turn, with tickets that last as long as the slowest message.

Rasa lets only one message of a conversation through at a time, with a ticket lock kept in
a lock store. Its own stores read a lock, change it and write it back as separate steps, so
two processes can both take the lock (RasaHQ/rasa PR #11256). The stores here make each of
those steps atomic across processes (bot.server.locks.sqlite_locks, .redis_locks); the
ticket logic itself stays Rasa's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LockStore

# How long a message waits before it asks again whether its conversation's turn has come.
# Rasa waits a second: a user who sends two messages quickly would wait that long for the
# second answer. A check costs well under a millisecond.
TURN_POLL_SECONDS = 0.05


def ticket_lifetime_seconds(action_timeout: float) -> float:
    """How long a message's ticket lasts, from its arrival: long enough for the slowest
    message (twice the action timeout, with NLU), and short, because a process that died
    holding a conversation's turn blocks that conversation until then. With Rasa's 60 s, a
    replica killed under load blocked its conversations past nginx's 30 s: 87 of 233
    messages failed in bench/scaled_benchmark.py's failover run."""
    return 2 * action_timeout + 2


class PromptTurnLockStore(LockStore):
    """Rasa's lock store, asking for the next turn every TURN_POLL_SECONDS, with tickets that
    last `ticket_lifetime` seconds."""

    def __init__(self, ticket_lifetime: float) -> None:
        super().__init__()
        self.ticket_lifetime = ticket_lifetime

    @asynccontextmanager
    async def lock(self, conversation_id: str, lock_lifetime: float | None = None,
                   wait_time_in_seconds: float = TURN_POLL_SECONDS) -> AsyncIterator[TicketLock]:
        lifetime = lock_lifetime or self.ticket_lifetime
        async with super().lock(conversation_id, lifetime, wait_time_in_seconds) as lock:
            yield lock
