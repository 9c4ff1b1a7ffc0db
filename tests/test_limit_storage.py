"""The SQLite storage for rate limits and lookup counters: counts shared by processes, windows that end."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

import pytest
from limits import RateLimitItemPerMinute
from limits.strategies import FixedWindowRateLimiter

from bot.errors import SettingsError
from bot.limit_storage import SQLiteStorage, open_limit_storage

HITS_PER_PROCESS = 200


def _hit_many(url: str) -> None:
    storage = open_limit_storage(url)
    for _ in range(HITS_PER_PROCESS):
        storage.incr("shared", 60)


def test_processes_lose_no_count(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'limits.db'}"
    processes = [multiprocessing.get_context("spawn").Process(target=_hit_many, args=(url,)) for _ in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
    assert [process.exitcode for process in processes] == [0, 0, 0, 0]
    assert open_limit_storage(url).get("shared") == 4 * HITS_PER_PROCESS


def test_a_window_ends_and_starts_again(tmp_path: Path) -> None:
    storage = open_limit_storage(f"sqlite:///{tmp_path / 'limits.db'}")
    assert isinstance(storage, SQLiteStorage)
    limiter = FixedWindowRateLimiter(storage)
    limit = RateLimitItemPerMinute(2)
    assert limiter.hit(limit, "client") and limiter.hit(limit, "client")
    assert not limiter.hit(limit, "client") and not limiter.test(limit, "client")
    assert limiter.test(limit, "someone else")
    with sqlite3.connect(tmp_path / "limits.db") as connection:
        connection.execute("UPDATE counters SET expires_at = 0")  # the minute is over
    assert limiter.test(limit, "client") and limiter.hit(limit, "client")
    assert storage.get(limit.key_for("client")) == 1
    assert storage.check()


def test_an_unknown_scheme_is_a_settings_error() -> None:
    with pytest.raises(SettingsError, match="BOT_LIMITS_URL='mysql://x'"):
        open_limit_storage("mysql://x")
