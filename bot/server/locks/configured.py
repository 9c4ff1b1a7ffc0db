"""The lock store endpoints.yml names: one message of a conversation at a time, across the
Rasa server's processes (BOT_SERVER_WORKERS) and replicas. The settings choose the store
(BOT_LOCK_STORE): a SQLite file for the processes of one machine, or Redis for replicas on
several."""

from __future__ import annotations

from typing import Any

from rasa.core.lock_store import LockStore

from bot.server.locks.base import ticket_lifetime_seconds
from bot.server.locks.redis_locks import RedisTicketLockStore
from bot.server.locks.sqlite_locks import SQLiteLockStore
from bot.settings import current_settings


class ConfiguredLockStore(LockStore):
    """What endpoints.yml names; Rasa passes `endpoint_config`, the settings say the rest."""

    def __new__(cls, **_: Any) -> LockStore:
        settings = current_settings()
        lifetime = ticket_lifetime_seconds(settings.action_timeout)
        if settings.lock_store == "redis":
            return RedisTicketLockStore(settings.redis_url, lifetime)
        return SQLiteLockStore(settings.lock_db_path, lifetime)
