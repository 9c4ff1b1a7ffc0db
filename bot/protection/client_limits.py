"""Rate limits per client on the Rasa server's channels, so one client cannot starve the others.

Each client (bot.protection.clients) may send `messages_per_minute` messages and start
`conversations_per_hour` conversations. The counters are the `limits` library's fixed
windows in the shared limits storage, so every Rasa server process sees the same counts.
A rate alone still lets a client send its minute's messages all at once, so a server
process also answers at most `messages_at_once` messages of one client at a time.
A message over a limit is refused before the assistant does any work for it.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

from limits import RateLimitItem, RateLimitItemPerHour, RateLimitItemPerMinute
from limits.storage import Storage
from limits.strategies import FixedWindowRateLimiter

from bot.errors import LimitsUnavailable
from bot.protection.counter_store import open_limit_storage, without_password
from bot.settings import ServerSettings, current_settings

# A conversation counts as new for a client when it has not been seen from it this hour.
_SEEN = RateLimitItemPerHour(1)


@dataclass(frozen=True)
class Refusal:
    """Why a message was refused, and when the client may try again."""

    limit: str  # "messages per minute", "conversations per hour" or "messages at once"
    allowed: int
    retry_after_seconds: int


class ClientLimits:
    def __init__(self, settings: ServerSettings, storage: Storage, storage_url: str) -> None:
        self._storage = storage  # the limiter keeps only a weak reference
        self._storage_url = storage_url
        self._limiter = FixedWindowRateLimiter(storage)
        self._messages = RateLimitItemPerMinute(settings.messages_per_minute)
        self._conversations = RateLimitItemPerHour(settings.conversations_per_hour)
        self._at_once = settings.messages_at_once
        self._in_flight: Counter[str] = Counter()

    @contextmanager
    def admitted(self, client: str, conversation: str) -> Iterator[Refusal | None]:
        """Counts a message and holds its place while it is answered; yields why it is
        refused, or None if it may go on. Raises LimitsUnavailable when it cannot count."""
        refusal = self._counted(client, conversation)
        if refusal is None and self._in_flight[client] >= self._at_once:
            refusal = Refusal("messages at once", self._at_once, 1)
        if refusal is not None:
            yield refusal
            return
        self._in_flight[client] += 1
        try:
            yield None
        finally:
            self._in_flight[client] -= 1
            if not self._in_flight[client]:
                del self._in_flight[client]

    def storage_problem(self) -> str | None:
        """None if the counters' storage answers, else what is wrong (for the health check)."""
        return None if self._storage.check() else f"the limits store at {self._storage_url} does not answer"

    def _counted(self, client: str, conversation: str) -> Refusal | None:
        """Counts a message from `client` in `conversation`; None if its rates allow it.

        Raises:
            LimitsUnavailable: the counters' store does not answer (nobody is let through
                uncounted: the same store usually holds the locks).
        """
        conversation_key = hashlib.sha256(conversation.encode()).hexdigest()[:24]
        try:
            is_new = self._limiter.hit(_SEEN, "seen", client, conversation_key)
            if is_new and not self._limiter.hit(self._conversations, "conversations", client):
                self._limiter.clear(_SEEN, "seen", client, conversation_key)  # still new next time
                return self._refusal("conversations per hour", self._conversations, "conversations", client)
            if not self._limiter.hit(self._messages, "messages", client):
                return self._refusal("messages per minute", self._messages, "messages", client)
        except Exception as error:  # noqa: BLE001 - each storage raises its own client's errors
            raise LimitsUnavailable(f"the limits store at {self._storage_url} failed: {error}") from error
        return None

    def _refusal(self, name: str, limit: RateLimitItem, counter: str, client: str) -> Refusal:
        reset_at, _ = self._limiter.get_window_stats(limit, counter, client)
        return Refusal(name, limit.amount, max(1, int(reset_at - time.time())))


@lru_cache(maxsize=1)
def client_limits() -> ClientLimits:
    """The limits of this server process, created on first use."""
    settings = current_settings()
    return ClientLimits(settings.server, open_limit_storage(settings.limits_url), without_password(settings.limits_url))
