"""Counts lookups so that nobody can guess a holder's name by trying many.

The counters live in the limits storage that every process shares (bot.protection.counter_store),
not in a conversation, so a new conversation resets nothing:
- failed lookups per certificate number: after `lookup_max_failures` within
  `lookup_failure_window_hours` of the first, that number is refused to everyone until
  the window passes;
- lookups per client per hour.
Counters expire by themselves. Numbers are kept only as a hash.
"""

from __future__ import annotations

import hashlib

from limits import RateLimitItemPerHour
from limits.storage import Storage
from limits.strategies import FixedWindowRateLimiter

from bot.settings import Settings


def _number_key(number: str) -> str:
    return hashlib.sha256(number.encode()).hexdigest()[:32]


class LookupGuard:
    def __init__(self, settings: Settings, storage: Storage) -> None:
        self._storage = storage  # the limiter keeps only a weak reference
        self._limiter = FixedWindowRateLimiter(storage)
        self._failures = RateLimitItemPerHour(settings.lookup_max_failures, settings.lookup_failure_window_hours)
        self._client_lookups = RateLimitItemPerHour(settings.lookups_per_client_per_hour)

    def client_may_look_up(self, client: str) -> bool:
        return self._limiter.test(self._client_lookups, "lookups", client)

    def number_may_be_looked_up(self, number: str) -> bool:
        return self._limiter.test(self._failures, "failures", _number_key(number))

    def count_lookup(self, client: str) -> None:
        self._limiter.hit(self._client_lookups, "lookups", client)

    def count_failure(self, number: str) -> None:
        self._limiter.hit(self._failures, "failures", _number_key(number))
