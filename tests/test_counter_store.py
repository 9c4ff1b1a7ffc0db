"""The storages of rate limits and lookup counters: counts shared by processes, windows that
end. SQLite (bot/protection/counter_store.py) for one machine; limits' own Redis storage, against the
local Redis, for several."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
import redis
from limits import RateLimitItemPerMinute
from limits.strategies import FixedWindowRateLimiter

from bot.errors import SettingsError
from bot.protection.counter_store import SQLiteStorage, open_limit_storage, without_password
from bot.protection.lookup_guard import LookupGuard
from bot.settings import Settings

HITS_PER_PROCESS = 200


def _hit_many(url: str, key: str) -> None:
    storage = open_limit_storage(url)
    for _ in range(HITS_PER_PROCESS):
        storage.incr(key, 60)


@pytest.fixture(params=["sqlite", "redis"])
def storage_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'limits.db'}"
    url = "redis://127.0.0.1:6379/15"  # a database of the local Redis that nothing else uses
    try:
        redis.Redis.from_url(url).ping()
    except redis.ConnectionError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"no Redis at {url}")
    return url


def test_processes_lose_no_count(storage_url: str) -> None:
    key = f"shared-{uuid.uuid4().hex}"
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_hit_many, args=(storage_url, key)) for _ in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
    assert [process.exitcode for process in processes] == [0, 0, 0, 0]
    assert open_limit_storage(storage_url).get(key) == 4 * HITS_PER_PROCESS


def test_lookup_failures_are_counted_in_the_storage(storage_url: str, settings: Settings) -> None:
    guard = LookupGuard(replace(settings, lookup_max_failures=3), open_limit_storage(storage_url))
    number = f"TEST-{uuid.uuid4().hex[:12].upper()}"
    for _ in range(3):
        assert guard.number_may_be_looked_up(number)
        guard.count_failure(number)
    assert not guard.number_may_be_looked_up(number)
    # Another process, or another machine on the same storage, sees the same count.
    assert not LookupGuard(settings, open_limit_storage(storage_url)).number_may_be_looked_up(number)


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


def test_a_password_is_never_shown() -> None:
    assert without_password("redis://:s3cret@cache.example:6379/0") == "redis://:***@cache.example:6379/0"
    assert without_password("redis://user:s3cret@cache.example/0") == "redis://user:***@cache.example/0"
    assert without_password("sqlite:////var/limits.db") == "sqlite:////var/limits.db"


def test_an_unknown_scheme_is_a_settings_error() -> None:
    with pytest.raises(SettingsError, match="BOT_LIMITS_URL='mysql://x'"):
        open_limit_storage("mysql://x")
