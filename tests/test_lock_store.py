"""The lock stores that Rasa server processes share: one message of a conversation at a
time, across processes. SQLite (bot/server/locks/sqlite_locks.py) for one machine, Redis
(bot/server/locks/redis_locks.py, against the local Redis) for several."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from rasa.core.lock_store import LockError, LockStore

from bot.server.locks.configured import ConfiguredLockStore
from bot.server.locks.redis_locks import KEY_PREFIX, RedisTicketLockStore
from bot.server.locks.sqlite_locks import SQLiteLockStore

REDIS_URL = "redis://127.0.0.1:6379/15"  # a database of the local Redis that nothing else uses

ROUNDS = 40
TICKET_LIFETIME = 10.0


@pytest.fixture(params=["sqlite", "redis"])
def new_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], LockStore]]:
    """Opens the store as a (new) Rasa server process does."""
    if request.param == "sqlite":
        yield lambda: SQLiteLockStore(tmp_path / "locks.db", TICKET_LIFETIME)
        return
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"no Redis at {REDIS_URL}")
    yield lambda: RedisTicketLockStore(REDIS_URL, TICKET_LIFETIME)
    for key in client.scan_iter(f"{KEY_PREFIX}*"):
        client.delete(key)


def increment_under_lock(new_store: Callable[[], LockStore], conversation: str, counter: Path, rounds: int) -> None:
    """Reads the counter, yields to the event loop, writes it back plus one: without mutual
    exclusion, processes overwrite each other's increments."""
    store = new_store()

    async def run() -> None:
        for _ in range(rounds):
            async with store.lock(conversation, wait_time_in_seconds=0.001):
                value = int(counter.read_text())
                await asyncio.sleep(0.001)
                counter.write_text(str(value + 1))

    asyncio.run(run())


def test_processes_take_turns_on_one_conversation(new_store: Callable[[], LockStore], tmp_path: Path) -> None:
    counter = tmp_path / "counter"
    counter.write_text("0")
    context = multiprocessing.get_context("fork")  # as Sanic starts its workers
    conversation = f"conversation-{uuid.uuid4().hex}"
    workers = [context.Process(target=increment_under_lock, args=(new_store, conversation, counter, ROUNDS))
               for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    assert int(counter.read_text()) == 4 * ROUNDS


def test_a_lock_is_released_and_removed_after_use(new_store: Callable[[], LockStore]) -> None:
    store = new_store()

    async def use() -> None:
        async with store.lock("someone"):
            assert store.get_lock("someone") is not None

    asyncio.run(use())
    assert store.get_lock("someone") is None


def test_a_second_message_waits_for_the_first(new_store: Callable[[], LockStore]) -> None:
    store = new_store()
    order: list[str] = []

    async def message(name: str, hold: float) -> None:
        async with store.lock("someone", wait_time_in_seconds=0.01):
            order.append(f"{name} in")
            await asyncio.sleep(hold)
            order.append(f"{name} out")

    async def both() -> None:
        await asyncio.gather(message("first", 0.1), message("second", 0))

    asyncio.run(both())
    assert order == ["first in", "first out", "second in", "second out"]


def test_a_lock_left_by_a_process_that_died_expires(new_store: Callable[[], LockStore]) -> None:
    store = new_store()
    store.issue_ticket("someone", lock_lifetime=0.2)  # never released

    async def next_message() -> float:
        started = asyncio.get_running_loop().time()
        async with store.lock("someone", wait_time_in_seconds=0.05):
            return asyncio.get_running_loop().time() - started

    assert 0.1 < asyncio.run(next_message()) < 5


def test_a_message_s_ticket_lasts_the_store_s_ticket_lifetime(new_store: Callable[[], LockStore]) -> None:
    store = new_store()

    async def time_left_on_the_ticket() -> float:
        async with store.lock("someone"):
            lock = store.get_lock("someone")
            assert lock is not None
            return lock.tickets[0].expires - time.time()

    assert TICKET_LIFETIME - 0.5 < asyncio.run(time_left_on_the_ticket()) <= TICKET_LIFETIME


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_the_configured_store_s_tickets_last_twice_the_action_timeout_and_two_seconds(
        kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rasa's default is 60 s: a replica that died holding a turn blocked its conversation
    longer than nginx waits for an answer."""
    for name, value in {"BOT_ACTION_TIMEOUT": "0.5", "BOT_LOCK_STORE": kind, "BOT_LOCK_DB": str(tmp_path / "locks.db"),
                        "BOT_REDIS_URL": REDIS_URL}.items():
        monkeypatch.setenv(name, value)
    store = ConfiguredLockStore()
    assert isinstance(store, SQLiteLockStore if kind == "sqlite" else RedisTicketLockStore)
    assert store.ticket_lifetime == 3.0


def test_a_failed_step_leaves_no_write_lock_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = SQLiteLockStore(tmp_path / "locks.db", TICKET_LIFETIME)

    def disk_full(lock: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(store, "save_lock", disk_full)
    with pytest.raises(LockError):
        store.issue_ticket("someone")
    other_process = sqlite3.connect(tmp_path / "locks.db", timeout=0, isolation_level=None)
    other_process.execute("BEGIN IMMEDIATE")  # would fail at once if the store still held it
    other_process.execute("ROLLBACK")


def test_a_commit_does_not_wait_for_the_disk(tmp_path: Path) -> None:
    """Two commits a message: with SQLite's default, each waited for an fsync on the event loop."""
    store = SQLiteLockStore(tmp_path / "locks.db", TICKET_LIFETIME)
    store.issue_ticket("someone")
    assert store._connect().execute("PRAGMA synchronous").fetchone() == (1,)  # NORMAL, in WAL mode
    assert store._connect().execute("PRAGMA journal_mode").fetchone() == ("wal",)
