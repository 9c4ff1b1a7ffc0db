"""Short-lived values that every process and replica of a deployment shares: which messages
a channel has taken on, a platform's access token, who is refreshing it.

They live where the rate limits' counters do (BOT_LIMITS_URL): a SQLite file that the
processes of one machine share, or Redis for replicas on several machines. Each value
expires by itself; `add` writes only where there is none, atomically, so of several
processes that try at once exactly one succeeds.

    values = open_shared_values("sqlite:///var/limits.db")   # or "redis://localhost:6379/0"
    if values.add("wechat:message:123", "taken", 60): ...    # only the first caller gets True
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

import redis

from bot.errors import SettingsError, SharedValuesUnavailable
from bot.protection.counter_store import ThreadConnections, without_password

_LOCK_POLL_SECONDS = 0.05
# Expired values are deleted after about this many writes, so the file stays small.
_SWEEP_EVERY = 1000
_SCHEMA = """
CREATE TABLE IF NOT EXISTS shared_values (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    expires_at REAL NOT NULL
) WITHOUT ROWID
"""


class SharedValues(Protocol):
    def add(self, key: str, value: str, seconds: float) -> bool:
        """Stores `value` for `seconds` unless `key` holds one; True if it was stored."""

    def get(self, key: str) -> str | None:
        """The value of `key`, None if it has none or it expired."""

    def put(self, key: str, value: str, seconds: float) -> None:
        """Stores `value` for `seconds`, replacing any."""

    def remove(self, key: str, value: str) -> None:
        """Removes `key` if it still holds `value` (not one that replaced it)."""


class SQLiteValues:
    """Shared values in a SQLite file (sqlite:///path), for the processes of one machine."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._connection = ThreadConnections(path, _SCHEMA)
        self._writes = 0

    def add(self, key: str, value: str, seconds: float) -> bool:
        now = time.time()
        with self._failures():
            stored = self._connection().execute(
                "INSERT INTO shared_values (key, value, expires_at) VALUES (?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at "
                "WHERE shared_values.expires_at <= ? RETURNING key", (key, value, now + seconds, now)).fetchone()
            self._swept(now)
        return stored is not None

    def get(self, key: str) -> str | None:
        with self._failures():
            row = self._connection().execute(
                "SELECT value FROM shared_values WHERE key = ? AND expires_at > ?", (key, time.time())).fetchone()
        return str(row[0]) if row else None

    def put(self, key: str, value: str, seconds: float) -> None:
        now = time.time()
        with self._failures():
            self._connection().execute("INSERT OR REPLACE INTO shared_values (key, value, expires_at) VALUES (?, ?, ?)",
                                       (key, value, now + seconds))
            self._swept(now)

    def _swept(self, now: float) -> None:
        self._writes += 1
        if self._writes % _SWEEP_EVERY == 0:
            self._connection().execute("DELETE FROM shared_values WHERE expires_at <= ?", (now,))

    def remove(self, key: str, value: str) -> None:
        with self._failures():
            self._connection().execute("DELETE FROM shared_values WHERE key = ? AND value = ?", (key, value))

    @contextmanager
    def _failures(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as error:
            raise SharedValuesUnavailable(f"the shared values at {self.path} failed: {error}") from error


# Deletes the key only if it still holds the caller's value, in one step.
_REMOVE_IF_SAME = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


class RedisValues:
    """Shared values in Redis (redis://host:port/db), for replicas on several machines."""

    def __init__(self, url: str) -> None:
        self.url = without_password(url)
        self.red = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2, decode_responses=True)

    def add(self, key: str, value: str, seconds: float) -> bool:
        with self._failures():
            return bool(self.red.set(key, value, px=max(1, int(seconds * 1000)), nx=True))

    def get(self, key: str) -> str | None:
        with self._failures():
            value = self.red.get(key)
        return None if value is None else str(value)

    def put(self, key: str, value: str, seconds: float) -> None:
        with self._failures():
            self.red.set(key, value, px=max(1, int(seconds * 1000)))

    def remove(self, key: str, value: str) -> None:
        with self._failures():
            self.red.eval(_REMOVE_IF_SAME, 1, key, value)

    @contextmanager
    def _failures(self) -> Iterator[None]:
        try:
            yield
        except redis.RedisError as error:
            raise SharedValuesUnavailable(f"the shared values at {self.url} failed: {error}") from error


@contextmanager
def held(values: SharedValues, key: str, owner: str, seconds: float, wait_seconds: float) -> Iterator[bool]:
    """Holds the lock `key` (for at most `seconds`, should its holder die) while the block
    runs; waits up to `wait_seconds` for another holder to let go. Yields whether it got it."""
    deadline = time.monotonic() + wait_seconds
    while not (got := values.add(key, owner, seconds)) and time.monotonic() < deadline:
        time.sleep(_LOCK_POLL_SECONDS)
    try:
        yield got
    finally:
        if got:
            values.remove(key, owner)


def open_shared_values(url: str) -> SharedValues:
    """The shared values a limits URL names: sqlite:///path or redis://host:port/db."""
    scheme = urlparse(url).scheme
    if scheme == "sqlite":
        return SQLiteValues(Path(urlparse(url).path))
    if scheme in ("redis", "rediss"):
        return RedisValues(url)
    raise SettingsError(f"BOT_LIMITS_URL={without_password(url)!r}: shared values need sqlite:///path or redis://...")
