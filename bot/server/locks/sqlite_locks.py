"""A lock store that the Rasa server processes of one machine share: a SQLite file (two
Sanic workers use both cores).

Every step that changes a lock runs inside one `BEGIN IMMEDIATE` transaction: SQLite lets
one writer in at a time, so issuing a ticket, dropping expired tickets and releasing are
atomic across processes.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME

from bot.protection.counter_store import open_shared_sqlite
from bot.server.locks.base import PromptTurnLockStore

SCHEMA = "CREATE TABLE IF NOT EXISTS locks (conversation_id TEXT PRIMARY KEY, lock TEXT NOT NULL)"
# How long a process waits for another one's transaction; each takes well under a millisecond.
BUSY_TIMEOUT_SECONDS = 10.0


class SQLiteLockStore(PromptTurnLockStore):
    """Rasa's ticket locks in a SQLite file (BOT_LOCK_DB), atomic across processes."""

    def __init__(self, path: Path, ticket_lifetime: float) -> None:
        super().__init__(ticket_lifetime)
        self.path = path
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._connection: sqlite3.Connection | None = None
        self._pid = 0
        self._depth = 0
        with self._transaction() as connection:
            connection.execute(SCHEMA)
        # Rasa builds the store in each worker after Sanic's fork; should it be built before
        # one, no connection is left open to cross it.
        connection.close()
        self._connection = None

    def _connect(self) -> sqlite3.Connection:
        # One connection per process, opened in that process.
        if self._connection is None or self._pid != os.getpid():
            # No fsync on each commit: two commits a message waited for the disk on the event
            # loop (4% of a server's time under load, py-spy). A lock lost in a power cut
            # goes with the servers that held it.
            self._connection = open_shared_sqlite(self.path, BUSY_TIMEOUT_SECONDS, "PRAGMA synchronous=NORMAL")
            self._pid = os.getpid()
            self._depth = 0
        return self._connection

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One transaction; a step of Rasa's that another step calls joins the caller's."""
        connection = self._connect()
        if self._depth:
            self._depth += 1
            try:
                yield connection
            finally:
                self._depth -= 1
            return
        connection.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield connection
            connection.execute("COMMIT")
        finally:
            self._depth = 0
            # Never left open, which would hold the write lock against the other processes:
            # after an error, and after a COMMIT that failed.
            if connection.in_transaction:
                connection.execute("ROLLBACK")

    def check(self) -> str | None:
        """None if the lock file answers, else what is wrong (for the health check)."""
        try:
            self._connect().execute("SELECT 1 FROM locks LIMIT 1")
        except sqlite3.Error as error:
            return f"the lock store at {self.path} failed: {error}"
        return None

    def get_lock(self, conversation_id: str) -> TicketLock | None:
        row = self._connect().execute(
            "SELECT lock FROM locks WHERE conversation_id = ?", (conversation_id,)).fetchone()
        return TicketLock.from_dict(json.loads(row[0])) if row else None

    def save_lock(self, lock: TicketLock) -> None:
        with self._transaction() as connection:
            connection.execute("INSERT OR REPLACE INTO locks (conversation_id, lock) VALUES (?, ?)",
                               (lock.conversation_id, lock.dumps()))

    def delete_lock(self, conversation_id: str) -> None:
        with self._transaction() as connection:
            deleted = connection.execute("DELETE FROM locks WHERE conversation_id = ?", (conversation_id,)).rowcount
        self._log_deletion(conversation_id, deletion_successful=deleted > 0)

    # Rasa's read-change-write steps, each made one transaction.

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        with self._transaction():
            return super().issue_ticket(conversation_id, lock_lifetime)

    def update_lock(self, conversation_id: str) -> None:
        with self._transaction():
            super().update_lock(conversation_id)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        with self._transaction():
            super().cleanup(conversation_id, ticket_number)
