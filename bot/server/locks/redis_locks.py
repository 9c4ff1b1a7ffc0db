"""A lock store for Rasa server replicas on several machines: Redis.

Rasa Open Source's RedisLockStore reads a conversation's ticket lock, changes it and writes
it back as separate commands, so two replicas can both take the lock (RasaHQ/rasa PR
#11256). Here each of Rasa's read-change-write steps (issuing a ticket, dropping expired
ones, releasing) is one optimistic Redis transaction: the lock's key is WATCHed while the
step reads it, the step's writes are held back, and they are applied with MULTI/EXEC only if
nobody changed the key meanwhile; otherwise the step runs again on the new value. The
ticket logic itself stays Rasa's.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME

from bot.protection.counter_store import without_password
from bot.server.locks.base import PromptTurnLockStore

KEY_PREFIX = "bot:lock:"
# A lock left by a replica that died goes away by itself after this long (its tickets
# expire much sooner: bot.server.locks.base.ticket_lifetime_seconds).
KEY_LIFETIME_SECONDS = 3600
T = TypeVar("T")


@dataclass
class _Step:
    """One read-change-write step under way: the watched pipeline and the held-back write."""

    pipeline: Any
    written: bool = False
    value: str | None = None  # the lock to store, or None to delete it


class RedisTicketLockStore(PromptTurnLockStore):
    """Rasa's ticket locks in Redis (BOT_REDIS_URL), atomic across processes and machines."""

    def __init__(self, url: str, ticket_lifetime: float) -> None:
        super().__init__(ticket_lifetime)
        self.url = url
        # Short timeouts: with Redis down, a message gets the "unavailable" reply at once.
        self.red = redis.Redis.from_url(self.url, socket_timeout=2, socket_connect_timeout=2)
        self._step: _Step | None = None

    def check(self) -> str | None:
        """None if Redis answers, else what is wrong (for the health check)."""
        try:
            self.red.ping()
        except redis.RedisError as error:
            return f"the lock store at {without_password(self.url)} failed: {error}"
        return None

    def _key(self, conversation_id: str) -> str:
        return KEY_PREFIX + conversation_id

    def _atomically(self, conversation_id: str, step: Callable[[], T]) -> T:
        key = self._key(conversation_id)
        while True:
            with self.red.pipeline() as pipeline:
                try:
                    pipeline.watch(key)
                    self._step = _Step(pipeline)
                    result = step()
                    pipeline.multi()
                    if self._step.written:
                        if self._step.value is None:
                            pipeline.delete(key)
                        else:
                            pipeline.set(key, self._step.value, ex=KEY_LIFETIME_SECONDS)
                    pipeline.execute()
                    return result
                except redis.WatchError:
                    continue  # another process changed the lock: run the step again
                finally:
                    self._step = None

    def get_lock(self, conversation_id: str) -> TicketLock | None:
        if self._step is not None and self._step.written:
            stored = self._step.value  # what this step is about to write
        else:
            stored = (self._step.pipeline if self._step else self.red).get(self._key(conversation_id))
        return TicketLock.from_dict(json.loads(stored)) if stored else None

    def save_lock(self, lock: TicketLock) -> None:
        if self._step is not None:
            self._step.written, self._step.value = True, lock.dumps()
        else:
            self.red.set(self._key(lock.conversation_id), lock.dumps(), ex=KEY_LIFETIME_SECONDS)

    def delete_lock(self, conversation_id: str) -> None:
        if self._step is not None:
            self._step.written, self._step.value = True, None
            return
        deleted = self.red.delete(self._key(conversation_id))
        self._log_deletion(conversation_id, deletion_successful=deleted > 0)

    # Rasa's read-change-write steps, each made one transaction.

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        return self._atomically(conversation_id, lambda: super(RedisTicketLockStore, self).issue_ticket(
            conversation_id, lock_lifetime))

    def update_lock(self, conversation_id: str) -> None:
        self._atomically(conversation_id, lambda: super(RedisTicketLockStore, self).update_lock(conversation_id))

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        self._atomically(conversation_id, lambda: super(RedisTicketLockStore, self).cleanup(
            conversation_id, ticket_number))
