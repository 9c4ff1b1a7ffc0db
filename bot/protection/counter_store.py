"""Where rate limits and lookup counters are kept: a storage for the `limits` library.

`limits` ships in-memory and Redis storages. In-memory counts per process, and the Rasa
server runs several processes beside the action server, so the embedded default is this
SQLite storage instead: one file under var/ that every process of one machine shares.
A scaled-out deployment names Redis (redis://...) and gets limits' own Redis storage.

    storage = open_limit_storage("sqlite:///var/limits.db")    # or "redis://localhost:6379/0"
    limiter = FixedWindowRateLimiter(storage)
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

from limits.errors import ConfigurationError
from limits.storage import Storage, storage_from_string

from bot.errors import SettingsError

# How long a process waits for another one's write; each takes well under a millisecond.
_BUSY_TIMEOUT_SECONDS = 5.0
_RETRY_SECONDS = 0.01
# Expired counters are deleted after about this many increments, so the file stays small.
_SWEEP_EVERY = 1000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (
    key TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    expires_at REAL NOT NULL
) WITHOUT ROWID
"""
# One statement, so concurrent increments from several processes cannot lose a count.
_INCREMENT = """
INSERT INTO counters (key, count, expires_at) VALUES (:key, :amount, :expires_at)
ON CONFLICT (key) DO UPDATE SET
    count = CASE WHEN expires_at <= :now THEN :amount ELSE count + :amount END,
    expires_at = CASE WHEN expires_at <= :now OR :elastic THEN :expires_at ELSE expires_at END
RETURNING count
"""


class SQLiteStorage(Storage):
    """Fixed-window counters in a SQLite file (the scheme `sqlite:///path`)."""

    STORAGE_SCHEME = ["sqlite"]

    def __init__(self, uri: str, **options: Any) -> None:
        super().__init__(uri, **options)
        self.path = Path(urlparse(uri).path)
        # NORMAL: a counter may be lost in a power cut.
        self._connection = ThreadConnections(self.path, "PRAGMA synchronous=NORMAL", _SCHEMA)
        self._increments = 0

    def incr(self, key: str, expiry: int, elastic_expiry: bool = False, amount: int = 1) -> int:
        now = time.time()
        connection = self._connection()
        (count,) = connection.execute(_INCREMENT, {
            "key": key, "amount": amount, "expires_at": now + expiry, "now": now, "elastic": elastic_expiry,
        }).fetchone()
        self._increments += 1
        if self._increments % _SWEEP_EVERY == 0:
            connection.execute("DELETE FROM counters WHERE expires_at <= ?", (now,))
        return int(count)

    def get(self, key: str) -> int:
        row = self._connection().execute(
            "SELECT count FROM counters WHERE key = ? AND expires_at > ?", (key, time.time())
        ).fetchone()
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> int:
        row = self._connection().execute(
            "SELECT expires_at FROM counters WHERE key = ? AND expires_at > ?", (key, time.time())
        ).fetchone()
        return int(row[0]) if row else int(time.time())

    def check(self) -> bool:
        try:
            self._connection().execute("SELECT 1 FROM counters LIMIT 1")
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int:
        return self._connection().execute("DELETE FROM counters").rowcount

    def clear(self, key: str) -> None:
        self._connection().execute("DELETE FROM counters WHERE key = ?", (key,))


class ThreadConnections:
    """A connection of each thread (sqlite3 connections belong to one) to a SQLite file that
    several processes share, opened with `setup`'s statements on first use."""

    def __init__(self, path: Path, *setup: str) -> None:
        self.path = path
        self._setup = setup
        self._local = threading.local()

    def __call__(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = open_shared_sqlite(self.path, _BUSY_TIMEOUT_SECONDS, *self._setup)
            self._local.connection = connection
        return connection


def open_shared_sqlite(path: Path, busy_timeout: float, *setup: str) -> sqlite3.Connection:
    """A connection in autocommit mode to a SQLite file that several processes share, in WAL
    mode (readers and one writer at once), with `setup`'s statements run.

    Processes that open a new file at the same moment all try to switch it to WAL and
    create its tables: SQLite refuses one of two that both want to write at once (a
    deadlock it breaks without waiting, "database is locked"), so that step is tried again
    until `busy_timeout` runs out. One of four processes started together failed without it.
    """
    connection = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None)
    deadline = time.monotonic() + busy_timeout
    while True:
        try:
            for statement in ("PRAGMA journal_mode=WAL", *setup):
                connection.execute(statement)
            return connection
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                connection.close()
                raise
            time.sleep(_RETRY_SECONDS)


def without_password(url: str) -> str:
    """The URL as it may be shown in a health check or a log."""
    parts = urlparse(url)
    if not parts.password:
        return url
    return urlunparse(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")))


def open_limit_storage(url: str) -> Storage:
    """The storage a limits URL names: sqlite:///path, redis://host:port/db, memory://."""
    try:
        storage: Storage = storage_from_string(url)
    except ConfigurationError as error:
        raise SettingsError(f"BOT_LIMITS_URL={without_password(url)!r}: {error}") from None
    return storage
